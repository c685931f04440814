package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// `weft queue`: the trigger queue of a scenario — payloads waiting for a run, being
// run, or set aside (dead) after a run that ended in error deactivated their instant
// scenario. Make calls this the webhook's incoming queue. The commands work beside a
// running `weft serve` or `weft work` (they take no data-folder lock): a payload a run
// consumes is never deleted, and a retried one is picked up at the worker's next poll.
func newQueueCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "queue",
		Short: "List, show, retry and delete a scenario's queued trigger payloads"}
	cmd.AddCommand(newQueueList(), newQueueShow(), newQueueRetry(), newQueueDelete())
	return cmd
}

func newQueueList() *cobra.Command {
	var (
		asJSON   bool
		scenario int64
		status   []string
		limit    int
		after    int64
	)
	c := &cobra.Command{
		Use:   "list [--scenario ID] [--status waiting,running,dead]",
		Short: "List queued trigger payloads in arrival order (without the payloads)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := store.QueueFilter{ScenarioID: scenario, Limit: limit, AfterID: after}
			var err error
			if f.Status, err = queueStatuses(status); err != nil {
				return err
			}
			if limit < 1 {
				return fmt.Errorf("--limit %d: want at least 1", limit)
			}
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			items, err := svc.ListQueue(cmd.Context(), f)
			if err != nil {
				return err
			}
			views := make([]weft.QueueItemJSON, len(items))
			for i, it := range items {
				views[i] = it.JSON()
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), views)
				return nil
			}
			for _, v := range views {
				fmt.Fprintf(cmd.OutOrStdout(), "%d  scenario %d  %-7s %9s  %s%s\n", v.ID, v.ScenarioID, v.Status,
					humanBytes(v.SizeBytes), v.EnqueuedAt, queueNote(v))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().Int64Var(&scenario, "scenario", 0, "only this scenario's queue")
	c.Flags().StringSliceVar(&status, "status", nil, "only these statuses (waiting, running, dead)")
	c.Flags().IntVar(&limit, "limit", 50, "at most this many")
	c.Flags().Int64Var(&after, "after", 0, "only those after this id (cursor)")
	return c
}

// queueNote is what a listing adds after an item: the run consuming it, or why it was
// set aside.
func queueNote(v weft.QueueItemJSON) string {
	switch {
	case v.Error != nil:
		return fmt.Sprintf("  set aside by execution %s: %s at module %d: %s", *v.ExecutionID, v.Error.Type,
			v.Error.ModuleID, oneLine(v.Error.Message, 80))
	case v.ExecutionID != nil:
		return "  run by execution " + *v.ExecutionID
	}
	return ""
}

func newQueueShow() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show one queued trigger payload with its data",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := queueID(args[0])
			if err != nil {
				return err
			}
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			it, confidential, err := svc.GetQueued(cmd.Context(), 0, id)
			if err != nil {
				return err
			}
			v := it.JSON()
			var payload json.RawMessage // the stored (tagged) JSON as plain JSON
			if !confidential {
				p, err := value.UnmarshalTagged(it.Payload)
				if err != nil {
					return fmt.Errorf("queued payload %d: stored payload: %w", id, err)
				}
				payload = value.JSON(p)
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), struct {
					weft.QueueItemJSON
					Confidential bool `json:"confidential"`
					Payload      any  `json:"payload"`
				}{v, confidential, payload})
				return nil
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "queued payload %d of scenario %d: %s, %s, enqueued %s\n", v.ID, v.ScenarioID, v.Status,
				humanBytes(v.SizeBytes), v.EnqueuedAt)
			if v.Error != nil {
				fmt.Fprintf(w, "  set aside %s by execution %s: %s at module %d: %s\n", *v.DeadAt, *v.ExecutionID,
					v.Error.Type, v.Error.ModuleID, v.Error.Message)
				fmt.Fprintf(w, "  retry it: weft queue retry %d; delete it: weft queue delete %d\n", v.ID, v.ID)
			} else if v.ExecutionID != nil {
				fmt.Fprintf(w, "  being run by execution %s\n", *v.ExecutionID)
			}
			if confidential {
				fmt.Fprintln(w, "  confidential scenario: the payload is kept for its run but not shown")
			} else {
				fmt.Fprintf(w, "  payload: %s\n", payload)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newQueueRetry() *cobra.Command {
	var (
		asJSON   bool
		scenario int64
		allFlag  bool
		except   []string
	)
	c := &cobra.Command{
		Use:   "retry ID... | --scenario ID --all [--except ID,...]",
		Short: "Put dead (set-aside) payloads back in their queue, in their arrival place",
		Long: "retry puts payloads that were set aside after their run ended in error back in\n" +
			"their scenario's queue, where they arrived: they run next once the scenario is\n" +
			"active (`weft scenarios activate ID`). Waiting and running payloads are left as\n" +
			"they are.",
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := queueSelection(args, scenario, allFlag, except)
			if err != nil {
				return err
			}
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			n, err := svc.RetryQueued(cmd.Context(), sel)
			if err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), map[string]any{"queued": n})
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d payload(s) back in the queue; they run once the scenario is active\n", n)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().Int64Var(&scenario, "scenario", 0, "the scenario whose dead payloads to retry (with --all)")
	c.Flags().BoolVar(&allFlag, "all", false, "every dead payload of --scenario")
	c.Flags().StringSliceVar(&except, "except", nil, "ids to leave out (with --all)")
	return c
}

