package email

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// TLS modes of an SMTP connection.
const (
	tlsNone     = "none"     // plain text (local relays only)
	tlsStartTLS = "starttls" // connect in clear, upgrade with STARTTLS; refuse to go on without it
	tlsImplicit = "tls"      // TLS from the first byte (port 465)
)

// smtpConn is an SMTP connection as stored by weft (app.Execution.Connection):
//
//	{"host": "smtp.example.com", "port": 587, "tls": "starttls",
//	 "username": "…", "password": "…", "from": "Shop <shop@example.com>",
//	 "rejectUnauthorized": true}
type smtpConn struct {
	host       string
	port       int
	tls        string
	username   string
	password   string
	from       string
	skipVerify bool
}

// readConnection resolves the module's connection parameter. A missing or unusable
// connection is an InvalidConfigurationError, missing credentials an
// InvalidAccessTokenError (a person must enter them); both name the parameter.
func readConnection(exec app.Execution, ref any) (*smtpConn, error) {
	if value.IsEmpty(ref) {
		return nil, configError("parameters.account: an SMTP connection is required")
	}
	raw, err := exec.Connection(ref)
	if err != nil {
		e := weft.AsError(err)
		return nil, &weft.Error{Type: e.Type, Message: "parameters.account: " + e.Message, Details: e.Details, Err: err}
	}
	name := value.Text(ref)
	c := &smtpConn{
		host:     strings.TrimSpace(value.Text(raw["host"])),
		username: value.Text(raw["username"]),
		password: value.Text(raw["password"]),
		from:     strings.TrimSpace(value.Text(raw["from"])),
		tls:      strings.ToLower(strings.TrimSpace(value.Text(raw["tls"]))),
	}
	if c.host == "" || strings.ContainsAny(c.host, " /\r\n") {
		return nil, configError("connection %s: host %q is not a server name", name, c.host)
	}
	if p := raw["port"]; !value.IsEmpty(p) {
		n, ok := value.Number(p)
		if !ok || n != float64(int(n)) || n < 1 || n > 65535 {
			return nil, configError("connection %s: port %q is not a port number 1…65535", name, value.Text(p))
		}
		c.port = int(n)
	}
	switch c.tls {
	case "":
		// Secure by default: port 465 speaks TLS from the start, anything else must
		// upgrade with STARTTLS before credentials or mail travel.
		c.tls = tlsStartTLS
		if c.port == 465 {
			c.tls = tlsImplicit
		}
	case tlsNone, tlsStartTLS, tlsImplicit:
	case "ssl":
		c.tls = tlsImplicit
	default:
		return nil, configError("connection %s: tls %q is not none, starttls or tls", name, c.tls)
	}
	if c.port == 0 {
		c.port = map[string]int{tlsNone: 25, tlsStartTLS: 587, tlsImplicit: 465}[c.tls]
	}
	if v, ok := raw["rejectUnauthorized"]; ok && !value.IsEmpty(v) {
		c.skipVerify = !value.Bool(v)
	}
	if c.username != "" && c.password == "" {
		return nil, &weft.Error{Type: weft.InvalidAccessTokenError,
			Message: fmt.Sprintf("parameters.account: connection %s has a username but no password", name)}
	}
	if c.from != "" {
		if _, err := mail.ParseAddress(c.from); err != nil {
			return nil, configError("connection %s: from %q is not an email address", name, c.from)
		}
	}
	return c, nil
}

// addr is host:port for messages.
func (c *smtpConn) addr() string { return c.host + ":" + strconv.Itoa(c.port) }

func configError(format string, args ...any) *weft.Error {
	return &weft.Error{Type: weft.InvalidConfigurationError, Message: fmt.Sprintf(format, args...)}
}

func dataError(path, format string, args ...any) *weft.Error {
	return &weft.Error{Type: weft.DataError, Message: path + ": " + fmt.Sprintf(format, args...)}
}
