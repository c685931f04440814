package service_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

// formsStandIn is a stand-in for the Google Forms API's forms.responses.list: it keeps
// the filter each request asked for and answers with the responses submitted at or
// after it ("timestamp >= N"), as Google documents the filter.
type formsStandIn struct {
	*httptest.Server
	mu        sync.Mutex
	responses []map[string]any
	filters   []string
}

func newForms(t *testing.T) *formsStandIn {
	f := &formsStandIn{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/forms/FORM1/responses" || r.Header.Get("Authorization") != "Bearer ya29.forms" {
			w.WriteHeader(404)
			return
		}
		filter := r.URL.Query().Get("filter")
		var since time.Time
		if ts, ok := strings.CutPrefix(filter, "timestamp >= "); ok {
			since, _ = time.Parse(time.RFC3339Nano, ts)
		}
		f.mu.Lock()
		f.filters = append(f.filters, filter)
		var list []any
		for _, resp := range f.responses {
			at, _ := time.Parse(time.RFC3339Nano, resp["lastSubmittedTime"].(string))
			if !at.Before(since) {
				list = append(list, resp)
			}
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"responses": list})
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *formsStandIn) submit(name string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ts := at.UTC().Format(time.RFC3339Nano)
	f.responses = append(f.responses, map[string]any{"responseId": "r-" + name, "createTime": ts, "lastSubmittedTime": ts,
		"answers": map[string]any{"036dcc01": map[string]any{"questionId": "036dcc01",
			"textAnswers": map[string]any{"answers": []any{map[string]any{"value": name}}}}}})
}

// google-forms:watchResponses through the service and a real SQLite store: activation
// starts from now on, each run asks the API only for what was submitted since the
// stored position and emits each response once, a run that fails downstream leaves the
// position where it was.
func TestGoogleFormsWatchResponses(t *testing.T) {
	forms, out := newForms(t), newSink(t)
	t.Setenv("WEFT_APP_BASEURL_GOOGLE_FORMS", forms.URL)
	e := newEnv(t, withSecrets(keyring(t, "a")))
	conn, err := e.svc.CreateConnection(t.Context(), "forms", "google", map[string]any{"accessToken": "ya29.forms"})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	forms.submit("Ann", base)
	// Blueprint 252's trigger parameters; the order is posted to a stand-in (its
	// answer text, as 252 maps it into a sheet).
	flow := fmt.Sprintf(`[{"id":2,"module":"google-forms:watchResponses","version":2,"parameters":{"limit":2,"formId":"FORM1","__IMTCONN__":%d},"mapper":{}},
		{"id":5,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":%q,"method":"post","contentType":"json","inputMethod":"jsonString",
		 "jsonStringBodyContent":"{\"item\":\"{{2.answers.`+"`036dcc01`"+`.textAnswers.answers[].value}}\"}"}}]`, conn.ID, out.URL+"/in")
	id := e.scenario(flow, "")
	if _, err := e.svc.SetActive(t.Context(), id, true); err != nil {
		t.Fatal(err)
	}
	forms.submit("Bob", base.Add(time.Hour))
	forms.submit("Cid", base.Add(2*time.Hour))
	forms.submit("Dee", base.Add(3*time.Hour))
	e.poll(id)
	wantItems(t, "limit 2 from now on", out.items(), "Bob", "Cid")
	forms.mu.Lock()
	last := forms.filters[len(forms.filters)-1]
	forms.mu.Unlock()
	if last != "timestamp >= 2026-03-01T10:00:00Z" {
		t.Fatalf("the first run asked %q; want the responses since the position fixed at activation", last)
	}
	// The sink answers 500, a RuntimeError: the run fails without an incomplete
	// execution and the position stays, so the next run sends Dee again.
	out.setStatus(500)
	if rr := e.poll(id); rr.Result.Status != weft.StatusError || len(rr.Incomplete) != 0 {
		t.Fatalf("status %s, %d incomplete executions", rr.Result.Status, len(rr.Incomplete))
	}
	out.setStatus(200)
	e.poll(id)
	wantItems(t, "Dee once more after the failed run", out.items(), "Bob", "Cid", "Dee", "Dee")
	e.poll(id)
	if len(out.items()) != 4 {
		t.Fatalf("nothing new, yet: %q", out.items())
	}
	forms.mu.Lock()
	last = forms.filters[len(forms.filters)-1]
	forms.mu.Unlock()
	if last != "timestamp >= 2026-03-01T13:00:00Z" {
		t.Fatalf("the last run asked %q; want the responses since Dee", last)
	}
}
