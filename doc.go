// Package weft holds the domain types shared by every layer of the scenario engine:
// error types (SPEC §3.1), bundles and run statuses. It imports nothing from the rest
// of the module; blueprint, iml, app, engine and the adapters depend on it, never the
// reverse (Ben Johnson's standard package layout).
package weft
