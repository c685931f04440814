package gmail_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/engine"
)

// sink receives what the scenario's second module posts; it fails while failing is set.
type sink struct {
	*httptest.Server
	mu      sync.Mutex
	got     []string
	failing bool
}

func newSink(t *testing.T) *sink {
	k := &sink{}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.failing {
			w.WriteHeader(500)
			return
		}
		k.got = append(k.got, string(b))
	}))
	t.Cleanup(k.Close)
	return k
}

func (k *sink) items() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.got...)
}

// watchScenario is triggerWatchNewEmails (params) posting each email's id, subject and
// sender to the sink.
func watchScenario(t *testing.T, s *standIn, k *sink, params string) (*engine.Engine, *engine.Plan) {
	t.Helper()
	exec := apptest.NewExec()
	exec.Connections = conn(s.token)
	eng, err := apptest.Engine(exec, spec(t, s, "google-email:triggerWatchNewEmails"), apptest.Spec(t, httpmod.Register, "http:MakeRequest"))
	if err != nil {
		t.Fatal(err)
	}
	flow := `[{"id": 1, "module": "google-email:triggerWatchNewEmails", "version": 4, "parameters": ` + params + `},
		{"id": 2, "module": "http:MakeRequest", "version": 4, "parameters": {"authenticationType": "noAuth"},
		 "mapper": {"url": "` + k.URL + `", "method": "post", "contentType": "json", "inputMethod": "jsonString",
		 "jsonStringBodyContent": "{{1.id}} {{1.subject}} {{1.fromName}} {{formatDate(1.internalDate; \"YYYY-MM-DD\")}}"}}]`
	p, err := apptest.Compile(eng, flow, `{"dlq": false}`)
	if err != nil {
		t.Fatal(err)
	}
	return eng, p
}

func (s *standIn) deliver(id, subject string, date time.Time, labels ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.box = append(s.box, &boxMsg{id: id, subject: subject, date: date.UnixMilli(), labels: labels})
}

func (s *standIn) labelsOf(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.box {
		if m.id == id {
			return append([]string(nil), m.labels...)
		}
	}
	return nil
}

var day = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)

