package files

import (
	"fmt"
	"os"

	"github.com/weftworks/weft/app"
)

// Options configure the files app for a process. The zero value is ready to use.
type Options struct {
	// Base, when set, confines every module: a module's root parameter is a folder
	// inside Base (relative to it, or absolute within it; empty means Base itself).
	// A server that runs blueprints from several people sets it, so that no
	// blueprint can name /etc as its root. When empty, a root must be an absolute path
	// and may be any folder the process can reach.
	Base string
	// MaxFileSize caps, in bytes, what one upload writes and one download reads.
	// Defaults to 100 MB (the HTTP app's body cap). A module's maxFileSize parameter
	// can lower it, not raise it.
	MaxFileSize int64
}

// DefaultMaxFileSize is Options.MaxFileSize's default.
const DefaultMaxFileSize = 100 << 20

func (o Options) withDefaults() Options {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	return o
}

// fileOps are the two system calls an upload's data goes through. Tests replace them
// to make a write fail with ENOSPC on the very path real uploads take; everything else
// (temporary file, clean-up, error classification) stays real.
type fileOps struct {
	write func(f *os.File, p []byte) (int, error)
	sync  func(f *os.File) error
}

var realOps = fileOps{
	write: func(f *os.File, p []byte) (int, error) { return f.Write(p) },
	sync:  func(f *os.File) error { return f.Sync() },
}

// Specs returns the files app's module types configured by o.
func Specs(o Options) []app.Spec { return specs(o.withDefaults(), realOps) }

// Register registers the files app's module types with default Options (roots must be
// absolute folders).
func Register(r *app.Registry) error { return RegisterOptions(r, Options{}) }

// RegisterOptions registers the files app's module types configured by o.
func RegisterOptions(r *app.Registry, o Options) error {
	for _, s := range Specs(o) {
		if err := r.Register(s); err != nil {
			return fmt.Errorf("files app: %w", err)
		}
	}
	return nil
}
