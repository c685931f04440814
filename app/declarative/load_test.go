package declarative_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/declarative"
	"github.com/weftworks/weft/apps"
)

// validDef is the smallest useful definition; each case breaks one thing in it.
const validDef = `{
  "name": "demo",
  "base": {"baseUrl": "https://api.demo.test/v1"},
  "connection": {"type": "bearer"},
  "modules": {
    "Send": {
      "mapper": [{"name": "text", "type": "text", "required": true}],
      "communication": {"url": "/send", "method": "POST", "body": {"text": "{{parameters.text}}"},
        "response": {"output": {"id": "{{body.id}}"}}}
    }
  }
}`

// patched returns validDef with change applied to its decoded form.
func patched(t *testing.T, change func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validDef), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func comm(m map[string]any) map[string]any { return obj(m, "modules", "Send", "communication") }

func TestLoadValid(t *testing.T) {
	specs, err := declarative.LoadOptions(fstest.MapFS{"demo.json": {Data: []byte(validDef)}}, declarative.Options{Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 || specs[0].Name != "demo:Send" || specs[0].Kind != app.KindAction {
		t.Fatalf("specs %+v", specs)
	}
	// The connection parameter is declared for every module of an app with a connection.
	p := specs[0].Parameters
	if len(p) != 1 || p[0].Name != "__IMTCONN__" || !p[0].Required || len(specs[0].Mapper) != 1 {
		t.Fatalf("parameters %+v mapper %+v", p, specs[0].Mapper)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		def  string
		want string
	}{
		{"not JSON", "{\n  \"name\": \"demo\",\n  oops\n}", `demo.json#: invalid JSON: line 3 column 3`},
		{"no name", patched(t, func(m map[string]any) { delete(m, "name") }), `demo.json#/name: required`},
		{"bad app name", patched(t, func(m map[string]any) { m["name"] = "Demo App" }), `demo.json#/name: "Demo App" is not an app name`},
		{"misspelt section", patched(t, func(m map[string]any) { m["modles"] = map[string]any{} }), `demo.json#/modles: unknown key`},
		{"no base", patched(t, func(m map[string]any) { delete(m, "base") }), `demo.json#/base: required`},
		{"relative base URL", patched(t, func(m map[string]any) { obj(m, "base")["baseUrl"] = "api.demo.test" }),
			`demo.json#/base/baseUrl: "api.demo.test" is not an absolute http or https URL`},
		{"template in base URL", patched(t, func(m map[string]any) { obj(m, "base")["baseUrl"] = "https://{{connection.host}}" }),
			`demo.json#/base/baseUrl: "https://{{connection.host}}": a base URL is plain text`},
		{"OAuth 2 without a provider", patched(t, func(m map[string]any) { obj(m, "connection")["type"] = "oauth2" }),
			`demo.json#/connection/provider: required`},
		{"OAuth 2 unknown provider", patched(t, func(m map[string]any) {
			m["connection"] = map[string]any{"type": "oauth2", "provider": "myspace"}
		}), `demo.json#/connection/provider: "myspace" is not an OAuth provider weft knows (airtable, discord, google`},
		{"OAuth 2 scopes not texts", patched(t, func(m map[string]any) {
			m["connection"] = map[string]any{"type": "oauth2", "provider": "google", "scopes": []any{"a", 3.0}}
		}), `demo.json#/connection/scopes/1: a scope is a non-empty text`},
		{"OAuth 2 option of bearer", patched(t, func(m map[string]any) {
			m["connection"] = map[string]any{"type": "oauth2", "provider": "google", "token": "{{connection.x}}"}
		}), `demo.json#/connection/token: not used by a oauth2 connection`},
		{"unknown connection type", patched(t, func(m map[string]any) { obj(m, "connection")["type"] = "magic" }),
			`demo.json#/connection/type: "magic" is not a connection type`},
		{"API key without a name", patched(t, func(m map[string]any) { obj(m, "connection")["type"] = "apiKey" }),
			`demo.json#/connection/name: required`},
		{"API key in the body", patched(t, func(m map[string]any) {
			m["connection"] = map[string]any{"type": "apiKey", "name": "k", "in": "body"}
		}), `demo.json#/connection/in: "body": an API key goes in the header or the query`},
		{"option of another type", patched(t, func(m map[string]any) { obj(m, "connection")["username"] = "u" }),
			`demo.json#/connection/username: not used by a bearer connection`},
		{"no modules", patched(t, func(m map[string]any) { delete(m, "modules") }), `demo.json#/modules: required: at least one module`},
		{"bad module name", patched(t, func(m map[string]any) { obj(m, "modules")["send-it"] = obj(m, "modules", "Send") }),
			`demo.json#/modules/send-it: "send-it" is not a module name`},
		{"no communication", patched(t, func(m map[string]any) { delete(obj(m, "modules", "Send"), "communication") }),
			`demo.json#/modules/Send/communication: required`},
		{"no url", patched(t, func(m map[string]any) { delete(comm(m), "url") }), `demo.json#/modules/Send/communication/url: required`},
		{"bad method", patched(t, func(m map[string]any) { comm(m)["method"] = "FETCH" }),
			`demo.json#/modules/Send/communication/method: "FETCH" is not an HTTP method`},
		{"bad body type", patched(t, func(m map[string]any) { comm(m)["type"] = "xml" }),
			`demo.json#/modules/Send/communication/type: "xml" is not a body type`},
		{"misspelt response key", patched(t, func(m map[string]any) { comm(m)["response"] = map[string]any{"outptu": "{{body}}"} }),
			`demo.json#/modules/Send/communication/response/outptu: unknown key (expected one of output, iterate, limit, error`},
		{"template syntax", patched(t, func(m map[string]any) { comm(m)["body"] = map[string]any{"text": "{{parameters.text"} }),
			`demo.json#/modules/Send/communication/body/text: template "{{parameters.text": syntax error at offset`},
		{"syntax offset is the source's", patched(t, func(m map[string]any) { comm(m)["url"] = "{{parameters.a + }}" }),
			`demo.json#/modules/Send/communication/url: template "{{parameters.a + }}": syntax error at offset 17`},
		{"misspelt root", patched(t, func(m map[string]any) { comm(m)["body"] = map[string]any{"text": "{{paramters.text}}"} }),
			`demo.json#/modules/Send/communication/body/text: template "{{paramters.text}}": unknown name "paramters"`},
		{"module reference", patched(t, func(m map[string]any) { comm(m)["url"] = "/send/{{1.id}}" }),
			`demo.json#/modules/Send/communication/url: template "/send/{{1.id}}" reads module 1's output`},
		{"response root in a request", patched(t, func(m map[string]any) { comm(m)["qs"] = map[string]any{"x": "{{body.next}}"} }),
			`demo.json#/modules/Send/communication/qs/x: template "{{body.next}}": body is not available here`},
		{"item without iterate", patched(t, func(m map[string]any) { comm(m)["response"] = map[string]any{"output": "{{item}}"} }),
			`demo.json#/modules/Send/communication/response/output: template "{{item}}": item is not available here`},
		{"unknown transform", patched(t, func(m map[string]any) {
			comm(m)["body"] = map[string]any{"$merg": []any{}}
		}), `demo.json#/modules/Send/communication/body/$merg: unknown transform $merg`},
		{"merge of a non-array", patched(t, func(m map[string]any) { comm(m)["body"] = map[string]any{"$merge": "{{parameters}}"} }),
			`demo.json#/modules/Send/communication/body/$merge: $merge takes an array of collections`},
		{"headers not an object", patched(t, func(m map[string]any) { comm(m)["headers"] = "X-A: 1" }),
			`demo.json#/modules/Send/communication/headers: must be an object, got text`},
		{"unknown field type", patched(t, func(m map[string]any) {
			obj(m, "modules", "Send")["mapper"] = []any{map[string]any{"name": "n", "type": "texte"}}
		}), `demo.json#/modules/Send/mapper/0/type: "texte" is not a field type`},
		{"field twice", patched(t, func(m map[string]any) {
			obj(m, "modules", "Send")["mapper"] = []any{map[string]any{"name": "n"}, map[string]any{"name": "n"}}
		}), `demo.json#/modules/Send/mapper/1/name: field "n" is declared twice`},
		{"default of the wrong type", patched(t, func(m map[string]any) {
			obj(m, "modules", "Send")["mapper"] = []any{map[string]any{"name": "n", "type": "number", "default": "many"}}
		}), `demo.json#/modules/Send/mapper/0/default: default does not fit the field's type`},
		{"timeout too long", patched(t, func(m map[string]any) { obj(m, "modules", "Send")["timeout"] = 3600 }),
			`demo.json#/modules/Send/timeout: must be a whole number from 1 to 300`},
		{"pagination that changes nothing", patched(t, func(m map[string]any) {
			comm(m)["pagination"] = map[string]any{"condition": "{{body.more}}"}
		}), `demo.json#/modules/Send/communication/pagination: a pagination changes the url, qs, body or headers`},
		{"no pages", patched(t, func(m map[string]any) {
			comm(m)["pagination"] = map[string]any{"qs": map[string]any{"page": "{{pagination.page}}"}, "maxPages": 0}
		}), `demo.json#/modules/Send/communication/pagination/maxPages: must be a whole number from 1 to 10000`},
		{"filter without operand", patched(t, func(m map[string]any) {
			comm(m)["response"] = map[string]any{"iterate": map[string]any{"container": "{{body.rows}}",
				"filter": map[string]any{"conditions": "{{parameters.filter}}"}}}
		}), `demo.json#/modules/Send/communication/response/iterate/filter/operand: required`},
		{"condition outside a filter operand", patched(t, func(m map[string]any) {
			comm(m)["response"] = map[string]any{"iterate": map[string]any{"container": "{{body.rows}}", "condition": "{{condition.a}}"}}
		}), `demo.json#/modules/Send/communication/response/iterate/condition: template "{{condition.a}}": condition is not available here`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := declarative.LoadOptions(fstest.MapFS{"demo.json": {Data: []byte(tc.def)}}, declarative.Options{Getenv: noEnv})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %s", err, tc.want)
			}
			var le *declarative.LoadError
			if !errors.As(err, &le) || le.File != "demo.json" {
				t.Fatalf("error %T %v is not a LoadError naming demo.json", err, err)
			}
		})
	}
}

