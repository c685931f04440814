package declarative_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
)

// Tests of the AI and data apps defined in apps/*.json: each module's request as its
// service's API reference documents it (method, path, headers, body), its output, and
// its documented errors through apptest.CheckErrors.

var apifyCreds = weft.Bundle{"apiToken": "apify_api_secret"}

func TestApifyFetchDatasetItems(t *testing.T) {
	s := newStandIn(t, ok(`[{"posterFullName":"Ada Lovelace","companyName":"Analytical Engines"},{"posterFullName":"Bo","companyName":"B Ltd"}]`))
	// Blueprint 366's mapper (the limit as text).
	out, err := run(t, shipped(t, "apify", "fetchDatasetItems", s), apifyCreds, `{"type":"clean","limit":"2","format":"json","datasetId":"7O8qvnXCJCaQpfOPw"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "GET" || g.Path != "/v2/datasets/7O8qvnXCJCaQpfOPw/items" || g.Query != "clean=true&format=json&limit=2" ||
		g.Header.Get("Authorization") != "Bearer apify_api_secret" {
		t.Fatalf("request %s %s?%s auth %q", g.Method, g.Path, g.Query, g.Header.Get("Authorization"))
	}
	sameJSON(t, "output", out, `[{"posterFullName":"Ada Lovelace","companyName":"Analytical Engines","__IMTINDEX__":1,"__IMTLENGTH__":2},
		{"posterFullName":"Bo","companyName":"B Ltd","__IMTINDEX__":2,"__IMTLENGTH__":2}]`)
	// The other transformations and the field lists; an empty dataset gives no bundle.
	s.set(ok(`[]`))
	out, err = run(t, shipped(t, "apify", "fetchDatasetItems", s), apifyCreds,
		`{"type":"simplified","datasetId":"ds1","offset":"10","fields":"url,title","omit":"html"}`)
	if err != nil || len(out) != 0 {
		t.Fatalf("out %v err %v", out, err)
	}
	if q := s.requests()[1].Query; q != "fields=url%2Ctitle&format=json&offset=10&omit=html&simplified=true" {
		t.Fatalf("query %s", q)
	}
}

// Formats other than json are a file in Make; weft refuses them, naming the field.
func TestApifyFetchDatasetItemsOtherFormats(t *testing.T) {
	s := newStandIn(t)
	_, err := run(t, shipped(t, "apify", "fetchDatasetItems", s), apifyCreds, `{"datasetId":"ds1","format":"csv"}`)
	apptest.WantError(t, err, weft.DataError, "format")
	if len(s.requests()) != 0 {
		t.Fatal("a request was sent")
	}
}

func TestApifyErrors(t *testing.T) {
	aerr := func(status int, typ, msg string) reply {
		return reply{status: status, body: `{"error":{"type":"` + typ + `","message":"` + msg + `"}}`}
	}
	errorTable(t, "apify", "fetchDatasetItems", apifyCreds, `{"datasetId":"ds1"}`, []tableCase{
		{name: "no such dataset", reply: aerr(404, "record-not-found", "Dataset was not found"), typ: weft.DataError, message: "[404] Dataset was not found (record-not-found)"},
		{name: "bad token", reply: aerr(401, "user-or-token-not-found", "User was not found or authentication token is not valid"),
			typ: weft.InvalidAccessTokenError},
		{name: "no permission", reply: aerr(403, "insufficient-permissions", "Insufficient permissions for the dataset"), typ: weft.InvalidConfigurationError},
		{name: "payment required", reply: aerr(402, "not-enough-usage-to-run-paid-actor", "Not enough usage left"), typ: weft.InvalidConfigurationError},
		{name: "rate limited", reply: reply{status: 429, body: `{"error":{"type":"rate-limit-exceeded","message":"You have exceeded the rate limit"}}`,
			header: map[string]string{"Retry-After": "2"}}, typ: weft.RateLimitError, retryAfter: 2 * time.Second},
		// Apify's clients retry internal errors: they are transient.
		{name: "internal error", reply: aerr(500, "internal-server-error", "Internal server error"), typ: weft.ConnectionError},
	})
}

var groqCreds = weft.Bundle{"apiKey": "gsk_secret"}

func TestGroqChatCompletion(t *testing.T) {
	s := newStandIn(t, ok(`{"id":"chatcmpl-g1","object":"chat.completion","model":"llama-3.3-70b-versatile",
		"choices":[{"index":0,"message":{"role":"assistant","content":"{\"calories_target\": 2100}"},"finish_reason":"stop"}],
		"usage":{"prompt_tokens":10,"completion_tokens":8,"total_tokens":18}}`))
	// Blueprint 340's mapper, with the optional settings.
	out, err := run(t, shipped(t, "groq", "chatCompletion", s), groqCreds, `{"model":"llama-3.3-70b-versatile",
		"messages":[{"role":"system","content":"Return JSON."},{"role":"user","content":"goal 1, age 30"}],
		"max_tokens":"4000","temperature":"0.7","response_format":"json_object","top_p":"1","frequency_penalty":"0","seed":"3"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/chat/completions" || g.Header.Get("Authorization") != "Bearer gsk_secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"llama-3.3-70b-versatile","messages":[{"role":"system","content":"Return JSON."},
		{"role":"user","content":"goal 1, age 30"}],"max_tokens":4000,"temperature":0.7,"top_p":1,"frequency_penalty":0,"seed":3,
		"response_format":{"type":"json_object"}}`)
	if out[0]["result"] != `{"calories_target": 2100}` || out[0]["id"] != "chatcmpl-g1" {
		t.Fatalf("output %v", out)
	}
}

func TestGroqErrors(t *testing.T) {
	gerr := func(status int, typ, code, msg string) reply {
		return reply{status: status, body: `{"error":{"message":"` + msg + `","type":"` + typ + `","code":"` + code + `"}}`}
	}
	errorTable(t, "groq", "chatCompletion", groqCreds, `{"model":"llama-3.3-70b-versatile","messages":[{"role":"user","content":"x"}]}`, []tableCase{
		{name: "bad request", reply: gerr(400, "invalid_request_error", "", "'messages' : minimum number of items is 1"), typ: weft.DataError, message: "[400] 'messages'"},
		{name: "bad key", reply: gerr(401, "invalid_request_error", "invalid_api_key", "Invalid API Key"), typ: weft.InvalidAccessTokenError},
		{name: "no such model", reply: gerr(404, "invalid_request_error", "model_not_found", "The model `llama-9` does not exist"), typ: weft.DataError},
		{name: "too large", reply: gerr(413, "invalid_request_error", "", "Request Entity Too Large"), typ: weft.MaxFileSizeExceededError},
		{name: "unprocessable", reply: gerr(422, "invalid_request_error", "", "Unprocessable Entity"), typ: weft.DataError},
		{name: "rate limited", reply: reply{status: 429, body: `{"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}`,
			header: map[string]string{"Retry-After": "7"}}, typ: weft.RateLimitError, retryAfter: 7 * time.Second},
		{name: "flex tier capacity exceeded", reply: gerr(498, "", "", "Flex Tier Capacity Exceeded"), typ: weft.ConnectionError},
		{name: "request cancelled", reply: gerr(499, "", "", "Request Cancelled"), typ: weft.ModuleTimeoutError},
		{name: "internal error", reply: gerr(500, "", "", "Internal Server Error"), typ: weft.ConnectionError},
		{name: "unavailable", reply: gerr(503, "", "", "Service Unavailable"), typ: weft.ConnectionError},
	})
}

