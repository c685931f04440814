package declarative_test

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
)

var openaiCreds = weft.Bundle{"apiKey": "sk-secret", "organization": "org-1"}

const chatAnswer = `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4","choices":[
	{"index":0,"message":{"role":"assistant","content":"{\"category\":\"Positive\"}"},"finish_reason":"stop"}],
	"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25}}`

func TestOpenAIChatCompletion(t *testing.T) {
	s := newStandIn(t, ok(chatAnswer))
	// Blueprint 021's mapper: numbers as text, messages with extra UI keys.
	out, err := run(t, shipped(t, "openai-gpt-3", "CreateCompletion", s), openaiCreds, `{
		"select": "chat", "max_tokens": "300", "temperature": "1", "top_p": "1", "n_completions": "1",
		"response_format": "text", "model": "gpt-4",
		"messages": [{"role": "system", "content": "Classify replies."}, {"role": "user", "content": "Sounds great", "imageDetail": "auto"}],
		"additionalParameters": [{"key": "seed", "type": "number", "value": 7}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/chat/completions" || g.Header.Get("Authorization") != "Bearer sk-secret" ||
		g.Header.Get("OpenAI-Organization") != "org-1" {
		t.Fatalf("request %s %s auth %q org %q", g.Method, g.Path, g.Header.Get("Authorization"), g.Header.Get("OpenAI-Organization"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"gpt-4","max_tokens":300,"temperature":1,"top_p":1,"n":1,"seed":7,
		"messages":[{"role":"system","content":"Classify replies."},{"role":"user","content":"Sounds great"}]}`)
	if len(out) != 1 || out[0]["result"] != `{"category":"Positive"}` || out[0]["id"] != "chatcmpl-1" {
		t.Fatalf("output %v", out)
	}
}

func TestOpenAIJSONModeAndPrompt(t *testing.T) {
	s := newStandIn(t, ok(chatAnswer), ok(`{"id":"cmpl-1","choices":[{"text":"Hello","index":0}]}`))
	spec := shipped(t, "openai-gpt-3", "CreateCompletion", s)
	if _, err := run(t, spec, weft.Bundle{"apiKey": "sk-1"}, `{"model":"gpt-4o","response_format":"json_object",
		"messages":[{"role":"user","content":"x"}]}`); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, spec, weft.Bundle{"apiKey": "sk-1"}, `{"select":"prompt","model":"gpt-3.5-turbo-instruct","prompt":"Say hi","echo":false}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if g[0].Header.Get("OpenAI-Organization") != "" {
		t.Fatal("an empty organization is not sent")
	}
	sameJSON(t, "chat body", jsonBody(t, g[0].Body), `{"model":"gpt-4o","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"x"}]}`)
	if g[1].Path != "/completions" {
		t.Fatalf("prompt path %s", g[1].Path)
	}
	sameJSON(t, "prompt body", jsonBody(t, g[1].Body), `{"model":"gpt-3.5-turbo-instruct","prompt":"Say hi","echo":false}`)
	if out[0]["result"] != "Hello" {
		t.Fatalf("output %v", out)
	}
}

// OpenAI's documented errors (platform.openai.com/docs/guides/error-codes), each
// checked on the module and through the engine.
func TestOpenAIErrors(t *testing.T) {
	mapper := `{"model":"gpt-4","messages":[{"role":"user","content":"x"}]}`
	oerr := func(status int, code, msg string) reply {
		return reply{status: status, body: `{"error":{"message":"` + msg + `","type":"x","param":null,"code":"` + code + `"}}`}
	}
	errorTable(t, "openai-gpt-3", "CreateCompletion", openaiCreds, mapper, []tableCase{
		{name: "bad key", reply: oerr(401, "invalid_api_key", "Incorrect API key provided"), typ: weft.InvalidAccessTokenError, message: "[401] Incorrect API key provided"},
		{name: "rate limit", reply: reply{status: 429, body: `{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}`,
			header: map[string]string{"Retry-After": "20"}}, typ: weft.RateLimitError, message: "Rate limit reached", retryAfter: 20 * time.Second},
		{name: "no quota left", reply: oerr(429, "insufficient_quota", "You exceeded your current quota"), typ: weft.InvalidConfigurationError, message: "current quota"},
		{name: "region not supported", reply: oerr(403, "unsupported_country_region_territory", "Country, region, or territory not supported"),
			typ: weft.InvalidConfigurationError, message: "not supported"},
		{name: "too long", reply: oerr(400, "context_length_exceeded", "maximum context length is 8192 tokens"), typ: weft.DataError, message: "8192"},
		{name: "no such model", reply: oerr(404, "model_not_found", "The model gpt-9 does not exist"), typ: weft.DataError, message: "gpt-9"},
		{name: "overloaded", reply: oerr(503, "", "The engine is currently overloaded"), typ: weft.ConnectionError, message: "overloaded"},
		// "Retry your request after a brief wait" (the error codes guide): transient.
		{name: "server error", reply: oerr(500, "", "The server had an error while processing your request"), typ: weft.ConnectionError, message: "server had an error"},
	})
}

// Make's further chat settings (blueprint 324 sets the penalties), and Parse JSON
// Response: result is the parsed answer.
func TestOpenAIChatSettingsAndParsedResult(t *testing.T) {
	s := newStandIn(t, ok(chatAnswer))
	spec := shipped(t, "openai-gpt-3", "CreateCompletion", s)
	out, err := run(t, spec, openaiCreds, `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"frequency_penalty":"0.5",
		"presence_penalty":"-0.5","seed":"42","stop":["END"],"logit_bias":[{"token":"1734","probability":"-100"}],"parseJSONResponse":true}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"frequency_penalty":0.5,
		"presence_penalty":-0.5,"seed":42,"stop":["END"],"logit_bias":{"1734":-100}}`)
	sameJSON(t, "result", out[0]["result"], `{"category":"Positive"}`)
	// An answer that is not JSON cannot be parsed: the bundle waits for a person.
	s.set(ok(`{"choices":[{"message":{"content":"Sure! Here it is"}}]}`))
	_, err = run(t, spec, openaiCreds, `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"parseJSONResponse":true}`)
	wantType(t, err, weft.UnexpectedError, "invalid JSON")
}
