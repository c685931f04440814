package builtin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/builtin"
	"github.com/weftworks/weft/limits"
)

func TestWebhookRespond(t *testing.T) {
	spec := apptest.Spec(t, builtin.Register, "gateway:WebhookRespond")
	many := make([]any, 17)
	for i := range many {
		many[i] = map[string]any{"key": "X-N", "value": "1"}
	}
	for _, tc := range []struct {
		name    string
		mapper  weft.Bundle
		status  int
		body    string
		headers map[string]string
		err     string
	}{
		{"text status and body (008)", weft.Bundle{"status": "200", "body": `{"ok": true}`, "headers": []any{map[string]any{"key": "content-type", "value": "application/json"}}},
			200, `{"ok": true}`, map[string]string{"content-type": "application/json"}, ""},
		{"collection body is JSON", weft.Bundle{"status": 201.0, "body": map[string]any{"a": []any{1.0}}}, 201, `{"a":[1]}`, map[string]string{}, ""},
		{"default status, empty headers text (040)", weft.Bundle{"headers": ""}, 200, "", map[string]string{}, ""},
		{"status out of range", weft.Bundle{"status": "42"}, 0, "", nil, "status: 42 is outside 100…599"},
		{"header name with a colon", weft.Bundle{"headers": []any{map[string]any{"key": "a:b", "value": "x"}}}, 0, "", nil, "headers/0/key"},
		{"header value with a newline", weft.Bundle{"headers": []any{map[string]any{"key": "a", "value": "x\r\ny"}}}, 0, "", nil, "headers/0/value"},
		{"too many headers", weft.Bundle{"headers": many}, 0, "", nil, "at most 16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec := apptest.NewExec()
			out, err := apptest.Run(t.Context(), spec, nil, tc.mapper, exec)
			if tc.err != "" {
				apptest.WantError(t, err, weft.DataError, tc.err)
				if len(exec.Responses) != 0 {
					t.Fatal("an invalid response was recorded")
				}
				return
			}
			if err != nil || len(out) != 1 || len(exec.Responses) != 1 {
				t.Fatalf("err %v out %v responses %v", err, out, exec.Responses)
			}
			r := exec.Responses[0]
			if r.Status != tc.status || r.Body != tc.body || len(r.Headers) != len(tc.headers) {
				t.Fatalf("response %+v", r)
			}
			for k, v := range tc.headers {
				if r.Headers[k] != v {
					t.Fatalf("header %s = %q", k, r.Headers[k])
				}
			}
		})
	}
}

func TestIteratorAndRepeater(t *testing.T) {
	feeder := apptest.Spec(t, builtin.Register, "builtin:BasicFeeder")
	out, err := apptest.Run(t.Context(), feeder, nil, weft.Bundle{"array": []any{map[string]any{"a": 1.0}, "x"}}, nil)
	if err != nil || len(out) != 2 {
		t.Fatalf("err %v out %v", err, out)
	}
	if out[0]["a"] != 1.0 || out[0]["__IMTINDEX__"] != 1.0 || out[1]["value"] != "x" || out[1]["__IMTLENGTH__"] != 2.0 {
		t.Fatalf("bundles %v", out)
	}
	for _, empty := range []any{nil, "", []any{}} {
		if out, _ := apptest.Run(t.Context(), feeder, nil, weft.Bundle{"array": empty}, nil); len(out) != 0 {
			t.Fatalf("%#v gave %v", empty, out)
		}
	}
	rep := apptest.Spec(t, builtin.Register, "builtin:BasicRepeater")
	out, err = apptest.Run(t.Context(), rep, nil, weft.Bundle{"repeats": "3", "start": "0", "step": "-2"}, nil)
	if err != nil || len(out) != 3 || out[2]["i"] != -4.0 {
		t.Fatalf("err %v out %v", err, out)
	}
	_, err = apptest.Run(t.Context(), rep, nil, weft.Bundle{"repeats": "10001"}, nil)
	apptest.WantError(t, err, weft.DataError, "repeats")
}

func TestReadBreak(t *testing.T) {
	b := builtin.ReadBreak(weft.Bundle{})
	if !b.Retry || b.Count != 3 || b.Interval.Minutes() != 15 {
		t.Fatalf("defaults %+v", b)
	}
	b = builtin.ReadBreak(weft.Bundle{"retry": false, "count": 7.0, "interval": 60.0})
	if b.Retry || b.Count != 7 || b.Interval.Hours() != 1 {
		t.Fatalf("%+v", b)
	}
}

func TestIteratorAndRepeaterWithinTheRunsLimits(t *testing.T) {
	run := limits.Start(limits.Limits{MaxBundles: 100}, limits.Limits{}, nil)
	ctx := limits.NewContext(t.Context(), run)
	feeder := apptest.Spec(t, builtin.Register, "builtin:BasicFeeder")
	rep := apptest.Spec(t, builtin.Register, "builtin:BasicRepeater")
	// Refused before a bundle is made.
	_, err := apptest.Run(ctx, feeder, nil, weft.Bundle{"array": make([]any, 101)}, nil)
	if ex, ok := limits.As(err); !ok || ex.Key != "maxBundles" || !strings.Contains(err.Error(), "the iterator emits 101 bundles") {
		t.Fatalf("iterator: %v", err)
	}
	_, err = apptest.Run(ctx, rep, nil, weft.Bundle{"repeats": "101"}, nil)
	if ex, ok := limits.As(err); !ok || ex.Key != "maxBundles" {
		t.Fatalf("repeater: %v", err)
	}
	if out, err := apptest.Run(ctx, feeder, nil, weft.Bundle{"array": make([]any, 100)}, nil); err != nil || len(out) != 100 {
		t.Fatalf("at the limit: %d, %v", len(out), err)
	}
	// A run past its deadline (the context ended) stops copying a long array.
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := apptest.Run(ended, feeder, nil, weft.Bundle{"array": make([]any, 50_000)}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v", err)
	}
}
