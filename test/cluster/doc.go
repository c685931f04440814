// Package cluster holds weft's test of several processes on one PostgreSQL database
// (docs/storage.md, "Several processes"): it builds the weft binary, starts three
// `weft serve` processes on one real database, sends thousands of webhooks through all
// three while the scenarios fail in every way, kills one process twice with SIGKILL,
// and checks in the database and in a stand-in service's call log that every
// acknowledged payload ran exactly once or is an incomplete execution, that no
// incomplete execution was stored twice, that every due retry ran once, and that
// every schedule fired once per tick. The package has no code of its own; see
// cluster_test.go.
package cluster
