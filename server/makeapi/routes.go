package makeapi

import (
	"net/http"
	"slices"

	"github.com/weftworks/weft/auth"
)

// scopeAnyToken: the route needs a valid token, whatever its scopes (Make's users/me,
// organizations and teams: who you are and where).
const scopeAnyToken = "*"

// route is one endpoint: method, path under Prefix (ServeMux syntax), the weft scope a
// token needs ("" for none) — the one that guards the same data in /api/v1 — the Make
// scope Make's documentation names for it, and the handler. The OpenAPI test checks
// this table against the document both ways; the authorization test walks it.
type route struct {
	Method    string
	Path      string
	Scope     string
	MakeScope string
	Handle    func(a *api, w http.ResponseWriter, r *http.Request) error
}

var routes = []route{
	{"GET", "/openapi.json", "", "", (*api).serveOpenAPI},

	{"GET", "/users/me", scopeAnyToken, "user:read", (*api).usersMe},
	{"GET", "/users/me/current-authorization", scopeAnyToken, "user:read", (*api).currentAuthorization},
	{"GET", "/organizations", scopeAnyToken, "organizations:read", (*api).listOrganizations},
	{"GET", "/organizations/{organizationId}", scopeAnyToken, "organizations:read", (*api).getOrganization},
	{"GET", "/teams", scopeAnyToken, "teams:read", (*api).listTeams},
	{"GET", "/teams/{teamId}", scopeAnyToken, "teams:read", (*api).getTeam},

	{"GET", "/scenarios", auth.ScenariosRead, "scenarios:read", (*api).listScenarios},
	{"POST", "/scenarios", auth.ScenariosWrite, "scenarios:write", (*api).createScenario},
	{"GET", "/scenarios/{scenarioId}", auth.ScenariosRead, "scenarios:read", (*api).getScenario},
	{"PATCH", "/scenarios/{scenarioId}", auth.ScenariosWrite, "scenarios:write", (*api).updateScenario},
	{"DELETE", "/scenarios/{scenarioId}", auth.ScenariosWrite, "scenarios:write", (*api).deleteScenario},
	{"POST", "/scenarios/{scenarioId}/start", auth.ScenariosWrite, "scenarios:write", (*api).startScenario},
	{"POST", "/scenarios/{scenarioId}/stop", auth.ScenariosWrite, "scenarios:write", (*api).stopScenario},
	{"POST", "/scenarios/{scenarioId}/run", auth.ScenariosWrite, "scenarios:run", (*api).runScenario},
	{"GET", "/scenarios/{scenarioId}/interface", auth.ScenariosRead, "scenarios:read", (*api).getInterface},
	{"PATCH", "/scenarios/{scenarioId}/interface", auth.ScenariosWrite, "scenarios:write", (*api).setInterface},
	{"GET", "/scenarios/{scenarioId}/blueprint", auth.ScenariosRead, "scenarios:read", (*api).getBlueprint},
	{"GET", "/scenarios/{scenarioId}/blueprints", auth.ScenariosRead, "scenarios:read", (*api).listBlueprints},
	{"GET", "/scenarios/{scenarioId}/logs", auth.ExecutionsRead, "scenarios:read", (*api).listLogs},
	{"GET", "/scenarios/{scenarioId}/logs/{executionId}", auth.ExecutionsRead, "scenarios:read", (*api).getLog},
	{"GET", "/scenarios/{scenarioId}/executions/{executionId}", auth.ExecutionsRead, "scenarios:read", (*api).getExecutionDetail},

	{"GET", "/dlqs", auth.IncompleteRead, "dlqs:read", (*api).listDLQs},
	{"DELETE", "/dlqs", auth.IncompleteWrite, "dlqs:write", (*api).deleteDLQs},
	{"POST", "/dlqs/retry", auth.IncompleteWrite, "dlqs:write", (*api).retryDLQs},
	{"GET", "/dlqs/{dlqId}", auth.IncompleteRead, "dlqs:read", (*api).getDLQ},
	{"PATCH", "/dlqs/{dlqId}", auth.IncompleteWrite, "dlqs:write", (*api).updateDLQ},
	{"POST", "/dlqs/{dlqId}/retry", auth.IncompleteWrite, "dlqs:write", (*api).retryDLQ},
	{"GET", "/dlqs/{dlqId}/blueprint", auth.IncompleteRead, "dlqs:read", (*api).dlqBlueprint},
	{"GET", "/dlqs/{dlqId}/bundle", auth.IncompleteRead, "dlqs:read", (*api).dlqBundle},
	{"GET", "/dlqs/{dlqId}/logs", auth.IncompleteRead, "dlqs:read", (*api).dlqLogs},
	{"GET", "/dlqs/{dlqId}/logs/{executionId}", auth.IncompleteRead, "dlqs:read", (*api).dlqLog},

	{"GET", "/hooks", auth.WebhooksRead, "hooks:read", (*api).listHooks},
	{"POST", "/hooks", auth.WebhooksWrite, "hooks:write", (*api).createHook},
	{"GET", "/hooks/{hookId}", auth.WebhooksRead, "hooks:read", (*api).getHook},
	{"DELETE", "/hooks/{hookId}", auth.WebhooksWrite, "hooks:write", (*api).deleteHook},
	{"GET", "/hooks/{hookId}/ping", auth.WebhooksRead, "hooks:read", (*api).pingHook},
	{"POST", "/hooks/{hookId}/set-data", auth.WebhooksWrite, "hooks:write", (*api).setHookData},
	{"POST", "/hooks/{hookId}/enable", auth.WebhooksWrite, "hooks:write", (*api).enableHook},
	{"POST", "/hooks/{hookId}/disable", auth.WebhooksWrite, "hooks:write", (*api).disableHook},
	{"GET", "/hooks/{hookId}/incomings", auth.WebhooksRead, "hooks:read", (*api).listIncomings},
	{"DELETE", "/hooks/{hookId}/incomings", auth.WebhooksWrite, "hooks:write", (*api).deleteIncomings},
	{"GET", "/hooks/{hookId}/incomings/{incomingId}", auth.WebhooksRead, "hooks:read", (*api).getIncoming},

	{"GET", "/data-stores", auth.DataStoresRead, "datastores:read", (*api).listDataStores},
	{"GET", "/data-stores/{dataStoreId}", auth.DataStoresRead, "datastores:read", (*api).getDataStore},
	{"GET", "/data-stores/{dataStoreId}/data", auth.DataStoresRead, "datastores:read", (*api).listRecords},
	{"POST", "/data-stores/{dataStoreId}/data", auth.DataStoresWrite, "datastores:write", (*api).createRecord},
	{"DELETE", "/data-stores/{dataStoreId}/data", auth.DataStoresWrite, "datastores:write", (*api).deleteRecords},
	{"PATCH", "/data-stores/{dataStoreId}/data/{key}", auth.DataStoresWrite, "datastores:write", (*api).updateRecord},
	{"PUT", "/data-stores/{dataStoreId}/data/{key}", auth.DataStoresWrite, "datastores:write", (*api).replaceRecord},

	{"GET", "/connections", auth.ConnectionsRead, "connections:read", (*api).listConnections},
	{"POST", "/connections", auth.ConnectionsWrite, "connections:write", (*api).createConnection},
	{"GET", "/connections/{connectionId}", auth.ConnectionsRead, "connections:read", (*api).getConnection},
	{"PATCH", "/connections/{connectionId}", auth.ConnectionsWrite, "connections:write", (*api).renameConnection},
	{"DELETE", "/connections/{connectionId}", auth.ConnectionsWrite, "connections:write", (*api).deleteConnection},
	{"POST", "/connections/{connectionId}/set-data", auth.ConnectionsWrite, "connections:write", (*api).setConnectionData},
	{"POST", "/connections/{connectionId}/test", auth.ConnectionsRead, "connections:write", (*api).testConnection},

	{"GET", "/keys", auth.ConnectionsRead, "keys:read", (*api).listKeys},
	{"POST", "/keys", auth.ConnectionsWrite, "keys:write", (*api).createKey},
	{"GET", "/keys/types", auth.ConnectionsRead, "keys:read", (*api).keyTypes},
	{"GET", "/keys/{keyId}", auth.ConnectionsRead, "keys:read", (*api).getKey},
	{"PATCH", "/keys/{keyId}", auth.ConnectionsWrite, "keys:write", (*api).updateKey},
	{"DELETE", "/keys/{keyId}", auth.ConnectionsWrite, "keys:write", (*api).deleteKey},
}

