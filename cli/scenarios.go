package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/service"
)

// newScenariosCmd: the scenario commands the store needs now (the server issue adds
// update, export, clone, delete).
func newScenariosCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scenarios", Short: "Create, list, activate and deactivate stored scenarios"}
	var asJSON, activate bool
	var baseURL string
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
			return printScenarioHook(cmd, svc, sc, asJSON, baseURL)
		},
	}
	create.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	create.Flags().BoolVar(&activate, "activate", false, "activate it at once")
	create.Flags().StringVar(&baseURL, "base-url", "http://127.0.0.1:8080", "weft serve's public address, for the webhook URL")
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
	cmd.AddCommand(create, list, setActiveCmd("activate", true), setActiveCmd("deactivate", false),
		newScenarioUpdate(), newScenarioShow(), newScenarioExport(), newScenarioDelete())
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
	var outbound netFlags // work runs the same scenarios as serve: the same outbound policy
	c := &cobra.Command{
		Use:   "work",
		Short: "Carry out automatic retries and queued runs until stopped",
		Long: "work owns the data folder: it first recovers anything a previous process left\n" +
			"unfinished, then runs due retries (SPEC §5.3 schedule) and queued payloads, and\n" +
			"deletes resolved incomplete executions after 30 days. Stop it with SIGINT/SIGTERM.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			np, err := outbound.policy()
			if err != nil {
				return err
			}
			useNetPolicy(cmd, np)
			svc, done, err := openServiceWith(cmd, true, func(c *service.Config) { c.RetrySchedule = schedule })
			if err != nil {
				return err
			}
			defer done()
			fmt.Fprintf(cmd.ErrOrStderr(), "weft work: data folder %s\n", dataDir(cmd))
			// On a shared database a process that lost its lease stops its runs at once:
			// the others take them over (cli/database.go).
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			fenced := make(chan struct{})
			go func() {
				select {
				case <-svc.Fenced():
					close(fenced)
					cancel()
				case <-ctx.Done():
				}
			}()
			err = svc.Work(ctx, poll)
			select {
			case <-fenced:
				return server.ErrFenced
			default:
				return err
			}
		},
	}
	c.Flags().DurationVar(&poll, "poll", time.Second, "how often to look for new work when idle")
	addLeaseFlag(c)
	outbound.add(c)
	c.Flags().DurationSliceVar(&schedule, "retry-schedule", nil, "delays before automatic attempts (default SPEC §5.3: 1m,10m,10m,30m,30m,30m,3h,3h); for tests")
	_ = c.Flags().MarkHidden("retry-schedule")
	return c
}

// withScenario parses a scenario id argument, opens the service (exclusive: it takes
// the data folder's lock) and calls fn.
func withScenario(cmd *cobra.Command, arg string, exclusive bool, fn func(svc *service.Service, id int64) error) error {
	id, err := scenarioID(arg)
	if err != nil {
		return err
	}
	svc, done, err := openService(cmd, exclusive)
	if err != nil {
		return err
	}
	defer done()
	return fn(svc, id)
}

// scenarioID reads a scenario id argument.
func scenarioID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a scenario id", arg)
	}
	return id, nil
}

// printScenarioHook prints a scenario with its webhook URL when its trigger is a
// webhook (the hook is created on first use).
func printScenarioHook(cmd *cobra.Command, svc *service.Service, sc *weft.Scenario, asJSON bool, baseURL string) error {
	h, err := svc.EnsureHook(cmd.Context(), sc.ID)
	if err != nil {
		return err
	}
	hookURL := ""
	if h != nil {
		hookURL = strings.TrimRight(baseURL, "/") + "/hooks/" + h.Token
	}
	if asJSON {
		v := struct {
			scenarioView
			HookURL *string `json:"hookUrl"`
		}{scenarioView: viewScenario(sc)}
		if hookURL != "" {
			v.HookURL = &hookURL
		}
		writeJSON(cmd.OutOrStdout(), v)
		return nil
	}
	if err := printScenario(cmd, sc, false); err != nil {
		return err
	}
	if hookURL != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "webhook: POST %s\n", hookURL)
	}
	return nil
}

