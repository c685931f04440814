package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/weftworks/weft/auth"
)

// The OpenAPI 3.1 document is built from this table of operations, written apart from
// the route table on purpose: the drift test compares the two both ways.

type param struct {
	name, desc string
	schema     obj
}

type operation struct {
	method, path string
	tag, summary string
	desc         string
	query        []param
	// body names the request body's schema ("" for none); bodyRaw marks bodies that
	// are not closed objects (blueprints, bundles).
	body         string
	bodyOptional bool
	// status and response: the success answer (response "" for no content); raw
	// responses are stored JSON returned byte for byte.
	status   int
	response string
	errs     []int
}

var pageParams = []param{
	{"limit", "page size (default 50)", obj{"type": "integer", "minimum": 1, "maximum": maxLimit}},
	{"cursor", "nextCursor of the previous page", obj{"type": "string"}},
}

var operations = []operation{
	{method: "GET", path: "/openapi.json", tag: "meta", summary: "This document (no token needed)", status: 200, response: "*"},
	{method: "GET", path: "/version", tag: "meta", summary: "Which weft this server is: module version and VCS revision (no token needed)",
		status: 200, response: "BuildInfo"},
	{method: "POST", path: "/runs", tag: "scenarios", summary: "Run a blueprint once (`weft run FILE`)",
		desc: "The scenario stored from the same source is reused — the blueprint becomes its new version when it changed — or created (inactive); then it runs once with input as the trigger bundle and the answer comes when the run is recorded. source is required (file:PATH for a file); api and clone:… name scenarios made otherwise.",
		body: "RunRequest", status: 200, response: "RunResult", errs: []int{400, 409, 413, 422}},
	{method: "GET", path: "/jobs/{id}", tag: "incomplete executions", summary: "Where a bulk retry or delete stands",
		desc:   "Poll it until status is not running; counts are by outcome. Jobs live in the server process that accepted them, 15 minutes after they end.",
		status: 200, response: "Job", errs: []int{404}},
	{method: "GET", path: "/tokens", tag: "meta", summary: "List API tokens, revoked ones included (never a token's secret)",
		status: 200, response: "TokenPage"},
	{method: "POST", path: "/tokens", tag: "meta", summary: "Create an API token; the answer shows it this once",
		body: "TokenCreate", status: 201, response: "TokenCreated", errs: []int{400, 413}},
	{method: "DELETE", path: "/tokens/{id}", tag: "meta", summary: "Revoke a token (it stops working at once)",
		status: 200, response: "Token", errs: []int{404}},
	{method: "GET", path: "/audit", tag: "meta", summary: "The audit log: who changed what, newest first",
		desc:  "Every change made through the web UI or the API (by a person's account or a token). docs/security.md, \"Audit log\".",
		query: pageParams, status: 200, response: "AuditPage", errs: []int{400}},

	{method: "GET", path: "/scenarios", tag: "scenarios", summary: "List scenarios, by id",
		query:  append([]param{{"active", "only active (true) or inactive (false) ones", obj{"type": "boolean"}}}, pageParams...),
		status: 200, response: "ScenarioPage", errs: []int{400}},
	{method: "POST", path: "/scenarios", tag: "scenarios", summary: "Create a scenario from a blueprint",
		desc:  "The body is a blueprint exported from Make. The scenario is inactive, version 1. A gateway:CustomWebHook trigger gets a webhook address (hookUrl).",
		query: []param{{"source", "where the blueprint came from (default api; `weft scenarios create FILE` sends file:PATH)", obj{"type": "string"}}},
		body:  "Blueprint", status: 201, response: "Scenario", errs: []int{400, 413, 422}},
	{method: "GET", path: "/scenarios/{id}", tag: "scenarios", summary: "Get a scenario", status: 200, response: "Scenario", errs: []int{400, 404}},
	{method: "PUT", path: "/scenarios/{id}", tag: "scenarios", summary: "Store a new blueprint version and make it current",
		body: "Blueprint", status: 200, response: "Scenario", errs: []int{400, 404, 413, 422}},
	{method: "DELETE", path: "/scenarios/{id}", tag: "scenarios", summary: "Delete a scenario with its executions, incomplete executions and webhook",
		desc:   "Refused (409, details.incompleteExecutions) while incomplete executions are not resolved, unless force=true.",
		query:  []param{{"force", "delete even with unresolved incomplete executions", obj{"type": "boolean"}}},
		status: 204, errs: []int{400, 404, 409}},
	{method: "GET", path: "/scenarios/{id}/blueprint", tag: "scenarios", summary: "Export the current blueprint, exactly as stored",
		status: 200, response: "Blueprint", errs: []int{400, 404}},
	{method: "GET", path: "/scenarios/{id}/versions", tag: "scenarios", summary: "List blueprint versions, oldest first",
		query: pageParams, status: 200, response: "VersionPage", errs: []int{400, 404}},
	{method: "GET", path: "/scenarios/{id}/versions/{version}/blueprint", tag: "scenarios", summary: "Export one blueprint version",
		status: 200, response: "Blueprint", errs: []int{400, 404}},
	{method: "POST", path: "/scenarios/{id}/activate", tag: "scenarios", summary: "Activate a scenario",
		desc:   "Clears why weft deactivated or paused it. Refused (409, details.problems and details.unsupported) while its blueprint cannot run, or (409) when an instant app trigger needs weft's public address (--base-url). A polling trigger without a chosen start starts from now on; an instant app trigger registers its hook with its service: 502 when the service refuses (docs/triggers.md).",
		status: 200, response: "Scenario", errs: []int{400, 404, 409, 502}},
	{method: "POST", path: "/scenarios/{id}/deactivate", tag: "scenarios", summary: "Deactivate a scenario",
		status: 200, response: "Scenario", errs: []int{400, 404}},
	{method: "POST", path: "/scenarios/{id}/run", tag: "scenarios", summary: "Run the scenario once now with a trigger bundle",
		desc: "Runs the current version (active or not) and answers when the run has ended and is recorded. 409 when the scenario cannot run or processes sequentially and has incomplete executions to resolve.",
		body: "Bundle", bodyOptional: true, status: 200, response: "RunResult", errs: []int{400, 404, 409, 413}},
	{method: "POST", path: "/scenarios/{id}/clone", tag: "scenarios", summary: "Copy a scenario's current blueprint into a new inactive scenario",
		body: "CloneRequest", bodyOptional: true, status: 201, response: "Scenario", errs: []int{400, 404}},
	{method: "GET", path: "/scenarios/{id}/schedule", tag: "scenarios", summary: "Get a scenario's schedule",
		status: 200, response: "ScheduleState", errs: []int{400, 404}},
	{method: "PUT", path: "/scenarios/{id}/schedule", tag: "scenarios", summary: "Set a scenario's schedule",
		desc: "interval (minutes), cron (five fields, timezone) or once (at); type \"\" runs on demand only. nextRunAt is set while the scenario is active.",
		body: "Schedule", status: 200, response: "ScheduleState", errs: []int{400, 404}},
	{method: "GET", path: "/scenarios/{id}/trigger", tag: "scenarios", summary: "Where the scenario's polling trigger stands",
		desc:   "The position after the items committed runs consumed (the trigger's own JSON), and the start a person chose when no run moved it since. 404 before any start was chosen or polled; 409 when the first module does not poll.",
		status: 200, response: "TriggerPosition", errs: []int{400, 404, 409}},
	{method: "PUT", path: "/scenarios/{id}/trigger/start", tag: "scenarios", summary: "Choose where the scenario's polling trigger starts",
		desc: "Make's \"Choose where to start\": now (items from now on), all, last:N (the N newest, then every new one) or a date (RFC 3339, or YYYY-MM-DD in UTC; triggers that follow dates). The trigger asks its service where that is: 502 when the service refuses or cannot be reached. A run in flight keeps its position to itself; the next run starts here.",
		body: "TriggerStart", status: 200, response: "TriggerPosition", errs: []int{400, 404, 409, 413, 502}},

	{method: "GET", path: "/executions", tag: "executions", summary: "List executions, newest first",
		query: append([]param{
			{"scenario", "only this scenario", obj{"type": "integer"}},
			{"status", "running, success, warning or error", enum("", "running", "success", "warning", "error")},
			{"kind", "run or retry", enum("", "run", "retry")},
			{"parent", "only the sub-scenario runs this execution called", obj{"type": "string"}},
		}, pageParams...), status: 200, response: "ExecutionPage", errs: []int{400}},
	{method: "GET", path: "/executions/{id}", tag: "executions", summary: "Get an execution", status: 200, response: "ExecutionDetail", errs: []int{400, 404}},
	{method: "GET", path: "/executions/{id}/log", tag: "executions", summary: "Get an execution's log (one entry per module per bundle)",
		status: 200, response: "ExecutionLog", errs: []int{400, 404}},

	{method: "GET", path: "/incomplete-executions", tag: "incomplete executions", summary: "List incomplete executions, oldest first",
		query: append([]param{
			{"scenario", "only this scenario", obj{"type": "integer"}},
			{"status", "unresolved, pending, in_progress, resolved; several comma-separated", obj{"type": "string"}},
			{"errorType", "only this error type", enum("", errorTypes...)},
			{"module", "only those that failed at this module id", obj{"type": "integer"}},
			{"execution", "only those this execution (a run or an attempt) stored; an id or a unique prefix", obj{"type": "string"}},
		}, pageParams...), status: 200, response: "IncompletePage", errs: []int{400, 404}},
	{method: "POST", path: "/incomplete-executions/retry", tag: "incomplete executions", summary: "Retry many incomplete executions: a job (202)",
		desc: "They are queued for a retry now before the answer (the worker runs them, at most 3 of a scenario at once); the job (Location: /jobs/{id}) follows them to their outcomes. Ids may be unique prefixes; an unknown id is a 404 and nothing is queued.",
		body: "Selection", status: 202, response: "Job", errs: []int{400, 404, 413}},
	{method: "POST", path: "/incomplete-executions/delete", tag: "incomplete executions", summary: "Delete many incomplete executions: a job (202)",
		desc: "All of a scenario's needs confirmed: true. The selection is checked before the answer (an unknown id is a 404 and nothing is deleted); the job (Location: /jobs/{id}) deletes them a chunk at a time.",
		body: "Selection", status: 202, response: "Job", errs: []int{400, 404, 413}},
	{method: "GET", path: "/incomplete-executions/{id}", tag: "incomplete executions", summary: "Get an incomplete execution",
		status: 200, response: "Incomplete", errs: []int{404}},
	{method: "DELETE", path: "/incomplete-executions/{id}", tag: "incomplete executions", summary: "Delete an incomplete execution",
		status: 204, errs: []int{404, 409}},
	{method: "GET", path: "/incomplete-executions/{id}/blueprint", tag: "incomplete executions", summary: "Get the incomplete execution's own blueprint",
		status: 200, response: "Blueprint", errs: []int{404}},
	{method: "PUT", path: "/incomplete-executions/{id}/blueprint", tag: "incomplete executions", summary: "Replace the incomplete execution's blueprint before retrying it",
		desc: "It must validate and keep the failing module; it is used from the next attempt on.",
		body: "Blueprint", status: 200, response: "Incomplete", errs: []int{400, 404, 409, 413, 422}},
	{method: "GET", path: "/incomplete-executions/{id}/bundle", tag: "incomplete executions", summary: "The stored input of the failing module and the outputs upstream",
		status: 200, response: "IncompleteBundle", errs: []int{404}},
	{method: "GET", path: "/incomplete-executions/{id}/attempts", tag: "incomplete executions", summary: "List the retry attempts",
		status: 200, response: "AttemptPage", errs: []int{404}},
	{method: "POST", path: "/incomplete-executions/{id}/retry", tag: "incomplete executions", summary: "Retry one incomplete execution now and wait for the outcome",
		desc: "Without a body it continues from the failing module; {\"from\": MODULE_ID} from an earlier module of its path, {\"from\": \"trigger\"} from the trigger's bundle (400 naming why when it cannot start there).",
		body: "RetryRequest", status: 200, response: "RetryResult", errs: []int{400, 404, 409}},
	{method: "POST", path: "/incomplete-executions/{id}/resolve", tag: "incomplete executions", summary: "Edit the incomplete execution's blueprint and retry it now (`weft incomplete resolve`)",
		desc: "edits change one field each (moduleId, part mapper or parameters, path dotted for nested collections, value any JSON); blueprint replaces the whole blueprint first. Only what runs again may change (422 otherwise); the answer is the retry's.",
		body: "ResolveRequest", status: 200, response: "RetryResult", errs: []int{400, 404, 409, 413, 422}},
	{method: "POST", path: "/incomplete-executions/{id}/check", tag: "incomplete executions", summary: "Read back whether the failing call took effect (outcome unknown)",
		desc: "Runs the failing module's read-back call (the HTTP app: a GET of url with the call's headers and authentication). done: true with the read-back's output when it found the write, false on 404/410. Nothing is recorded. 409 when the module has no read-back call, 502 when the read-back cannot tell.",
		body: "CheckRequest", status: 200, response: "CheckResult", errs: []int{400, 404, 409, 413, 502}},
	{method: "POST", path: "/incomplete-executions/{id}/mark-done", tag: "incomplete executions", summary: "Mark the failing call done with a given output and continue downstream",
		desc: "The failing module does not run again; output stands in for its answer and the run continues after it (a manual attempt).",
		body: "MarkDone", status: 200, response: "RetryResult", errs: []int{400, 404, 409, 413}},
	{method: "POST", path: "/incomplete-executions/{id}/preview", tag: "incomplete executions", summary: "What a retry, or a resolve with edits, would do",
		desc: "Which modules run again, which keep their stored output, which may repeat a write, and which mapped values of the failing module the edits change. Nothing is stored or run; the body may be left out (a retry as stored). 422 when the edits are refused.",
		body: "PreviewRequest", status: 200, response: "Preview", errs: []int{400, 404, 413, 422}},
	{method: "GET", path: "/breakers", tag: "incomplete executions", summary: "List the open circuit breakers",
		status: 200, response: "BreakerList"},
	{method: "POST", path: "/breakers/{key}/reset", tag: "incomplete executions", summary: "Close a circuit breaker: the retries it held are due at once",
		status: 200, response: "Released", errs: []int{404}},

	{method: "GET", path: "/connections", tag: "connections", summary: "List connections (never their credentials)",
		query: pageParams, status: 200, response: "ConnectionPage", errs: []int{400}},
	{method: "POST", path: "/connections", tag: "connections", summary: "Create a connection (credentials stored encrypted)",
		body: "ConnectionCreate", status: 201, response: "Connection", errs: []int{400, 413}},
	{method: "GET", path: "/connections/{id}", tag: "connections", summary: "Get a connection", status: 200, response: "Connection", errs: []int{400, 404}},
	{method: "PATCH", path: "/connections/{id}", tag: "connections", summary: "Rename a connection or replace its credentials",
		body: "ConnectionUpdate", status: 200, response: "Connection", errs: []int{400, 404, 413}},
	{method: "DELETE", path: "/connections/{id}", tag: "connections", summary: "Delete a connection",
		desc:  "Refused (409, details.incompleteExecutions) while unresolved incomplete executions use it, unless force=true.",
		query: []param{{"force", "delete even when in use", obj{"type": "boolean"}}}, status: 204, errs: []int{400, 404, 409}},
	{method: "POST", path: "/connections/{id}/authorize", tag: "connections", summary: "Start connecting an OAuth connection",
		desc: "Returns the provider's authorizationUrl; whoever opens it and consents connects the account (the flow is not bound to a browser). " +
			"The provider sends the browser back to BASE/oauth/callback. The state expires after 10 minutes and is used once.",
		status: 201, response: "Authorization", errs: []int{400, 404, 409}},
	{method: "GET", path: "/connections/{id}/authorizations/{state}", tag: "connections", summary: "Where an authorization started with …/authorize stands",
		desc:   "pending until the person consents or refuses at the provider, then done or failed (message says why). 404 once it has expired (10 minutes) or for another connection's state.",
		status: 200, response: "AuthorizationState", errs: []int{400, 404}},
	{method: "GET", path: "/connections/{id}/oauth", tag: "connections", summary: "An OAuth connection's state (never its tokens)",
		status: 200, response: "OAuthStatus", errs: []int{400, 404}},
	{method: "POST", path: "/connections/{id}/retry-blocked", tag: "connections",
		summary: "Retry the incomplete executions that failed with an InvalidAccessTokenError using the connection",
		status:  200, response: "Queued", errs: []int{400, 404}},
	{method: "GET", path: "/oauth-clients", tag: "connections", summary: "List the OAuth clients registered per provider (never their secrets)",
		status: 200, response: "OAuthClientList"},
	{method: "PUT", path: "/oauth-clients/{provider}", tag: "connections", summary: "Register the OAuth client of a provider (secret stored encrypted)",
		body: "OAuthClientSet", status: 200, response: "OAuthClient", errs: []int{400, 413}},
	{method: "DELETE", path: "/oauth-clients/{provider}", tag: "connections", summary: "Remove a provider's OAuth client",
		status: 204, errs: []int{404}},

	{method: "GET", path: "/datastores/{store}/records", tag: "data stores", summary: "List a data store's records, by key",
		query: pageParams, status: 200, response: "RecordPage", errs: []int{400}},
	{method: "GET", path: "/datastores/{store}/records/{key}", tag: "data stores", summary: "Get a record", status: 200, response: "Record", errs: []int{404}},
	{method: "PUT", path: "/datastores/{store}/records/{key}", tag: "data stores", summary: "Add (201) or replace (200) a record",
		body: "RecordData", status: 200, response: "Record", errs: []int{400, 413}},
	{method: "DELETE", path: "/datastores/{store}/records/{key}", tag: "data stores", summary: "Delete a record", status: 204, errs: []int{404}},

	{method: "GET", path: "/hooks", tag: "webhooks", summary: "List webhooks, by scenario", query: pageParams, status: 200, response: "HookPage", errs: []int{400}},
	{method: "GET", path: "/scenarios/{id}/hook", tag: "webhooks", summary: "Get a scenario's webhook", status: 200, response: "Hook", errs: []int{400, 404}},
	{method: "POST", path: "/scenarios/{id}/hook/rotate", tag: "webhooks", summary: "Give the webhook a new address (the old one stops at once)",
		status: 200, response: "Hook", errs: []int{400, 404}},
	{method: "PUT", path: "/scenarios/{id}/hook/secret", tag: "webhooks", summary: "Set the webhook's signing secret (HMAC-SHA256 of the body)",
		body: "HookSecretRequest", bodyOptional: true, status: 200, response: "HookWithSecret", errs: []int{400, 404, 413}},
	{method: "DELETE", path: "/scenarios/{id}/hook/secret", tag: "webhooks", summary: "Stop requiring signed payloads",
		status: 200, response: "Hook", errs: []int{400, 404}},

	{method: "GET", path: "/scenarios/{id}/queue", tag: "webhooks", summary: "List the scenario's queued trigger payloads, in arrival order",
		desc:   "Make's hook incoming queue: payloads waiting for a run, being run, and dead ones — set aside because their run ended the instant scenario's run in error (they wait for a person to retry or delete them). Payloads are not listed; GET one item for its data.",
		query:  append([]param{{"status", "waiting, running, dead; several comma-separated", obj{"type": "string"}}}, pageParams...),
		status: 200, response: "QueueItemPage", errs: []int{400, 404}},
	{method: "POST", path: "/scenarios/{id}/queue", tag: "webhooks", summary: "Queue a trigger payload for the scenario (`weft enqueue`)",
		desc: "The body is the trigger bundle (any JSON; not an object: {\"value\": …}). The worker runs it in arrival order with the scenario's other payloads, once the scenario is active.",
		body: "Bundle", bodyOptional: true, status: 201, response: "QueueItem", errs: []int{400, 404, 413}},
	{method: "POST", path: "/scenarios/{id}/queue/retry", tag: "webhooks", summary: "Put dead payloads back in the queue, in their arrival place",
		desc: "They run next once the scenario is active. Waiting and running payloads are left as they are.",
		body: "QueueSelection", status: 200, response: "Queued", errs: []int{400, 404, 413}},
	{method: "POST", path: "/scenarios/{id}/queue/delete", tag: "webhooks", summary: "Delete queued payloads (all of them needs confirmed: true)",
		desc: "A payload a run consumes right now is never deleted (its run settles it); deleted answers how many went.",
		body: "QueueSelection", status: 200, response: "Deleted", errs: []int{400, 404, 413}},
	{method: "GET", path: "/scenarios/{id}/queue/{item}", tag: "webhooks", summary: "Get one queued payload with its data",
		status: 200, response: "QueueItemDetail", errs: []int{400, 404}},
	{method: "DELETE", path: "/scenarios/{id}/queue/{item}", tag: "webhooks", summary: "Delete a queued payload",
		desc: "409 while a run consumes it.", status: 204, errs: []int{400, 404, 409}},
	{method: "POST", path: "/scenarios/{id}/queue/{item}/retry", tag: "webhooks", summary: "Put a dead payload back in the queue, in its arrival place",
		desc: "409 unless it is dead.", status: 200, response: "QueueItem", errs: []int{400, 404, 409}},
	{method: "GET", path: "/queue", tag: "webhooks", summary: "List the queued trigger payloads of every scenario, in arrival order",
		query:  append([]param{{"scenario", "only this scenario", obj{"type": "integer"}}, {"status", "waiting, running, dead; several comma-separated", obj{"type": "string"}}}, pageParams...),
		status: 200, response: "QueueItemPage", errs: []int{400, 404}},
	{method: "GET", path: "/queue/{item}", tag: "webhooks", summary: "Get one queued payload with its data, whichever its scenario",
		status: 200, response: "QueueItemDetail", errs: []int{400, 404}},
	{method: "POST", path: "/queue/retry", tag: "webhooks", summary: "Put dead payloads back in their queues, by ids of any scenarios",
		desc: "Every id must exist (404 and nothing done otherwise); waiting and running ones are left as they are.",
		body: "AnyQueueSelection", status: 200, response: "Queued", errs: []int{400, 404, 413}},
	{method: "POST", path: "/queue/delete", tag: "webhooks", summary: "Delete queued payloads by ids of any scenarios",
		desc: "Every id must exist (404 and nothing done otherwise); one a run consumes right now is kept.",
		body: "AnyQueueSelection", status: 200, response: "Deleted", errs: []int{400, 404, 413}},
}

