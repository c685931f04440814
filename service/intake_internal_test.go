package service

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// logEntryJSON mirrors engine.LogEntry field for field, with the same JSON names and
// options: a field added to LogEntry fails here until the mirror has it.
func TestLogEntryMirrorHasEveryField(t *testing.T) {
	src, mirror := reflect.TypeFor[engine.LogEntry](), reflect.TypeFor[logEntryJSON]()
	if src.NumField() != mirror.NumField() {
		t.Fatalf("engine.LogEntry has %d fields, logEntryJSON %d", src.NumField(), mirror.NumField())
	}
	for i := range src.NumField() {
		a, b := src.Field(i), mirror.Field(i)
		if a.Name != b.Name || a.Tag.Get("json") != b.Tag.Get("json") {
			t.Errorf("field %d: LogEntry %s `%s`, mirror %s `%s`", i, a.Name, a.Tag, b.Name, b.Tag)
		}
	}
}

// encodeLog writes what json.Marshal writes for the log, byte for byte.
func TestEncodeLogMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 123, time.FixedZone("CET", 3600))
	bundle := weft.Bundle{"b": 1.5, "a": "<x>&", "when": at, "big": int64(1) << 60, "bin": []byte{1, 2},
		"nested": []any{nil, true, map[string]any{"$date": "user key", "z": []any{}}}, "nilmap": map[string]any(nil)}
	log := []engine.LogEntry{
		{Seq: 1, Cycle: 1, ModuleID: 1, Module: "gateway:CustomWebHook", Output: []weft.Bundle{bundle, {}, nil}, Start: at, Duration: 5},
		{Seq: 2, Cycle: 1, ModuleID: 2, Module: "http:MakeRequest", Input: bundle, Error: &engine.RunError{Type: weft.DataError,
			Message: "bad <input>", ModuleID: 2}, Outcome: "builtin:Break", Note: "n", Start: at},
		{Seq: 3, Module: "x", Input: "text input"},
		{Seq: 4, Module: "x", Input: struct{ A int }{1}, Output: []weft.Bundle{{"odd": map[string]string{"a": "b"}}}},
		{Seq: 5, Module: "x", Input: weft.Bundle(nil), Output: []weft.Bundle{}},
		{Seq: 6, Module: "x", Input: []any{1.0, math.MaxFloat64, 1e-9}},
	}
	want, err := json.Marshal(log)
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodeLog(log)
	if err != nil || string(got) != string(want) {
		t.Fatalf("encodeLog:\n got  %s, %v\n want %s", got, err, want)
	}
	for _, l := range [][]engine.LogEntry{nil, {}} {
		want, _ := json.Marshal(l)
		if got, err := encodeLog(l); err != nil || string(got) != string(want) {
			t.Fatalf("log %#v: %s, %v; want %s", l, got, err, want)
		}
	}
	// A value encoding/json refuses is refused here too.
	if _, err := encodeLog([]engine.LogEntry{{Input: math.NaN()}}); err == nil {
		t.Fatal("NaN input: want an error, as encoding/json gives")
	}
}
