package cli

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/postgres"
	"github.com/weftworks/weft/store/sqlite"
)

// databaseURL is where weft keeps its records: --db, else $WEFT_DATABASE_URL, else ""
// (SQLite in the data folder, the default).
func databaseURL(cmd *cobra.Command) string {
	if u, _ := cmd.Flags().GetString("db"); u != "" {
		return u
	}
	return os.Getenv("WEFT_DATABASE_URL")
}

// checkDatabase refuses a --db (or $WEFT_DATABASE_URL) weft cannot use, before any
// command runs.
func checkDatabase(cmd *cobra.Command) error {
	u := databaseURL(cmd)
	if u == "" || postgres.IsURL(u) {
		return nil
	}
	from := "--db"
	if f, _ := cmd.Flags().GetString("db"); f == "" {
		from = "$WEFT_DATABASE_URL"
	}
	return fmt.Errorf("%s: weft keeps its records in SQLite in the data folder (leave it unset) or in PostgreSQL (postgres://user:password@host:5432/database); %q is neither", from, redactURL(u))
}

// redactURL hides a password in a URL for messages.
func redactURL(u string) string {
	if postgres.IsURL(u) {
		return postgres.Redact(u)
	}
	if p, err := url.Parse(u); err == nil && p.User != nil {
		if _, ok := p.User.Password(); ok {
			p.User = url.UserPassword(p.User.Username(), "xxxxx")
		}
		u = p.String()
	} else if err != nil {
		u = "(not a URL)" // it may hold a password we cannot find
	}
	if len(u) > 60 {
		return u[:60] + "…"
	}
	return u
}

// sharedDatabase reports whether the command's store is one several processes share
// (PostgreSQL): then no process owns the data folder, and recovery takes over only the
// work of processes whose lease expired.
func sharedDatabase(cmd *cobra.Command) bool { return databaseURL(cmd) != "" }

// openStore opens the command's store: PostgreSQL at --db / $WEFT_DATABASE_URL, as a
// process of the given role (shown in its process table), else SQLite in dir.
func openStore(cmd *cobra.Command, dir, role string) (store.Store, error) {
	if u := databaseURL(cmd); u != "" {
		if err := checkDatabase(cmd); err != nil {
			return nil, err
		}
		return postgres.Open(cmd.Context(), u, postgres.Options{Role: role, LeaseTTL: leaseTTL(cmd)})
	}
	return sqlite.Open(cmd.Context(), filepath.Join(dir, "weft.db"), sqlite.Options{})
}

// leaseTTL is --lease where the command has it (serve, work); 0: the store's default.
func leaseTTL(cmd *cobra.Command) time.Duration {
	if f := cmd.Flags().Lookup("lease"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil {
			return d
		}
	}
	return 0
}

// addLeaseFlag adds --lease to a command that runs work (serve, work).
func addLeaseFlag(c *cobra.Command) {
	c.Flags().Duration("lease", 30*time.Second, "with --db: how long this process's lease lasts without renewal; the work of a process that died is taken over by the others after it")
}

// storeRole is the role a command's process shows in PostgreSQL's process table.
func storeRole(cmd *cobra.Command) string {
	if f := cmd.Flags().Lookup("role"); f != nil {
		return f.Value.String()
	}
	if cmd.Name() == "work" {
		return "worker"
	}
	return "cli"
}

// checkRole refuses a serve --role weft does not know, and a split of roles on a store
// one process owns.
func checkRole(cmd *cobra.Command, role string) error {
	switch role {
	case server.RoleAll:
		return nil
	case server.RoleAPI, server.RoleWorker:
		if !sharedDatabase(cmd) {
			return fmt.Errorf("--role %s: roles split the work of processes sharing a database (--db postgres://…); with SQLite in the data folder one process does everything (--role all)", role)
		}
		return nil
	}
	return fmt.Errorf("--role %q: want all, api or worker", role)
}
