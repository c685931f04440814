package example_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/example"
	"github.com/weftworks/weft/engine"
)

// spec returns one of the app's module types, registered as weft registers it.
func spec(t testing.TB, name string, o example.Options) *app.Spec {
	t.Helper()
	return apptest.Spec(t, func(r *app.Registry) error { return example.RegisterOptions(r, o) }, name)
}

// execWith is an Exec whose connection "1" is c.
func execWith(c weft.Bundle) *apptest.Exec {
	e := apptest.NewExec()
	e.Connections["1"] = c
	return e
}

var conn1 = weft.Bundle{"__IMTCONN__": 1}

func TestGetWeather(t *testing.T) {
	api := startStandIn(t)
	observed := time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		mapper weft.Bundle
		want   weft.Bundle
	}{
		{"metric by default", weft.Bundle{"city": "Paris"},
			weft.Bundle{"city": "Paris", "country": "FR", "temperature": 21.5, "humidity": 40.0,
				"conditions": "Sunny", "observedAt": observed, "units": "metric"}},
		{"imperial, spaces trimmed", weft.Bundle{"city": "  oslo ", "units": "imperial"},
			weft.Bundle{"city": "Oslo", "country": "NO", "temperature": 26.15, "humidity": 80.0,
				"conditions": "Snow", "observedAt": observed, "units": "imperial"}},
		{"empty units take the default", weft.Bundle{"city": "Oslo", "units": ""},
			weft.Bundle{"city": "Oslo", "country": "NO", "temperature": -3.25, "humidity": 80.0,
				"conditions": "Snow", "observedAt": observed, "units": "metric"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := apptest.Run(context.Background(), spec(t, "example:GetWeather", example.Options{}),
				conn1, tc.mapper, execWith(api.conn()))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, []weft.Bundle{tc.want}) {
				t.Errorf("output\n  %#v\nwant\n  %#v", out, []weft.Bundle{tc.want})
			}
		})
	}
}

