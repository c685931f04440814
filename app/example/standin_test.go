package example_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
)

// testKey is the API key the stand-in accepts.
const testKey = "wk_test_123"

// standIn is a fake of the weather API on 127.0.0.1, shaped like a public API: JSON
// answers, an API key header, JSON error bodies, idempotent POSTs.
type standIn struct {
	srv *httptest.Server
	mu  sync.Mutex
	// alerts by Idempotency-Key; created counts alerts actually created.
	alerts  map[string]map[string]any
	created int
	// loseNextAnswer makes the next POST create its alert, then answer 503, as a proxy
	// dropping the answer would: the client cannot know the alert exists.
	loseNextAnswer bool
	keys           []string // Idempotency-Key of every POST, in order
}

type city struct {
	name, country string
	celsius       float64
	humidity      float64
	conditions    string
}

var cities = map[string]city{
	"paris": {"Paris", "FR", 21.5, 40, "Sunny"},
	"oslo":  {"Oslo", "NO", -3.25, 80, "Snow"},
}

func startStandIn(t testing.TB) *standIn {
	t.Helper()
	s := &standIn{alerts: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/current", s.current)
	mux.HandleFunc("POST /v1/alerts", s.createAlert)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != testKey {
			apiErr(w, 401, "invalid_key", "API key is invalid")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// conn is the stored connection pointing at the stand-in.
func (s *standIn) conn() weft.Bundle {
	return weft.Bundle{"apiKey": testKey, "baseUrl": s.srv.URL}
}

func apiErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *standIn) current(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("city")
	c, ok := cities[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		apiErr(w, 404, "city_not_found", fmt.Sprintf("No city named '%s'", name))
		return
	}
	temp := c.celsius
	if r.URL.Query().Get("units") == "imperial" {
		temp = c.celsius*9/5 + 32
	}
	reply(w, 200, map[string]any{
		"location": map[string]any{"name": c.name, "country": c.country},
		"current": map[string]any{"temperature": temp, "humidity": c.humidity, "conditions": c.conditions,
			"observed_at": "2026-01-02T03:00:00+01:00"},
	})
}

func (s *standIn) createAlert(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		apiErr(w, 400, "idempotency_key_required", "Idempotency-Key header is required")
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiErr(w, 400, "bad_json", err.Error())
		return
	}
	name, _ := in["city"].(string)
	if _, ok := cities[strings.ToLower(name)]; !ok {
		apiErr(w, 422, "city_not_found", fmt.Sprintf("No city named '%s'", name))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
	if a, ok := s.alerts[key]; ok {
		reply(w, 200, a) // a repeated key: the alert already created, not a second one
		return
	}
	s.created++
	a := map[string]any{"id": fmt.Sprintf("al_%d", s.created), "city": name, "created_at": "2026-01-02T03:04:05Z"}
	for _, k := range []string{"above", "below"} {
		if v, ok := in[k]; ok {
			a[k] = v
		}
	}
	s.alerts[key] = a
	if s.loseNextAnswer {
		s.loseNextAnswer = false
		apiErr(w, 503, "unavailable", "upstream went away")
		return
	}
	reply(w, 201, a)
}

// answering starts a server that answers every request with status, headers and body
// (a failure of the real API to reproduce) and returns its address.
func answering(t testing.TB, status int, header map[string]string, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
