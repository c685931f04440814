package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

func newValidateCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check blueprints and report every problem with its JSON pointer",
		Long: "validate checks each blueprint and prints one line per problem:\n" +
			"  FILE: POINTER: message\n" +
			"Modules weft cannot run yet are listed as warnings and do not make a blueprint\n" +
			"invalid. The exit status is 0 when every file is valid, 1 otherwise.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := all.Registry()
			if err != nil {
				return err
			}
			lim, err := limitsFromEnv() // the structure limits a server with this environment applies
			if err != nil {
				return err
			}
			type fileReport struct {
				File  string `json:"file"`
				Valid bool   `json:"valid"`
				blueprint.Report
			}
			var reports []fileReport
			ok := true
			out := cmd.OutOrStdout()
			for _, name := range args {
				fr := fileReport{File: name}
				data, err := readFile(cmd, name)
				if err == nil {
					var bp *blueprint.Blueprint
					bp, err = blueprint.Parse(data)
					if err == nil {
						fr.Report = blueprint.ValidateWith(bp, reg, blueprint.Options{Limits: lim})
					}
				}
				if err != nil {
					fr.Report = blueprint.Report{Problems: []blueprint.Problem{{Pointer: "", Message: err.Error(), Severity: blueprint.SeverityError}}}
				}
				fr.Valid = fr.OK()
				ok = ok && fr.Valid
				if fr.Problems == nil {
					fr.Problems = []blueprint.Problem{}
				}
				if fr.Unsupported == nil {
					fr.Unsupported = []blueprint.Unsupported{}
				}
				reports = append(reports, fr)
				if !asJSON {
					for _, p := range fr.Problems {
						ptr := p.Pointer
						if ptr == "" {
							ptr = "/"
						}
						if p.Severity == blueprint.SeverityWarning {
							fmt.Fprintf(out, "%s: %s: warning: %s\n", name, ptr, p.Message)
						} else {
							fmt.Fprintf(out, "%s: %s: %s\n", name, ptr, p.Message)
						}
					}
				}
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"valid": ok, "files": reports}); err != nil {
					return err
				}
			}
			if !ok {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of lines")
	return cmd
}
