package tools

import (
	"reflect"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
)

// aggregate prepares parameters and every item as the engine does, then aggregates.
func aggregate(t *testing.T, s *app.Spec, params weft.Bundle, items []weft.Bundle) (weft.Bundle, error) {
	t.Helper()
	p, err := app.PrepareParameters(s, params)
	if err != nil {
		return nil, err
	}
	prepared := make([]weft.Bundle, len(items))
	for i, it := range items {
		if prepared[i], err = app.PrepareInput(s, it); err != nil {
			return nil, err
		}
	}
	return s.Aggregate(p, prepared)
}

func values(vs ...any) []weft.Bundle {
	out := make([]weft.Bundle, len(vs))
	for i, v := range vs {
		out[i] = weft.Bundle{"value": v}
	}
	return out
}

func TestTextAggregator(t *testing.T) {
	s := spec(t, "util:TextAggregator")
	if s.Kind != app.KindAggregator {
		t.Fatalf("Kind = %v; want aggregator", s.Kind)
	}
	rows := values("India,10,8", "Australia,10,6", 3.0)
	tests := []struct {
		name   string
		params weft.Bundle
		items  []weft.Bundle
		want   string
	}{
		{"new row (025, 033)", weft.Bundle{"feeder": 12.0, "rowSeparator": "\n"}, rows, "India,10,8\nAustralia,10,6\n3"},
		{"tab", weft.Bundle{"feeder": 12.0, "rowSeparator": "\t"}, rows, "India,10,8\tAustralia,10,6\t3"},
		{"other (040)", weft.Bundle{"feeder": 12.0, "rowSeparator": "other", "otherRowSeparator": ", "}, values("a", "b"), "a, b"},
		{"other without text", weft.Bundle{"feeder": 12.0, "rowSeparator": "other"}, values("a", "b"), "ab"},
		{"empty (038, 048)", weft.Bundle{"feeder": 12.0, "rowSeparator": ""}, values("a", "b"), "ab"},
		{"absent separator", weft.Bundle{"feeder": 12.0}, values("a", "b"), "ab"},
		{"empty rows stay rows", weft.Bundle{"feeder": 1.0, "rowSeparator": "\n"}, values("a", "", nil, "d"), "a\n\n\nd"},
		{"one row", weft.Bundle{"feeder": 1.0, "rowSeparator": "\n"}, values("only"), "only"},
		{"no bundles", weft.Bundle{"feeder": 1.0, "rowSeparator": "\n"}, nil, ""},
	}
	for _, tt := range tests {
		got, err := aggregate(t, s, tt.params, tt.items)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := (weft.Bundle{"text": tt.want}); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q; want %q", tt.name, got, want)
		}
	}
	_, err := aggregate(t, s, weft.Bundle{"feeder": 1.0, "rowSeparator": ";"}, nil)
	wantError(t, err, weft.InvalidConfigurationError, `rowSeparator: ";" is not one of`)
	_, err = s.Aggregate(weft.Bundle{"rowSeparator": ";"}, nil) // unprepared parameters
	wantError(t, err, weft.InvalidConfigurationError, `rowSeparator: ";" is not one of`)
	_, err = aggregate(t, s, weft.Bundle{"rowSeparator": "\n"}, nil)
	wantError(t, err, weft.InvalidConfigurationError, "feeder: missing value of required field")
}

func TestNumericAggregator(t *testing.T) {
	s := spec(t, "util:FunctionAggregator2")
	nums := values(4.0, "6", "", 2.0, nil) // "" and null take no part
	tests := []struct {
		fn    string
		items []weft.Bundle
		want  any
	}{
		{"sum", nums, 12.0},
		{"avg", nums, 4.0},
		{"count", nums, 5.0}, // count counts bundles, empty values included
		{"min", nums, 2.0},
		{"max", nums, 6.0},
		{"min", values(-1.5, "-3"), -3.0},
		{"max", values(-1.5, "-3"), -1.5},
		{"avg", values(1.0, 2.0), 1.5},
		{"sum", nil, 0.0},
		{"count", nil, 0.0},
		{"avg", nil, nil},
		{"min", values(""), nil},
		{"max", nil, nil},
	}
	for _, tt := range tests {
		got, err := aggregate(t, s, weft.Bundle{"feeder": 3.0, "fn": tt.fn}, tt.items)
		if err != nil {
			t.Fatalf("%s: %v", tt.fn, err)
		}
		if want := (weft.Bundle{"result": tt.want}); !reflect.DeepEqual(got, want) {
			t.Errorf("%s over %v = %v; want %v", tt.fn, tt.items, got, want)
		}
	}
	_, err := aggregate(t, s, weft.Bundle{"feeder": 3.0, "fn": "sum"}, values(1.0, "abc"))
	wantError(t, err, weft.DataError, `value: text "abc" is not a number`)
	_, err = s.Aggregate(weft.Bundle{"fn": "sum"}, values(1.0, "abc")) // unprepared items
	wantError(t, err, weft.DataError, `bundle 2: value text "abc" is not a number`)
	_, err = aggregate(t, s, weft.Bundle{"feeder": 3.0, "fn": "median"}, nil)
	wantError(t, err, weft.InvalidConfigurationError, `fn: "median" is not one of`)
	_, err = s.Aggregate(weft.Bundle{"fn": "median"}, nil)
	wantError(t, err, weft.InvalidConfigurationError, `fn: "median" is not one of sum, avg, count, min, max`)
}
