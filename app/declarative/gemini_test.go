package declarative_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

var geminiCreds = weft.Bundle{"apiKey": "AIza-secret"}

// A GenerateContentResponse as the API documents it: a thought part (includeThoughts)
// and two answer parts.
const geminiAnswer = `{"candidates":[{"content":{"parts":[{"text":"Let me think.","thought":true},{"text":"{\"status\": "},{"text":"\"Qualified\"}"}],"role":"model"},
	"finishReason":"STOP","index":0}],
	"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":6,"totalTokenCount":18},
	"modelVersion":"gemini-2.5-flash","responseId":"resp-1"}`

func TestGeminiGenerateContent(t *testing.T) {
	s := newStandIn(t, ok(geminiAnswer))
	// Blueprint 142's mapper (a PDF uploaded before, a system instruction, the empty
	// sections Make's form leaves) with 126's grounding switches and a function call.
	out, err := run(t, shipped(t, "gemini-ai", "createACompletionGeminiPro", s), geminiCreds, `{
		"model": "gemini-2.5-flash",
		"contents": [
			{"role": "user", "parts": [
				{"text": "Extraia os dados do pdf", "type": "text"},
				{"type": "file", "file_data": {"file_uri": "https://generativelanguage.googleapis.com/v1beta/files/abc", "mime_type": "application/pdf"}}]},
			{"role": "model", "parts": [{"type": "functionCall", "functionCall": {"name": "lookup", "args": "{\"cpf\": \"123\"}"}, "thoughtSignature": "sig"}]},
			{"role": "user", "parts": [{"type": "functionResponse", "functionResponse": {"name": "lookup", "response": {"found": false}}}]}],
		"generationConfig": {"imageConfig": {}, "thinkingConfig": {"thinkingBudget": "0", "include_thoughts": true}, "mediaResolution": "media_resolution_medium",
			"responseModalities": ["text"], "temperature": "0.2", "maxOutputTokens": "1024", "stopSequences": ["END"]},
		"system_instruction": {"parts": [{"text": "Responda em JSON."}]},
		"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
		"url_context": true, "google_search_context": true, "code_execution": false,
		"tools": "[{\"functionDeclarations\": [{\"name\": \"lookup\"}]}]"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v1beta/models/gemini-2.5-flash:generateContent" || g.Header.Get("x-goog-api-key") != "AIza-secret" ||
		g.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s key %q type %q", g.Method, g.Path, g.Header.Get("x-goog-api-key"), g.Header.Get("Content-Type"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{
		"contents": [
			{"role": "user", "parts": [{"text": "Extraia os dados do pdf"},
				{"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc", "mimeType": "application/pdf"}}]},
			{"role": "model", "parts": [{"functionCall": {"name": "lookup", "args": {"cpf": "123"}}, "thoughtSignature": "sig"}]},
			{"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {"found": false}}}]}],
		"systemInstruction": {"parts": [{"text": "Responda em JSON."}]},
		"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
		"generationConfig": {"stopSequences": ["END"], "responseModalities": ["TEXT"], "maxOutputTokens": 1024, "temperature": 0.2,
			"thinkingConfig": {"thinkingBudget": 0, "includeThoughts": true}, "mediaResolution": "MEDIA_RESOLUTION_MEDIUM"},
		"tools": [{"googleSearch": {}}, {"urlContext": {}}, {"functionDeclarations": [{"name": "lookup"}]}]}`)
	if len(out) != 1 || out[0]["result"] != `{"status": "Qualified"}` || out[0]["responseId"] != "resp-1" || out[0]["modelVersion"] != "gemini-2.5-flash" {
		t.Fatalf("output %v", out)
	}
	sameJSON(t, "usage", out[0]["usageMetadata"], `{"promptTokenCount":12,"candidatesTokenCount":6,"totalTokenCount":18}`)
}

// The most common shape in the corpus (009, 097, 275, 316…): one text part, empty
// system instruction and configuration sections, no switches; a model named with its
// resource prefix.
func TestGeminiGenerateContentMinimal(t *testing.T) {
	s := newStandIn(t, ok(`{"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"finishReason":"STOP"}]}`))
	out, err := run(t, shipped(t, "gemini-ai", "createACompletionGeminiPro", s), geminiCreds, `{
		"model": "models/gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"type": "text", "text": "Summarize: x"}]}],
		"system_instruction": {}, "generationConfig": {"thinkingConfig": {}, "imageConfig": {}}}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Path != "/v1beta/models/gemini-2.5-flash:generateContent" {
		t.Fatalf("path %s", g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"contents":[{"role":"user","parts":[{"text":"Summarize: x"}]}]}`)
	if out[0]["result"] != "Hello" {
		t.Fatalf("output %v", out)
	}
}

