package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/app/oauth/oauthtest"
)

// caller is a scenario whose HTTP module GETs the URL given in the trigger bundle and
// answers with what it got; with connection 1 (an API key) when keyed.
func caller(keyed bool) string {
	params := `{}`
	if keyed {
		params = `{"authenticationType":"apiKey","apiKeyKeychain":1}`
	}
	return `{"name":"caller","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
 {"id":2,"module":"http:MakeRequest","version":4,"parameters":` + params + `,"mapper":{"url":"{{1.url}}","method":"get","timeout":"10"}},
 {"id":3,"module":"gateway:WebhookRespond","version":1,"mapper":{"status":"200","body":"{{2.data}}"}}],
 "metadata":{"version":1,"instant":true}}`
}

// standIn is a 127.0.0.1 server counting the requests it got and recording the last
// one's headers.
type standIn struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	last http.Header
}

func newStandIn(t *testing.T, h http.HandlerFunc) *standIn {
	t.Helper()
	s := &standIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.last = r.Header.Clone()
		s.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		fmt.Fprint(w, "reached "+r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) host() string { u, _ := url.Parse(s.URL); return u.Host }

func (s *standIn) port() string { _, p, _ := net.SplitHostPort(s.host()); return p }

func (s *standIn) header() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// runResult is what POST /scenarios/{id}/run answers.
type runResult struct {
	Status   string `json:"status"`
	Response *struct {
		Body string `json:"body"`
	} `json:"response"`
	Incomplete []string `json:"incompleteExecutions"`
}

type storedIE struct {
	ID           string `json:"id"`
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
	Status       string `json:"status"`
	AutoRetry    bool   `json:"autoRetry"`
}

// createScenario creates a scenario over the API and returns its id.
func (p *weftProc) createScenario(blueprint string) int64 {
	p.t.Helper()
	code, body := p.do("POST", "/api/v1/scenarios", blueprint)
	var sc struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != 201 {
		p.t.Fatalf("create: %d %s", code, body)
	}
	return sc.ID
}

// call runs scenario id once with {"url": target} and returns the result.
func (p *weftProc) call(id int64, target string) runResult {
	p.t.Helper()
	code, body := p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/run", id), fmt.Sprintf(`{"url":%q}`, target))
	var rr runResult
	if err := json.Unmarshal([]byte(body), &rr); err != nil || code != 200 {
		p.t.Fatalf("run %s: %d %s", target, code, body)
	}
	return rr
}

// refused asserts the run stored an incomplete execution for a refusal by rule and
// returns it.
func (p *weftProc) refused(rr runResult, target string, wants ...string) storedIE {
	p.t.Helper()
	if rr.Status != "warning" || len(rr.Incomplete) != 1 {
		p.t.Fatalf("%s: status %s, incomplete executions %v; want one refusal", target, rr.Status, rr.Incomplete)
	}
	code, body := p.do("GET", "/api/v1/incomplete-executions/"+rr.Incomplete[0], "")
	var ie storedIE
	if err := json.Unmarshal([]byte(body), &ie); err != nil || code != 200 {
		p.t.Fatalf("incomplete execution: %d %s", code, body)
	}
	if ie.ErrorType != "InvalidConfigurationError" || ie.AutoRetry || ie.Status != "unresolved" {
		p.t.Fatalf("%s: %+v; want an unresolved InvalidConfigurationError without automatic retries", target, ie)
	}
	for _, w := range append([]string{"outbound policy: "}, wants...) {
		if !strings.Contains(ie.ErrorMessage, w) {
			p.t.Errorf("%s: message %q does not contain %q", target, ie.ErrorMessage, w)
		}
	}
	return ie
}

func (p *weftProc) reached(rr runResult, target, body string) {
	p.t.Helper()
	if rr.Status != "success" || rr.Response == nil || rr.Response.Body != body {
		p.t.Fatalf("%s: %+v (response %+v); want success answering %q", target, rr, rr.Response, body)
	}
}

// TestServeOutboundPolicy: under weft serve's default policy a scenario cannot reach
// loopback, cloud metadata or weft's own listeners, directly or through a redirect from
// an allowed server; the operator's allowances open exactly what they name; API keys
// do not follow a redirect to another host.
func TestServeOutboundPolicy(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	token := adminToken(t, bin, data)

	denied := newStandIn(t, nil) // a local service nobody allowed
	var allowed *standIn
	other := newStandIn(t, nil) // allowed as localhost:PORT (another host name) for the key test
	allowed = newStandIn(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-denied":
			http.Redirect(w, r, denied.URL+"/inside", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/security-credentials/", http.StatusFound)
		case "/to-other-host":
			http.Redirect(w, r, "http://localhost:"+other.port()+"/landing", http.StatusFound)
		case "/to-weft":
			http.Redirect(w, r, r.URL.Query().Get("weft")+"/api/v1/scenarios", http.StatusFound)
		default:
			fmt.Fprint(w, "reached "+r.URL.Path)
		}
	})
	smtpAddr, metricsAddr := freePort(t), freePort(t)
	p := start(t, bin, data, "--net-allow", allowed.host(), "--net-allow", "localhost:"+other.port(),
		"--mailhook-addr", smtpAddr, "--metrics-addr", metricsAddr)
	p.token = token
	id := p.createScenario(caller(false))

	// Refused before any packet is sent, naming the rule.
	p.refused(p.call(id, denied.URL+"/x"), "loopback", denied.host()+" is denied by rule loopback (127.0.0.0/8); allow it with --net-allow")
	p.refused(p.call(id, "http://169.254.169.254/latest/meta-data/"), "metadata", "169.254.169.254:80 is denied by rule metadata (169.254.169.254/32)")
	p.refused(p.call(id, "http://[::ffff:169.254.169.254]/"), "mapped metadata", "is denied by rule metadata (169.254.169.254/32)")
	weftHost := strings.TrimPrefix(p.base, "http://")
	p.refused(p.call(id, p.base+"/api/v1/scenarios"), "weft's own port", weftHost+" is denied by rule self ("+weftHost+")")
	p.refused(p.call(id, "http://"+smtpAddr+"/"), "weft's mailhook port", smtpAddr+" is denied by rule self ("+smtpAddr+")")
	p.refused(p.call(id, "http://"+metricsAddr+"/metrics"), "weft's metrics port", metricsAddr+" is denied by rule self ("+metricsAddr+")")
	if denied.hits.Load() != 0 {
		t.Fatalf("the denied stand-in was reached %d times", denied.hits.Load())
	}

	// The operator allowed exactly this address and port.
	p.reached(p.call(id, allowed.URL+"/ok"), "allowed", "reached /ok")

	// Redirects from the allowed server are checked hop by hop.
	p.refused(p.call(id, allowed.URL+"/to-denied"), "redirect to loopback",
		"redirected to "+denied.URL+"/inside", "denied by rule loopback (127.0.0.0/8)")
	p.refused(p.call(id, allowed.URL+"/to-metadata"), "redirect to metadata", "denied by rule metadata (169.254.169.254/32)")
	p.refused(p.call(id, allowed.URL+"/to-weft?weft="+url.QueryEscape(p.base)), "redirect to weft", "denied by rule self ("+weftHost+")")
	if denied.hits.Load() != 0 {
		t.Fatalf("a redirect reached the denied stand-in")
	}

	// An API key does not follow a redirect to another host (localhost, allowed by name).
	code, body := p.do("POST", "/api/v1/connections", `{"name":"k","type":"apikey","data":{"key":"key-7d1e","name":"X-API-Key"}}`)
	if code != 201 || !strings.Contains(body, `"id":1`) {
		t.Fatalf("connection: %d %s", code, body)
	}
	keyed := p.createScenario(caller(true))
	p.reached(p.call(keyed, allowed.URL+"/ok"), "keyed", "reached /ok")
	if got := allowed.header().Get("X-API-Key"); got != "key-7d1e" {
		t.Fatalf("the key did not reach its own host: %q", got)
	}
	p.reached(p.call(keyed, allowed.URL+"/to-other-host"), "keyed redirect", "reached /landing")
	if other.hits.Load() != 1 {
		t.Fatalf("the other host got %d requests", other.hits.Load())
	}
	if got := other.header().Get("X-API-Key"); got != "" {
		t.Fatalf("the API key followed the redirect to another host: %q", got)
	}
	p.stop()

	// The operator opens loopback and weft's own listeners (here through the
	// environment): the stored refusal is retried by a person and now goes through.
	p = startEnv(t, bin, data, []string{"WEFT_NET_ALLOW=loopback,self"})
	p.token = token
	code, body = p.do("GET", fmt.Sprintf("/api/v1/incomplete-executions?scenario=%d&status=unresolved", id), "")
	var list struct{ Items []storedIE }
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 || len(list.Items) == 0 {
		t.Fatalf("stored refusals: %d %s", code, body)
	}
	ies := list.Items
	code, body = p.do("POST", "/api/v1/incomplete-executions/"+ies[0].ID+"/retry", "")
	if code != 200 || !strings.Contains(body, `"status":"resolved"`) {
		t.Fatalf("retry of %s: %d %s", ies[0].ErrorMessage, code, body)
	}
	if denied.hits.Load() != 1 {
		t.Fatalf("the retry reached the stand-in %d times", denied.hits.Load())
	}
	if rr := p.call(id, p.base+"/healthz"); rr.Status != "success" {
		t.Fatalf("weft's own port, allowed: %+v", rr)
	}
	p.refused(p.call(id, "http://169.254.169.254/"), "metadata stays denied", "denied by rule metadata")
	p.stop()
}

