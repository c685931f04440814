package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/service"
)

// storageSettings are the service's bounds that are neither run limits nor intake
// limits (docs/operations.md, "Every limit"): incomplete-execution storage (SPEC
// §5.6), how long resolved ones are kept, the default module time limit and the
// worker's concurrency. Each has a `weft serve` flag and an environment variable that
// every command reads (a flag wins).
type storageSettings struct {
	scenarioBytes, totalBytes byteSize
	retention, moduleTimeout  time.Duration
	workers                   int
}

type storageFlag struct{ flag, env string }

var storageFlags = []storageFlag{
	{"incomplete-scenario-bytes", "WEFT_INCOMPLETE_SCENARIO_BYTES"},
	{"incomplete-total-bytes", "WEFT_INCOMPLETE_TOTAL_BYTES"},
	{"incomplete-retention", "WEFT_INCOMPLETE_RETENTION"},
	{"module-timeout", "WEFT_MODULE_TIMEOUT"},
	{"workers", "WEFT_WORKERS"},
}

func defaultStorage() *storageSettings {
	return &storageSettings{scenarioBytes: 10 << 20, totalBytes: 500 << 20, retention: 30 * 24 * time.Hour,
		moduleTimeout: 40 * time.Second, workers: 4}
}

func addStorageFlags(c *cobra.Command) *storageSettings {
	s := defaultStorage()
	f := c.Flags()
	f.Var(&s.scenarioBytes, "incomplete-scenario-bytes", "incomplete executions one scenario may keep, in bytes (SPEC §5.6; over it the scenario's dataloss setting decides) ($WEFT_INCOMPLETE_SCENARIO_BYTES)")
	f.Var(&s.totalBytes, "incomplete-total-bytes", "incomplete executions all scenarios may keep, in bytes ($WEFT_INCOMPLETE_TOTAL_BYTES)")
	f.DurationVar(&s.retention, "incomplete-retention", s.retention, "how long resolved incomplete executions are kept ($WEFT_INCOMPLETE_RETENTION)")
	f.DurationVar(&s.moduleTimeout, "module-timeout", s.moduleTimeout, "time limit of one module for one bundle, unless the module sets its own ($WEFT_MODULE_TIMEOUT)")
	f.IntVar(&s.workers, "workers", s.workers, "runs and retries the worker carries out at once ($WEFT_WORKERS)")
	return s
}

// resolve applies the environment to every setting whose flag was not given (c nil:
// no flags, the environment and the defaults only) and checks them.
func (s *storageSettings) resolve(c *cobra.Command) error {
	for _, b := range storageFlags {
		v := strings.TrimSpace(os.Getenv(b.env))
		if v == "" || (c != nil && c.Flags().Changed(b.flag)) {
			continue
		}
		var err error
		switch b.flag {
		case "incomplete-scenario-bytes":
			err = s.scenarioBytes.Set(v)
		case "incomplete-total-bytes":
			err = s.totalBytes.Set(v)
		case "incomplete-retention":
			s.retention, err = time.ParseDuration(v)
		case "module-timeout":
			s.moduleTimeout, err = time.ParseDuration(v)
		case "workers":
			_, err = fmt.Sscanf(v, "%d", &s.workers)
		}
		if err != nil {
			return fmt.Errorf("$%s=%q: %w", b.env, v, err)
		}
	}
	for _, chk := range []struct {
		name string
		ok   bool
	}{
		{"incomplete-scenario-bytes", s.scenarioBytes > 0},
		{"incomplete-total-bytes", s.totalBytes > 0},
		{"incomplete-retention", s.retention > 0},
		{"module-timeout", s.moduleTimeout > 0},
		{"workers", s.workers > 0 && s.workers <= 1024},
	} {
		if !chk.ok {
			return fmt.Errorf("--%s (or its environment variable) must be positive (workers: at most 1024)", chk.name)
		}
	}
	return nil
}

func (s *storageSettings) apply(c *service.Config) {
	c.MaxScenarioBytes, c.MaxTotalBytes = int64(s.scenarioBytes), int64(s.totalBytes)
	c.Retention, c.ModuleTimeout, c.Workers = s.retention, s.moduleTimeout, s.workers
}