func TestPerplexityChatCompletion(t *testing.T) {
	s := newStandIn(t, ok(`{"id":"p1","model":"sonar-pro","choices":[{"index":0,"message":{"role":"assistant","content":"Summary"}}],
		"citations":["https://a.example"],"search_results":[{"title":"A","url":"https://a.example"}]}`))
	// Blueprint 171's mapper, with the search options.
	out, err := run(t, shipped(t, "perplexity-ai", "createAChatCompletion", s), weft.Bundle{"apiKey": "pplx-secret"}, `{
		"model":"llama-3.1-sonar-large-128k-online","messages":[{"role":"user","content":"Summarize this"}],
		"search_domain_filter":["example.com"],"search_recency_filter":"week","return_images":false,"temperature":"0.2"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/chat/completions" || g.Header.Get("Authorization") != "Bearer pplx-secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"llama-3.1-sonar-large-128k-online","messages":[{"role":"user","content":"Summarize this"}],
		"temperature":0.2,"search_domain_filter":["example.com"],"search_recency_filter":"week","return_images":false}`)
	sameJSON(t, "output", out, `[{"id":"p1","model":"sonar-pro","choices":[{"index":0,"message":{"role":"assistant","content":"Summary"}}],
		"citations":["https://a.example"],"search_results":[{"title":"A","url":"https://a.example"}]}]`)
	errorTable(t, "perplexity-ai", "createAChatCompletion", weft.Bundle{"apiKey": "pplx-secret"},
		`{"model":"sonar","messages":[{"role":"user","content":"x"}]}`, []tableCase{
			{name: "bad key", reply: reply{status: 401, body: `<html>401 Authorization Required</html>`, header: map[string]string{"Content-Type": "text/html"}},
				typ: weft.InvalidAccessTokenError},
			{name: "invalid model", reply: reply{status: 400, body: `{"error":{"message":"Invalid model 'x'","type":"invalid_model","code":400}}`},
				typ: weft.DataError, message: "Invalid model"},
			{name: "validation", reply: reply{status: 422, body: `{"detail":[{"loc":["body","messages"],"msg":"field required","type":"value_error.missing"}]}`},
				typ: weft.DataError, message: "field required"},
			{name: "rate limited", reply: reply{status: 429, body: `{"error":{"message":"Rate limit exceeded","type":"rate_limit_exceeded"}}`}, typ: weft.RateLimitError},
			{name: "internal error", reply: reply{status: 500, body: `{"error":{"message":"Internal error"}}`}, typ: weft.ConnectionError},
		})
}

