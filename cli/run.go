package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/examples"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/value"
)

// runOutput is the --json shape of `weft run`: exactly these fields.
type runOutput struct {
	ExecutionID          *string          `json:"executionId"`
	ScenarioID           *int64           `json:"scenarioId"`
	Status               weft.Status      `json:"status"`
	Operations           int              `json:"operations"`
	Error                *engine.RunError `json:"error"`
	Response             *responseOut     `json:"response"`
	IncompleteExecutions []string         `json:"incompleteExecutions"`
}

type responseOut struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
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
			"Exit status: 0 for success or warning, 1 for error.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			fail := func(t weft.ErrorType, msg string) error {
				if asJSON {
					writeJSON(out, runOutput{Status: weft.StatusError, Error: &engine.RunError{Type: t, Message: msg},
						IncompleteExecutions: []string{}})
				} else {
					fmt.Fprintln(cmd.ErrOrStderr(), "weft run:", msg)
				}
				return &ExitError{Code: 1}
			}
			var data []byte
			var name, source string
			switch {
			case len(args) == 1:
				var err error
				name = args[0]
				if data, err = readFile(cmd, name); err != nil {
					return fail(weft.InvalidConfigurationError, err.Error())
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
			}
			trigger, err := readInput(cmd, input)
			if err != nil {
				return fail(weft.DataError, err.Error())
			}
			svc, closeSvc, err := openService(cmd, true)
			if err != nil {
				return fail(weft.RuntimeError, err.Error())
			}
			defer closeSvc()
			if data != nil {
				sc, err := svc.ImportScenario(cmd.Context(), data, source)
				if err != nil {
					var ie *service.InvalidBlueprintError
					if errors.As(err, &ie) && !asJSON {
						for _, p := range ie.Report.Errors() {
							fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s: %s\n", name, p.Pointer, p.Message)
						}
					}
					return fail(weft.InvalidConfigurationError, fmt.Sprintf("%s: %v", name, err))
				}
				scenario = sc.ID
			} else {
				name = fmt.Sprintf("scenario %d", scenario)
			}
			rr, err := svc.Run(cmd.Context(), scenario, []weft.Bundle{trigger})
			if err != nil && (rr == nil || rr.Result == nil) {
				var ie *engine.InvalidError
				if errors.As(err, &ie) && !asJSON {
					for _, p := range ie.Report.Errors() {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s: %s\n", name, p.Pointer, p.Message)
					}
					for _, u := range ie.Report.Unsupported {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s: module type %s is not supported by weft yet (module %d)\n", name, u.Pointer, u.Type, u.ModuleID)
					}
				}
				return fail(weft.InvalidConfigurationError, fmt.Sprintf("%s: %v", name, err))
			}
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "weft run:", err)
			}
			res := rr.Result
			ids := make([]string, 0, len(rr.Incomplete))
			for _, ie := range rr.Incomplete {
				ids = append(ids, ie.ID)
			}
			if asJSON {
				o := runOutput{ExecutionID: &res.ExecutionID, ScenarioID: &scenario, Status: res.Status,
					Operations: res.Operations, Error: res.Error, IncompleteExecutions: ids}
				if res.Response != nil {
					o.Response = &responseOut{Status: res.Response.Status, Headers: res.Response.Headers, Body: res.Response.Body}
					if o.Response.Headers == nil {
						o.Response.Headers = map[string]string{}
					}
				}
				writeJSON(out, o)
			} else {
				printSummary(out, name, rr, showLog)
			}
			if res.Status == weft.StatusError || err != nil {
				return &ExitError{Code: 1}
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
			return nil, fmt.Errorf("--input: %w", err)
		}
	}
	v, err := value.DecodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("--input is not valid JSON: %w", err)
	}
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	return weft.Bundle{"value": v}, nil
}

func printSummary(w io.Writer, name string, rr *service.RunResult, showLog bool) {
	res := rr.Result
	fmt.Fprintf(w, "%s: execution %s of scenario %d ended %s after %d operation(s) in %s\n",
		name, res.ExecutionID, rr.Scenario.ID, strings.ToUpper(string(res.Status)), res.Operations, res.Duration.Round(time.Microsecond))
	if res.Error != nil {
		fmt.Fprintf(w, "  error: module %d: %s: %s\n", res.Error.ModuleID, res.Error.Type, res.Error.Message)
	}
	for _, ie := range rr.Incomplete {
		retry := "waits for a person"
		if ie.Status == weft.IncompletePending && ie.NextAttemptAt != nil {
			retry = "retried automatically at " + ie.NextAttemptAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "  incomplete execution %s at module %d (%s, %s): %s\n", ie.ID, ie.FailedModuleID, ie.ErrorType, retry, ie.ErrorMessage)
	}
	if rr.Discarded > 0 {
		fmt.Fprintf(w, "  %d incomplete execution(s) discarded: storage is full and the scenario allows data loss\n", rr.Discarded)
	}
	if r := res.Response; r != nil {
		fmt.Fprintf(w, "  webhook response: %d\n", r.Status)
		for k, v := range r.Headers {
			fmt.Fprintf(w, "    %s: %s\n", k, v)
		}
		if r.Body != "" {
			fmt.Fprintf(w, "    %s\n", r.Body)
		}
	}
	if showLog {
		printLog(w, res.Log)
	}
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

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
