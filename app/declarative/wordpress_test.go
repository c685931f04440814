package declarative_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// wordpressSite answers /wp-json/wp/v2/posts as the REST API handbook documents:
// application passwords over Basic, newest first for orderby=id&order=desc, pages with
// X-WP-Total and X-WP-TotalPages (two posts a page here).
func wordpressSite(t *testing.T, ids *[]int) *standIn {
	s := newStandIn(t)
	s.fn = func(r *http.Request, _ string) reply {
		if r.Header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("editor:abcd efgh ijkl")) {
			return reply{status: 401, body: `{"code":"incorrect_password","message":"The provided password is an invalid application password.","data":{"status":401}}`}
		}
		q := r.URL.Query()
		if r.URL.Path != "/wp-json/wp/v2/posts" || q.Get("orderby") != "id" || q.Get("order") != "desc" || q.Get("context") != "edit" || q.Get("status") != "draft" {
			return reply{status: 400, body: `{"code":"rest_invalid_param","message":"Invalid parameter(s): ` + r.URL.RawQuery + `","data":{"status":400}}`}
		}
		page := 1
		if p := q.Get("page"); p != "" {
			page, _ = strconv.Atoi(p)
		}
		all := *ids
		pages := (len(all) + 1) / 2
		var items []string
		for i := (page - 1) * 2; i < min(page*2, len(all)); i++ {
			id := itoa(all[len(all)-1-i]) // newest first
			items = append(items, `{"id":`+id+`,"status":"draft","link":"https://blog.example/?p=`+id+`","title":{"rendered":"Post `+id+`","raw":"Post `+id+`"},`+
				`"content":{"rendered":"<p>Body `+id+`</p>","protected":false},"excerpt":{"rendered":"<p>Ex `+id+`</p>","protected":false},"guid":{"rendered":"https://blog.example/?p=`+id+`"}}`)
		}
		return reply{status: 200, body: "[" + strings.Join(items, ",") + "]",
			header: map[string]string{"X-WP-Total": itoa(len(all)), "X-WP-TotalPages": itoa(pages)}}
	}
	return s
}

