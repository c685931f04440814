package makeapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The OpenAPI 3.1 document is built from this table of operations, written apart from
// the route table on purpose: the drift test compares the two both ways, and every
// response the tests see is validated against it.

type param struct {
	name, desc string
	schema     obj
	required   bool
}

type operation struct {
	method, path string
	tag, summary string
	desc         string
	query        []param
	body         obj // nil: no body
	bodyOptional bool
	status       int
	response     obj // nil: no content
	errs         []int
}

func q(name, desc string, schema obj) param { return param{name: name, desc: desc, schema: schema} }
func qreq(name, desc string, schema obj) param {
	return param{name: name, desc: desc, schema: schema, required: true}
}

var (
	pgParams = []param{
		q("pg[offset]", "entries to skip", obj{"type": "integer", "minimum": 0}),
		q("pg[limit]", "page size", obj{"type": "integer", "minimum": 1, "maximum": maxLimit}),
		q("pg[sortBy]", "field to sort by", str("")),
		q("pg[sortDir]", "asc or desc", enum("", "asc", "desc")),
	}
	colsParam      = q("cols[]", "the columns to return (default: all)", array(str("")))
	teamParam      = q("teamId", "any id: weft has one team", integer(""))
	teamParamReq   = qreq("teamId", "any id: weft has one team", integer(""))
	orgParam       = q("organizationId", "any id: weft has one organization", integer(""))
	confirmedParam = q("confirmed", "confirms a destructive request", boolean(""))
	scenarioQuery  = qreq("scenarioId", "the scenario", integer(""))
)

func with(ps []param, more ...param) []param { return append(slices.Clone(ps), more...) }

