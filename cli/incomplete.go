package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/value"
)

func newIncompleteCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "incomplete", Aliases: []string{"ie"},
		Short: "List, inspect, retry, resolve and delete incomplete executions",
		Long: "Incomplete executions are named by their id or a unique beginning of it (at least\n" +
			"4 characters; the web UI shows 10)."}
	cmd.AddCommand(newIncompleteList(), newIncompleteShow(), newIncompleteRetry(), newIncompleteResolve(), newIncompleteDelete())
	cmd.AddCommand(newIncompleteCheck(), newIncompleteMarkDone(), newIncompletePreview()) // cli/recovery.go
	return cmd
}

func newIncompleteList() *cobra.Command {
	var (
		asJSON    bool
		scenario  int64
		status    []string
		errType   string
		module    int
		execution string
		after     string
		page      pageFlags
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List incomplete executions, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := page.query(after)
			var statuses []string
			for _, s := range status {
				for _, one := range strings.Split(s, ",") {
					if st := weft.IncompleteStatus(strings.TrimSpace(one)); !st.Valid() {
						return usageErrorf("--status %q: want unresolved, pending, in_progress or resolved", one)
					}
					statuses = append(statuses, strings.TrimSpace(one))
				}
			}
			if len(statuses) > 0 {
				q.Set("status", strings.Join(statuses, ","))
			}
			if errType != "" {
				if !weft.ErrorType(errType).Valid() {
					return usageErrorf("--error-type %q is not an error type", errType)
				}
				q.Set("errorType", errType)
			}
			if scenario != 0 {
				q.Set("scenario", strconv.FormatInt(scenario, 10))
			}
			if module != 0 {
				q.Set("module", strconv.Itoa(module))
			}
			if execution != "" {
				q.Set("execution", execution)
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			data, err := c.do(cmd.Context(), "GET", "/incomplete-executions", q, nil)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			p, err := decodePage[weft.IncompleteJSON](data)
			if err != nil {
				return err
			}
			for _, v := range p.Items {
				next := ""
				if v.NextAttemptAt != nil {
					next = " next " + *v.NextAttemptAt
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s  scenario %d  module %d  %-11s %-26s attempts %d%s  %s\n",
					v.ID, v.ScenarioID, v.FailedModuleID, v.Status, v.ErrorType, v.Attempts, next, oneLine(v.ErrorMessage, 80))
			}
			moreHint(cmd, p.NextCursor)
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().Int64Var(&scenario, "scenario", 0, "only this scenario")
	c.Flags().StringSliceVar(&status, "status", nil, "only these statuses (unresolved, pending, in_progress, resolved)")
	c.Flags().StringVar(&errType, "error-type", "", "only this error type")
	c.Flags().IntVar(&module, "module", 0, "only those that failed at this module id")
	c.Flags().StringVar(&execution, "execution", "", "only those this execution stored (an id or a unique prefix)")
	c.Flags().StringVar(&after, "after", "", "only those after this one (an id)")
	page.add(c)
	return c
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func newIncompleteShow() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show an incomplete execution: error, stored input, attempts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var v weft.IncompleteJSON
			ieData, err := c.call(cmd.Context(), "GET", "/incomplete-executions/"+url.PathEscape(args[0]), nil, nil, &v)
			if err != nil {
				return err
			}
			base := "/incomplete-executions/" + url.PathEscape(v.ID)
			var b api.IncompleteBundle
			bundleData, err := c.call(cmd.Context(), "GET", base+"/bundle", nil, nil, &b)
			if err != nil {
				return err
			}
			var atts struct {
				Items json.RawMessage `json:"items"`
			}
			var attempts api.Page[api.Attempt]
			attData, err := c.call(cmd.Context(), "GET", base+"/attempts", nil, nil, &attempts)
			if err != nil {
				return err
			}
			if asJSON {
				json.Unmarshal(attData, &atts)
				writeJSON(cmd.OutOrStdout(), struct {
					IE       json.RawMessage `json:"incompleteExecution"`
					Bundle   json.RawMessage `json:"bundle"`
					Attempts json.RawMessage `json:"attempts"`
				}{ieData, bundleData, atts.Items})
				return nil
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "incomplete execution %s of scenario %d (from execution %s)\n", v.ID, v.ScenarioID, v.ExecutionID)
			fmt.Fprintf(w, "  status %s, failed at module %d: %s: %s\n", v.Status, v.FailedModuleID, v.ErrorType, v.ErrorMessage)
			if v.NextAttemptAt != nil {
				fmt.Fprintf(w, "  next automatic attempt %s\n", *v.NextAttemptAt)
			}
			if v.OutcomeUnknown && v.Status != weft.IncompleteResolved {
				fmt.Fprintf(w, "  outcome unknown: the call was sent but never answered; `weft incomplete check %s --url URL`, "+
					"`mark-done %s --output JSON` or `retry %s`\n", v.ID, v.ID, v.ID)
			}
			if v.BreakerKey != nil {
				fmt.Fprintf(w, "  calls %s (its circuit breaker)\n", *v.BreakerKey)
			}
			if b.Confidential {
				fmt.Fprintln(w, "  confidential scenario: bundle data is kept for resuming but not shown")
			} else {
				fmt.Fprintf(w, "  input:   %s\n", compact(b.Input))
				fmt.Fprintf(w, "  outputs: %s\n", compact(b.Outputs))
			}
			for _, a := range attempts.Items {
				fin := "running"
				if a.FinishedAt != nil {
					fin = string(a.Outcome)
				}
				et, em := "", ""
				if a.ErrorType != nil {
					et = string(*a.ErrorType)
				}
				if a.ErrorMessage != nil {
					em = *a.ErrorMessage
				}
				fmt.Fprintf(w, "  attempt %d %s %s (execution %s) %s %s\n", a.N, a.StartedAt, fin, a.ExecutionID, et, oneLine(em, 60))
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

// compact is JSON on one line (null when empty).
func compact(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	v, err := value.DecodeJSON(raw)
	if err != nil {
		return string(raw)
	}
	return string(value.JSON(v))
}

// selectionBody reads IDs or --scenario --all [--except] into the API's selection.
func selectionBody(args []string, scenario int64, allFlag bool, except []string) (map[string]any, error) {
	var ex []string
	for _, e := range except {
		for _, one := range strings.Split(e, ",") {
			if one = strings.TrimSpace(one); one != "" {
				ex = append(ex, one)
			}
		}
	}
	switch {
	case len(args) > 0 && (allFlag || scenario != 0):
		return nil, usageErrorf("give incomplete execution ids, or --scenario ID --all, not both")
	case len(args) == 0 && !(allFlag && scenario != 0):
		return nil, usageErrorf("give incomplete execution ids, or --scenario ID --all [--except ID,...]")
	case len(ex) > 0 && !allFlag:
		return nil, usageErrorf("--except needs --scenario ID --all")
	}
	if allFlag {
		return map[string]any{"scenarioId": scenario, "all": true, "except": nonNil(ex)}, nil
	}
	return map[string]any{"ids": args}, nil
}

func newIncompleteRetry() *cobra.Command {
	var (
		asJSON   bool
		scenario int64
		allFlag  bool
		except   []string
		fromFlag string
		noWait   bool
	)
	c := &cobra.Command{
		Use:   "retry ID... | --scenario ID --all [--except ID,...]",
		Short: "Retry incomplete executions as stored (one id: now; several: a job with a progress bar)",
		Long: "retry ID runs one incomplete execution as stored, now, and prints the outcome (exit\n" +
			"status 0 when it ended resolved). With several ids, or --scenario ID --all, they are\n" +
			"queued for a retry now and the command follows the job to the end, a progress bar on\n" +
			"stderr, then prints the counts by outcome (exit status 1 when any failed again).\n" +
			"Without a server the command carries the retries out itself; --no-wait leaves them\n" +
			"queued for weft serve or weft work and returns at once.",
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := selectionBody(args, scenario, allFlag, except)
			if err != nil {
				return err
			}
			var retryBody any // nil: from the failing module
			if fromFlag != "" {
				from, err := parseFrom(fromFlag)
				if err != nil {
					return err
				}
				if len(args) != 1 {
					return usageErrorf("--from retries one incomplete execution")
				}
				retryBody = map[string]any{"from": from}
			}
			c, err := connect(cmd, writes, connectOptions{queueOnly: noWait})
			if err != nil {
				return err
			}
			defer c.Close()
			if len(args) == 1 {
				return runIncomplete(cmd, c, "/incomplete-executions/"+url.PathEscape(args[0])+"/retry", retryBody, asJSON)
			}
			var j api.Job
			data, err := c.call(cmd.Context(), "POST", "/incomplete-executions/retry", nil, body, &j)
			if err != nil {
				return err
			}
			if noWait {
				if asJSON {
					printRaw(cmd, data)
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "%d incomplete execution(s) queued for a retry now (job %s)\n", j.Total, j.ID)
				}
				return nil
			}
			j, data, err = followJob(cmd, c, j)
			if err != nil {
				return err
			}
			return finishJob(cmd, j, data, asJSON)
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().Int64Var(&scenario, "scenario", 0, "the scenario whose incomplete executions to retry (with --all)")
	c.Flags().BoolVar(&allFlag, "all", false, "every unresolved or pending incomplete execution of --scenario")
	c.Flags().StringSliceVar(&except, "except", nil, "ids to leave out (with --all)")
	c.Flags().StringVar(&fromFlag, "from", "", "start from an earlier module of the failing module's path (its id), or from the trigger's bundle (trigger)")
	c.Flags().BoolVar(&noWait, "no-wait", false, "queue them and return at once (several ids or --all)")
	return c
}

func newIncompleteResolve() *cobra.Command {
	var (
		asJSON bool
		sets   []string
		bpFile string
	)
	c := &cobra.Command{
		Use:   "resolve ID [--set MODULE.mapper.FIELD=VALUE | --set MODULE.parameters.FIELD=VALUE ...] [--blueprint FILE]",
		Short: "Change the incomplete execution's blueprint and run it now from the failing module",
		Long: "resolve applies the changes to the incomplete execution's own copy of the blueprint\n" +
			"(the failing module or any module after it), then continues the run from the\n" +
			"failing module with the stored data and prints the outcome. VALUE is JSON when it\n" +
			"parses as JSON, else text: 4.mapper.url=https://api.example.com/v2,\n" +
			"4.mapper.body={{1.text}}, 4.parameters.handleErrors=false.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var edits []map[string]any
			for _, s := range sets {
				e, err := service.ParseEdit(s)
				if err != nil {
					return usageErrorf("--set %v", err)
				}
				edits = append(edits, map[string]any{"moduleId": e.ModuleID, "part": e.Part, "path": e.Path,
					"value": json.RawMessage(value.JSON(e.Value))})
			}
			body := map[string]any{"edits": edits}
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
			if len(edits) == 0 && bpFile == "" {
				// Nothing to change: resolve is a retry.
				body = nil
			}
			c, err := connect(cmd, writes)
			if err != nil {
				return err
			}
			defer c.Close()
			path := "/incomplete-executions/" + url.PathEscape(args[0]) + "/resolve"
			if body == nil {
				path = "/incomplete-executions/" + url.PathEscape(args[0]) + "/retry"
			}
			return runIncomplete(cmd, c, path, body, asJSON)
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().StringArrayVar(&sets, "set", nil, "MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE (repeatable)")
	c.Flags().StringVar(&bpFile, "blueprint", "", "replace the incomplete execution's blueprint with this file first")
	return c
}

// runIncomplete retries (or resolves) one incomplete execution now and prints the
// outcome; it exits 1 unless the incomplete execution ended resolved.
func runIncomplete(cmd *cobra.Command, c *client, path string, body any, asJSON bool) error {
	var rr api.RetryResult
	data, err := c.call(cmd.Context(), "POST", path, nil, body, &rr)
	if err != nil {
		return err
	}
	after, res := rr.IncompleteExecution, rr.Run
	if asJSON {
		printRaw(cmd, data)
	} else {
		w := cmd.OutOrStdout()
		fmt.Fprintf(w, "incomplete execution %s: attempt %d ran as execution %s and ended %s (%d operation(s))\n",
			after.ID, after.Attempts, res.ExecutionID, strings.ToUpper(string(res.Status)), res.Operations)
		switch after.Status {
		case weft.IncompleteResolved:
			fmt.Fprintln(w, "  resolved")
		default:
			fmt.Fprintf(w, "  still %s at module %d: %s: %s\n", after.Status, after.FailedModuleID, after.ErrorType, after.ErrorMessage)
		}
		for _, id := range res.IncompleteExecutions {
			fmt.Fprintf(w, "  new incomplete execution %s\n", id)
		}
		if r := res.Response; r != nil {
			fmt.Fprintf(w, "  webhook response: %d %s\n", r.Status, oneLine(r.Body, 200))
		}
	}
	if after.Status != weft.IncompleteResolved {
		return &ExitError{Code: ExitFailed}
	}
	return nil
}

func newIncompleteDelete() *cobra.Command {
	var (
		asJSON   bool
		scenario int64
		allFlag  bool
		except   []string
		confirm  bool
	)
	c := &cobra.Command{
		Use:   "delete ID... | --scenario ID --all [--except ID,...] --confirm",
		Short: "Delete incomplete executions (all of a scenario needs --confirm): a job with a progress bar",
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := selectionBody(args, scenario, allFlag, except)
			if err != nil {
				return err
			}
			if allFlag && !confirm {
				return usageErrorf("deleting every incomplete execution of scenario %d needs --confirm", scenario)
			}
			if allFlag {
				body["confirmed"] = true
			}
			c, err := connect(cmd, writes)
			if err != nil {
				return err
			}
			defer c.Close()
			var j api.Job
			if _, err := c.call(cmd.Context(), "POST", "/incomplete-executions/delete", nil, body, &j); err != nil {
				return err
			}
			j, data, err := followJob(cmd, c, j)
			if err != nil {
				return err
			}
			return finishJob(cmd, j, data, asJSON)
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().Int64Var(&scenario, "scenario", 0, "the scenario whose incomplete executions to delete (with --all)")
	c.Flags().BoolVar(&allFlag, "all", false, "every incomplete execution of --scenario")
	c.Flags().StringSliceVar(&except, "except", nil, "ids to keep (with --all)")
	c.Flags().BoolVar(&confirm, "confirm", false, "confirm deleting all of a scenario's incomplete executions")
	return c
}
