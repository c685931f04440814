package email

import (
	"testing"

	smtp "github.com/emersion/go-smtp"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// smtpServer makes Setup start a real SMTP server on 127.0.0.1 answering as sc says and
// name it as connection "smtp". edit, when set, changes the connection (a wrong
// password).
func smtpServer(sc script, edit func(weft.Bundle)) func(testing.TB, *apptest.ErrorCase) {
	return func(t testing.TB, c *apptest.ErrorCase) {
		conn := startSMTP(t, sc).conn()
		if edit != nil {
			edit(conn)
		}
		c.Connections = map[string]weft.Bundle{"smtp": conn}
	}
}

// SMTP replies through the real module and the real engine: each reply's type and
// what weft then does with the bundle (SPEC §3.2). A 4xx is transient by RFC 5321, so
// it is retried; a 5xx needs a person; nothing an SMTP server says fails the run.
func TestSendErrorTable(t *testing.T) {
	account := weft.Bundle{"account": "smtp", "saveAfterSent": false}
	mail := weft.Bundle{"to": []any{"bob@example.org"}, "subject": "Order 42", "text": "Thanks"}
	rcpt := func(code, a, b, c int, msg string) script {
		return script{rcptErr: map[string]*smtp.SMTPError{"bob@example.org": replyErr(code, a, b, c, msg)}}
	}
	apptest.CheckErrors(t, sendSpecFor(t, sendOpts()), []apptest.ErrorCase{
		{Name: "421 at EHLO", Params: account, Mapper: mail, Want: weft.ConnectionError,
			Setup:       smtpServer(script{ehloErr: replyErr(421, 4, 3, 2, "Service not available")}, nil),
			WantMessage: "SMTP server replied 421"},
		{Name: "450 greylisted", Params: account, Mapper: mail, Want: weft.ConnectionError,
			Setup: smtpServer(rcpt(450, 4, 2, 0, "Greylisted"), nil)},
		{Name: "452 out of storage", Params: account, Mapper: mail, Want: weft.OutOfSpaceError,
			Setup: smtpServer(rcpt(452, 4, 3, 1, "Insufficient system storage"), nil)},
		{Name: "535 wrong password", Params: account, Mapper: mail, Want: weft.InvalidAccessTokenError,
			Setup: smtpServer(script{tls: "tls", user: "ann", pass: "right"}, func(c weft.Bundle) {
				c["username"], c["password"] = "ann", "wrong"
			}),
			Check: func(t testing.TB, e *weft.Error) {
				if e.Details["smtpCode"] != 535.0 || e.Details["smtpCommand"] != "AUTH" {
					t.Errorf("details %v", e.Details)
				}
			}},
		{Name: "530 authentication required", Params: account, Mapper: mail, Want: weft.InvalidConfigurationError,
			Setup: smtpServer(script{mailErr: replyErr(530, 5, 7, 0, "Authentication required")}, nil)},
		{Name: "550 no such user", Params: account, Mapper: mail, Want: weft.DataError,
			Setup: smtpServer(rcpt(550, 5, 1, 1, "No such user"), nil), WantMessage: "5.1.1 No such user"},
		{Name: "552 too big", Params: account, Mapper: mail, Want: weft.MaxFileSizeExceededError,
			Setup: smtpServer(script{maxSize: 100}, nil)},
		{Name: "554 spam", Params: account, Mapper: mail, Want: weft.DataError,
			Setup: smtpServer(script{dataErr: replyErr(554, 5, 7, 1, "Spam detected")}, nil)},
		{Name: "nothing listening", Params: account, Mapper: mail, Want: weft.ConnectionError,
			Connections: map[string]weft.Bundle{"smtp": {"host": "127.0.0.1", "port": 1.0, "tls": "none", "from": "shop@example.com"}}},
		{Name: "unknown connection", Params: weft.Bundle{"account": "gone"}, Mapper: mail,
			Want: weft.InvalidConfigurationError, WantMessage: `parameters.account: connection "gone" not found`},
		{Name: "no recipient", Params: account, Mapper: weft.Bundle{"to": []any{}, "text": "x"},
			Setup: smtpServer(script{}, nil), Want: weft.DataError, WantMessage: "to: missing value"},
	})
}