// A prompt Gemini blocks answers 200 with promptFeedback and no candidate: a person
// changes the prompt, so the bundle waits as a DataError.
func TestGeminiBlockedPrompt(t *testing.T) {
	s := newStandIn(t, ok(`{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},"usageMetadata":{"promptTokenCount":5}}`))
	_, err := run(t, shipped(t, "gemini-ai", "createACompletionGeminiPro", s), geminiCreds,
		`{"model":"gemini-2.5-flash","contents":[{"role":"user","parts":[{"type":"text","text":"x"}]}]}`)
	apptest.WantError(t, err, weft.DataError, "[200] the prompt was blocked: SAFETY")
}

func TestGeminiSimpleTextPrompt(t *testing.T) {
	s := newStandIn(t, ok(`{"candidates":[{"content":{"parts":[{"text":"Welcome, Ada!"}],"role":"model"}}],"modelVersion":"gemini-3.5-flash"}`))
	// Blueprint 141's mapper.
	out, err := run(t, shipped(t, "gemini-ai", "simpleTextPrompt", s), geminiCreds,
		`{"model":"gemini-3.5-flash","textPrompt":"Write a short welcome email to Ada."}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v1beta/models/gemini-3.5-flash:generateContent" || g.Header.Get("x-goog-api-key") != "AIza-secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"contents":[{"role":"user","parts":[{"text":"Write a short welcome email to Ada."}]}]}`)
	if out[0]["result"] != "Welcome, Ada!" || out[0]["modelVersion"] != "gemini-3.5-flash" {
		t.Fatalf("output %v", out)
	}
}

func TestGeminiUploadAFile(t *testing.T) {
	s := newStandIn(t, ok(`{"file":{"name":"files/abc","displayName":"invoice.pdf","mimeType":"application/pdf","sizeBytes":"9",
		"createTime":"2026-03-04T05:06:07Z","expirationTime":"2026-03-06T05:06:07Z","sha256Hash":"aGFzaA==",
		"uri":"https://generativelanguage.googleapis.com/v1beta/files/abc","state":"ACTIVE","source":"UPLOADED"}}`))
	pdf := []byte("%PDF-1.7\x00\xff")
	exec := apptest.NewExec()
	exec.Connections["conn"] = geminiCreds
	// Blueprint 308's mapper: an email attachment's data and file name.
	out, err := apptest.Run(t.Context(), shipped(t, "gemini-ai", "uploadAFile", s), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"file_data": pdf, "file_name": "invoice.pdf", "useFileSearchStore": false}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/upload/v1beta/files" || g.Query != "uploadType=multipart" || g.Header.Get("x-goog-api-key") != "AIza-secret" {
		t.Fatalf("request %s %s?%s", g.Method, g.Path, g.Query)
	}
	parts := multipartBody(t, g, "multipart/related")
	if len(parts) != 2 {
		t.Fatalf("%d parts, want metadata and media", len(parts))
	}
	if ct := parts[0].header["Content-Type"]; len(ct) != 1 || ct[0] != "application/json; charset=UTF-8" {
		t.Fatalf("metadata part type %v", ct)
	}
	sameJSON(t, "metadata", jsonBody(t, string(parts[0].body)), `{"file":{"displayName":"invoice.pdf"}}`)
	if ct := parts[1].header["Content-Type"]; len(ct) != 1 || ct[0] != "application/pdf" || !bytes.Equal(parts[1].body, pdf) {
		t.Fatalf("media part type %v body %q", ct, parts[1].body)
	}
	if len(out) != 1 || out[0]["uri"] != "https://generativelanguage.googleapis.com/v1beta/files/abc" || out[0]["mimeType"] != "application/pdf" ||
		out[0]["name"] != "files/abc" {
		t.Fatalf("output %v", out)
	}
}

