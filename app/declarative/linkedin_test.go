package declarative_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/value"
)

var linkedinCreds = weft.Bundle{"accessToken": "li-token"}

func linkedinError(status int, code, msg string) reply {
	return reply{status: status, body: `{"status":` + itoa(status) + `,"serviceErrorCode":100,"code":"` + code + `","message":"` + msg + `"}`}
}

// linkedinAPI is a stand-in for LinkedIn's versioned REST API as its Posts, Images and
// Videos API pages document it: the member from /v2/userinfo, posts created with 201
// and the new URN in x-restli-id, uploads initialized, then PUT to the returned URLs.
type linkedinAPI struct {
	*standIn
	mu    sync.Mutex
	posts []map[string]any
	parts map[string]string // upload path → bytes received
}

func newLinkedinAPI(t *testing.T) *linkedinAPI {
	l := &linkedinAPI{standIn: newStandIn(t), parts: map[string]string{}}
	l.fn = l.serve
	return l
}

func (l *linkedinAPI) serve(r *http.Request, body string) reply {
	if r.Header.Get("Authorization") != "Bearer li-token" {
		return linkedinError(401, "INVALID_ACCESS_TOKEN", "Invalid access token")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/upload/") {
		l.parts[r.URL.Path] = body
		return reply{status: 201, header: map[string]string{"ETag": "etag-" + strings.TrimPrefix(r.URL.Path, "/upload/")}}
	}
	if r.URL.Path == "/v2/userinfo" {
		return ok(`{"sub":"782bbtaQ","name":"Ada Lovelace","email_verified":true}`)
	}
	if r.Header.Get("LinkedIn-Version") != "202605" || r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
		return linkedinError(426, "VERSION_MISSING", "A version must be present")
	}
	in, _ := mustJSON(body).(map[string]any)
	switch {
	case r.URL.Path == "/rest/posts":
		l.posts = append(l.posts, in)
		return reply{status: 201, header: map[string]string{"x-restli-id": "urn:li:share:70000" + itoa(len(l.posts))}}
	case r.URL.Path == "/rest/images" && r.URL.Query().Get("action") == "initializeUpload":
		return ok(`{"value":{"uploadUrlExpiresAt":1650567510704,"uploadUrl":"` + l.URL + `/upload/img1","image":"urn:li:image:C4E10AQ"}}`)
	case r.URL.Path == "/rest/videos" && r.URL.Query().Get("action") == "initializeUpload":
		size := int(in["initializeUploadRequest"].(map[string]any)["fileSizeBytes"].(float64))
		half := size / 2
		return ok(`{"value":{"uploadUrlsExpireAt":1,"video":"urn:li:video:C5F10AQ","uploadToken":"","uploadInstructions":[` +
			`{"uploadUrl":"` + l.URL + `/upload/v-0","firstByte":0,"lastByte":` + itoa(half-1) + `},` +
			`{"uploadUrl":"` + l.URL + `/upload/v-1","firstByte":` + itoa(half) + `,"lastByte":` + itoa(size-1) + `}]}}`)
	case r.URL.Path == "/rest/videos" && r.URL.Query().Get("action") == "finalizeUpload":
		l.posts = append(l.posts, map[string]any{"finalize": in})
		return reply{status: 200}
	}
	return linkedinError(404, "NOT_FOUND", "Not Found")
}

func mustJSON(s string) any {
	v, _ := value.DecodeJSON([]byte(s))
	return v
}

