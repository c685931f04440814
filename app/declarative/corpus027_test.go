package declarative_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/value"
)

// 027 (high-ticket-sales-apify): two companies hiring SDRs come from an Apify dataset
// (module 1, an action first, limit 2). Per company: Google's results page for its
// name (4) as text (5), Claude picks its domain out (7) as JSON (10); then router 13:
//
//   - the job poster's name is known (route 1): Anymail finder searches the poster's
//     email (11), the company's site (18) as text (20) is summed up by OpenAI (21),
//     Claude writes the email (14) and Instantly adds the lead (23);
//   - no poster (route 2): Anymail finder searches the CEO (12), then the same
//     site, summary, email (17, 19, 22, 15) and Instantly (24).
//
// The author left both Instantly modules unconfigured (no connection, no mapper): as
// exported weft refuses to compile it, naming module 23's connection (Make would not
// run it either). The other subtests do what the person importing it does: pick a
// connection and map the lead (instantly027). Google's address is pointed at a
// stand-in; the company's site is one too, through the domain Claude answers.

// conns027 are 027's connections by the export's ids, and the one the person picks for
// Instantly.
var conns027 = map[string]weft.Bundle{
	"3728938": {"apiToken": "apify-027"},
	"3638733": {"apiKey": "sk-ant-027"},
	"3303632": {"apiKey": "sk-openai-027"},
	"3684500": {"apiKey": "amf-027"},
	"9100027": {"apiKey": "instantly-027"},
}

// instantly027 is how the person configures modules 23 and 24: the found email, the
// first name, the email Claude wrote as the personalization.
var instantly027 = map[int]string{
	23: `{"campaign": "camp-sdr", "email": "{{11.email}}", "first_name": "{{get(split(1.posterFullName; space); 1)}}",
		"company_name": "{{1.companyName}}", "personalization": "{{14.textResponse}}", "skip_if_in_workspace": true}`,
	24: `{"campaign": "camp-sdr", "email": "{{12.email}}", "first_name": "{{get(split(12.person_full_name; space); 1)}}",
		"company_name": "{{1.companyName}}", "personalization": "{{15.textResponse}}", "skip_if_in_workspace": true}`,
}

// world027 is one run's stand-ins.
type world027 struct {
	apify, google, site, anthropic, openai, anymail, instantly *standIn
	eng                                                        *engine.Engine
	plan                                                       *engine.Plan
	compileErr                                                 error // the export refused
}

