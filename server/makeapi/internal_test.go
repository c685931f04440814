package makeapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

// Make's scheduling goes into weft's schedule and comes back the same.
func TestSchedulingRoundTrip(t *testing.T) {
	for _, c := range []struct {
		make string
		weft weft.Schedule
		back string // "" : the same as make
	}{
		{`{"type":"on-demand"}`, weft.Schedule{}, ""},
		{`{"type":"immediately"}`, weft.Schedule{}, `{"type":"on-demand"}`},
		{`{"type":"indefinitely","interval":900}`, weft.Schedule{Type: "interval", Interval: 15}, ""},
		{`{"type":"daily","time":"08:05"}`, weft.Schedule{Type: "cron", Cron: "5 8 * * *", Timezone: "UTC"}, ""},
		{`{"type":"weekly","days":[1,7],"time":"23:59"}`, weft.Schedule{Type: "cron", Cron: "59 23 * * 1,0", Timezone: "UTC"},
			`{"type":"weekly","days":[0,1],"time":"23:59"}`},
		{`{"type":"monthly","days":[1,15],"time":"00:00"}`, weft.Schedule{Type: "cron", Cron: "0 0 1,15 * *", Timezone: "UTC"}, ""},
		{`{"type":"yearly","days":[24],"months":[12],"time":"18:00"}`, weft.Schedule{Type: "cron", Cron: "0 18 24 12 *", Timezone: "UTC"},
			`{"type":"yearly","days":[24],"months":[12],"time":"18:00"}`},
	} {
		got, err := toWeft([]byte(c.make))
		if err != nil {
			t.Errorf("%s: %v", c.make, err)
			continue
		}
		if got != c.weft {
			t.Errorf("%s: %+v, want %+v", c.make, got, c.weft)
		}
		back := c.back
		if back == "" {
			back = c.make
		}
		if s := string(mustJSON(t, fromWeft(got, false))); s != back {
			t.Errorf("%s came back as %s", c.make, s)
		}
	}
	at := time.Date(2027, 1, 2, 3, 4, 0, 0, time.UTC)
	got, err := toWeft([]byte(`{"type":"once","date":"2027-01-02T03:04:00Z"}`))
	if err != nil || got.Type != "once" || !got.At.Equal(at) {
		t.Fatalf("once: %+v %v", got, err)
	}
	// A cron schedule none of Make's types can say shows as weft's.
	if s := string(mustJSON(t, fromWeft(weft.Schedule{Type: "cron", Cron: "*/5 * * * *", Timezone: "Europe/Prague"}, false))); s !=
		`{"type":"cron","cron":"*/5 * * * *","timezone":"Europe/Prague"}` {
		t.Fatalf("cron: %s", s)
	}
	if s := string(mustJSON(t, fromWeft(weft.Schedule{}, true))); s != `{"type":"immediately"}` {
		t.Fatalf("instant: %s", s)
	}
	for _, bad := range []string{`{"type":"weekly","time":"08:00"}`, `{"type":"weekly","days":[8],"time":"08:00"}`,
		`{"type":"daily","time":"8"}`, `{"type":"daily"}`, `{"type":"hourly"}`, `{"interval":60}`,
		`{"type":"daily","time":"08:00","restrict":[]}`, `{"type":"once","date":"soon"}`, `[]`} {
		if _, err := toWeft([]byte(bad)); err == nil {
			t.Errorf("%s was taken", bad)
		}
	}
}

func mustJSON(t *testing.T, v scheduling) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setKey changes one value and keeps every other byte.
func TestSetKey(t *testing.T) {
	for _, c := range []struct {
		in   string
		path []string
		val  string
		want string
	}{
		{`{"name":"a",  "flow":[1]}`, []string{"name"}, `"b"`, `{"name":"b",  "flow":[1]}`},
		{`{"flow":[]}`, []string{"description"}, `"d"`, `{"description":"d","flow":[]}`},
		{`{}`, []string{"metadata", "interface"}, `{}`, `{"metadata":{"interface":{}}}`},
		{`{"metadata":{"version":1, "x":2}}`, []string{"metadata", "interface"}, `[]`, `{"metadata":{"interface":[],"version":1, "x":2}}`},
		{`{"metadata":{"interface":{"input":[]}},"z":1}`, []string{"metadata", "interface"}, `1`, `{"metadata":{"interface":1},"z":1}`},
		{`{"metadata":null}`, []string{"metadata", "interface"}, `2`, `{"metadata":{"interface":2}}`},
	} {
		got, err := setKey([]byte(c.in), c.path, []byte(c.val))
		if err != nil || string(got) != c.want {
			t.Errorf("%s %v: %s %v, want %s", c.in, c.path, got, err, c.want)
		}
	}
	if _, err := setKey([]byte(`[1]`), []string{"a"}, []byte(`1`)); err == nil {
		t.Error("an array was taken")
	}
}
