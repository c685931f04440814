package crash

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

func afterKill(t *testing.T, ctx context.Context, pl *plan, dbPath string, round int) {
	t.Helper()
	st, err := sqlite.Open(ctx, dbPath, sqlite.Options{})
	if err != nil {
		t.Fatalf("round %d: open the database after the kill: %v", round, err)
	}
	defer st.Close()
	bad, err := checkAfterKill(ctx, st, pl)
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	if len(bad) > 0 {
		t.Fatalf("round %d, right after the kill:\n  %s", round, strings.Join(bad, "\n  "))
	}
}

// runUntilIdle starts weft work and waits until nothing is left for it: no running
// execution, no incomplete execution in progress or pending (except those of
// personScenario, which wait for a person), no payload queued for an active scenario.
// Then it stops weft with SIGTERM and returns how many of personScenario's incomplete
// executions are pending.
func runUntilIdle(t *testing.T, cli weftCLI, dbPath, logPath string, personScenario int64) int {
	t.Helper()
	w := cli.startWorker(t, logPath)
	select {
	case <-w.ready:
	case <-w.done:
		w.exit = true
		t.Fatalf("weft work exited on its own:\n%s", tail(logPath, 4000))
	case <-time.After(30 * time.Second):
		t.Fatalf("weft work did not start within 30 s:\n%s", tail(logPath, 4000))
	}
	st, err := sqlite.Open(t.Context(), dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var state string
	var personPending int
	for {
		if done, err := w.exited(); done {
			t.Fatalf("weft work exited on its own: %v\n%s", err, tail(logPath, 4000))
		}
		var idle bool
		idle, personPending, state, err = idleState(t.Context(), st, personScenario)
		if err != nil {
			t.Fatal(err)
		}
		if idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("weft did not become idle within 60 s: %s\n%s", state, tail(logPath, 4000))
		}
		<-tick.C
	}
	if err := w.stop(syscall.SIGTERM, 20*time.Second); err != nil {
		t.Fatalf("weft work after SIGTERM: %v\n%s", err, tail(logPath, 4000))
	}
	return personPending
}

// idleState reads, in one transaction (one consistent snapshot), whether weft has
// anything left to do.
func idleState(ctx context.Context, st store.Store, personScenario int64) (idle bool, personPending int, state string, err error) {
	err = st.InTx(ctx, func(q store.Queries) error {
		running, err := q.RunningExecutions(ctx)
		if err != nil {
			return err
		}
		inProgress, err := q.CountIncomplete(ctx, store.IncompleteFilter{Status: []weft.IncompleteStatus{weft.IncompleteInProgress}})
		if err != nil {
			return err
		}
		pending, err := q.ListIncomplete(ctx, store.IncompleteFilter{Status: []weft.IncompleteStatus{weft.IncompletePending}, Limit: everything})
		if err != nil {
			return err
		}
		otherPending := 0
		personPending = 0
		for _, ie := range pending {
			if ie.ScenarioID == personScenario {
				personPending++
			} else {
				otherPending++
			}
		}
		scs, err := q.ListScenarios(ctx)
		if err != nil {
			return err
		}
		queued := 0
		var waiting []string
		for _, sc := range scs {
			if !sc.Active {
				continue
			}
			n, err := q.QueueDepth(ctx, sc.ID)
			if err != nil {
				return err
			}
			if n > 0 {
				open, err := q.CountIncomplete(ctx, store.IncompleteFilter{ScenarioID: sc.ID,
					Status: []weft.IncompleteStatus{weft.IncompleteUnresolved, weft.IncompletePending, weft.IncompleteInProgress}})
				if err != nil {
					return err
				}
				waiting = append(waiting, fmt.Sprintf("%q: %d queued, %d open incomplete, paused %q", sc.Name, n, open, sc.Paused))
			}
			queued += n
		}
		idle = len(running) == 0 && inProgress == 0 && otherPending == 0 && queued == 0
		state = fmt.Sprintf("%d running, %d in progress, %d pending (+%d waiting for a person), %d queued for active scenarios %v",
			len(running), inProgress, otherPending, personPending, queued, waiting)
		return nil
	})
	return idle, personPending, state, err
}
