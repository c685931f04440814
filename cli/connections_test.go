package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

type connJSON struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	KeyID string `json:"keyId"`
}

func dataDirOf(t *testing.T) string {
	dir, _ := dataDirs.LoadOrStore(t.Name(), t.TempDir())
	return dir.(string)
}

// apiPartner answers with the status it is set to and records each request's API key.
type apiPartner struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	keys   []string
}

func newAPIPartner(t *testing.T) *apiPartner {
	p := &apiPartner{}
	p.status.Store(200)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.keys = append(p.keys, r.Header.Get("X-API-Key"))
		p.mu.Unlock()
		w.WriteHeader(int(p.status.Load()))
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *apiPartner) seen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.keys, ",")
}

// keyScenario is a blueprint calling the partner with API-key connection id.
func keyScenario(t *testing.T, url string, id int64) string {
	return writeFile(t, "conn.json", fmt.Sprintf(`{"name":"uses a connection","flow":[
		{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"apiKey","apiKeyKeychain":%d},
		 "mapper":{"url":"%s","method":"get"}}],"metadata":{"version":1,"scenario":{}}}`, id, url))
}

func createConn(t *testing.T, args ...string) connJSON {
	t.Helper()
	code, out, errOut := weft(t, "", append([]string{"connections", "create", "--json"}, args...)...)
	var c connJSON
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("create: exit %d\n%s\n%s", code, out, errOut)
	}
	return c
}

func TestConnectionsLifecycle(t *testing.T) {
	code, out, errOut := weft(t, "", "connections", "create", "--name", "Partner", "--type", "apikey",
		"--credentials", `{"key":"sk-live-123","name":"X-API-Key"}`)
	if code != 0 || out != "connection 1 created: Partner (apikey)\n" {
		t.Fatalf("create: exit %d %q %s", code, out, errOut)
	}
	// The first connection creates the key file, private, and says so.
	keys := filepath.Join(dataDirOf(t), "secret.keys")
	if fi, err := os.Stat(keys); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if !strings.Contains(errOut, "created a new secret key file") {
		t.Errorf("stderr does not mention the new key file: %s", errOut)
	}
	file := writeFile(t, "basic.json", `{"username":"shop","password":"pw-456"}`)
	basic := createConn(t, "--name", "Shop", "--type", "basic", "--credentials", "@"+file)

	code, out, _ = weft(t, "", "connections", "list", "--json")
	var page struct {
		Items      []connJSON `json:"items"`
		NextCursor *string    `json:"nextCursor"`
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil || code != 0 || page.NextCursor != nil {
		t.Fatalf("list: exit %d %s", code, out)
	}
	list := page.Items
	if len(list) != 2 ||
		list[0].Name != "Partner" || list[1] != basic || basic.KeyID == "" {
		t.Fatalf("list: exit %d %s", code, out)
	}
	code, text, _ := weft(t, "", "connections", "list")
	if code != 0 || !strings.HasPrefix(text, "ID  NAME     TYPE    KEY") || !strings.Contains(text, "2   Shop     basic   "+basic.KeyID) {
		t.Errorf("list text:\n%s", text)
	}
	code, out, _ = weft(t, "", "connections", "update", "2", "--name", "Shop EU", "--json")
	if code != 0 || !strings.Contains(out, `"name":"Shop EU"`) {
		t.Errorf("update: exit %d %s", code, out)
	}
	for _, o := range []string{out, text} {
		if strings.Contains(o, "sk-live") || strings.Contains(o, "pw-456") {
			t.Errorf("a secret was printed:\n%s", o)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dataDirOf(t), "weft.db"))
	if strings.Contains(string(raw), "sk-live-123") || strings.Contains(string(raw), "pw-456") {
		t.Error("the database file holds a secret in clear")
	}
	code, out, _ = weft(t, "", "connections", "delete", "2")
	if code != 0 || out != "connection 2 deleted\n" {
		t.Errorf("delete: exit %d %q", code, out)
	}
	code, out, _ = weft(t, "", "connections", "delete", "2", "--json")
	if code != 1 {
		t.Errorf("second delete: exit %d %s", code, out)
	}
}

func TestConnectionsBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"create", "--name", "P", "--type", "apikey"}, "weft: --credentials is required (JSON, @file, or @- for stdin)\n" + usageHint("connections create"), 2},
		{[]string{"create", "--name", "P", "--type", "apikey", "--credentials", "[1]"}, "weft: --credentials must be a JSON object, not array\n" + usageHint("connections create"), 2},
		{[]string{"create", "--name", "P", "--type", "apikey", "--credentials", "{"}, "weft: --credentials is not JSON: unexpected EOF\n" + usageHint("connections create"), 2},
		{[]string{"create", "--name", "", "--type", "apikey", "--credentials", "{}"}, "weft: a connection needs a name\n" + usageHint("connections create"), 2},
		{[]string{"delete", "x"}, "weft: connection id \"x\": want a positive number\n" + usageHint("connections delete"), 2},
		{[]string{"update", "1"}, "weft: nothing to update: give --name and/or --credentials\n" + usageHint("connections update"), 2},
		{[]string{"rotate-key"}, "weft: no secret keys ($WEFT_SECRET_KEYS is unset and " + filepath.Join("DIR", "secret.keys") + " does not exist): nothing to rotate\n", 1},
	}
	for _, c := range cases {
		code, out, errOut := weft(t, "", append([]string{"connections"}, c.args...)...)
		want := strings.ReplaceAll(c.want, "DIR", dataDirOf(t))
		if code != c.code || errOut != want || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errOut, want)
		}
	}
}

