// Package examples embeds the scenario `weft run` runs when no file is given, with the
// input it is fed, so the first command of the README works on a fresh machine.
package examples

import _ "embed"

// Demo is a blueprint in Make's format: a webhook receives an order, an iterator walks
// its items, a router flags large lines, an aggregator collects them and the webhook
// answers with a JSON summary.
//
//go:embed demo-order-summary.json
var Demo []byte

// DemoInput is the webhook payload the demo runs with.
//
//go:embed demo-order-input.json
var DemoInput []byte

// DemoFlaky forwards orders to a partner API that `weft serve --demo` plays and that
// refuses the first call for two orders out of three: incomplete executions appear, retry and resolve.
// {{WEFT_BASE_URL}} is replaced with the server's address when it is seeded.
//
//go:embed demo-flaky-partner.json
var DemoFlaky []byte

// ParseGreeting answers a webhook with a greeting read from a JSON text field; broken
// JSON stops at module 2 with a DataError that waits for a person.
//
//go:embed parse-greeting.json
var ParseGreeting []byte
