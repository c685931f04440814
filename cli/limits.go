package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/limits"
)

// Run limits (docs/operations.md, "Run limits"): every command that runs scenarios reads
// the WEFT_MAX_… environment variables; `weft serve` also has a flag per limit, which
// wins over the variable. Both are declared once, in limits.Defs.

// limitsFromEnv reads the limits set by environment variables; unset ones stay zero
// (the default). A bad value is an error naming the variable.
func limitsFromEnv() (limits.Limits, error) {
	var l limits.Limits
	for i := range limits.Defs {
		d := &limits.Defs[i]
		s, ok := os.LookupEnv(d.Env)
		if !ok || s == "" {
			continue
		}
		v, err := d.Parse(s)
		if err != nil {
			return l, fmt.Errorf("%s: %w", d.Env, err)
		}
		d.Set(&l, v)
	}
	return l, nil
}

// limitFlag is one limit as a flag, parsed when given so a bad value fails the command
// naming the flag.
type limitFlag struct {
	def *limits.Def
	v   int64
	set bool
}

func (f *limitFlag) String() string {
	if !f.set {
		return f.def.Format(f.def.Get(limits.Default()))
	}
	return f.def.Format(f.v)
}

func (f *limitFlag) Set(s string) error {
	v, err := f.def.Parse(s)
	if err != nil {
		return err
	}
	f.v, f.set = v, true
	return nil
}

func (f *limitFlag) Type() string {
	switch f.def.Kind {
	case limits.Duration:
		return "duration"
	case limits.Bytes:
		return "bytes"
	}
	return "int"
}

// addLimitFlags adds a flag per limit to c. The returned function gives the limits in
// force: each flag when given, else its environment variable, else the default.
func addLimitFlags(c *cobra.Command) func() (limits.Limits, error) {
	flags := make([]*limitFlag, len(limits.Defs))
	for i := range limits.Defs {
		d := &limits.Defs[i]
		flags[i] = &limitFlag{def: d}
		what := "run limit"
		if !d.PerScenario() {
			what = "blueprint limit"
		}
		c.Flags().Var(flags[i], d.Flag, what+": "+d.Help+" ($"+d.Env+")")
	}
	return func() (limits.Limits, error) {
		l, err := limitsFromEnv()
		if err != nil {
			return l, err
		}
		for _, f := range flags {
			if f.set {
				f.def.Set(&l, f.v)
			}
		}
		return l, nil
	}
}
