package declarative_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

var xCreds = weft.Bundle{"accessToken": "x-user-token"}

// Blueprint 171: images uploaded one by one, their ids posted with the text.
func TestTwitterUploadAndPost(t *testing.T) {
	s := newStandIn(t)
	uploads := 0
	s.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("Authorization") != "Bearer x-user-token" {
			return reply{status: 401, body: `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`}
		}
		switch r.URL.Path {
		case "/media/upload":
			form, err := parseForm(r.Header.Get("Content-Type"), body)
			if err != nil || len(form) != 2 || form[0].Name != "media" || form[1].Name != "media_category" || form[1].Body != "tweet_image" {
				return reply{status: 400, body: `{"title":"Invalid Request","detail":"bad upload","status":400}`}
			}
			uploads++
			return ok(`{"data":{"id":"17100000000000000` + itoa(uploads) + `","media_key":"3_1","size":` + itoa(len(form[0].Body)) + `,"expires_after_secs":86400}}`)
		case "/tweets":
			return reply{status: 201, body: `{"data":{"id":"1445880548472328192","text":"Hello","edit_history_tweet_ids":["1445880548472328192"]}}`}
		}
		return reply{status: 404, body: `{"title":"Not Found Error","detail":"no route","status":404}`}
	}
	exec := apptest.NewExec()
	exec.Connections["conn"] = xCreds
	out, err := apptest.Run(t.Context(), shipped(t, "twitter", "uploadAMedia", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"select": "image", "attachments": []any{map[string]any{"data": []byte("PNG1"), "filename": "a.png"}, map[string]any{"data": []byte("PNG2"), "filename": "b.png"}}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "upload output", out, `[{"media_ids":["171000000000000001","171000000000000002"]}]`)
	out, err = apptest.Run(t.Context(), shipped(t, "twitter", "createATweet", s), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"text": "Hello", "media_ids": out[0]["media_ids"]}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()[2]
	if g.Method != "POST" || g.Path != "/tweets" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "post", jsonBody(t, g.Body), `{"text":"Hello","media":{"media_ids":["171000000000000001","171000000000000002"]}}`)
	sameJSON(t, "output", out, `[{"id":"1445880548472328192","text":"Hello","edit_history_tweet_ids":["1445880548472328192"]}]`)
}

func TestTwitterErrors(t *testing.T) {
	xerr := func(status int, title, detail string) reply {
		return reply{status: status, body: `{"title":"` + title + `","type":"about:blank","status":` + itoa(status) + `,"detail":"` + detail + `"}`}
	}
	reset := time.Date(2026, 1, 2, 3, 19, 5, 0, time.UTC).Unix() // the test clock + 15 min
	checkDocumented(t, "twitter", "createATweet", xCreds, `{"text": "x"}`, []documented{
		{"403 duplicate", xerr(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."), weft.DuplicateDataError, "duplicate content", 0},
		{"403 not permitted", xerr(403, "Forbidden", "You are not permitted to perform this action."), weft.InvalidConfigurationError, "not permitted", 0},
		{"400 invalid", reply{status: 400, body: `{"errors":[{"parameters":{"text":[""]},"message":"text must not be empty"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"about:blank"}`},
			weft.DataError, "One or more parameters to your request was invalid.: text must not be empty", 0},
		{"429 rate limit", reply{status: 429, body: `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`,
			header: map[string]string{"x-rate-limit-reset": itoa(int(reset))}}, weft.RateLimitError, "Too Many Requests", 15 * time.Minute},
		{"429 usage cap", xerr(429, "UsageCapExceeded", "Usage cap exceeded: Monthly product cap"), weft.InvalidConfigurationError, "Usage cap exceeded", 0},
		{"503", xerr(503, "Service Unavailable", "Service Unavailable"), weft.ConnectionError, "[503]", 0},
	})
}
