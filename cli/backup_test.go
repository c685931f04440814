package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft/service"
)

// weft backup works while another process owns the data folder (as weft serve does),
// copies the database and the key file, and the copy is a working data folder.
func TestBackupWhileTheFolderIsOwned(t *testing.T) {
	if code, _, errs := weft(t, "", "connections", "create", "--name", "k", "--type", "apikey", "--credentials", `{"key":"s3cret","name":"X-API-Key"}`); code != 0 {
		t.Fatalf("connections create: %d %s", code, errs)
	}
	dir, _ := dataDirs.Load(t.Name())
	unlock, err := service.Lock(dir.(string)) // a running weft holds it
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	out := filepath.Join(t.TempDir(), "b")
	code, stdout, errs := weft(t, "", "backup", out, "--json")
	if code != 0 {
		t.Fatalf("backup: %d %s %s", code, stdout, errs)
	}
	var res struct {
		Database string
		KeyFile  *string
		Bytes    int64
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.KeyFile == nil || res.Bytes == 0 {
		t.Fatalf("backup output %s", stdout)
	}
	for _, f := range []string{res.Database, *res.KeyFile} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
	}
	// The copy is a data folder of its own: the connection is there and decrypts.
	code, stdout, errs = weft(t, "", "--data", out, "connections", "list")
	if code != 0 || !strings.Contains(stdout, "k") {
		t.Fatalf("connections in the copy: %d %s %s", code, stdout, errs)
	}
	// A second backup into the same folder is refused.
	if code, _, errs := weft(t, "", "backup", out); code == 0 || !strings.Contains(errs, "exists") {
		t.Fatalf("backup over a backup: %d %s", code, errs)
	}
}

// weft backup refuses a PostgreSQL store (given by --db as by $WEFT_DATABASE_URL) and
// names pg_dump, rather than copying a SQLite file that is not the store.
func TestBackupRefusesPostgres(t *testing.T) {
	out := filepath.Join(t.TempDir(), "b")
	code, _, errs := weft(t, "", "--db", "postgres://weft@127.0.0.1:1/weft", "backup", out)
	if code == 0 || !strings.Contains(errs, "pg_dump") {
		t.Fatalf("backup --db postgres://…: %d %s", code, errs)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("backup wrote %s: %v", out, err)
	}
}
