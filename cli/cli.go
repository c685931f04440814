// Package cli is weft's command line. cmd/weft only calls Main; everything else lives
// here so commands are tested in-process.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/internal/buildinfo"
)

// Exit statuses (docs/cli.md).
const (
	// ExitOK: the command did what it was asked.
	ExitOK = 0
	// ExitFailed: it could not, or what it ran failed (a run ended in error, an
	// incomplete execution is still not resolved, something was not found…).
	ExitFailed = 1
	// ExitUsage: the command line was wrong: an unknown command or flag, a missing or
	// extra argument, a value the command or the API refuses as input.
	ExitUsage = 2
	// ExitBusy: weft is busy with it right now: another weft process that serves no
	// API holds the data folder, or the thing is being worked on (an incomplete
	// execution's attempt, a sequential scenario's run). The same command may succeed
	// later.
	ExitBusy = 3
)

// ExitError carries a command's exit status without printing anything more.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// usageError is a wrong command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode is the exit status err calls for.
func exitCode(err error) int {
	var (
		ee   *ExitError
		ue   *usageError
		be   *BusyError
		apiE *APIError
	)
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &be):
		return ExitBusy
	case errors.As(err, &apiE):
		switch {
		case apiE.Code == "busy":
			return ExitBusy
		case apiE.Status == 400:
			return ExitUsage
		}
	}
	return ExitFailed
}

// Main runs the CLI with args and returns the process exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Runs a command carries out itself log from their own goroutines while the command
	// draws progress on the same stderr: a writer that is not a file is guarded.
	if _, ok := stderr.(*os.File); !ok {
		stderr = &lockedWriter{w: stderr}
	}
	root := NewRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	// ran: the command's own RunE started; an error before it is cobra's or the global
	// flags' refusal of the command line (unknown command or flag, wrong arguments, a
	// required flag missing, which cobra checks after PersistentPreRunE).
	ran := false
	pre := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := pre(cmd, args); err != nil {
			return &usageError{msg: err.Error()}
		}
		return nil
	}
	var mark func(*cobra.Command)
	mark = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				ran = true
				return run(cmd, args)
			}
		}
		for _, sub := range c.Commands() {
			mark(sub)
		}
	}
	mark(root)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if !ran {
		// Cobra's own refusals (unknown command or flag, wrong number of arguments, a
		// required flag missing) come before the command runs.
		var ue *usageError
		if !errors.As(err, &ue) {
			err = &usageError{msg: err.Error()}
		}
	}
	printError(cmd, stderr, err)
	return exitCode(err)
}

// printError writes err for people ("weft: …"), or with --json as the API's error
// object, so scripts read the same shape from both.
func printError(cmd *cobra.Command, w io.Writer, err error) {
	asJSON := false
	if cmd != nil {
		if f := cmd.Flags().Lookup("json"); f != nil && f.Value.String() == "true" {
			asJSON = true
		}
	}
	if !asJSON {
		fmt.Fprintln(w, "weft:", err)
		var ue *usageError
		if errors.As(err, &ue) && cmd != nil {
			fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return
	}
	e := &APIError{Message: err.Error(), Details: json.RawMessage("null")}
	var apiE *APIError
	switch code := exitCode(err); {
	case errors.As(err, &apiE):
		e = apiE
		if len(e.Details) == 0 {
			e.Details = json.RawMessage("null")
		}
	case code == ExitUsage:
		e.Code = "invalid_input"
	case code == ExitBusy:
		e.Code = "busy"
	default:
		e.Code = "failed"
	}
	writeJSON(w, map[string]any{"error": e})
}

// NewRoot builds the command tree.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "weft",
		Short: "weft runs Make-format scenarios, and never loses a failed run",
		Long: "weft is a self-hosted scenario automation engine. It runs blueprints exported from\n" +
			"Make (Integromat) or Workfront Fusion unchanged.\n\n" +
			"Commands work on the data folder, through the weft server holding it when one runs,\n" +
			"or on a remote server with --server URL --token TOKEN (docs/cli.md).\n" +
			"Exit status: 0 done, 1 failed, 2 wrong usage, 3 busy (try again later).",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.Read().String(),
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	root.PersistentFlags().String("data", "", "data folder (default $WEFT_DATA or ./weft-data)")
	root.PersistentFlags().String("db", "", "database: postgres://user:password@host/db, shared by several weft processes (default $WEFT_DATABASE_URL, else SQLite in the data folder)")
	root.PersistentFlags().String("server", "", "a weft server's address (default $WEFT_SERVER): work through its API instead of the data folder")
	root.PersistentFlags().String("token", "", "the API token for --server (default $WEFT_TOKEN)")
	root.PersistentFlags().String("files-root", "", "the only folder the files app may use (default $WEFT_FILES_ROOT or DATA/files)")
	root.PersistentFlags().String("timezone", "", "default time zone of date functions (IANA name; default UTC)")
	root.PersistentFlags().String("log-format", "text", "log format: text or json")
	root.PersistentFlags().String("log-level", "info", "log level: debug, info, warn, error")
	root.PersistentPreRunE = checkFlags
	root.AddCommand(newValidateCmd(), newRunCmd(), newModulesCmd(), newExecutionsCmd(), newIncompleteCmd(),
		newScenariosCmd(), newEnqueueCmd(), newWorkCmd(), newServeCmd(), newBenchCmd(), newTokensCmd())
	root.AddCommand(newConnectionsCmd())
	root.AddCommand(newQueueCmd())
	root.AddCommand(newBreakersCmd())
	root.AddCommand(newOAuthClientsCmd())
	root.AddCommand(newTriggersCmd())
	root.AddCommand(newBackupCmd())
	root.AddCommand(newVersionCmd())
	return root
}

// readFile reads a file argument, "-" meaning stdin.
func readFile(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(name)
}

// localOnly refuses --server for a command that works on the data folder itself.
// $WEFT_SERVER is ignored there: a shell that talks to a remote weft by default may
// still start one here.
func localOnly(cmd *cobra.Command, why string) error {
	if f := cmd.Flags().Lookup("server"); f != nil && f.Changed {
		return usageErrorf("%s works on the data folder on this machine, not through --server: %s",
			strings.TrimPrefix(cmd.CommandPath(), "weft "), why)
	}
	return nil
}

// lockedWriter serialises writes to w (os.File writes are safe already).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
