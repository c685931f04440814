package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// A scenario's trigger queue (Make: the hook's incoming queue): payloads waiting for a
// run, being run, or set aside (dead) after their run ended the instant scenario's
// run in error. Listings never carry payloads; one item does.

func (a *api) listQueue(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return err
	}
	return a.writeQueue(w, r, id)
}

// writeQueue answers a page of queued payloads of one scenario (0: every scenario).
func (a *api) writeQueue(w http.ResponseWriter, r *http.Request, scenario int64) error {
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	f := store.QueueFilter{ScenarioID: scenario, Limit: limit + 1}
	if cursor != "" {
		if f.AfterID, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return invalid("cursor", "is not a cursor this API returned")
		}
	}
	for _, s := range r.URL.Query()["status"] {
		for _, one := range strings.Split(s, ",") {
			st := weft.QueueStatus(strings.TrimSpace(one))
			if !st.Valid() {
				return invalid("status", "%q: want waiting, running or dead (several: comma-separated)", one)
			}
			f.Status = append(f.Status, st)
		}
	}
	items, err := a.svc.ListQueue(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = strconv.FormatInt(items[limit-1].ID, 10)
	}
	views := make([]weft.QueueItemJSON, len(items))
	for i, it := range items {
		views[i] = it.JSON()
	}
	writeJSON(w, http.StatusOK, newPage(views, next))
	return nil
}

// QueueItemDetail is one queued payload with its data (null for a confidential
// scenario: kept for the run, never shown).
type QueueItemDetail struct {
	weft.QueueItemJSON
	Confidential bool            `json:"confidential"`
	Payload      json.RawMessage `json:"payload"`
}

// queueItem reads the {id} scenario's {item}.
func (a *api) queueItem(r *http.Request) (*weft.QueueItem, bool, error) {
	id, err := int64Path(r, "id")
	if err != nil {
		return nil, false, err
	}
	itemID, err := int64Path(r, "item")
	if err != nil {
		return nil, false, err
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return nil, false, err
	}
	return a.svc.GetQueued(r.Context(), id, itemID)
}

func (a *api) getQueued(w http.ResponseWriter, r *http.Request) error {
	it, confidential, err := a.queueItem(r)
	if err != nil {
		return err
	}
	return writeQueued(w, it, confidential)
}

// writeQueued answers one queued payload with its data.
func writeQueued(w http.ResponseWriter, it *weft.QueueItem, confidential bool) error {
	v := QueueItemDetail{QueueItemJSON: it.JSON(), Confidential: confidential, Payload: json.RawMessage("null")}
	if !confidential {
		// Stored as tagged JSON (dates, binary data and big integers kept); shown as
		// plain JSON, as a module would see it.
		p, err := value.UnmarshalTagged(it.Payload)
		if err != nil {
			return fmt.Errorf("queued payload %d: stored payload: %w", it.ID, err)
		}
		v.Payload = value.JSON(p)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *api) deleteQueued(w http.ResponseWriter, r *http.Request) error {
	it, _, err := a.queueItem(r)
	if err != nil {
		return err
	}
	n, err := a.svc.DeleteQueued(r.Context(), store.QueueSelection{ScenarioID: it.ScenarioID, IDs: []int64{it.ID}})
	if err != nil {
		return err
	}
	if n == 0 {
		return conflict(nil, "queued payload %d is being run right now; its run settles it", it.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) retryQueued(w http.ResponseWriter, r *http.Request) error {
	it, _, err := a.queueItem(r)
	if err != nil {
		return err
	}
	if it.Status() != weft.QueueDead {
		return conflict(nil, "queued payload %d is %s; only a dead (set-aside) payload can be retried", it.ID, it.Status())
	}
	n, err := a.svc.RetryQueued(r.Context(), store.QueueSelection{ScenarioID: it.ScenarioID, IDs: []int64{it.ID}})
	if err != nil {
		return err
	}
	if n == 0 { // deleted meanwhile
		return notFound("queued payload %d: not found", it.ID)
	}
	it, _, err = a.svc.GetQueued(r.Context(), it.ScenarioID, it.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it.JSON())
	return nil
}

// queueSelectionBody is the body of a queue's bulk retry and delete, as Make's
// "delete hook incomings": ids, or all (but except); status narrows a delete.
type queueSelectionBody struct {
	IDs       []int64            `json:"ids"`
	All       bool               `json:"all"`
	Except    []int64            `json:"except"`
	Status    []weft.QueueStatus `json:"status"`
	Confirmed bool               `json:"confirmed"`
}

func (a *api) queueSelection(r *http.Request, del bool) (store.QueueSelection, error) {
	var sel store.QueueSelection
	id, err := int64Path(r, "id")
	if err != nil {
		return sel, err
	}
	var b queueSelectionBody
	if err := decode(r, &b); err != nil {
		return sel, err
	}
	switch {
	case len(b.IDs) > 0 && b.All:
		return sel, invalid("all", "select queued payloads by ids or all, not both")
	case !b.All && len(b.IDs) == 0:
		return sel, invalid("ids", "no queued payload selected: give ids, or all: true")
	case len(b.Except) > 0 && !b.All:
		return sel, invalid("except", "only applies with all: true")
	case !del && b.Confirmed:
		return sel, invalid("confirmed", "only applies to bulk delete")
	case !del && len(b.Status) > 0:
		return sel, invalid("status", "only applies to bulk delete (a retry takes dead payloads only)")
	case del && b.All && !b.Confirmed:
		return sel, invalid("confirmed", "must be true to delete all queued payloads of scenario %d", id)
	}
	for i, n := range b.IDs {
		if n < 1 {
			return sel, invalid(fmt.Sprintf("ids[%d]", i), "%d is not an id", n)
		}
	}
	for i, st := range b.Status {
		if !st.Valid() {
			return sel, invalid(fmt.Sprintf("status[%d]", i), "%q: want waiting, running or dead", st)
		}
	}
	if _, err := a.st.GetScenario(r.Context(), id); err != nil {
		return sel, err
	}
	return store.QueueSelection{ScenarioID: id, IDs: b.IDs, All: b.All, Except: b.Except, Status: b.Status}, nil
}

func (a *api) bulkRetryQueued(w http.ResponseWriter, r *http.Request) error {
	sel, err := a.queueSelection(r, false)
	if err != nil {
		return err
	}
	n, err := a.svc.RetryQueued(r.Context(), sel)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"queued": n})
	return nil
}

func (a *api) bulkDeleteQueued(w http.ResponseWriter, r *http.Request) error {
	sel, err := a.queueSelection(r, true)
	if err != nil {
		return err
	}
	n, err := a.svc.DeleteQueued(r.Context(), sel)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
	return nil
}

// enqueue queues a trigger payload for the scenario (`weft enqueue`): the worker runs
// it, in arrival order with the scenario's other payloads.
func (a *api) enqueue(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	payload, err := bundleBody(r, "body")
	if err != nil {
		return err
	}
	it, err := a.svc.Enqueue(r.Context(), id, payload)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("%s/queue/%d", Prefix, it.ID))
	writeJSON(w, http.StatusCreated, it.JSON())
	return nil
}

