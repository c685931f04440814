package declarative_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/value"
)

var metaCreds = weft.Bundle{"accessToken": "user-token-1"}

func graphError(status, code int, msg string) reply {
	return reply{status: status, body: `{"error":{"message":"` + msg + `","type":"OAuthException","code":` + itoa(code) + `,"fbtrace_id":"AbC"}}`}
}

// graphAPI is a stand-in for Meta's Graph API as the Pages API and Instagram content
// publishing guides document it: a page hands its page access token to a person's
// token; page edges (feed, photos, comments) take the page token; an Instagram
// account creates media containers and publishes them with the person's token.
type graphAPI struct {
	*standIn
	mu        sync.Mutex
	photos    []map[string]string
	posts     []map[string]any
	published []string
}

func newGraphAPI(t *testing.T) *graphAPI {
	g := &graphAPI{standIn: newStandIn(t)}
	g.fn = g.serve
	return g
}

func (g *graphAPI) serve(r *http.Request, body string) reply {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	user := r.Header.Get("Authorization") == "Bearer user-token-1"
	g.mu.Lock()
	defer g.mu.Unlock()
	// The page token arrives in the body: JSON, or a multipart part.
	form := map[string]any{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		ps, err := parseForm(r.Header.Get("Content-Type"), body)
		if err != nil {
			return graphError(400, 100, "Invalid multipart body")
		}
		for _, p := range ps {
			if p.FileName != "" {
				form[p.Name] = "file:" + p.FileName + ":" + p.Type + ":" + p.Body
			} else {
				form[p.Name] = p.Body
			}
		}
	} else if body != "" {
		v, err := value.DecodeJSON([]byte(body))
		if err != nil {
			return graphError(400, 100, "Invalid JSON body")
		}
		form, _ = v.(map[string]any)
	}
	pageToken := form["access_token"] == "page-token-"+parts[0]
	switch {
	case r.Method == "GET" && len(parts) == 1 && r.URL.Query().Get("fields") == "access_token":
		if !user {
			return graphError(400, 190, "Error validating access token: Session has expired")
		}
		if parts[0] == "404" {
			return graphError(400, 100, "Unsupported get request. Object with ID '404' does not exist")
		}
		return ok(`{"access_token":"page-token-` + parts[0] + `","id":"` + parts[0] + `"}`)
	case r.Method == "POST" && len(parts) == 2 && parts[1] == "feed":
		if !pageToken || r.Header.Get("Authorization") != "" {
			return graphError(403, 200, "(#200) The permission(s) pages_manage_posts are not available")
		}
		form["page"] = parts[0]
		g.posts = append(g.posts, form)
		return ok(`{"id":"` + parts[0] + `_` + itoa(len(g.posts)) + `"}`)
	case r.Method == "POST" && len(parts) == 2 && parts[1] == "photos":
		if form["access_token"] != "page-token-P1" {
			return graphError(403, 200, "(#200) Requires pages_manage_posts")
		}
		photo := map[string]string{"to": parts[0]}
		for k, v := range form {
			photo[k] = value.Text(v)
		}
		g.photos = append(g.photos, photo)
		id := "ph" + itoa(len(g.photos))
		if form["published"] == "false" {
			return ok(`{"id":"` + id + `"}`)
		}
		return ok(`{"id":"` + id + `","post_id":"P1_` + id + `"}`)
	case r.Method == "POST" && len(parts) == 2 && parts[1] == "comments":
		if form["access_token"] != "page-token-P1" {
			return graphError(403, 200, "(#200) Requires pages_manage_engagement")
		}
		return ok(`{"id":"` + parts[0] + `_c1"}`)
	case r.Method == "POST" && len(parts) == 2 && parts[1] == "media":
		if !user {
			return graphError(400, 190, "Invalid OAuth access token")
		}
		if !strings.HasPrefix(value.Text(form["image_url"]), "https://") {
			return reply{status: 400, body: `{"error":{"message":"Only photo or video can be accepted as media type.","type":"OAuthException","code":9004,"error_subcode":2207052,"error_user_msg":"The media could not be fetched from this URI"}}`}
		}
		return ok(`{"id":"container-` + itoa(len(g.published)+1) + `"}`)
	case r.Method == "POST" && len(parts) == 2 && parts[1] == "media_publish":
		if !user {
			return graphError(400, 190, "Invalid OAuth access token")
		}
		g.published = append(g.published, value.Text(form["creation_id"]))
		return ok(`{"id":"1790000000000000` + itoa(len(g.published)) + `"}`)
	}
	return graphError(400, 100, "Unknown path components: /"+strings.Join(parts, "/"))
}

