package postgres

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/internal/pgtest"
	"github.com/weftworks/weft/store"
)

// Two processes enqueue for one scenario at once: the item whose transaction got the
// earlier id is still open when the other enqueues. The other must wait for it (not
// commit a later id first), so a claimer never sees the later item without the
// earlier one and runs a sequential scenario's payloads in arrival order.
func TestEnqueueOrderIsCommitOrder(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openURL(t, url, Options{}), openURL(t, url, Options{})
	ctx := t.Context()
	sc := &weft.Scenario{Name: "S", CreatedAt: t0, UpdatedAt: t0}
	if err := a.CreateScenario(ctx, sc, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	first := &weft.QueueItem{ScenarioID: sc.ID, Payload: []byte(`{"n":1}`), EnqueuedAt: t0}
	second := &weft.QueueItem{ScenarioID: sc.ID, Payload: []byte(`{"n":2}`), EnqueuedAt: t0}
	holding, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- a.InTx(ctx, func(q store.Queries) error {
			if err := q.Enqueue(ctx, first); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	secondDone := make(chan error, 1)
	go func() { secondDone <- b.Enqueue(ctx, second) }()
	// The second enqueue must be waiting on a lock in the server: poll its activity
	// (an external process) with a deadline.
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-secondDone:
			close(release)
			<-firstDone
			t.Fatalf("the second enqueue committed (%v, id %d) while the first (id %d) was still open", err, second.ID, first.ID)
		default:
		}
		var waiting int
		if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the second enqueue neither waited nor returned within 20 s")
		}
		<-time.After(10 * time.Millisecond)
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	if second.ID <= first.ID {
		t.Fatalf("ids %d then %d: the later commit must have the later id", first.ID, second.ID)
	}
	got, err := b.ClaimQueued(ctx, 1, nil, func() string { return "e1" })
	if err != nil || len(got) != 1 || got[0].ID != first.ID {
		t.Fatalf("head claimed: %+v, %v; want item %d", got, err, first.ID)
	}
	// An item stored already claimed (an inline run) does not wait for the order lock.
	holding2, release2 := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- a.InTx(ctx, func(q store.Queries) error {
			if err := q.Enqueue(ctx, &weft.QueueItem{ScenarioID: sc.ID, Payload: []byte(`{"n":3}`), EnqueuedAt: t0}); err != nil {
				return err
			}
			close(holding2)
			<-release2
			return nil
		})
	}()
	<-holding2
	inline := &weft.QueueItem{ScenarioID: sc.ID, Payload: []byte(`{"n":4}`), EnqueuedAt: t0, ExecutionID: "inline"}
	err = b.Enqueue(ctx, inline)
	close(release2)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-held; err != nil {
		t.Fatal(err)
	}
}
