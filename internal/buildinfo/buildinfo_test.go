package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/weftworks/weft", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-05-01T12:00:00Z"},
			{Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "linux"}}}
	got := FromBuildInfo(bi)
	want := Info{Version: "v1.2.3", Revision: "0123456789abcdef0123", Time: "2026-05-01T12:00:00Z", Modified: true, GoVersion: "go1.26.0"}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if s := got.String(); s != "v1.2.3 (revision 0123456789ab, 2026-05-01T12:00:00Z, modified) go1.26.0" {
		t.Fatalf("String() = %q", s)
	}
	if s := (Info{Version: "(devel)", GoVersion: "go1.26.0"}).String(); s != "(devel) go1.26.0" {
		t.Fatalf("String() without VCS = %q", s)
	}
}

func TestReadOverride(t *testing.T) {
	if v := Read().Version; v == "" {
		t.Fatal("no version")
	}
	Version = "v9.9.9"
	defer func() { Version = "" }()
	if v := Read().Version; v != "v9.9.9" {
		t.Fatalf("a link-time version is kept: %q", v)
	}
}
