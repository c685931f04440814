package example

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// getWeatherSpec declares example:GetWeather. Everything weft knows about the module
// is here: validation checks blueprints against the fields, the engine coerces the
// mapper to them before Run, and `weft modules --json` lists them.
func getWeatherSpec(api *apiClient) app.Spec {
	return app.Spec{
		Name:       "example:GetWeather",
		Label:      "Weather: Get the current weather",
		Help:       "Reads the current weather of a city: temperature, humidity, conditions and when they were observed.",
		Kind:       app.KindAction,
		Timeout:    apiTimeout,
		Parameters: []app.Field{connectionParam},
		Mapper: []app.Field{
			{Name: "city", Label: "City", Type: app.TypeText, Required: true, Help: "A city name, e.g. Paris or \"Paris, FR\"."},
			{Name: "units", Label: "Units", Type: app.TypeSelect, Options: []string{"metric", "imperial"},
				Default: "metric", Help: "metric: °C; imperial: °F."},
		},
		// New runs once per blueprint version; the module it returns serves every run.
		New: func(app.Config) (app.Module, error) { return &getWeather{api: api}, nil },
	}
}

type getWeather struct{ api *apiClient }

// current is the API's answer to GET /v1/current.
type current struct {
	Location *struct {
		Name    string `json:"name"`
		Country string `json:"country"`
	} `json:"location"`
	Current *struct {
		Temperature *float64 `json:"temperature"`
		Humidity    float64  `json:"humidity"`
		Conditions  string   `json:"conditions"`
		ObservedAt  string   `json:"observed_at"`
	} `json:"current"`
}

// Run: c.Input is already checked against the Mapper fields: city is a non-empty
// string, units is "metric" or "imperial".
func (m *getWeather) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	city := strings.TrimSpace(c.Input["city"].(string))
	units := c.Input["units"].(string)
	var res current
	q := url.Values{"city": {city}, "units": {units}}
	if err := m.api.call(ctx, c, http.MethodGet, "/v1/current", q, nil, nil, &res); err != nil {
		return nil, err
	}
	what := "GET /v1/current"
	if res.Location == nil || res.Current == nil || res.Current.Temperature == nil {
		return nil, malformed(what, nil, errMissing("location, current or temperature"))
	}
	observed, err := time.Parse(time.RFC3339, res.Current.ObservedAt)
	if err != nil {
		return nil, malformed(what, []byte(res.Current.ObservedAt), err)
	}
	return []weft.Bundle{{
		"city":        res.Location.Name,
		"country":     res.Location.Country,
		"temperature": *res.Current.Temperature,
		"humidity":    res.Current.Humidity,
		"conditions":  res.Current.Conditions,
		"observedAt":  observed.UTC(), // dates are time.Time in bundles
		"units":       units,
	}}, nil
}

// createAlertSpec declares example:CreateAlert, a write: it sends the run's
// idempotency key so that a retry of the same bundle never creates a second alert.
func createAlertSpec(api *apiClient) app.Spec {
	return app.Spec{
		Name:       "example:CreateAlert",
		Label:      "Weather: Create a temperature alert",
		Help:       "Asks the service to notify when a city's temperature goes above or below a threshold. Retries never create duplicates.",
		Timeout:    apiTimeout,
		Parameters: []app.Field{connectionParam},
		Mapper: []app.Field{
			{Name: "city", Label: "City", Type: app.TypeText, Required: true},
			{Name: "above", Label: "Above (°C)", Type: app.TypeNumber, Min: -100, Max: 100},
			{Name: "below", Label: "Below (°C)", Type: app.TypeNumber, Min: -100, Max: 100},
		},
		New: func(app.Config) (app.Module, error) { return &createAlert{api: api}, nil },
	}
}

type createAlert struct{ api *apiClient }

type alert struct {
	ID        string   `json:"id"`
	City      string   `json:"city"`
	Above     *float64 `json:"above,omitempty"`
	Below     *float64 `json:"below,omitempty"`
	CreatedAt string   `json:"created_at,omitempty"`
}

func (m *createAlert) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	req := alert{City: strings.TrimSpace(c.Input["city"].(string))}
	// Absent or empty number fields are absent from Input (PrepareInput drops them).
	if v, ok := c.Input["above"].(float64); ok {
		req.Above = &v
	}
	if v, ok := c.Input["below"].(float64); ok {
		req.Below = &v
	}
	if req.Above == nil && req.Below == nil {
		// Checked here, not by the service: the fix is the mapping, and a DataError
		// keeps the bundle for the person who makes it.
		return nil, weft.Errorf(weft.DataError, "above or below: set at least one threshold")
	}
	// The same key in the run that failed and in every retry of it: the service
	// answers a repeated key with the alert it already created.
	h := http.Header{"Idempotency-Key": {c.Exec.IdempotencyKey()}}
	var res alert
	if err := m.api.call(ctx, c, http.MethodPost, "/v1/alerts", nil, req, h, &res); err != nil {
		return nil, err
	}
	if res.ID == "" {
		return nil, malformed("POST /v1/alerts", nil, errMissing("id"))
	}
	out := weft.Bundle{"id": res.ID, "city": res.City}
	if res.Above != nil {
		out["above"] = *res.Above
	}
	if res.Below != nil {
		out["below"] = *res.Below
	}
	if t, ok := value.Date(res.CreatedAt, nil); ok {
		out["createdAt"] = t
	}
	return []weft.Bundle{out}, nil
}
