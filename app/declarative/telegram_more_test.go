package declarative_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// botAPI answers as the Bot API documents: methods under /bot{token}/ (multipart or
// JSON), files under /file/bot{token}/{file_path}.
func botAPI(t *testing.T) *standIn {
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		switch r.URL.Path {
		case "/bot123456:ABC-secret/sendPhoto", "/bot123456:ABC-secret/sendVideo":
			form, err := parseForm(r.Header.Get("Content-Type"), body)
			if err != nil {
				return reply{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: not multipart"}`}
			}
			for _, p := range form {
				if p.Name == "photo" || p.Name == "video" {
					return ok(`{"ok":true,"result":{"message_id":50,"chat":{"id":7},"` + p.Name + `":[{"file_id":"AgAD","file_size":` + itoa(len(p.Body)) + `}]}}`)
				}
			}
			return reply{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: there is no photo in the request"}`}
		case "/bot123456:ABC-secret/getFile":
			if r.URL.Query().Get("file_id") != "AwACAgQ" {
				return reply{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`}
			}
			return ok(`{"ok":true,"result":{"file_id":"AwACAgQ","file_unique_id":"u1","file_size":5,"file_path":"voice/file_12.oga"}}`)
		case "/file/bot123456:ABC-secret/voice/file_12.oga":
			return reply{status: 200, body: "OggS\x00", header: map[string]string{"Content-Type": "application/octet-stream"}}
		case "/bot123456:ABC-secret/sendMessage":
			return ok(`{"ok":true,"result":{"message_id":51,"text":"hi"}}`)
		}
		return reply{status: 404, body: `{"ok":false,"error_code":404,"description":"Not Found"}`}
	}
	return s
}

func TestTelegramSendPhotoFromData(t *testing.T) {
	s := botAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = telegramCreds
	// Blueprint 338's mapper: an image generated upstream, sent by data.
	out, err := apptest.Run(t.Context(), shipped(t, "telegram", "SendPhoto", s), weft.Bundle{"__IMTCONN__": "conn"}, weft.Bundle{
		"data": []byte("\x89PNG-image"), "chatId": "7", "caption": "Your requested image is ready to post!!", "filename": "image.png",
		"sendType": "send_bydata", "parseMode": "", "contentType": "", "replyMarkup": "", "messageThreadId": "", "replyToMessageId": "",
		"replyMarkupAssembleType": "reply_markup_enter"}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	parts := formParts(t, g.Header.Get("Content-Type"), g.Body)
	got := map[string]formPart{}
	for _, p := range parts {
		got[p.Name] = p
	}
	if len(parts) != 3 || got["chat_id"].Body != "7" || got["caption"].Body != "Your requested image is ready to post!!" ||
		got["photo"].FileName != "image.png" || got["photo"].Type != "image/png" || got["photo"].Body != "\x89PNG-image" {
		t.Fatalf("parts %+v", parts)
	}
	if out[0]["message_id"] != 50.0 {
		t.Fatalf("output %v", out)
	}
}

func TestTelegramSendVideoByURLAndByID(t *testing.T) {
	s := botAPI(t)
	_, err := run(t, shipped(t, "telegram", "SendVideo", s), telegramCreds,
		`{"chatId": "7", "sendType": "send_byurl", "url": "https://cdn.example/v.mp4", "duration": 12, "disableNotification": true,
		  "replyToMessageId": 40, "replyMarkup": "{\"inline_keyboard\":[[{\"text\":\"Open\",\"url\":\"https://example.com\"}]]}"}`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range formParts(t, s.requests()[0].Header.Get("Content-Type"), s.requests()[0].Body) {
		if p.FileName != "" {
			t.Fatalf("a URL was sent as a file: %+v", p)
		}
		got[p.Name] = p.Body
	}
	if got["video"] != "https://cdn.example/v.mp4" || got["duration"] != "12" || got["disable_notification"] != "true" ||
		got["reply_parameters"] != `{"message_id":40}` || got["reply_markup"] != `{"inline_keyboard":[[{"text":"Open","url":"https://example.com"}]]}` {
		t.Fatalf("form %v", got)
	}
	if _, err := run(t, shipped(t, "telegram", "SendVideo", s), telegramCreds, `{"chatId": "7", "sendType": "send_byid", "fileId": "BAACAgQ"}`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.requests()[1].Body, "BAACAgQ") {
		t.Fatalf("file id not sent: %s", s.requests()[1].Body)
	}
	// A video over the Bot API's 50 MB upload: refused before sending.
	exec := apptest.NewExec()
	exec.Connections["conn"] = telegramCreds
	_, err = apptest.Run(t.Context(), shipped(t, "telegram", "SendVideo", s), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"chatId": "7", "sendType": "send_bydata", "filename": "big.mp4", "data": bytes.Repeat([]byte{0}, 50<<20+1)}, exec)
	apptest.WantError(t, err, weft.MaxFileSizeExceededError, `"big.mp4"`)
	if len(s.requests()) != 2 {
		t.Fatalf("%d requests", len(s.requests()))
	}
}

func TestTelegramDownloadFile(t *testing.T) {
	s := botAPI(t)
	// Blueprint 338 downloads a voice message.
	out, err := run(t, shipped(t, "telegram", "DownloadFile", s), telegramCreds, `{"fileId": "AwACAgQ"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.requests()
	if len(g) != 2 || g[0].Path != "/bot123456:ABC-secret/getFile" || g[1].Path != "/file/bot123456:ABC-secret/voice/file_12.oga" {
		t.Fatalf("requests %+v", g)
	}
	if d, isBytes := out[0]["data"].([]byte); !isBytes || string(d) != "OggS\x00" || out[0]["fileName"] != "file_12.oga" || out[0]["fileSize"] != 5.0 {
		t.Fatalf("output %#v", out[0])
	}
	_, err = run(t, shipped(t, "telegram", "DownloadFile", s), telegramCreds, `{"fileId": "bad"}`)
	e := apptest.WantError(t, err, weft.DataError, "[400] Bad Request: invalid file_id")
	if strings.Contains(e.Message+e.Details["url"].(string), "ABC-secret") {
		t.Fatalf("token in %s %v", e.Message, e.Details["url"])
	}
}

func TestTelegramActionSendMessage(t *testing.T) {
	s := botAPI(t)
	// Blueprint 128's mapper.
	if _, err := run(t, shipped(t, "telegram", "ActionSendMessage", s), telegramCreds, `{"chatId": "5566290055", "text": "⚽ *PICKS*", "parseMode": "Markdown"}`); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"chat_id":"5566290055","text":"⚽ *PICKS*","parse_mode":"Markdown"}`)
}

func TestTelegramSendPhotoErrors(t *testing.T) {
	terr := func(code int, desc string) reply {
		return reply{status: code, body: `{"ok":false,"error_code":` + itoa(code) + `,"description":"` + desc + `"}`}
	}
	checkDocumented(t, "telegram", "SendPhoto", telegramCreds, `{"chatId": "7", "sendType": "send_byurl", "url": "https://cdn.example/a.jpg"}`, []documented{
		{"wrong file type", terr(400, "Bad Request: wrong file identifier/HTTP URL specified"), weft.DataError, "wrong file identifier", 0},
		{"photo too big", terr(400, "Bad Request: PHOTO_INVALID_DIMENSIONS"), weft.DataError, "PHOTO_INVALID_DIMENSIONS", 0},
		{"413", terr(413, "Request Entity Too Large"), weft.MaxFileSizeExceededError, "Too Large", 0},
		{"bad token", terr(401, "Unauthorized"), weft.InvalidAccessTokenError, "Unauthorized", 0},
		{"blocked", terr(403, "Forbidden: bot was blocked by the user"), weft.DataError, "blocked", 0},
		{"flood", reply{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 9","parameters":{"retry_after":9}}`}, weft.RateLimitError, "retry after 9", 9e9},
	})
}