func (a *api) serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(a.doc)
	return nil
}

// makeScopes maps each weft scope to the Make scopes it stands for: what
// current-authorization reports and docs/api.md tabulates.
var makeScopes = map[string][]string{
	auth.ScenariosRead:    {"scenarios:read"},
	auth.ScenariosWrite:   {"scenarios:write", "scenarios:run"},
	auth.ExecutionsRead:   {"scenarios:read"},
	auth.IncompleteRead:   {"dlqs:read"},
	auth.IncompleteWrite:  {"dlqs:write"},
	auth.ConnectionsRead:  {"connections:read", "keys:read"},
	auth.ConnectionsWrite: {"connections:write", "keys:write"},
	auth.DataStoresRead:   {"datastores:read"},
	auth.DataStoresWrite:  {"datastores:write"},
	auth.WebhooksRead:     {"hooks:read"},
	auth.WebhooksWrite:    {"hooks:write"},
}

// alwaysMakeScopes are what every token holds in Make's terms (who it is, where).
var alwaysMakeScopes = []string{"organizations:read", "teams:read", "user:read"}

// makeScopeOf names the Make scope of a weft scope (for refusals).
func makeScopeOf(scope string) string {
	if s := makeScopes[scope]; len(s) > 0 {
		return s[0]
	}
	return scope
}

// makeScopesOf lists the Make scopes a token's weft scopes grant, sorted.
func makeScopesOf(scopes []string) []string {
	out := slices.Clone(alwaysMakeScopes)
	for _, s := range scopes {
		list := makeScopes[s]
		if s == auth.Admin {
			list = nil
			for _, l := range makeScopes {
				list = append(list, l...)
			}
		}
		for _, m := range list {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Endpoint describes one route of the API.
type Endpoint struct {
	Method string
	// Path is under Prefix, with {name} parameters ("/scenarios/{scenarioId}").
	Path string
	// Scope is the weft scope a token needs: "" for none, "*" for any valid token.
	Scope string
	// MakeScope is the scope Make's documentation names for the endpoint.
	MakeScope string
}

// Endpoints lists every route (for documentation and tests).
func Endpoints() []Endpoint {
	out := make([]Endpoint, len(routes))
	for i, r := range routes {
		out[i] = Endpoint{Method: r.Method, Path: r.Path, Scope: r.Scope, MakeScope: r.MakeScope}
	}
	return out
}
