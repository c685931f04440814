package email

import (
	"bytes"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/value"
)

// ComposeOptions configure Compose.
type ComposeOptions struct {
	// Now stamps the Date header (the execution's clock).
	Now time.Time
	// NewID returns the unique left part of the Message-ID. Defaults to 130 random bits.
	NewID func() string
	// KeepBcc writes the blind recipients into a Bcc header. A service that takes a
	// whole message and delivers it (Gmail's messages.send) reads them from there and
	// removes the header before delivery; over SMTP they travel in the envelope only.
	KeepBcc bool
}

// Compose builds an RFC 5322 message, for apps that hand a whole message to a service
// instead of an SMTP server. in holds the fields of email:ActionSendEmail's mapper:
// to, cc, bcc, replyTo (addresses), from (optional: the service writes the account's
// address), sender, subject, contentType, html, text, attachments ([{fileName, data,
// contentType?, cid?}], a cid embeds the file inline), inReplyTo, references,
// priority, headers ([{key, value}]). Problems with the data are DataErrors naming the
// field.
func Compose(in weft.Bundle, o ComposeOptions) ([]byte, error) {
	if o.NewID == nil {
		o.NewID = randomID
	}
	var from *netmail.Address
	if s := strings.TrimSpace(value.Text(in["from"])); s != "" {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			return nil, dataError("from", "%q is not an email address", s)
		}
		from = a
	}
	out, bcc, err := compose(in, from, o.Now, o.NewID)
	if err != nil {
		return nil, err
	}
	if o.KeepBcc && len(bcc) > 0 {
		list := make([]string, len(bcc))
		for i, a := range bcc {
			list[i] = a.String()
		}
		out.msg.SetGenHeaderPreformatted("Bcc", strings.Join(list, ", "))
	}
	var buf bytes.Buffer
	if _, err := out.msg.WriteTo(&buf); err != nil {
		return nil, &weft.Error{Type: weft.DataError, Message: fmt.Sprintf("email message: %v", err), Err: err}
	}
	return buf.Bytes(), nil
}
