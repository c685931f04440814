package scenarios_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/scenarios"
)

// The scenario parameter names a weft scenario; Make's own ids are refused with what
// to do about them.
func TestTarget(t *testing.T) {
	for _, c := range []struct {
		in   any
		id   int64
		want string
	}{
		{"12", 12, ""}, {12.0, 12, ""}, {" 7 ", 7, ""},
		{"SCN_5282214", 0, `"SCN_5282214" is a Make scenario id; set the id of the weft scenario to call`},
		{"abc", 0, `"abc" is not a scenario id`},
		{"0", 0, `"0" is not a scenario id`},
		{nil, 0, `"" is not a scenario id`},
	} {
		id, err := scenarios.Target(c.in)
		if c.want == "" {
			if err != nil || id != c.id {
				t.Errorf("%v: %d %v", c.in, id, err)
			}
			continue
		}
		if weft.TypeOf(err) != weft.InvalidConfigurationError || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.in, err, c.want)
		}
	}
}

// A Scenarios module run outside weft's engine (an execution without a Runner) fails
// with a configuration error instead of panicking.
func TestWithoutRunner(t *testing.T) {
	reg := app.NewRegistry()
	if err := scenarios.Register(reg); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{scenarios.Call, scenarios.Return} {
		spec, _ := reg.Lookup(name)
		params, err := app.PrepareParameters(spec, map[string]any{"scenario": "3"})
		if err != nil {
			t.Fatal(err)
		}
		m, err := spec.New(app.Config{Parameters: params})
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Run(t.Context(), &app.Call{Input: weft.Bundle{}, Exec: nil})
		if weft.TypeOf(err) != weft.InvalidConfigurationError {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Make's Call a subscenario keeps the inputs in one collection, data; weft's shorter
// form maps each input as its own field.
func TestInputs(t *testing.T) {
	for _, c := range []struct{ mapper, want string }{
		{`{"data":{"prompt_id":"rec1","lock_token":"l"}}`, `{"lock_token":"l","prompt_id":"rec1"}`}, // 045
		{`{"data":{}}`, `{}`},
		{`{"orderId":"o1","qty":3}`, `{"orderId":"o1","qty":3}`},
		{`{"data":{"a":1},"qty":3}`, `{"data":{"a":1},"qty":3}`}, // data beside other inputs is an input
		{`{"data":"text"}`, `{"data":"text"}`},                   // not a collection: an input named data
		{`{"data":{"data":{"a":1}}}`, `{"data":{"a":1}}`},        // an input named data, Make's way
		{`{}`, `{}`},
	} {
		var m weft.Bundle
		if err := json.Unmarshal([]byte(c.mapper), &m); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(scenarios.Inputs(m))
		if string(got) != c.want {
			t.Errorf("%s: inputs %s, want %s", c.mapper, got, c.want)
		}
	}
}