func newScenarioUpdate() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "update ID FILE",
		Short: "Store FILE as the scenario's new current version (old versions are kept)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readFile(cmd, args[1])
			if err != nil {
				return err
			}
			return withScenario(cmd, args[0], true, func(svc *service.Service, id int64) error {
				sc, err := svc.UpdateScenario(cmd.Context(), id, raw)
				if err != nil {
					return err
				}
				return printScenario(cmd, sc, asJSON)
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newScenarioShow() *cobra.Command {
	var asJSON bool
	var baseURL string
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show a scenario, its versions and its webhook",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withScenario(cmd, args[0], false, func(svc *service.Service, id int64) error {
				sc, err := svc.Store().GetScenario(cmd.Context(), id)
				if err != nil {
					return fmt.Errorf("scenario %d: %w", id, err)
				}
				versions, err := svc.Store().ListVersions(cmd.Context(), id)
				if err != nil {
					return err
				}
				hookURL := ""
				if h, err := svc.Store().HookOfScenario(cmd.Context(), id); err == nil {
					hookURL = strings.TrimRight(baseURL, "/") + "/hooks/" + h.Token
				}
				if asJSON {
					type version struct {
						Version   int    `json:"version"`
						CreatedAt string `json:"createdAt"`
					}
					vs := make([]version, len(versions))
					for i, v := range versions {
						vs[i] = version{v.Version, weft.RFC3339(v.CreatedAt)}
					}
					var hu *string
					if hookURL != "" {
						hu = &hookURL
					}
					writeJSON(cmd.OutOrStdout(), map[string]any{"scenario": viewScenario(sc), "versions": vs, "hookUrl": hu})
					return nil
				}
				if err := printScenario(cmd, sc, false); err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if sc.Deactivated != "" {
					fmt.Fprintf(w, "  deactivated by weft: %s\n", sc.Deactivated)
				}
				if sc.Paused != "" {
					fmt.Fprintf(w, "  paused: %s\n", sc.Paused)
				}
				for _, v := range versions {
					fmt.Fprintf(w, "  version %d  %s\n", v.Version, weft.RFC3339(v.CreatedAt))
				}
				if hookURL != "" {
					fmt.Fprintf(w, "  webhook: POST %s\n", hookURL)
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&baseURL, "base-url", "http://127.0.0.1:8080", "weft serve's public address, for the webhook URL")
	return c
}

func newScenarioExport() *cobra.Command {
	var version int
	c := &cobra.Command{
		Use:   "export ID",
		Short: "Print the scenario's blueprint (current version, or --version N) as stored",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withScenario(cmd, args[0], false, func(svc *service.Service, id int64) error {
				if version == 0 {
					raw, err := svc.ExportScenario(cmd.Context(), id)
					if err != nil {
						return err
					}
					_, err = cmd.OutOrStdout().Write(raw)
					return err
				}
				v, err := svc.Store().GetVersion(cmd.Context(), id, version)
				if err != nil {
					return fmt.Errorf("scenario %d version %d: %w", id, version, err)
				}
				_, err = cmd.OutOrStdout().Write(v.Blueprint)
				return err
			})
		},
	}
	c.Flags().IntVar(&version, "version", 0, "an older version")
	return c
}

func newScenarioDelete() *cobra.Command {
	var force, asJSON bool
	c := &cobra.Command{
		Use:   "delete ID [--force]",
		Short: "Delete a scenario (refused while it has unresolved incomplete executions, unless --force)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withScenario(cmd, args[0], true, func(svc *service.Service, id int64) error {
				if err := svc.DeleteScenario(cmd.Context(), id, force); err != nil {
					return err
				}
				if asJSON {
					writeJSON(cmd.OutOrStdout(), map[string]any{"deleted": id})
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "scenario %d deleted\n", id)
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&force, "force", false, "delete even with unresolved incomplete executions")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
