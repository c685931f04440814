package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/examples"
	"github.com/weftworks/weft/value"
)

// runOutput is the --json shape of `weft run`: exactly these fields.
type runOutput struct {
	ExecutionID *string          `json:"executionId"`
	Status      weft.Status      `json:"status"`
	Operations  int              `json:"operations"`
	Error       *engine.RunError `json:"error"`
	Response    *responseOut     `json:"response"`
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
		timezone string
	)
	cmd := &cobra.Command{
		Use:   "run [FILE]",
		Short: "Run a blueprint once (without FILE: the bundled demo scenario)",
		Long: "run executes a blueprint once, feeding --input as the trigger's bundle (the\n" +
			"webhook payload for gateway:CustomWebHook), and prints a summary. --input takes\n" +
			"JSON text or @file. Without FILE it runs weft's bundled demo with its sample order.\n" +
			"Exit status: 0 for success or warning, 1 for error.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			fail := func(t weft.ErrorType, msg string) error {
				if asJSON {
					writeJSON(out, runOutput{Status: weft.StatusError, Error: &engine.RunError{Type: t, Message: msg}})
				} else {
					fmt.Fprintln(cmd.ErrOrStderr(), "weft run:", msg)
				}
				return &ExitError{Code: 1}
			}
			var data []byte
			var name string
			if len(args) == 0 {
				data, name = examples.Demo, "demo"
				if input == "" {
					input = string(examples.DemoInput)
				}
			} else {
				var err error
				name = args[0]
				if data, err = readFile(cmd, name); err != nil {
					return fail(weft.InvalidConfigurationError, err.Error())
				}
			}
			trigger, err := readInput(cmd, input)
			if err != nil {
				return fail(weft.DataError, err.Error())
			}
			loc := time.UTC
			if timezone != "" {
				if loc, err = time.LoadLocation(timezone); err != nil {
					return fail(weft.InvalidConfigurationError, fmt.Sprintf("--timezone %q: %v", timezone, err))
				}
			}
			reg, err := all.Registry()
			if err != nil {
				return err
			}
			eng, err := engine.New(engine.Options{Registry: reg, Location: loc})
			if err != nil {
				return err
			}
			bp, err := blueprint.Parse(data)
			if err != nil {
				return fail(weft.InvalidConfigurationError, fmt.Sprintf("%s: %v", name, err))
			}
			plan, err := eng.Compile(bp)
			if err != nil {
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
			res, err := eng.Run(cmd.Context(), plan, engine.Input{
				Trigger:  [][]weft.Bundle{{trigger}},
				Scenario: engine.ScenarioInfo{Name: bp.Name},
			})
			if err != nil {
				return err
			}
			if asJSON {
				o := runOutput{ExecutionID: &res.ExecutionID, Status: res.Status, Operations: res.Operations, Error: res.Error}
				if res.Response != nil {
					o.Response = &responseOut{Status: res.Response.Status, Headers: res.Response.Headers, Body: res.Response.Body}
					if o.Response.Headers == nil {
						o.Response.Headers = map[string]string{}
					}
				}
				writeJSON(out, o)
			} else {
				printSummary(out, name, res, showLog)
			}
			if res.Status == weft.StatusError {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "trigger bundle as JSON text, or @file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print exactly one JSON object")
	cmd.Flags().BoolVar(&showLog, "log", false, "print the execution log (each module, each bundle)")
	cmd.Flags().StringVar(&timezone, "timezone", "", "default time zone of date functions (IANA name; default UTC)")
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

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func printSummary(w io.Writer, name string, res *engine.Result, showLog bool) {
	fmt.Fprintf(w, "%s: execution %s ended %s after %d operation(s) in %s\n",
		name, res.ExecutionID, strings.ToUpper(string(res.Status)), res.Operations, res.Duration.Round(time.Microsecond))
	if res.Error != nil {
		fmt.Fprintf(w, "  error: module %d: %s: %s\n", res.Error.ModuleID, res.Error.Type, res.Error.Message)
	}
	for _, ie := range res.Incomplete {
		retry := "waits for a person"
		if ie.AutoRetry {
			retry = "retried automatically"
		}
		fmt.Fprintf(w, "  incomplete execution at module %d (%s, %s): %s\n", ie.ModuleID, ie.Error.Type, retry, ie.Error.Message)
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
		fmt.Fprintln(w, "  log:")
		for _, e := range res.Log {
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
}
