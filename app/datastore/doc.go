// Package datastore is Make's Data store app: the datastore:* modules that add, get,
// update, delete, test and search the records of a keyed table kept in weft's own
// storage (store.DataStoreQueries).
//
// The modules are transactional (ACID, SPEC §2.6). A module never writes to the backend
// while it runs: its write goes into the run's write set (kept in Execution.State), and
// reads in the same run see that write set over the committed records. The engine then
// calls Commit, which applies the whole write set in one backend transaction, or
// Rollback, which drops it. No backend transaction stays open while other modules (an
// HTTP call, a sleep) run, so SQLite's single write lock is held only for the commit,
// and two runs never see each other's uncommitted writes.
//
// Wiring:
//
//	reg := app.NewRegistry()
//	if err := datastore.Register(reg, st); err != nil { … } // st is a store.Store
//
// See docs/datastore.md for the fields, outputs and the decisions on Make's open points.
package datastore