func newQueueDelete() *cobra.Command {
	var (
		asJSON   bool
		scenario int64
		allFlag  bool
		except   []string
		status   []string
		confirm  bool
	)
	c := &cobra.Command{
		Use:   "delete ID... | --scenario ID --all [--status dead] [--except ID,...] --confirm",
		Short: "Delete queued payloads (never one a run consumes now; all of a scenario needs --confirm)",
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := queueSelection(args, scenario, allFlag, except)
			if err != nil {
				return err
			}
			if sel.Status, err = queueStatuses(status); err != nil {
				return err
			}
			if sel.All && !confirm {
				return fmt.Errorf("deleting every queued payload of scenario %d needs --confirm", scenario)
			}
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			n, err := svc.DeleteQueued(cmd.Context(), sel)
			if err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), map[string]any{"deleted": n})
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d queued payload(s) deleted\n", n)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().Int64Var(&scenario, "scenario", 0, "the scenario whose queued payloads to delete (with --all)")
	c.Flags().BoolVar(&allFlag, "all", false, "every queued payload of --scenario that no run consumes")
	c.Flags().StringSliceVar(&except, "except", nil, "ids to keep (with --all)")
	c.Flags().StringSliceVar(&status, "status", nil, "only these statuses (waiting, dead)")
	c.Flags().BoolVar(&confirm, "confirm", false, "confirm deleting all of a scenario's queued payloads")
	return c
}

func queueID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("queued payload id %q: want a positive whole number (see weft queue list)", s)
	}
	return id, nil
}

func queueStatuses(flags []string) ([]weft.QueueStatus, error) {
	var out []weft.QueueStatus
	for _, f := range flags {
		for _, one := range strings.Split(f, ",") {
			st := weft.QueueStatus(strings.TrimSpace(one))
			if !st.Valid() {
				return nil, fmt.Errorf("--status %q: want waiting, running or dead", one)
			}
			out = append(out, st)
		}
	}
	return out, nil
}

func queueSelection(args []string, scenario int64, allFlag bool, except []string) (store.QueueSelection, error) {
	sel := store.QueueSelection{ScenarioID: scenario, All: allFlag}
	for _, a := range args {
		id, err := queueID(a)
		if err != nil {
			return sel, err
		}
		sel.IDs = append(sel.IDs, id)
	}
	for _, e := range except {
		for _, one := range strings.Split(e, ",") {
			if one = strings.TrimSpace(one); one != "" {
				id, err := queueID(one)
				if err != nil {
					return sel, fmt.Errorf("--except: %w", err)
				}
				sel.Except = append(sel.Except, id)
			}
		}
	}
	switch {
	case len(args) > 0 && (allFlag || scenario != 0):
		return sel, fmt.Errorf("give queued payload ids, or --scenario ID --all, not both")
	case len(args) == 0 && !(allFlag && scenario != 0):
		return sel, fmt.Errorf("give queued payload ids, or --scenario ID --all [--except ID,...]")
	case len(sel.Except) > 0 && !allFlag:
		return sel, fmt.Errorf("--except needs --scenario ID --all")
	}
	return sel, nil
}

// humanBytes prints a size for people: 812 B, 4.9 MB (decimal units).
func humanBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}
