package notify_test

import (
	"context"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/notify"
)

// BenchmarkIncompleteStored is what a run pays to notify: encoding the event and
// queueing it (the receiver is never reached: the notifier is closed, so every event
// takes the drop path, which costs the same encoding and one atomic add).
func BenchmarkIncompleteStored(b *testing.B) {
	n := notify.New("http://127.0.0.1:1/", nil, quiet())
	n.Close(context.Background())
	sc := &weft.Scenario{ID: 1, Name: "Orders", Active: true}
	ie := &weft.Incomplete{ID: "ie1", ScenarioID: 1, ExecutionID: "ex1", ErrorType: weft.ConnectionError,
		ErrorMessage: "the partner answered 503", Status: weft.IncompletePending, CreatedAt: at}
	for b.Loop() {
		n.IncompleteStored(sc, ie)
	}
}
