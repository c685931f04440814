package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/server/api"
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
		after    int64
		page     pageFlags
	)
	c := &cobra.Command{
		Use:   "list [--scenario ID] [--status waiting,running,dead]",
		Short: "List queued trigger payloads in arrival order (without the payloads)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			statuses, err := queueStatuses(status)
			if err != nil {
				return err
			}
			cursor := ""
			if after > 0 {
				cursor = strconv.FormatInt(after, 10)
			}
			q := page.query(cursor)
			if len(statuses) > 0 {
				q.Set("status", strings.Join(statuses, ","))
			}
			if scenario != 0 {
				q.Set("scenario", strconv.FormatInt(scenario, 10))
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			data, err := c.do(cmd.Context(), "GET", "/queue", q, nil)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			p, err := decodePage[weft.QueueItemJSON](data)
			if err != nil {
				return err
			}
			for _, v := range p.Items {
				fmt.Fprintf(cmd.OutOrStdout(), "%d  scenario %d  %-7s %9s  %s%s\n", v.ID, v.ScenarioID, v.Status,
					humanBytes(v.SizeBytes), v.EnqueuedAt, queueNote(v))
			}
			moreHint(cmd, p.NextCursor)
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().Int64Var(&scenario, "scenario", 0, "only this scenario's queue")
	c.Flags().StringSliceVar(&status, "status", nil, "only these statuses (waiting, running, dead)")
	c.Flags().Int64Var(&after, "after", 0, "only those after this id")
	page.add(c)
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
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var v api.QueueItemDetail
			data, err := c.call(cmd.Context(), "GET", fmt.Sprintf("/queue/%d", id), nil, nil, &v)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
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
			if v.Confidential {
				fmt.Fprintln(w, "  confidential scenario: the payload is kept for its run but not shown")
			} else {
				fmt.Fprintf(w, "  payload: %s\n", compact(v.Payload))
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

// queueTarget is where a bulk queue command posts: the scenario's queue for --all,
// the queue of every scenario for ids.
func queueTarget(args []string, scenario int64, allFlag bool, except []string, statuses []string, del bool) (string, map[string]any, error) {
	ids, err := queueIDs(args)
	if err != nil {
		return "", nil, err
	}
	ex, err := queueIDs(splitList(except))
	if err != nil {
		return "", nil, usageErrorf("--except: %v", err)
	}
	switch {
	case len(args) > 0 && (allFlag || scenario != 0):
		return "", nil, usageErrorf("give queued payload ids, or --scenario ID --all, not both")
	case len(args) == 0 && !(allFlag && scenario != 0):
		return "", nil, usageErrorf("give queued payload ids, or --scenario ID --all [--except ID,...]")
	case len(ex) > 0 && !allFlag:
		return "", nil, usageErrorf("--except needs --scenario ID --all")
	}
	action := map[bool]string{false: "retry", true: "delete"}[del]
	body := map[string]any{}
	if len(statuses) > 0 {
		body["status"] = statuses
	}
	if allFlag {
		body["all"], body["except"] = true, ex
		if del {
			body["confirmed"] = true
		}
		return fmt.Sprintf("/scenarios/%d/queue/%s", scenario, action), body, nil
	}
	body["ids"] = ids
	return "/queue/" + action, body, nil
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
			path, body, err := queueTarget(args, scenario, allFlag, except, nil, false)
			if err != nil {
				return err
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var n struct{ Queued int }
			data, err := c.call(cmd.Context(), "POST", path, nil, body, &n)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d payload(s) back in the queue; they run once the scenario is active\n", n.Queued)
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
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
			statuses, err := queueStatuses(status)
			if err != nil {
				return err
			}
			path, body, err := queueTarget(args, scenario, allFlag, except, statuses, true)
			if err != nil {
				return err
			}
			if allFlag && !confirm {
				return usageErrorf("deleting every queued payload of scenario %d needs --confirm", scenario)
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var n struct{ Deleted int }
			data, err := c.call(cmd.Context(), "POST", path, nil, body, &n)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d queued payload(s) deleted\n", n.Deleted)
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
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
		return 0, usageErrorf("queued payload id %q: want a positive whole number (see weft queue list)", s)
	}
	return id, nil
}

func queueIDs(args []string) ([]int64, error) {
	ids := []int64{}
	for _, a := range args {
		id, err := queueID(a)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// splitList splits repeated, comma-separated flag values.
func splitList(flags []string) []string {
	var out []string
	for _, f := range flags {
		for _, one := range strings.Split(f, ",") {
			if one = strings.TrimSpace(one); one != "" {
				out = append(out, one)
			}
		}
	}
	return out
}

func queueStatuses(flags []string) ([]string, error) {
	var out []string
	for _, one := range splitList(flags) {
		if !weft.QueueStatus(one).Valid() {
			return nil, usageErrorf("--status %q: want waiting, running or dead", one)
		}
		out = append(out, one)
	}
	return out, nil
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
