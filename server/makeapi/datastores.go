package makeapi

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/value"
)

// Data stores. weft's data stores are named as the datastore:* modules name them (Make
// exports the data store's numeric id): there is no list of stores and no data
// structure, only records. So a data store here is a number that a scenario's
// datastore module names (listed) or that holds records (reachable by id); its records
// are what the modules read and write.

type dataStoreView struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Records         int    `json:"records"`
	TeamID          int64  `json:"teamId"`
	DatastructureID *int64 `json:"datastructureId"`
}

var dataStoreColumns = []string{"id", "name", "records", "teamId", "datastructureId"}

// dataStoreIDs lists the numeric data stores the scenarios' current blueprints name.
func (a *api) dataStoreIDs(ctx context.Context) ([]int64, error) {
	scs, err := a.st.ListScenarios(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, sc := range scs {
		v, err := a.st.GetVersion(ctx, sc.ID, sc.Version)
		if err != nil {
			return nil, err
		}
		bp, err := blueprint.Parse(v.Blueprint)
		if err != nil {
			continue
		}
		walk(bp.Flow, func(m *blueprint.Module) {
			if !strings.HasPrefix(m.Type, "datastore:") {
				return
			}
			if n, err := strconv.ParseInt(value.Text(m.Parameters["datastore"]), 10, 64); err == nil && n > 0 && !slices.Contains(ids, n) {
				ids = append(ids, n)
			}
		})
	}
	slices.Sort(ids)
	return ids, nil
}

func (a *api) viewDataStore(ctx context.Context, id int64) (dataStoreView, error) {
	n, err := a.st.CountRecords(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		return dataStoreView{}, err
	}
	return dataStoreView{ID: id, Name: "Data store " + strconv.FormatInt(id, 10), Records: n, TeamID: a.TeamID}, nil
}

// dataStore reads the data store the route names: one a scenario names, or one with
// records.
func (a *api) dataStore(r *http.Request) (int64, string, error) {
	id, err := int64Path(r, "dataStoreId")
	if err != nil {
		return 0, "", err
	}
	name := strconv.FormatInt(id, 10)
	n, err := a.st.CountRecords(r.Context(), name)
	if err != nil {
		return 0, "", err
	}
	if n == 0 {
		ids, err := a.dataStoreIDs(r.Context())
		if err != nil {
			return 0, "", err
		}
		if !slices.Contains(ids, id) {
			return 0, "", notFound("data store %d does not exist: no scenario's datastore module names it and it holds no records", id)
		}
	}
	return id, name, nil
}

func (a *api) listDataStores(w http.ResponseWriter, r *http.Request) error {
	if err := requireTeam(r); err != nil {
		return err
	}
	p, err := paging{sortBy: "id", sortDir: "asc", sorts: []string{"id", "name", "records"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	cols, err := columns(r, dataStoreColumns)
	if err != nil {
		return err
	}
	ids, err := a.dataStoreIDs(r.Context())
	if err != nil {
		return err
	}
	views := make([]dataStoreView, len(ids))
	for i, id := range ids {
		if views[i], err = a.viewDataStore(r.Context(), id); err != nil {
			return err
		}
	}
	byID := func(x, y dataStoreView) int { return cmp.Compare(x.ID, y.ID) }
	sortItems(views, p, map[string]func(x, y dataStoreView) int{"id": byID, "name": byID,
		"records": func(x, y dataStoreView) int { return cmp.Compare(x.Records, y.Records) }})
	items, err := pickAll(page(views, p), cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dataStores": items, "pg": p})
	return nil
}

func (a *api) getDataStore(w http.ResponseWriter, r *http.Request) error {
	cols, err := columns(r, dataStoreColumns)
	if err != nil {
		return err
	}
	id, _, err := a.dataStore(r)
	if err != nil {
		return err
	}
	v, err := a.viewDataStore(r.Context(), id)
	if err != nil {
		return err
	}
	out, err := pick(v, cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dataStore": out})
	return nil
}

// maxRecordScan bounds pg[offset] + pg[limit] for records: the store reads records from
// the first key (docs/api.md, "Data stores have no listing endpoint").
const maxRecordScan = 100_000

func (a *api) listRecords(w http.ResponseWriter, r *http.Request) error {
	_, name, err := a.dataStore(r)
	if err != nil {
		return err
	}
	p, err := paging{limit: 10_000}.read(r)
	if err != nil {
		return err
	}
	if p.Offset+p.Limit > maxRecordScan {
		return invalid("pg[offset]", "pg[offset] + pg[limit] may be at most %d", maxRecordScan)
	}
	recs, err := a.st.ListRecords(r.Context(), name, p.Offset+p.Limit)
	if err != nil {
		return err
	}
	n, err := a.st.CountRecords(r.Context(), name)
	if err != nil {
		return err
	}
	views := make([]recordView, len(recs))
	for i, rec := range recs {
		views[i] = recordView{Key: rec.Key, Data: rec.Data}
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": page(views, p), "spec": []any{}, "strict": false, "count": n,
		"pg": map[string]int{"limit": p.Limit, "offset": p.Offset}})
	return nil
}

// recordView is a record: its data as the modules see it.
type recordView struct {
	Key  string      `json:"key"`
	Data weft.Bundle `json:"data"`
}

func writeRecord(w http.ResponseWriter, key string, data weft.Bundle) {
	if data == nil {
		data = weft.Bundle{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// value.JSON keeps big integers and dates as the modules wrote them.
	_, _ = w.Write(value.JSON(map[string]any{"key": key, "data": map[string]any(data)}))
	_, _ = w.Write([]byte("\n"))
}

// createRecord adds a record; without a key weft makes one. An existing key is refused.
func (a *api) createRecord(w http.ResponseWriter, r *http.Request) error {
	_, name, err := a.dataStore(r)
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	if err := o.only("key", "data"); err != nil {
		return err
	}
	var key string
	if err := o.get("key", &key); err != nil {
		return err
	}
	if key == "" {
		key = a.NewKey()
	}
	data, err := o.bundle("data")
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	err = a.st.PutRecord(r.Context(), name, key, data, false)
	if errors.Is(err, store.ErrExists) {
		return refused("data store %s already has a record with the key %q", name, key)
	}
	if err != nil {
		return err
	}
	writeRecord(w, key, data)
	return nil
}

// updateRecord changes the fields the body names and keeps the others (404 for a key
// the store does not hold).
func (a *api) updateRecord(w http.ResponseWriter, r *http.Request) error {
	_, name, err := a.dataStore(r)
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	cur, err := a.st.GetRecord(r.Context(), name, key)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("data store %s has no record with the key %q", name, key)
	}
	if err != nil {
		return err
	}
	for k := range o {
		v, err := o.field(k)
		if err != nil {
			return err
		}
		cur[k] = v
	}
	if err := a.st.PutRecord(r.Context(), name, key, cur, true); err != nil {
		return err
	}
	writeRecord(w, key, cur)
	return nil
}

// replaceRecord replaces a record's data (adding the record when the key is new).
func (a *api) replaceRecord(w http.ResponseWriter, r *http.Request) error {
	_, name, err := a.dataStore(r)
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	data := weft.Bundle{}
	for k := range o {
		if data[k], err = o.field(k); err != nil {
			return err
		}
	}
	key := r.PathValue("key")
	if err := a.st.PutRecord(r.Context(), name, key, data, true); err != nil {
		return err
	}
	writeRecord(w, key, data)
	return nil
}

// deleteRecords deletes records by keys, or all (but exceptKeys) with confirmed=true.
// The answer names the keys deleted.
func (a *api) deleteRecords(w http.ResponseWriter, r *http.Request) error {
	_, name, err := a.dataStore(r)
	if err != nil {
		return err
	}
	confirmed, err := boolQuery(r, "confirmed")
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	sel, err := readSelection(o, "keys", "exceptKeys")
	if err != nil {
		return err
	}
	if !confirmed {
		return needConfirmation("deleting data store records")
	}
	keys := sel.IDs
	if sel.All {
		n, err := a.st.CountRecords(r.Context(), name)
		if err != nil {
			return err
		}
		recs, err := a.st.ListRecords(r.Context(), name, n+1)
		if err != nil {
			return err
		}
		keys = nil
		for _, rec := range recs {
			if sel.includes(rec.Key) {
				keys = append(keys, rec.Key)
			}
		}
	}
	deleted := []string{}
	for _, k := range keys {
		err := a.st.DeleteRecord(r.Context(), name, k)
		if errors.Is(err, store.ErrNotFound) {
			continue // already gone: nothing to delete
		}
		if err != nil {
			return err
		}
		deleted = append(deleted, k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": deleted})
	return nil
}
