package api

import (
	"net/http"

	"github.com/weftworks/weft/internal/buildinfo"
)

// version answers which weft this server is (`weft version` shows it beside its own).
func (a *api) version(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, buildinfo.Read())
	return nil
}
