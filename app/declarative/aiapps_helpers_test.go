package declarative_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// set makes the stand-in answer r from now on.
func (s *standIn) set(r reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies, s.fn = []reply{r}, nil
}

// tableCase is one row of an app's documented error table: the service's answer, the
// error type weft reports for it, words of the message and, when set, the delay an
// automatic retry waits.
type tableCase struct {
	name       string
	reply      reply
	typ        weft.ErrorType
	message    string
	retryAfter time.Duration
}

// errorTable checks an app's error table with apptest.CheckErrors: every row runs on
// the module directly and through the engine (module 2 after a webhook), where the
// type must have its SPEC §3.2 consequence. One stand-in answers each row's reply.
func errorTable(t *testing.T, appName, module string, creds weft.Bundle, mapper string, rows []tableCase) {
	t.Helper()
	s := newStandIn(t)
	spec := shipped(t, appName, module, s)
	cases := make([]apptest.ErrorCase, 0, len(rows))
	for _, r := range rows {
		c := apptest.ErrorCase{Name: r.name, Params: weft.Bundle{"__IMTCONN__": "1"}, Mapper: decode(t, mapper),
			Connections: map[string]weft.Bundle{"1": creds}, Want: r.typ, WantMessage: r.message,
			Setup: func(testing.TB, *apptest.ErrorCase) { s.set(r.reply) }}
		if r.retryAfter > 0 {
			c.Check = func(t testing.TB, e *weft.Error) {
				if e.RetryAfter != r.retryAfter {
					t.Errorf("RetryAfter %s, want %s", e.RetryAfter, r.retryAfter)
				}
			}
		}
		cases = append(cases, c)
	}
	apptest.CheckErrors(t, spec, cases)
}

// part is one part of a multipart body a stand-in received.
type part struct {
	header map[string][]string
	body   []byte
}

// multipartBody splits a received multipart body by the boundary its Content-Type
// names; kind is the media type wanted (multipart/related, multipart/form-data).
func multipartBody(t *testing.T, g got, kind string) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(g.Header.Get("Content-Type"))
	if err != nil || mt != kind || params["boundary"] == "" {
		t.Fatalf("Content-Type %q, want %s with a boundary (%v)", g.Header.Get("Content-Type"), kind, err)
	}
	r := multipart.NewReader(strings.NewReader(g.Body), params["boundary"])
	var out []part
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("multipart body: %v", err)
		}
		var b bytes.Buffer
		if _, err := io.Copy(&b, p); err != nil {
			t.Fatal(err)
		}
		out = append(out, part{header: p.Header, body: b.Bytes()})
	}
}
