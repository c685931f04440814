// Package apps holds the app definitions weft ships (one JSON file per app), read by
// package app/declarative. See docs/apps-declarative.md for the format.
package apps

import "embed"

// FS holds every shipped definition file (*.json at its root).
//
//go:embed *.json
var FS embed.FS
