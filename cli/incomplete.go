package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

func newIncompleteCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "incomplete", Aliases: []string{"ie"},
		Short: "List, inspect, retry, resolve and delete incomplete executions"}
	cmd.AddCommand(newIncompleteList(), newIncompleteShow(), newIncompleteRetry(), newIncompleteResolve(), newIncompleteDelete())
	cmd.AddCommand(newIncompleteCheck(), newIncompleteMarkDone(), newIncompletePreview()) // cli/recovery.go
	return cmd
}

func newIncompleteList() *cobra.Command {
	var (
		asJSON   bool
		scenario int64
		status   []string
		errType  string
		module   int
		limit    int
		after    string
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List incomplete executions, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := store.IncompleteFilter{ScenarioID: scenario, ErrorType: weft.ErrorType(errType), ModuleID: module, Limit: limit, After: after}
			for _, s := range status {
				for _, one := range strings.Split(s, ",") {
					st := weft.IncompleteStatus(strings.TrimSpace(one))
					if !st.Valid() {
						return fmt.Errorf("--status %q: want unresolved, pending, in_progress or resolved", one)
					}
					f.Status = append(f.Status, st)
				}
			}
			if errType != "" && !weft.ErrorType(errType).Valid() {
				return fmt.Errorf("--error-type %q is not an error type", errType)
			}
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			ies, err := svc.Store().ListIncomplete(cmd.Context(), f)
			if err != nil {
				return err
			}
			views := make([]weft.IncompleteJSON, len(ies))
			for i, ie := range ies {
				views[i] = ie.JSON()
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), views)
				return nil
			}
			for _, v := range views {
				next := ""
				if v.NextAttemptAt != nil {
					next = " next " + *v.NextAttemptAt
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s  scenario %d  module %d  %-11s %-26s attempts %d%s  %s\n",
					v.ID, v.ScenarioID, v.FailedModuleID, v.Status, v.ErrorType, v.Attempts, next, oneLine(v.ErrorMessage, 80))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().Int64Var(&scenario, "scenario", 0, "only this scenario")
	c.Flags().StringSliceVar(&status, "status", nil, "only these statuses (unresolved, pending, in_progress, resolved)")
	c.Flags().StringVar(&errType, "error-type", "", "only this error type")
	c.Flags().IntVar(&module, "module", 0, "only those that failed at this module id")
	c.Flags().IntVar(&limit, "limit", 50, "at most this many")
	c.Flags().StringVar(&after, "after", "", "only those after this id (cursor)")
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
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			ie, err := svc.Store().GetIncomplete(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("incomplete execution %s: %w", args[0], err)
			}
			atts, err := svc.Store().ListAttempts(cmd.Context(), ie.ID)
			if err != nil {
				return err
			}
			if atts == nil {
				atts = []weft.Attempt{}
			}
			var input, outputs any
			if !ie.Confidential {
				if st, err := value.UnmarshalTagged(ie.State); err == nil {
					if m, ok := st.(map[string]any); ok {
						input, outputs = m["input"], m["outputs"]
					}
				}
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), map[string]any{"incompleteExecution": ie.JSON(),
					"errorDetails": ie.ErrorDetails, "confidential": ie.Confidential,
					"input": json.RawMessage(value.JSON(input)), "outputs": json.RawMessage(value.JSON(outputs)), "attempts": atts})
				return nil
			}
			v := ie.JSON()
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
			if ie.Confidential {
				fmt.Fprintln(w, "  confidential scenario: bundle data is kept for resuming but not shown")
			} else {
				fmt.Fprintf(w, "  input:   %s\n", value.JSON(input))
				fmt.Fprintf(w, "  outputs: %s\n", value.JSON(outputs))
			}
			for _, a := range atts {
				fin := "running"
				if a.FinishedAt != nil {
					fin = string(a.Outcome)
				}
				fmt.Fprintf(w, "  attempt %d %s %s (execution %s) %s %s\n", a.N, weft.RFC3339(a.StartedAt), fin, a.ExecutionID, a.ErrorType, oneLine(a.ErrorMessage, 60))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// selection reads IDs or --scenario --all [--except].
func selection(args []string, scenario int64, allFlag bool, except []string) (store.Selection, error) {
	sel := store.Selection{IDs: args, ScenarioID: scenario, All: allFlag}
	for _, e := range except {
		for _, one := range strings.Split(e, ",") {
			if one = strings.TrimSpace(one); one != "" {
				sel.Except = append(sel.Except, one)
			}
		}
	}
	switch {
	case len(args) > 0 && (allFlag || scenario != 0):
		return sel, fmt.Errorf("give incomplete execution ids, or --scenario ID --all, not both")
	case len(args) == 0 && !(allFlag && scenario != 0):
		return sel, fmt.Errorf("give incomplete execution ids, or --scenario ID --all [--except ID,...]")
	case len(sel.Except) > 0 && !allFlag:
		return sel, fmt.Errorf("--except needs --scenario ID --all")
	}
	return sel, nil
}

func newIncompleteRetry() *cobra.Command {
	var (
		asJSON   bool
		scenario int64
		allFlag  bool
		except   []string
		fromFlag string
	)
	c := &cobra.Command{
		Use:   "retry ID... | --scenario ID --all [--except ID,...]",
		Short: "Retry incomplete executions as stored (one id: now; several: queued for the worker)",
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := selection(args, scenario, allFlag, except)
			if err != nil {
				return err
			}
			svc, done, err := openService(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			if fromFlag != "" {
				from, err := parseFrom(fromFlag)
				if err != nil {
					return err
				}
				if len(sel.IDs) != 1 {
					return fmt.Errorf("--from retries one incomplete execution")
				}
				rr, after, err := svc.RetryFrom(cmd.Context(), sel.IDs[0], from)
				if err != nil {
					return err
				}
				return printAttempt(cmd, rr, after, asJSON)
			}
			if len(sel.IDs) == 1 {
				return runIncomplete(cmd, svc, sel.IDs[0], nil, nil, asJSON)
			}
			n, err := svc.Retry(cmd.Context(), sel)
			if err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), map[string]any{"queued": n})
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d incomplete execution(s) queued for a retry now; `weft work` carries them out\n", n)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().Int64Var(&scenario, "scenario", 0, "the scenario whose incomplete executions to retry (with --all)")
	c.Flags().BoolVar(&allFlag, "all", false, "every unresolved or pending incomplete execution of --scenario")
	c.Flags().StringSliceVar(&except, "except", nil, "ids to leave out (with --all)")
	c.Flags().StringVar(&fromFlag, "from", "", "start from an earlier module of the failing module's path (its id), or from the trigger's bundle (trigger)")
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
			svc, done, err := openService(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			return runIncomplete(cmd, svc, args[0], edits, raw, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringArrayVar(&sets, "set", nil, "MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE (repeatable)")
	c.Flags().StringVar(&bpFile, "blueprint", "", "replace the incomplete execution's blueprint with this file first")
	return c
}

// runIncomplete resolves one incomplete execution now and prints the outcome.
func runIncomplete(cmd *cobra.Command, svc *service.Service, id string, edits []service.Edit, raw []byte, asJSON bool) error {
	rr, after, err := svc.Resolve(cmd.Context(), id, edits, raw)
	if err != nil {
		return err
	}
	return printAttempt(cmd, rr, after, asJSON)
}

// printAttempt prints the outcome of an attempt run now; the exit status is 1 unless
// the incomplete execution ended resolved.
func printAttempt(cmd *cobra.Command, rr *service.RunResult, after *weft.Incomplete, asJSON bool) error {
	res := rr.Result
	more := make([]string, 0, len(rr.Incomplete))
	for _, ie := range rr.Incomplete {
		more = append(more, ie.ID)
	}
	if asJSON {
		out := map[string]any{"incompleteExecution": after.JSON(), "executionId": res.ExecutionID,
			"status": res.Status, "operations": res.Operations, "error": res.Error, "incompleteExecutions": more}
		writeJSON(cmd.OutOrStdout(), out)
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
		for _, id := range more {
			fmt.Fprintf(w, "  new incomplete execution %s\n", id)
		}
		if r := res.Response; r != nil {
			fmt.Fprintf(w, "  webhook response: %d %s\n", r.Status, oneLine(r.Body, 200))
		}
	}
	if after.Status != weft.IncompleteResolved {
		return &ExitError{Code: 1}
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
		Short: "Delete incomplete executions (all of a scenario needs --confirm)",
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := selection(args, scenario, allFlag, except)
			if err != nil {
				return err
			}
			if sel.All && !confirm {
				return fmt.Errorf("deleting every incomplete execution of scenario %d needs --confirm", scenario)
			}
			svc, done, err := openService(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			n, err := svc.Delete(cmd.Context(), sel, confirm)
			if err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), map[string]any{"deleted": n})
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d incomplete execution(s) deleted\n", n)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().Int64Var(&scenario, "scenario", 0, "the scenario whose incomplete executions to delete (with --all)")
	c.Flags().BoolVar(&allFlag, "all", false, "every incomplete execution of --scenario")
	c.Flags().StringSliceVar(&except, "except", nil, "ids to keep (with --all)")
	c.Flags().BoolVar(&confirm, "confirm", false, "confirm deleting all of a scenario's incomplete executions")
	return c
}
