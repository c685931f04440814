package declarative_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"

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
