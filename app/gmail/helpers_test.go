package gmail_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/app/gmail"
	"github.com/weftworks/weft/value"
)

// got is one request the stand-in received.
type got struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
}

// standIn is a Gmail API on 127.0.0.1 that follows the public reference
// (https://developers.google.com/gmail/api/reference/rest): messages.send takes
// {"raw": base64url, "threadId"?} and answers the message resource; getProfile,
// threads.get, messages.get and attachments.get answer what the test put in. Access
// tokens are checked: only token (or, when set, what valid accepts) passes.
type standIn struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []got
	sent     [][]byte // raw messages sent
	token    string
	valid    func(auth string) bool
	fail     map[string]reply // "METHOD path" → forced answer
	threads  map[string]string
	messages map[string]string
	atts     map[string]string // attachment id → data (base64url)
	hang     bool              // answer nothing until the client gives up
	box      []*boxMsg         // the mailbox messages.list searches
}

// boxMsg is a message of the stand-in's mailbox.
type boxMsg struct {
	id, subject string
	date        int64 // internalDate, ms
	labels      []string
}

func (b *boxMsg) json() string {
	labels, _ := json.Marshal(b.labels)
	return `{"id": "` + b.id + `", "threadId": "t-` + b.id + `", "labelIds": ` + string(labels) + `, "snippet": "` + b.subject + `…",
		"historyId": "9` + b.id + `", "internalDate": "` + strconv.FormatInt(b.date, 10) + `", "sizeEstimate": 2048,
		"payload": {"mimeType": "multipart/alternative", "headers": [
			{"name": "From", "value": "=?UTF-8?Q?Ann_B=C3=BCyer?= <ann@shop.example>"}, {"name": "To", "value": "me@example.com"},
			{"name": "Subject", "value": "` + b.subject + `"}, {"name": "Message-ID", "value": "<` + b.id + `@shop.example>"}],
		"parts": [{"partId": "0", "mimeType": "text/plain", "body": {"size": 5, "data": "` + base64.URLEncoding.EncodeToString([]byte("plain "+b.id)) + `"}},
			{"partId": "1", "mimeType": "text/html", "body": {"size": 9, "data": "` + base64.URLEncoding.EncodeToString([]byte("<p>"+b.id+"</p>")) + `"}}]}}`
}

// rawJSON is the message as messages.get format=raw answers it.
func (b *boxMsg) rawJSON() string {
	raw := "From: Ann <ann@shop.example>\r\nTo: me@example.com\r\nSubject: " + b.subject + "\r\nMessage-ID: <" + b.id + "@shop.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n" +
		"--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"" + b.id + ".pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("%PDF "+b.id)) + "\r\n--XX--\r\n"
	return `{"id": "` + b.id + `", "threadId": "t-` + b.id + `", "labelIds": ["INBOX"], "internalDate": "` + strconv.FormatInt(b.date, 10) +
		`", "raw": "` + base64.URLEncoding.EncodeToString([]byte(raw)) + `"}`
}

// search answers messages.list from the mailbox: newest first, after:SECONDS,
// is:unread and labelIds honoured (the terms the tests use).
func (s *standIn) search(q url.Values) []string {
	var after int64 = -1
	unread := false
	for _, term := range strings.Fields(q.Get("q")) {
		if v, ok := strings.CutPrefix(term, "after:"); ok {
			after, _ = strconv.ParseInt(v, 10, 64)
		}
		if term == "is:unread" {
			unread = true
		}
	}
	var hits []*boxMsg
	for _, m := range s.box {
		if after >= 0 && m.date/1000 <= after {
			continue
		}
		if unread && !slices.Contains(m.labels, "UNREAD") {
			continue
		}
		ok := true
		for _, l := range q["labelIds"] {
			ok = ok && slices.Contains(m.labels, l)
		}
		if ok {
			hits = append(hits, m)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].date > hits[j].date })
	var ids []string
	for _, m := range hits {
		ids = append(ids, m.id)
	}
	return ids
}

type reply struct {
	status int
	body   string
	header map[string]string
}