// listAllQueued is the queue of every scenario (or of ?scenario=), in arrival order.
func (a *api) listAllQueued(w http.ResponseWriter, r *http.Request) error {
	scenario, err := int64Query(r, "scenario")
	if err != nil {
		return err
	}
	if scenario != 0 {
		if _, err := a.st.GetScenario(r.Context(), scenario); err != nil {
			return err
		}
	}
	return a.writeQueue(w, r, scenario)
}

// getAnyQueued is one queued payload, whichever its scenario.
func (a *api) getAnyQueued(w http.ResponseWriter, r *http.Request) error {
	itemID, err := int64Path(r, "item")
	if err != nil {
		return err
	}
	it, confidential, err := a.svc.GetQueued(r.Context(), 0, itemID)
	if err != nil {
		return err
	}
	return writeQueued(w, it, confidential)
}

// anyQueueSelection is the body of the bulk retry and delete of queued payloads by
// ids, whichever their scenarios: every id must exist, else nothing is done.
type anyQueueSelection struct {
	IDs    []int64            `json:"ids"`
	Status []weft.QueueStatus `json:"status"`
}

func (a *api) anyQueueSelection(r *http.Request, del bool) (store.QueueSelection, error) {
	var b anyQueueSelection
	if err := decode(r, &b); err != nil {
		return store.QueueSelection{}, err
	}
	switch {
	case len(b.IDs) == 0:
		return store.QueueSelection{}, invalid("ids", "no queued payload selected (all of a scenario's: POST /scenarios/{id}/queue/…)")
	case !del && len(b.Status) > 0:
		return store.QueueSelection{}, invalid("status", "only applies to bulk delete (a retry takes dead payloads only)")
	}
	var missing []string
	for i, n := range b.IDs {
		if n < 1 {
			return store.QueueSelection{}, invalid(fmt.Sprintf("ids[%d]", i), "%d is not an id", n)
		}
		if _, _, err := a.svc.GetQueued(r.Context(), 0, n); errors.Is(err, store.ErrNotFound) {
			missing = append(missing, strconv.FormatInt(n, 10))
		} else if err != nil {
			return store.QueueSelection{}, err
		}
	}
	for i, st := range b.Status {
		if !st.Valid() {
			return store.QueueSelection{}, invalid(fmt.Sprintf("status[%d]", i), "%q: want waiting, running or dead", st)
		}
	}
	if len(missing) > 0 {
		return store.QueueSelection{}, notFound("no queued payload %s; nothing was done", strings.Join(missing, ", "))
	}
	return store.QueueSelection{IDs: b.IDs, Status: b.Status}, nil
}

func (a *api) retryAnyQueued(w http.ResponseWriter, r *http.Request) error {
	sel, err := a.anyQueueSelection(r, false)
	if err != nil {
		return err
	}
	n, err := a.svc.RetryQueued(r.Context(), sel)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"queued": n})
	return nil
}

func (a *api) deleteAnyQueued(w http.ResponseWriter, r *http.Request) error {
	sel, err := a.anyQueueSelection(r, true)
	if err != nil {
		return err
	}
	n, err := a.svc.DeleteQueued(r.Context(), sel)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
	return nil
}
