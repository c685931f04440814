// Package email is Make's Email app for weft: email:ActionSendEmail ("Send an email"
// over SMTP, built on github.com/wneessen/go-mail) and the mailhook trigger
// gateway:CustomMailHook, whose bundles come from a received RFC 5322 message
// (ParseMessage) delivered by the SMTP receiving server MailhookServer (built on
// github.com/emersion/go-smtp).
//
// Every SMTP failure gets one error type of SPEC §3.1 in one table (ErrorTypeForReply):
// a transient 4xx reply is a ConnectionError and is retried, a 5xx reply needs a person.
// Sending is not transactional: a message the server accepted cannot be taken back, so
// the module is not ACID. See docs/email.md.
package email