func TestLinkedInCreatePost(t *testing.T) {
	l := newLinkedinAPI(t)
	// Blueprint 320's mapper; the text holds LinkedIn's reserved characters.
	out, err := run(t, shipped(t, "linkedin", "CreatePost", l.standIn), linkedinCreds,
		`{"content": "New (beta) release: see [notes] & <docs> @team #launch a_b*c~d\\e|f{g}", "visibility": "PUBLIC", "feedDistribution": "MAIN_FEED", "isReshareDisabledByAuthor": false}`)
	if err != nil {
		t.Fatal(err)
	}
	g := l.requests()
	if len(g) != 2 || g[0].Path != "/v2/userinfo" || g[1].Method != "POST" || g[1].Path != "/rest/posts" {
		t.Fatalf("requests %+v", g)
	}
	sameJSON(t, "post", jsonBody(t, g[1].Body), `{"author":"urn:li:person:782bbtaQ",
		"commentary":"New \\(beta\\) release: see \\[notes\\] & \\<docs\\> \\@team #launch a\\_b\\*c\\~d\\\\e\\|f\\{g\\}",
		"visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]},
		"lifecycleState":"PUBLISHED","isReshareDisabledByAuthor":false}`)
	sameJSON(t, "output", out, `[{"id":"urn:li:share:700001"}]`)
	// An article.
	if _, err := run(t, shipped(t, "linkedin", "CreatePost", l.standIn), linkedinCreds,
		`{"content": "Read this", "type": "ARTICLE", "url": "https://blog.example/a", "title": "A", "visibility": "CONNECTIONS", "feedDistribution": "NONE", "isReshareDisabledByAuthor": true}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "article post", l.posts[1], `{"author":"urn:li:person:782bbtaQ","commentary":"Read this","visibility":"CONNECTIONS",
		"distribution":{"feedDistribution":"NONE","targetEntities":[],"thirdPartyDistributionChannels":[]},"lifecycleState":"PUBLISHED",
		"isReshareDisabledByAuthor":true,"content":{"article":{"source":"https://blog.example/a","title":"A"}}}`)
}

func TestLinkedInShareImage(t *testing.T) {
	l := newLinkedinAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = linkedinCreds
	out, err := apptest.Run(t.Context(), shipped(t, "linkedin", "ShareImage", l.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"fileName": "chart.png", "data": []byte("PNG-BYTES"), "content": "Q3 numbers", "altText": "a chart",
			"visibility": "PUBLIC", "feedDistribution": "MAIN_FEED", "isReshareDisabledByAuthor": false}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := l.requests()
	if len(g) != 4 || g[1].Path != "/rest/images" || g[1].Query != "action=initializeUpload" || g[2].Method != "PUT" || g[2].Path != "/upload/img1" ||
		g[2].Header.Get("Content-Type") != "image/png" || g[2].Header.Get("Authorization") != "Bearer li-token" {
		t.Fatalf("requests %+v", g)
	}
	sameJSON(t, "initialize", jsonBody(t, g[1].Body), `{"initializeUploadRequest":{"owner":"urn:li:person:782bbtaQ"}}`)
	if l.parts["/upload/img1"] != "PNG-BYTES" {
		t.Fatalf("uploaded %q", l.parts["/upload/img1"])
	}
	sameJSON(t, "post", l.posts[0], `{"author":"urn:li:person:782bbtaQ","commentary":"Q3 numbers","visibility":"PUBLIC",
		"distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]},"lifecycleState":"PUBLISHED",
		"isReshareDisabledByAuthor":false,"content":{"media":{"id":"urn:li:image:C4E10AQ","altText":"a chart"}}}`)
	sameJSON(t, "output", out, `[{"id":"urn:li:share:700001"}]`)
}

// A video goes up in the parts LinkedIn names, each part's ETag then finalizes it
// (blueprint 303's mapper).
func TestLinkedInCreateVideoPost(t *testing.T) {
	l := newLinkedinAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = linkedinCreds
	video := []byte("0123456789ABCDEFGHIJ")
	out, err := apptest.Run(t.Context(), shipped(t, "linkedin", "createVideoPost", l.standIn), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"title": "Demo", "video": video, "method": "upload", "content": "Our demo", "videoName": "demo.mp4",
			"visibility": "PUBLIC", "feedDistribution": "MAIN_FEED", "isReshareDisabledByAuthor": false}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := l.requests()
	var trail []string
	for _, r := range g {
		trail = append(trail, r.Method+" "+r.Path+"?"+r.Query)
	}
	if strings.Join(trail, ", ") != "GET /v2/userinfo?, POST /rest/videos?action=initializeUpload, PUT /upload/v-0?, PUT /upload/v-1?, POST /rest/videos?action=finalizeUpload, POST /rest/posts?" {
		t.Fatalf("requests %s", strings.Join(trail, ", "))
	}
	sameJSON(t, "initialize", jsonBody(t, g[1].Body), `{"initializeUploadRequest":{"owner":"urn:li:person:782bbtaQ","fileSizeBytes":20,"uploadCaptions":false,"uploadThumbnail":false}}`)
	if l.parts["/upload/v-0"] != "0123456789" || l.parts["/upload/v-1"] != "ABCDEFGHIJ" || g[2].Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("parts %v type %q", l.parts, g[2].Header.Get("Content-Type"))
	}
	sameJSON(t, "finalize", l.posts[0], `{"finalize":{"finalizeUploadRequest":{"video":"urn:li:video:C5F10AQ","uploadToken":"","uploadedPartIds":["etag-v-0","etag-v-1"]}}}`)
	sameJSON(t, "post content", l.posts[1]["content"], `{"media":{"id":"urn:li:video:C5F10AQ","title":"Demo"}}`)
	sameJSON(t, "output", out, `[{"id":"urn:li:share:700002"}]`)
}

func TestLinkedInErrors(t *testing.T) {
	mapper := `{"content": "x", "visibility": "PUBLIC", "feedDistribution": "MAIN_FEED", "isReshareDisabledByAuthor": false}`
	checkDocumented(t, "linkedin", "CreatePost", linkedinCreds, mapper, []documented{
		{"401 invalid token", linkedinError(401, "INVALID_ACCESS_TOKEN", "Invalid access token"), weft.InvalidAccessTokenError, "[401] Invalid access token (INVALID_ACCESS_TOKEN)", 0},
		{"401 expired", linkedinError(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"), weft.InvalidAccessTokenError, "expired", 0},
		{"403 permissions", linkedinError(403, "ACCESS_DENIED", "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260501"), weft.InvalidConfigurationError, "Not enough permissions", 0},
		{"422 invalid", reply{status: 422, body: `{"message":"ERROR :: /commentary :: field is required but not found and has no default value\n","status":422}`}, weft.DataError, "/commentary :: field is required", 0},
		{"422 duplicate", reply{status: 422, body: `{"message":"Content is a duplicate of urn:li:share:7000","status":422}`}, weft.DuplicateDataError, "duplicate", 0},
		{"400 illegal argument", linkedinError(400, "ILLEGAL_ARGUMENT", "Request body could not be converted to data map"), weft.DataError, "ILLEGAL_ARGUMENT", 0},
		{"426 version retired", linkedinError(426, "NONEXISTENT_VERSION", "Requested version 202401 is not active"), weft.InvalidConfigurationError, "not active", 0},
		{"429 daily limit", linkedinError(429, "TOO_MANY_REQUESTS", "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."), weft.RateLimitError, "throttle", 0},
		{"500", linkedinError(500, "INTERNAL_SERVER_ERROR", "Internal Server Error"), weft.RuntimeError, "Internal Server Error", 0},
		{"504", reply{status: 504, body: `upstream timeout`, header: map[string]string{"Content-Type": "text/plain"}}, weft.ConnectionError, "[504]", 0},
	})
}
