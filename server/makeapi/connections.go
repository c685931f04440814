package makeapi

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
)

// Connections and keys. weft keeps both in its connections (credentials encrypted at
// rest, never shown): Make's keys (API keys, basic auth) are the connections of a key
// type, its connections the others. Credentials go in and never come out.

// keyTypes are the connection types that are Make keys, with Make's type names.
var keyTypes = map[string]string{"apikey": "apikeyauth", "apikeyauth": "apikeyauth", "basic": "basicauth", "basicauth": "basicauth"}

func isKey(c *weft.Connection) bool { _, ok := keyTypes[c.Type]; return ok }

type connectionView struct {
	ID                int64          `json:"id"`
	Name              string         `json:"name"`
	AccountName       string         `json:"accountName"`
	AccountLabel      string         `json:"accountLabel"`
	PackageName       *string        `json:"packageName"`
	Expire            *string        `json:"expire"`
	Metadata          map[string]any `json:"metadata"`
	TeamID            int64          `json:"teamId"`
	Theme             string         `json:"theme"`
	Upgradeable       bool           `json:"upgradeable"`
	ScopesCnt         int            `json:"scopesCnt"`
	Scoped            bool           `json:"scoped"`
	AccountType       string         `json:"accountType"`
	Editable          bool           `json:"editable"`
	UID               *string        `json:"uid"`
	ConnectedSystemID *string        `json:"connectedSystemId"`
}

var connectionColumns = []string{"id", "name", "accountName", "accountLabel", "packageName", "expire", "metadata", "teamId",
	"theme", "upgradeable", "scopesCnt", "scoped", "accountType", "editable", "uid", "connectedSystemId"}

// viewConnection shows a connection: accountName is its type, accountType "oauth" for
// an OAuth connection (with its expiry and granted scopes) and "basic" otherwise.
func (a *api) viewConnection(ctx context.Context, c *weft.Connection) (connectionView, error) {
	v := connectionView{ID: c.ID, Name: c.Name, AccountName: c.Type, AccountLabel: c.Type, TeamID: a.TeamID,
		Theme: "#ffffff", AccountType: "basic", Editable: true}
	st, err := a.svc.OAuthStatus(ctx, c.ID)
	var we *weft.Error
	switch {
	case errors.As(err, &we):
		// Credentials the keyring cannot open: shown, and test says they do not work.
	case err != nil:
		return v, err
	case st != nil:
		v.AccountType = "oauth"
		if st.ProviderLabel != "" {
			v.AccountLabel = st.ProviderLabel
		}
		if st.ExpiresAt != "" {
			v.Expire = &st.ExpiresAt
		}
		if st.GrantedScope != "" {
			v.ScopesCnt = len(strings.Fields(st.GrantedScope))
		}
	}
	return v, nil
}

// connection reads the connection the route names (param is its path parameter).
func (a *api) connection(r *http.Request, param string, keys bool) (*weft.Connection, error) {
	id, err := int64Path(r, param)
	if err != nil {
		return nil, err
	}
	c, err := a.st.GetConnection(r.Context(), id)
	what := "connection"
	if keys {
		what = "key"
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && isKey(c) != keys) {
		return nil, notFound("%s %d does not exist", what, id)
	}
	return c, err
}

func (a *api) listConnections(w http.ResponseWriter, r *http.Request) error {
	if err := requireTeam(r); err != nil {
		return err
	}
	p, err := paging{sortBy: "id", sortDir: "asc", sorts: []string{"id", "name"}, limit: maxLimit}.read(r)
	if err != nil {
		return err
	}
	cols, err := columns(r, connectionColumns)
	if err != nil {
		return err
	}
	types := append(r.URL.Query()["type[]"], r.URL.Query()["type"]...)
	cs, err := a.svc.Connections(r.Context())
	if err != nil {
		return err
	}
	var views []connectionView
	for _, c := range cs {
		if isKey(c) || (len(types) > 0 && !slices.Contains(types, c.Type)) {
			continue
		}
		v, err := a.viewConnection(r.Context(), c)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	sortItems(views, p, map[string]func(x, y connectionView) int{
		"id":   func(x, y connectionView) int { return cmp.Compare(x.ID, y.ID) },
		"name": func(x, y connectionView) int { return cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) },
	})
	items, err := pickAll(nonNil(page(views, p)), cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": items, "pg": p})
	return nil
}

func (a *api) writeConnection(w http.ResponseWriter, r *http.Request, c *weft.Connection, cols []string) error {
	v, err := a.viewConnection(r.Context(), c)
	if err != nil {
		return err
	}
	out, err := pick(v, cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"connection": out})
	return nil
}