func TestOpenRouterChatCompletion(t *testing.T) {
	s := newStandIn(t, ok(`{"id":"gen-1","provider":"Google","model":"google/gemini-2.5-flash","object":"chat.completion",
		"choices":[{"index":0,"message":{"role":"assistant","content":"{\"summary\":\"x\"}"},"finish_reason":"stop"}]}`))
	creds := weft.Bundle{"apiKey": "sk-or-secret"}
	// Blueprint 202's mapper.
	out, err := run(t, shipped(t, "open-router", "createAChatCompletion", s), creds, `{"n":"1","model":"google/gemini-2.5-flash","top_p":"1",
		"fallback":true,"messages":[{"role":"user","content":"Qualify this lead"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/chat/completions" || g.Header.Get("Authorization") != "Bearer sk-or-secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"google/gemini-2.5-flash","messages":[{"role":"user","content":"Qualify this lead"}],"n":1,"top_p":1}`)
	if out[0]["provider"] != "Google" {
		t.Fatalf("output %v", out)
	}
	// No fallbacks and JSON mode.
	s.set(ok(`{"id":"gen-2","choices":[]}`))
	if _, err := run(t, shipped(t, "open-router", "createAChatCompletion", s), creds,
		`{"model":"m","fallback":false,"json_mode":true,"stop":["x"],"messages":[{"role":"user","content":"y"}]}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body 2", jsonBody(t, s.requests()[1].Body), `{"model":"m","messages":[{"role":"user","content":"y"}],
		"provider":{"allow_fallbacks":false},"response_format":{"type":"json_object"},"stop":["x"]}`)
	errorTable(t, "open-router", "createAChatCompletion", creds, `{"model":"m","messages":[{"role":"user","content":"x"}]}`, []tableCase{
		{name: "bad request", reply: reply{status: 400, body: `{"error":{"code":400,"message":"m is not a valid model ID"}}`}, typ: weft.DataError, message: "not a valid model"},
		{name: "bad key", reply: reply{status: 401, body: `{"error":{"code":401,"message":"No auth credentials found"}}`}, typ: weft.InvalidAccessTokenError},
		{name: "no credits", reply: reply{status: 402, body: `{"error":{"code":402,"message":"Insufficient credits"}}`}, typ: weft.InvalidConfigurationError},
		{name: "moderation", reply: reply{status: 403, body: `{"error":{"code":403,"message":"Input was flagged"}}`}, typ: weft.InvalidConfigurationError},
		{name: "timed out", reply: reply{status: 408, body: `{"error":{"code":408,"message":"Request timed out"}}`}, typ: weft.ModuleTimeoutError},
		{name: "rate limited", reply: reply{status: 429, body: `{"error":{"code":429,"message":"Rate limit exceeded"}}`}, typ: weft.RateLimitError},
		{name: "model down", reply: reply{status: 502, body: `{"error":{"code":502,"message":"Provider returned error"}}`}, typ: weft.ConnectionError},
		{name: "no provider available", reply: reply{status: 503, body: `{"error":{"code":503,"message":"No available provider"}}`}, typ: weft.ConnectionError},
		// An error after the answer started comes with status 200 (OpenRouter's errors guide).
		{name: "provider failed mid-answer", reply: ok(`{"id":"gen-3","error":{"code":502,"message":"Provider disconnected"},"choices":[]}`),
			typ: weft.ConnectionError, message: "[200] Provider disconnected"},
	})
}

var anthropicCreds = weft.Bundle{"apiKey": "sk-ant-secret"}

const claudeAnswer = `{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",
	"content":[{"type":"text","text":"{\"domain\": "},{"type":"tool_use","id":"tu_1","name":"x","input":{}},{"type":"text","text":"\"acme.com\"}"}],
	"stop_reason":"end_turn","usage":{"input_tokens":20,"output_tokens":9}}`

func TestAnthropicCreateAMessage(t *testing.T) {
	s := newStandIn(t, ok(claudeAnswer))
	png := []byte("\x89PNG\r\n\x1a\nimg")
	exec := apptest.NewExec()
	exec.Connections["conn"] = anthropicCreds
	// Blueprint 366's message (metadata left empty, numbers as text), an image block,
	// an assistant turn, a tool round trip and a tool passed as an extra parameter.
	out, err := apptest.Run(t.Context(), shipped(t, "anthropic-claude", "createAMessage", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"model": "claude-3-5-haiku-20241022", "max_tokens": "2060", "temperature": "1", "metadata": map[string]any{},
		"system": "Answer in JSON.",
		"messages": []any{
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "text", "text": "Extract the domain"},
				map[string]any{"type": "image", "source": map[string]any{"filename": "logo.png", "data": png}}}},
			map[string]any{"role": "assistant", "content": "Sure."},
			map[string]any{"role": "tool_assistant", "content": []any{
				map[string]any{"type": "tool_use", "id": "tu_0", "name": "lookup", "input": `{"q": "acme"}`}}},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "tool_result", "tool_use_id": "tu_0", "content": "acme.com"}}},
		},
		"additionalParameters": []any{
			map[string]any{"key": "tools", "type": "tools", "value": []any{`{"name": "lookup", "input_schema": {"type": "object"}}`}},
			map[string]any{"key": "service_tier", "type": "text", "value": "auto"}},
	}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v1/messages" || g.Header.Get("x-api-key") != "sk-ant-secret" || g.Header.Get("anthropic-version") != "2023-06-01" {
		t.Fatalf("request %s %s headers %v", g.Method, g.Path, g.Header)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"claude-3-5-haiku-20241022","max_tokens":2060,"temperature":1,"system":"Answer in JSON.",
		"messages":[
			{"role":"user","content":[{"type":"text","text":"Extract the domain"},
				{"type":"image","source":{"type":"base64","media_type":"image/png","data":"`+base64.StdEncoding.EncodeToString(png)+`"}}]},
			{"role":"assistant","content":"Sure."},
			{"role":"assistant","content":[{"type":"tool_use","id":"tu_0","name":"lookup","input":{"q":"acme"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_0","content":"acme.com"}]}],
		"service_tier":"auto","tools":[{"name":"lookup","input_schema":{"type":"object"}}]}`)
	if out[0]["textResponse"] != `{"domain": "acme.com"}` || out[0]["id"] != "msg_1" || out[0]["stop_reason"] != "end_turn" {
		t.Fatalf("output %v", out)
	}
}

