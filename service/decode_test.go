package service_test

import "github.com/weftworks/weft/value"

func decode(js string) (any, error) { return value.DecodeJSON([]byte(js)) }
