package cli

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
)

// newScenariosCmd: the scenario commands the store needs now (the server issue adds
// update, export, clone, delete).
func newScenariosCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scenarios", Short: "Create, list, activate and deactivate stored scenarios"}
	var asJSON, activate bool
	create := &cobra.Command{
		Use:   "create FILE",
		Short: "Store a blueprint as a new scenario",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readFile(cmd, args[0])
			if err != nil {
				return err
			}
			svc, done, err := openService(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			abs, _ := filepath.Abs(args[0])
			sc, err := svc.CreateScenario(cmd.Context(), raw, "file:"+abs)
			if err != nil {
				return err
			}
			if activate {
				if sc, err = svc.SetActive(cmd.Context(), sc.ID, true); err != nil {
					return err
				}
			}
			return printScenario(cmd, sc, asJSON)
		},
	}
	create.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	create.Flags().BoolVar(&activate, "activate", false, "activate it at once")
	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			scs, err := svc.Store().ListScenarios(cmd.Context())
			if err != nil {
				return err
			}
			views := make([]scenarioView, len(scs))
			for i, s := range scs {
				views[i] = viewScenario(s)
			}
			if listJSON {
				writeJSON(cmd.OutOrStdout(), views)
				return nil
			}
			for _, v := range views {
				state := "inactive"
				if v.Active {
					state = "active"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d  %-8s v%d  %s\n", v.ID, state, v.Version, v.Name)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	cmd.AddCommand(create, list, setActiveCmd("activate", true), setActiveCmd("deactivate", false))
	return cmd
}

func setActiveCmd(use string, active bool) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   use + " ID",
		Short: map[bool]string{true: "Activate a scenario (clears weft's deactivation and pause)", false: "Deactivate a scenario"}[active],
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a scenario id", args[0])
			}
			svc, done, err := openService(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			sc, err := svc.SetActive(cmd.Context(), id, active)
			if err != nil {
				return err
			}
			return printScenario(cmd, sc, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printScenario(cmd *cobra.Command, sc *weft.Scenario, asJSON bool) error {
	if asJSON {
		writeJSON(cmd.OutOrStdout(), viewScenario(sc))
		return nil
	}
	state := "inactive"
	if sc.Active {
		state = "active"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "scenario %d %q version %d, %s\n", sc.ID, sc.Name, sc.Version, state)
	return nil
}

func newEnqueueCmd() *cobra.Command {
	var input string
	var asJSON bool
	c := &cobra.Command{
		Use:   "enqueue SCENARIO --input JSON|@file",
		Short: "Queue a trigger payload for a scenario; `weft work` runs it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a scenario id", args[0])
			}
			payload, err := readInput(cmd, input)
			if err != nil {
				return err
			}
			svc, done, err := openService(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			item, err := svc.Enqueue(cmd.Context(), id, payload)
			if err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), map[string]any{"id": item.ID, "scenarioId": item.ScenarioID})
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "queued payload %d for scenario %d\n", item.ID, item.ScenarioID)
			}
			return nil
		},
	}
	c.Flags().StringVar(&input, "input", "", "payload as JSON text, or @file")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newWorkCmd() *cobra.Command {
	var poll time.Duration
	var schedule []time.Duration
	c := &cobra.Command{
		Use:   "work",
		Short: "Carry out automatic retries and queued runs until stopped",
		Long: "work owns the data folder: it first recovers anything a previous process left\n" +
			"unfinished, then runs due retries (SPEC §5.3 schedule) and queued payloads, and\n" +
			"deletes resolved incomplete executions after 30 days. Stop it with SIGINT/SIGTERM.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, done, err := openServiceWith(cmd, true, func(c *service.Config) { c.RetrySchedule = schedule })
			if err != nil {
				return err
			}
			defer done()
			fmt.Fprintf(cmd.ErrOrStderr(), "weft work: data folder %s\n", dataDir(cmd))
			return svc.Work(cmd.Context(), poll)
		},
	}
	c.Flags().DurationVar(&poll, "poll", time.Second, "how often to look for new work when idle")
	c.Flags().DurationSliceVar(&schedule, "retry-schedule", nil, "delays before automatic attempts (default SPEC §5.3: 1m,10m,10m,30m,30m,30m,3h,3h); for tests")
	_ = c.Flags().MarkHidden("retry-schedule")
	return c
}
