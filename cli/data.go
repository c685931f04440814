package cli

import (
	"errors"
	"fmt"
	"github.com/weftworks/weft/logging"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/app/files"
	"github.com/weftworks/weft/service"
)

// dataDir is the data folder: --data, else WEFT_DATA, else ./weft-data.
func dataDir(cmd *cobra.Command) string {
	if d, _ := cmd.Flags().GetString("data"); d != "" {
		return d
	}
	if d := os.Getenv("WEFT_DATA"); d != "" {
		return d
	}
	return "weft-data"
}

// openService opens the store in the data folder and a service on it. Commands that
// run scenarios or change incomplete executions take the folder's lock (one weft
// process owns it: recovery after a crash depends on it); reading commands do not.
func openService(cmd *cobra.Command, exclusive bool) (*service.Service, func(), error) {
	return openServiceWith(cmd, exclusive, nil)
}

func openServiceWith(cmd *cobra.Command, exclusive bool, configure func(*service.Config)) (*service.Service, func(), error) {
	dir := dataDir(cmd)
	unlock := func() error { return nil }
	// A shared database (--db postgres://…) is not the data folder's: several processes
	// use it at once, and each recovers only the work of processes that died
	// (cli/database.go). The folder still holds the keys and the files root.
	if exclusive && !sharedDatabase(cmd) {
		var err error
		if unlock, err = service.Lock(dir); err != nil {
			return nil, nil, err
		}
	} else if _, err := os.Stat(filepath.Join(dir, "weft.db")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, err
		}
	}
	if err := restrictDataDir(cmd, dir); err != nil {
		unlock()
		return nil, nil, err
	}
	st, err := openStore(cmd, dir, storeRole(cmd))
	if err != nil {
		unlock()
		return nil, nil, err
	}
	filesBase, err := filesRoot(cmd)
	if err != nil {
		st.Close()
		unlock()
		return nil, nil, err
	}
	np, err := netPolicy(cmd) // the outbound policy (cli/netpolicy.go)
	if err != nil {
		st.Close()
		unlock()
		return nil, nil, err
	}
	reg, err := all.New(all.Deps{Store: st, FilesBase: filesBase, Net: np})
	if err != nil {
		st.Close()
		unlock()
		return nil, nil, err
	}
	// The service logs through the process logger, so --log-format json and --log-level
	// hold for its messages too (slog.Default would print plain lines).
	cfg := service.Config{Store: st, Registry: reg, Location: timezone(cmd), Logger: logger(cmd),
		BaseURL: os.Getenv("WEFT_BASE_URL")} // instant app triggers register BASE/hooks/TOKEN (serve sets its own)
	if np != nil { // OAuth code exchanges go to a connection's token URL: the same policy
		cfg.OAuthHTTP = np.Client(30 * time.Second)
	}
	st0 := defaultStorage() // incomplete-execution storage, module timeout, workers (cli/storage.go)
	if err := st0.resolve(nil); err != nil {
		st.Close()
		unlock()
		return nil, nil, err
	}
	st0.apply(&cfg)
	if cfg.Limits, err = limitsFromEnv(); err != nil { // run limits (cli/limits.go)
		st.Close()
		unlock()
		return nil, nil, err
	}
	if cfg.Secrets, err = loadSecrets(cmd, false); err != nil { // stored connections (cli/connections.go)
		st.Close()
		unlock()
		return nil, nil, err
	}
	if configure != nil {
		configure(&cfg)
	}
	svc, err := service.New(cfg)
	if err != nil {
		st.Close()
		unlock()
		return nil, nil, err
	}
	if exclusive {
		// The previous owner may have died mid-run: put its work back in order first.
		if _, err := svc.Recover(cmd.Context()); err != nil {
			st.Close()
			unlock()
			return nil, nil, err
		}
	}
	return svc, func() { st.Close(); unlock() }, nil
}

// restrictDataDir gives the data folder mode 0700 when it grants others any access:
// it holds the database and the key file, and new files are born there.
func restrictDataDir(cmd *cobra.Command, dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data folder %s: restrict to mode 0700 (it is %04o): %w", dir, perm, err)
		}
		logger(cmd).Debug("data folder restricted to its owner", "folder", dir, "was", fmt.Sprintf("%04o", perm))
	}
	return nil
}

// filesRoot prepares the folder the files app is confined to: --files-root, else
// $WEFT_FILES_ROOT, else DATA/files (created 0700). Every command that runs scenarios
// confines it; a files root holding the data folder (its database and key file, which
// together decrypt every connection) is refused.
func filesRoot(cmd *cobra.Command) (string, error) {
	dir, _ := cmd.Flags().GetString("files-root")
	from := "--files-root"
	if dir == "" {
		dir, from = os.Getenv("WEFT_FILES_ROOT"), "$WEFT_FILES_ROOT"
	}
	if dir == "" {
		dir, from = filepath.Join(dataDir(cmd), "files"), "the files root"
	}
	base, err := files.PrepareBase(dir, dataDir(cmd))
	if err != nil {
		return "", fmt.Errorf("%s: %w", from, err)
	}
	return base, nil
}

// timezone is --timezone (an IANA name), UTC by default; checked in PersistentPreRunE.
func timezone(cmd *cobra.Command) *time.Location {
	name, _ := cmd.Flags().GetString("timezone")
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

func checkTimezone(cmd *cobra.Command, _ []string) error {
	if name, _ := cmd.Flags().GetString("timezone"); name != "" {
		if _, err := time.LoadLocation(name); err != nil {
			return fmt.Errorf("--timezone %q: %w", name, err)
		}
	}
	return nil
}

// logger is the process logger: --log-format text|json, --log-level (checked by
// checkFlags before any command runs).
func logger(cmd *cobra.Command) *slog.Logger {
	format, _ := cmd.Flags().GetString("log-format")
	level, _ := cmd.Flags().GetString("log-level")
	lv, err := logging.ParseLevel(level)
	if err != nil {
		lv = slog.LevelInfo
	}
	l, err := logging.NewLogger(cmd.ErrOrStderr(), format, lv)
	if err != nil {
		return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: lv}))
	}
	return l
}

// checkFlags rejects bad global flags before a command runs.
func checkFlags(cmd *cobra.Command, args []string) error {
	if err := checkTimezone(cmd, args); err != nil {
		return err
	}
	if err := checkDatabase(cmd); err != nil {
		return err
	}
	level, _ := cmd.Flags().GetString("log-level")
	if _, err := logging.ParseLevel(level); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	format, _ := cmd.Flags().GetString("log-format")
	if _, err := logging.NewLogger(io.Discard, format, slog.LevelInfo); err != nil {
		return fmt.Errorf("--log-format: %w", err)
	}
	return nil
}