// Blueprint 203's trigger: new drafts feed posts for social networks.
func TestWordPressWatchPosts(t *testing.T) {
	ids := []int{11, 12, 13}
	s := wordpressSite(t, &ids)
	spec := shipped(t, "wordpress", "watchPosts", s)
	params, err := app.PrepareParameters(spec, weft.Bundle{"type": "posts", "limit": 10.0, "status": []any{"draft"}, "__IMTCONN__": "1"})
	if err != nil {
		t.Fatal(err)
	}
	mod, err := spec.New(app.Config{ModuleID: 1, Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	poller := mod.(app.Poller)
	exec := apptest.NewExec()
	exec.Connections["1"] = weft.Bundle{"url": s.URL + "/", "username": "editor", "password": "abcd efgh ijkl"}
	call := &app.Call{ModuleID: 1, Params: params, Exec: exec}
	pos, err := poller.Start(t.Context(), call, app.StartFrom{Mode: app.StartNow})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, 14, 15)
	n := len(s.requests())
	items, err := poller.Poll(t.Context(), call, pos)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Bundle["id"] != 14.0 || items[1].Bundle["id"] != 15.0 {
		t.Fatalf("items %+v", items)
	}
	b := items[0].Bundle
	if b["content"] != "<p>Body 14</p>" || b["excerpt"] != "<p>Ex 14</p>" || b["title"] != "Post 14" || b["link"] != "https://blog.example/?p=14" {
		t.Fatalf("bundle %v", b)
	}
	// Newest first: the second page holds 13, which is the position; paging stops there.
	if got := len(s.requests()) - n; got != 2 {
		t.Fatalf("%d pages read, want 2", got)
	}
	items, err = poller.Poll(t.Context(), call, items[1].Position)
	if err != nil || len(items) != 0 {
		t.Fatalf("nothing new: %v %+v", err, items)
	}
	// A wrong application password ends the poll with the connection's error.
	exec.Connections["1"]["password"] = "wrong"
	_, err = poller.Poll(t.Context(), call, pos)
	apptest.WantError(t, err, weft.InvalidAccessTokenError, "[401] The provided password is an invalid application password. (incorrect_password)")
}

// Testdata blueprint 043 reads a page and writes it back with an audio player appended.
func TestWordPressGetAndUpdatePost(t *testing.T) {
	s := newStandIn(t)
	var updated map[string]any
	s.fn = func(r *http.Request, body string) reply {
		if r.URL.Path != "/wp-json/wp/v2/pages/726" || r.URL.Query().Get("context") != "edit" {
			return reply{status: 404, body: `{"code":"rest_post_invalid_id","message":"Invalid post ID.","data":{"status":404}}`}
		}
		content := `{"raw":"<p>Hello</p>","rendered":"<p>Hello</p>\n"}`
		if r.Method == "POST" {
			updated = jsonBody(t, body)
			content = `{"raw":` + string(jsonOf(updated["content"])) + `,"rendered":"x"}`
		}
		return ok(`{"id":726,"type":"page","date":"2026-01-02T10:00:00","title":{"raw":"About","rendered":"About"},"content":` + content +
			`,"excerpt":{"raw":"","rendered":""},"guid":{"rendered":"https://blog.example/?page_id=726"}}`)
	}
	creds := weft.Bundle{"url": s.URL, "username": "editor", "password": "abcd efgh ijkl"}
	out, err := run(t, shipped(t, "wordpress", "getPost", s), creds, `{"id": "726", "type": "pages"}`)
	if err != nil {
		t.Fatal(err)
	}
	if out[0]["content"] != "<p>Hello</p>" || out[0]["title"] != "About" || out[0]["date"] != "2026-01-02T10:00:00" {
		t.Fatalf("post %v", out[0])
	}
	exec := apptest.NewExec()
	exec.Connections["conn"] = creds
	_, err = apptest.Run(t.Context(), shipped(t, "wordpress", "updatePost", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"id": "726", "type": "pages", "content": "<p>Hello</p><audio controls></audio>", "title": "",
		"taxonomy": []any{map[string]any{"name": "genre", "values": []any{3.0}}}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()[1]
	if g.Method != "POST" || g.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("update %s type %q", g.Method, g.Header.Get("Content-Type"))
	}
	// Empty fields keep their value: only content (and the extra taxonomy) is sent.
	sameJSON(t, "update", updated, `{"content":"<p>Hello</p><audio controls></audio>","genre":[3]}`)
}

// WordPress's documented errors ({code, message, data.status}) on getPost and
// updatePost: the code decides the type where the status alone would mislead (an
// unknown route is a wrong site address, not bad data).
func TestWordPressErrors(t *testing.T) {
	wpErr := func(status int, code, msg string) reply {
		return reply{status: status, body: `{"code":"` + code + `","message":"` + msg + `","data":{"status":` + itoa(status) + `}}`}
	}
	rows := []documented{
		{"401 wrong application password", wpErr(401, "incorrect_password", "The provided password is an invalid application password."), weft.InvalidAccessTokenError, "invalid application password. (incorrect_password)", 0},
		{"401 unknown user", wpErr(401, "invalid_username", "Unknown username."), weft.InvalidAccessTokenError, "(invalid_username)", 0},
		{"401 not logged in", wpErr(401, "rest_not_logged_in", "You are not currently logged in."), weft.InvalidAccessTokenError, "rest_not_logged_in", 0},
		{"403 cannot edit", wpErr(403, "rest_forbidden_context", "Sorry, you are not allowed to edit posts in this post type."), weft.InvalidConfigurationError, "not allowed to edit", 0},
		{"403 forbidden", wpErr(403, "rest_forbidden", "Sorry, you are not allowed to do that."), weft.InvalidConfigurationError, "(rest_forbidden)", 0},
		{"404 no route", wpErr(404, "rest_no_route", "No route was found matching the URL and request method."), weft.InvalidConfigurationError, "rest_no_route", 0},
		{"404 no post", wpErr(404, "rest_post_invalid_id", "Invalid post ID."), weft.DataError, "Invalid post ID. (rest_post_invalid_id)", 0},
		{"400 invalid param", wpErr(400, "rest_invalid_param", "Invalid parameter(s): status"), weft.DataError, "Invalid parameter(s): status", 0},
		{"429 host limit", reply{status: 429, body: `Too Many Requests`, header: map[string]string{"Content-Type": "text/plain", "Retry-After": "30"}}, weft.RateLimitError, "Too Many Requests", 30 * time.Second},
		{"503 maintenance", reply{status: 503, body: `<html>Briefly unavailable for scheduled maintenance.</html>`, header: map[string]string{"Content-Type": "text/html"}}, weft.ConnectionError, "maintenance", 0},
		{"500 critical error", wpErr(500, "internal_server_error", "There has been a critical error on this website."), weft.RuntimeError, "critical error", 0},
	}
	for _, module := range []string{"getPost", "updatePost"} {
		t.Run(module, func(t *testing.T) {
			s := newStandIn(t)
			spec := shipped(t, "wordpress", module, s)
			creds := weft.Bundle{"url": s.URL + "/", "username": "editor", "password": "abcd efgh ijkl"}
			var cases []apptest.ErrorCase
			for _, r := range rows {
				c := apptest.ErrorCase{Name: r.name, Params: weft.Bundle{"__IMTCONN__": "1"}, Mapper: weft.Bundle{"type": "posts", "id": "726", "content": "x"},
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
			// The site address's trailing slash is dropped: every call went to /wp-json.
			for _, g := range s.requests() {
				if g.Path != "/wp-json/wp/v2/posts/726" {
					t.Fatalf("request path %s", g.Path)
				}
			}
		})
	}
}
