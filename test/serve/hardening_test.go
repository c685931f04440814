package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fileScenario is a blueprint with one files module.
func fileScenario(module, root, mapper string) string {
	r, _ := json.Marshal(root)
	return fmt.Sprintf(`{"name":"files","flow":[{"id":1,"module":%q,"version":1,"parameters":{"root":%s},"mapper":%s}],"metadata":{"version":1}}`,
		module, r, mapper)
}

// runScenario creates a scenario over the API and runs it once; it returns the run's
// answer.
func (p *weftProc) runScenario(blueprint string) (int, string) {
	p.t.Helper()
	code, body := p.do("POST", "/api/v1/scenarios", blueprint)
	var sc struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &sc); err != nil || code != 201 {
		p.t.Fatalf("create: %d %s", code, body)
	}
	return p.do("POST", fmt.Sprintf("/api/v1/scenarios/%d/run", sc.ID), "{}")
}

// The hardening of a server others can use, through the real binary: the files app
// cannot reach the key file or the database, the data folder is its owner's alone,
// /metrics can live on its own address, and bad tokens are throttled.
func TestServeHardening(t *testing.T) {
	bin := build(t)
	data := filepath.Join(t.TempDir(), "data")
	out, err := exec.Command(bin, "--data", data, "tokens", "create", "--name", "t", "--scopes", "admin", "--json").Output()
	if err != nil {
		t.Fatalf("tokens create: %v %s", err, out)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(out, &tok); err != nil {
		t.Fatalf("token %s", out)
	}
	metricsAddr := freePort(t)
	p := start(t, bin, data, "--metrics-addr", metricsAddr)
	p.token = tok.Token
	key := filepath.Join(data, "secret.keys")
	keyText, err := os.ReadFile(key)
	if err != nil {
		t.Fatalf("serve made no key file: %v", err)
	}
	keyB64 := strings.TrimSpace(string(keyText))
	keyB64 = keyB64[strings.LastIndex(keyB64, ":")+1:]
	files := filepath.Join(data, "files")

	t.Run("files root", func(t *testing.T) {
		p.t = t
		// root "/" and the key file's absolute path: refused before anything is read,
		// with the reason the user needs.
		code, body := p.runScenario(fileScenario("files:Download", "/", `{"path":`+quote(key)+`}`))
		want := `files:Download) cannot be built: InvalidConfigurationError: parameters.root: \"/\" is outside the files root ` + files
		if code != http.StatusConflict || !strings.Contains(body, want) || strings.Contains(body, keyB64) {
			t.Fatalf("root /: %d %s\nwant 409 with %s", code, body, want)
		}
		// The data folder as the root, or a root that climbs to it: the same.
		for _, root := range []string{data, "..", "../files/.."} {
			code, body := p.runScenario(fileScenario("files:Download", root, `{"path":"secret.keys"}`))
			if code != http.StatusConflict || !strings.Contains(body, "InvalidConfigurationError: parameters.root: ") ||
				!strings.Contains(body, "the files root "+files) || strings.Contains(body, keyB64) {
				t.Fatalf("root %s: %d %s", root, code, body)
			}
		}
		// Inside the files root, paths that climb out or follow a link out fail the
		// run with a DataError; nothing of the key reaches the run.
		if err := os.Symlink(data, filepath.Join(files, "data-link")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(key, filepath.Join(files, "key")); err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]string{
			"../secret.keys":        "leaves the root folder",
			"data-link/secret.keys": "through a symbolic link",
			"data-link/weft.db":     "through a symbolic link",
			"key":                   "through a symbolic link",
			"/" + key:               "no such file or folder",
			"/../../../" + key[1:]:  "leaves the root folder",
		} {
			code, body := p.runScenario(fileScenario("files:Download", "", `{"path":`+quote(path)+`}`))
			if code != 200 || !strings.Contains(body, `"DataError"`) || !strings.Contains(body, want) || strings.Contains(body, keyB64) {
				t.Errorf("path %s: %d %s\nwant a DataError %q", path, code, body, want)
			}
		}
	})

	t.Run("modes", func(t *testing.T) {
		for path, want := range map[string]os.FileMode{data: 0o700, files: 0o700, key: 0o600,
			filepath.Join(data, "weft.db"): 0o600, filepath.Join(data, "weft.db-wal"): 0o600, filepath.Join(data, "weft.db-shm"): 0o600} {
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: %v %v; want mode %04o", path, fi, err, want)
			}
		}
	})

	t.Run("metrics address", func(t *testing.T) {
		p.t = t
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "weft_runs_total") {
			t.Fatalf("--metrics-addr: %d %.200s", resp.StatusCode, b)
		}
		if code, body := p.do("GET", "/metrics", ""); code != http.StatusNotFound || strings.Contains(body, "weft_runs_total") {
			t.Fatalf("main address still serves /metrics: %d %.200s", code, body)
		}
	})

	t.Run("bad tokens throttled", func(t *testing.T) {
		p.t = t
		good := p.token
		defer func() { p.token = good }()
		p.token = "weft_NOPE"
		for i := range 10 {
			if code, body := p.do("GET", "/api/v1/scenarios", ""); code != 401 {
				t.Fatalf("bad token %d: %d %s", i+1, code, body)
			}
		}
		req, _ := http.NewRequest("GET", p.base+"/api/v1/scenarios", nil)
		req.Header.Set("Authorization", "Bearer weft_NOPE")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("the 11th bad token: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		// The token used above keeps working from this (throttled) address.
		p.token = good
		if code, body := p.do("GET", "/api/v1/scenarios", ""); code != 200 {
			t.Fatalf("good token: %d %s", code, body)
		}
	})
	p.t = t
	p.stop()
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
