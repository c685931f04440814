package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/store/sqlite"
)

func newBackupCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "backup DIR",
		Short: "Copy the data folder's database and key file, consistently, while weft runs",
		Long: "backup writes DIR/weft.db, a consistent snapshot of the SQLite store taken while weft\n" +
			"keeps running (no lock is taken: webhooks, runs and retries go on), and DIR/secret.keys,\n" +
			"a copy of the key file that decrypts stored connections. Keep the two apart from each\n" +
			"other in storage (whoever has both reads every connection) and apart from the server.\n" +
			"DIR must not hold a backup already. To restore, stop weft and copy both files into an\n" +
			"empty data folder. A Postgres store is backed up with pg_dump (docs/deploy.md).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := localOnly(cmd, "it copies the data folder's files"); err != nil {
				return err
			}
			if sharedDatabase(cmd) {
				return errors.New("the store is PostgreSQL (--db or $WEFT_DATABASE_URL): back it up with pg_dump, and the key file with it (docs/deploy.md)")
			}
			dir := args[0]
			src := filepath.Join(dataDir(cmd), "weft.db")
			if _, err := os.Stat(src); err != nil {
				return fmt.Errorf("no store to back up: %w", err)
			}
			st, err := sqlite.Open(cmd.Context(), src, sqlite.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now()
			db := filepath.Join(dir, "weft.db")
			if err := st.Backup(cmd.Context(), db); err != nil {
				return err
			}
			keys := ""
			if os.Getenv(secrets.DefaultKeyEnv) == "" {
				if _, err := os.Stat(keyFile(cmd)); err == nil {
					keys = filepath.Join(dir, "secret.keys")
					if err := copyFile(keyFile(cmd), keys); err != nil {
						return fmt.Errorf("copy the key file: %w", err)
					}
				}
			}
			fi, _ := os.Stat(db)
			out := map[string]any{"database": db, "bytes": fi.Size(), "keyFile": nilIfEmptyString(keys),
				"seconds": time.Since(start).Seconds()}
			w := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(w).Encode(out)
			}
			fmt.Fprintf(w, "database: %s (%d bytes, %.2f s)\n", db, fi.Size(), time.Since(start).Seconds())
			if keys != "" {
				fmt.Fprintf(w, "key file: %s — store it apart from the database\n", keys)
			} else {
				fmt.Fprintf(w, "key file: not copied (keys come from $%s or there are none); back them up yourself\n", secrets.DefaultKeyEnv)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

func nilIfEmptyString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// copyFile copies a file created 0600 (it holds secrets); the target must not exist.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
