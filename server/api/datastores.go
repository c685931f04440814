package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Data stores are global and named as the datastore:* modules name them (Make's numeric
// id as text, or a name). The store keeps no list of stores, so there is no endpoint
// listing them.

// Record is a record; its data is encoded as the modules see it (integers beyond
// 2^53 exact, dates in ISO 8601).
type Record struct {
	Key  string          `json:"key"`
	Data json.RawMessage `json:"data"`
}

func viewRecord(key string, data weft.Bundle) Record {
	return Record{Key: key, Data: value.JSON(map[string]any(data))}
}

func (a *api) listRecords(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("store")
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	// The store lists in key order from the start only; the records up to the cursor
	// are read and skipped.
	recs, err := a.st.ListRecords(r.Context(), name, 0)
	if err != nil {
		return err
	}
	items := make([]Record, 0, limit)
	next := ""
	for _, rec := range recs {
		if cursor != "" && rec.Key <= cursor {
			continue
		}
		if len(items) == limit {
			next = items[len(items)-1].Key
			break
		}
		items = append(items, viewRecord(rec.Key, rec.Data))
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

func (a *api) getRecord(w http.ResponseWriter, r *http.Request) error {
	name, key := r.PathValue("store"), r.PathValue("key")
	data, err := a.st.GetRecord(r.Context(), name, key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewRecord(key, data))
	return nil
}

// putRecord adds or replaces a record: 201 when it is new, 200 when it replaced one.
func (a *api) putRecord(w http.ResponseWriter, r *http.Request) error {
	name, key := r.PathValue("store"), r.PathValue("key")
	body, err := readBody(r)
	if err != nil {
		return err
	}
	v, err := value.DecodeJSON(body)
	if err != nil {
		return invalid("body", "is not valid JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return invalid("body", "a record's data is a JSON object")
	}
	data := weft.Bundle(m)
	status := http.StatusOK
	if _, err := a.st.GetRecord(r.Context(), name, key); errors.Is(err, store.ErrNotFound) {
		status = http.StatusCreated
	} else if err != nil {
		return err
	}
	if err := a.st.PutRecord(r.Context(), name, key, data, true); err != nil {
		return err
	}
	writeJSON(w, status, viewRecord(key, data))
	return nil
}

func (a *api) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	if err := a.st.DeleteRecord(r.Context(), r.PathValue("store"), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
