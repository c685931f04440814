// Package cli is weft's command line. cmd/weft only calls Main; everything else lives
// here so commands are tested in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Version is set at build time (-ldflags "-X github.com/weftworks/weft/cli.Version=…").
var Version = "dev"

// ExitError carries a command's exit status without printing anything more.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs the CLI with args and returns the process exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	fmt.Fprintln(stderr, "weft:", err)
	return 1
}

// NewRoot builds the command tree.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "weft",
		Short: "weft runs Make-format scenarios, and never loses a failed run",
		Long: "weft is a self-hosted scenario automation engine. It runs blueprints exported from\n" +
			"Make (Integromat) or Workfront Fusion unchanged.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String("data", "", "data folder (default $WEFT_DATA or ./weft-data)")
	root.PersistentFlags().String("db", "", "database: postgres://user:password@host/db, shared by several weft processes (default $WEFT_DATABASE_URL, else SQLite in the data folder)")
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
	return root
}

// readInput reads a file argument, "-" meaning stdin.
func readFile(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(name)
}