// TestRunUsesConnection: `weft run` of a blueprint naming a stored connection sends its
// key; an unknown id is an InvalidConfigurationError kept as an incomplete execution.
func TestRunUsesConnection(t *testing.T) {
	p := newAPIPartner(t)
	c := createConn(t, "--name", "P", "--type", "apikey", "--credentials", `{"key":"k-789","name":"X-API-Key"}`)
	code, out, errOut := weft(t, "", "run", keyScenario(t, p.URL, c.ID), "--input", `{}`, "--json")
	if code != 0 || !strings.Contains(out, `"status":"success"`) {
		t.Fatalf("run: exit %d %s %s", code, out, errOut)
	}
	if p.seen() != "k-789" {
		t.Errorf("partner saw keys %q", p.seen())
	}
	if strings.Contains(out, "k-789") {
		t.Errorf("run output shows the key: %s", out)
	}
	code, out, _ = weft(t, "", "run", keyScenario(t, p.URL, 77), "--input", `{}`, "--json")
	if !strings.Contains(out, `"InvalidConfigurationError"`) || !strings.Contains(out, "connection 77 does not exist") {
		t.Errorf("unknown connection: exit %d %s", code, out)
	}
}

func TestDeleteInUseAndForce(t *testing.T) {
	p := newAPIPartner(t)
	p.status.Store(503)
	c := createConn(t, "--name", "P", "--type", "apikey", "--credentials", `{"key":"k","name":"X-API-Key"}`)
	_, out, _ := weft(t, "", "run", keyScenario(t, p.URL, c.ID), "--input", `{}`, "--json")
	var run struct {
		Incomplete []string `json:"incompleteExecutions"`
	}
	if err := json.Unmarshal([]byte(out), &run); err != nil || len(run.Incomplete) != 1 {
		t.Fatalf("run: %s", out)
	}
	ie := run.Incomplete[0]
	code, out, errOut := weft(t, "", "connections", "delete", fmt.Sprint(c.ID))
	want := fmt.Sprintf("weft: connection %d is used by 1 incomplete execution(s) not yet resolved (%s); resolve or delete them, or force the deletion\n", c.ID, ie)
	if code != 1 || errOut != want || out != "" {
		t.Errorf("delete in use: exit %d %q %q", code, out, errOut)
	}
	// --json: the API's error object on stderr, its details naming the incomplete executions.
	code, out, errOut = weft(t, "", "connections", "delete", fmt.Sprint(c.ID), "--json")
	var refused struct {
		Error struct {
			Code    string `json:"code"`
			Details struct {
				Incomplete []string `json:"incompleteExecutions"`
			} `json:"details"`
		} `json:"error"`
	}
	if code != 1 || out != "" || json.Unmarshal([]byte(errOut), &refused) != nil || refused.Error.Code != "conflict" ||
		len(refused.Error.Details.Incomplete) != 1 || refused.Error.Details.Incomplete[0] != ie {
		t.Errorf("delete in use --json: exit %d %s %s", code, out, errOut)
	}
	code, out, _ = weft(t, "", "connections", "delete", fmt.Sprint(c.ID), "--force", "--json")
	if code != 0 || out != `{"deleted":true,"id":1}`+"\n" {
		t.Errorf("forced: exit %d %s", code, out)
	}
}

// TestRotateKey: --new puts a new key first and re-encrypts everything with it; the
// old key can then be deleted from the file and connections still work.
func TestRotateKey(t *testing.T) {
	p := newAPIPartner(t)
	a := createConn(t, "--name", "A", "--type", "apikey", "--credentials", `{"key":"ka","name":"X-API-Key"}`)
	createConn(t, "--name", "B", "--type", "apikey", "--credentials", `{"key":"kb","name":"X-API-Key"}`)
	code, out, errOut := weft(t, "", "connections", "rotate-key", "--new", "--json")
	var res struct {
		Current     string   `json:"currentKey"`
		Added       string   `json:"addedKey"`
		Reencrypted int      `json:"reencrypted"`
		Old         []string `json:"oldKeys"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Current != res.Added || res.Reencrypted != 2 ||
		len(res.Old) != 1 || res.Old[0] != a.KeyID {
		t.Fatalf("rotate-key: exit %d %s %s", code, out, errOut)
	}
	_, out, _ = weft(t, "", "connections", "list", "--json")
	if strings.Count(out, `"keyId":"`+res.Current+`"`) != 2 {
		t.Errorf("after rotation: %s", out)
	}
	// Remove the old key from the file.
	path := filepath.Join(dataDirOf(t), "secret.keys")
	raw, _ := os.ReadFile(path)
	var kept []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, res.Old[0]+":") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = weft(t, "", "run", keyScenario(t, p.URL, a.ID), "--input", `{}`, "--json")
	if code != 0 || p.seen() != "ka" {
		t.Errorf("run with the new key only: exit %d %s; partner saw %q", code, out, p.seen())
	}
	code, out, _ = weft(t, "", "connections", "rotate-key")
	if code != 0 || out != "re-encrypted 0 connection(s) and webhook secret(s) with key "+res.Current+"\n" {
		t.Errorf("second rotation: exit %d %q", code, out)
	}
}
