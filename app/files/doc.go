// Package files is weft's local-folder storage app: files:Upload, files:Download,
// files:List and files:Delete work on the files under one folder, the module's root.
//
// Every path is relative to the root and must stay inside it: ".." is refused before
// the file system is touched, and every operation goes through an os.Root, which
// refuses to follow a symbolic link out of the root (the kernel resolves the path
// component by component, so a link swapped in during the operation cannot escape
// either). Uploads are atomic: the data goes to a temporary file in the target's
// folder, is synced, then renamed (or hard-linked, when overwriting is off, so an
// existing file is never replaced) into place.
//
// File-system failures get SPEC §3.1 types: a full disk is an OutOfSpaceError (retried),
// a missing file or a path that leaves the root a DataError, a permission problem an
// InvalidConfigurationError, an existing file with overwrite off a DuplicateDataError.
// See docs/files.md.
package files
