package email

import (
	"context"
	"crypto/tls"
	"net"

	mail "github.com/wneessen/go-mail"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

func sendSpec(o Options) app.Spec {
	return app.Spec{
		Name:  "email:ActionSendEmail",
		Label: "Email: Send an email",
		Help:  "Sends an email through the SMTP server of the connection. A message the server accepted cannot be recalled.",
		Parameters: []app.Field{
			{Name: "account", Label: "Connection", Type: app.TypeAny,
				Help: "The SMTP connection: host, port, tls (none, starttls, tls), username, password, from."},
			{Name: "saveAfterSent", Label: "Save message after sending", Type: app.TypeBoolean, Default: false,
				Help: "Saving to a Sent folder needs IMAP, which weft does not speak: only false is accepted."},
		},
		Mapper: []app.Field{
			{Name: "to", Label: "To", Type: app.TypeArray, Required: true,
				Help: "Addresses: texts (\"Ann <ann@example.com>\", comma-separated lists) or {address, name}."},
			{Name: "subject", Label: "Subject", Type: app.TypeText},
			{Name: "contentType", Label: "Content type", Type: app.TypeSelect, Default: "html", Options: []string{"html", "text"}},
			{Name: "html", Label: "Content (HTML)", Type: app.TypeText},
			{Name: "text", Label: "Content (plain text)", Type: app.TypeText},
			{Name: "attachments", Label: "Attachments", Type: app.TypeArray, Spec: []app.Field{
				{Name: "fileName", Type: app.TypeText, Required: true},
				{Name: "data", Type: app.TypeAny, Help: "Binary data or text."},
				{Name: "contentType", Type: app.TypeText, Help: "Defaults from the file name's extension."},
				{Name: "cid", Type: app.TypeText, Help: "Content-ID: embeds the file inline."},
			}},
			{Name: "cc", Label: "Copy recipient", Type: app.TypeArray},
			{Name: "bcc", Label: "Blind copy recipient", Type: app.TypeArray},
			{Name: "from", Label: "From", Type: app.TypeText, Help: "Defaults to the connection's from."},
			{Name: "sender", Label: "Sender", Type: app.TypeText},
			{Name: "replyTo", Label: "Reply-To", Type: app.TypeText},
			{Name: "inReplyTo", Label: "In-Reply-To", Type: app.TypeText},
			{Name: "references", Label: "References", Type: app.TypeArray, Help: "Message ids of the thread."},
			{Name: "priority", Label: "Priority", Type: app.TypeSelect, Default: "normal", Options: []string{"high", "normal", "low"}},
			{Name: "headers", Label: "Headers", Type: app.TypeArray, Help: "Custom header fields [{key, value}]."},
		},
		New: func(cfg app.Config) (app.Module, error) {
			if value.Bool(cfg.Parameters["saveAfterSent"]) {
				return nil, configError("parameters.saveAfterSent: saving sent messages needs IMAP, which weft does not support; set it to No")
			}
			ref := cfg.Parameters["account"]
			if value.IsEmpty(ref) {
				ref = cfg.Parameters["__IMTCONN__"]
			}
			if value.IsEmpty(ref) {
				return nil, configError("parameters.account: an SMTP connection is required")
			}
			return &sendModule{o: o, account: ref}, nil
		},
	}
}

type sendModule struct {
	o       Options
	account any
}

func (m *sendModule) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	conn, err := readConnection(c.Exec, m.account)
	if err != nil {
		return nil, err
	}
	out, err := buildMessage(c.Input, conn, c.Exec.Now(), m.o.NewID)
	if err != nil {
		return nil, err
	}
	response, err := m.send(ctx, conn, out.msg)
	if err != nil {
		return nil, err
	}
	rcpts := make([]any, len(out.rcpts))
	for i, r := range out.rcpts {
		rcpts[i] = r
	}
	return []weft.Bundle{{
		"messageId": out.id,
		"envelope":  map[string]any{"from": out.from, "to": rcpts},
		"response":  response,
	}}, nil
}

// send delivers one message over a fresh connection and returns the server's final
// reply. The connection is closed when ctx ends, so a hung server cannot outlive the
// module's time limit.
func (m *sendModule) send(ctx context.Context, conn *smtpConn, msg *mail.Msg) (string, error) {
	tlsCfg := &tls.Config{ServerName: conn.host, RootCAs: m.o.RootCAs, MinVersion: tls.VersionTLS12,
		InsecureSkipVerify: conn.skipVerify} //nolint:gosec // the connection's own choice (rejectUnauthorized: false)
	var closers []func() bool
	defer func() {
		for _, stop := range closers {
			stop()
		}
	}()
	// The connection is opened through the outbound policy (a refusal names its rule);
	// implicit TLS is then done on it.
	policyDial := m.o.Net.Dialer(&net.Dialer{})
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := policyDial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		if conn.tls == tlsImplicit {
			tc := tls.Client(nc, tlsCfg)
			if err := tc.HandshakeContext(dctx); err != nil {
				nc.Close()
				return nil, err
			}
			nc = tc
		}
		closers = append(closers, context.AfterFunc(ctx, func() { nc.Close() }))
		return nc, nil
	}
	opts := []mail.Option{
		mail.WithPort(conn.port),
		mail.WithTimeout(m.o.Timeout),
		mail.WithDialContextFunc(dial),
		mail.WithTLSConfig(tlsCfg),
	}
	// Implicit TLS is done by dial; go-mail then must not try STARTTLS on top.
	switch conn.tls {
	case tlsStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if m.o.HELO != "" {
		opts = append(opts, mail.WithHELO(m.o.HELO))
	}
	if conn.username != "" {
		// The strongest mechanism the server offers among those a password allows.
		// PLAIN and LOGIN refuse to run over an unencrypted connection (except to
		// localhost), so tls none never leaks the password.
		opts = append(opts, mail.WithUsername(conn.username), mail.WithPassword(conn.password),
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1,
				mail.SMTPAuthPlain, mail.SMTPAuthLogin, mail.SMTPAuthCramMD5))
	}
	client, err := mail.NewClient(conn.host, opts...)
	if err != nil {
		return "", configError("connection: %v", err)
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", classifySend(ctx, "connect to "+conn.addr(), err)
	}
	if err := client.SendWithSMTPClient(sc, msg); err != nil {
		_ = sc.Close()
		return "", classifySend(ctx, "send via "+conn.addr(), err)
	}
	// The server accepted the message: a failing QUIT must not fail the module, or a
	// retry would send the message twice.
	_ = client.CloseWithSMTPClient(sc)
	return msg.ServerResponse(), nil
}
