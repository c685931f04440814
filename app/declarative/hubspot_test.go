package declarative_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

var hubspotCreds = weft.Bundle{"accessToken": "pat-na1-secret"}

func hubspotError(status int, category, msg string) reply {
	return reply{status: status, body: `{"status":"error","message":"` + msg + `","correlationId":"c0ffee","category":"` + category + `"}`}
}

// hubspotAPI answers as the CRM API v3 reference documents: objects read with chosen
// properties and associations, created and updated with {properties}.
func hubspotAPI(t *testing.T) *standIn {
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("Authorization") != "Bearer pat-na1-secret" {
			return hubspotError(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
		}
		q := r.URL.Query()
		switch {
		case r.Method == "GET" && r.URL.Path == "/crm/v3/objects/companies/101":
			props := `"name":"Acme","city":"Lyon"`
			if q.Get("properties") == "" {
				props = `"name":"Acme","domain":"acme.example"`
			}
			return ok(`{"id":"101","properties":{` + props + `,"hs_object_id":"101"},"createdAt":"2026-01-01T10:00:00Z","updatedAt":"2026-01-02T10:00:00Z","archived":false}`)
		case r.Method == "GET" && r.URL.Path == "/crm/v3/objects/deals/9":
			return ok(`{"id":"9","properties":{"hs_object_id":"9"},"associations":{
				"companies":{"results":[{"id":"101","type":"deal_to_company"},{"id":"102","type":"deal_to_company"},{"id":"103","type":"deal_to_company_unlabeled"}]},
				"line items":{"results":[{"id":"7001","type":"deal_to_line_item"}]}}}`)
		case r.Method == "POST" && r.URL.Path == "/crm/v3/objects/contacts":
			if strings.Contains(body, `"email":"dup@example.com"`) {
				return hubspotError(409, "CONFLICT", "Contact already exists. Existing ID: 51")
			}
			return reply{status: 201, body: `{"id":"52","properties":{"email":"ada@example.com","firstname":"Ada"},"createdAt":"2026-01-02T03:04:05Z","archived":false}`}
		case r.Method == "PATCH" && r.URL.Path == "/crm/v3/objects/deals/9":
			return ok(`{"id":"9","properties":{"dealstage":"3569180889"},"archived":false}`)
		case r.Method == "GET" && r.URL.Path == "/crm/v3/objects/deals/9/x":
			return hubspotError(404, "OBJECT_NOT_FOUND", "resource not found")
		}
		return hubspotError(404, "OBJECT_NOT_FOUND", "resource not found")
	}
	return s
}

