// Package oauthtest is a stand-in OAuth 2 authorization server for tests: a real HTTP
// server on 127.0.0.1 with a consent page, the authorization code grant with PKCE
// (S256 checked), refresh tokens (optionally rotated, a spent one refused), revocation,
// and an API that accepts only the access tokens it issued and did not revoke.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Server is the stand-in. Its fields may be changed between requests through Set.
type Server struct {
	*httptest.Server
	ClientID, ClientSecret string

	mu       sync.Mutex
	rotate   bool
	lifetime int
	codes    map[string]*grant
	refresh  map[string]string // refresh token → scope; deleted when spent or revoked
	access   map[string]bool
	issued   int
	log      []string // token requests: "grant client [detail]"
	apiCalls []string
	lastAuth url.Values // the last authorization request's query
}

type grant struct {
	redirect, challenge, scope string
}

// New starts a stand-in with a client id and secret; access tokens live an hour.
func New(t testing.TB) *Server {
	s := &Server{ClientID: "weft-test-client", ClientSecret: "s3cret/+=", lifetime: 3600,
		codes: map[string]*grant{}, refresh: map[string]string{}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.consent)
	mux.HandleFunc("POST /authorize", s.decide)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /api/me", s.api)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// AuthURL and TokenURL are the stand-in's endpoints; APIURL answers with the caller's
// token checked.
func (s *Server) AuthURL() string  { return s.URL + "/authorize" }
func (s *Server) TokenURL() string { return s.URL + "/token" }
func (s *Server) APIURL() string   { return s.URL + "/api/me" }

// Set changes the stand-in's behaviour: rotate refresh tokens, token lifetime in
// seconds (0: no expires_in).
func (s *Server) Set(rotate bool, lifetime int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotate, s.lifetime = rotate, lifetime
}

// RevokeAll revokes every refresh and access token issued so far (the person removed
// the app's access in the provider's settings).
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh, s.access = map[string]string{}, map[string]bool{}
}

// ExpireAccess makes the API refuse every access token issued so far, refresh tokens
// staying valid (tokens that died before their announced expiry).
func (s *Server) ExpireAccess() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]bool{}
}

// TokenRequests lists the token requests so far: "grant_type client-auth".
func (s *Server) TokenRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// APICalls lists the Authorization headers the API received.
func (s *Server) APICalls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.apiCalls...)
}

// LastAuthorization is the query of the last authorization request.
func (s *Server) LastAuthorization() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAuth
}

var page = template.Must(template.New("consent").Parse(`<!doctype html>
<html><head><title>Stand-in consent</title></head><body>
<h1>Allow weft to use your stand-in account?</h1>
<p id="scopes">{{.Scope}}</p>
<form method="post" action="/authorize">
{{range $k, $v := .Query}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
<button id="approve" name="decision" value="approve" type="submit">Allow</button>
<button id="deny" name="decision" value="deny" type="submit">Deny</button>
</form></body></html>`))

func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.lastAuth = q
	s.mu.Unlock()
	switch {
	case q.Get("client_id") != s.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "PKCE with S256 is required", http.StatusBadRequest)
		return
	case q.Get("redirect_uri") == "":
		http.Error(w, "redirect_uri is required", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page.Execute(w, map[string]any{"Scope": q.Get("scope"), "Query": q})
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := r.PostForm
	back, err := url.Parse(f.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	q := back.Query()
	q.Set("state", f.Get("state"))
	if f.Get("decision") != "approve" {
		q.Set("error", "access_denied")
		q.Set("error_description", "The person refused access")
	} else {
		code := random()
		s.mu.Lock()
		s.codes[code] = &grant{redirect: f.Get("redirect_uri"), challenge: f.Get("code_challenge"), scope: f.Get("scope")}
		s.mu.Unlock()
		q.Set("code", code)
	}
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	id, secret, basic := r.BasicAuth()
	how := "body"
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		how = "basic"
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, form.Get("grant_type")+" "+how)
	if id != s.ClientID || secret != s.ClientSecret {
		oauthError(w, 401, "invalid_client", "unknown client or wrong secret")
		return
	}
	var scope string
	switch form.Get("grant_type") {
	case "authorization_code":
		g, ok := s.codes[form.Get("code")]
		delete(s.codes, form.Get("code")) // single use
		if !ok {
			oauthError(w, 400, "invalid_grant", "unknown or spent code")
			return
		}
		if g.redirect != form.Get("redirect_uri") {
			oauthError(w, 400, "invalid_grant", "redirect_uri differs from the authorization request's")
			return
		}
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthError(w, 400, "invalid_grant", "code_verifier does not match the code_challenge")
			return
		}
		scope = g.scope
	case "refresh_token":
		sc, ok := s.refresh[form.Get("refresh_token")]
		if !ok {
			oauthError(w, 400, "invalid_grant", "refresh token expired or revoked")
			return
		}
		scope = sc
		if s.rotate {
			delete(s.refresh, form.Get("refresh_token"))
		}
	default:
		oauthError(w, 400, "unsupported_grant_type", form.Get("grant_type"))
		return
	}
	s.issued++
	access := fmt.Sprintf("at-%d-%s", s.issued, random()[:8])
	s.access[access] = true
	resp := map[string]any{"access_token": access, "token_type": "bearer", "scope": scope}
	if s.lifetime > 0 {
		resp["expires_in"] = s.lifetime
	}
	if form.Get("grant_type") == "authorization_code" || s.rotate {
		rt := fmt.Sprintf("rt-%d-%s", s.issued, random()[:8])
		s.refresh[rt] = scope
		resp["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	s.mu.Lock()
	s.apiCalls = append(s.apiCalls, auth)
	ok := s.access[strings.TrimPrefix(auth, "Bearer ")]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_token"}`)
		return
	}
	io.WriteString(w, `{"ok":true,"user":"ada"}`)
}

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Connect runs a whole authorization code grant against the stand-in without a
// browser (the person approves) and returns the token answer as connection data:
// {"accessToken", "refreshToken"}.
func Connect(t testing.TB, s *Server, redirect string) map[string]any {
	t.Helper()
	verifier := random() + random()
	sum := sha256.Sum256([]byte(verifier))
	form := url.Values{"client_id": {s.ClientID}, "response_type": {"code"}, "redirect_uri": {redirect}, "state": {"x"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}, "decision": {"approve"}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(s.AuthURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	resp, err = http.PostForm(s.TokenURL(), url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"redirect_uri": {redirect}, "code_verifier": {verifier}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("stand-in token answer %d: %v %v", resp.StatusCode, tok, err)
	}
	return map[string]any{"accessToken": tok["access_token"], "refreshToken": tok["refresh_token"]}
}
