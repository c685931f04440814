package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/service"
)

func newScenariosCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scenarios", Short: "Create, list, show, change and delete stored scenarios"}
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
			c, err := connect(cmd, writes, connectOptions{baseURL: baseURL, baseURLGiven: cmd.Flags().Changed("base-url")})
			if err != nil {
				return err
			}
			defer c.Close()
			q := url.Values{}
			if abs, err := filepath.Abs(args[0]); err == nil && args[0] != "-" {
				q.Set("source", "file:"+abs)
			}
			var sc api.Scenario
			data, err := c.call(cmd.Context(), "POST", "/scenarios", q, raw, &sc)
			if err != nil {
				return err
			}
			if activate {
				if data, err = c.call(cmd.Context(), "POST", fmt.Sprintf("/scenarios/%d/activate", sc.ID), nil, nil, &sc); err != nil {
					return fmt.Errorf("scenario %d was created, but not activated: %w", sc.ID, err)
				}
			}
			return printScenario(cmd, data, sc, asJSON, true)
		},
	}
	jsonFlag(create, &asJSON)
	create.Flags().BoolVar(&activate, "activate", false, "activate it at once")
	create.Flags().StringVar(&baseURL, "base-url", "", "without a server: weft serve's public address, for the webhook URL (default $WEFT_BASE_URL or http://127.0.0.1:8080; \"\": the path only)")
	var listJSON bool
	var active string
	var page pageFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := page.query("")
			if active != "" {
				if _, err := strconv.ParseBool(active); err != nil {
					return usageErrorf("--active %q: want true or false", active)
				}
				q.Set("active", active)
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			data, err := c.do(cmd.Context(), "GET", "/scenarios", q, nil)
			if err != nil {
				return err
			}
			if listJSON {
				printRaw(cmd, data)
				return nil
			}
			p, err := decodePage[api.Scenario](data)
			if err != nil {
				return err
			}
			for _, v := range p.Items {
				state := "inactive"
				if v.Active {
					state = "active"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d  %-8s v%d  %s\n", v.ID, state, v.Version, v.Name)
			}
			moreHint(cmd, p.NextCursor)
			return nil
		},
	}
	jsonFlag(list, &listJSON)
	list.Flags().StringVar(&active, "active", "", "only active (true) or inactive (false) scenarios")
	page.add(list)
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
			id, err := scenarioID(args[0])
			if err != nil {
				return err
			}
			c, err := connect(cmd, writes)
			if err != nil {
				return err
			}
			defer c.Close()
			var sc api.Scenario
			data, err := c.call(cmd.Context(), "POST", fmt.Sprintf("/scenarios/%d/%s", id, use), nil, nil, &sc)
			if err != nil {
				return err
			}
			return printScenario(cmd, data, sc, asJSON, false)
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

// printScenario prints a scenario the API answered (data, sc): its JSON, or a line
// for people (and its webhook when hook is set).
func printScenario(cmd *cobra.Command, data []byte, sc api.Scenario, asJSON, hook bool) error {
	if asJSON {
		printRaw(cmd, data)
		return nil
	}
	state := "inactive"
	if sc.Active {
		state = "active"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "scenario %d %q version %d, %s\n", sc.ID, sc.Name, sc.Version, state)
	if hook && sc.HookURL != nil {
		fmt.Fprintf(cmd.OutOrStdout(), "webhook: POST %s\n", *sc.HookURL)
	}
	return nil
}

func newEnqueueCmd() *cobra.Command {
	var input string
	var asJSON bool
	c := &cobra.Command{
		Use:   "enqueue SCENARIO --input JSON|@file",
		Short: "Queue a trigger payload for a scenario; the worker (weft serve, weft work) runs it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := scenarioID(args[0])
			if err != nil {
				return err
			}
			payload, err := readInput(cmd, input)
			if err != nil {
				return err
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var it struct {
				ID         int64 `json:"id"`
				ScenarioID int64 `json:"scenarioId"`
			}
			data, err := c.call(cmd.Context(), "POST", fmt.Sprintf("/scenarios/%d/queue", id), nil, payload, &it)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "queued payload %d for scenario %d\n", it.ID, it.ScenarioID)
			}
			return nil
		},
	}
	c.Flags().StringVar(&input, "input", "", "payload as JSON text, or @file")
	jsonFlag(c, &asJSON)
	return c
}

func newWorkCmd() *cobra.Command {
	var poll time.Duration
	var schedule []time.Duration
	var outbound netFlags // work runs the same scenarios as serve: the same outbound policy
	var breakers breakerFlag
	c := &cobra.Command{
		Use:   "work",
		Short: "Carry out automatic retries and queued runs until stopped",
		Long: "work owns the data folder: it first recovers anything a previous process left\n" +
			"unfinished, then runs due retries (SPEC §5.3 schedule) and queued payloads, and\n" +
			"deletes resolved incomplete executions after 30 days. Stop it with SIGINT/SIGTERM.\n" +
			"weft serve does the same work: work is for a data folder no server runs on.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := localOnly(cmd, "it carries out a data folder's work"); err != nil {
				return err
			}
			np, err := outbound.policy()
			if err != nil {
				return err
			}
			useNetPolicy(cmd, np)
			if err := breakers.resolve(cmd); err != nil {
				return err
			}
			svc, done, err := openServiceWith(cmd, true, func(c *service.Config) {
				c.RetrySchedule = schedule
				breakers.apply(c)
			})
			if err != nil {
				return ownedBusy(cmd, err)
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
	breakers.add(c) // --circuit-breakers (cli/recovery.go)
	c.Flags().DurationSliceVar(&schedule, "retry-schedule", nil, "delays before automatic attempts (default SPEC §5.3: 1m,10m,10m,30m,30m,30m,3h,3h); for tests")
	_ = c.Flags().MarkHidden("retry-schedule")
	return c
}

// ownedBusy words the lock error of a command that must own the data folder itself
// (serve, work): busy, naming the server when one holds it.
func ownedBusy(cmd *cobra.Command, err error) error {
	if !isLocked(err) {
		return err
	}
	if info := serverInfoOf(dataDir(cmd)); info != nil {
		return &BusyError{Err: err, Why: fmt.Sprintf("weft serve runs on it at %s and does this work already", info.URL)}
	}
	return &BusyError{Err: err}
}

// scenarioID reads a scenario id argument.
func scenarioID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("%q is not a scenario id (a positive whole number)", arg)
	}
	return id, nil
}

