// Package buildinfo says which weft this is: the module version and the version
// control revision the Go toolchain records in every binary (runtime/debug), so
// `weft version` and GET /api/v1/version need no build flags to be right.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Info is what a binary knows about its build.
type Info struct {
	// Version is the module version: v1.2.3 for `go install …@v1.2.3`, a pseudo-version
	// for a module fetched at a commit, "(devel)" for a build in a checkout (the Go
	// toolchain's own words), or the value set with -ldflags.
	Version string `json:"version"`
	// Revision is the commit the binary was built from, "" when unknown (go run, a build
	// outside a repository, -buildvcs=false).
	Revision string `json:"revision"`
	// Time is the commit's time (RFC 3339), "" when unknown.
	Time string `json:"time"`
	// Modified is true when the work tree had changes not committed.
	Modified bool `json:"modified"`
	// GoVersion is the toolchain that built it.
	GoVersion string `json:"goVersion"`
}

// Version, set at link time (-ldflags "-X github.com/weftworks/weft/internal/buildinfo.Version=v1.2.3"),
// replaces the module version the toolchain recorded. Builds need not set it.
var Version = ""

// Read returns the running binary's build information.
func Read() Info {
	info := Info{Version: "(devel)", GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = FromBuildInfo(bi)
	}
	if Version != "" {
		info.Version = Version
	}
	return info
}

// FromBuildInfo reads the fields of Info from the toolchain's record.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is one line for people: "v1.2.3 (abc1234def56, 2026-05-01T12:00:00Z, modified) go1.26".
func (i Info) String() string {
	s := i.Version
	var details []string
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		details = append(details, "revision "+rev)
	}
	if i.Time != "" {
		details = append(details, i.Time)
	}
	if i.Modified {
		details = append(details, "modified")
	}
	if len(details) > 0 {
		s += " ("
		for n, d := range details {
			if n > 0 {
				s += ", "
			}
			s += d
		}
		s += ")"
	}
	return s + " " + i.GoVersion
}