// new027 builds the stand-ins: poster is Anymail's answer for the poster's search.
func new027(t *testing.T, configured bool, poster string) *world027 {
	t.Helper()
	w := &world027{}
	w.apify = newStandIn(t, ok(`[{"companyName":"Acme Robotics","posterFullName":"Ryan Thompson","jobTitle":"SDR"},
		{"companyName":"Globex","jobTitle":"Senior SDR"}]`))
	w.google = newStandIn(t)
	w.google.fn = func(r *http.Request, _ string) reply {
		q := r.URL.Query().Get("q")
		return reply{status: 200, header: map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body: `<html><body><h3>` + q + ` – Official site</h3><cite>` + strings.ToLower(strings.Fields(q)[0]) + `.example</cite></body></html>`}
	}
	w.site = newStandIn(t)
	w.site.fn = func(*http.Request, string) reply {
		return reply{status: 200, header: map[string]string{"Content-Type": "text/html"}, body: `<html><body><h1>We sell robots</h1><p>Subscriptions from $99.</p></body></html>`}
	}
	siteHost := strings.TrimPrefix(w.site.URL, "http://")
	// Claude answers the domain question with the site's address (the stand-in's), and
	// the email question with an email naming whom it greets.
	w.anthropic = newStandIn(t)
	w.anthropic.fn = func(_ *http.Request, body string) reply {
		if strings.Contains(body, "Extract the domain name") {
			return claude(`{"domain": "` + siteHost + `"}`)
		}
		greet := "there"
		if strings.Contains(body, "Hey  -- Ryan") {
			greet = "Ryan"
		}
		return claude("Hey " + greet + ", congrats on the robots subscription!")
	}
	w.openai = newStandIn(t, ok(`{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,
		"message":{"role":"assistant","content":"Robots by subscription for warehouses."},"finish_reason":"stop"}],
		"usage":{"prompt_tokens":900,"completion_tokens":20,"total_tokens":920}}`))
	w.anymail = newStandIn(t)
	w.anymail.fn = func(r *http.Request, _ string) reply {
		if r.Header.Get("Authorization") != "Bearer amf-027" {
			return anymailError(401, "not_authorized", "Please make sure you are authenticating the request.")
		}
		if r.URL.Path == "/find-email/person" {
			return ok(poster)
		}
		return ok(`{"email":"jane@globex.example","email_status":"valid","valid_email":"jane@globex.example",
			"person_full_name":"Jane Doe","person_job_title":"CEO","person_linkedin_url":"https://www.linkedin.com/in/janedoe"}`)
	}
	w.instantly = newStandIn(t)
	w.instantly.fn = func(_ *http.Request, body string) reply {
		var lead map[string]any
		_ = json.Unmarshal([]byte(body), &lead)
		return ok(`{"id":"lead-` + value.Text(lead["first_name"]) + `","campaign":"camp-sdr","email":"` + value.Text(lead["email"]) + `"}`)
	}
	reg := fullRegistry(t, map[string]string{"apify": w.apify.URL, "anthropic-claude": w.anthropic.URL,
		"openai-gpt-3": w.openai.URL, "anymailfinder": w.anymail.URL, "instantly": w.instantly.URL})
	eng, err := engine.New(engine.Options{Registry: reg, Clock: func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) },
		NewID: func() string { return "exec-1" },
		Connections: func(ref any) (weft.Bundle, error) {
			c, found := conns027[value.Text(ref)]
			if !found {
				return nil, weft.Errorf(weft.InvalidConfigurationError, "connection %q not found", value.Text(ref))
			}
			return c, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	bp := blueprint027(t, configured, w.google.URL)
	w.plan, w.compileErr = eng.Compile(bp)
	if w.compileErr != nil && configured {
		t.Fatalf("compile 027: %v", w.compileErr)
	}
	return w
}

// blueprint027 reads the export with Google's address replaced; configured, modules
// 23 and 24 get the person's connection and mapper.
func blueprint027(t *testing.T, configured bool, googleURL string) *blueprint.Blueprint {
	t.Helper()
	data, err := os.ReadFile(corpus.Path("027-high-ticket-sales-apify.json"))
	if err != nil {
		t.Fatal(err)
	}
	const google = "https://www.google.com"
	if strings.Count(string(data), google) != 1 {
		t.Fatalf("027 calls %s %d times, want once", google, strings.Count(string(data), google))
	}
	data = []byte(strings.Replace(string(data), google, googleURL, 1))
	if configured {
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		found := 0
		var walk func(flow []any)
		walk = func(flow []any) {
			for _, m := range flow {
				mod := m.(map[string]any)
				if id := int(mod["id"].(float64)); instantly027[id] != "" {
					if mod["mapper"] != nil || mod["parameters"] != nil {
						t.Fatalf("027's module %d is configured already", id)
					}
					mod["parameters"] = map[string]any{"__IMTCONN__": 9100027}
					mod["mapper"] = decode(t, instantly027[id])
					found++
				}
				routes, _ := mod["routes"].([]any)
				for _, r := range routes {
					walk(r.(map[string]any)["flow"].([]any))
				}
			}
		}
		walk(raw["flow"].([]any))
		if found != 2 {
			t.Fatalf("configured %d Instantly modules, want 2", found)
		}
		if data, err = json.Marshal(raw); err != nil {
			t.Fatal(err)
		}
	}
	bp, err := blueprint.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return bp
}

func (w *world027) run(t *testing.T) *engine.Result {
	t.Helper()
	res, err := w.eng.Run(t.Context(), w.plan, engine.Input{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const poster027 = `{"email":"ryan@acme.example","email_status":"valid","valid_email":"ryan@acme.example"}`

func TestCorpus027HiringCompaniesToInstantly(t *testing.T) {
	t.Run("as exported: the unconfigured Instantly module is refused", func(t *testing.T) {
		err := new027(t, false, poster027).compileErr
		if err == nil || !strings.Contains(err.Error(), "module 23 (instantly:addLeadToCampaign)") ||
			!strings.Contains(err.Error(), "__IMTCONN__: missing value of required field") {
			t.Fatalf("compile error = %v", err)
		}
	})

	t.Run("configured: both companies reach the campaign", func(t *testing.T) {
		w := new027(t, true, poster027)
		res := w.run(t)
		if res.Status != weft.StatusSuccess {
			t.Fatalf("status %s error %+v", res.Status, res.Error)
		}
		// Apify: the dataset's first two clean items.
		g := w.apify.only(t)
		if g.Path != "/v2/datasets/7O8qvnXCJCaQpfOPw/items" || g.Query != "clean=true&format=json&limit=2" ||
			g.Header.Get("Authorization") != "Bearer apify-027" {
			t.Fatalf("apify %s?%s auth %q", g.Path, g.Query, g.Header.Get("Authorization"))
		}
		// Google searched once per company.
		if r := w.google.requests(); len(r) != 2 || r[0].Query != "q=Acme%20Robotics" && r[0].Query != "q=Acme+Robotics" || r[1].Query != "q=Globex" {
			t.Fatalf("google %+v", r)
		}
		// Anymail: the poster's email by name and the domain Claude found, then the
		// CEO of the company without a poster.
		a := w.anymail.requests()
		if len(a) != 2 || a[0].Path != "/find-email/person" || a[1].Path != "/find-email/decision-maker" {
			t.Fatalf("anymail %+v", a)
		}
		siteHost := strings.TrimPrefix(w.site.URL, "http://")
		sameJSON(t, "person search", jsonBody(t, a[0].Body), `{"full_name":"Ryan Thompson","company_name":"`+siteHost+`"}`)
		sameJSON(t, "decision maker search", jsonBody(t, a[1].Body), `{"domain":"`+siteHost+`","decision_maker_category":["ceo"]}`)
		// The site read on both routes, summed up by OpenAI, an email by Claude each.
		if n := len(w.site.requests()); n != 2 {
			t.Fatalf("site requests %d", n)
		}
		if n := len(w.openai.requests()); n != 2 {
			t.Fatalf("openai requests %d", n)
		}
		if n := len(w.anthropic.requests()); n != 4 {
			t.Fatalf("anthropic requests %d", n)
		}
		// Instantly: one lead per company, in the campaign, with Claude's email.
		l := w.instantly.requests()
		if len(l) != 2 || l[0].Method != "POST" || l[0].Path != "/leads" || l[0].Header.Get("Authorization") != "Bearer instantly-027" {
			t.Fatalf("instantly %+v", l)
		}
		sameJSON(t, "lead 1", jsonBody(t, l[0].Body), `{"campaign":"camp-sdr","email":"ryan@acme.example","first_name":"Ryan",
			"company_name":"Acme Robotics","personalization":"Hey Ryan, congrats on the robots subscription!","skip_if_in_workspace":true}`)
		sameJSON(t, "lead 2", jsonBody(t, l[1].Body), `{"campaign":"camp-sdr","email":"jane@globex.example","first_name":"Jane",
			"company_name":"Globex","personalization":"Hey there, congrats on the robots subscription!","skip_if_in_workspace":true}`)
	})

	// Anymail finds only a risky address for the poster: with "fully verified only"
	// the email is empty, so Instantly's required email stops module 23 before any
	// call; 027 turns dlq off, so the run fails there (Make's default), and the
	// second company is not processed.
	t.Run("a risky email is not sent to Instantly: the run fails on module 23", func(t *testing.T) {
		w := new027(t, true, `{"email":"ryan@acme.example","email_status":"risky","valid_email":null}`)
		res := w.run(t)
		if res.Status != weft.StatusError || res.Error == nil || res.Error.ModuleID != 23 || res.Error.Type != weft.DataError ||
			res.Error.Message != "email: missing value of required field" || len(res.Incomplete) != 0 {
			t.Fatalf("status %s error %+v incomplete %d", res.Status, res.Error, len(res.Incomplete))
		}
		if n := len(w.instantly.requests()); n != 0 {
			t.Fatalf("instantly requests %d", n)
		}
		if n := len(w.google.requests()); n != 1 {
			t.Fatalf("google requests %d: the run went on after the failure", n)
		}
	})
}
