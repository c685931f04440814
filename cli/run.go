package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/examples"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/value"
)

// runOutput is the --json shape of `weft run` when the run could not start: the run
// result's fields (api.RunResult), executionId and scenarioId null.
type runOutput struct {
	ExecutionID          *string              `json:"executionId"`
	ScenarioID           *int64               `json:"scenarioId"`
	Status               weft.Status          `json:"status"`
	Operations           int                  `json:"operations"`
	Error                *engine.RunError     `json:"error"`
	Response             *api.WebhookResponse `json:"response"`
	IncompleteExecutions []string             `json:"incompleteExecutions"`
	Discarded            int                  `json:"discarded"`
	DurationNs           int64                `json:"durationNs"`
}

func newRunCmd() *cobra.Command {
	var (
		input    string
		asJSON   bool
		showLog  bool
		scenario int64
	)
	cmd := &cobra.Command{
		Use:   "run [FILE]",
		Short: "Run a blueprint once and record it (without FILE: the bundled demo scenario)",
		Long: "run executes a blueprint once, feeding --input as the trigger's bundle (the\n" +
			"webhook payload for gateway:CustomWebHook), records the execution and any\n" +
			"incomplete executions in the data folder, and prints a summary. FILE becomes a\n" +
			"stored scenario (the same file again adds a version when it changed); --scenario\n" +
			"runs a stored one. --input takes JSON text or @file. Without FILE it runs weft's\n" +
			"bundled demo with its sample order.\n" +
			"Exit status: 0 for success or warning, 1 for error (3 when the scenario is busy).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			fail := func(t weft.ErrorType, msg string, code int) error {
				if asJSON {
					writeJSON(out, runOutput{Status: weft.StatusError, Error: &engine.RunError{Type: t, Message: msg},
						IncompleteExecutions: []string{}})
				} else {
					fmt.Fprintln(cmd.ErrOrStderr(), "weft run:", msg)
				}
				return &ExitError{Code: code}
			}
			var data []byte
			var name, source string
			switch {
			case len(args) == 1 && scenario != 0:
				return usageErrorf("give a FILE or --scenario ID, not both")
			case len(args) == 1:
				var err error
				name = args[0]
				if data, err = readFile(cmd, name); err != nil {
					return fail(weft.InvalidConfigurationError, err.Error(), ExitFailed)
				}
				if abs, err := filepath.Abs(name); err == nil && name != "-" {
					source = "file:" + abs
				} else {
					source = "stdin"
				}
			case scenario == 0:
				data, name, source = examples.Demo, "demo", "embedded:demo"
				if input == "" {
					input = string(examples.DemoInput)
				}
			default:
				name = fmt.Sprintf("scenario %d", scenario)
			}
			trigger, err := readInput(cmd, input)
			if err != nil {
				return fail(weft.DataError, err.Error(), ExitUsage)
			}
			c, err := connect(cmd, writes)
			if err != nil {
				return fail(weft.RuntimeError, err.Error(), exitCode(err))
			}
			defer c.Close()
			var (
				rr  api.RunResult
				raw []byte
			)
			if data != nil {
				if !json.Valid(data) {
					return fail(weft.InvalidConfigurationError, name+": not valid JSON (a blueprint is a JSON object)", ExitFailed)
				}
				body := map[string]any{"blueprint": json.RawMessage(data), "source": source,
					"input": json.RawMessage(value.JSON(map[string]any(trigger)))}
				raw, err = c.call(cmd.Context(), "POST", "/runs", nil, body, &rr)
			} else {
				raw, err = c.call(cmd.Context(), "POST", fmt.Sprintf("/scenarios/%d/run", scenario), nil,
					value.JSON(map[string]any(trigger)), &rr)
			}
			if err != nil {
				var apiE *APIError
				if errors.As(err, &apiE) && !asJSON {
					printProblems(cmd.ErrOrStderr(), name, apiE)
				}
				t := weft.RuntimeError
				if errors.As(err, &apiE) && (apiE.Code == "invalid_blueprint" || hasProblems(apiE)) {
					t = weft.InvalidConfigurationError
				}
				code := exitCode(err)
				if code == ExitUsage && t == weft.RuntimeError {
					code = ExitFailed // the API refused the blueprint's source or input: not the command line
				}
				return fail(t, fmt.Sprintf("%s: %v", name, err), code)
			}
			if asJSON {
				printRaw(cmd, raw)
			} else if err := printSummary(cmd, c, name, rr, showLog); err != nil {
				return err
			}
			if rr.Status == weft.StatusError {
				return &ExitError{Code: ExitFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "trigger bundle as JSON text, or @file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print exactly one JSON object")
	cmd.Flags().BoolVar(&showLog, "log", false, "print the execution log (each module, each bundle)")
	cmd.Flags().Int64Var(&scenario, "scenario", 0, "run a stored scenario instead of a file")
	return cmd
}

// hasProblems reports whether an API error lists a blueprint's problems (an invalid
// blueprint, or one weft cannot run).
func hasProblems(e *APIError) bool {
	var d struct {
		Problems    []blueprint.Problem     `json:"problems"`
		Unsupported []blueprint.Unsupported `json:"unsupported"`
	}
	return json.Unmarshal(e.Details, &d) == nil && (len(d.Problems) > 0 || len(d.Unsupported) > 0)
}

// printProblems writes each problem of a refused blueprint as NAME: POINTER: message.
func printProblems(w io.Writer, name string, e *APIError) {
	var d struct {
		Problems    []blueprint.Problem     `json:"problems"`
		Unsupported []blueprint.Unsupported `json:"unsupported"`
	}
	if json.Unmarshal(e.Details, &d) != nil {
		return
	}
	for _, p := range d.Problems {
		if p.Severity == blueprint.SeverityError {
			fmt.Fprintf(w, "%s: %s: %s\n", name, p.Pointer, p.Message)
		}
	}
	for _, u := range d.Unsupported {
		fmt.Fprintf(w, "%s: %s: module type %s is not supported by weft yet (module %d)\n", name, u.Pointer, u.Type, u.ModuleID)
	}
}

// readInput parses --input into the trigger bundle. A JSON value that is not an object
// becomes {"value": …}, as Make's webhook passes a raw body.
func readInput(cmd *cobra.Command, in string) (weft.Bundle, error) {
	if strings.TrimSpace(in) == "" {
		return weft.Bundle{}, nil
	}
	data := []byte(in)
	if strings.HasPrefix(in, "@") {
		var err error
		if data, err = readFile(cmd, in[1:]); err != nil {
			return nil, usageErrorf("--input: %v", err)
		}
	}
	v, err := value.DecodeJSON(data)
	if err != nil {
		return nil, usageErrorf("--input is not valid JSON: %v", err)
	}
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	return weft.Bundle{"value": v}, nil
}

// printSummary prints a run for people: what the run answered, the incomplete
// executions it stored and, with showLog, its log.
func printSummary(cmd *cobra.Command, c *client, name string, rr api.RunResult, showLog bool) error {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s: execution %s of scenario %d ended %s after %d operation(s) in %s\n",
		name, rr.ExecutionID, rr.ScenarioID, strings.ToUpper(string(rr.Status)), rr.Operations,
		time.Duration(rr.DurationNs).Round(time.Microsecond))
	if rr.Error != nil {
		fmt.Fprintf(w, "  error: module %d: %s: %s\n", rr.Error.ModuleID, rr.Error.Type, rr.Error.Message)
	}
	if len(rr.IncompleteExecutions) > 0 {
		q := url.Values{"execution": {rr.ExecutionID}, "limit": {"500"}}
		data, err := c.do(cmd.Context(), "GET", "/incomplete-executions", q, nil)
		if err != nil {
			return err
		}
		p, err := decodePage[weft.IncompleteJSON](data)
		if err != nil {
			return err
		}
		for _, ie := range p.Items {
			retry := "waits for a person"
			if ie.Status == weft.IncompletePending && ie.NextAttemptAt != nil {
				retry = "retried automatically at " + *ie.NextAttemptAt
			}
			fmt.Fprintf(w, "  incomplete execution %s at module %d (%s, %s): %s\n", ie.ID, ie.FailedModuleID, ie.ErrorType, retry, ie.ErrorMessage)
		}
	}
	if rr.Discarded > 0 {
		fmt.Fprintf(w, "  %d incomplete execution(s) discarded: storage is full and the scenario allows data loss\n", rr.Discarded)
	}
	if r := rr.Response; r != nil {
		fmt.Fprintf(w, "  webhook response: %d\n", r.Status)
		for k, v := range r.Headers {
			fmt.Fprintf(w, "    %s: %s\n", k, v)
		}
		if r.Body != "" {
			fmt.Fprintf(w, "    %s\n", r.Body)
		}
	}
	if showLog {
		var log struct {
			Log []engine.LogEntry `json:"log"`
		}
		if _, err := c.call(cmd.Context(), "GET", "/executions/"+url.PathEscape(rr.ExecutionID)+"/log", nil, nil, &log); err != nil {
			return err
		}
		printLog(w, log.Log)
	}
	return nil
}

func printLog(w io.Writer, log []engine.LogEntry) {
	fmt.Fprintln(w, "  log:")
	for _, e := range log {
		status := "ok"
		if e.Error != nil {
			status = string(e.Error.Type) + ": " + e.Error.Message
		}
		if e.Outcome != "" {
			status += " (" + e.Outcome + ")"
		}
		fmt.Fprintf(w, "    #%d module %d %s %s %s\n", e.Seq, e.ModuleID, e.Module, e.Duration.Round(time.Microsecond), status)
		if e.Input != nil {
			fmt.Fprintf(w, "      in:  %s\n", value.JSON(e.Input))
		}
		for _, o := range e.Output {
			fmt.Fprintf(w, "      out: %s\n", value.JSON(o))
		}
	}
}