// Uploading into a file search store needs the store's name, which Make's module asks
// for elsewhere: weft refuses it as a DataError naming the field rather than upload the
// file somewhere else.
func TestGeminiUploadIntoAFileSearchStoreIsRefused(t *testing.T) {
	s := newStandIn(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = geminiCreds
	_, err := apptest.Run(t.Context(), shipped(t, "gemini-ai", "uploadAFile", s), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"file_data": []byte("x"), "file_name": "a.txt", "useFileSearchStore": true}, exec)
	apptest.WantError(t, err, weft.DataError, "useFileSearchStore")
	if n := len(s.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestGeminiCreateAnImage(t *testing.T) {
	// "PNG!" and "JPG!" in base64.
	s := newStandIn(t, ok(`{"predictions":[{"bytesBase64Encoded":"UE5HIQ==","mimeType":"image/png"},{"bytesBase64Encoded":"SlBHIQ==","mimeType":"image/jpeg"}]}`))
	// Blueprint 338's mapper.
	out, err := run(t, shipped(t, "gemini-ai", "createAnImage", s), geminiCreds, `{"model":"imagen-4.0-generate-001",
		"prompt":"a coffee cup, professional marketing image","aspectRatio":"1:1","personGeneration":"ALLOW_ADULT"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v1beta/models/imagen-4.0-generate-001:predict" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"instances":[{"prompt":"a coffee cup, professional marketing image"}],
		"parameters":{"sampleCount":1,"aspectRatio":"1:1","personGeneration":"allow_adult"}}`)
	if len(out) != 2 || out[0]["fileName"] != "image.png" || !bytes.Equal(out[0]["data"].([]byte), []byte("PNG!")) ||
		out[1]["fileName"] != "image2.jpg" || !bytes.Equal(out[1]["data"].([]byte), []byte("JPG!")) || out[1]["mimeType"] != "image/jpeg" {
		t.Fatalf("output %v", out)
	}
}

// Imagen answers 200 without predictions when its safety filters removed every image.
func TestGeminiCreateAnImageFilteredOut(t *testing.T) {
	s := newStandIn(t, ok(`{}`))
	_, err := run(t, shipped(t, "gemini-ai", "createAnImage", s), geminiCreds, `{"model":"imagen-4.0-generate-001","prompt":"x"}`)
	apptest.WantError(t, err, weft.DataError, "no image was generated")
}

// The Gemini API's documented errors (ai.google.dev/gemini-api/docs/troubleshooting):
// google.rpc status in the body, an ErrorInfo reason for a bad key, RetryInfo on 429.
func TestGeminiErrors(t *testing.T) {
	gerr := func(code int, status, msg, details string) reply {
		return reply{status: code, body: `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `","details":[` + details + `]}}`}
	}
	mapper := `{"model":"gemini-2.5-flash","contents":[{"role":"user","parts":[{"type":"text","text":"x"}]}]}`
	errorTable(t, "gemini-ai", "createACompletionGeminiPro", geminiCreds, mapper, []tableCase{
		{name: "invalid API key", reply: gerr(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
			`{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}`),
			typ: weft.InvalidAccessTokenError, message: "[400] API key not valid"},
		{name: "malformed request", reply: gerr(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", ""),
			typ: weft.DataError, message: "[400] Invalid JSON payload"},
		{name: "free tier not available, billing needed", reply: gerr(400, "FAILED_PRECONDITION", "User location is not supported for the API use.", ""),
			typ: weft.InvalidConfigurationError, message: "location is not supported"},
		{name: "key without permission", reply: gerr(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.", ""),
			typ: weft.InvalidConfigurationError, message: "unregistered callers"},
		{name: "no such model", reply: gerr(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta", ""),
			typ: weft.DataError, message: "gemini-9 is not found"},
		{name: "quota exceeded, retried after the delay Gemini names", reply: gerr(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.",
			`{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"27s"}`),
			typ: weft.RateLimitError, message: "current quota", retryAfter: 27 * time.Second},
		{name: "internal error is transient", reply: gerr(500, "INTERNAL", "An internal error has occurred.", ""),
			typ: weft.ConnectionError, message: "[500] An internal error"},
		{name: "overloaded", reply: gerr(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", ""),
			typ: weft.ConnectionError, message: "overloaded"},
		{name: "deadline exceeded", reply: gerr(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", ""),
			typ: weft.ConnectionError, message: "Deadline expired"},
	})
}

func TestGeminiUploadErrors(t *testing.T) {
	errorTable(t, "gemini-ai", "uploadAFile", geminiCreds, `{"file_name":"big.mp4","file_data":"x"}`, []tableCase{
		{name: "file over the 2 GB limit", reply: reply{status: 413, body: `{"error":{"code":413,"message":"Request Entity Too Large","status":"FAILED_PRECONDITION"}}`},
			typ: weft.MaxFileSizeExceededError, message: "[413]"},
		{name: "invalid API key", reply: reply{status: 400, body: `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT",
			"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`},
			typ: weft.InvalidAccessTokenError, message: "API key not valid"},
	})
}