func (a *api) getConnection(w http.ResponseWriter, r *http.Request) error {
	cols, err := columns(r, connectionColumns)
	if err != nil {
		return err
	}
	c, err := a.connection(r, "connectionId", false)
	if err != nil {
		return err
	}
	return a.writeConnection(w, r, c, cols)
}

// createConnection takes Make's body: accountName (the connection's name), accountType
// (its type) and the credentials beside them.
func (a *api) createConnection(w http.ResponseWriter, r *http.Request) error {
	if _, err := requiredInt64Query(r, "teamId"); err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	var name, typ string
	if err := o.get("accountName", &name); err != nil {
		return err
	}
	if err := o.get("accountType", &typ); err != nil {
		return err
	}
	if err := service.CheckConnection(strings.TrimSpace(name), strings.TrimSpace(typ)); err != nil {
		return invalid("accountName", "%v (accountName is the connection's name, accountType its type)", err)
	}
	if o.has("scopes") {
		return invalid("scopes", "an OAuth connection is connected in weft's web UI or with POST /api/v1/connections/{id}/authorize")
	}
	data := map[string]any{}
	for k := range o {
		if k == "accountName" || k == "accountType" || k == "scopes" {
			continue
		}
		if data[k], err = o.field(k); err != nil {
			return err
		}
	}
	if _, ok := keyTypes[strings.TrimSpace(typ)]; ok {
		return invalid("accountType", "%q is a key type: create keys with POST /keys", typ)
	}
	c, err := a.svc.CreateConnection(r.Context(), name, typ, data)
	if err != nil {
		return err
	}
	return a.writeConnection(w, r, c, nil)
}

func (a *api) renameConnection(w http.ResponseWriter, r *http.Request) error {
	cols, err := columns(r, connectionColumns)
	if err != nil {
		return err
	}
	c, err := a.connection(r, "connectionId", false)
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	if err := o.only("name"); err != nil {
		return err
	}
	var name string
	if err := o.get("name", &name); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return invalid("name", "is required")
	}
	if c, err = a.svc.UpdateConnection(r.Context(), c.ID, &name, nil); err != nil {
		return err
	}
	return a.writeConnection(w, r, c, cols)
}

// setConnectionData replaces the connection's credentials with the body.
func (a *api) setConnectionData(w http.ResponseWriter, r *http.Request) error {
	c, err := a.connection(r, "connectionId", false)
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	data := map[string]any{}
	for k := range o {
		if data[k], err = o.field(k); err != nil {
			return err
		}
	}
	if _, err := a.svc.UpdateConnection(r.Context(), c.ID, nil, data); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"changed": true})
	return nil
}

func (a *api) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	return a.deleteCredential(w, r, "connectionId", false)
}

// deleteCredential deletes a connection or a key: confirmed=true also deletes one that
// open incomplete executions use (they then fail for want of it until edited).
func (a *api) deleteCredential(w http.ResponseWriter, r *http.Request, param string, keys bool) error {
	confirmed, err := boolQuery(r, "confirmed")
	if err != nil {
		return err
	}
	c, err := a.connection(r, param, keys)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteConnection(r.Context(), c.ID, confirmed); err != nil {
		return err
	}
	what := "connection"
	if keys {
		what = "key"
	}
	writeJSON(w, http.StatusOK, map[string]any{what: c.ID})
	return nil
}

// testConnection answers whether weft can use the connection: its credentials open
// with the server's keyring and, for an OAuth connection, it holds a token that has not
// expired or can be renewed. weft does not call the service (apps declare no test
// request), so credentials the service would reject still verify.
func (a *api) testConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := a.connection(r, "connectionId", false)
	if err != nil {
		return err
	}
	verified := true
	if _, err := a.svc.ResolveConnection(c.ID); err != nil {
		verified = false
	} else if st, err := a.svc.OAuthStatus(r.Context(), c.ID); err != nil {
		verified = false
	} else if st != nil {
		verified = st.Connected
		if exp, err := time.Parse(time.RFC3339, st.ExpiresAt); err == nil && !st.Refreshable && !exp.After(a.Now()) {
			verified = false
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"verified": verified})
	return nil
}

type keyView struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	TypeName    string  `json:"typeName"`
	TeamID      int64   `json:"teamId"`
	PackageName *string `json:"packageName"`
	Theme       string  `json:"theme"`
}

var keyColumns = []string{"id", "name", "typeName", "teamId", "packageName", "theme"}

func (a *api) viewKey(c *weft.Connection) keyView {
	return keyView{ID: c.ID, Name: c.Name, TypeName: keyTypes[c.Type], TeamID: a.TeamID, Theme: "#ffffff"}
}