var operations = []operation{
	{method: "GET", path: "/openapi.json", tag: "meta", summary: "This document (no token needed)", status: 200, response: freeObject("")},

	{method: "GET", path: "/users/me", tag: "users", summary: "The token's holder (weft has no user accounts: the name is the token's)",
		query: []param{colsParam}, status: 200, response: envelope("authUser", selectable("User")), errs: []int{400}},
	{method: "GET", path: "/users/me/current-authorization", tag: "users", summary: "The Make scopes the token's weft scopes grant",
		status: 200, response: envelope("authorization", closed("", obj{"authUsed": enum("", "token"), "scope": array(str(""))}))},
	{method: "GET", path: "/organizations", tag: "organizations", summary: "weft's one organization",
		query: with(pgParams, colsParam), status: 200, response: envelope("organizations", array(selectable("Organization")), "pg", ref("Pg")), errs: []int{400}},
	{method: "GET", path: "/organizations/{organizationId}", tag: "organizations", summary: "weft's one organization (any id names it)",
		status: 200, response: envelope("organization", ref("Organization")), errs: []int{400}},
	{method: "GET", path: "/teams", tag: "teams", summary: "weft's one team",
		query:  with(pgParams, qreq("organizationId", "any id: weft has one organization", integer("")), colsParam),
		status: 200, response: envelope("teams", array(selectable("Team")), "pg", ref("Pg")), errs: []int{400}},
	{method: "GET", path: "/teams/{teamId}", tag: "teams", summary: "weft's one team (any id names it)",
		query: []param{colsParam}, status: 200, response: envelope("team", selectable("Team")), errs: []int{400}},

	{method: "GET", path: "/scenarios", tag: "scenarios", summary: "List scenarios (teamId or organizationId)",
		query:  with(pgParams, teamParam, orgParam, q("folderId", "weft has no folders: a folder lists nothing", integer("")), colsParam),
		status: 200, response: envelope("scenarios", array(selectable("Scenario")), "pg", ref("Pg")), errs: []int{400}},
	{method: "POST", path: "/scenarios", tag: "scenarios", summary: "Create a scenario from a blueprint",
		desc: "The blueprint (object or JSON string) is stored as version 1, inactive; metadata.input_spec/output_spec become its metadata.interface; " +
			"scheduling becomes weft's schedule. A blueprint whose webhook or mailhook trigger names a hook made with POST /hooks (parameters.hook) takes that hook over.",
		query: []param{colsParam, confirmedParam},
		body: closed("", obj{"teamId": integer(""), "blueprint": anyValue("object or JSON string"), "scheduling": anyValue("object or JSON string"),
			"folderId": nullable(integer("accepted, not kept")), "metadata": freeObject(""), "basedon": str("refused: weft has no templates")},
			"scheduling", "folderId", "metadata", "basedon"),
		status: 200, response: envelope("scenario", selectable("Scenario")), errs: []int{400, 413}},
	{method: "GET", path: "/scenarios/{scenarioId}", tag: "scenarios", summary: "Get a scenario",
		query: []param{colsParam}, status: 200, response: envelope("scenario", selectable("Scenario")), errs: []int{400, 404}},
	{method: "PATCH", path: "/scenarios/{scenarioId}", tag: "scenarios", summary: "Change a scenario: a new blueprint version, name, description, interface or schedule",
		query: []param{colsParam, confirmedParam},
		body: closed("", obj{"name": str(""), "description": str(""), "blueprint": anyValue(""), "scheduling": anyValue(""),
			"folderId": nullable(integer("")), "metadata": freeObject("")}, "name", "description", "blueprint", "scheduling", "folderId", "metadata"),
		status: 200, response: envelope("scenario", selectable("Scenario")), errs: []int{400, 404, 413}},
	{method: "DELETE", path: "/scenarios/{scenarioId}", tag: "scenarios", summary: "Delete a scenario",
		desc:  "Refused while it has incomplete executions not resolved, unless confirmed=true (weft does not drop failed runs unasked).",
		query: []param{confirmedParam}, status: 200, response: envelope("scenario", integer("")), errs: []int{400, 404}},
	{method: "POST", path: "/scenarios/{scenarioId}/start", tag: "scenarios", summary: "Activate a scenario",
		status: 200, response: envelope("scenario", closed("", obj{"id": integer(""), "isActive": boolean(""), "islinked": boolean("")})),
		errs: []int{400, 404, 502}},
	{method: "POST", path: "/scenarios/{scenarioId}/stop", tag: "scenarios", summary: "Deactivate a scenario",
		status: 200, response: envelope("scenario", closed("", obj{"id": integer(""), "isActive": boolean(""), "islinked": boolean("")})),
		errs: []int{400, 404}},
	{method: "POST", path: "/scenarios/{scenarioId}/run", tag: "scenarios", summary: "Run an active scenario once with data as its trigger bundle",
		desc: "Answers when the run has ended and is recorded; with responsive: true the answer carries status and the outputs a Return output module returned.",
		body: closed("", obj{"data": freeObject(""), "responsive": boolean(""), "callbackUrl": str("refused: weft does not call back")},
			"data", "responsive", "callbackUrl"), bodyOptional: true,
		status: 200, response: closed("", obj{"executionId": str(""), "status": enum("1 success, 2 warning, 3 error", 1, 2, 3), "outputs": anyValue("")},
			"status", "outputs"), errs: []int{400, 404, 413}},
	{method: "GET", path: "/scenarios/{scenarioId}/interface", tag: "scenarios", summary: "The scenario's inputs and outputs",
		status: 200, response: envelope("interface", ref("Interface")), errs: []int{400, 404}},
	{method: "PATCH", path: "/scenarios/{scenarioId}/interface", tag: "scenarios", summary: "Set the scenario's inputs and outputs (a new blueprint version)",
		body: closed("", obj{"interface": ref("Interface")}), status: 200, response: envelope("interface", ref("Interface")), errs: []int{400, 404, 413}},
	{method: "GET", path: "/scenarios/{scenarioId}/blueprint", tag: "scenarios", summary: "The scenario's blueprint, exactly as stored",
		query:  []param{q("blueprintId", "a version (GET …/blueprints)", integer("")), q("draft", "weft has no drafts: ignored", boolean(""))},
		status: 200, response: closed("", obj{"code": enum("", "OK"), "response": closed("", obj{
			"blueprint": freeObject(""), "scheduling": ref("Scheduling"), "idSequence": integer(""), "created": dateTime(""),
			"metadata": closed("", obj{"input_spec": array(freeObject("")), "output_spec": array(freeObject(""))})})}),
		errs: []int{400, 404}},
	{method: "GET", path: "/scenarios/{scenarioId}/blueprints", tag: "scenarios", summary: "The scenario's blueprint versions",
		query: pgParams, status: 200, response: envelope("scenariosBlueprints", array(closed("", obj{
			"version": integer(""), "created": dateTime(""), "scenarioId": integer(""), "draft": boolean("")})), "pg", ref("Pg")),
		errs: []int{400, 404}},
	{method: "GET", path: "/scenarios/{scenarioId}/logs", tag: "executions", summary: "The scenario's executions, newest first",
		query: with(pgParams, q("pg[last]", "continue after this execution id", str("")), q("pg[showLast]", "accepted", boolean("")),
			q("from", "start time from (ms)", integer("")), q("to", "start time to (ms)", integer("")),
			q("status", "1, 2 or 3", integer("")), q("showCheckRuns", "accepted", boolean(""))),
		status: 200, response: envelope("scenarioLogs", array(ref("Log")), "pg", ref("Pg")), errs: []int{400, 404}},
	{method: "GET", path: "/scenarios/{scenarioId}/logs/{executionId}", tag: "executions", summary: "One execution",
		status: 200, response: envelope("scenarioLog", ref("Log")), errs: []int{400, 404}},
	{method: "GET", path: "/scenarios/{scenarioId}/executions/{executionId}", tag: "executions", summary: "An execution's outcome and error",
		query:  []param{q("maxBytes", "accepted (weft's answer holds no outputs)", integer(""))},
		status: 200, response: closed("", obj{"status": enum("", "RUNNING", "SUCCESS", "WARNING", "ERROR"),
			"error": closed("", obj{"name": str("the error type"), "message": str(""),
				"causeModule": closed("", obj{"name": str("module type"), "appName": str("")})}, "causeModule")}, "error"),
		errs: []int{400, 404}},

	{method: "GET", path: "/dlqs", tag: "incomplete executions", summary: "A scenario's incomplete executions, oldest first",
		query:  with(pgParams, scenarioQuery, colsParam),
		status: 200, response: envelope("dlqs", array(selectable("DLQ")), "pg", ref("Pg")), errs: []int{400, 404}},
	{method: "DELETE", path: "/dlqs", tag: "incomplete executions", summary: "Delete incomplete executions of a scenario (all needs confirmed=true)",
		query: []param{scenarioQuery, confirmedParam}, body: ref("Selection"),
		status: 200, response: envelope("dlqs", array(str("the ids deleted"))), errs: []int{400, 404, 406, 413}},
	{method: "POST", path: "/dlqs/retry", tag: "incomplete executions", summary: "Schedule incomplete executions of a scenario for a retry now",
		query: []param{scenarioQuery}, body: ref("Selection"),
		status: 200, response: envelope("dlqs", array(str("the ids scheduled"))), errs: []int{400, 404, 413}},
	{method: "GET", path: "/dlqs/{dlqId}", tag: "incomplete executions", summary: "One incomplete execution",
		query: []param{colsParam}, status: 200, response: envelope("dlq", selectable("DLQ")), errs: []int{400, 404}},
	{method: "PATCH", path: "/dlqs/{dlqId}", tag: "incomplete executions", summary: "Replace the incomplete execution's blueprint before its next attempt",
		body:   closed("", obj{"blueprint": anyValue("object or JSON string"), "failer": integer("must be the module that failed")}, "blueprint", "failer"),
		status: 200, response: envelope("dlq", closed("", obj{"failer": integer(""), "blueprint": freeObject("")})), errs: []int{400, 404, 413}},
	{method: "POST", path: "/dlqs/{dlqId}/retry", tag: "incomplete executions", summary: "Retry one incomplete execution now and wait for the outcome",
		status: 200, response: envelope("dlq", ref("DLQ")), errs: []int{400, 404}},
	{method: "GET", path: "/dlqs/{dlqId}/blueprint", tag: "incomplete executions", summary: "The incomplete execution's own blueprint",
		status: 200, response: closed("", obj{"code": enum("", "OK"), "response": closed("", obj{"blueprint": freeObject("")})}), errs: []int{404}},
	{method: "GET", path: "/dlqs/{dlqId}/bundle", tag: "incomplete executions", summary: "The outputs of the modules upstream of the failing one, by module id",
		status: 200, response: closed("", obj{"code": enum("", "OK"), "response": freeObject("")}), errs: []int{404}},
	{method: "GET", path: "/dlqs/{dlqId}/logs", tag: "incomplete executions", summary: "The executions of an incomplete execution: its attempts, then the run that stored it",
		query: pgParams, status: 200, response: envelope("dlqLogs", array(ref("Log")), "pg", ref("Pg")), errs: []int{400, 404}},
	{method: "GET", path: "/dlqs/{dlqId}/logs/{executionId}", tag: "incomplete executions", summary: "One execution of an incomplete execution",
		status: 200, response: envelope("dlqLog", ref("Log")), errs: []int{404}},

	{method: "GET", path: "/hooks", tag: "hooks", summary: "List hooks",
		query: with(pgParams, teamParamReq, q("typeName", "", str("")), q("assigned", "taken by a scenario", boolean("")),
			q("viewForScenarioId", "accepted", integer(""))),
		status: 200, response: envelope("hooks", array(ref("Hook")), "pg", ref("Pg")), errs: []int{400}},
	{method: "POST", path: "/hooks", tag: "hooks", summary: "Make a webhook or mailhook before its scenario",
		desc:  "Stored as an inactive scenario holding only the trigger until a scenario created with a blueprint naming the hook takes it over.",
		query: []param{q("useDefaults", "accepted", str(""))},
		body: closed("", obj{"name": str(""), "teamId": integer(""), "typeName": enum("", typeWebhook, typeMailhook),
			"headers": boolean(""), "method": boolean(""), "stringify": boolean(""), "ip": str(""), "udt": anyValue("")},
			"headers", "method", "stringify", "ip", "udt"),
		status: 200, response: envelope("hook", ref("Hook")), errs: []int{400, 413}},
	{method: "GET", path: "/hooks/{hookId}", tag: "hooks", summary: "One hook", status: 200, response: envelope("hook", ref("Hook")), errs: []int{400, 404}},
	{method: "DELETE", path: "/hooks/{hookId}", tag: "hooks", summary: "Delete a hook no scenario has taken over",
		query: []param{confirmedParam}, status: 200, response: envelope("hook", integer("")), errs: []int{400, 404}},
	{method: "GET", path: "/hooks/{hookId}/ping", tag: "hooks", summary: "The hook's address and state",
		status: 200, response: closed("", obj{"address": str(""), "attached": boolean(""), "learning": boolean(""), "gone": boolean("")}),
		errs: []int{400, 404}},
	{method: "POST", path: "/hooks/{hookId}/set-data", tag: "hooks", summary: "Hook settings: weft's own values are accepted, others refused",
		body: closed("", obj{"headers": boolean(""), "method": boolean(""), "stringify": boolean(""), "ip": str(""), "udt": anyValue("")},
			"headers", "method", "stringify", "ip", "udt"), bodyOptional: true,
		status: 200, response: closed("", obj{"changed": boolean("")}), errs: []int{400, 404, 413}},
	{method: "POST", path: "/hooks/{hookId}/enable", tag: "hooks", summary: "weft's hooks are always enabled",
		status: 200, response: envelope("hook", closed("", obj{"id": integer(""), "enabled": boolean("")})), errs: []int{400, 404}},
	{method: "POST", path: "/hooks/{hookId}/disable", tag: "hooks", summary: "Refused: weft's hooks are always enabled (stop the scenario, or rotate the address with /api/v1)",
		status: 200, response: freeObject("never: always an error"), errs: []int{400, 404}},
	{method: "GET", path: "/hooks/{hookId}/incomings", tag: "hooks", summary: "The hook's queued payloads, in arrival order",
		query: pgParams, status: 200, response: envelope("incomings", array(ref("Incoming")), "pg", ref("Pg")), errs: []int{400, 404}},
	{method: "DELETE", path: "/hooks/{hookId}/incomings", tag: "hooks", summary: "Delete queued payloads (all needs confirmed=true)",
		query: []param{confirmedParam}, body: ref("Selection"),
		status: 200, response: envelope("incomings", array(str("the ids deleted"))), errs: []int{400, 404, 406, 413}},
	{method: "GET", path: "/hooks/{hookId}/incomings/{incomingId}", tag: "hooks", summary: "One queued payload with its data",
		status: 200, response: envelope("incoming", ref("Incoming")), errs: []int{400, 404}},

	{method: "GET", path: "/data-stores", tag: "data stores", summary: "The data stores the scenarios' datastore modules name",
		query:  with(pgParams, teamParamReq, colsParam),
		status: 200, response: envelope("dataStores", array(selectable("DataStore")), "pg", ref("Pg")), errs: []int{400}},
	{method: "GET", path: "/data-stores/{dataStoreId}", tag: "data stores", summary: "One data store",
		query: []param{colsParam}, status: 200, response: envelope("dataStore", selectable("DataStore")), errs: []int{400, 404}},
	{method: "GET", path: "/data-stores/{dataStoreId}/data", tag: "data stores", summary: "A data store's records, by key",
		query: pgParams[:2], status: 200, response: closed("", obj{"records": array(ref("Record")), "spec": array(freeObject("")),
			"strict": boolean(""), "count": integer(""), "pg": closed("", obj{"limit": integer(""), "offset": integer("")})}),
		errs: []int{400, 404}},
	{method: "POST", path: "/data-stores/{dataStoreId}/data", tag: "data stores", summary: "Add a record (a key is made when none is given)",
		body:   closed("", obj{"key": str(""), "data": freeObject("")}, "key", "data"),
		status: 200, response: ref("Record"), errs: []int{400, 404, 413}},
	{method: "DELETE", path: "/data-stores/{dataStoreId}/data", tag: "data stores", summary: "Delete records (confirmed=true)",
		query:  []param{confirmedParam},
		body:   closed("", obj{"keys": array(str("")), "all": boolean(""), "exceptKeys": array(str(""))}, "keys", "all", "exceptKeys"),
		status: 200, response: envelope("keys", array(str("the keys deleted"))), errs: []int{400, 404, 406, 413}},
	{method: "PATCH", path: "/data-stores/{dataStoreId}/data/{key}", tag: "data stores", summary: "Change some fields of a record",
		body: freeObject("the fields to change"), status: 200, response: ref("Record"), errs: []int{400, 404, 413}},
	{method: "PUT", path: "/data-stores/{dataStoreId}/data/{key}", tag: "data stores", summary: "Replace (or add) a record",
		body: freeObject("the record's data"), status: 200, response: ref("Record"), errs: []int{400, 404, 413}},

	{method: "GET", path: "/connections", tag: "connections", summary: "List connections (never their credentials)",
		query:  with(pgParams, teamParamReq, q("type[]", "only these types", array(str(""))), colsParam),
		status: 200, response: envelope("connections", array(selectable("Connection")), "pg", ref("Pg")), errs: []int{400}},
	{method: "POST", path: "/connections", tag: "connections", summary: "Create a connection: accountName (name), accountType (type), the credentials beside",
		query: []param{teamParamReq}, body: freeObject(""), status: 200, response: envelope("connection", ref("Connection")), errs: []int{400, 413}},
	{method: "GET", path: "/connections/{connectionId}", tag: "connections", summary: "One connection",
		query: []param{colsParam}, status: 200, response: envelope("connection", selectable("Connection")), errs: []int{400, 404}},
	{method: "PATCH", path: "/connections/{connectionId}", tag: "connections", summary: "Rename a connection",
		query: []param{colsParam}, body: closed("", obj{"name": str("")}), status: 200, response: envelope("connection", selectable("Connection")),
		errs: []int{400, 404, 413}},
	{method: "DELETE", path: "/connections/{connectionId}", tag: "connections", summary: "Delete a connection (confirmed=true: even one open incomplete executions use)",
		query: []param{confirmedParam}, status: 200, response: envelope("connection", integer("")), errs: []int{400, 404}},
	{method: "POST", path: "/connections/{connectionId}/set-data", tag: "connections", summary: "Replace a connection's credentials",
		body: freeObject(""), status: 200, response: closed("", obj{"changed": boolean("")}), errs: []int{400, 404, 413}},
	{method: "POST", path: "/connections/{connectionId}/test", tag: "connections", summary: "Whether weft can use the connection (it does not call the service)",
		status: 200, response: closed("", obj{"verified": boolean("")}), errs: []int{400, 404}},

	{method: "GET", path: "/keys", tag: "keys", summary: "List keys (connections of a key type)",
		query: []param{teamParamReq, q("typeName", "", str("")), colsParam}, status: 200, response: envelope("keys", array(selectable("Key"))), errs: []int{400}},
	{method: "POST", path: "/keys", tag: "keys", summary: "Create a key",
		body:   closed("", obj{"name": str(""), "teamId": integer(""), "typeName": enum("", "apikeyauth", "basicauth"), "parameters": freeObject("")}),
		status: 200, response: envelope("key", ref("Key")), errs: []int{400, 413}},
	{method: "GET", path: "/keys/types", tag: "keys", summary: "The key types weft's apps read",
		status: 200, response: envelope("keysTypes", array(closed("", obj{"name": str(""), "label": str(""), "type": str(""),
			"parameters": array(freeObject("")), "author": str(""), "version": str(""), "theme": str(""), "icon": str("")})))},
	{method: "GET", path: "/keys/{keyId}", tag: "keys", summary: "One key",
		query: []param{colsParam}, status: 200, response: envelope("key", selectable("Key")), errs: []int{400, 404}},
	{method: "PATCH", path: "/keys/{keyId}", tag: "keys", summary: "Rename a key or replace its parameters",
		body:   closed("", obj{"name": str(""), "parameters": freeObject("")}, "name", "parameters"),
		status: 200, response: envelope("key", ref("Key")), errs: []int{400, 404, 413}},
	{method: "DELETE", path: "/keys/{keyId}", tag: "keys", summary: "Delete a key",
		query: []param{confirmedParam}, status: 200, response: envelope("key", integer("")), errs: []int{400, 404}},
}