func TestAnthropicSimpleTextPrompt(t *testing.T) {
	s := newStandIn(t, ok(claudeAnswer))
	// Blueprint 121's mapper: no max_tokens, which the API requires.
	out, err := run(t, shipped(t, "anthropic-claude", "simpleTextPrompt", s), anthropicCreds, `{"model":"claude-sonnet-4-5","textPrompt":"Classify this"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"model":"claude-sonnet-4-5","max_tokens":4096,"messages":[{"role":"user","content":"Classify this"}]}`)
	if out[0]["result"] != `{"domain": "acme.com"}` {
		t.Fatalf("output %v", out)
	}
}

// Anthropic's documented errors (docs.anthropic.com/en/api/errors).
func TestAnthropicErrors(t *testing.T) {
	aerr := func(status int, typ, msg string) reply {
		return reply{status: status, body: `{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"}}`}
	}
	errorTable(t, "anthropic-claude", "createAMessage", anthropicCreds,
		`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`, []tableCase{
			{name: "invalid request", reply: aerr(400, "invalid_request_error", "messages: roles must alternate"), typ: weft.DataError, message: "[400] messages: roles must alternate"},
			{name: "credit balance too low", reply: aerr(400, "invalid_request_error", "Your credit balance is too low to access the Anthropic API."),
				typ: weft.InvalidConfigurationError, message: "credit balance"},
			{name: "bad key", reply: aerr(401, "authentication_error", "invalid x-api-key"), typ: weft.InvalidAccessTokenError},
			{name: "no permission", reply: aerr(403, "permission_error", "Your API key does not have permission to use the specified resource."), typ: weft.InvalidConfigurationError},
			{name: "no such model", reply: aerr(404, "not_found_error", "model: claude-9"), typ: weft.DataError},
			{name: "request too large", reply: aerr(413, "request_too_large", "Request exceeds the maximum allowed number of bytes."), typ: weft.MaxFileSizeExceededError},
			{name: "rate limited", reply: reply{status: 429, body: `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`,
				header: map[string]string{"Retry-After": "12"}}, typ: weft.RateLimitError, retryAfter: 12 * time.Second},
			{name: "api error", reply: aerr(500, "api_error", "An unexpected error has occurred internal to Anthropic's systems."), typ: weft.ConnectionError},
			{name: "overloaded", reply: aerr(529, "overloaded_error", "Overloaded"), typ: weft.ConnectionError, message: "[529] Overloaded"},
		})
}

