package gmail_test

import (
	"net/http"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/oauth/oauthtest"
)

// An access token the service refuses before its known expiry is renewed with the
// refresh token and the call made once more; a revoked refresh token then is an
// InvalidAccessTokenError a person fixes by reconnecting.
func TestSendRenewsARefusedToken(t *testing.T) {
	auth := oauthtest.New(t)
	s := newStandIn(t)
	// The stand-in accepts the access tokens the authorization server issued and did
	// not revoke (it asks that server, as Google's API asks its own).
	s.valid = func(header string) bool {
		req, _ := http.NewRequest("GET", auth.APIURL(), nil)
		req.Header.Set("Authorization", header)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}
	data := oauthtest.Connect(t, auth, "http://127.0.0.1:1/oauth/callback")
	c := weft.Bundle{"tokenUrl": auth.TokenURL(), "clientId": auth.ClientID, "clientSecret": auth.ClientSecret,
		"accessToken": data["accessToken"], "refreshToken": data["refreshToken"]}
	exec := apptest.NewExec()
	exec.Connections = map[string]weft.Bundle{"1": c}
	sp := spec(t, s, "google-email:sendAnEmail")
	mapper := weft.Bundle{"to": []any{"ann@example.org"}, "bodyType": "rawHtml", "content": "x"}

	auth.ExpireAccess() // the token died before its announced expiry
	out, err := apptest.Run(t.Context(), sp, weft.Bundle{"__IMTCONN__": 1}, mapper, exec)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0]["id"] != "m1" {
		t.Fatalf("output %v", out)
	}
	reqs := s.requests()
	if len(reqs) != 2 || reqs[0].Header.Get("Authorization") == reqs[1].Header.Get("Authorization") {
		t.Fatalf("want a refused call and one with a new token: %d requests", len(reqs))
	}
	if got := auth.TokenRequests(); got[len(got)-1] != "refresh_token body" && got[len(got)-1] != "refresh_token basic" {
		t.Errorf("token requests %v", got)
	}

	auth.RevokeAll()
	_, err = apptest.Run(t.Context(), sp, weft.Bundle{"__IMTCONN__": 1}, mapper, exec)
	apptest.WantError(t, err, weft.InvalidAccessTokenError, "refresh token expired or revoked")
}
