package declarative_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

func TestOpenAIGenerateImageURL(t *testing.T) {
	s := newStandIn(t, ok(`{"created":1713833628,"data":[{"url":"https://oaidalle.example/img-1.png","revised_prompt":"A vivid cup"}]}`))
	// Blueprint 322's mapper.
	out, err := run(t, shipped(t, "openai-gpt-3", "GenerateImage", s), openaiCreds, `{"size":"1024x1024","model":"dall-e-3","style":"vivid",
		"prompt":"Crea una imagen","quality":"standard","response_format":"url"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/images/generations" || g.Header.Get("Authorization") != "Bearer sk-secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"dall-e-3","prompt":"Crea una imagen","size":"1024x1024","quality":"standard",
		"style":"vivid","response_format":"url"}`)
	if len(out) != 1 || out[0]["resImgData"] != nil || out[0]["resImgName"] != nil {
		t.Fatalf("output %v", out)
	}
	if c, ok := out[0]["created"].(time.Time); !ok || !c.Equal(time.Unix(1713833628, 0)) {
		t.Fatalf("created %v", out[0]["created"])
	}
	sameJSON(t, "data", out[0]["data"], `[{"url":"https://oaidalle.example/img-1.png","revised_prompt":"A vivid cup"}]`)
}

// imageFile (blueprint 321) asks for b64_json and gives the image as a file for the
// next module (Google Drive's upload in 321); gpt-image models always answer so and
// take no response_format.
func TestOpenAIGenerateImageFile(t *testing.T) {
	img := []byte("\x89PNG\r\n\x1a\nimage")
	s := newStandIn(t, ok(`{"created":1713833628,"data":[{"b64_json":"`+base64.StdEncoding.EncodeToString(img)+`","revised_prompt":"x"}]}`))
	spec := shipped(t, "openai-gpt-3", "GenerateImage", s)
	out, err := run(t, spec, openaiCreds, `{"model":"dall-e-3","prompt":"p","response_format":"imageFile","n":"1"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.requests()[0].Body), `{"model":"dall-e-3","prompt":"p","n":1,"response_format":"b64_json"}`)
	if out[0]["resImgName"] != "image.png" || !bytes.Equal(out[0]["resImgData"].([]byte), img) {
		t.Fatalf("output %v", out)
	}
	sameJSON(t, "data", out[0]["data"], `[{"revised_prompt":"x"}]`)
	s.set(ok(`{"created":1,"data":[{"b64_json":"` + base64.StdEncoding.EncodeToString(img) + `"}],"output_format":"webp","usage":{"total_tokens":10}}`))
	out, err = run(t, spec, openaiCreds, `{"model":"gpt-image-1","prompt":"p","response_format":"url","quality":"high"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "gpt-image body", jsonBody(t, s.requests()[1].Body), `{"model":"gpt-image-1","prompt":"p","quality":"high"}`)
	if out[0]["resImgName"] != "image.webp" || !bytes.Equal(out[0]["resImgData"].([]byte), img) {
		t.Fatalf("output %v", out)
	}
}

func TestOpenAIAnalyzeImages(t *testing.T) {
	s := newStandIn(t, ok(`{"id":"chatcmpl-2","choices":[{"index":0,"message":{"role":"assistant","content":"A red Ducati Monster"}}]}`))
	jpeg := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	exec := apptest.NewExec()
	exec.Connections["conn"] = openaiCreds
	// Blueprint 248's mapper (numbers as text), with a second image given as a file.
	out, err := apptest.Run(t.Context(), shipped(t, "openai-gpt-3", "analyzeImages", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"model": "gpt-4o", "top_p": "1", "max_tokens": "2048", "temperature": "1", "n_completions": "1",
		"prompt": "Write me a caption about this picture",
		"images": []any{
			map[string]any{"imageUrl": "https://cdn.example/moto.jpg", "imageUploadType": "url"},
			map[string]any{"imageFileData": jpeg, "imageUploadType": "imageFile"},
		}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/chat/completions" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"gpt-4o","max_completion_tokens":2048,"temperature":1,"top_p":1,"n":1,
		"messages":[{"role":"user","content":[{"type":"text","text":"Write me a caption about this picture"},
			{"type":"image_url","image_url":{"url":"https://cdn.example/moto.jpg"}},
			{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,`+base64.StdEncoding.EncodeToString(jpeg)+`"}}]}]}`)
	if out[0]["result"] != "A red Ducati Monster" || out[0]["id"] != "chatcmpl-2" {
		t.Fatalf("output %v", out)
	}
}

// A Responses API answer: a reasoning item, then a message with two output_text parts.
const responsesAnswer = `{"id":"resp_1","object":"response","created_at":1741476542,"status":"completed","model":"gpt-4o-mini",
	"output":[{"type":"reasoning","id":"rs_1","summary":[]},
		{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[
			{"type":"output_text","text":"{\"topic\": ","annotations":[]},{"type":"output_text","text":"\"billing\"}","annotations":[]}]}],
	"usage":{"input_tokens":36,"output_tokens":87,"total_tokens":123}}`

func TestOpenAICreateModelResponse(t *testing.T) {
	s := newStandIn(t, ok(responsesAnswer))
	// Blueprint 002's mapper.
	out, err := run(t, shipped(t, "openai-gpt-3", "createModelResponse", s), openaiCreds, `{"input": "Analyze the user's input",
		"model": "gpt-4o-mini", "store": true, "format": {"type": "json_object"}, "reasoning": {}, "background": false, "truncation": "auto",
		"inputContentType": "text", "createConversation": true, "parallel_tool_calls": true,
		"metadata": [{"key": "source", "value": "sheet"}],
		"tools": [{"type": "function", "name": "lookup", "parameters": "{\"type\": \"object\"}", "strict": true}]}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/responses" || g.Header.Get("Authorization") != "Bearer sk-secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"model":"gpt-4o-mini","input":"Analyze the user's input","store":true,"background":false,
		"text":{"format":{"type":"json_object"}},"truncation":"auto","parallel_tool_calls":true,"metadata":{"source":"sheet"},
		"tools":[{"type":"function","name":"lookup","parameters":{"type":"object"},"strict":true}]}`)
	if out[0]["result"] != `{"topic": "billing"}` || out[0]["id"] != "resp_1" || out[0]["status"] != "completed" || out[0]["conversationId"] != nil {
		t.Fatalf("output %v", out)
	}
}

// A conversation named by the input is continued; its id comes back in conversationId.
func TestOpenAICreateModelResponseInAConversation(t *testing.T) {
	s := newStandIn(t, ok(strings.Replace(responsesAnswer, `"status":"completed"`, `"status":"completed","conversation":{"id":"conv_9"}`, 1)))
	out, err := run(t, shipped(t, "openai-gpt-3", "createModelResponse", s), openaiCreds,
		`{"input":"And now?","model":"gpt-4o","conversationId":"conv_9","instructions":"Be brief.","max_output_tokens":"200"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"model":"gpt-4o","input":"And now?","conversation":"conv_9","instructions":"Be brief.","max_output_tokens":200}`)
	if out[0]["conversationId"] != "conv_9" {
		t.Fatalf("output %v", out)
	}
}

// Only a text prompt is supported: another prompt type is refused, naming the field,
// before anything is sent.
func TestOpenAICreateModelResponseOtherPromptTypes(t *testing.T) {
	s := newStandIn(t)
	_, err := run(t, shipped(t, "openai-gpt-3", "createModelResponse", s), openaiCreds, `{"input":"x","model":"gpt-4o","inputContentType":"image"}`)
	apptest.WantError(t, err, weft.DataError, "inputContentType")
	if len(s.requests()) != 0 {
		t.Fatal("a request was sent")
	}
}

func TestOpenAIImageAndResponseErrors(t *testing.T) {
	oerr := func(status int, typ, code, msg string) reply {
		return reply{status: status, body: `{"error":{"message":"` + msg + `","type":"` + typ + `","param":null,"code":"` + code + `"}}`}
	}
	errorTable(t, "openai-gpt-3", "GenerateImage", openaiCreds, `{"model":"dall-e-3","prompt":"x"}`, []tableCase{
		{name: "prompt refused by the safety system", reply: oerr(400, "invalid_request_error", "content_policy_violation",
			"Your request was rejected as a result of our safety system."), typ: weft.DataError, message: "safety system"},
		{name: "bad key", reply: oerr(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided"), typ: weft.InvalidAccessTokenError},
		{name: "billing hard limit", reply: oerr(400, "invalid_request_error", "billing_hard_limit_reached", "Billing hard limit has been reached"),
			typ: weft.InvalidConfigurationError, message: "Billing hard limit"},
		{name: "server error", reply: oerr(500, "server_error", "", "The server had an error"), typ: weft.ConnectionError},
	})
	errorTable(t, "openai-gpt-3", "createModelResponse", openaiCreds, `{"model":"gpt-4o","input":"x"}`, []tableCase{
		{name: "unknown parameter", reply: oerr(400, "invalid_request_error", "unknown_parameter", "Unknown parameter: 'text.format.x'."),
			typ: weft.DataError, message: "Unknown parameter"},
		{name: "no quota left", reply: oerr(429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota"), typ: weft.InvalidConfigurationError},
		{name: "rate limited", reply: oerr(429, "requests", "rate_limit_exceeded", "Rate limit reached for gpt-4o"), typ: weft.RateLimitError},
	})
}