func TestDumplingAIGenerateImage(t *testing.T) {
	s := newStandIn(t, ok(`{"created":1720000000,"images":[{"url":"https://cdn.dumplingai.example/1.jpg"}],"creditUsage":1}`))
	// Blueprint 171's mapper.
	out, err := run(t, shipped(t, "dumplingai", "generateAiImageFluxSchnell", s), weft.Bundle{"apiKey": "dump-secret"}, `{"prompt":"A bike",
		"go_fast":true,"megapixels":"1","num_outputs":"1","aspect_ratio":"1:1","output_format":"jpg","output_quality":"80","num_inference_steps":"4"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/api/v1/generate-ai-image" || g.Header.Get("Authorization") != "Bearer dump-secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"FLUX.1-schnell","input":{"prompt":"A bike","num_outputs":1,"aspect_ratio":"1:1",
		"output_format":"jpg","output_quality":80,"num_inference_steps":4,"go_fast":true,"megapixels":"1"}}`)
	if out[0]["images"].([]any)[0].(map[string]any)["url"] != "https://cdn.dumplingai.example/1.jpg" {
		t.Fatalf("output %v", out)
	}
	errorTable(t, "dumplingai", "generateAiImageFluxSchnell", weft.Bundle{"apiKey": "dump-secret"}, `{"prompt":"x"}`, []tableCase{
		{name: "bad key", reply: reply{status: 401, body: `{"error":"Invalid API key"}`}, typ: weft.InvalidAccessTokenError, message: "Invalid API key"},
		{name: "out of credits", reply: reply{status: 402, body: `{"error":"Insufficient credits"}`}, typ: weft.InvalidConfigurationError},
		{name: "bad input", reply: reply{status: 400, body: `{"error":"prompt is required"}`}, typ: weft.DataError},
		{name: "rate limited", reply: reply{status: 429, body: `{"error":"Too many requests"}`}, typ: weft.RateLimitError},
		{name: "server error", reply: reply{status: 500, body: `{"error":"Internal error"}`}, typ: weft.ConnectionError},
	})
}

func TestVapiCreateOutboundPhoneCall(t *testing.T) {
	s := newStandIn(t, reply{status: 201, body: `{"id":"call_1","orgId":"org","type":"outboundPhoneCall","status":"queued",
		"customer":{"number":"+14155550123","name":"Ada"},"phoneNumberId":"pn_1","assistantId":"as_1"}`})
	creds := weft.Bundle{"apiKey": "vapi-secret"}
	// Blueprint 371's mapper.
	out, err := run(t, shipped(t, "vapi", "createOutboundPhoneCall", s), creds,
		`{"assistantId":"as_1","customerName":"Ada","phoneNumberId":"pn_1","customerNumber":" +14155550123"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/call" || g.Header.Get("Authorization") != "Bearer vapi-secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"assistantId":"as_1","customer":{"number":"+14155550123","name":"Ada"},"phoneNumberId":"pn_1"}`)
	if out[0]["id"] != "call_1" || out[0]["status"] != "queued" {
		t.Fatalf("output %v", out)
	}
	errorTable(t, "vapi", "createOutboundPhoneCall", creds, `{"assistantId":"as_1","phoneNumberId":"pn_1","customerNumber":"x"}`, []tableCase{
		{name: "validation", reply: reply{status: 400, body: `{"message":["customer.number must be a valid phone number in the E.164 format"],"error":"Bad Request","statusCode":400}`},
			typ: weft.DataError, message: "[400] customer.number must be a valid phone number"},
		{name: "bad key", reply: reply{status: 401, body: `{"message":"Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.","error":"Unauthorized","statusCode":401}`},
			typ: weft.InvalidAccessTokenError, message: "Invalid Key"},
		{name: "rate limited", reply: reply{status: 429, body: `{"message":"Too Many Requests","statusCode":429}`}, typ: weft.RateLimitError},
		{name: "server error", reply: reply{status: 500, body: `{"message":"Internal server error","statusCode":500}`}, typ: weft.ConnectionError},
	})
}

