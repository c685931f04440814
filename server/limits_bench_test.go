package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkLimits is the cost of the connection limits on one request over loopback
// (a body read to its end, a small answer): "plain" is the handler alone.
func BenchmarkLimits(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"ok":true}`)
	})
	s := &Server{cfg: Config{}.limitDefaults()}
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"plain", h}, {"limited", s.limited(h)}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := httptest.NewUnstartedServer(tc.h)
			if tc.name == "limited" {
				srv.Config = s.httpServer(h)
			}
			srv.Start()
			defer srv.Close()
			c := srv.Client()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.Post(srv.URL, "application/json", strings.NewReader(`{"id":1}`))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
