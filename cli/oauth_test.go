package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft/app/oauth/oauthtest"
	"github.com/weftworks/weft/cli"
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

// While weft serve holds the data folder, authorize asks it: the server starts the
// flow (its own base URL in redirect_uri), its callback finishes it, and the command
// waits for that through the API — found in DATA/weft.addr, with the local credential.
func TestConnectionsAuthorizeThroughRunningServer(t *testing.T) {
	s := oauthtest.New(t)
	dir := dataDirOf(t)
	creds := fmt.Sprintf(`{"authorizeUrl":%q,"tokenUrl":%q,"clientId":%q,"clientSecret":%q}`, s.AuthURL(), s.TokenURL(), s.ClientID, s.ClientSecret)
	if code, out, errOut := weft(t, "", "connections", "create", "--name", "Stand-in", "--type", "oauth2", "--credentials", creds); code != 0 {
		t.Fatalf("create: %s %s", out, errOut)
	}
	serverAddr := startServe(t, dir, "--base-url", "https://weft.example.com", "--net-allow", "127.0.0.1")

	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var errb strings.Builder
		code := cli.Main(t.Context(), []string{"--data", dir, "connections", "authorize", "1"}, strings.NewReader(""), pw, &errb)
		if code != 0 {
			t.Logf("authorize: %s", errb.String())
		}
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	var authURL string
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), s.URL) {
			authURL = lines.Text()
		}
		if strings.Contains(lines.Text(), "waiting for the server's callback") {
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
	// The browser comes back to the server (behind its public base URL).
	back, _ := url.Parse(resp.Header.Get("Location"))
	cb, err := http.Get(serverAddr + "/oauth/callback?" + back.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	cb.Body.Close()
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if code := <-done; code != 0 || !strings.Contains(strings.Join(rest, "\n"), "connection 1 connected") {
		t.Fatalf("authorize ended %d (callback %d): %v", code, cb.StatusCode, rest)
	}
}

// startServe runs `weft serve` in this process on a free port until the test ends and
// returns its address once it listens (and has written DATA/weft.addr).
func startServe(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	exited := make(chan int, 1)
	go func() {
		var errb strings.Builder
		code := cli.Main(ctx, append([]string{"--data", dir, "serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), pw, &errb)
		if code != 0 {
			t.Logf("serve: exit %d: %s", code, errb.String())
		}
		pw.Close()
		exited <- code
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "weft serving on") {
			go io.Copy(io.Discard, pr)
			raw, err := os.ReadFile(filepath.Join(dir, "weft.addr"))
			if err != nil {
				t.Fatalf("serve listens but wrote no weft.addr: %v", err)
			}
			var info struct {
				URL string `json:"url"`
			}
			if err := json.Unmarshal(raw, &info); err != nil || info.URL == "" {
				t.Fatalf("weft.addr: %v %s", err, raw)
			}
			return info.URL
		}
	}
	t.Fatalf("serve ended before listening (exit %d)", <-exited)
	return ""
}
