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