func TestHubSpotGetCompany(t *testing.T) {
	s := hubspotAPI(t)
	// Blueprint 020's mapper.
	out, err := run(t, shipped(t, "hubspotcrm", "getCompany", s), hubspotCreds,
		`{"companyId": "101", "outputProperties": ["city", "name"], "parseCustomFields": true}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "GET" || g.Path != "/crm/v3/objects/companies/101" || g.Query != "properties=city%2Cname" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	sameJSON(t, "output", out, `[{"id":"101","properties":{"name":"Acme","city":"Lyon","hs_object_id":"101"},
		"createdAt":"2026-01-01T10:00:00Z","updatedAt":"2026-01-02T10:00:00Z","archived":false}]`)
	// No properties chosen: HubSpot's defaults, no empty query parameter.
	if _, err := run(t, shipped(t, "hubspotcrm", "getCompany", s), hubspotCreds, `{"companyId": "101"}`); err != nil {
		t.Fatal(err)
	}
	if q := s.requests()[1].Query; q != "" {
		t.Fatalf("query %q", q)
	}
}

func TestHubSpotAssociations(t *testing.T) {
	s := hubspotAPI(t)
	out, err := run(t, shipped(t, "hubspotcrm", "ListCRMObjectAssociation", s), hubspotCreds,
		`{"limit": "2", "objectId": "9", "objectType": "deals", "toObjectType": ["companies", "line_items"]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/crm/v3/objects/deals/9" || g.Query != "associations=companies%2Cline_items&properties=hs_object_id" {
		t.Fatalf("request %s?%s", g.Path, g.Query)
	}
	// Blueprint 020 feeds associations.companies and associations.`line items` to
	// iterators reading id and type.
	sameJSON(t, "output", out, `[{"id":"9","associations":{"companies":[{"id":"101","type":"deal_to_company"},{"id":"102","type":"deal_to_company"}],
		"line items":[{"id":"7001","type":"deal_to_line_item"}]}}]`)
}

func TestHubSpotCreateAndUpdate(t *testing.T) {
	s := hubspotAPI(t)
	// Blueprint 118's mapper: a Google Forms answer becomes a contact.
	out, err := run(t, shipped(t, "hubspotcrm", "createContact", s), hubspotCreds,
		`{"_method": "compact", "properties": [{"key": "firstname", "value": "Ada"}, {"key": "email", "value": "ada@example.com"}, {"key": "", "value": "x"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/crm/v3/objects/contacts" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "create body", jsonBody(t, g.Body), `{"properties":{"firstname":"Ada","email":"ada@example.com"}}`)
	if out[0]["id"] != "52" {
		t.Fatalf("output %v", out)
	}
	out, err = run(t, shipped(t, "hubspotcrm", "updateDeal", s), hubspotCreds,
		`{"dealId": "9", "_method": "compact", "properties": [{"key": "dealstage", "value": "3569180889"}], "parseCustomFields": true}`)
	if err != nil {
		t.Fatal(err)
	}
	g = s.requests()[1]
	if g.Method != "PATCH" || g.Path != "/crm/v3/objects/deals/9" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "update body", jsonBody(t, g.Body), `{"properties":{"dealstage":"3569180889"}}`)
	sameJSON(t, "update output", out, `[{"id":"9","properties":{"dealstage":"3569180889"},"archived":false}]`)
}

func TestHubSpotMakeAPICall(t *testing.T) {
	s := hubspotAPI(t)
	// Blueprint 020's call: the deal with its quotes.
	out, err := run(t, shipped(t, "hubspotcrm", "MakeAPICall", s), hubspotCreds,
		`{"url": "/crm/v3/objects/deals/9?associations=quotes", "method": "GET", "headers": [{"key": "Content-Type", "value": "application/json"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/crm/v3/objects/deals/9" || g.Query != "associations=quotes" || g.Header.Get("Authorization") != "Bearer pat-na1-secret" {
		t.Fatalf("request %s?%s", g.Path, g.Query)
	}
	if out[0]["statusCode"] != 200.0 || out[0]["body"].(map[string]any)["id"] != "9" {
		t.Fatalf("output %v", out)
	}
}

func TestHubSpotErrors(t *testing.T) {
	checkDocumented(t, "hubspotcrm", "createContact", hubspotCreds, `{"properties": [{"key": "email", "value": "a@example.com"}]}`, []documented{
		{"401 invalid", hubspotError(401, "INVALID_AUTHENTICATION", "Authentication credentials not found."), weft.InvalidAccessTokenError, "[401] Authentication credentials not found. (INVALID_AUTHENTICATION)", 0},
		{"401 expired", hubspotError(401, "EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired"), weft.InvalidAccessTokenError, "EXPIRED_AUTHENTICATION", 0},
		{"403 scopes", hubspotError(403, "MISSING_SCOPES", "This app hasn't been granted all required scopes"), weft.InvalidConfigurationError, "MISSING_SCOPES", 0},
		{"400 validation", hubspotError(400, "VALIDATION_ERROR", "Property values were not valid"), weft.DataError, "VALIDATION_ERROR", 0},
		{"404 not found", hubspotError(404, "OBJECT_NOT_FOUND", "resource not found"), weft.DataError, "OBJECT_NOT_FOUND", 0},
		{"409 exists", hubspotError(409, "CONFLICT", "Contact already exists. Existing ID: 51"), weft.DuplicateDataError, "Existing ID: 51", 0},
		{"429 ten-secondly limit", reply{status: 429, body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","category":"RATE_LIMITS","policyName":"TEN_SECONDLY_ROLLING"}`},
			weft.RateLimitError, "ten_secondly_rolling", 0},
		{"502", reply{status: 502, body: `bad gateway`, header: map[string]string{"Content-Type": "text/plain"}}, weft.ConnectionError, "[502]", 0},
		{"500", hubspotError(500, "INTERNAL_ERROR", "internal error"), weft.RuntimeError, "internal error", 0},
	})
}

// The deals HubSpot holds in the trigger test, newest first as the search sorts them.
var hubspotDeals = []string{
	`{"id":"30","properties":{"dealname":"C","hs_lastmodifieddate":"2026-01-03T10:00:00Z"},"createdAt":"2026-01-01T09:00:00Z","updatedAt":"2026-01-03T10:00:00Z","archived":false}`,
	`{"id":"20","properties":{"dealname":"B","hs_lastmodifieddate":"2026-01-02T10:00:00Z"},"createdAt":"2026-01-01T08:00:00Z","updatedAt":"2026-01-02T10:00:00Z","archived":false}`,
	`{"id":"10","properties":{"dealname":"A","hs_lastmodifieddate":"2026-01-01T10:00:00Z"},"createdAt":"2026-01-01T07:00:00Z","updatedAt":"2026-01-01T10:00:00Z","archived":false}`,
}

// Blueprint 020's trigger: deals updated since the last run, oldest first, limit per run.
func TestHubSpotWatchCRMObjects(t *testing.T) {
	deals := hubspotDeals[1:]
	s := newStandIn(t)
	var bodies []map[string]any
	s.fn = func(r *http.Request, body string) reply {
		if r.Method != "POST" || r.URL.Path != "/crm/v3/objects/deals/search" || r.Header.Get("Authorization") != "Bearer pat-na1-secret" {
			return hubspotError(404, "OBJECT_NOT_FOUND", "resource not found")
		}
		in := jsonBody(t, body)
		bodies = append(bodies, in)
		// Pages of one result, to follow paging.next.after.
		at := 0
		if a, ok := in["after"].(string); ok {
			at = int(a[0] - '0')
		}
		next := ``
		if at+1 < len(deals) {
			next = `,"paging":{"next":{"after":"` + itoa(at+1) + `"}}`
		}
		return ok(`{"total":` + itoa(len(deals)) + `,"results":[` + deals[at] + `]` + next + `}`)
	}
	spec := shipped(t, "hubspotcrm", "WatchCRMObjects", s)
	params, err := app.PrepareParameters(spec, weft.Bundle{"limit": 1000.0, "query": "", "filter": []any{}, "objectType": "deals", "__IMTCONN__": "1",
		"watchPattern": "updated", "outputProperties": []any{"dealname", "hubspot_owner_id", "dealstage"}, "parseCustomFields": true})
	if err != nil {
		t.Fatal(err)
	}
	mod, err := spec.New(app.Config{ModuleID: 1, Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	poller, isPoller := mod.(app.Poller)
	if !isPoller || spec.Kind != app.KindTrigger {
		t.Fatalf("WatchCRMObjects is a %s, not a polling trigger", spec.Kind)
	}
	exec := apptest.NewExec()
	exec.Connections["1"] = hubspotCreds
	call := &app.Call{ModuleID: 1, Params: params, Exec: exec}
	pos, err := poller.Start(t.Context(), call, app.StartFrom{Mode: app.StartAll})
	if err != nil {
		t.Fatal(err)
	}
	items, err := poller.Poll(t.Context(), call, pos)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Bundle["id"] != "10" || items[1].Bundle["id"] != "20" || items[0].Key == "" {
		t.Fatalf("items %+v", items)
	}
	sameJSON(t, "search", bodies[0], `{"filterGroups":[],"sorts":[{"propertyName":"hs_lastmodifieddate","direction":"DESCENDING"}],
		"properties":["dealname","hubspot_owner_id","dealstage"],"limit":100}`)
	if bodies[1]["after"] != "1" {
		t.Fatalf("second page %v", bodies[1])
	}
	// A deal updated since: only it comes, and paging stops at the first page that
	// reaches the position.
	deals = hubspotDeals
	bodies = nil
	items, err = poller.Poll(t.Context(), call, items[1].Position)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Bundle["id"] != "30" || len(bodies) != 2 {
		t.Fatalf("items %+v after %d pages", items, len(bodies))
	}
}

// The other reads (contacts, deals, line items, quotes) and the contact update: each
// one request on its object's path, the chosen properties joined in one query value,
// the object as HubSpot answers it.
func TestHubSpotReadsAndUpdateContact(t *testing.T) {
	object := func(id, props string) string {
		return `{"id":"` + id + `","properties":{` + props + `},"createdAt":"2026-01-01T10:00:00Z","updatedAt":"2026-01-02T10:00:00Z","archived":false}`
	}
	cases := []struct {
		module, mapper, method, path, query, body, answer string
	}{
		{"getContact", `{"contactId": "51", "outputProperties": ["email", "firstname"]}`, "GET", "/crm/v3/objects/contacts/51", "properties=email%2Cfirstname", "",
			object("51", `"email":"ada@example.com","firstname":"Ada"`)},
		{"getDeal", `{"dealId": "9", "outputProperties": ["dealname", "amount", "dealstage"]}`, "GET", "/crm/v3/objects/deals/9", "properties=dealname%2Camount%2Cdealstage", "",
			object("9", `"dealname":"Renewal","amount":"1200","dealstage":"closedwon"`)},
		{"getALineItem", `{"lineItemId": "7001"}`, "GET", "/crm/v3/objects/line_items/7001", "", "",
			object("7001", `"name":"Seat","quantity":"3","price":"40"`)},
		{"getAQuote", `{"id": "q/1", "outputProperties": ["hs_title"]}`, "GET", "/crm/v3/objects/quotes/q%2F1", "properties=hs_title", "",
			object("q/1", `"hs_title":"Q-2026"`)},
		{"updateContact", `{"contactId": "51", "_method": "compact", "properties": [{"key": "lifecyclestage", "value": "customer"}, {"key": "phone", "value": "+33 1 23"}]}`,
			"PATCH", "/crm/v3/objects/contacts/51", "", `{"properties":{"lifecyclestage":"customer","phone":"+33 1 23"}}`,
			object("51", `"lifecyclestage":"customer","phone":"+33 1 23"`)},
	}
	for _, c := range cases {
		t.Run(c.module, func(t *testing.T) {
			s := newStandIn(t, ok(c.answer))
			out, err := run(t, shipped(t, "hubspotcrm", c.module, s), hubspotCreds, c.mapper)
			if err != nil {
				t.Fatal(err)
			}
			g := s.only(t)
			if g.Method != c.method || g.Path != c.path || g.Query != c.query || g.Header.Get("Authorization") != "Bearer pat-na1-secret" {
				t.Fatalf("request %s %s?%s auth %q; want %s %s?%s", g.Method, g.Path, g.Query, g.Header.Get("Authorization"), c.method, c.path, c.query)
			}
			if c.body != "" {
				sameJSON(t, "body", jsonBody(t, g.Body), c.body)
			} else if g.Body != "" {
				t.Fatalf("a read sent a body: %q", g.Body)
			}
			sameJSON(t, "output", out, "["+c.answer+"]")
		})
	}
	// A contact that does not exist: DataError with HubSpot's message and category.
	checkDocumented(t, "hubspotcrm", "getContact", hubspotCreds, `{"contactId": "404"}`, []documented{
		{"404 not found", hubspotError(404, "OBJECT_NOT_FOUND", "resource not found"), weft.DataError, "resource not found (OBJECT_NOT_FOUND)", 0},
		{"401", hubspotError(401, "INVALID_AUTHENTICATION", "Authentication credentials not found."), weft.InvalidAccessTokenError, "INVALID_AUTHENTICATION", 0},
	})
}
