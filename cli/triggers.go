package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/server/api"
)

// `weft triggers`: where a scenario's polling trigger stands, and choosing where it
// starts (Make's "Choose where to start", docs/triggers.md). The commands work beside a
// running weft serve: a run in flight when a start is chosen keeps its position to
// itself, the next run starts where the person chose.
func newTriggersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "triggers", Short: "Show a polling trigger's position and choose where it starts"}
	cmd.AddCommand(newTriggersShow(), newTriggersStart())
	return cmd
}

func newTriggersShow() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show SCENARIO",
		Short: "Show where a scenario's polling trigger stands",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := scenarioID(args[0])
			if err != nil {
				return err
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var p api.TriggerPosition
			data, err := c.call(cmd.Context(), "GET", fmt.Sprintf("/scenarios/%d/trigger", id), nil, nil, &p)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			start := "moved on by runs"
			if p.Start != nil {
				start = *p.Start
			}
			fmt.Fprintf(cmd.OutOrStdout(), "scenario %d module %d (%s)\nposition %s\nstart    %s\nversion  %d, updated %s\n",
				p.ScenarioID, p.ModuleID, p.Module, p.Position, start, p.Version, p.UpdatedAt)
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

func newTriggersStart() *cobra.Command {
	var (
		from   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "start SCENARIO --from now|all|DATE|last:N",
		Short: "Choose where a scenario's polling trigger starts",
		Long: "start sets where the next run of a scenario's polling trigger (rss:TriggerNewArticle,\n" +
			"google-sheets:watchRows, …) starts: now (only items that appear from now on), all\n" +
			"(every item the service still has), a date (items dated at or after it: 2026-05-01,\n" +
			"read in --timezone, or 2026-05-01T08:00:00Z; triggers that follow dates), or last:N\n" +
			"(the N newest items, then every new one). The trigger asks its service where that is.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := scenarioID(args[0])
			if err != nil {
				return err
			}
			choice, err := app.ParseStartFrom(from, timezone(cmd))
			if err != nil {
				return usageErrorf("--from: %v", err)
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var p api.TriggerPosition
			data, err := c.call(cmd.Context(), "PUT", fmt.Sprintf("/scenarios/%d/trigger/start", id), nil,
				map[string]string{"from": choice.String()}, &p)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			start := ""
			if p.Start != nil {
				start = *p.Start
			}
			fmt.Fprintf(cmd.OutOrStdout(), "scenario %d: %s starts from %s (position %s)\n", id, p.Module, start, p.Position)
			return nil
		},
	}
	c.Flags().StringVar(&from, "from", "now", "where to start: now, all, a date, or last:N")
	jsonFlag(c, &asJSON)
	return c
}
