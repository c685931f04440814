package declarative_test

import (
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/value"
)

var telegramCreds = weft.Bundle{"token": "123456:ABC-secret"}

func TestTelegramSendMessage(t *testing.T) {
	s := newStandIn(t, ok(`{"ok":true,"result":{"message_id":42,"chat":{"id":-100,"type":"group"},"date":1700000000,"text":"Done"}}`))
	// Blueprint 039's mapper: empty optional fields are not sent.
	out, err := run(t, shipped(t, "telegram", "SendReplyMessage", s), telegramCreds, `{
		"chatId": "-100", "text": "Done", "messageThreadId": "", "parseMode": "", "disableNotification": false,
		"replyToMessageId": "", "replyMarkupAssembleType": "reply_markup_enter", "replyMarkup": ""}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/bot123456:ABC-secret/sendMessage" {
		t.Fatalf("request %s %s", g.Method, g.Path)
	}
	sameJSON(t, "body", jsonBody(t, g.Body), `{"chat_id":"-100","text":"Done","disable_notification":false}`)
	sameJSON(t, "output", out, `[{"message_id":42,"chat":{"id":-100,"type":"group"},"date":1700000000,"text":"Done"}]`)
}

func TestTelegramReplyOptions(t *testing.T) {
	s := newStandIn(t, ok(`{"ok":true,"result":{"message_id":43}}`))
	_, err := run(t, shipped(t, "telegram", "SendReplyMessage", s), telegramCreds, `{
		"chatId": "7", "text": "*hi*", "messageThreadId": "9", "parseMode": "MarkdownV2", "disableWebPagePreview": true,
		"replyToMessageId": "41", "replyMarkup": "{\"inline_keyboard\":[[{\"text\":\"Open\",\"url\":\"https://example.com\"}]]}"}`)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "body", jsonBody(t, s.only(t).Body), `{"chat_id":"7","text":"*hi*","message_thread_id":9,"parse_mode":"MarkdownV2",
		"link_preview_options":{"is_disabled":true},"reply_parameters":{"message_id":41},
		"reply_markup":{"inline_keyboard":[[{"text":"Open","url":"https://example.com"}]]}}`)
}

func TestTelegramErrors(t *testing.T) {
	mapper := `{"chatId":"7","text":"x"}`
	terr := func(code int, desc string) reply {
		return reply{status: code, body: `{"ok":false,"error_code":` + itoa(code) + `,"description":"` + desc + `"}`}
	}
	checkErrors(t, "telegram", "SendReplyMessage", telegramCreds, mapper, []errCase{
		{"chat not found", terr(400, "Bad Request: chat not found"), weft.DataError, "[400] Bad Request: chat not found"},
		{"bad token", terr(401, "Unauthorized"), weft.InvalidAccessTokenError, "Unauthorized"},
		{"malformed token", terr(404, "Not Found"), weft.InvalidAccessTokenError, "Not Found"},
		{"blocked by the user is that chat's problem", terr(403, "Forbidden: bot was blocked by the user"), weft.DataError, "blocked"},
		{"flood", terr(429, "Too Many Requests: retry after 5"), weft.RateLimitError, "retry after 5"},
		{"down", reply{status: 502, body: `<html>Bad Gateway</html>`, header: map[string]string{"Content-Type": "text/html"}}, weft.ConnectionError, "[502]"},
	})
}

// The bot token is part of the URL; it must not reach a message or Details.
func TestTelegramErrorsHideTheToken(t *testing.T) {
	s := newStandIn(t, reply{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`})
	_, err := run(t, shipped(t, "telegram", "SendReplyMessage", s), telegramCreds, `{"chatId":"7","text":"x"}`)
	e := apptest.WantError(t, err, weft.RateLimitError, "retry after 5")
	if e.RetryAfter != 5*time.Second {
		t.Fatalf("RetryAfter %s, want 5s from the body", e.RetryAfter)
	}
	if s := err.Error() + string(value.JSON(e.Details)); strings.Contains(s, "ABC-secret") || !strings.Contains(s, "/bot***/sendMessage") {
		t.Fatalf("token not hidden: %s", s)
	}
	// A refused connection names the URL without the token too.
	s.Close()
	_, err = run(t, shipped(t, "telegram", "SendReplyMessage", s), telegramCreds, `{"chatId":"7","text":"x"}`)
	e = apptest.WantError(t, err, weft.ConnectionError, "connection refused")
	if s := err.Error() + string(value.JSON(e.Details)); strings.Contains(s, "ABC-secret") {
		t.Fatalf("token not hidden: %s", s)
	}
}
