package example

import (
	"fmt"
	"net/http"
	"time"

	"github.com/weftworks/weft/app"
)

// DefaultBaseURL is the weather API's address when a connection names none. (.example
// is a reserved domain: the real service is a stand-in.)
const DefaultBaseURL = "https://api.weather.example"

// Options configure the app for a process. The zero value is ready to use.
type Options struct {
	// Client sends the API requests. Defaults to a client with its own connection pool
	// (one per process, shared by every module and run: connections are reused).
	Client *http.Client
	// Readings is where example:SaveReading commits. Defaults to a new, empty store.
	Readings *Readings
	// MaxBody caps an API response, in bytes. Defaults to 1 MiB: a weather answer is a
	// few hundred bytes, anything larger is not the API we know.
	MaxBody int64
}

func (o Options) withDefaults() Options {
	if o.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64 // many runs call the same host at once
		// No Client.Timeout: the engine's per-module deadline (Spec.Timeout, 40 s by
		// default) reaches the request through ctx.
		o.Client = &http.Client{Transport: tr}
	}
	if o.Readings == nil {
		o.Readings = NewReadings()
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	return o
}

// Specs returns the app's module types configured by o. Tests take a spec from here
// (or use apptest.Spec with Register).
func Specs(o Options) []app.Spec {
	o = o.withDefaults()
	api := &apiClient{http: o.Client, maxBody: o.MaxBody}
	return []app.Spec{getWeatherSpec(api), createAlertSpec(api), saveReadingSpec(o.Readings)}
}

// Register registers the app's module types with default Options. It is the function
// a program lists beside the other apps (app/all does not: this is an example).
func Register(r *app.Registry) error { return RegisterOptions(r, Options{}) }

// RegisterOptions registers the app's module types configured by o.
func RegisterOptions(r *app.Registry, o Options) error {
	for _, s := range Specs(o) {
		if err := r.Register(s); err != nil {
			return fmt.Errorf("example app: %w", err)
		}
	}
	return nil
}

// connectionParam is the parameter naming the connection, as Make exports it.
var connectionParam = app.Field{Name: "__IMTCONN__", Label: "Connection", Type: app.TypeAny, Required: true,
	Help: `The weather API connection: {"apiKey": "…", "baseUrl": "…"} (baseUrl defaults to ` + DefaultBaseURL + `).`}

// apiTimeout is the modules' time limit per bundle: a weather lookup that takes longer
// than this is not coming (the engine's default of 40 s is for slow services).
const apiTimeout = 20 * time.Second