func (a *api) listKeys(w http.ResponseWriter, r *http.Request) error {
	if err := requireTeam(r); err != nil {
		return err
	}
	cols, err := columns(r, keyColumns)
	if err != nil {
		return err
	}
	typeName := r.URL.Query().Get("typeName")
	cs, err := a.svc.Connections(r.Context())
	if err != nil {
		return err
	}
	views := []keyView{}
	for _, c := range cs {
		if isKey(c) && (typeName == "" || keyTypes[c.Type] == typeName) {
			views = append(views, a.viewKey(c))
		}
	}
	items, err := pickAll(views, cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": items})
	return nil
}

func (a *api) getKey(w http.ResponseWriter, r *http.Request) error {
	cols, err := columns(r, keyColumns)
	if err != nil {
		return err
	}
	c, err := a.connection(r, "keyId", true)
	if err != nil {
		return err
	}
	out, err := pick(a.viewKey(c), cols)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": out})
	return nil
}

// keyParams are the key types weft's apps read, with the parameters each takes (the
// HTTP app's API key and basic auth, docs/connections.md).
var keyParams = map[string][]map[string]any{
	"apikeyauth": {
		{"name": "key", "type": "text", "label": "API key", "required": true},
		{"name": "name", "type": "text", "label": "Header or query parameter name", "required": false},
		{"name": "placement", "type": "select", "label": "Placement", "required": false,
			"options": []any{map[string]any{"label": "header", "value": "header"}, map[string]any{"label": "query", "value": "query"}}},
	},
	"basicauth": {
		{"name": "username", "type": "text", "label": "User name", "required": true},
		{"name": "password", "type": "password", "label": "Password", "required": true},
	},
}

func (a *api) keyTypes(w http.ResponseWriter, _ *http.Request) error {
	labels := map[string]string{"apikeyauth": "API Key", "basicauth": "HTTP Basic Auth"}
	var out []map[string]any
	for _, name := range []string{"apikeyauth", "basicauth"} {
		out = append(out, map[string]any{"name": name, "label": labels[name], "type": "basic",
			"parameters": keyParams[name], "author": "weft", "version": "1", "theme": "#ffffff", "icon": ""})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keysTypes": out})
	return nil
}

// createKey stores a key: Make's body {name, teamId, typeName, parameters}; the
// parameters are the credentials.
func (a *api) createKey(w http.ResponseWriter, r *http.Request) error {
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	if err := o.only("name", "teamId", "typeName", "parameters"); err != nil {
		return err
	}
	var name, typeName string
	var team int64
	if err := o.get("name", &name); err != nil {
		return err
	}
	if err := o.get("typeName", &typeName); err != nil {
		return err
	}
	if err := o.get("teamId", &team); err != nil {
		return err
	}
	if team < 1 {
		return invalid("teamId", "is required (any team id names weft's one team)")
	}
	if _, ok := keyParams[typeName]; !ok {
		return invalid("typeName", "%q: weft's keys are apikeyauth and basicauth (GET /keys/types)", typeName)
	}
	if strings.TrimSpace(name) == "" {
		return invalid("name", "is required")
	}
	params, err := o.bundle("parameters")
	if err != nil {
		return err
	}
	if err := checkKeyParams(typeName, params); err != nil {
		return err
	}
	c, err := a.svc.CreateConnection(r.Context(), name, typeName, params)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": a.viewKey(c)})
	return nil
}

func checkKeyParams(typeName string, params map[string]any) error {
	for _, p := range keyParams[typeName] {
		if p["required"] == true {
			if v, ok := params[p["name"].(string)]; !ok || v == nil || v == "" {
				return invalid("parameters."+p["name"].(string), "is required for a %s key", typeName)
			}
		}
	}
	for k := range params {
		if !slices.ContainsFunc(keyParams[typeName], func(p map[string]any) bool { return p["name"] == k }) {
			return invalid("parameters."+k, "is not a parameter of a %s key", typeName)
		}
	}
	return nil
}

func (a *api) updateKey(w http.ResponseWriter, r *http.Request) error {
	c, err := a.connection(r, "keyId", true)
	if err != nil {
		return err
	}
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	if err := o.only("name", "parameters"); err != nil {
		return err
	}
	var name *string
	if o.has("name") {
		var s string
		if err := o.get("name", &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			return invalid("name", "is empty")
		}
		name = &s
	}
	params, err := o.bundle("parameters")
	if err != nil {
		return err
	}
	if params != nil {
		if err := checkKeyParams(keyTypes[c.Type], params); err != nil {
			return err
		}
	}
	if c, err = a.svc.UpdateConnection(r.Context(), c.ID, name, params); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": a.viewKey(c)})
	return nil
}

func (a *api) deleteKey(w http.ResponseWriter, r *http.Request) error {
	return a.deleteCredential(w, r, "keyId", true)
}
