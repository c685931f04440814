package logging_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/weftworks/weft/logging"
)

func TestNewLogger(t *testing.T) {
	cases := []struct {
		format string
		level  slog.Level
		want   string // the output of one Info and one Debug record, times removed
	}{
		{"json", slog.LevelInfo, `{"level":"INFO","msg":"run finished","scenario":7}` + "\n"},
		{"JSON", slog.LevelDebug, `{"level":"INFO","msg":"run finished","scenario":7}` + "\n" + `{"level":"DEBUG","msg":"detail"}` + "\n"},
		{"text", slog.LevelInfo, `level=INFO msg="run finished" scenario=7` + "\n"},
		{"", slog.LevelWarn, ""},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := logging.NewLogger(&buf, c.format, c.level)
			if err != nil {
				t.Fatal(err)
			}
			log.Info("run finished", "scenario", 7)
			log.Debug("detail")
			if got := dropTime(t, buf.String()); got != c.want {
				t.Errorf("output:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	if _, err := logging.NewLogger(&bytes.Buffer{}, "xml", slog.LevelInfo); err == nil || err.Error() != `log format "xml": want text or json` {
		t.Errorf("xml: %v", err)
	}
}

// dropTime removes the time attribute, which the handler takes from the wall clock.
func dropTime(t *testing.T, out string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "{") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("not JSON: %q", line)
			}
			if _, ok := m["time"]; !ok {
				t.Errorf("no time in %q", line)
			}
			line = `{"time":` + strings.SplitN(line, `"time":`, 2)[1]
			line = line[strings.Index(line, ",")+1:]
			b.WriteString("{" + line)
			continue
		}
		if !strings.HasPrefix(line, "time=") {
			t.Errorf("no time in %q", line)
		}
		b.WriteString(line[strings.Index(line, " ")+1:])
	}
	return b.String()
}

func TestParseLevel(t *testing.T) {
	cases := []struct {
		in   string
		want slog.Level
		err  string
	}{
		{"debug", slog.LevelDebug, ""}, {"INFO", slog.LevelInfo, ""}, {"warn", slog.LevelWarn, ""},
		{"warning", slog.LevelWarn, ""}, {" error ", slog.LevelError, ""}, {"info+2", slog.LevelInfo + 2, ""},
		{"loud", 0, `log level "loud": want debug, info, warn or error`},
	}
	for _, c := range cases {
		got, err := logging.ParseLevel(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParseLevel(%q) error = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
