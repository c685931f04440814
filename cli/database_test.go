package cli_test

import (
	"strings"
	"testing"
)

// --db, $WEFT_DATABASE_URL, serve --role and bench --processes refuse what weft cannot
// do, saying which flag and why, before anything is opened, and never print a password.
func TestDatabaseFlagRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		args []string
		want []string
	}{
		{"not postgres", "", []string{"--db", "mysql://weft:hunter2@db.internal/weft", "scenarios", "list"},
			[]string{"--db:", "PostgreSQL", "mysql://weft:xxxxx@db.internal/weft"}},
		{"env not postgres", "sqlite:///var/lib/weft.db", []string{"scenarios", "list"},
			[]string{"$WEFT_DATABASE_URL:", "PostgreSQL"}},
		{"role api on SQLite", "", []string{"serve", "--role", "api", "--addr", "127.0.0.1:0"},
			[]string{"--role api", "--db postgres://"}},
		{"role worker on SQLite", "", []string{"serve", "--role", "worker", "--addr", "127.0.0.1:0"},
			[]string{"--role worker", "--db postgres://"}},
		{"unknown role", "", []string{"--db", "postgres://weft:hunter2@127.0.0.1:1/weft", "serve", "--role", "boss", "--addr", "127.0.0.1:0"},
			[]string{`--role "boss"`, "all, api or worker"}},
		{"processes on SQLite", "", []string{"bench", "--processes", "2", "--duration", "1s"},
			[]string{"--processes", "PostgreSQL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("WEFT_DATABASE_URL", tc.env)
			code, _, errs := weft(t, "", tc.args...)
			if code == 0 {
				t.Fatalf("weft %s: exit 0, want a refusal", strings.Join(tc.args, " "))
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
			if strings.Contains(errs, "hunter2") {
				t.Errorf("stderr shows the password: %q", errs)
			}
		})
	}
}
