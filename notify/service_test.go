package notify_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/notify"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store/sqlite"
)

// recorder is an observer that writes down what it is told.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) add(s string) { r.mu.Lock(); r.got = append(r.got, s); r.mu.Unlock() }
func (r *recorder) RunFinished(sc *weft.Scenario, ex *weft.Execution, _ *engine.Result) {
	r.add(fmt.Sprintf("run %d %s", sc.ID, ex.Status))
}
func (r *recorder) IncompleteStored(sc *weft.Scenario, ie *weft.Incomplete) {
	r.add(fmt.Sprintf("incomplete %d %s", sc.ID, ie.ErrorType))
}
func (r *recorder) ScenarioDeactivated(sc *weft.Scenario, reason string) {
	r.add(fmt.Sprintf("deactivated %d", sc.ID))
}

// TestThroughTheService runs a scenario on a real SQLite store whose HTTP partner
// fails: the notifier and a second observer, joined by Multi, hear of the stored
// incomplete execution and then of the deactivation.
func TestThroughTheService(t *testing.T) {
	var status atomic.Int32
	status.Store(503)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	defer partner.Close()
	r := newReceiver(t)
	n := notify.New(r.URL, nil, quiet(), fixed())
	rec := &recorder{}

	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var ids atomic.Int64
	svc, err := service.New(service.Config{Store: st, Registry: reg, Logger: quiet(),
		Clock: func() time.Time { return at }, NewID: func() string { return fmt.Sprintf("id%d", ids.Add(1)) },
		Observer: notify.Multi(n, nil, rec)})
	if err != nil {
		t.Fatal(err)
	}
	bp := `{"name":"Orders","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"noAuth"},
		 "mapper":{"url":"` + partner.URL + `","method":"get"}}],"metadata":{"version":1,"scenario":{}}}`
	sc, err := svc.CreateScenario(t.Context(), []byte(bp), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetActive(t.Context(), sc.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Run(t.Context(), sc.ID, []weft.Bundle{{"id": "o1"}}); err != nil {
		t.Fatal(err)
	}
	status.Store(500) // a RuntimeError ends an instant scenario's run in error: deactivated
	if _, err := svc.Run(t.Context(), sc.ID, []weft.Bundle{{"id": "o2"}}); err != nil {
		t.Fatal(err)
	}

	ex, err := st.GetExecution(t.Context(), "id3")
	if err != nil {
		t.Fatal(err)
	}
	var first, second notify.Event
	if err := json.Unmarshal([]byte(r.next(t).body), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(r.next(t).body), &second); err != nil {
		t.Fatal(err)
	}
	if first.Event != "incomplete.stored" || first.Scenario.ID != sc.ID || first.Incomplete == nil ||
		first.Incomplete.ID != "id2" || first.Incomplete.ErrorType != weft.ConnectionError || first.Incomplete.Status != weft.IncompletePending {
		t.Errorf("first notification %+v (incomplete %+v)", first, first.Incomplete)
	}
	if second.Event != "scenario.deactivated" || second.State != "deactivated" || second.Scenario.Active ||
		second.Reason != "an instant trigger's run ended in error: RuntimeError at module 2: "+ex.ErrorMsg {
		t.Errorf("second notification %+v", second)
	}
	closeNow(t, n)
	want := fmt.Sprint([]string{fmt.Sprintf("run %d warning", sc.ID), fmt.Sprintf("incomplete %d ConnectionError", sc.ID),
		fmt.Sprintf("run %d error", sc.ID), fmt.Sprintf("deactivated %d", sc.ID)})
	if got := fmt.Sprint(rec.got); got != want {
		t.Errorf("second observer heard %s, want %s", got, want)
	}
}
