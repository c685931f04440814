package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func filesBlueprint(module, root string, mapper string) string {
	return `{"name":"files","flow":[{"id":1,"module":"` + module + `","version":1,"parameters":{"root":` +
		jsonString(root) + `},"mapper":` + mapper + `}],"metadata":{"version":1}}`
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// weft run confines the files app to DATA/files: the key file is out of reach, and the
// refusal names the root and the files root.
func TestRunConfinesFiles(t *testing.T) {
	data := dataDirOf(t)
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(data, "secret.keys")
	if err := os.WriteFile(key, []byte("k1:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bp := writeFile(t, "leak.json", filesBlueprint("files:Download", "/", `{"path":`+jsonString(key)+`}`))
	code, out, _ := weft(t, "", "run", bp, "--json")
	var res struct {
		Status string
		Error  struct{ Type, Message string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("run --json: %v\n%s", err, out)
	}
	files := filepath.Join(data, "files")
	if code != 1 || res.Error.Type != "InvalidConfigurationError" ||
		!strings.Contains(res.Error.Message, `parameters.root: "/" is outside the files root `+files) ||
		strings.Contains(out, "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=") {
		t.Fatalf("exit %d, %s", code, out)
	}
	if fi, err := os.Stat(files); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("files root: %v %v; want a 0700 folder", fi, err)
	}
	// Inside the files root all works: an empty root is the files root itself.
	up := writeFile(t, "up.json", filesBlueprint("files:Upload", "", `{"path":"out/a.txt","data":"hello"}`))
	if code, out, errOut := weft(t, "", "run", up); code != 0 {
		t.Fatalf("upload: exit %d %s %s", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(files, "out", "a.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("uploaded file: %q %v", b, err)
	}
}

// --files-root and $WEFT_FILES_ROOT choose another folder; one that holds the data
// folder is refused before anything runs.
func TestFilesRootFlagAndEnv(t *testing.T) {
	data := dataDirOf(t)
	elsewhere := filepath.Join(t.TempDir(), "shared")
	up := writeFile(t, "up.json", filesBlueprint("files:Upload", elsewhere, `{"path":"a.txt","data":"x"}`))
	if code, out, errOut := weft(t, "", "--files-root", elsewhere, "run", up); code != 0 {
		t.Fatalf("--files-root: exit %d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "a.txt")); err != nil {
		t.Fatalf("not written to --files-root: %v", err)
	}
	env := filepath.Join(t.TempDir(), "env-files")
	t.Setenv("WEFT_FILES_ROOT", env)
	up = writeFile(t, "up2.json", filesBlueprint("files:Upload", "", `{"path":"b.txt","data":"y"}`))
	if code, out, errOut := weft(t, "", "run", up); code != 0 {
		t.Fatalf("$WEFT_FILES_ROOT: exit %d %s %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(env, "b.txt")); err != nil {
		t.Fatalf("not written to $WEFT_FILES_ROOT: %v", err)
	}

	for _, tc := range []struct{ args []string }{
		{[]string{"--files-root", data}},
		{[]string{"--files-root", filepath.Dir(data)}},
		{[]string{"--files-root", "/"}},
	} {
		code, _, errOut := weft(t, "", append(tc.args, "run", up)...)
		if code != 1 || !strings.Contains(errOut, "--files-root: files root ") ||
			!strings.Contains(errOut, "contains "+data+", which blueprints must never reach") {
			t.Errorf("%v: exit %d, stderr %s", tc.args, code, errOut)
		}
	}
	t.Setenv("WEFT_FILES_ROOT", data)
	if code, _, errOut := weft(t, "", "run", up); code != 1 || !strings.Contains(errOut, "$WEFT_FILES_ROOT: files root "+data+" contains") {
		t.Errorf("$WEFT_FILES_ROOT=DATA: exit %d, stderr %s", code, errOut)
	}
}

// The data folder is its owner's alone: an existing one open to others is narrowed to
// 0700, and the database and its companions are 0600.
func TestDataFolderModes(t *testing.T) {
	data := dataDirOf(t)
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := weft(t, "", "run"); code != 0 {
		t.Fatalf("run: exit %d %s", code, errOut)
	}
	for p, want := range map[string]os.FileMode{data: 0o700, filepath.Join(data, "weft.db"): 0o600,
		filepath.Join(data, "weft.lock"): 0o600, filepath.Join(data, "files"): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v; want mode %04o", p, fi, err, want)
		}
	}
}
