package textparser

import (
	"context"
	"reflect"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

func spec(t *testing.T, name string) *app.Spec {
	t.Helper()
	return apptest.Spec(t, Register, name)
}

func wantError(t *testing.T, err error, typ weft.ErrorType, want string) {
	t.Helper()
	apptest.WantError(t, err, typ, want)
}

// 019-email-webcrm-datastore.json, module 2.
const webcrmPattern = `Full\s+Name\s*:\s*(\S+)\s+(.*?)\nEmail\s+Address\s*:\s*(.*?)\nPhone\s*:\s*(.*?)\nCompany\s+Name\s*:\s*(.*?)\nCountry\s*:\s*(.*?)\nMessage\s*:\s*(.*?)\n`

func TestParser(t *testing.T) {
	flags := func(global, sensitive, multiline, singleline, cont bool) weft.Bundle {
		return weft.Bundle{"global": global, "sensitive": sensitive, "multiline": multiline,
			"singleline": singleline, "continueWhenNoRes": cont}
	}
	with := func(b weft.Bundle, pattern string) weft.Bundle {
		out := weft.Bundle{"pattern": pattern}
		for k, v := range b {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name   string
		params weft.Bundle
		text   any
		want   []weft.Bundle
	}{
		{"019 contact form, case-insensitive", with(flags(false, false, true, false, false), webcrmPattern),
			"full name: Ann Lee Smith\nEMAIL ADDRESS: ann@example.com\nPhone: +45 1234\nCompany Name: Acme\nCountry: Denmark\nMessage: Hello there\n",
			[]weft.Bundle{{"$1": "Ann", "$2": "Lee Smith", "$3": "ann@example.com", "$4": "+45 1234",
				"$5": "Acme", "$6": "Denmark", "$7": "Hello there", "i": 1.0,
				"__IMTMATCH__": "full name: Ann Lee Smith\nEMAIL ADDRESS: ann@example.com\nPhone: +45 1234\nCompany Name: Acme\nCountry: Denmark\nMessage: Hello there\n"}}},
		{"049 named group", with(flags(false, false, false, false, false), `(?<json>\{[\s\S]*\})`),
			"Here is the result:\n{\"category\": \"sales\"}\nDone.",
			[]weft.Bundle{{"json": "{\"category\": \"sales\"}", "i": 1.0, "__IMTMATCH__": "{\"category\": \"sales\"}"}}},
		{"first match only", with(flags(false, true, false, false, false), `(\d+)`), "a1 b22 c333",
			[]weft.Bundle{{"$1": "1", "i": 1.0, "__IMTMATCH__": "1"}}},
		{"global", with(flags(true, true, false, false, false), `(\w)(\d+)`), "a1 b22 c333",
			[]weft.Bundle{
				{"$1": "a", "$2": "1", "i": 1.0, "__IMTMATCH__": "a1", "__IMTINDEX__": 1.0, "__IMTLENGTH__": 3.0},
				{"$1": "b", "$2": "22", "i": 2.0, "__IMTMATCH__": "b22", "__IMTINDEX__": 2.0, "__IMTLENGTH__": 3.0},
				{"$1": "c", "$2": "333", "i": 3.0, "__IMTMATCH__": "c333", "__IMTINDEX__": 3.0, "__IMTLENGTH__": 3.0},
			}},
		{"mixed named and unnamed groups count in pattern order", with(flags(false, true, false, false, false),
			`(\d+)-(?<unit>[a-z]+)(!)?`), "12-kg",
			[]weft.Bundle{{"$1": "12", "unit": "kg", "$3": "", "i": 1.0, "__IMTMATCH__": "12-kg"}}},
		{"no groups", with(flags(false, true, false, false, false), `\d+`), "x 42",
			[]weft.Bundle{{"i": 1.0, "__IMTMATCH__": "42"}}},
		{"case sensitive", with(flags(false, true, false, false, false), `abc`), "ABC", nil},
		{"singleline", with(flags(false, true, false, true, false), `a(.)b`), "a\nb",
			[]weft.Bundle{{"$1": "\n", "i": 1.0, "__IMTMATCH__": "a\nb"}}},
		{"multiline", with(flags(true, true, true, false, false), `^(\w+)$`), "one\ntwo",
			[]weft.Bundle{
				{"$1": "one", "i": 1.0, "__IMTMATCH__": "one", "__IMTINDEX__": 1.0, "__IMTLENGTH__": 2.0},
				{"$1": "two", "i": 2.0, "__IMTMATCH__": "two", "__IMTINDEX__": 2.0, "__IMTLENGTH__": 2.0},
			}},
		{"no match stops the route", with(flags(true, true, false, false, false), `(\d+)`), "none", nil},
		{"no match, continue", with(flags(false, true, false, false, true), `(\d+)-(?<u>x)`), "none",
			[]weft.Bundle{{"$1": "", "u": "", "__IMTMATCH__": ""}}},
		{"flags default: first match, case sensitive", weft.Bundle{"pattern": `a`}, "A a",
			[]weft.Bundle{{"i": 1.0, "__IMTMATCH__": "a"}}},
		{"empty text", weft.Bundle{"pattern": `x*`}, nil, []weft.Bundle{{"i": 1.0, "__IMTMATCH__": ""}}},
	}
	s := spec(t, "regexp:Parser")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, tt.params, weft.Bundle{"text": tt.text}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.name, got, tt.want)
		}
	}
}

