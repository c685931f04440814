package api

// The OpenAPI document's schemas. Every object schema is closed
// (additionalProperties: false), so the tests that validate real responses against
// them catch a field added to a view but not documented.

type obj = map[string]any

// queueItem is weft.QueueItemJSON.
var queueItem = obj{
	"id":          integer(""),
	"scenarioId":  integer(""),
	"status":      enum("waiting for a run, being run, or dead (set aside after its run ended in error)", "waiting", "running", "dead"),
	"sizeBytes":   integer("the stored payload's size"),
	"enqueuedAt":  dateTime(""),
	"executionId": nullable(str("the run consuming it, or (dead) the run that ended in error")),
	"error": nullable(object("why it was set aside", obj{
		"type": enum("", errorTypes...), "message": str(""), "moduleId": integer("")})),
	"deadAt": nullable(dateTime("when it was set aside")),
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func str(desc string) obj {
	s := obj{"type": "string"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func integer(desc string) obj {
	s := obj{"type": "integer"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func boolean(desc string) obj {
	s := obj{"type": "boolean"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func dateTime(desc string) obj {
	s := obj{"type": "string", "format": "date-time"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func enum(desc string, values ...string) obj {
	s := obj{"type": "string", "enum": values}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func nullable(s obj) obj { return obj{"anyOf": []any{s, obj{"type": "null"}}} }

func array(items obj) obj { return obj{"type": "array", "items": items} }

// object is a closed object; every property is required unless listed in optional.
func object(desc string, props obj, optional ...string) obj {
	var req []string
	for k := range props {
		opt := false
		for _, o := range optional {
			opt = opt || o == k
		}
		if !opt {
			req = append(req, k)
		}
	}
	sortStrings(req)
	s := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(req) > 0 {
		s["required"] = req
	}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func pageOf(item string) obj {
	return object("One page of a listing; nextCursor is null on the last page.", obj{
		"items":      array(ref(item)),
		"nextCursor": nullable(str("pass as ?cursor= for the next page")),
	})
}

func merge(a, b obj) obj {
	out := obj{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

var errorTypes = []string{"DataError", "ConnectionError", "RateLimitError", "OutOfSpaceError", "ModuleTimeoutError",
	"InvalidConfigurationError", "InvalidAccessTokenError", "UnexpectedError", "MaxFileSizeExceededError",
	"MaxResultsExceededError", "DuplicateDataError", "IncompleteDataError", "BundleValidationError", "RuntimeError", "InconsistencyError"}

func executionProps() obj {
	return obj{
		"id":           str("execution id"),
		"scenarioId":   integer(""),
		"version":      integer("the blueprint version it ran"),
		"kind":         enum("run: a trigger or a manual run; retry: an attempt of an incomplete execution", "run", "retry"),
		"status":       enum("", "running", "success", "warning", "error"),
		"operations":   integer(""),
		"error":        nullable(ref("RunError")),
		"incompleteId": nullable(str("the incomplete execution this is an attempt of")),
		"calledBy": nullable(obj{"type": "object", "description": "the execution (and its module) whose call started this sub-scenario run",
			"properties": obj{"executionId": str(""), "moduleId": integer("")}}),
		"trigger": nullable(enum("what started the run (null for runs recorded before weft kept it)",
			"webhook", "schedule", "manual", "call", "retry")),
		"startedAt":  dateTime(""),
		"finishedAt": nullable(dateTime("")),
	}
}

func schemas() obj {
	scenario := obj{
		"id":                integer(""),
		"name":              str("the blueprint's name"),
		"version":           integer("the current blueprint version"),
		"active":            boolean("runs on its trigger and schedule"),
		"instant":           boolean("the trigger is a webhook"),
		"consecutiveErrors": integer(""),
		"paused":            nullable(str("why automatic runs are held")),
		"deactivated":       nullable(str("why weft deactivated it")),
		"source":            str("where the blueprint came from (api, clone:ID, file:PATH)"),
		"schedule":          ref("Schedule"),
		"nextRunAt":         nullable(dateTime("")),
		"hookUrl":           nullable(str("the webhook address, for a gateway:CustomWebHook trigger")),
		"createdAt":         dateTime(""),
		"updatedAt":         dateTime(""),
	}
	hook := obj{
		"scenarioId": integer(""),
		"url":        str("POST, GET or PUT payloads here"),
		"hasSecret":  boolean("payloads must be signed (HMAC-SHA256)"),
		"createdAt":  dateTime(""),
	}
	return obj{
		"Error": object("Every error answer.", obj{"error": object("", obj{
			"code":    enum("stable text to switch on", "invalid_input", "ambiguous_id", "unauthorized", "forbidden", "not_found", "method_not_allowed", "conflict", "busy", "too_large", "too_many_requests", "invalid_blueprint", "internal", "not_implemented", "storage_full", "trigger_failed"),
			"message": str("what is wrong, naming the field or resource"),
			"details": obj{"description": "invalid_input: {field}; ambiguous_id: {prefix, matches}; invalid_blueprint and refused activations: {problems, unsupported}; refused deletions: {incompleteExecutions, total}"},
		})}),
		"Blueprint": obj{"type": "object", "description": "A Make blueprint (name, flow, metadata), stored and exported byte for byte."},
		"Bundle":    obj{"description": "A trigger bundle: any JSON; a value that is not an object becomes {\"value\": …}."},
		"Schedule": object("When the scenario runs on its own. type \"\" is on demand.", obj{
			"type":     enum("", "", "interval", "cron", "once"),
			"interval": obj{"type": "integer", "minimum": 1, "maximum": 44640, "description": "minutes, for interval"},
			"cron":     str("five fields, for cron"),
			"timezone": str("IANA name for cron (default UTC)"),
			"at":       dateTime("for once"),
		}, "interval", "cron", "timezone", "at"),
		"TriggerPosition": object("Where a polling trigger stands (docs/triggers.md).", obj{
			"scenarioId": integer(""), "moduleId": integer("the trigger's module id"), "module": str("its module type"),
			"position": obj{"description": "the trigger's own JSON (null: every item)"},
			"start":    nullable(str("the start a person chose (now, all, last:N, a date), until a run moves the position")),
			"version":  integer("counts writes"), "updatedAt": dateTime(""),
		}),
		"TriggerStart":  object("", obj{"from": str("now, all, last:N or a date (RFC 3339 or YYYY-MM-DD)")}),
		"ScheduleState": object("", obj{"scenarioId": integer(""), "schedule": ref("Schedule"), "nextRunAt": nullable(dateTime(""))}),
		"Scenario":      object("", scenario),
		"ScenarioPage":  pageOf("Scenario"),
		"Version":       object("", obj{"version": integer(""), "createdAt": dateTime("")}),
		"VersionPage":   pageOf("Version"),
		"CloneRequest":  object("", obj{"name": str("default: the original's name + \" (copy)\"")}, "name"),
		"RunError":      object("", obj{"type": enum("", errorTypes...), "message": str(""), "moduleId": integer("")}),
		"WebhookResponse": object("", obj{"status": integer(""),
			"headers": obj{"type": "object", "additionalProperties": obj{"type": "string"}}, "body": str("")}),
		"RunResult": object("The outcome of a run, as `weft run --json` prints it.", obj{
			"executionId":          str(""),
			"scenarioId":           integer(""),
			"status":               enum("", "success", "warning", "error"),
			"operations":           integer(""),
			"error":                nullable(ref("RunError")),
			"response":             nullable(ref("WebhookResponse")),
			"incompleteExecutions": array(str("")),
			"discarded":            integer("incomplete executions dropped: their storage was full and the scenario allows data loss"),
			"durationNs":           integer("how long the run took, in nanoseconds"),
		}),
		"RunRequest": object("A blueprint to run once (`weft run FILE`).", obj{
			"blueprint": ref("Blueprint"),
			"source":    str("where it comes from (file:PATH): the scenario stored from the same source is reused"),
			"input":     obj{"description": "the trigger bundle: any JSON; not an object: {\"value\": …}; left out: {}"},
		}, "input"),
		"ResolveRequest": object("Changes to an incomplete execution's own blueprint before it is retried.", obj{
			"edits": array(object("One field of one module.", obj{
				"moduleId": integer(""),
				"part":     enum("", "mapper", "parameters"),
				"path":     str("the field; dotted for nested collections (headers, data.email)"),
				"value":    obj{"description": "the new value: any JSON ({{…}} text maps other modules' outputs)"},
			})),
			"blueprint": ref("Blueprint"),
		}, "edits", "blueprint"),
		"Job": object("A bulk retry or delete of incomplete executions.", obj{
			"id":     str(""),
			"kind":   enum("", "retry", "delete"),
			"status": enum("running, then done; failed when it stopped on an error (error)", "running", "done", "failed"),
			"total":  integer("how many incomplete executions it took"),
			"done":   integer("how many it has finished with: the sum of counts"),
			"counts": obj{"type": "object", "additionalProperties": obj{"type": "integer"},
				"description": "by outcome — retry: resolved, failed (waits for a person), retrying (pending again), deleted (meanwhile), skipped (in progress or resolved already); delete: deleted, skipped (being retried, or gone)"},
			"error":      nullable(str("why it failed")),
			"createdAt":  dateTime(""),
			"finishedAt": nullable(dateTime("")),
		}),
		"BuildInfo": object("Which weft this is.", obj{
			"version":   str("the module version: v1.2.3, a pseudo-version, or (devel) for a build in a checkout"),
			"revision":  str("the VCS commit, empty when unknown"),
			"time":      str("the commit's time, empty when unknown"),
			"modified":  boolean("built from a work tree with changes not committed"),
			"goVersion": str(""),
		}),
		"Token":     object("An API token; its secret is never returned after its creation.", tokenProps()),
		"TokenPage": pageOf("Token"),
		"AuditEntry": object("One change in the audit log.", obj{"id": integer("increasing"), "at": dateTime(""),
			"actor":  str("the account's email, or \"token NAME\""),
			"action": str("what was done: the route, e.g. scenarios/{id}/delete, or api DELETE scenarios/{id}"),
			"target": str("the path it was done on, e.g. scenarios/7/delete")}),
		"AuditPage":    pageOf("AuditEntry"),
		"TokenCreated": object("A new API token: token is shown this once.", merge(tokenProps(), obj{"token": str("weft_…: send it as Authorization: Bearer")})),
		"TokenCreate": object("", obj{"name": str("what the token is for"),
			"scopes": array(enum("", "scenarios:read", "scenarios:write", "executions:read", "incomplete:read", "incomplete:write",
				"connections:read", "connections:write", "datastores:read", "datastores:write", "webhooks:read", "webhooks:write", "admin"))}),
		"AnyQueueSelection": object("Queued payloads by ids, of any scenarios; status narrows a delete.", obj{
			"ids":    array(integer("")),
			"status": array(enum("", "waiting", "running", "dead")),
		}, "status"),
		"Execution":     object("", executionProps()),
		"ExecutionPage": pageOf("Execution"),
		"ExecutionDetail": object("", merge(executionProps(), obj{
			"response":             obj{"description": "the webhook response the run answered (status, headers, body), or null"},
			"incompleteExecutions": array(str("ids of the incomplete executions it stored")),
		})),
		"ExecutionLog": object("", obj{"executionId": str(""), "log": array(obj{"type": "object",
			"description": "one module handling one bundle: seq, cycle, moduleId, module, input, output, error, outcome, start, durationNs",
			"required":    []string{"seq", "moduleId", "module"}})}),
		"Incomplete": object("An incomplete execution: the 16 fields of docs/incomplete-executions.md.", obj{
			"id":             str(""),
			"scenarioId":     integer(""),
			"executionId":    str("the run it came from"),
			"failedModuleId": integer(""),
			"errorType":      enum("", errorTypes...),
			"errorMessage":   str(""),
			"errorDetails":   nullable(obj{"type": "object", "description": "the error's details (an HTTP status, incompleteId of the incomplete execution a waiting call waits for, …)"}),
			"status":         enum("", "unresolved", "pending", "in_progress", "resolved"),
			"autoRetry":      boolean(""),
			"attempts":       integer(""),
			"nextAttemptAt":  nullable(dateTime("")),
			"sizeBytes":      integer(""),
			"createdAt":      dateTime(""),
			"resolvedAt":     nullable(dateTime("")),
			"outcomeUnknown": boolean("the failing call was sent but never answered: whether it took effect is unknown"),
			"breakerKey":     nullable(str("the connection or host of the failing call: its circuit breaker")),
		}),
		"IncompletePage": pageOf("Incomplete"),
		"IncompleteBundle": object("What the incomplete execution keeps of the run (null for a confidential scenario).", obj{
			"confidential": boolean(""),
			"input":        obj{"description": "the failing module's input, or null"},
			"outputs":      obj{"description": "the outputs of the modules upstream, by module id, or null"},
		}),
		"Attempt": object("", obj{
			"n":            integer(""),
			"manual":       boolean(""),
			"startedAt":    dateTime(""),
			"finishedAt":   nullable(dateTime("")),
			"outcome":      enum("empty while it runs", "", "resolved", "failed", "interrupted"),
			"errorType":    nullable(str("")),
			"errorMessage": nullable(str("")),
			"executionId":  str(""),
		}),
		"AttemptPage": pageOf("Attempt"),
		"RetryResult": object("", obj{"run": ref("RunResult"), "incompleteExecution": ref("Incomplete")}),
		"RetryRequest": object("Where the retry starts (the body may be left out).", obj{
			"from": obj{"description": "an earlier module's id on the failing module's path, or \"trigger\""}}, "from"),
		"CheckRequest": object("Where the read-back finds the write.", obj{"url": str("absolute, or relative to the failing call's URL")}),
		"CheckResult": object("What the read-back found.", obj{
			"done":    boolean("the write took effect"),
			"status":  integer("the read-back's HTTP status"),
			"output":  obj{"type": "object", "description": "the read-back's answer in the module's output shape (empty when not done)"},
			"message": str(""),
		}, "status", "output"),
		"MarkDone": object("The failing module's output, given by a person.", obj{
			"output": obj{"type": "object", "description": "what the module would have returned; {} when left out"}}, "output"),
		"Breaker": object("An open circuit breaker (docs/incomplete-executions.md).", obj{
			"key":          str("connection:ID or host:HOST:PORT"),
			"openedAt":     dateTime(""),
			"nextProbeAt":  dateTime(""),
			"probeId":      nullable(str("the incomplete execution being tried as the probe")),
			"failures":     integer("failed probes since it opened"),
			"errorType":    str(""),
			"errorMessage": str(""),
			"waiting":      integer("pending incomplete executions of its key"),
		}),
		"BreakerList": object("", obj{"items": array(ref("Breaker"))}),
		"PreviewRequest": object("Edits to preview (none: a retry as stored).", obj{
			"edits":     array(str("MODULE.mapper.FIELD=VALUE or MODULE.parameters.FIELD=VALUE")),
			"blueprint": obj{"type": "object", "description": "an edited blueprint in place of the incomplete execution's"},
			"from":      obj{"description": "where the continuation starts, as the retry's from"},
		}, "edits", "blueprint", "from"),
		"Preview": object("What the continuation would do (docs/incomplete-executions.md).", obj{
			"failedModuleId": integer(""),
			"modules": array(object("", obj{
				"id": integer(""), "module": str(""),
				"runs":    boolean("it runs in the continuation"),
				"stored":  boolean("it ran for this bundle; its stored output is used"),
				"writes":  boolean("it may have side effects"),
				"repeats": boolean("it may already have done its work for this bundle and runs again"),
			})),
			"changes": array(object("", obj{"field": str(""), "before": obj{"description": "null when confidential"},
				"after": obj{"description": "null when confidential"}})),
		}),
		"Released": object("", obj{"released": integer("how many held incomplete executions are due now")}),
		"Selection": object("Incomplete executions by ids, or all of a scenario except some.", obj{
			"ids":        array(str("")),
			"scenarioId": integer(""),
			"all":        boolean(""),
			"except":     array(str("")),
			"confirmed":  boolean("required (true) to delete all of a scenario's"),
		}, "ids", "scenarioId", "all", "except", "confirmed"),
		"Queued":  object("", obj{"queued": integer("how many were scheduled for a retry now")}),
		"Deleted": object("", obj{"deleted": integer("")}),
		"Connection": object("A connection; its credentials are never returned.", obj{
			"id": integer(""), "name": str(""), "type": str(""), "keyId": str("the key its credentials are encrypted with"),
			"createdAt": dateTime(""), "updatedAt": dateTime(""),
		}),
		"ConnectionPage": pageOf("Connection"),
		"ConnectionCreate": object("", obj{"name": str(""), "type": str("the app, e.g. http, slack"),
			"data": obj{"type": "object", "description": "the credentials (stored encrypted)"}}),
		"ConnectionUpdate": object("Fields left out keep their value.", obj{"name": str(""),
			"data": obj{"type": "object", "description": "replaces the credentials"}}, "name", "data"),
		"Authorization": object("A started OAuth authorization.", obj{"authorizationUrl": str("send the person here"),
			"state": str("the state parameter (used once)"), "connectionId": integer(""), "expiresAt": dateTime("")}),
		"AuthorizationState": object("", obj{"connectionId": integer(""),
			"status":     enum("", "pending", "exchanging", "done", "failed"),
			"message":    nullable(str("why it failed")),
			"expiresAt":  dateTime(""),
			"finishedAt": nullable(dateTime(""))}),
		"OAuthStatus": object("", obj{"provider": str("empty for custom endpoints"), "providerLabel": str(""),
			"connected": boolean(""), "connectedAt": str(""), "expiresAt": str("the access token's expiry"),
			"grantedScope": str(""), "refreshable": boolean("holds a refresh token"),
			"blockedIncompleteExecutions": obj{"type": "array", "items": str("")}},
			"provider", "providerLabel", "connectedAt", "expiresAt", "grantedScope"),
		"OAuthClient": object("An OAuth client; its secret is never returned.", obj{"provider": str(""), "clientId": str(""),
			"hasSecret": boolean(""), "keyId": str(""), "createdAt": dateTime(""), "updatedAt": dateTime("")}),
		"OAuthClientList": object("", obj{"items": obj{"type": "array", "items": obj{"$ref": "#/components/schemas/OAuthClient"}}}),
		"OAuthClientSet":  object("", obj{"clientId": str(""), "clientSecret": str("left out: a public client")}, "clientSecret"),
		"Record":          object("", obj{"key": str(""), "data": obj{"type": "object"}}),
		"RecordPage":      pageOf("Record"),
		"RecordData":      obj{"type": "object", "description": "the record's data"},
		"Hook":            object("A webhook; its secret is never returned after it is set.", hook),
		"HookPage":        pageOf("Hook"),
		"HookSecretRequest": object("", obj{"secret": obj{"type": "string", "minLength": 16,
			"description": "left out: weft generates one"}}, "secret"),
		"HookWithSecret": object("The secret is shown this once.", merge(hook, obj{"secret": str("")})),
		"QueueItem":      object("A queued trigger payload (docs/incomplete-executions.md), without its data.", queueItem),
		"QueueItemPage":  pageOf("QueueItem"),
		"QueueItemDetail": object("A queued trigger payload with its data (null for a confidential scenario).", merge(queueItem, obj{
			"confidential": boolean(""),
			"payload":      obj{"description": "the trigger bundle, or null"},
		})),
		"QueueSelection": object("Queued payloads of the scenario by ids, or all but except; status narrows a delete.", obj{
			"ids":       array(integer("")),
			"all":       boolean(""),
			"except":    array(integer("")),
			"status":    array(enum("", "waiting", "running", "dead")),
			"confirmed": boolean("required (true) to delete all"),
		}, "ids", "all", "except", "status", "confirmed"),
	}
}

func tokenProps() obj {
	return obj{
		"id":         str("16 hex digits"),
		"name":       str(""),
		"scopes":     array(str("")),
		"createdAt":  dateTime(""),
		"lastUsedAt": nullable(dateTime("written at most once a minute")),
		"revokedAt":  nullable(dateTime("")),
	}
}
