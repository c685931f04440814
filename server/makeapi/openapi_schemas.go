package makeapi

import "slices"

// The OpenAPI document's schemas. Object schemas are closed (additionalProperties:
// false), so the tests that validate real responses against them catch a field added
// to a view but not documented. Resources whose endpoints take cols[] are documented
// twice: whole, and as a selection of columns (every property optional).

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func typed(t, desc string) obj {
	s := obj{"type": t}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func str(desc string) obj     { return typed("string", desc) }
func integer(desc string) obj { return typed("integer", desc) }
func boolean(desc string) obj { return typed("boolean", desc) }
func anyValue(desc string) obj {
	s := obj{}
	if desc != "" {
		s["description"] = desc
	}
	return s
}
func dateTime(desc string) obj {
	s := str(desc)
	s["format"] = "date-time"
	return s
}
func enum(desc string, values ...any) obj {
	s := obj{"enum": values}
	if desc != "" {
		s["description"] = desc
	}
	return s
}
func nullable(s obj) obj  { return obj{"anyOf": []any{s, obj{"type": "null"}}} }
func array(items obj) obj { return obj{"type": "array", "items": items} }
func freeObject(desc string) obj {
	s := typed("object", desc)
	return s
}

// closed is a closed object; every property is required unless listed in optional.
func closed(desc string, props obj, optional ...string) obj {
	var req []string
	for k := range props {
		if !slices.Contains(optional, k) {
			req = append(req, k)
		}
	}
	slices.Sort(req)
	s := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(req) > 0 {
		s["required"] = req
	}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

// selectable is a resource that cols[] may trim: the whole object, or a selection.
func selectable(name string) obj {
	return obj{"anyOf": []any{ref(name), ref(name + "Columns")}}
}

// envelope is {key: schema}.
func envelope(key string, schema obj, more ...any) obj {
	props := obj{key: schema}
	for i := 0; i+1 < len(more); i += 2 {
		props[more[i].(string)] = more[i+1]
	}
	return closed("", props)
}

var pgSchema = closed("The page applied.", obj{
	"sortBy": str(""), "sortDir": enum("", "asc", "desc"), "limit": integer(""), "offset": integer(""),
})

var errorSchema = closed("Make's error shape.", obj{
	"message": str("the class of the error"),
	"detail":  str("what exactly is wrong, naming the field or resource"),
	"code":    str("SC followed by the status; IM004 when confirmed=true is missing"),
	"suberrors": array(closed("", obj{"message": str(""), "pointer": str("JSON pointer into the blueprint")},
		"pointer")),
}, "suberrors")

var schedulingSchema = closed("Make's scheduling; type cron shows a weft cron schedule none of Make's types can say.", obj{
	"type":     enum("", "immediately", "indefinitely", "once", "daily", "weekly", "monthly", "yearly", "on-demand", "cron"),
	"interval": integer("seconds, for indefinitely"),
	"date":     dateTime("for once"),
	"days":     array(integer("")),
	"months":   array(integer("")),
	"time":     str("HH:MM"),
	"cron":     str(""),
	"timezone": str(""),
}, "interval", "date", "days", "months", "time", "cron", "timezone")

var userRefSchema = closed("", obj{"id": integer(""), "name": str(""), "email": str("")})

var logProps = obj{
	"id":             str("the execution id"),
	"imtId":          str("start time in ms, scenario, type and id"),
	"status":         enum("0 running, 1 success, 2 warning, 3 error", 0, 1, 2, 3),
	"duration":       integer("milliseconds"),
	"operations":     integer(""),
	"transfer":       integer("always 0: weft does not count data transfer"),
	"centicredits":   integer("always 0: weft has no credits"),
	"organizationId": integer(""),
	"teamId":         integer(""),
	"type":           enum("retry for an attempt of an incomplete execution", "auto", "retry"),
	"authorId":       nullable(integer("")),
	"instant":        boolean("it ran a queued trigger payload (webhook, mail)"),
	"timestamp":      dateTime("when it ended (started, while it runs)"),
}

func resource(name string, props obj, optional ...string) (obj, obj) {
	var all []string
	for k := range props {
		all = append(all, k)
	}
	return closed(name, props, optional...), closed(name+" (the columns cols[] asked for)", props, all...)
}

func schemas() obj {
	out := obj{
		"Error":      errorSchema,
		"Pg":         pgSchema,
		"Scheduling": schedulingSchema,
		"Log":        closed("An execution (Make's scenario log).", logProps),
		"Interface": closed("Scenario inputs and outputs (Make's parameter declarations).", obj{
			"input": array(freeObject("")), "output": array(freeObject(""))}),
		"Selection": closed("Bulk retry and delete: ids, or all (but exceptIds).", obj{
			"ids": array(str("")), "all": boolean(""), "exceptIds": array(str(""))}, "ids", "all", "exceptIds"),
		"Record": closed("A data store record.", obj{"key": str(""), "data": freeObject("")}),
		"Hook": closed("A hook; its id is its scenario's.", obj{
			"id": integer(""), "name": str(""), "teamId": integer(""), "udid": str("the address's token"),
			"type": enum("", "web", "mail"), "packageName": nullable(str("the app of an instant app trigger")),
			"theme": str(""), "editable": boolean(""), "queueCount": integer(""), "queueLimit": integer(""),
			"enabled": boolean("always true"), "gone": boolean(""), "typeName": str(""), "data": freeObject(""),
			"scenarioId": integer("set once a scenario has it"), "scenarioName": str(""), "scenarioIsActive": boolean(""),
			"url": str(""),
		}, "scenarioId", "scenarioName", "scenarioIsActive"),
		"Incoming": closed("A queued payload of a hook.", obj{
			"id": str(""), "scope": enum("", "hook"), "size": integer("bytes"), "created": dateTime(""),
			"data": anyValue("the payload (GET one; null for a confidential scenario)")}, "data"),
	}
	add := func(name string, props obj, optional ...string) {
		out[name], out[name+"Columns"] = resource(name, props, optional...)
	}
	add("Key", obj{"id": integer(""), "name": str(""), "typeName": str(""), "teamId": integer(""),
		"packageName": nullable(str("")), "theme": str("")})
	add("Organization", obj{"id": integer(""), "name": str(""), "zone": str(""), "isPaused": boolean("")})
	add("User", obj{"id": integer(""), "name": str("the token's name"), "email": str(""), "language": str(""),
		"timezoneId": integer(""), "localeId": integer(""), "countryId": integer(""), "features": freeObject(""),
		"avatar": str(""), "timezone": str(""), "locale": str("")})
	add("Team", obj{"id": integer(""), "name": str(""), "organizationId": integer(""), "activeScenarios": integer(""),
		"isPaused": boolean("")})
	add("Scenario", obj{
		"id": integer(""), "name": str(""), "teamId": integer(""), "hookId": nullable(integer("its hook (the same id)")),
		"deviceId": nullable(integer("")), "deviceScope": nullable(str("")), "description": str(""),
		"folderId": nullable(integer("weft has no folders")), "isinvalid": boolean("weft deactivated it after errors"),
		"isActive": boolean(""), "islinked": boolean(""), "islocked": boolean(""), "isPaused": boolean(""),
		"usedPackages": array(str("")), "lastEdit": dateTime(""), "scheduling": ref("Scheduling"),
		"iswaiting": boolean("sequential, waiting for incomplete executions"), "dlqCount": integer(""),
		"createdByUser": userRefSchema, "updatedByUser": userRefSchema, "nextExec": nullable(dateTime("")),
		"created": dateTime(""), "scenarioVersion": integer("the current blueprint version"),
	})
	add("DLQ", obj{
		"id": str(""), "scenarioId": integer(""), "scenarioName": str(""), "companyId": integer("the team"),
		"companyName": str(""), "reason": str("error type: message"), "resolved": boolean(""), "deleted": boolean(""),
		"index": integer("place among the scenario's, oldest first"), "created": dateTime(""), "executionId": str(""),
		"retry": boolean("weft retries it on its own"), "attempts": integer(""), "size": integer("bytes"),
	})
	add("DataStore", obj{"id": integer(""), "name": str(""), "records": integer(""), "teamId": integer(""),
		"datastructureId": nullable(integer(""))})
	add("Connection", obj{
		"id": integer(""), "name": str(""), "accountName": str("the type"), "accountLabel": str(""),
		"packageName": nullable(str("")), "expire": nullable(str("")), "metadata": nullable(freeObject("")),
		"teamId": integer(""), "theme": str(""), "upgradeable": boolean(""), "scopesCnt": integer(""),
		"scoped": boolean(""), "accountType": enum("", "basic", "oauth"), "editable": boolean(""),
		"uid": nullable(str("")), "connectedSystemId": nullable(str("")),
	})
	return out
}