func TestFacebookCreatePost(t *testing.T) {
	g := newGraphAPI(t)
	// Blueprint 025's mapper.
	out, err := run(t, shipped(t, "facebook-pages", "CreatePost", g.standIn), metaCreds,
		`{"link": "https://shop.example/p/1", "message": "Check out our latest product review!", "page_id": "P1", "name": "", "description": ""}`)
	if err != nil {
		t.Fatal(err)
	}
	r := g.requests()
	if len(r) != 2 || r[0].Method != "GET" || r[0].Path != "/P1" || r[0].Query != "fields=access_token" || r[0].Header.Get("Authorization") != "Bearer user-token-1" {
		t.Fatalf("page token request %+v", r)
	}
	if r[1].Method != "POST" || r[1].Path != "/P1/feed" || r[1].Header.Get("Authorization") != "" || r[1].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("post request %s %s auth %q", r[1].Method, r[1].Path, r[1].Header.Get("Authorization"))
	}
	sameJSON(t, "post", jsonBody(t, r[1].Body), `{"message":"Check out our latest product review!","link":"https://shop.example/p/1","access_token":"page-token-P1"}`)
	sameJSON(t, "output", out, `[{"id":"P1_1"}]`)
}

func TestFacebookScheduledPost(t *testing.T) {
	g := newGraphAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = metaCreds
	_, err := apptest.Run(t.Context(), shipped(t, "facebook-pages", "CreatePost", g.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"page_id": "P1", "message": "Soon", "date": time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC)}, exec)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "post", jsonBody(t, g.requests()[1].Body), `{"message":"Soon","published":false,"scheduled_publish_time":"1767430800","access_token":"page-token-P1"}`)
}

