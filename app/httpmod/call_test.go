package httpmod

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

func TestIdempotencyKeyHeader(t *testing.T) {
	srv, last := recorder(t, nil)
	tests := []struct {
		name   string
		module string
		params weft.Bundle
		mapper weft.Bundle
		want   string
	}{
		{"v4 POST", "http:MakeRequest", nil, weft.Bundle{"method": "post"}, "key-42"},
		{"v4 PUT", "http:MakeRequest", nil, weft.Bundle{"method": "put"}, "key-42"},
		{"v4 PATCH", "http:MakeRequest", nil, weft.Bundle{"method": "patch"}, "key-42"},
		{"v4 DELETE", "http:MakeRequest", nil, weft.Bundle{"method": "delete"}, "key-42"},
		{"v4 GET has none", "http:MakeRequest", nil, weft.Bundle{"method": "get"}, ""},
		{"v4 HEAD has none", "http:MakeRequest", nil, weft.Bundle{"method": "head"}, ""},
		{"v4 OPTIONS has none", "http:MakeRequest", nil, weft.Bundle{"method": "options"}, ""},
		{"the user's header wins", "http:MakeRequest", nil, weft.Bundle{"method": "post",
			"headers": []any{map[string]any{"name": "idempotency-key", "value": "mine"}}}, "mine"},
		{"turned off", "http:MakeRequest", weft.Bundle{"idempotencyKey": false}, weft.Bundle{"method": "post"}, ""},
		{"v3 POST", "http:ActionSendData", nil, weft.Bundle{"method": "post"}, "key-42"},
		{"v3 turned off", "http:ActionSendData", weft.Bundle{"idempotencyKey": false}, weft.Bundle{"method": "post"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec := apptest.NewExec()
			exec.Key = "key-42"
			tt.mapper["url"] = srv.URL
			if _, err := apptest.Run(context.Background(), specOf(t, tt.module, Options{}), tt.params, tt.mapper, exec); err != nil {
				t.Fatal(err)
			}
			if got := last().Header.Get("Idempotency-Key"); got != tt.want {
				t.Errorf("Idempotency-Key %q, want %q", got, tt.want)
			}
		})
	}
}

// shareCookies: the run's modules that share cookies share one jar; others neither
// send nor keep cookies; another run starts empty.
func TestSharedCookies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc", Path: "/"})
			// A redirect that needs the cookie already (Make's login flows do this).
			http.Redirect(w, r, "/home", http.StatusFound)
			return
		}
		c, err := r.Cookie("session")
		w.Header().Set("Content-Type", "text/plain")
		if err != nil {
			io.WriteString(w, "anonymous")
			return
		}
		io.WriteString(w, "session "+c.Value)
	}))
	defer srv.Close()
	call := func(exec *apptest.Exec, module, path string, share bool) any {
		t.Helper()
		out, err := apptest.Run(context.Background(), specOf(t, module, Options{}), nil,
			weft.Bundle{"url": srv.URL + path, "shareCookies": share}, exec)
		if err != nil {
			t.Fatal(err)
		}
		return out[0]["data"]
	}
	run1 := apptest.NewExec()
	deepEqual(t, "login follows the redirect with its cookie", call(run1, "http:MakeRequest", "/login", true), "session abc")
	deepEqual(t, "v3 in the same run", call(run1, "http:ActionSendData", "/me", true), "session abc")
	deepEqual(t, "Get a file in the same run", string(call(run1, "http:ActionGetFile", "/me", true).([]byte)), "session abc")
	deepEqual(t, "a module that does not share", call(run1, "http:MakeRequest", "/me", false), "anonymous")
	deepEqual(t, "another run", call(apptest.NewExec(), "http:MakeRequest", "/me", true), "anonymous")

	run2 := apptest.NewExec()
	deepEqual(t, "login without sharing", call(run2, "http:MakeRequest", "/login", false), "anonymous")
	deepEqual(t, "nothing was kept", call(run2, "http:MakeRequest", "/me", true), "anonymous")
}
