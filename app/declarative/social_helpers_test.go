package declarative_test

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// answer makes the stand-in answer r from now on.
func (s *standIn) answer(r reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies, s.fn = []reply{r}, nil
}

// documented is one row of a service's documented error table: its answer, the error
// type weft reports, words of the message and, when set, the delay a retry waits.
type documented struct {
	name       string
	reply      reply
	typ        weft.ErrorType
	message    string
	retryAfter time.Duration
}

// checkDocumented runs an app's error table through apptest.CheckErrors: every row on
// the module directly and through the engine (module 2 after a webhook), where the
// type must have its SPEC §3.2 consequence (retried, kept for a person, run fails).
func checkDocumented(t *testing.T, appName, module string, creds weft.Bundle, mapper string, rows []documented) {
	t.Helper()
	s := newStandIn(t)
	spec := shipped(t, appName, module, s)
	cases := make([]apptest.ErrorCase, 0, len(rows))
	for _, r := range rows {
		c := apptest.ErrorCase{Name: r.name, Params: weft.Bundle{"__IMTCONN__": "1"}, Mapper: decode(t, mapper),
			Connections: map[string]weft.Bundle{"1": creds}, Want: r.typ, WantMessage: r.message,
			Setup: func(testing.TB, *apptest.ErrorCase) { s.answer(r.reply) }}
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

// formPart is one part of a multipart/form-data request a stand-in received.
type formPart struct {
	Name, FileName, Type, Body string
}

// formParts decodes a multipart/form-data request body, parts in order.
func formParts(t testing.TB, contentType, body string) []formPart {
	t.Helper()
	parts, err := parseForm(contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// parseForm is formParts for stand-ins, which answer a bad body instead of failing.
func parseForm(contentType, body string) ([]formPart, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, fmt.Errorf("Content-Type %q is not multipart/form-data with a boundary (%v)", contentType, err)
	}
	var out []formPart
	mr := multipart.NewReader(strings.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("multipart body: %w", err)
		}
		b, _ := io.ReadAll(p)
		out = append(out, formPart{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), string(b)})
	}
}
