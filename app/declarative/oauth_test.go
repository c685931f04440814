package declarative_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/app/oauth/oauthtest"
)

const oauthDef = `{
  "name": "standin",
  "base": {"baseUrl": "https://standin.test"},
  "connection": {"type": "oauth2", "provider": "google", "scopes": ["read"]},
  "modules": {"Me": {"communication": {"url": "/api/me"}}}
}`

// savingExec stores what the module saves, as the service does: the next read of the
// connection returns it.
type savingExec struct{ *apptest.Exec }

func (e savingExec) SaveConnection(_ context.Context, ref any, data weft.Bundle) error {
	e.Connections[ref.(string)] = data
	return nil
}

// An oauth2 app calls the stand-in's API with a token it renews: refreshed before
// expiry, once more after a 401, and a revoked refresh token is an
// InvalidAccessTokenError (a person must reconnect).
func TestOAuth2Connection(t *testing.T) {
	s := oauthtest.New(t)
	s.Set(true, 3600)
	specs, err := declarative.LoadOptions(fstest.MapFS{"standin.json": {Data: []byte(oauthDef)}},
		declarative.Options{BaseURLs: map[string]string{"standin": s.URL}, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	r := app.NewRegistry()
	for _, sp := range specs {
		if err := r.Register(sp); err != nil {
			t.Fatal(err)
		}
	}
	spec := lookup(t, r, "standin:Me")
	// A connection as weft stores it after a person connected: a refresh token, an
	// access token that already expired, the stand-in's token URL (a custom one wins
	// over the provider's).
	exec := savingExec{apptest.NewExec()}
	exec.Clock = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	exec.Connections["conn"] = weft.Bundle{"tokenUrl": s.TokenURL(), "clientId": s.ClientID, "clientSecret": s.ClientSecret,
		"refreshToken": seedRefresh(t, s), "accessToken": "old", "expiresAt": "2026-03-01T09:00:00Z"}
	call := func() ([]weft.Bundle, error) {
		return apptest.Run(context.Background(), spec, weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{}, exec)
	}
	out, err := call()
	if err != nil {
		t.Fatal(err)
	}
	if out[0]["user"] != "ada" {
		t.Fatalf("output %v", out)
	}
	// The rotated refresh token was saved with the new access token.
	saved := exec.Connections["conn"]
	if saved["refreshToken"] == "" || saved["accessToken"] == "old" || saved["expiresAt"] != "2026-03-01T11:00:00.000Z" {
		t.Fatalf("saved %v", saved)
	}
	// The service drops the access token before its expiry: one more attempt with a
	// new one.
	s.ExpireAccess()
	if _, err := call(); err != nil {
		t.Fatalf("after a 401 with a valid refresh token: %v", err)
	}
	// Revoked: InvalidAccessTokenError naming the connection.
	s.RevokeAll()
	_, err = call()
	wantType(t, err, weft.InvalidAccessTokenError,
		"parameters.__IMTCONN__: connection conn: the token endpoint refused the refresh token [400 Bad Request]: invalid_grant")
	if got := s.TokenRequests(); len(got) != 4 || got[1] != "refresh_token basic" {
		// seed + refresh (expired) + refresh (401) + refresh (revoked); a connection with
		// its own token URL is custom: Basic first.
		t.Errorf("token requests %v", got)
	}
}

// seedRefresh gets a refresh token from the stand-in through a consent.
func seedRefresh(t *testing.T, s *oauthtest.Server) string {
	t.Helper()
	return oauthtest.Connect(t, s, "http://127.0.0.1:1/oauth/callback")["refreshToken"].(string)
}
