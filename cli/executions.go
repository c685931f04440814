package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/server/api"
)

func newExecutionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "executions", Short: "List and show recorded executions"}
	var (
		asJSON   bool
		scenario int64
		status   string
		kind     string
		before   string
		parent   string
		page     pageFlags
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List executions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && !validExecStatus(status) {
				return usageErrorf("--status %q: want running, success, warning or error", status)
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			q := page.query(before)
			if scenario != 0 {
				q.Set("scenario", strconv.FormatInt(scenario, 10))
			}
			for k, v := range map[string]string{"status": status, "kind": kind, "parent": parent} {
				if v != "" {
					q.Set(k, v)
				}
			}
			data, err := c.do(cmd.Context(), "GET", "/executions", q, nil)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			p, err := decodePage[api.Execution](data)
			if err != nil {
				return err
			}
			for _, v := range p.Items {
				errText := ""
				if v.Error != nil {
					errText = fmt.Sprintf("  %s at module %d", v.Error.Type, v.Error.ModuleID)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s  scenario %d  %-5s %-8s %3d ops  %s%s\n", v.ID, v.ScenarioID, v.Kind, v.Status, v.Operations, v.StartedAt, errText)
			}
			moreHint(cmd, p.NextCursor)
			return nil
		},
	}
	jsonFlag(list, &asJSON)
	list.Flags().Int64Var(&scenario, "scenario", 0, "only this scenario")
	list.Flags().StringVar(&parent, "parent", "", "only the sub-scenario runs this execution called (an id or a unique prefix)")
	list.Flags().StringVar(&status, "status", "", "only this status (running, success, warning, error)")
	list.Flags().StringVar(&kind, "kind", "", "only this kind (run, retry)")
	list.Flags().StringVar(&before, "before", "", "only executions started before this one (an id)")
	page.add(list)

	var showJSON, showLog bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one execution (ID: the whole id or a unique prefix) and its log",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var ex api.ExecutionDetail
			data, err := c.call(cmd.Context(), "GET", "/executions/"+url.PathEscape(args[0]), nil, nil, &ex)
			if err != nil {
				return err
			}
			var logData []byte
			var log struct {
				Log []engine.LogEntry `json:"log"`
			}
			if showLog {
				if logData, err = c.call(cmd.Context(), "GET", "/executions/"+url.PathEscape(ex.ID)+"/log", nil, nil, &log); err != nil {
					return err
				}
			}
			if showJSON {
				if !showLog {
					printRaw(cmd, data)
					return nil
				}
				// The execution and its log, as the two answers hold them.
				var l struct {
					Log json.RawMessage `json:"log"`
				}
				json.Unmarshal(logData, &l)
				writeJSON(cmd.OutOrStdout(), struct {
					Execution json.RawMessage `json:"execution"`
					Log       json.RawMessage `json:"log"`
				}{json.RawMessage(data), l.Log})
				return nil
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "execution %s of scenario %d (version %d, %s): %s, %d operation(s)\n", ex.ID, ex.ScenarioID, ex.Version, ex.Kind, strings.ToUpper(string(ex.Status)), ex.Operations)
			if ex.Error != nil {
				fmt.Fprintf(w, "  error: module %d: %s: %s\n", ex.Error.ModuleID, ex.Error.Type, ex.Error.Message)
			}
			if c := ex.CalledBy; c != nil {
				fmt.Fprintf(w, "  called by execution %s (module %d)\n", c.ExecutionID, c.ModuleID)
			}
			for _, id := range ex.IncompleteExecutions {
				fmt.Fprintf(w, "  stored incomplete execution %s\n", id)
			}
			if showLog {
				printLog(w, log.Log)
			}
			return nil
		},
	}
	jsonFlag(show, &showJSON)
	show.Flags().BoolVar(&showLog, "log", false, "print the execution log (with --json: {\"execution\", \"log\"})")
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

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
