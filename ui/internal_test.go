package ui

import (
	"testing"
)

func TestNormaliseMessage(t *testing.T) {
	cases := []struct{ in, want string }{
		{"order 1234 rejected", "order # rejected"},
		{`field "email" is invalid`, "field … is invalid"},
		{"user ada@example.com not found", "user <email> not found"},
		{"GET https://api.example.com/v1/orders/77?x=1 failed", "GET <url> failed"},
		{"record 3f2a9c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6 gone", "record <id> gone"},
		{"execution 9c4e1b2a77f0 failed", "execution <id> failed"},
		{"deadbeefcafe stays (no digit)", "deadbeefcafe stays (no digit)"},
		{"  many   spaces\n here ", "many spaces here"},
		{"took 1.5 s", "took # s"},
	}
	for _, c := range cases {
		if got := normaliseMessage(c.in); got != c.want {
			t.Errorf("normaliseMessage(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSetScenarioSettings(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"replace, other bytes kept",
			"{\n    \"name\": \"x\",\n    \"flow\": [],\n    \"metadata\": {\"version\": 1, \"scenario\": {\"maxErrors\": 3, \"custom\": [1]}, \"zone\": \"eu\"}\n}",
			"{\n    \"name\": \"x\",\n    \"flow\": [],\n    \"metadata\": {\"version\": 1, \"scenario\": {\"custom\":[1],\"maxErrors\":5,\"sequential\":true}, \"zone\": \"eu\"}\n}"},
		{"no scenario yet",
			`{"name": "x", "metadata": {"version": 1}}`,
			`{"name": "x", "metadata": {"version": 1,"scenario":{"maxErrors":5,"sequential":true}}}`},
		{"no metadata",
			`{"name": "x", "flow": []}`,
			`{"name": "x", "flow": [],"metadata":{"scenario":{"maxErrors":5,"sequential":true}}}`},
		{"null scenario",
			`{"metadata": {"scenario": null}}`,
			`{"metadata": {"scenario": {"maxErrors":5,"sequential":true}}}`},
		{"empty object",
			`{}`,
			`{"metadata":{"scenario":{"maxErrors":5,"sequential":true}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := setScenarioSettings([]byte(c.in), map[string]any{"maxErrors": 5, "sequential": true})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
	for _, bad := range []string{`[1]`, `{"metadata": 3}`, `{"metadata": {"scenario": "x"}}`, `{"metadata": {"scenario": [1]}}`} {
		if _, err := setScenarioSettings([]byte(bad), map[string]any{"maxErrors": 5}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
