package declarative_test

import (
	"encoding/base64"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

func TestGoogleCloudSpeechRecognize(t *testing.T) {
	s := newStandIn(t, ok(`{"results":[{"alternatives":[{"transcript":"hello world","confidence":0.93}],"resultEndTime":"1.500s","languageCode":"en-us"},
		{"alternatives":[{"transcript":"second","confidence":0.9}],"channelTag":1}],"totalBilledTime":"2s","requestId":"42"}`))
	ogg := []byte("OggS\x00\x02voice")
	exec := apptest.NewExec()
	exec.Connections["conn"] = googleCreds
	// Blueprint 338's mapper: a Telegram voice message's data, Make's empty metadata selects.
	out, err := apptest.Run(t.Context(), shipped(t, "google-cloud-speech", "speechRecognize", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"content": ogg, "encoding": "OGG_OPUS", "fileName": "voice.oga", "FLACorWAV": true, "uploadType": "content",
		"languageCode": "en-US", "sampleRateHertz": "48000", "audioChannelCount": "1", "enableSeparateRecognitionPerChannel": false,
		"metadata":                 map[string]any{"interactionType": "", "microphoneDistance": ""},
		"enableSpeakerDiarization": true, "diarizationSpeakerCount": "2",
		"speechContexts": []any{map[string]any{"phrases": []any{"weft"}, "boost": "5"}}}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v1/speech:recognize" || g.Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("request %s %s auth %q", g.Method, g.Path, g.Header.Get("Authorization"))
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"config":{"encoding":"OGG_OPUS","sampleRateHertz":48000,"audioChannelCount":1,
		"enableSeparateRecognitionPerChannel":false,"languageCode":"en-US","speechContexts":[{"phrases":["weft"],"boost":5}],
		"diarizationConfig":{"enableSpeakerDiarization":true,"minSpeakerCount":2,"maxSpeakerCount":2}},
		"audio":{"content":"`+base64.StdEncoding.EncodeToString(ogg)+`"}}`)
	sameJSON(t, "output", out, `[{"alternatives":[{"transcript":"hello world","confidence":0.93}],"resultEndTime":"1.500s","languageCode":"en-us","__IMTINDEX__":1,"__IMTLENGTH__":2},
		{"alternatives":[{"transcript":"second","confidence":0.9}],"channelTag":1,"__IMTINDEX__":2,"__IMTLENGTH__":2}]`)
	// A Cloud Storage URI instead of the data; no speech recognized gives no bundle.
	s.set(ok(`{"totalBilledTime":"1s"}`))
	out, err = run(t, shipped(t, "google-cloud-speech", "speechRecognize", s), googleCreds,
		`{"uploadType":"uri","uri":"gs://bucket/a.flac","languageCode":"de-DE","encoding":"ENCODING_UNSPECIFIED"}`)
	if err != nil || len(out) != 0 {
		t.Fatalf("out %v err %v", out, err)
	}
	sameJSON(t, "uri body", jsonBody(t, s.requests()[1].Body), `{"config":{"languageCode":"de-DE"},"audio":{"uri":"gs://bucket/a.flac"}}`)
}

// Google Cloud's documented errors (cloud.google.com/apis/design/errors).
func TestGoogleCloudSpeechErrors(t *testing.T) {
	gerr := func(code int, status, msg string) reply {
		return reply{status: code, body: `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `"}}`}
	}
	errorTable(t, "google-cloud-speech", "speechRecognize", googleCreds, `{"content":"x","languageCode":"en-US"}`, []tableCase{
		{name: "bad config", reply: gerr(400, "INVALID_ARGUMENT", "Sync input too long. For audio longer than 1 min use LongRunningRecognize"),
			typ: weft.DataError, message: "[400] Sync input too long"},
		{name: "token expired", reply: gerr(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), typ: weft.InvalidAccessTokenError},
		{name: "API not enabled", reply: gerr(403, "PERMISSION_DENIED", "Cloud Speech-to-Text API has not been used in project 1 before or it is disabled."),
			typ: weft.InvalidConfigurationError, message: "disabled"},
		{name: "quota", reply: gerr(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), typ: weft.RateLimitError},
		{name: "internal", reply: gerr(500, "INTERNAL", "Internal error encountered."), typ: weft.ConnectionError},
		{name: "unavailable", reply: gerr(503, "UNAVAILABLE", "The service is currently unavailable."), typ: weft.ConnectionError},
	})
}

func TestGoogleCloudVisionDetectText(t *testing.T) {
	s := newStandIn(t, ok(`{"responses":[{"textAnnotations":[{"locale":"en","description":"INVOICE 42\n"}],
		"fullTextAnnotation":{"text":"INVOICE 42\n","pages":[]}}]}`))
	png := []byte("\x89PNG\r\n\x1a\nscan")
	exec := apptest.NewExec()
	exec.Connections["conn"] = googleCreds
	// Blueprint 307's mapper: a Drive download's data.
	out, err := apptest.Run(t.Context(), shipped(t, "googlecloudvision", "DetectText", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"data": png, "imageSendMethod": "send_type_data", "isToOptimizeDetection": false, "isToIncludeFullTextAnnotation": false}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/v1/images:annotate" || g.Header.Get("Authorization") != "Bearer ya29.secret" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"requests":[{"image":{"content":"`+base64.StdEncoding.EncodeToString(png)+`"},
		"features":[{"type":"TEXT_DETECTION"}]}]}`)
	if out[0]["fullTextAnnotation"].(map[string]any)["text"] != "INVOICE 42\n" {
		t.Fatalf("output %v", out)
	}
	s.set(ok(`{"responses":[{}]}`))
	if _, err := run(t, shipped(t, "googlecloudvision", "DetectText", s), googleCreds,
		`{"imageSendMethod":"send_type_url","url":"https://cdn.example/scan.png","isToOptimizeDetection":true}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "url body", jsonBody(t, s.requests()[1].Body), `{"requests":[{"image":{"source":{"imageUri":"https://cdn.example/scan.png"}},
		"features":[{"type":"DOCUMENT_TEXT_DETECTION"}]}]}`)
}

func TestGoogleCloudVisionErrors(t *testing.T) {
	errorTable(t, "googlecloudvision", "DetectText", googleCreds, `{"data":"not an image"}`, []tableCase{
		// Vision reports a bad image inside a 200 answer, per image.
		{name: "bad image", reply: ok(`{"responses":[{"error":{"code":3,"message":"Bad image data."}}]}`), typ: weft.DataError, message: "[200] Bad image data."},
		{name: "API not enabled", reply: reply{status: 403, body: `{"error":{"code":403,"message":"Cloud Vision API has not been used in project 1","status":"PERMISSION_DENIED"}}`},
			typ: weft.InvalidConfigurationError},
		{name: "quota", reply: reply{status: 429, body: `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`}, typ: weft.RateLimitError},
		{name: "internal", reply: reply{status: 500, body: `{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}`}, typ: weft.ConnectionError},
	})
}
