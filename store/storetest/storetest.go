// Package storetest is the conformance suite every storage backend passes: one
// description of what store.Store means, run against SQLite always and against each
// other backend the same way (as River's riverdrivertest is for its drivers).
//
// A backend's test calls Run with a function that opens a fresh, empty store for one
// test and registers its cleanup:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Run runs the whole suite, each case on a store of its own.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Scenarios", testScenarios},
		{"ScenarioNotFound", testScenarioNotFound},
		{"Versions", testVersions},
		{"DeleteScenarioCascades", testDeleteScenarioCascades},
		{"Executions", testExecutions},
		{"ExecutionNotFound", testExecutionNotFound},
		{"ListExecutions", testListExecutions},
		{"RunningExecutions", testRunningExecutions},
		{"ExecutionParent", testExecutionParent},
		{"Incomplete", testIncomplete},
		{"IncompleteNotFound", testIncompleteNotFound},
		{"ListIncompleteFilters", testListIncompleteFilters},
		{"ListIncompleteCursor", testListIncompleteCursor},
		{"IncompleteBytes", testIncompleteBytes},
		{"ClaimDue", testClaimDue},
		{"ClaimDueOrder", testClaimDueOrder},
		{"ClaimDuePerScenario", testClaimDuePerScenario},
		{"ClaimDueRunningAndSkip", testClaimDueRunningAndSkip},
		{"NextDue", testNextDue},
		{"Requeue", testRequeue},
		{"DeleteIncomplete", testDeleteIncomplete},
		{"SelectionErrors", testSelectionErrors},
		{"DeleteResolvedBefore", testDeleteResolvedBefore},
		{"Attempts", testAttempts},
		{"Queue", testQueue},
		{"QueueNotFound", testQueueNotFound},
		{"QueueSetAside", testQueueSetAside},
		{"QueueCaller", testQueueCaller},
		{"ClaimQueuedBatch", testClaimQueuedBatch},
		{"CountDue", testCountDue},
		{"DataStore", testDataStore},
		{"DataStoreValues", testDataStoreValues},
		{"InTxCommit", testInTxCommit},
		{"InTxRollback", testInTxRollback},
		{"InTxPanic", testInTxPanic},
		{"BadInput", testBadInput},
		{"Timestamps", testTimestamps},
		{"ConcurrentClaimDue", testConcurrentClaimDue},
		{"ConcurrentClaimQueued", testConcurrentClaimQueued},
		{"ConcurrentClaimDuePerScenario", testConcurrentClaimDuePerScenario},
		{"LockScenario", testLockScenario},
		{"InTxReadModifyWrite", testInTxReadModifyWrite},
		{"ScheduleFields", testScheduleFields},
		{"ClaimDueSchedules", testClaimDueSchedules},
		{"ConcurrentClaimDueSchedules", testConcurrentClaimDueSchedules},
		{"Tokens", testTokens},
		{"Hooks", testHooks},
		{"Connections", testConnections},
		{"Sessions", testSessions},
		{"Users", testUsers},
		{"Audit", testAudit},
		{"OAuth", testOAuth},
		{"TriggerPositions", testTriggerPositions},
		{"AppHooks", testAppHooks},
		{"IDPrefixes", testIDPrefixes},
		{"Breakers", testBreakers},
		{"IncompleteOutcomeAndBreakerKey", testIncompleteOutcomeAndBreakerKey},
		{"ConcurrentBreakers", testConcurrentBreakers},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

// t0 is the suite's fixed "now": time is always given to the store, never read.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus minutes.
func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func ptr[T any](v T) *T { return &v }

func ctxT(t *testing.T) context.Context { return t.Context() }

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func equal[T any](t *testing.T, got, want T, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// newScenario stores a scenario named name and returns it.
func newScenario(t *testing.T, s store.Store, name string) *weft.Scenario {
	t.Helper()
	sc := &weft.Scenario{Name: name, Active: true, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateScenario(ctxT(t), sc, []byte(`{"name":"`+name+`"}`)), "create scenario "+name)
	return sc
}

// newIE builds an incomplete execution with every field set.
func newIE(id string, scenarioID int64, status weft.IncompleteStatus, created time.Time) *weft.Incomplete {
	ie := &weft.Incomplete{
		ID:             id,
		ScenarioID:     scenarioID,
		ExecutionID:    "exec-" + id,
		Version:        1,
		Blueprint:      []byte(`{"flow":[]}`),
		FailedModuleID: 3,
		ErrorType:      weft.ErrorType("ConnectionError"),
		ErrorMessage:   "connection refused",
		ErrorDetails:   map[string]any{"status": float64(502)},
		Status:         status,
		AutoRetry:      true,
		Attempts:       0,
		MaxAttempts:    8,
		RetryInterval:  90 * time.Second,
		State:          []byte(`{"input":{}}`),
		SizeBytes:      100,
		CreatedAt:      created,
		UpdatedAt:      created,
	}
	if status == weft.IncompletePending {
		ie.NextAttemptAt = ptr(created.Add(time.Minute))
	}
	if status == weft.IncompleteResolved {
		ie.ResolvedAt = ptr(created.Add(time.Hour))
	}
	return ie
}

func createIE(t *testing.T, s store.Store, ie *weft.Incomplete) *weft.Incomplete {
	t.Helper()
	must(t, s.CreateIncomplete(ctxT(t), ie), "create incomplete "+ie.ID)
	return ie
}

// ids lists the ids of incomplete executions in order.
func ids(ies []*weft.Incomplete) []string {
	out := make([]string, 0, len(ies))
	for _, ie := range ies {
		out = append(out, ie.ID)
	}
	return out
}

func statusOf(t *testing.T, s store.Store, id string) weft.IncompleteStatus {
	t.Helper()
	ie, err := s.GetIncomplete(ctxT(t), id)
	must(t, err, "get incomplete "+id)
	return ie.Status
}

func idf(format string, n int) string { return fmt.Sprintf(format, n) }