// The same module inside a scenario: the engine compiles the spec, maps the webhook's
// payload and runs it; the log holds the module's output.
func TestGetWeatherInEngine(t *testing.T) {
	api := startStandIn(t)
	res, err := apptest.RunEngine(context.Background(), spec(t, "example:GetWeather", example.Options{}),
		conn1, weft.Bundle{"city": "Paris"}, execWith(api.conn()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusSuccess || res.Operations != 2 {
		t.Fatalf("status %s, %d operations; want success, 2", res.Status, res.Operations)
	}
	last := res.Log[len(res.Log)-1]
	if last.ModuleID != 2 || len(last.Output) != 1 || last.Output[0]["temperature"] != 21.5 {
		t.Fatalf("module 2's log entry: %+v", last)
	}
}

// An answer lost after the alert was created: the bundle is kept as an incomplete
// execution (503 is retried), and the retry sends the same Idempotency-Key, so the
// service returns the alert it created instead of a second one.
func TestCreateAlertRetryCreatesNoDuplicate(t *testing.T) {
	api := startStandIn(t)
	api.loseNextAnswer = true
	exec := execWith(api.conn())
	eng, err := apptest.Engine(exec, spec(t, "example:CreateAlert", example.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	flow, err := apptest.ModuleFlow("example:CreateAlert", conn1, weft.Bundle{"city": nil, "above": nil})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := apptest.Compile(eng, flow, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background(), plan,
		engine.Input{Trigger: [][]weft.Bundle{{{"city": "Paris", "above": 30.0}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != weft.StatusWarning || len(res.Incomplete) != 1 || !res.Incomplete[0].AutoRetry {
		t.Fatalf("first run: status %s, %d incomplete (%+v); want warning with 1 retried", res.Status, len(res.Incomplete), res.Error)
	}
	retry, err := eng.Resume(context.Background(), plan, res.Incomplete[0], engine.ResumeInput{})
	if err != nil {
		t.Fatal(err)
	}
	if retry.Status != weft.StatusSuccess {
		t.Fatalf("retry: status %s, error %+v", retry.Status, retry.Error)
	}
	out := retry.Log[len(retry.Log)-1].Output
	want := []weft.Bundle{{"id": "al_1", "city": "Paris", "above": 30.0,
		"createdAt": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("retry output %#v; want %#v", out, want)
	}
	if api.created != 1 || len(api.keys) != 2 || api.keys[0] != api.keys[1] {
		t.Errorf("service created %d alert(s) with keys %q; want 1 alert, the same key twice", api.created, api.keys)
	}
}

// Two different bundles get different keys: two alerts.
func TestCreateAlertKeysDifferPerCall(t *testing.T) {
	api := startStandIn(t)
	s := spec(t, "example:CreateAlert", example.Options{})
	for _, key := range []string{"k1", "k2", "k1"} {
		exec := execWith(api.conn())
		exec.Key = key
		if _, err := apptest.Run(context.Background(), s, conn1, weft.Bundle{"city": "Oslo", "below": "-10"}, exec); err != nil {
			t.Fatal(err)
		}
	}
	if api.created != 2 {
		t.Errorf("created %d alerts for keys k1, k2, k1; want 2", api.created)
	}
}

// SaveReading's writes reach the store only when the cycle commits (SPEC §2.6). The
// scenario: webhook → SaveReading → a module that fails with the given type.
func TestSaveReadingCommitsWithTheCycle(t *testing.T) {
	failing := app.Spec{Name: "test:Fail", Timeout: -1,
		Mapper: []app.Field{{Name: "type", Type: app.TypeText}},
		New: func(app.Config) (app.Module, error) {
			return app.ModuleFunc(func(_ context.Context, c *app.Call) ([]weft.Bundle, error) {
				if typ := c.Input["type"]; typ != nil {
					return nil, weft.Errorf(weft.ErrorType(typ.(string)), "failed on purpose")
				}
				return []weft.Bundle{{}}, nil
			}), nil
		}}
	const flow = `[{"id":1,"module":"gateway:CustomWebHook","version":1},
		{"id":2,"module":"example:SaveReading","version":1,"mapper":{"city":"{{1.city}}","temperature":"{{1.t}}"}},
		{"id":3,"module":"test:Fail","version":1,"mapper":{"type":"{{1.fail}}"}}]`
	for _, tc := range []struct {
		name, settings, fail string
		status               weft.Status
		saved                []string
	}{
		{"success commits", `{"autoCommit":false}`, "", weft.StatusSuccess, []string{"Paris"}},
		{"a failed run rolls back", `{"autoCommit":false}`, "RuntimeError", weft.StatusError, []string{}},
		{"an incomplete execution still commits the cycle", `{"autoCommit":false}`, "DataError", weft.StatusWarning, []string{"Paris"}},
		{"autoCommit commits before the failure", `{}`, "RuntimeError", weft.StatusError, []string{"Paris"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := example.NewReadings()
			exec := apptest.NewExec()
			eng, err := apptest.Engine(exec, spec(t, "example:SaveReading", example.Options{Readings: store}), &failing)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := apptest.Compile(eng, flow, tc.settings)
			if err != nil {
				t.Fatal(err)
			}
			trigger := weft.Bundle{"city": "Paris", "t": "18.5"}
			if tc.fail != "" {
				trigger["fail"] = tc.fail
			}
			res, err := eng.Run(context.Background(), plan, engine.Input{Trigger: [][]weft.Bundle{{trigger}}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %s (%+v); want %s", res.Status, res.Error, tc.status)
			}
			if got := store.Cities(); !reflect.DeepEqual(got, tc.saved) {
				t.Fatalf("saved %q; want %q", got, tc.saved)
			}
			if len(tc.saved) > 0 {
				want := example.Reading{City: "Paris", Temperature: 18.5, ObservedAt: exec.Clock}
				if got, _ := store.Get("PARIS"); got != want {
					t.Errorf("reading %+v; want %+v", got, want)
				}
			}
		})
	}
}

// Concurrent runs share the module instance but not their write sets; an older
// observation never replaces a newer one.
func TestSaveReadingRunsAreIsolated(t *testing.T) {
	store := example.NewReadings()
	s := spec(t, "example:SaveReading", example.Options{Readings: store})
	exec := apptest.NewExec()
	eng, err := apptest.Engine(exec, s)
	if err != nil {
		t.Fatal(err)
	}
	flow, err := apptest.ModuleFlow(s.Name, nil, weft.Bundle{"city": nil, "temperature": nil, "observedAt": nil})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := apptest.Compile(eng, flow, `{"autoCommit":false}`)
	if err != nil {
		t.Fatal(err)
	}
	newer := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	done := make(chan *engine.Result, 40)
	for i := range 40 {
		go func() {
			at, temp := newer.Add(-time.Duration(i+1)*time.Minute), float64(i)
			if i == 7 {
				at, temp = newer, 99
			}
			res, _ := eng.Run(context.Background(), plan, engine.Input{Trigger: [][]weft.Bundle{{
				{"city": "Oslo", "temperature": temp, "observedAt": at}}}})
			done <- res
		}()
	}
	for range 40 {
		if res := <-done; res == nil || res.Status != weft.StatusSuccess {
			t.Fatalf("run: %+v", res)
		}
	}
	if got, _ := store.Get("oslo"); got.Temperature != 99 || !got.ObservedAt.Equal(newer) {
		t.Errorf("latest reading %+v; want the one observed at %s", got, newer)
	}
}

// One GetWeather call against the stand-in: a request on a kept-alive connection, JSON
// decoding and the output bundle.
func BenchmarkGetWeather(b *testing.B) {
	api := startStandIn(b)
	s := spec(b, "example:GetWeather", example.Options{})
	exec := execWith(api.conn())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apptest.Run(context.Background(), s, conn1, weft.Bundle{"city": "Paris"}, exec); err != nil {
			b.Fatal(err)
		}
	}
}

// The same call through the engine, compiled once: what the engine adds per run.
func BenchmarkGetWeatherInEngine(b *testing.B) {
	api := startStandIn(b)
	exec := execWith(api.conn())
	eng, err := apptest.Engine(exec, spec(b, "example:GetWeather", example.Options{}))
	if err != nil {
		b.Fatal(err)
	}
	flow, err := apptest.ModuleFlow("example:GetWeather", conn1, weft.Bundle{"city": nil})
	if err != nil {
		b.Fatal(err)
	}
	plan, err := apptest.Compile(eng, flow, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := eng.Run(context.Background(), plan, engine.Input{Trigger: [][]weft.Bundle{{{"city": "Paris"}}}})
		if err != nil || res.Status != weft.StatusSuccess {
			b.Fatalf("run: %v %+v", err, res)
		}
	}
}