func TestLoadSameAppTwice(t *testing.T) {
	_, err := declarative.LoadOptions(fstest.MapFS{"a.json": {Data: []byte(validDef)}, "b.json": {Data: []byte(validDef)}},
		declarative.Options{Getenv: noEnv})
	if err == nil || err.Error() != `b.json#/name: app "demo" is already defined by a.json` {
		t.Fatalf("error = %v", err)
	}
}

func toFS(m fstest.MapFS) []fs.FS { return []fs.FS{m} }

func TestExtraDefinitionCannotRedefineAShippedApp(t *testing.T) {
	extra := fstest.MapFS{"mine.json": {Data: []byte(strings.Replace(validDef, `"demo"`, `"slack"`, 1))}}
	err := declarative.Register(app.NewRegistry(), declarative.Options{Getenv: noEnv, Extra: toFS(extra)})
	if err == nil || err.Error() != `mine.json#/name: app "slack" is already defined by slack.json` {
		t.Fatalf("error = %v", err)
	}
	extra = fstest.MapFS{"mine.json": {Data: []byte(validDef)}}
	r := app.NewRegistry()
	if err := declarative.Register(r, declarative.Options{Getenv: noEnv, Extra: toFS(extra)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Lookup("demo:Send"); !ok {
		t.Fatal("the extra app is not registered")
	}
}

func TestBaseURLOverrides(t *testing.T) {
	s := newStandIn(t, ok(`{"id":"1"}`))
	other := newStandIn(t, ok(`{"id":"2"}`))
	fsys := fstest.MapFS{"demo.json": {Data: []byte(validDef)}}
	env := func(name string) string {
		if name == "WEFT_APP_BASEURL_DEMO" {
			return other.URL + "/"
		}
		return ""
	}
	for _, tc := range []struct {
		name string
		opts declarative.Options
		want *standIn
	}{
		{"environment", declarative.Options{Getenv: env}, other},
		{"options win over the environment", declarative.Options{Getenv: env, BaseURLs: map[string]string{"demo": s.URL}}, s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs, err := declarative.LoadOptions(fsys, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := run(t, &specs[0], map[string]any{"accessToken": "t"}, `{"text":"hi"}`); err != nil {
				t.Fatal(err)
			}
			if g := tc.want.requests(); len(g) == 0 || g[len(g)-1].Path != "/send" {
				t.Fatalf("requests %+v", g)
			}
		})
	}
	if declarative.EnvVar("google-sheets") != "WEFT_APP_BASEURL_GOOGLE_SHEETS" {
		t.Fatalf("EnvVar = %s", declarative.EnvVar("google-sheets"))
	}
	_, err := declarative.LoadOptions(fsys, declarative.Options{Getenv: func(string) string { return "localhost:8080" }})
	if err == nil || !strings.Contains(err.Error(), `demo.json#/base/baseUrl: WEFT_APP_BASEURL_DEMO: "localhost:8080" is not an absolute http or https URL`) {
		t.Fatalf("error = %v", err)
	}
	_, err = declarative.LoadOptions(fsys, declarative.Options{Getenv: noEnv, BaseURLs: map[string]string{"slak": s.URL}})
	if err == nil || !strings.Contains(err.Error(), `Options.BaseURLs names app "slak", which no definition declares`) {
		t.Fatalf("error = %v", err)
	}
}

// Every shipped definition loads with the real base URLs.
func TestShippedDefinitionsLoad(t *testing.T) {
	specs, err := declarative.Load(apps.FS)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	// One module per line, in name order, so apps added side by side merge cleanly.
	want := strings.Join([]string{
		"airtable:ActionCreateRecord",
		"airtable:ActionGetRecord",
		"airtable:ActionSearchRecords",
		"airtable:ActionUpdateRecords",
		"airtable:TriggerWatchRecords",
		"airtable:upsertRecord",
		"anthropic-claude:createAMessage",
		"anthropic-claude:simpleTextPrompt",
		"anymailfinder:emailSearchDecisionMaker",
		"anymailfinder:emailSearchPerson",
		"apify:fetchDatasetItems",
		"apify:runActor",
		"apify:runActorNew",
		"clickup:editATaskAdvanced",
		"clickup:getListTasks",
		"clio-manage:makeApiCall",
		"discord:AddGuildMemberRole",
		"discord:PostMessage",
		"discord:RemoveGuildMemberRole",
		"discord:createMessage",
		"dumplingai:generateAiImageFluxSchnell",
		"facebook-pages:CreateComment",
		"facebook-pages:CreatePost",
		"facebook-pages:CreatePostWithPhotos",
		"facebook-pages:UploadPhoto",
		"gemini-ai:createACompletionGeminiPro",
		"gemini-ai:createAnImage",
		"gemini-ai:simpleTextPrompt",
		"gemini-ai:uploadAFile",
		"google-calendar:createAnEvent",
		"google-calendar:getACalendar",
		"google-calendar:getFreeBusyInformation",
		"google-cloud-speech:speechRecognize",
		"google-docs:createADocument",
		"google-docs:createADocumentFromTemplate",
		"google-docs:exportADocument",
		"google-docs:replaceATextInADocument",
		"google-drive:copyAFile",
		"google-drive:createAFileFromText",
		"google-drive:createAFolder",
		"google-drive:deleteAFile",
		"google-drive:getAFile",
		"google-drive:moveAFileIntoAFolder",
		"google-drive:searchForFilesFolders",
		"google-drive:shareAFileFolder",
		"google-drive:uploadAFile",
		"google-drive:watchFilesInAFolder",
		"google-forms:watchResponses",
		"google-sheets:addMultipleRows",
		"google-sheets:addRow",
		"google-sheets:clearValuesFromRange",
		"google-sheets:filterRows",
		"google-sheets:getSheetContent",
		"google-sheets:updateCell",
		"google-sheets:updateRow",
		"google-sheets:watchRows",
		"google-sheets:watchUpdatedCells",
		"googlecloudvision:DetectText",
		"groq:chatCompletion",
		"hubspotcrm:ListCRMObjectAssociation",
		"hubspotcrm:MakeAPICall",
		"hubspotcrm:WatchCRMObjects",
		"hubspotcrm:createContact",
		"hubspotcrm:getALineItem",
		"hubspotcrm:getAQuote",
		"hubspotcrm:getCompany",
		"hubspotcrm:getContact",
		"hubspotcrm:getDeal",
		"hubspotcrm:updateContact",
		"hubspotcrm:updateDeal",
		"instagram-business:CreatePostPhoto",
		"instantly:addLeadToCampaign",
		"line:sendABroadcastMessage",
		"line:sendPushMessages",
		"linkedin:CreatePost",
		"linkedin:ShareImage",
		"linkedin:createVideoPost",
		"lokalise:createATask",
		"lokalise:getATask",
		"lokalise:lokaliseRest",
		"mandrill:sendMessage",
		"open-router:createAChatCompletion",
		"openai-gpt-3:CreateCompletion",
		"openai-gpt-3:GenerateImage",
		"openai-gpt-3:analyzeImages",
		"openai-gpt-3:createModelResponse",
		"perplexity-ai:createAChatCompletion",
		"pinterest:createPin",
		"resend:sendEmail",
		"sendgrid:sendMail",
		"slack:CreateMessage",
		"slack:GetUser",
		"slack:SearchMessages",
		"slack:createMessage",
		"supabase:createARow",
		"supabase:uploadAFile",
		"supabase:upsertARecord",
		"supabase:upsertRecord",
		"telegram:ActionSendMessage",
		"telegram:DownloadFile",
		"telegram:SendPhoto",
		"telegram:SendReplyMessage",
		"telegram:SendVideo",
		"telegram:WatchUpdates",
		"twilio:sendSMS",
		"twitter:createATweet",
		"twitter:uploadAMedia",
		"typeform:ListResponses",
		"typeform:TriggerNewEntry",
		"typeform:WatchEventsWithResponses",
		"vapi:createOutboundPhoneCall",
		"vapi:endOfCallReport",
		"weather:ActionGetCurrentWeather",
		"whatsapp-business-cloud:sendMessage",
		"whatsapp-business-cloud:watchEvents",
		"wordpress:getPost",
		"wordpress:updatePost",
		"wordpress:watchPosts",
		"youtube:pollingVideos",
	}, " ")
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("shipped modules:\n got %s\nwant %s", got, want)
	}
}
