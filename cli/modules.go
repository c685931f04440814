package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/all"
)

func newModulesCmd() *cobra.Command {
	var asJSON bool
	var appName string
	cmd := &cobra.Command{
		Use:   "modules",
		Short: "List the module types weft can run (--app NAME: one app's)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := all.Registry()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			type field struct {
				Name     string `json:"name"`
				Type     string `json:"type"`
				Required bool   `json:"required,omitempty"`
				Default  any    `json:"default,omitempty"`
				Help     string `json:"help,omitempty"`
			}
			type mod struct {
				Name       string  `json:"name"`
				Label      string  `json:"label"`
				Kind       string  `json:"kind"`
				Help       string  `json:"help,omitempty"`
				Parameters []field `json:"parameters"`
				Mapper     []field `json:"mapper"`
			}
			specs := reg.Specs()
			if appName != "" {
				specs = appSpecs(specs, appName)
				if len(specs) == 0 {
					return fmt.Errorf("--app %s: no app of that name (weft modules lists every module as app:Module)", appName)
				}
			}
			var mods []mod
			for _, s := range specs {
				m := mod{Name: s.Name, Label: s.Label, Kind: s.Kind.String(), Help: s.Help, Parameters: []field{}, Mapper: []field{}}
				for _, f := range s.Parameters {
					m.Parameters = append(m.Parameters, field{f.Name, string(f.Type), f.Required, f.Default, f.Help})
				}
				for _, f := range s.Mapper {
					m.Mapper = append(m.Mapper, field{f.Name, string(f.Type), f.Required, f.Default, f.Help})
				}
				mods = append(mods, m)
				if !asJSON {
					fmt.Fprintf(out, "%-36s %-10s %s\n", s.Name, s.Kind, s.Label)
				}
			}
			if asJSON {
				writeJSON(out, mods)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the module specs as JSON")
	cmd.Flags().StringVar(&appName, "app", "", "list only the modules of this app (gemini-ai, http, …)")
	return cmd
}

// appSpecs keeps the specs of one app: the module types named "app:…".
func appSpecs(specs []*app.Spec, name string) []*app.Spec {
	var out []*app.Spec
	for _, s := range specs {
		if a, _, ok := strings.Cut(s.Name, ":"); ok && a == name {
			out = append(out, s)
		}
	}
	return out
}
