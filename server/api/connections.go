package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/weftworks/weft/service"
)

// connectionError maps the connection service's own errors (nil for any other).
func connectionError(err error) *Error {
	var inUse *service.ConnectionInUseError
	switch {
	case errors.As(err, &inUse):
		return conflict(map[string]any{"incompleteExecutions": inUse.Incomplete, "total": len(inUse.Incomplete)}, "%s", err.Error())
	case errors.Is(err, service.ErrNoSecrets):
		// The server's configuration, not the request, is at fault; say so plainly.
		return &Error{Status: http.StatusInternalServerError, Code: codeInternal,
			Message: "this server has no secret keys configured, so it cannot store credentials or webhook secrets"}
	}
	return nil
}

// checkConnectionFields repeats the service's checks so that a 400 names the field.
func checkConnectionFields(name, typ *string) error {
	if name != nil {
		switch n := strings.TrimSpace(*name); {
		case n == "":
			return invalid("name", "a connection needs a name")
		case len(n) > 200:
			return invalid("name", "%d characters: at most 200", len(n))
		}
	}
	if typ != nil {
		switch t := strings.TrimSpace(*typ); {
		case t == "":
			return invalid("type", "a connection needs a type (for example apikey or basic)")
		case len(t) > 100:
			return invalid("type", "%d characters: at most 100", len(t))
		}
	}
	return nil
}

func (a *api) listConnections(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := paging(r)
	if err != nil {
		return err
	}
	after := int64(0)
	if cursor != "" {
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return invalid("cursor", "is not a cursor this API returned")
		}
	}
	cs, err := a.svc.Connections(r.Context())
	if err != nil {
		return err
	}
	var items []Connection
	next := ""
	for _, c := range cs {
		if c.ID <= after {
			continue
		}
		if len(items) == limit {
			next = strconv.FormatInt(items[len(items)-1].ID, 10)
			break
		}
		items = append(items, viewConnection(c))
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

type connectionBody struct {
	Name *string        `json:"name"`
	Type *string        `json:"type"`
	Data map[string]any `json:"data"`
}

func (a *api) createConnection(w http.ResponseWriter, r *http.Request) error {
	var b connectionBody
	if err := decode(r, &b); err != nil {
		return err
	}
	switch {
	case b.Name == nil:
		return invalid("name", "is required")
	case b.Type == nil:
		return invalid("type", "is required")
	case b.Data == nil:
		return invalid("data", "is required: the credentials as a JSON object")
	}
	if err := checkConnectionFields(b.Name, b.Type); err != nil {
		return err
	}
	c, err := a.svc.CreateConnection(r.Context(), *b.Name, *b.Type, b.Data)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/connections/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, http.StatusCreated, viewConnection(c))
	return nil
}

func (a *api) getConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	c, err := a.st.GetConnection(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewConnection(c))
	return nil
}

func (a *api) updateConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	var b connectionBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.Type != nil {
		return invalid("type", "cannot change; create a new connection of the other type")
	}
	if err := checkConnectionFields(b.Name, nil); err != nil {
		return err
	}
	c, err := a.svc.UpdateConnection(r.Context(), id, b.Name, b.Data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewConnection(c))
	return nil
}

func (a *api) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := int64Path(r, "id")
	if err != nil {
		return err
	}
	force, err := boolQuery(r, "force")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteConnection(r.Context(), id, force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
