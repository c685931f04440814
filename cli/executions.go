package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

func newExecutionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "executions", Short: "List and show recorded executions"}
	var (
		asJSON   bool
		scenario int64
		status   string
		limit    int
		before   string
		parent   string
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List executions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			if status != "" && !validExecStatus(status) {
				return fmt.Errorf("--status %q: want running, success, warning or error", status)
			}
			exs, err := svc.Store().ListExecutions(cmd.Context(), store.ExecutionFilter{ScenarioID: scenario,
				Status: weft.ExecutionStatus(status), Limit: limit, Before: before, ParentID: parent})
			if err != nil {
				return err
			}
			views := make([]executionView, len(exs))
			for i, e := range exs {
				views[i] = viewExecution(e)
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), views)
				return nil
			}
			for _, v := range views {
				errText := ""
				if v.Error != nil {
					errText = fmt.Sprintf("  %s at module %d", v.Error.Type, v.Error.ModuleID)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s  scenario %d  %-5s %-8s %3d ops  %s%s\n", v.ID, v.ScenarioID, v.Kind, v.Status, v.Operations, v.StartedAt, errText)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list.Flags().Int64Var(&scenario, "scenario", 0, "only this scenario")
	list.Flags().StringVar(&parent, "parent", "", "only the sub-scenario runs this execution called")
	list.Flags().StringVar(&status, "status", "", "only this status (running, success, warning, error)")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many")
	list.Flags().StringVar(&before, "before", "", "only executions started before this one (cursor)")

	var showJSON, showLog bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one execution and its log",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			ex, err := svc.Store().GetExecution(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("execution %s: %w", args[0], err)
			}
			var log []engine.LogEntry
			if len(ex.Log) > 0 {
				if err := json.Unmarshal(ex.Log, &log); err != nil {
					return fmt.Errorf("execution %s: log: %w", ex.ID, err)
				}
			}
			ies, err := svc.Store().ListIncomplete(cmd.Context(), store.IncompleteFilter{ExecutionID: ex.ID, Limit: 1000})
			if err != nil {
				return err
			}
			var stored []string
			for _, ie := range ies {
				stored = append(stored, ie.ID)
			}
			if showJSON {
				writeJSON(cmd.OutOrStdout(), map[string]any{"execution": viewExecution(ex), "log": log,
					"response": json.RawMessage(orNull(ex.Response)), "incompleteExecutions": nonNil(stored)})
				return nil
			}
			v := viewExecution(ex)
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "execution %s of scenario %d (version %d, %s): %s, %d operation(s)\n", v.ID, v.ScenarioID, v.Version, v.Kind, strings.ToUpper(string(v.Status)), v.Operations)
			if v.Error != nil {
				fmt.Fprintf(w, "  error: module %d: %s: %s\n", v.Error.ModuleID, v.Error.Type, v.Error.Message)
			}
			if c := v.CalledBy; c != nil {
				fmt.Fprintf(w, "  called by execution %s (module %d)\n", c.ExecutionID, c.ModuleID)
			}
			for _, id := range stored {
				fmt.Fprintf(w, "  stored incomplete execution %s\n", id)
			}
			if showLog {
				printLog(w, log)
			}
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	show.Flags().BoolVar(&showLog, "log", false, "print the execution log")
	cmd.AddCommand(list, show)
	return cmd
}

func validExecStatus(s string) bool {
	switch weft.ExecutionStatus(s) {
	case weft.ExecutionRunning, weft.ExecutionSuccess, weft.ExecutionWarning, weft.ExecutionError:
		return true
	}
	return false
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
