package weft

import "context"

// errDeadline is context.DeadlineExceeded; named here so AsError reads plainly.
var errDeadline = context.DeadlineExceeded