// TestServeDemoPartner: --demo lets the demo scenario call its partner on weft's own
// address, and nothing else there.
func TestServeDemoPartner(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	token := adminToken(t, bin, data)
	p := start(t, bin, data, "--demo", "--demo-every", "100ms")
	p.token = token
	// The demo's partner answers 503 twice in three calls: incomplete executions with
	// ConnectionError appear and a call succeeds — never a refusal by the policy.
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := p.do("GET", "/api/v1/executions?scenario=2&status=success", "")
		if code != 200 {
			t.Fatalf("executions: %d %s", code, body)
		}
		if strings.Contains(body, `"status":"success"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo partner was never reached: %s", body)
		}
		time.Sleep(50 * time.Millisecond) // the demo's orders arrive on their own clock
	}
	code, body := p.do("GET", "/api/v1/incomplete-executions?scenario=2", "")
	if code != 200 || strings.Contains(body, "InvalidConfigurationError") || strings.Contains(body, "outbound policy") {
		t.Fatalf("demo incomplete executions: %d %s", code, body)
	}
	// The rest of weft's address stays closed to scenarios.
	id := p.createScenario(caller(false))
	weftHost := strings.TrimPrefix(p.base, "http://")
	p.refused(p.call(id, p.base+"/api/v1/scenarios"), "weft's API", "denied by rule self ("+weftHost+")")
	p.refused(p.call(id, p.base+"/demo/flaky-partner/../../api/v1/scenarios"), "a path trick", "denied by rule self")
	p.stop()
}

// connectOAuth runs the authorization code grant of connection id through weft serve's
// API and callback, the stand-in provider approving, and returns the callback's answer.
func (p *weftProc) connectOAuth(s *oauthtest.Server, id int64) (int, string) {
	p.t.Helper()
	code, body := p.do("POST", fmt.Sprintf("/api/v1/connections/%d/authorize", id), "")
	var a struct {
		AuthorizationURL string `json:"authorizationUrl"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil || code != 201 {
		p.t.Fatalf("authorize: %d %s", code, body)
	}
	u, err := url.Parse(a.AuthorizationURL)
	if err != nil {
		p.t.Fatal(err)
	}
	form := u.Query()
	form.Set("decision", "approve")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(s.AuthURL(), form) // the person approves
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, p.base+"/oauth/callback?") {
		p.t.Fatalf("the provider sent the browser to %q", back)
	}
	resp, err = http.Get(back)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeOAuthExchangeOutboundPolicy: the authorization code exchange weft makes with
// a connection's token URL goes through the outbound policy too: a token URL on
// loopback is refused unless the operator allows it.
func TestServeOAuthExchangeOutboundPolicy(t *testing.T) {
	bin := build(t)
	data := t.TempDir()
	token := adminToken(t, bin, data)
	s := oauthtest.New(t)
	p := start(t, bin, data)
	p.token = token
	code, body := p.do("POST", "/api/v1/connections", fmt.Sprintf(`{"name":"o","type":"oauth2","data":{"authorizeUrl":%q,"tokenUrl":%q,"clientId":%q,"clientSecret":%q,"scope":"read"}}`,
		s.AuthURL(), s.TokenURL(), s.ClientID, s.ClientSecret))
	if code != 201 {
		t.Fatalf("connection: %d %s", code, body)
	}
	standIn := strings.TrimPrefix(s.URL, "http://")
	status, page := p.connectOAuth(s, 1)
	if status != 400 || !strings.Contains(page, "outbound policy: "+standIn+" is denied by rule loopback (127.0.0.0/8)") {
		t.Fatalf("callback under the default policy: %d %s", status, page)
	}
	if n := len(s.TokenRequests()); n != 0 {
		t.Fatalf("the token endpoint got %d requests", n)
	}
	p.stop()

	p = start(t, bin, data, "--net-allow", standIn)
	p.token = token
	status, page = p.connectOAuth(s, 1)
	if status != 200 || !strings.Contains(page, "Connected") {
		t.Fatalf("callback with the token URL allowed: %d %s", status, page)
	}
	if code, body := p.do("GET", "/api/v1/connections/1/oauth", ""); code != 200 || !strings.Contains(body, `"connected":true`) {
		t.Fatalf("oauth status: %d %s", code, body)
	}
	p.stop()
}
