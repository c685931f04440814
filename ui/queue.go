package ui

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/store"
)

// queueShown is how many queued payloads the scenario page lists (oldest first); the
// rest are counted, and `weft queue list` or the API pages through them.
const queueShown = 50

// queueSection is the scenario page's view of its trigger queue: payloads waiting,
// being run, and dead ones set aside after a run that ended in error.
type queueSection struct {
	Usage    store.QueueUsage
	Items    []*weft.QueueItem
	More     int // items beyond the ones listed
	CanWrite bool
}

func (u *UI) queueSection(r *http.Request, s *session, scenarioID int64) (*queueSection, error) {
	if !hasScope(s, auth.WebhooksRead) {
		return nil, nil
	}
	usage, err := u.st.QueueUsage(r.Context(), scenarioID)
	if err != nil {
		return nil, err
	}
	q := &queueSection{Usage: usage, CanWrite: hasScope(s, auth.WebhooksWrite)}
	if usage.Items > 0 {
		if q.Items, err = u.svc.ListQueue(r.Context(), store.QueueFilter{ScenarioID: scenarioID, Limit: queueShown}); err != nil {
			return nil, err
		}
		q.More = max(usage.Items-len(q.Items), 0)
	}
	return q, nil
}

// queueItemAction retries (re-queues) or deletes one queued payload from the scenario
// page.
func (u *UI) queueItemAction(retry bool) func(http.ResponseWriter, *http.Request, *session) error {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		item, err := strconv.ParseInt(r.PathValue("item"), 10, 64)
		if err != nil || item < 1 {
			return &userError{status: http.StatusNotFound, msg: fmt.Sprintf("%q is not a queued payload id.", r.PathValue("item"))}
		}
		back := fmt.Sprintf("/scenarios/%d", id)
		sel := store.QueueSelection{ScenarioID: id, IDs: []int64{item}}
		if retry {
			n, err := u.svc.RetryQueued(r.Context(), sel)
			if err != nil {
				return err
			}
			if n == 0 {
				return u.flashRedirect(w, r, s, back, fmt.Sprintf("Payload %d is not set aside (any more): nothing to retry.", item))
			}
			return u.flashRedirect(w, r, s, back, fmt.Sprintf("Payload %d is back in the queue; it runs once the scenario is active.", item))
		}
		n, err := u.svc.DeleteQueued(r.Context(), sel)
		if err != nil {
			return err
		}
		if n == 0 {
			return u.flashRedirect(w, r, s, back, fmt.Sprintf("Payload %d was not deleted: it is being run right now, or gone.", item))
		}
		return u.flashRedirect(w, r, s, back, fmt.Sprintf("Deleted queued payload %d.", item))
	}
}
