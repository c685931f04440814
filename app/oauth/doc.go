// Package oauth is the OAuth 2 part every app's connection uses (docs/connections.md,
// "OAuth 2"), built on golang.org/x/oauth2:
//
//   - Provider: the endpoints, scope syntax and quirks of the services weft ships
//     (Google, Microsoft, Slack, Notion, Airtable, LinkedIn, Meta, Discord);
//   - Conn: an OAuth connection's stored data, parsed (a provider's or custom endpoints,
//     client, scopes, tokens);
//   - Tokens: a process's access tokens per connection — cached, renewed a minute
//     before they expire, one refresh at a time, rotated refresh tokens saved through
//     ConnectionSaver, refusals typed (a revoked refresh token is an
//     InvalidAccessTokenError: a person must reconnect);
//   - AuthCodeURL and Exchange: the authorization code grant with PKCE (S256), which
//     package service drives with a stored, single-use, expiring state.
//
// It depends on weft's root types and value helpers only, so every app package and
// the service can use it.
package oauth