var errorResponses = map[int]string{
	400: "invalid input (error.details.field names the field), or an id prefix that starts several ids (ambiguous_id, error.details.matches)",
	401: "no token, or an unknown or revoked one",
	403: "the token lacks the scope",
	404: "no such resource",
	409: "conflicts with the resource's state (conflict), or it is being worked on right now and may succeed later (busy)",
	413: "the body is too large",
	502: "the service behind the scenario's trigger refused or could not be reached (error.code trigger_failed)",
	429: "too many failed tokens from this client lately; Retry-After says when to try again",
	422: "the blueprint is invalid; error.details.problems lists every problem with its JSON pointer",
	500: "internal error",
}

// pathParam is the schema of a path parameter: ids of scenarios and connections and
// version numbers are integers, everything else text.
func pathParam(path, name string) obj {
	switch {
	case name == "version":
		return param{name, "blueprint version", obj{"type": "integer", "minimum": 1}}.asParam("path")
	case name == "item" || name == "id" && (strings.HasPrefix(path, "/scenarios") || strings.HasPrefix(path, "/connections")):
		return param{name, "", obj{"type": "integer", "minimum": 1}}.asParam("path")
	}
	return param{name, "", obj{"type": "string"}}.asParam("path")
}

func (p param) asParam(in string) obj {
	o := obj{"name": p.name, "in": in, "schema": p.schema}
	if in == "path" {
		o["required"] = true
	}
	if p.desc != "" {
		o["description"] = p.desc
	}
	return o
}

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

