package declarative_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

// --- Anymail finder ---

var anymailCreds = weft.Bundle{"apiKey": "amf-key"}

func anymailError(status int, code, explained string) reply {
	return reply{status: status, body: `{"error":"` + code + `","error_explained":"` + explained + `"}`}
}

// anymailAPI answers as the API v5.1 reference documents: POST with a JSON body, the
// key as a bearer token, a result of 200 whether an email was found or not.
func anymailAPI(t *testing.T, answer string) *standIn {
	s := newStandIn(t)
	s.fn = func(r *http.Request, _ string) reply {
		if r.Header.Get("Authorization") != "Bearer amf-key" {
			return anymailError(401, "not_authorized", "Please make sure you are authenticating the request.")
		}
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			return anymailError(400, "bad_request", "POST a JSON body")
		}
		return ok(answer)
	}
	return s
}

// Blueprint 366's person search: the poster's name split in first and last, the
// company's domain searched "by company name", fully verified emails only.
func TestAnymailFinderPerson(t *testing.T) {
	mapper := `{"full_name": "", "first_name": "Ryan", "last_name": "Thompson", "company_name": "acme.example",
		"searchCriteria": "companyName", "not_found_error": false, "fully_verified_only": true}`
	s := anymailAPI(t, `{"email":"ryan@acme.example","email_status":"valid","valid_email":"ryan@acme.example"}`)
	out, err := run(t, shipped(t, "anymailfinder", "emailSearchPerson", s), anymailCreds, mapper)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/find-email/person" {
		t.Fatalf("path %s", g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"first_name":"Ryan","last_name":"Thompson","company_name":"acme.example"}`)
	sameJSON(t, "output", out, `[{"email":"ryan@acme.example","email_status":"valid","valid_email":"ryan@acme.example"}]`)

	// A full name wins over the parts; "by domain" sends the domain.
	s = anymailAPI(t, `{"email":"ryan@acme.example","email_status":"risky","valid_email":null}`)
	out, err = run(t, shipped(t, "anymailfinder", "emailSearchPerson", s), anymailCreds,
		`{"full_name": "Ryan Thompson", "first_name": "Ryan", "domain": "acme.example", "searchCriteria": "domain", "fully_verified_only": true}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"full_name":"Ryan Thompson","domain":"acme.example"}`)
	// A risky email is not a fully verified one: email is empty text, the status says why.
	sameJSON(t, "risky output", out, `[{"email":"","email_status":"risky","valid_email":null}]`)

	// Without the filter the risky email is the output's.
	s = anymailAPI(t, `{"email":"ryan@acme.example","email_status":"risky","valid_email":null}`)
	out, err = run(t, shipped(t, "anymailfinder", "emailSearchPerson", s), anymailCreds,
		`{"full_name": "Ryan Thompson", "domain": "acme.example", "searchCriteria": "domain", "fully_verified_only": false}`)
	if err != nil || out[0]["email"] != "ryan@acme.example" {
		t.Fatalf("output %v err %v", out, err)
	}

	// Nobody found: a bundle saying so (366 sets not_found_error false), or, when the
	// module is told to, a DataError the route's error handler can catch.
	notFound := `{"email":null,"email_status":"not_found","valid_email":null}`
	s = anymailAPI(t, notFound)
	out, err = run(t, shipped(t, "anymailfinder", "emailSearchPerson", s), anymailCreds, mapper)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "not found", out, `[{"email":"","email_status":"not_found","valid_email":null}]`)
	s = anymailAPI(t, notFound)
	_, err = run(t, shipped(t, "anymailfinder", "emailSearchPerson", s), anymailCreds,
		`{"full_name": "Nobody", "domain": "acme.example", "searchCriteria": "domain", "fully_verified_only": true, "not_found_error": true}`)
	if e := weft.AsError(err); err == nil || e == nil || e.Type != weft.DataError || e.Message != "[200] No email found (email_status not_found)" {
		t.Fatalf("not found with not_found_error: %v", err)
	}
}

// Blueprint 366's decision-maker search: the CEO of the domain Claude extracted.
func TestAnymailFinderDecisionMaker(t *testing.T) {
	s := anymailAPI(t, `{"email":"jane@acme.example","email_status":"valid","valid_email":"jane@acme.example",
		"person_full_name":"Jane Doe","person_job_title":"Founder & CEO","person_linkedin_url":"https://www.linkedin.com/in/janedoe"}`)
	out, err := run(t, shipped(t, "anymailfinder", "emailSearchDecisionMaker", s), anymailCreds,
		`{"domain": "acme.example", "searchCriteria": "domain", "not_found_error": false, "fully_verified_only": true, "decision_maker_category": "ceo"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/find-email/decision-maker" {
		t.Fatalf("path %s", g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"domain":"acme.example","decision_maker_category":["ceo"]}`)
	if out[0]["email"] != "jane@acme.example" || out[0]["person_job_title"] != "Founder & CEO" {
		t.Fatalf("output %v", out)
	}
	// By company name.
	s = anymailAPI(t, `{"email":null,"email_status":"not_found","valid_email":null}`)
	if _, err := run(t, shipped(t, "anymailfinder", "emailSearchDecisionMaker", s), anymailCreds,
		`{"company_name": "Acme", "searchCriteria": "companyName", "fully_verified_only": true, "decision_maker_category": "sales"}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"company_name":"Acme","decision_maker_category":["sales"]}`)
}

func TestAnymailFinderErrors(t *testing.T) {
	for _, module := range []string{"emailSearchPerson", "emailSearchDecisionMaker"} {
		t.Run(module, func(t *testing.T) {
			checkDocumented(t, "anymailfinder", module, anymailCreds,
				`{"full_name": "Ryan Thompson", "domain": "acme.example", "searchCriteria": "domain", "fully_verified_only": true, "decision_maker_category": "ceo"}`, []documented{
					{"401", anymailError(401, "not_authorized", "Please make sure you are authenticating the request."), weft.InvalidAccessTokenError, "[401] Please make sure you are authenticating the request. (not_authorized)", 0},
					{"402 no credits", anymailError(402, "payment_required", "You have no credits left."), weft.InvalidConfigurationError, "no credits left", 0},
					{"400", anymailError(400, "bad_request", "Please provide a domain or a company name."), weft.DataError, "(bad_request)", 0},
					{"503 busy", anymailError(503, "server_busy", "Our server is currently under heavy load, please slow down."), weft.ConnectionError, "heavy load", 0},
					{"500", reply{status: 500, body: `Internal Server Error`, header: map[string]string{"Content-Type": "text/plain"}}, weft.RuntimeError, "Internal Server Error", 0},
				})
		})
	}
}

// --- Instantly ---

var instantlyCreds = weft.Bundle{"apiKey": "inst-key"}

func instantlyError(status int, name, msg string) reply {
	return reply{status: status, body: `{"statusCode":` + itoa(status) + `,"error":"` + name + `","message":"` + msg + `"}`}
}

func TestInstantlyAddLeadToCampaign(t *testing.T) {
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("Authorization") != "Bearer inst-key" {
			return instantlyError(401, "Unauthorized", "Invalid API key")
		}
		if r.Method != "POST" || r.URL.Path != "/leads" {
			return instantlyError(404, "Not Found", "Route not found")
		}
		return ok(`{"id":"019a-lead","timestamp_created":"2026-03-04T05:06:07.000Z","organization":"org-1","campaign":"3fe86e51-baed-4fda-9b81-c6f8c2b93063",
			"status":1,"email":"jane@acme.example","first_name":"Jane","company_name":"Acme","personalization":"Saw you are hiring SDRs"}`)
	}
	out, err := run(t, shipped(t, "instantly", "addLeadToCampaign", s), instantlyCreds,
		`{"campaign": "3fe86e51-baed-4fda-9b81-c6f8c2b93063", "email": "jane@acme.example", "first_name": "Jane", "last_name": "",
		"company_name": "Acme", "personalization": "Saw you are hiring SDRs", "skip_if_in_workspace": true,
		"custom_variables": [{"key": "jobTitle", "value": "Founder & CEO"}, {"key": "", "value": "dropped"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	sameJSON(t, "body", jsonBody(t, g.Body), `{"campaign":"3fe86e51-baed-4fda-9b81-c6f8c2b93063","email":"jane@acme.example","first_name":"Jane",
		"company_name":"Acme","personalization":"Saw you are hiring SDRs","custom_variables":{"jobTitle":"Founder & CEO"},"skip_if_in_workspace":true}`)
	if out[0]["id"] != "019a-lead" || out[0]["campaign"] != "3fe86e51-baed-4fda-9b81-c6f8c2b93063" {
		t.Fatalf("output %v", out)
	}
	// Blueprint 366 left the module unconfigured: the run stops on it before any call.
	s = newStandIn(t)
	if _, err := run(t, shipped(t, "instantly", "addLeadToCampaign", s), instantlyCreds, `{}`); err == nil || len(s.requests()) != 0 {
		t.Fatalf("an empty mapper: %v, requests %d", err, len(s.requests()))
	}
}

func TestInstantlyErrors(t *testing.T) {
	checkDocumented(t, "instantly", "addLeadToCampaign", instantlyCreds, `{"campaign": "c1", "email": "jane@acme.example"}`, []documented{
		{"401", instantlyError(401, "Unauthorized", "Invalid API key"), weft.InvalidAccessTokenError, "[401] Invalid API key (Unauthorized)", 0},
		{"403 scope", instantlyError(403, "Forbidden", "API key does not have the required scope"), weft.InvalidConfigurationError, "required scope", 0},
		{"400 invalid email", instantlyError(400, "Bad Request", "body/email must match format \\\"email\\\""), weft.DataError, "must match format", 0},
		{"404 campaign", instantlyError(404, "Not Found", "Campaign not found"), weft.DataError, "Campaign not found", 0},
		{"429", reply{status: 429, body: `{"statusCode":429,"error":"Too Many Requests","message":"Rate limit exceeded, retry in 1 minute"}`, header: map[string]string{"Retry-After": "60"}},
			weft.RateLimitError, "Rate limit exceeded", time.Minute},
		{"500", instantlyError(500, "Internal Server Error", "Something went wrong"), weft.RuntimeError, "Something went wrong", 0},
	})
}