func TestParserErrors(t *testing.T) {
	s := spec(t, "regexp:Parser")
	_, err := apptest.Run(context.Background(), s, weft.Bundle{"pattern": `(\d+`}, weft.Bundle{"text": "1"}, nil)
	wantError(t, err, weft.InvalidConfigurationError, `pattern: invalid regular expression /(\d+/: `)
	_, err = apptest.Run(context.Background(), s, weft.Bundle{"pattern": "a", "sensitive": false}, weft.Bundle{"text": "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.New(app.Config{Parameters: weft.Bundle{"pattern": "[", "sensitive": false, "multiline": true}})
	wantError(t, err, weft.InvalidConfigurationError, `pattern: invalid regular expression /[/im: `)
	_, err = apptest.Run(context.Background(), s, weft.Bundle{}, weft.Bundle{"text": "1"}, nil)
	wantError(t, err, weft.InvalidConfigurationError, "pattern: missing value of required field")
}

func TestAdvancedParser(t *testing.T) {
	params := weft.Bundle{"global": false, "multiline": false, "sensitive": false, "singleline": false,
		"advancedParser": true, "continueWhenNoRes": true}
	single := weft.Bundle{"global": false, "multiline": false, "sensitive": false, "singleline": true,
		"advancedParser": true, "continueWhenNoRes": true}
	tests := []struct {
		name    string
		params  weft.Bundle
		pattern string
		text    string
		want    []weft.Bundle
	}{
		// 033 module 25: {{25.__IMTMATCH__[2]}}…[5] are the four groups.
		{"033 teams", params, `(:[a-z]*:)\s([a-zA-Z\s]*)(:[a-z]*:)\s([a-zA-Z\s]*)$`,
			"Who wins today? :csk: Chennai Super Kings or :mi: Mumbai Indians",
			[]weft.Bundle{{"__IMTMATCH__": []any{":csk: Chennai Super Kings or :mi: Mumbai Indians",
				":csk:", "Chennai Super Kings or ", ":mi:", "Mumbai Indians"},
				"value": ":csk:", "i": 1.0}}},
		// 033 module 26: {{26.value}} is appended to a sentence: the words after the mention.
		{"033 bonus question", single, `<!channel>\s(.*)$`, "<!channel> Bonus:\nwho scores more?",
			[]weft.Bundle{{"__IMTMATCH__": []any{"<!channel> Bonus:\nwho scores more?", "Bonus:\nwho scores more?"},
				"value": "Bonus:\nwho scores more?", "i": 1.0}}},
		{"033 no bonus question: one empty bundle", single, `<!channel>\s(.*)$`, "just chatter",
			[]weft.Bundle{{"__IMTMATCH__": []any{}, "value": ""}}},
		{"no groups: value is the match", params, `\d+`, "ab 12",
			[]weft.Bundle{{"__IMTMATCH__": []any{"12"}, "value": "12", "i": 1.0}}},
		{"group that took no part is null; named groups by name", params, `(a)|(?<bee>b)`, "b",
			[]weft.Bundle{{"__IMTMATCH__": []any{"b", nil, "b"}, "value": "", "bee": "b", "i": 1.0}}},
		{"global", weft.Bundle{"global": true}, `(\d)`, "1 2",
			[]weft.Bundle{
				{"__IMTMATCH__": []any{"1", "1"}, "value": "1", "i": 1.0, "__IMTINDEX__": 1.0, "__IMTLENGTH__": 2.0},
				{"__IMTMATCH__": []any{"2", "2"}, "value": "2", "i": 2.0, "__IMTINDEX__": 2.0, "__IMTLENGTH__": 2.0},
			}},
		{"no match without continue", weft.Bundle{}, `x`, "abc", nil},
	}
	s := spec(t, "regexp:AdvancedParser")
	for _, tt := range tests {
		got, err := apptest.Run(context.Background(), s, tt.params, weft.Bundle{"pattern": tt.pattern, "text": tt.text}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.name, got, tt.want)
		}
	}
	_, err := apptest.Run(context.Background(), s, params, weft.Bundle{"pattern": "(", "text": "x"}, nil)
	wantError(t, err, weft.InvalidConfigurationError, "pattern: invalid regular expression /(/i: ")
	_, err = apptest.Run(context.Background(), s, params, weft.Bundle{"pattern": "a", "text": ""}, nil)
	wantError(t, err, weft.DataError, "text: missing value of required field")
}
