package apptest

import "github.com/weftworks/weft/value"

func weftText(v any) string { return value.Text(v) }