var errorResponses = map[int]string{
	400: "invalid input, or the resource's state refuses the request (Make has no 409)",
	401: "no token, or an unknown or revoked one",
	403: "the token lacks the weft scope",
	404: "no such resource",
	406: "IM004: confirmed=true is required",
	413: "the body is too large",
	429: "too many failed tokens from this client lately; Retry-After says when to try again",
	500: "internal error",
	502: "the service behind the scenario's trigger refused or could not be reached",
}

// pathParam is the schema of a path parameter: ids are integers, but incomplete
// executions, executions, queued payloads and record keys are text.
func pathParam(name string) obj {
	s := integer("")
	switch name {
	case "dlqId", "executionId", "incomingId", "key":
		s = str("")
	}
	return obj{"name": name, "in": "path", "required": true, "schema": s}
}

func (p param) asParam() obj {
	o := obj{"name": p.name, "in": "query", "schema": p.schema}
	if p.required {
		o["required"] = true
	}
	if p.desc != "" {
		o["description"] = p.desc
	}
	return o
}

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

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
				params = append(params, pathParam(strings.Trim(seg, "{}")))
			}
		}
		for _, p := range op.query {
			params = append(params, p.asParam())
		}
		o := obj{"operationId": operationID(op), "tags": []string{op.tag}, "summary": op.summary}
		if op.desc != "" {
			o["description"] = op.desc
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.body != nil {
			o["requestBody"] = obj{"required": !op.bodyOptional, "content": jsonContent(op.body)}
		}
		ok := obj{"description": "success"}
		if op.response != nil {
			ok["content"] = jsonContent(op.response)
		}
		responses := obj{fmt.Sprint(op.status): ok}
		errs := slices.Clone(op.errs)
		rt := routeOf(op)
		switch rt.Scope {
		case "":
			o["security"] = []any{}
		default:
			scope := rt.Scope
			if scope == scopeAnyToken {
				scope = "any"
			}
			o["security"] = []any{obj{"token": []string{scope}}}
			o["x-weft-scope"] = rt.Scope
			o["x-make-scope"] = rt.MakeScope
			errs = append(errs, 401, 403, 429)
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
		"info": obj{"title": "weft: Make's API v2", "version": "2",
			"description": "Make's public API v2 (developers.make.com) as weft answers it, for Make's SDK, MCP tools and scripts. " +
				"Authenticate with `Authorization: Token weft_…` (or Bearer): weft's tokens and scopes; x-weft-scope names the scope an operation needs, " +
				"x-make-scope Make's name for it. weft has one organization and one team: any id names them. " +
				"Errors are {\"message\", \"detail\", \"code\"}. Listings take pg[offset], pg[limit], pg[sortBy], pg[sortDir] and answer \"pg\"."},
		"servers": []any{obj{"url": Prefix}},
		"paths":   paths,
		"components": obj{
			"schemas": schemas(),
			"securitySchemes": obj{"token": obj{"type": "apiKey", "in": "header", "name": "Authorization",
				"description": "Token weft_… or Bearer weft_… (weft tokens create)"}},
		},
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("makeapi: the OpenAPI document does not encode: %v", err)) // static data: a programming error
	}
	return data
}

// routeOf is the route the operation documents (its scopes come from the route table,
// so the document cannot claim others); an undocumented one gets admin, and the drift
// test fails on it.
func routeOf(op operation) route {
	for _, r := range routes {
		if r.Method == op.method && r.Path == op.path {
			return r
		}
	}
	return route{Scope: "admin", MakeScope: "admin"}
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