func newScenarioUpdate() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "update ID FILE",
		Short: "Store FILE as the scenario's new current version (old versions are kept)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := scenarioID(args[0])
			if err != nil {
				return err
			}
			raw, err := readFile(cmd, args[1])
			if err != nil {
				return err
			}
			c, err := connect(cmd, writes)
			if err != nil {
				return err
			}
			defer c.Close()
			var sc api.Scenario
			data, err := c.call(cmd.Context(), "PUT", fmt.Sprintf("/scenarios/%d", id), nil, raw, &sc)
			if err != nil {
				return err
			}
			return printScenario(cmd, data, sc, asJSON, false)
		},
	}
	jsonFlag(c, &asJSON)
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
			id, err := scenarioID(args[0])
			if err != nil {
				return err
			}
			c, err := connect(cmd, reads, connectOptions{baseURL: baseURL, baseURLGiven: cmd.Flags().Changed("base-url")})
			if err != nil {
				return err
			}
			defer c.Close()
			var sc api.Scenario
			scData, err := c.call(cmd.Context(), "GET", fmt.Sprintf("/scenarios/%d", id), nil, nil, &sc)
			if err != nil {
				return err
			}
			q := url.Values{"limit": {"500"}}
			var versions api.Page[api.Version]
			vData, err := c.call(cmd.Context(), "GET", fmt.Sprintf("/scenarios/%d/versions", id), q, nil, &versions)
			if err != nil {
				return err
			}
			if asJSON {
				var items struct {
					Items json.RawMessage `json:"items"`
				}
				json.Unmarshal(vData, &items)
				writeJSON(cmd.OutOrStdout(), struct {
					Scenario json.RawMessage `json:"scenario"`
					Versions json.RawMessage `json:"versions"`
				}{scData, items.Items})
				return nil
			}
			if err := printScenario(cmd, scData, sc, false, false); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if sc.Deactivated != nil {
				fmt.Fprintf(w, "  deactivated by weft: %s\n", *sc.Deactivated)
			}
			if sc.Paused != nil {
				fmt.Fprintf(w, "  paused: %s\n", *sc.Paused)
			}
			for _, v := range versions.Items {
				fmt.Fprintf(w, "  version %d  %s\n", v.Version, v.CreatedAt)
			}
			if sc.HookURL != nil {
				fmt.Fprintf(w, "  webhook: POST %s\n", *sc.HookURL)
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().StringVar(&baseURL, "base-url", "", "without a server: weft serve's public address, for the webhook URL (default $WEFT_BASE_URL or http://127.0.0.1:8080; \"\": the path only)")
	return c
}

func newScenarioExport() *cobra.Command {
	var version int
	var asJSON bool
	c := &cobra.Command{
		Use:   "export ID",
		Short: "Print the scenario's blueprint (current version, or --version N) as stored",
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
			path := fmt.Sprintf("/scenarios/%d/blueprint", id)
			if version != 0 {
				path = fmt.Sprintf("/scenarios/%d/versions/%d/blueprint", id, version)
			}
			data, err := c.do(cmd.Context(), "GET", path, nil, nil)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data) // byte for byte, as stored
			return err
		},
	}
	c.Flags().IntVar(&version, "version", 0, "an older version")
	c.Flags().BoolVar(&asJSON, "json", false, "the blueprint is JSON already: accepted for consistency, changes nothing")
	return c
}

func newScenarioDelete() *cobra.Command {
	var force, asJSON bool
	c := &cobra.Command{
		Use:   "delete ID [--force]",
		Short: "Delete a scenario (refused while it has unresolved incomplete executions, unless --force)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := scenarioID(args[0])
			if err != nil {
				return err
			}
			c, err := connect(cmd, writes)
			if err != nil {
				return err
			}
			defer c.Close()
			q := url.Values{}
			if force {
				q.Set("force", "true")
			}
			if _, err := c.do(cmd.Context(), "DELETE", fmt.Sprintf("/scenarios/%d", id), q, nil); err != nil {
				return err
			}
			return printDeleted(cmd, id, "scenario", asJSON)
		},
	}
	c.Flags().BoolVar(&force, "force", false, "delete even with unresolved incomplete executions")
	jsonFlag(c, &asJSON)
	return c
}

// printDeleted confirms a deletion the API answered 204: {"id", "deleted": true}.
func printDeleted(cmd *cobra.Command, id any, what string, asJSON bool) error {
	if asJSON {
		writeJSON(cmd.OutOrStdout(), map[string]any{"id": id, "deleted": true})
		return nil
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s %v deleted\n", what, id)
	return nil
}