func TestFacebookCreatePostWithPhotos(t *testing.T) {
	g := newGraphAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = metaCreds
	out, err := apptest.Run(t.Context(), shipped(t, "facebook-pages", "CreatePostWithPhotos", g.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"page_id": "P1", "message": "Two bikes", "photos": []any{
			map[string]any{"type": "url", "url": "https://img.example/a.jpg"},
			map[string]any{"type": "data", "fileName": "b.jpg", "data": []byte("JPEG-B"), "caption": "the red one"}}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	r := g.requests()
	if len(r) != 4 || r[1].Path != "/P1/photos" || r[2].Path != "/P1/photos" || r[3].Path != "/P1/feed" {
		t.Fatalf("requests %+v", r)
	}
	if len(g.photos) != 2 || g.photos[0]["url"] != "https://img.example/a.jpg" || g.photos[0]["published"] != "false" || g.photos[0]["source"] != "" ||
		g.photos[1]["source"] != "file:b.jpg:image/jpeg:JPEG-B" || g.photos[1]["caption"] != "the red one" || g.photos[1]["url"] != "" {
		t.Fatalf("photos %v", g.photos)
	}
	sameJSON(t, "post", jsonBody(t, r[3].Body), `{"message":"Two bikes","attached_media":[{"media_fbid":"ph1"},{"media_fbid":"ph2"}],"access_token":"page-token-P1"}`)
	sameJSON(t, "output", out, `[{"id":"P1_1"}]`)
}

func TestFacebookUploadPhotoAndComment(t *testing.T) {
	g := newGraphAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = metaCreds
	out, err := apptest.Run(t.Context(), shipped(t, "facebook-pages", "UploadPhoto", g.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"page_id": "P1", "fileName": "cover.png", "data": []byte("PNG"), "message": "New article"}, exec)
	if err != nil {
		t.Fatal(err)
	}
	if g.photos[0]["to"] != "P1" || g.photos[0]["source"] != "file:cover.png:image/png:PNG" || g.photos[0]["message"] != "New article" {
		t.Fatalf("photo %v", g.photos[0])
	}
	sameJSON(t, "upload output", out, `[{"id":"ph1","post_id":"P1_ph1"}]`)
	// Blueprint 137 comments on the post it just made.
	out, err = run(t, shipped(t, "facebook-pages", "CreateComment", g.standIn), metaCreds, `{"id": "P1_ph1", "message": "https://news.example/a", "page_id": "P1"}`)
	if err != nil {
		t.Fatal(err)
	}
	last := g.requests()[len(g.requests())-1]
	if last.Path != "/P1_ph1/comments" {
		t.Fatalf("comment request %+v", last)
	}
	sameJSON(t, "comment", jsonBody(t, last.Body), `{"message":"https://news.example/a","access_token":"page-token-P1"}`)
	sameJSON(t, "comment output", out, `[{"id":"P1_ph1_c1"}]`)
	// Over the Graph API's 4 MB for photos: nothing is sent.
	n := len(g.requests())
	_, err = apptest.Run(t.Context(), shipped(t, "facebook-pages", "UploadPhoto", g.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"page_id": "P1", "fileName": "huge.png", "data": make([]byte, 4<<20+1)}, exec)
	apptest.WantError(t, err, weft.MaxFileSizeExceededError, `"huge.png"`)
	if len(g.requests()) != n+1 {
		t.Fatalf("%d requests for a file over the limit, want the page token only", len(g.requests())-n)
	}
}

func TestInstagramCreatePostPhoto(t *testing.T) {
	g := newGraphAPI(t)
	// Blueprint 025's mapper.
	out, err := run(t, shipped(t, "instagram-business", "CreatePostPhoto", g.standIn), metaCreds,
		`{"caption": "Checkout the link in our bio for this product!", "accountId": "17841478132944793", "image_url": "https://dummyimage.com/800x800/eeeeee/333333.jpg&text=Product+Image"}`)
	if err != nil {
		t.Fatal(err)
	}
	r := g.requests()
	if len(r) != 2 || r[0].Path != "/17841478132944793/media" || r[1].Path != "/17841478132944793/media_publish" ||
		r[0].Header.Get("Authorization") != "Bearer user-token-1" || r[1].Header.Get("Authorization") != "Bearer user-token-1" {
		t.Fatalf("requests %+v", r)
	}
	sameJSON(t, "container", jsonBody(t, r[0].Body), `{"image_url":"https://dummyimage.com/800x800/eeeeee/333333.jpg&text=Product+Image","caption":"Checkout the link in our bio for this product!"}`)
	sameJSON(t, "publish", jsonBody(t, r[1].Body), `{"creation_id":"container-1"}`)
	sameJSON(t, "output", out, `[{"id":"17900000000000001"}]`)
	// Tags and a location go as the Graph API reads them.
	_, err = run(t, shipped(t, "instagram-business", "CreatePostPhoto", g.standIn), metaCreds,
		`{"accountId": "178", "image_url": "https://img.example/a.jpg", "user_tags": [{"username": "ada", "x": 0.5, "y": 0.25}], "location_id": "7"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "tagged", jsonBody(t, g.requests()[2].Body), `{"image_url":"https://img.example/a.jpg","user_tags":[{"username":"ada","x":0.5,"y":0.25}],"location_id":"7"}`)
	_, err = run(t, shipped(t, "instagram-business", "CreatePostPhoto", g.standIn), metaCreds, `{"accountId": "178", "image_url": "http://img.example/a.jpg"}`)
	apptest.WantError(t, err, weft.DataError, "Only photo or video can be accepted as media type. (code 9004/2207052): The media could not be fetched from this URI")
}

func TestFacebookPagesErrors(t *testing.T) {
	mapper := `{"page_id": "P1", "message": "x"}`
	checkDocumented(t, "facebook-pages", "CreatePost", metaCreds, mapper, graphTable())
}

func TestInstagramErrors(t *testing.T) {
	mapper := `{"accountId": "178", "image_url": "https://img.example/a.jpg"}`
	rows := append(graphTable(),
		documented{"media not ready", reply{status: 400, body: `{"error":{"message":"Media ID is not available","code":9007,"error_subcode":2207027}}`}, weft.ConnectionError, "Media ID is not available (code 9007/2207027)", 0},
		documented{"posts per day", reply{status: 400, body: `{"error":{"message":"Application request limit reached","code":4,"error_subcode":2207042}}`}, weft.RateLimitError, "(code 4/2207042)", 0},
	)
	checkDocumented(t, "instagram-business", "CreatePostPhoto", metaCreds, mapper, rows)
}

// graphTable is the Graph API's documented error table ("Handling Errors").
func graphTable() []documented {
	return []documented{
		{"190 token expired", graphError(400, 190, "Error validating access token: Session has expired"), weft.InvalidAccessTokenError, "[400] Error validating access token: Session has expired (code 190)", 0},
		{"102 session", graphError(400, 102, "API Session"), weft.InvalidAccessTokenError, "(code 102)", 0},
		{"1 unknown, temporary", graphError(500, 1, "An unknown error occurred"), weft.ConnectionError, "(code 1)", 0},
		{"2 service, temporary", graphError(503, 2, "Service temporarily unavailable"), weft.ConnectionError, "(code 2)", 0},
		{"4 app limit", graphError(400, 4, "(#4) Application request limit reached"), weft.RateLimitError, "(code 4)", 0},
		{"17 user limit", graphError(400, 17, "(#17) User request limit reached"), weft.RateLimitError, "(code 17)", 0},
		{"32 page limit", graphError(400, 32, "(#32) Page request limit reached"), weft.RateLimitError, "(code 32)", 0},
		{"613 calls", graphError(400, 613, "Calls to this api have exceeded the rate limit."), weft.RateLimitError, "(code 613)", 0},
		{"368 temporarily blocked", graphError(400, 368, "The action attempted has been deemed abusive"), weft.RateLimitError, "(code 368)", 0},
		{"10 permission denied", graphError(400, 10, "(#10) Application does not have permission for this action"), weft.InvalidConfigurationError, "(code 10)", 0},
		{"200 permissions", graphError(403, 200, "(#200) Requires pages_manage_posts"), weft.InvalidConfigurationError, "(code 200)", 0},
		{"299 permissions", graphError(400, 299, "(#299) Requires extended permission"), weft.InvalidConfigurationError, "(code 299)", 0},
		{"3 capability", graphError(400, 3, "(#3) Application does not have the capability"), weft.InvalidConfigurationError, "(code 3)", 0},
		{"100 invalid parameter", graphError(400, 100, "(#100) Invalid parameter"), weft.DataError, "(code 100)", 0},
		{"506 duplicate post", graphError(400, 506, "(#506) Duplicate status message"), weft.DuplicateDataError, "(code 506)", 0},
		{"429 without a body", reply{status: 429, body: ``, header: map[string]string{"Retry-After": "60"}}, weft.RateLimitError, "[429]", 60 * time.Second},
		{"502", reply{status: 502, body: `<html>Bad Gateway</html>`, header: map[string]string{"Content-Type": "text/html"}}, weft.ConnectionError, "[502]", 0},
	}
}