func newStandIn(t *testing.T) *standIn {
	s := &standIn{token: "ya29.test", fail: map[string]reply{}, threads: map[string]string{},
		messages: map[string]string{}, atts: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, got{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	f, forced := s.fail[r.Method+" "+r.URL.Path]
	valid, hang := s.valid, s.hang
	s.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	auth := r.Header.Get("Authorization")
	if (valid != nil && !valid(auth)) || (valid == nil && auth != "Bearer "+s.token) {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED",
			"errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError","location":"Authorization","locationType":"header"}]}}`)
		return
	}
	if forced {
		for k, v := range f.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(f.status)
		io.WriteString(w, f.body)
		return
	}
	const users = "/gmail/v1/users/me/"
	p := strings.TrimPrefix(r.URL.Path, users)
	switch {
	case r.Method == "POST" && p == "messages/send":
		var req struct{ Raw, ThreadID string }
		if err := json.Unmarshal(body, &req); err != nil || req.Raw == "" {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400,"message":"'raw' RFC822 payload message string or uploading message via /upload/* URL required","status":"INVALID_ARGUMENT"}}`)
			return
		}
		raw, err := base64.URLEncoding.DecodeString(req.Raw)
		if err != nil {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400,"message":"Invalid value for ByteString","status":"INVALID_ARGUMENT"}}`)
			return
		}
		s.mu.Lock()
		s.sent = append(s.sent, raw)
		n := len(s.sent)
		s.mu.Unlock()
		thread := req.ThreadID
		if thread == "" {
			thread = "t" + itoa(n)
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "m" + itoa(n), "threadId": thread, "labelIds": []string{"SENT"}})
	case r.Method == "GET" && p == "messages":
		s.mu.Lock()
		ids := s.search(r.URL.Query())
		s.mu.Unlock()
		list := []map[string]string{}
		for _, id := range ids {
			list = append(list, map[string]string{"id": id, "threadId": "t-" + id})
		}
		json.NewEncoder(w).Encode(map[string]any{"messages": list, "resultSizeEstimate": len(list)})
	case r.Method == "POST" && p == "messages/batchModify":
		var req struct {
			IDs            []string `json:"ids"`
			RemoveLabelIDs []string `json:"removeLabelIds"`
		}
		json.Unmarshal(body, &req)
		s.mu.Lock()
		for _, m := range s.box {
			if slices.Contains(req.IDs, m.id) {
				m.labels = slices.DeleteFunc(m.labels, func(l string) bool { return slices.Contains(req.RemoveLabelIDs, l) })
			}
		}
		s.mu.Unlock()
		w.WriteHeader(204)
	case r.Method == "GET" && p == "labels":
		io.WriteString(w, `{"labels": [{"id": "INBOX", "name": "INBOX", "type": "system"}, {"id": "Label_7", "name": "Invoices", "type": "user"}]}`)
	case r.Method == "POST" && p == "drafts":
		var req struct {
			Message struct{ Raw, ThreadID string } `json:"message"`
		}
		json.Unmarshal(body, &req)
		raw, err := base64.URLEncoding.DecodeString(req.Message.Raw)
		if err != nil || req.Message.Raw == "" {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400,"message":"Invalid draft","status":"INVALID_ARGUMENT"}}`)
			return
		}
		s.mu.Lock()
		s.sent = append(s.sent, raw)
		s.mu.Unlock()
		thread := req.Message.ThreadID
		if thread == "" {
			thread = "t-draft"
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "r-1", "message": map[string]any{"id": "m-d1", "threadId": thread, "labelIds": []string{"DRAFT"}}})
	case r.Method == "POST" && strings.HasPrefix(p, "messages/") && strings.HasSuffix(p, "/modify"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "messages/"), "/modify")
		var req struct {
			Add    []string `json:"addLabelIds"`
			Remove []string `json:"removeLabelIds"`
		}
		json.Unmarshal(body, &req)
		s.mu.Lock()
		var labels []string
		found := false
		for _, m := range s.box {
			if m.id == id {
				found = true
				m.labels = slices.DeleteFunc(m.labels, func(l string) bool { return slices.Contains(req.Remove, l) })
				for _, l := range req.Add {
					if !slices.Contains(m.labels, l) {
						m.labels = append(m.labels, l)
					}
				}
				labels = append([]string(nil), m.labels...)
			}
		}
		s.mu.Unlock()
		if !found {
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id": id, "threadId": "t-" + id, "labelIds": labels})
	case r.Method == "GET" && p == "profile":
		io.WriteString(w, `{"emailAddress":"me@example.com","messagesTotal":12,"threadsTotal":7,"historyId":"991"}`)
	case r.Method == "GET" && strings.HasPrefix(p, "threads/"):
		s.answer(w, s.threads, strings.TrimPrefix(p, "threads/"))
	case r.Method == "GET" && strings.HasPrefix(p, "messages/") && strings.Contains(p, "/attachments/"):
		id := p[strings.LastIndex(p, "/")+1:]
		s.mu.Lock()
		data, ok := s.atts[id]
		s.mu.Unlock()
		if !ok {
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"attachmentId": id, "size": len(data) * 3 / 4, "data": data})
	case r.Method == "GET" && strings.HasPrefix(p, "messages/"):
		id := strings.TrimPrefix(p, "messages/")
		s.mu.Lock()
		for _, m := range s.box {
			if m.id == id {
				s.messages[id] = m.json()
				if r.URL.Query().Get("format") == "raw" {
					s.messages[id] = m.rawJSON()
				}
			}
		}
		s.mu.Unlock()
		s.answer(w, s.messages, id)
	default:
		w.WriteHeader(404)
		io.WriteString(w, `{"error":{"code":404,"message":"Not Found","status":"NOT_FOUND"}}`)
	}
}

