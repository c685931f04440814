package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/value"
)

// Outcome unknown and circuit breakers (docs/incomplete-executions.md §9, §10).

func newIncompleteCheck() *cobra.Command {
	var (
		asJSON bool
		target string
	)
	c := &cobra.Command{
		Use:   "check ID --url URL",
		Short: "Read back whether the failing call of an incomplete execution took effect (outcome unknown)",
		Long: "check runs the failing module's read-back call: the HTTP app GETs URL (absolute, or\n" +
			"relative to the call's URL) with the call's headers and authentication. Exit status 0\n" +
			"when it found the write (mark it done: `weft incomplete mark-done ID --output JSON`),\n" +
			"1 when it did not (retry it: `weft incomplete retry ID`). Nothing is recorded.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(target) == "" {
				return fmt.Errorf("--url is required: where the read-back finds the write")
			}
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			res, err := svc.CheckOutcome(cmd.Context(), args[0], app.Check{URL: target})
			if err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), res)
			} else {
				w := cmd.OutOrStdout()
				fmt.Fprintln(w, res.Message)
				if res.Done {
					fmt.Fprintf(w, "  output: %s\n", value.JSON(map[string]any(res.Output)))
				}
			}
			if !res.Done {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&target, "url", "", "where the read-back finds the write")
	return c
}

func newIncompleteMarkDone() *cobra.Command {
	var (
		asJSON bool
		output string
	)
	c := &cobra.Command{
		Use:   "mark-done ID [--output JSON]",
		Short: "Record that the failing call took effect and continue the run after it with the given output",
		Long: "mark-done does not call the failing module again: OUTPUT (a JSON object, {} when left\n" +
			"out) stands in for what it would have returned, and the run continues downstream.\n" +
			"Logged as a manual attempt; exit status 0 when the incomplete execution ended resolved.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := weft.Bundle{}
			if strings.TrimSpace(output) != "" {
				v, err := value.DecodeJSON([]byte(output))
				m, ok := v.(map[string]any)
				if err != nil || !ok {
					return fmt.Errorf("--output must be a JSON object (what the module would have returned)")
				}
				out = m
			}
			svc, done, err := openService(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			rr, after, err := svc.MarkDone(cmd.Context(), args[0], out)
			if err != nil {
				return err
			}
			return printAttempt(cmd, rr, after, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&output, "output", "", "the module's output as a JSON object")
	return c
}

func newBreakersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "breakers", Short: "List and reset circuit breakers (automatic retries held per connection or host)"}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the open circuit breakers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			bs, err := svc.Breakers(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), bs)
				return nil
			}
			w := cmd.OutOrStdout()
			if len(bs) == 0 {
				fmt.Fprintln(w, "no open circuit breaker")
			}
			for _, b := range bs {
				fmt.Fprintf(w, "%s  open since %s  %d waiting  next probe %s  %d failed probe(s)  %s: %s\n", b.Key,
					weft.RFC3339(b.OpenedAt), b.Waiting, weft.RFC3339(b.NextProbeAt), b.Failures, b.ErrorType, oneLine(b.ErrorMessage, 60))
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	reset := &cobra.Command{
		Use:   "reset KEY",
		Short: "Close a circuit breaker: the automatic retries it held are due at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, done, err := openService(cmd, false) // beside a running worker, like the queue commands
			if err != nil {
				return err
			}
			defer done()
			n, err := svc.ResetBreaker(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "circuit breaker %s closed; %d incomplete execution(s) due now\n", args[0], n)
			return nil
		},
	}
	cmd.AddCommand(list, reset)
	return cmd
}

func newIncompletePreview() *cobra.Command {
	var (
		asJSON   bool
		sets     []string
		bpFile   string
		fromFlag string
	)
	c := &cobra.Command{
		Use:   "preview ID [--set MODULE.mapper.FIELD=VALUE ...] [--blueprint FILE]",
		Short: "Show what a retry, or a resolve with these changes, would do — without doing it",
		Long: "preview lists the modules that run again (the failing one and what follows it), the\n" +
			"ones whose stored output is used, the ones that may write and may repeat a write they\n" +
			"already made for this bundle, and which mapped values of the failing module the\n" +
			"changes (the same --set and --blueprint as resolve) alter. Nothing is stored or run.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var edits []service.Edit
			for _, s := range sets {
				e, err := service.ParseEdit(s)
				if err != nil {
					return fmt.Errorf("--set %w", err)
				}
				edits = append(edits, e)
			}
			var raw []byte
			if bpFile != "" {
				var err error
				if raw, err = readFile(cmd, bpFile); err != nil {
					return err
				}
			}
			from := 0
			if fromFlag != "" {
				var err error
				if from, err = parseFrom(fromFlag); err != nil {
					return err
				}
			}
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			p, err := svc.PreviewResolve(cmd.Context(), args[0], from, edits, raw)
			if err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), p)
				return nil
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "incomplete execution %s continues from module %d:\n", args[0], p.FailedModuleID)
			for _, m := range p.Modules {
				var what []string
				switch {
				case m.Runs:
					what = append(what, "runs")
				case m.Stored:
					what = append(what, "stored output used")
				default:
					what = append(what, "does not run")
				}
				if m.Runs && m.Writes {
					what = append(what, "may write")
				}
				if m.Repeats {
					what = append(what, "MAY REPEAT a write it already made for this bundle")
				}
				fmt.Fprintf(w, "  %3d %-32s %s\n", m.ID, m.Module, strings.Join(what, " · "))
			}
			for _, ch := range p.Changes {
				fmt.Fprintf(w, "  module %d's %s: %s → %s\n", p.FailedModuleID, ch.Field, value.JSON(ch.Before), value.JSON(ch.After))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringArrayVar(&sets, "set", nil, "MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE (repeatable)")
	c.Flags().StringVar(&bpFile, "blueprint", "", "preview this edited blueprint in place of the incomplete execution's")
	c.Flags().StringVar(&fromFlag, "from", "", "preview a retry from an earlier module (its id) or the trigger's bundle (trigger)")
	return c
}

// parseFrom reads --from: a module id, or "trigger" for the trigger's bundle (-1).
func parseFrom(s string) (int, error) {
	if s == "trigger" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--from %q: want a module id or trigger", s)
	}
	return n, nil
}
