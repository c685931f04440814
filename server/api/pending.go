package api

import "net/http"

// TODO: connections and hook secrets wait for service/connections.go and the keyring.
func (a *api) listConnections(w http.ResponseWriter, r *http.Request) error  { return errNotYet }
func (a *api) createConnection(w http.ResponseWriter, r *http.Request) error { return errNotYet }
func (a *api) getConnection(w http.ResponseWriter, r *http.Request) error    { return errNotYet }
func (a *api) updateConnection(w http.ResponseWriter, r *http.Request) error { return errNotYet }
func (a *api) deleteConnection(w http.ResponseWriter, r *http.Request) error { return errNotYet }
func (a *api) setHookSecret(w http.ResponseWriter, r *http.Request) error    { return errNotYet }
func (a *api) clearHookSecret(w http.ResponseWriter, r *http.Request) error  { return errNotYet }
func connectionError(err error) *Error                                       { return nil }

var errNotYet = &Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: "not yet"}