func (s *standIn) answer(w http.ResponseWriter, from map[string]string, id string) {
	s.mu.Lock()
	body, ok := from[id]
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(404)
		io.WriteString(w, `{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}`)
		return
	}
	io.WriteString(w, body)
}

// failing makes the stand-in answer "METHOD path" with status, header and body.
func (s *standIn) failing(method, path string, status int, header map[string]string, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = map[string]reply{method + " " + path: {status: status, body: body, header: header}}
	s.hang = false
}

func (s *standIn) requests() []got {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]got(nil), s.reqs...)
}

// sentMessage parses the one message the stand-in received.
func (s *standIn) sentMessage(t *testing.T) (weft.Bundle, string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) != 1 {
		t.Fatalf("the stand-in received %d messages, want 1", len(s.sent))
	}
	b, err := email.ParseMessage(bytes.NewReader(s.sent[0]))
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(s.sent[0]), "\r\n\r\n")
	return b, head
}

func itoa(n int) string { return value.FormatNumber(float64(n)) }

// spec returns a Gmail module type wired to the stand-in.
func spec(t testing.TB, s *standIn, name string) *app.Spec {
	t.Helper()
	return apptest.Spec(t, func(r *app.Registry) error {
		return gmail.RegisterOptions(r, gmail.Options{BaseURL: s.URL, NewID: func() string { return "fixed-id" }})
	}, name)
}

func conn(token string) map[string]weft.Bundle {
	return map[string]weft.Bundle{"1": {"provider": "google", "accessToken": token}}
}

// run calls the module once with connection 1.
func run(t *testing.T, s *standIn, name string, params, mapper string) ([]weft.Bundle, error) {
	t.Helper()
	exec := apptest.NewExec()
	exec.Connections = conn(s.token)
	return apptest.Run(t.Context(), spec(t, s, name), decode(t, params), decode(t, mapper), exec)
}

func decode(t testing.TB, s string) weft.Bundle {
	t.Helper()
	v, err := value.DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	m, _ := v.(map[string]any)
	return m
}

func sameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	w, err := value.DecodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("want %s: %v", what, err)
	}
	g, err := value.DecodeJSON(value.JSON(got))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s =\n  %s\nwant\n  %s", what, value.JSON(got), value.JSON(w))
	}
}