// buildOpenAPI assembles the document.
func buildOpenAPI() []byte {
	paths := obj{}
	for _, op := range operations {
		item, _ := paths[op.path].(obj)
		if item == nil {
			item = obj{}
			paths[op.path] = item
		}
		var params []any
		for _, seg := range strings.Split(op.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, pathParam(op.path, strings.Trim(seg, "{}")))
			}
		}
		for _, q := range op.query {
			params = append(params, q.asParam("query"))
		}
		o := obj{"operationId": operationID(op), "tags": []string{op.tag}, "summary": op.summary}
		if op.desc != "" {
			o["description"] = op.desc
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.body != "" {
			o["requestBody"] = obj{"required": !op.bodyOptional, "content": jsonContent(ref(op.body))}
		}
		responses := obj{}
		ok := obj{"description": "success"}
		switch op.response {
		case "":
		case "*":
			ok["content"] = jsonContent(obj{"type": "object"})
		default:
			ok["content"] = jsonContent(ref(op.response))
		}
		responses[fmt.Sprint(op.status)] = ok
		if op.method == "PUT" && strings.HasSuffix(op.path, "/records/{key}") {
			responses["201"] = obj{"description": "created", "content": jsonContent(ref(op.response))}
		}
		errs := slices.Clone(op.errs)
		if takesIDPrefix(op.path) && !slices.Contains(errs, 400) {
			errs = append(errs, 400) // an ambiguous id prefix (ambiguous_id)
		}
		if scope := scopeOf(op); scope != "" {
			o["security"] = []any{obj{"bearerAuth": []string{scope}}}
			o["x-weft-scope"] = scope
			errs = append(errs, 401, 403, 429)
		} else {
			o["security"] = []any{}
		}
		errs = append(errs, 500)
		for _, code := range errs {
			responses[fmt.Sprint(code)] = obj{"description": errorResponses[code], "content": jsonContent(ref("Error"))}
		}
		o["responses"] = responses
		item[strings.ToLower(op.method)] = o
	}
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{"title": "weft API", "version": "1",
			"description": "Scenarios, executions, incomplete executions, connections, data stores and webhooks of a weft server. " +
				"Authenticate with `Authorization: Bearer weft_…` (a token from `weft tokens create`). " +
				"Errors are {\"error\": {\"code\", \"message\", \"details\"}}. Listings take ?limit= and ?cursor= and answer {\"items\", \"nextCursor\"}."},
		"servers": []any{obj{"url": Prefix}},
		"paths":   paths,
		"components": obj{
			"schemas":         schemas(),
			"securitySchemes": obj{"bearerAuth": obj{"type": "http", "scheme": "bearer", "description": "an API token: weft_ followed by 52 base32 characters"}},
		},
		"tags": []any{
			obj{"name": "scenarios"}, obj{"name": "executions"}, obj{"name": "incomplete executions"},
			obj{"name": "connections"}, obj{"name": "data stores"}, obj{"name": "webhooks"}, obj{"name": "meta"},
		},
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("api: the OpenAPI document does not encode: %v", err)) // static data: a programming error
	}
	return data
}

// scopeOf is the scope the documented operation needs: the route table's, so the
// document cannot claim another.
func scopeOf(op operation) string {
	for _, r := range routes {
		if r.Method == op.method && r.Path == op.path {
			return r.Scope
		}
	}
	return auth.Admin // undocumented in the router: the drift test fails on it
}

func operationID(op operation) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(op.method))
	for _, seg := range strings.Split(op.path, "/") {
		seg = strings.Trim(seg, "{}")
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '.' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func sortStrings(s []string) { slices.Sort(s) }

// takesIDPrefix reports whether a path's {id} may be a unique prefix of an execution's
// or an incomplete execution's id.
func takesIDPrefix(path string) bool {
	return strings.HasPrefix(path, "/executions/{id}") || strings.HasPrefix(path, "/incomplete-executions/{id}")
}