// Blueprint 360's trigger (simple search, INBOX, is:unread, mark read, limit 10): new
// emails oldest first, each once; marked read once the run that processed them
// committed; a failed run loses nothing, though the search asks for unread emails.
func TestWatchEmailsUnreadMarkedAfterCommit(t *testing.T) {
	s, k := newStandIn(t), newSink(t)
	eng, p := watchScenario(t, s, k, `{"__IMTCONN__": 1, "filterType": "simpleSearch", "format": "full", "folder": "INBOX",
		"criteria": "is:unread", "markSeen": true, "limit": 2, "from": "", "subject": "", "includeWords": "", "excludeWords": "",
		"size": {"criteria": "larger", "amount": null, "unit": "M"}, "hasAttachment": false}`)
	s.deliver("a1", "Order 1", day.Add(1*time.Hour), "INBOX", "UNREAD")
	s.deliver("a2", "Order 2", day.Add(2*time.Hour), "INBOX", "UNREAD", "Label_7")
	s.deliver("a3", "Order 3", day.Add(3*time.Hour), "INBOX", "UNREAD")
	s.deliver("old", "Read already", day.Add(30*time.Minute), "INBOX")

	run := func(pos json.RawMessage) *engine.Result {
		t.Helper()
		res, err := eng.Run(context.Background(), p, engine.Input{Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run(nil)
	if res.Status != weft.StatusSuccess || !res.Committed {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	want := []string{"a1 Order 1 Ann Büyer 2026-01-02", "a2 Order 2 Ann Büyer 2026-01-02"}
	if got := k.items(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("first run posted %q, want %q", got, want)
	}
	if l := s.labelsOf("a1"); !contains(l, "UNREAD") {
		t.Fatalf("a1 marked read before the next poll: %v", l)
	}

	// The next run fails downstream (dlq off): nothing is committed, a3 stays unread.
	k.mu.Lock()
	k.failing = true
	k.mu.Unlock()
	failed := run(res.Position)
	if failed.Status != weft.StatusError || failed.Committed {
		t.Fatalf("status %s", failed.Status)
	}
	if contains(s.labelsOf("a1"), "UNREAD") || contains(s.labelsOf("a2"), "UNREAD") {
		t.Fatalf("the committed emails are still unread: %v %v", s.labelsOf("a1"), s.labelsOf("a2"))
	}
	if !contains(s.labelsOf("a3"), "UNREAD") {
		t.Fatalf("a3 was marked read by a run that failed: %v", s.labelsOf("a3"))
	}

	// The run after it gets a3 again.
	k.mu.Lock()
	k.failing = false
	k.mu.Unlock()
	res = run(res.Position)
	if res.Status != weft.StatusSuccess {
		t.Fatalf("status %s error %+v", res.Status, res.Error)
	}
	if got := k.items(); len(got) != 3 || got[2] != "a3 Order 3 Ann Büyer 2026-01-02" {
		t.Fatalf("posted %q", got)
	}
	// Nothing new: nothing emitted; a3 is marked read by this poll.
	res2 := run(res.Position)
	if res2.Operations != 1 || len(k.items()) != 3 || contains(s.labelsOf("a3"), "UNREAD") {
		t.Fatalf("operations %d items %d labels %v", res2.Operations, len(k.items()), s.labelsOf("a3"))
	}
	var paths []string
	for _, r := range s.requests() {
		if r.Method == "GET" && r.Path == "/gmail/v1/users/me/messages" {
			paths = append(paths, r.Query)
		}
	}
	if paths[0] != "labelIds=INBOX&maxResults=500&q=is%3Aunread" || !strings.Contains(paths[1], "after%3A1767319199") {
		t.Errorf("searches %v", paths)
	}
}

// The bundle: Make's interface fields, from a full message.
func TestWatchEmailsBundle(t *testing.T) {
	s := newStandIn(t)
	s.deliver("b1", "Invoice =?UTF-8?Q?N=C2=BA?= 7", day, "INBOX", "UNREAD", "CATEGORY_UPDATES", "Label_7")
	exec := apptest.NewExec()
	exec.Connections = conn(s.token)
	sp := spec(t, s, "google-email:triggerWatchNewEmails")
	params := decode(t, `{"__IMTCONN__": 1, "filterType": "gmailSearch", "q": "subject:invoice\nhas:attachment", "limit": 1, "format": "full", "markSeen": false}`)
	p, err := buildPoller(t, sp, params)
	if err != nil {
		t.Fatal(err)
	}
	items, err := p.Poll(context.Background(), callFor(params, exec), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Key != "b1" {
		t.Fatalf("items %+v", items)
	}
	b := items[0].Bundle
	sameJSON(t, "bundle", b, `{"id": "b1", "threadId": "t-b1", "snippet": "Invoice =?UTF-8?Q?N=C2=BA?= 7…", "historyId": "9b1",
		"subject": "Invoice Nº 7", "labelIds": ["INBOX", "UNREAD", "CATEGORY_UPDATES", "Label_7"], "sizeEstimate": 2048,
		"internalDate": "2026-01-02T00:00:00.000Z", "fromName": "Ann Büyer", "fromEmail": "ann@shop.example",
		"to": [{"name": "", "email": "me@example.com"}], "cc": [], "bcc": [],
		"headers": {"From": "=?UTF-8?Q?Ann_B=C3=BCyer?= <ann@shop.example>", "To": "me@example.com",
			"Subject": "Invoice =?UTF-8?Q?N=C2=BA?= 7", "Message-ID": "<b1@shop.example>"},
		"fullTextBody": "plain b1", "htmlBody": "<p>b1</p>", "hasAttachment": false, "hasMedia": false,
		"sysFolders": [{"id": "INBOX", "name": "Inbox"}, {"id": "UNREAD", "name": "Unread"}],
		"categoryFolders": [{"id": "CATEGORY_UPDATES", "name": "Updates"}],
		"userLabelFolders": [{"id": "Label_7", "name": "Invoices"}]}`)
	for _, r := range s.requests() {
		if r.Path == "/gmail/v1/users/me/messages" && r.Query != "maxResults=500&q=subject%3Ainvoice+has%3Aattachment" {
			t.Errorf("search %q", r.Query)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// buildPoller builds a polling trigger from its parameters, as the engine does.
func buildPoller(t *testing.T, sp *app.Spec, params weft.Bundle) (app.Poller, error) {
	t.Helper()
	p, err := app.PrepareParameters(sp, params)
	if err != nil {
		return nil, err
	}
	for k, v := range p {
		params[k] = v
	}
	m, err := sp.New(app.Config{ModuleID: 1, Version: 4, Parameters: p})
	if err != nil {
		return nil, err
	}
	return m.(app.Poller), nil
}

func callFor(params weft.Bundle, exec app.Execution) *app.Call {
	return &app.Call{ModuleID: 1, Params: params, Exec: exec}
}

// Where the trigger starts: now (after the newest matching email), last:N, a date, all.
func TestWatchEmailsStart(t *testing.T) {
	s := newStandIn(t)
	for i, id := range []string{"c1", "c2", "c3", "c4"} {
		s.deliver(id, "Mail "+id, day.Add(time.Duration(i)*time.Hour), "INBOX")
	}
	exec := apptest.NewExec()
	exec.Connections = conn(s.token)
	params := decode(t, `{"__IMTCONN__": 1, "folder": "INBOX", "limit": 10}`)
	p, err := buildPoller(t, spec(t, s, "google-email:triggerWatchNewEmails"), params)
	if err != nil {
		t.Fatal(err)
	}
	emitted := func(from app.StartFrom) string {
		t.Helper()
		pos, err := p.Start(context.Background(), callFor(params, exec), from)
		if err != nil {
			t.Fatal(err)
		}
		items, err := p.Poll(context.Background(), callFor(params, exec), pos)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range items {
			ids = append(ids, it.Key)
		}
		return strings.Join(ids, " ")
	}
	for _, tc := range []struct {
		from app.StartFrom
		want string
	}{
		{app.StartFrom{Mode: app.StartNow}, ""},
		{app.StartFrom{Mode: app.StartLast, Last: 2}, "c3 c4"},
		{app.StartFrom{Mode: app.StartLast, Last: 9}, "c1 c2 c3 c4"},
		{app.StartFrom{Mode: app.StartSince, Since: day.Add(time.Hour)}, "c2 c3 c4"},
		{app.StartFrom{Mode: app.StartAll}, "c1 c2 c3 c4"},
	} {
		if got := emitted(tc.from); got != tc.want {
			t.Errorf("start %s: emitted %q, want %q", tc.from, got, tc.want)
		}
	}
}

// Blueprint 113's legacy trigger (INBOX, ALL, one per run): the email as the email app
// parses it, its attachments with their data for a Drive upload.
func TestLegacyTriggerNewEmail(t *testing.T) {
	s := newStandIn(t)
	s.deliver("d1", "Scan", day, "INBOX", "UNREAD")
	s.deliver("d2", "Scan 2", day.Add(time.Minute), "INBOX")
	exec := apptest.NewExec()
	exec.Connections = map[string]weft.Bundle{"5417158": {"provider": "google", "accessToken": s.token}}
	params := decode(t, `{"from": "", "text": "", "folder": "INBOX", "account": 5417158, "subject": "", "criteria": "ALL",
		"markSeen": false, "maxResults": 1, "searchType": "simple"}`)
	p, err := buildPoller(t, spec(t, s, "google-email:TriggerNewEmail"), params)
	if err != nil {
		t.Fatal(err)
	}
	items, err := p.Poll(context.Background(), callFor(params, exec), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("%d items, want 1 (maxResults)", len(items))
	}
	b := items[0].Bundle
	atts := b["attachments"].([]any)
	if b["id"] != "d1" || b["subject"] != "Scan" || b["text"] != "See attached." || len(atts) != 1 ||
		atts[0].(map[string]any)["fileName"] != "d1.pdf" || string(atts[0].(map[string]any)["data"].([]byte)) != "%PDF d1" {
		t.Fatalf("bundle %v", b)
	}
	var gets []string
	for _, r := range s.requests() {
		gets = append(gets, r.Path+"?"+r.Query)
	}
	if gets[0] != "/gmail/v1/users/me/messages?labelIds=INBOX&maxResults=500" || gets[1] != "/gmail/v1/users/me/messages/d1?format=raw" {
		t.Errorf("requests %v", gets)
	}
}

// The triggers' failures are typed by the Gmail table (errors.go), both when choosing
// where to start and when polling: the run stops at the trigger and the position stays
// (SPEC §3.2), so nothing is lost.
func TestWatchEmailsErrors(t *testing.T) {
	const list = "/gmail/v1/users/me/messages"
	for _, tc := range []struct {
		name, token string
		status      int
		body        string
		want        weft.ErrorType
	}{
		{"401 token rejected twice", "ya29.revoked", 0, "", weft.InvalidAccessTokenError},
		{"403 scope missing", "", 403, googleError(403, "PERMISSION_DENIED", "insufficientPermissions", "Request had insufficient authentication scopes."), weft.InvalidAccessTokenError},
		{"400 bad search", "", 400, googleError(400, "INVALID_ARGUMENT", "invalidArgument", "Invalid query"), weft.DataError},
		{"429 rate limit", "", 429, googleError(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded", "Too many concurrent requests for user"), weft.RateLimitError},
		{"500 backend", "", 500, googleError(500, "INTERNAL", "backendError", "Backend Error"), weft.RuntimeError},
		{"503 unavailable", "", 503, googleError(503, "UNAVAILABLE", "backendError", "The service is currently unavailable."), weft.ConnectionError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t)
			s.deliver("c1", "Mail", day, "INBOX")
			exec := apptest.NewExec()
			exec.Connections = conn(s.token)
			if tc.token != "" {
				exec.Connections = conn(tc.token)
			} else {
				s.failing("GET", list, tc.status, nil, tc.body)
			}
			for _, name := range []string{"google-email:triggerWatchNewEmails", "google-email:TriggerNewEmail"} {
				params := decode(t, `{"__IMTCONN__": 1, "folder": "INBOX", "limit": 10}`)
				if name == "google-email:TriggerNewEmail" {
					params = decode(t, `{"account": 1, "folder": "INBOX", "criteria": "ALL", "maxResults": 1, "searchType": "simple"}`)
				}
				p, err := buildPoller(t, spec(t, s, name), params)
				if err != nil {
					t.Fatal(err)
				}
				_, err = p.Start(context.Background(), callFor(params, exec), app.StartFrom{Mode: app.StartLast, Last: 2})
				apptest.WantError(t, err, tc.want, "")
				_, err = p.Poll(context.Background(), callFor(params, exec), nil)
				apptest.WantError(t, err, tc.want, "")
			}
		})
	}
}
