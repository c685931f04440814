package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/service"
)

func TestStorageSettings(t *testing.T) {
	c := &cobra.Command{Use: "serve"}
	s := addStorageFlags(c)
	t.Setenv("WEFT_INCOMPLETE_TOTAL_BYTES", "1GiB")
	t.Setenv("WEFT_MODULE_TIMEOUT", "90s")
	t.Setenv("WEFT_WORKERS", "2")
	if err := c.Flags().Parse([]string{"--incomplete-scenario-bytes", "20MB", "--workers", "8"}); err != nil {
		t.Fatal(err)
	}
	if err := s.resolve(c); err != nil {
		t.Fatal(err)
	}
	var cfg service.Config
	s.apply(&cfg)
	if cfg.MaxScenarioBytes != 20e6 || cfg.MaxTotalBytes != 1<<30 || cfg.ModuleTimeout != 90*time.Second ||
		cfg.Workers != 8 || cfg.Retention != 30*24*time.Hour {
		t.Fatalf("config %+v: the flag wins over the environment, the environment over the default", cfg)
	}

	for env, val := range map[string]string{"WEFT_INCOMPLETE_RETENTION": "soon", "WEFT_WORKERS": "0", "WEFT_INCOMPLETE_SCENARIO_BYTES": "-5"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, val)
			err := defaultStorage().resolve(nil)
			if err == nil || (!strings.Contains(err.Error(), env) && !strings.Contains(err.Error(), "must be positive")) {
				t.Fatalf("%s=%s: %v", env, val, err)
			}
		})
	}
}