var weatherCreds = weft.Bundle{"apiKey": "owm-secret-key"}

const owmAnswer = `{"coord":{"lon":-76.05,"lat":42.09},"weather":[{"id":803,"main":"Clouds","description":"broken clouds","icon":"04d"}],
	"base":"stations","main":{"temp":12.3,"feels_like":11.2,"temp_min":10.9,"temp_max":13.8,"pressure":1017,"humidity":71},
	"visibility":10000,"wind":{"speed":4.12,"deg":250},"clouds":{"all":75},"dt":1713800000,
	"sys":{"country":"US","sunrise":1713780000,"sunset":1713830000},"timezone":-14400,"id":5243000,"name":"Vestal","cod":200}`

func TestWeatherCurrentWeather(t *testing.T) {
	s := newStandIn(t, ok(owmAnswer))
	spec := shipped(t, "weather", "ActionGetCurrentWeather", s)
	// Blueprint 110's mapper (by name) and 328's (coordinates as text).
	out, err := run(t, spec, weatherCreds, `{"city":"Vestal, USA","type":"name"}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, spec, weatherCreds, `{"lat":"24.9985144","lon":"121.4570441","type":"coords"}`); err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if g[0].Method != "GET" || g[0].Path != "/data/2.5/weather" || g[0].Query != "appid=owm-secret-key&q=Vestal%2C+USA&units=metric" ||
		g[1].Query != "appid=owm-secret-key&lat=24.9985144&lon=121.4570441&units=metric" {
		t.Fatalf("requests %+v", g)
	}
	b := out[0]
	if b["temperature"] != 12.3 || b["humidity"] != 71.0 || b["clouds"] != 75.0 || b["name"] != "Clouds" || b["description"] != "broken clouds" ||
		b["city"] != "Vestal" || b["country"] != "US" {
		t.Fatalf("output %v", b)
	}
	sameJSON(t, "wind", b["wind"], `{"speed":4.12,"deg":250}`)
	if sr, ok := b["sunrise"].(time.Time); !ok || !sr.Equal(time.Unix(1713780000, 0)) {
		t.Fatalf("sunrise %v", b["sunrise"])
	}
}

func TestWeatherErrors(t *testing.T) {
	errorTable(t, "weather", "ActionGetCurrentWeather", weatherCreds, `{"city":"Atlantis","type":"name"}`, []tableCase{
		{name: "unknown city", reply: reply{status: 404, body: `{"cod":"404","message":"city not found"}`}, typ: weft.DataError, message: "[404] city not found"},
		{name: "bad key", reply: reply{status: 401, body: `{"cod":401,"message":"Invalid API key. Please see https://openweathermap.org/faq#error401 for more info."}`},
			typ: weft.InvalidAccessTokenError, message: "Invalid API key"},
		{name: "too many calls", reply: reply{status: 429, body: `{"cod":429,"message":"Your account is temporary blocked due to exceeding of requests limitation"}`},
			typ: weft.RateLimitError},
		{name: "unavailable", reply: reply{status: 503, body: `<html>Service Unavailable</html>`, header: map[string]string{"Content-Type": "text/html"}},
			typ: weft.ConnectionError},
	})
}

// The key travels in the query (appid): it must not reach a message or Details.
func TestWeatherKeyIsHidden(t *testing.T) {
	s := newStandIn(t, reply{status: 404, body: `{"cod":"404","message":"city not found"}`})
	_, err := run(t, shipped(t, "weather", "ActionGetCurrentWeather", s), weatherCreds, `{"city":"Atlantis"}`)
	e := apptest.WantError(t, err, weft.DataError, "city not found")
	if all := err.Error() + string(jsonOf(e.Details)); strings.Contains(all, "owm-secret-key") {
		t.Fatalf("key not hidden: %s", all)
	}
}

// Vapi's end-of-call report trigger: its payload section unwraps Vapi's "message",
// moves the summary, transcript and recording of Vapi's current shape to where Make's
// trigger outputs them, and drops the other server messages.
func TestVapiEndOfCallReportPayload(t *testing.T) {
	spec := shipped(t, "vapi", "endOfCallReport", newStandIn(t))
	if spec.Kind != app.KindTrigger || spec.Hook == nil || spec.Hook.Payload == nil || spec.Hook.Verify != nil {
		t.Fatalf("spec %+v", spec)
	}
	// No request registers the hook: the person gives Vapi the address.
	state, err := spec.Hook.Register(t.Context(), &app.HookCall{URL: "https://weft.example/hooks/abc"})
	if err != nil || state["url"] != "https://weft.example/hooks/abc" {
		t.Fatalf("register: %v %v", state, err)
	}
	h := &app.HookCall{Params: weft.Bundle{"__IMTHOOK__": 1624920}}
	out, keep, err := spec.Hook.Payload(h, decode(t, `{"message":{"type":"end-of-call-report","endedReason":"silence-timed-out",
		"call":{"id":"c1","customer":{"number":"+33600000000"}},"analysis":{"summary":"No answer."},
		"artifact":{"transcript":"AI: Hello?","recordingUrl":"https://r.example/1.wav"},"durationSeconds":31}}`))
	if err != nil || !keep {
		t.Fatalf("report: keep %v err %v", keep, err)
	}
	sameJSON(t, "bundle", out, `{"type":"end-of-call-report","endedReason":"silence-timed-out","call":{"id":"c1","customer":{"number":"+33600000000"}},
		"analysis":{"summary":"No answer."},"artifact":{"transcript":"AI: Hello?","recordingUrl":"https://r.example/1.wav"},"durationSeconds":31,
		"summary":"No answer.","transcript":"AI: Hello?","recordingUrl":"https://r.example/1.wav","customer":{"number":"+33600000000"}}`)
	// The older shape carries them at the top already.
	out, keep, err = spec.Hook.Payload(h, decode(t, `{"message":{"type":"end-of-call-report","summary":"S","transcript":"T","recordingUrl":"R",
		"customer":{"name":"Ada","number":"+1"}}}`))
	if err != nil || !keep || out["summary"] != "S" || out["transcript"] != "T" || out["recordingUrl"] != "R" {
		t.Fatalf("older shape: %v %v %v", out, keep, err)
	}
	for _, other := range []string{`{"message":{"type":"status-update","status":"ended"}}`, `{"message":{"type":"transcript"}}`, `{}`} {
		if _, keep, err := spec.Hook.Payload(h, decode(t, other)); keep || err != nil {
			t.Fatalf("%s: keep %v err %v", other, keep, err)
		}
	}
}

// A payload output that is not a collection refuses the call (the server answers 400).
func TestWebhookPayloadOutputMustBeACollection(t *testing.T) {
	def := `{"name": "hooky", "base": {"baseUrl": "https://hooky.test"}, "modules": {"Watch": {
		"webhook": {"payload": {"output": "{{body.items}}"}}}}}`
	s := newStandIn(t)
	spec := lookup(t, testApp(t, def, s), "hooky:Watch")
	_, _, err := spec.Hook.Payload(&app.HookCall{}, decode(t, `{"items":[1,2]}`))
	if err == nil || !strings.Contains(err.Error(), "payload output: the call gives array where a bundle (collection) is expected") {
		t.Fatalf("error %v", err)
	}
	out, keep, err := spec.Hook.Payload(&app.HookCall{}, decode(t, `{"items":{"a":1}}`))
	if err != nil || !keep || out["a"] != 1.0 {
		t.Fatalf("collection: %v %v %v", out, keep, err)
	}
}

// apifyRuns is a stand-in Apify API: a run that stays RUNNING for a number of polls,
// then SUCCEEDED.
func apifyRuns(t *testing.T, runningPolls int) *standIn {
	s := newStandIn(t)
	var polls atomic.Int32
	s.fn = func(r *http.Request, _ string) reply {
		run := func(status string) reply {
			return reply{status: 201, body: `{"data":{"id":"run_1","actId":"act_1","status":"` + status + `","defaultDatasetId":"ds_1","defaultKeyValueStoreId":"kv_1"}}`}
		}
		if r.Method == "POST" {
			return run("RUNNING")
		}
		if int(polls.Add(1)) <= runningPolls {
			return run("RUNNING")
		}
		return run("SUCCEEDED")
	}
	return s
}

func TestApifyRunActorSync(t *testing.T) {
	s := apifyRuns(t, 1)
	// Blueprint 204's mapper: the input is JSON text.
	out, err := run(t, shipped(t, "apify", "runActor", s), apifyCreds, `{"actorId":"CTQcdDtqW5dvELvur","runSync":true,
		"inputBody":"{\n   \"startUrls\":[\n      \"https://youtu.be/x\"\n   ]\n}","memory":"1024","build":"latest"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 3 || g[0].Method != "POST" || g[0].Path != "/v2/acts/CTQcdDtqW5dvELvur/runs" || g[0].Query != "build=latest&memory=1024&waitForFinish=60" ||
		g[0].Header.Get("Authorization") != "Bearer apify_api_secret" {
		t.Fatalf("requests %+v", g)
	}
	sameJSON(t, "input", jsonBody(t, g[0].Body), `{"startUrls":["https://youtu.be/x"]}`)
	// Waiting: the run is read again until it is no longer running, each read held by
	// Apify for up to 55 s, with the same credentials.
	for _, p := range g[1:] {
		if p.Method != "GET" || p.Path != "/v2/actor-runs/run_1" || p.Query != "waitForFinish=55" || p.Header.Get("Authorization") != "Bearer apify_api_secret" {
			t.Fatalf("poll %+v", p)
		}
	}
	if len(out) != 1 || out[0]["status"] != "SUCCEEDED" || out[0]["defaultDatasetId"] != "ds_1" {
		t.Fatalf("output %v", out)
	}
}

// Without runSync the run is started and its Run returned as Apify answers it.
func TestApifyRunActorAsync(t *testing.T) {
	s := apifyRuns(t, 0)
	// Blueprint 126's mapper (Make's newer module: the input's key ends with the Actor's ID).
	out, err := run(t, shipped(t, "apify", "runActorNew", s), apifyCreds, `{"build":"latest","memory":1024,"actorId":"shu8hvrXbJbY3Eb9W",
		"runSync":false,"timeout":"300","actor_search_type":"store","maxTotalChargeUsd":"1",
		"inputBodyshu8hvrXbJbY3Eb9W":"{\r\n  \"directUrls\": [\"https://www.instagram.com/reel/x\"],\r\n  \"resultsLimit\": 1\r\n}"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/v2/acts/shu8hvrXbJbY3Eb9W/runs" || g.Query != "build=latest&maxTotalChargeUsd=1&memory=1024&timeout=300" {
		t.Fatalf("request %s?%s", g.Path, g.Query)
	}
	sameJSON(t, "input", jsonBody(t, g.Body), `{"directUrls":["https://www.instagram.com/reel/x"],"resultsLimit":1}`)
	if out[0]["status"] != "RUNNING" || out[0]["id"] != "run_1" {
		t.Fatalf("output %v", out)
	}
	// An Actor named username/name is addressed as username~name.
	if _, err := run(t, shipped(t, "apify", "runActorNew", s), apifyCreds, `{"actorId":"apify/instagram-scraper","runSync":false}`); err != nil {
		t.Fatal(err)
	}
	if p := s.requests()[1].Path; p != "/v2/acts/apify~instagram-scraper/runs" {
		t.Fatalf("path %s", p)
	}
}

// A run still going when weft stops waiting is a ModuleTimeoutError (retried
// automatically: the retry starts the Actor again); a failing poll is typed like any
// answer.
func TestApifyRunActorWaitErrors(t *testing.T) {
	s := apifyRuns(t, 100)
	_, err := run(t, shipped(t, "apify", "runActor", s), apifyCreds, `{"actorId":"a1","runSync":true,"inputBody":"{}"}`)
	apptest.WantError(t, err, weft.ModuleTimeoutError, "the job was still not done after 4 polls")
	if n := len(s.requests()); n != 5 {
		t.Fatalf("%d requests, want the start and 4 polls", n)
	}
	s = newStandIn(t, reply{status: 201, body: `{"data":{"id":"run_2","status":"READY"}}`},
		reply{status: 404, body: `{"error":{"type":"record-not-found","message":"Actor run was not found"}}`})
	_, err = run(t, shipped(t, "apify", "runActor", s), apifyCreds, `{"actorId":"a1","runSync":true}`)
	apptest.WantError(t, err, weft.DataError, "[404] Actor run was not found (record-not-found)")
	errorTable(t, "apify", "runActor", apifyCreds, `{"actorId":"a1","inputBody":"{}"}`, []tableCase{
		{name: "invalid input", reply: reply{status: 400, body: `{"error":{"type":"invalid-input","message":"Input is not valid: Field input.startUrls is required"}}`},
			typ: weft.DataError, message: "startUrls is required"},
		{name: "no such actor", reply: reply{status: 404, body: `{"error":{"type":"record-not-found","message":"Actor was not found"}}`}, typ: weft.DataError},
		{name: "paid actor without usage", reply: reply{status: 402, body: `{"error":{"type":"not-enough-usage-to-run-paid-actor","message":"Not enough usage"}}`},
			typ: weft.InvalidConfigurationError},
	})
}
