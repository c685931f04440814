package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/value"
)

// Outcome unknown, circuit breakers, resume preview (docs/incomplete-executions.md §9–§12),
// through the REST API like every data command (docs/cli.md).

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
				return usageErrorf("--url is required: where the read-back finds the write")
			}
			c, err := connect(cmd, reads) // a read-back call; nothing is recorded
			if err != nil {
				return err
			}
			defer c.Close()
			var res struct { // app.CheckResult, its output as sent
				Done    bool            `json:"done"`
				Output  json.RawMessage `json:"output"`
				Message string          `json:"message"`
			}
			data, err := c.call(cmd.Context(), "POST", "/incomplete-executions/"+url.PathEscape(args[0])+"/check", nil,
				map[string]string{"url": target}, &res)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
			} else {
				w := cmd.OutOrStdout()
				fmt.Fprintln(w, res.Message)
				if res.Done {
					fmt.Fprintf(w, "  output: %s\n", compact(res.Output))
				}
			}
			if !res.Done {
				return &ExitError{Code: ExitFailed}
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
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
			out := json.RawMessage(`{}`)
			if strings.TrimSpace(output) != "" {
				v, err := value.DecodeJSON([]byte(output))
				if _, ok := v.(map[string]any); err != nil || !ok {
					return usageErrorf("--output must be a JSON object (what the module would have returned)")
				}
				out = json.RawMessage(output)
			}
			c, err := connect(cmd, writes)
			if err != nil {
				return err
			}
			defer c.Close()
			return runIncomplete(cmd, c, "/incomplete-executions/"+url.PathEscape(args[0])+"/mark-done",
				map[string]any{"output": out}, asJSON)
		},
	}
	jsonFlag(c, &asJSON)
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
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var page struct {
				Items []api.Breaker `json:"items"`
			}
			data, err := c.call(cmd.Context(), "GET", "/breakers", nil, nil, &page)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			w := cmd.OutOrStdout()
			if len(page.Items) == 0 {
				fmt.Fprintln(w, "no open circuit breaker")
			}
			for _, b := range page.Items {
				fmt.Fprintf(w, "%s  open since %s  %d waiting  next probe %s  %d failed probe(s)  %s: %s\n", b.Key,
					b.OpenedAt, b.Waiting, b.NextProbeAt, b.Failures, b.ErrorType, oneLine(b.ErrorMessage, 60))
			}
			return nil
		},
	}
	jsonFlag(list, &asJSON)
	var resetJSON bool
	reset := &cobra.Command{
		Use:   "reset KEY",
		Short: "Close a circuit breaker: the automatic retries it held are due at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Beside a running worker, like the queue commands: it only makes retries due.
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var res struct {
				Released int `json:"released"`
			}
			data, err := c.call(cmd.Context(), "POST", "/breakers/"+url.PathEscape(args[0])+"/reset", nil, nil, &res)
			if err != nil {
				return err
			}
			if resetJSON {
				printRaw(cmd, data)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "circuit breaker %s closed; %d incomplete execution(s) due now\n", args[0], res.Released)
			return nil
		},
	}
	jsonFlag(reset, &resetJSON)
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
		Use:   "preview ID [--set MODULE.mapper.FIELD=VALUE ...] [--blueprint FILE] [--from MODULE|trigger]",
		Short: "Show what a retry, or a resolve with these changes, would do — without doing it",
		Long: "preview lists the modules that run again (the failing one and what follows it), the\n" +
			"ones whose stored output is used, the ones that may write and may repeat a write they\n" +
			"already made for this bundle, and which mapped values of the failing module the\n" +
			"changes (the same --set and --blueprint as resolve) alter. Nothing is stored or run.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			for _, s := range sets {
				if _, err := service.ParseEdit(s); err != nil { // refused here, before any call
					return usageErrorf("--set %v", err)
				}
			}
			if len(sets) > 0 {
				body["edits"] = sets
			}
			if bpFile != "" {
				raw, err := readFile(cmd, bpFile)
				if err != nil {
					return err
				}
				if !json.Valid(raw) {
					return usageErrorf("--blueprint %s is not JSON", bpFile)
				}
				body["blueprint"] = json.RawMessage(raw)
			}
			if fromFlag != "" {
				from, err := parseFrom(fromFlag)
				if err != nil {
					return err
				}
				body["from"] = from
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var p struct {
				FailedModuleID int                     `json:"failedModuleId"`
				Modules        []service.PreviewModule `json:"modules"`
				Changes        []struct {
					Field  string          `json:"field"`
					Before json.RawMessage `json:"before"`
					After  json.RawMessage `json:"after"`
				} `json:"changes"`
			}
			data, err := c.call(cmd.Context(), "POST", "/incomplete-executions/"+url.PathEscape(args[0])+"/preview", nil, body, &p)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
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
				fmt.Fprintf(w, "  module %d's %s: %s → %s\n", p.FailedModuleID, ch.Field, compact(ch.Before), compact(ch.After))
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().StringArrayVar(&sets, "set", nil, "MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE (repeatable)")
	c.Flags().StringVar(&bpFile, "blueprint", "", "preview this edited blueprint in place of the incomplete execution's")
	c.Flags().StringVar(&fromFlag, "from", "", "preview a retry from an earlier module (its id) or the trigger's bundle (trigger)")
	return c
}

// parseFrom reads --from as the API's from: a module id, or "trigger" for the
// trigger's bundle.
func parseFrom(s string) (any, error) {
	if s == "trigger" {
		return "trigger", nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return nil, usageErrorf("--from %q: want a module id or trigger", s)
	}
	return n, nil
}

// breakerFlag is weft serve's and weft work's --circuit-breakers ($WEFT_CIRCUIT_BREAKERS
// when the flag is not given): on by default; off, each incomplete execution is retried
// on its own schedule (docs/incomplete-executions.md §10).
type breakerFlag struct{ on bool }

func (b *breakerFlag) add(c *cobra.Command) {
	c.Flags().BoolVar(&b.on, "circuit-breakers", true, "hold the automatic retries of incomplete executions failing on one connection or host behind one probe ($WEFT_CIRCUIT_BREAKERS)")
}

// resolve reads $WEFT_CIRCUIT_BREAKERS when the flag was not given (empty counts as unset).
func (b *breakerFlag) resolve(c *cobra.Command) error {
	v := strings.TrimSpace(os.Getenv("WEFT_CIRCUIT_BREAKERS"))
	if v == "" || c.Flags().Changed("circuit-breakers") {
		return nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return usageErrorf("$WEFT_CIRCUIT_BREAKERS=%q: want true or false", v)
	}
	b.on = on
	return nil
}

func (b *breakerFlag) apply(c *service.Config) { c.NoCircuitBreakers = !b.on }
