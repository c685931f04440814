package cli_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/app/oauth/oauthtest"
	"github.com/weftworks/weft/cli"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/sqlite"
)

func TestOAuthClientsCommands(t *testing.T) {
	code, _, errOut := weft(t, "", "oauth-clients", "set", "myspace", "--client-id", "x")
	if code == 0 || !strings.Contains(errOut, `"myspace" is not a provider weft knows`) {
		t.Fatalf("unknown provider: %d %s", code, errOut)
	}
	code, out, errOut := weft(t, "g-secret-value\n", "oauth-clients", "set", "google", "--client-id", "cid.apps", "--client-secret", "@-")
	if code != 0 || !strings.Contains(out, "OAuth client for google set (client id cid.apps, secret stored encrypted)") {
		t.Fatalf("set: %d %s %s", code, out, errOut)
	}
	code, out, _ = weft(t, "", "oauth-clients", "list")
	if code != 0 || !strings.Contains(out, "google") || strings.Contains(out, "g-secret-value") {
		t.Fatalf("list: %s", out)
	}
	code, out, _ = weft(t, "", "oauth-clients", "providers")
	if code != 0 || !strings.Contains(out, "slack (Slack)") || !strings.Contains(out, "https://slack.com/oauth/v2/authorize") {
		t.Fatalf("providers: %s", out)
	}
	if code, _, _ := weft(t, "", "oauth-clients", "delete", "google"); code != 0 {
		t.Fatal("delete")
	}
}

// Without a running server, authorize serves the callback itself on the base URL's
// address: it prints the URL, the person consents, the command reports the connection.
func TestConnectionsAuthorizeOneOffListener(t *testing.T) {
	s := oauthtest.New(t)
	creds := fmt.Sprintf(`{"authorizeUrl":%q,"tokenUrl":%q,"clientId":%q,"clientSecret":%q,"scope":"read"}`,
		s.AuthURL(), s.TokenURL(), s.ClientID, s.ClientSecret)
	if code, out, errOut := weft(t, "", "connections", "create", "--name", "Stand-in", "--type", "oauth2", "--credentials", creds); code != 0 {
		t.Fatalf("create: %s %s", out, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close() // the command listens there

	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var errb strings.Builder
		code := cli.Main(t.Context(), []string{"--data", dataDirOf(t), "connections", "authorize", "1", "--base-url", base},
			strings.NewReader(""), pw, &errb)
		if code != 0 {
			t.Logf("authorize: %s", errb.String())
		}
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	var authURL string
	var rest []string
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), s.URL) {
			authURL = lines.Text()
		}
		if strings.HasPrefix(lines.Text(), "waiting for the callback") {
			break
		}
	}
	if authURL == "" {
		t.Fatal("no authorization URL printed")
	}
	u, _ := url.Parse(authURL)
	if u.Query().Get("redirect_uri") != base+"/oauth/callback" {
		t.Fatalf("redirect_uri %q", u.Query().Get("redirect_uri"))
	}
	// The person consents; the browser follows the redirect to the command's listener.
	form := u.Query()
	form.Set("decision", "approve")
	resp, err := http.PostForm(s.AuthURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Connected Stand-in") {
		t.Fatalf("callback page %d %s", resp.StatusCode, body)
	}
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if code := <-done; code != 0 || !strings.Contains(strings.Join(rest, "\n"), "connection 1 connected") {
		t.Fatalf("authorize ended %d: %v", code, rest)
	}
	if got := s.TokenRequests(); len(got) != 1 || got[0] != "authorization_code basic" {
		t.Fatalf("token requests %v", got)
	}
}

// While weft serve holds the data folder, authorize does not listen: it stores the
// flow and waits until the server's callback (here, a service on the same database in
// this process, as the server would be) finishes it.
func TestConnectionsAuthorizeThroughRunningServer(t *testing.T) {
	s := oauthtest.New(t)
	dir := dataDirOf(t)
	creds := fmt.Sprintf(`{"authorizeUrl":%q,"tokenUrl":%q,"clientId":%q,"clientSecret":%q}`, s.AuthURL(), s.TokenURL(), s.ClientID, s.ClientSecret)
	if code, out, errOut := weft(t, "", "connections", "create", "--name", "Stand-in", "--type", "oauth2", "--credentials", creds); code != 0 {
		t.Fatalf("create: %s %s", out, errOut)
	}
	// The "server": holds the lock and answers the callback from the database.
	unlock, err := service.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kr, err := secrets.Load(secrets.Config{KeyFile: filepath.Join(dir, "secret.keys"), NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := all.WithStore(st)
	if err != nil {
		t.Fatal(err)
	}
	server, err := service.New(service.Config{Store: st, Registry: reg, Secrets: kr})
	if err != nil {
		t.Fatal(err)
	}

	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := cli.Main(t.Context(), []string{"--data", dir, "connections", "authorize", "1", "--base-url", "https://weft.example.com"},
			strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	var authURL string
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), s.URL) {
			authURL = lines.Text()
		}
		if strings.Contains(lines.Text(), "weft serve is running") {
			break
		}
	}
	u, err := url.Parse(authURL)
	if err != nil || u.Query().Get("redirect_uri") != "https://weft.example.com/oauth/callback" {
		t.Fatalf("authorization URL %q", authURL)
	}
	form := u.Query()
	form.Set("decision", "approve")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(s.AuthURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	if _, err := server.CompleteAuthorization(t.Context(), service.Callback{State: back.Query().Get("state"), Code: back.Query().Get("code")}); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if code := <-done; code != 0 || !strings.Contains(strings.Join(rest, "\n"), "connection 1 connected") {
		t.Fatalf("authorize ended %d: %v", code, rest)
	}
}
