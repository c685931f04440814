package api

import (
	"net/http"

	"github.com/weftworks/weft/auth"
)

// route is one endpoint: method, path under Prefix (ServeMux syntax), the scope a token
// needs ("" for none) and the handler. The OpenAPI test checks this table against the
// document both ways.
type route struct {
	Method string
	Path   string
	Scope  string
	Handle func(a *api, w http.ResponseWriter, r *http.Request) error
}

var routes = []route{
	{"GET", "/openapi.json", "", (*api).serveOpenAPI},
	{"GET", "/version", "", (*api).version},
	{"POST", "/runs", auth.ScenariosWrite, (*api).runBlueprint},
	{"GET", "/jobs/{id}", auth.IncompleteRead, (*api).getJob},
	{"GET", "/tokens", auth.Admin, (*api).listTokens},
	{"POST", "/tokens", auth.Admin, (*api).createToken},
	{"DELETE", "/tokens/{id}", auth.Admin, (*api).revokeToken},
	{"GET", "/audit", auth.Admin, (*api).listAudit},

	{"GET", "/scenarios", auth.ScenariosRead, (*api).listScenarios},
	{"POST", "/scenarios", auth.ScenariosWrite, (*api).createScenario},
	{"GET", "/scenarios/{id}", auth.ScenariosRead, (*api).getScenario},
	{"PUT", "/scenarios/{id}", auth.ScenariosWrite, (*api).updateScenario},
	{"DELETE", "/scenarios/{id}", auth.ScenariosWrite, (*api).deleteScenario},
	{"GET", "/scenarios/{id}/blueprint", auth.ScenariosRead, (*api).exportScenario},
	{"GET", "/scenarios/{id}/versions", auth.ScenariosRead, (*api).listVersions},
	{"GET", "/scenarios/{id}/versions/{version}/blueprint", auth.ScenariosRead, (*api).versionBlueprint},
	{"POST", "/scenarios/{id}/activate", auth.ScenariosWrite, (*api).activate},
	{"POST", "/scenarios/{id}/deactivate", auth.ScenariosWrite, (*api).deactivate},
	{"POST", "/scenarios/{id}/run", auth.ScenariosWrite, (*api).runScenario},
	{"POST", "/scenarios/{id}/clone", auth.ScenariosWrite, (*api).cloneScenario},
	{"GET", "/scenarios/{id}/schedule", auth.ScenariosRead, (*api).getSchedule},
	{"PUT", "/scenarios/{id}/schedule", auth.ScenariosWrite, (*api).putSchedule},
	{"GET", "/scenarios/{id}/trigger", auth.ScenariosRead, (*api).getTrigger},
	{"PUT", "/scenarios/{id}/trigger/start", auth.ScenariosWrite, (*api).startTrigger},

	{"GET", "/executions", auth.ExecutionsRead, (*api).listExecutions},
	{"GET", "/executions/{id}", auth.ExecutionsRead, (*api).getExecution},
	{"GET", "/executions/{id}/log", auth.ExecutionsRead, (*api).executionLog},

	{"GET", "/incomplete-executions", auth.IncompleteRead, (*api).listIncomplete},
	{"POST", "/incomplete-executions/retry", auth.IncompleteWrite, (*api).bulkRetry},
	{"POST", "/incomplete-executions/delete", auth.IncompleteWrite, (*api).bulkDelete},
	{"GET", "/incomplete-executions/{id}", auth.IncompleteRead, (*api).getIncomplete},
	{"DELETE", "/incomplete-executions/{id}", auth.IncompleteWrite, (*api).deleteIncomplete},
	{"GET", "/incomplete-executions/{id}/blueprint", auth.IncompleteRead, (*api).incompleteBlueprint},
	{"PUT", "/incomplete-executions/{id}/blueprint", auth.IncompleteWrite, (*api).replaceIncompleteBlueprint},
	{"GET", "/incomplete-executions/{id}/bundle", auth.IncompleteRead, (*api).incompleteBundle},
	{"GET", "/incomplete-executions/{id}/attempts", auth.IncompleteRead, (*api).incompleteAttempts},
	{"POST", "/incomplete-executions/{id}/retry", auth.IncompleteWrite, (*api).retryIncomplete},
	{"POST", "/incomplete-executions/{id}/resolve", auth.IncompleteWrite, (*api).resolveIncomplete},
	{"POST", "/incomplete-executions/{id}/check", auth.IncompleteWrite, (*api).checkIncomplete},
	{"POST", "/incomplete-executions/{id}/mark-done", auth.IncompleteWrite, (*api).markDone},
	{"POST", "/incomplete-executions/{id}/preview", auth.IncompleteRead, (*api).previewIncomplete},
	{"GET", "/breakers", auth.IncompleteRead, (*api).listBreakers},
	{"POST", "/breakers/{key}/reset", auth.IncompleteWrite, (*api).resetBreaker},

	{"GET", "/connections", auth.ConnectionsRead, (*api).listConnections},
	{"POST", "/connections", auth.ConnectionsWrite, (*api).createConnection},
	{"GET", "/connections/{id}", auth.ConnectionsRead, (*api).getConnection},
	{"PATCH", "/connections/{id}", auth.ConnectionsWrite, (*api).updateConnection},
	{"DELETE", "/connections/{id}", auth.ConnectionsWrite, (*api).deleteConnection},
	{"POST", "/connections/{id}/authorize", auth.ConnectionsWrite, (*api).authorizeConnection},
	{"GET", "/connections/{id}/oauth", auth.ConnectionsRead, (*api).connectionOAuth},
	{"GET", "/connections/{id}/authorizations/{state}", auth.ConnectionsRead, (*api).authorizationState},
	{"POST", "/connections/{id}/retry-blocked", auth.IncompleteWrite, (*api).retryBlocked},
	{"GET", "/oauth-clients", auth.ConnectionsRead, (*api).listOAuthClients},
	{"PUT", "/oauth-clients/{provider}", auth.Admin, (*api).putOAuthClient},
	{"DELETE", "/oauth-clients/{provider}", auth.Admin, (*api).deleteOAuthClient},

	{"GET", "/datastores/{store}/records", auth.DataStoresRead, (*api).listRecords},
	{"GET", "/datastores/{store}/records/{key}", auth.DataStoresRead, (*api).getRecord},
	{"PUT", "/datastores/{store}/records/{key}", auth.DataStoresWrite, (*api).putRecord},
	{"DELETE", "/datastores/{store}/records/{key}", auth.DataStoresWrite, (*api).deleteRecord},

	{"GET", "/hooks", auth.WebhooksRead, (*api).listHooks},
	{"GET", "/scenarios/{id}/hook", auth.WebhooksRead, (*api).getHook},
	{"POST", "/scenarios/{id}/hook/rotate", auth.WebhooksWrite, (*api).rotateHook},
	{"PUT", "/scenarios/{id}/hook/secret", auth.WebhooksWrite, (*api).setHookSecret},
	{"DELETE", "/scenarios/{id}/hook/secret", auth.WebhooksWrite, (*api).clearHookSecret},

	{"GET", "/scenarios/{id}/queue", auth.WebhooksRead, (*api).listQueue},
	{"POST", "/scenarios/{id}/queue", auth.WebhooksWrite, (*api).enqueue},
	{"POST", "/scenarios/{id}/queue/retry", auth.WebhooksWrite, (*api).bulkRetryQueued},
	{"POST", "/scenarios/{id}/queue/delete", auth.WebhooksWrite, (*api).bulkDeleteQueued},
	{"GET", "/scenarios/{id}/queue/{item}", auth.WebhooksRead, (*api).getQueued},
	{"DELETE", "/scenarios/{id}/queue/{item}", auth.WebhooksWrite, (*api).deleteQueued},
	{"POST", "/scenarios/{id}/queue/{item}/retry", auth.WebhooksWrite, (*api).retryQueued},
	{"GET", "/queue", auth.WebhooksRead, (*api).listAllQueued},
	{"POST", "/queue/retry", auth.WebhooksWrite, (*api).retryAnyQueued},
	{"POST", "/queue/delete", auth.WebhooksWrite, (*api).deleteAnyQueued},
	{"GET", "/queue/{item}", auth.WebhooksRead, (*api).getAnyQueued},
}

func (a *api) serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	writeRaw(w, http.StatusOK, a.doc)
	return nil
}

// Endpoint describes one route of the API.
type Endpoint struct {
	Method string
	// Path is under Prefix, with {name} parameters ("/scenarios/{id}").
	Path string
	// Scope is what a token needs; "" for none.
	Scope string
}

// Endpoints lists every route (for documentation and tests).
func Endpoints() []Endpoint {
	out := make([]Endpoint, len(routes))
	for i, r := range routes {
		out[i] = Endpoint{Method: r.Method, Path: r.Path, Scope: r.Scope}
	}
	return out
}
