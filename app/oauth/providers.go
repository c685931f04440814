package oauth

import (
	"slices"
	"strings"

	"golang.org/x/oauth2/endpoints"
)

// Provider describes a service's OAuth 2 authorization server: where a person
// consents, where tokens come from, and the ways it departs from RFC 6749. Operators
// register their own client (id and secret) per provider (weft oauth-clients set).
type Provider struct {
	// Name is the provider's key: connection data "provider", oauth-clients, URLs.
	Name  string
	Label string
	// AuthURL is the authorization endpoint (the consent page), TokenURL the token
	// endpoint.
	AuthURL, TokenURL string
	// ClientAuth is how the client authenticates to the token endpoint: "header"
	// (HTTP Basic), "body" (client_id and client_secret in the form), or "" (Basic,
	// then the form if the endpoint refuses it).
	ClientAuth string
	// ScopeSeparator joins scopes in the authorization request. Defaults to " ".
	ScopeSeparator string
	// Scopes are requested when the connection names none: what weft's shipped
	// modules for this provider need, plus what a refresh token needs.
	Scopes []string
	// UserScopeParam, when set, is the authorization parameter for the connection's
	// "userScope" (Slack's user_scope beside the bot's scope).
	UserScopeParam string
	// AuthParams are added to every authorization URL (Google's access_type=offline
	// and prompt=consent, which make it issue a refresh token every time).
	AuthParams map[string]string
	// NoPKCE leaves the code_challenge out (a server known to refuse it). PKCE is sent
	// by default: servers that do not know it ignore it.
	NoPKCE bool
	// BearerAlways sends "Bearer" whatever token_type the server names (Slack answers
	// "bot" or "user" but wants Bearer).
	BearerAlways bool
	// UserToken: when the token answer has no access_token at the top but a user's
	// (Slack's authed_user, when only user scopes were asked), that one is used.
	UserToken bool
	// Docs is the provider's OAuth documentation; Unconfirmed lists what weft's
	// definition could not confirm there (checked by hand, not by a test).
	Docs        string
	Unconfirmed string
}

// separator is the scope separator.
func (p *Provider) separator() string {
	if p == nil || p.ScopeSeparator == "" {
		return " "
	}
	return p.ScopeSeparator
}

var providers = []Provider{
	{Name: "google", Label: "Google",
		AuthURL: "https://accounts.google.com/o/oauth2/v2/auth", TokenURL: endpoints.Google.TokenURL,
		ClientAuth: "body",
		// Sheets, Gmail (send, read, labels), Drive (files the modules upload, move,
		// share and delete), Docs, Calendar, Forms responses and YouTube (read): the
		// Google apps weft ships.
		Scopes: []string{"https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive",
			"https://www.googleapis.com/auth/documents", "https://www.googleapis.com/auth/calendar",
			"https://www.googleapis.com/auth/gmail.modify", "https://www.googleapis.com/auth/forms.responses.readonly",
			"https://www.googleapis.com/auth/youtube.readonly", "https://www.googleapis.com/auth/userinfo.email"},
		AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
		Docs:       "https://developers.google.com/identity/protocols/oauth2/web-server"},
	{Name: "microsoft", Label: "Microsoft (Entra ID, common tenant)",
		AuthURL: endpoints.AzureAD("common").AuthURL, TokenURL: endpoints.AzureAD("common").TokenURL,
		ClientAuth:  "body",
		Scopes:      []string{"offline_access", "User.Read", "Mail.Send", "Files.ReadWrite"},
		Docs:        "https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow",
		Unconfirmed: "single-tenant apps need their tenant in the URLs: use custom authorizeUrl/tokenUrl on the connection"},
	{Name: "slack", Label: "Slack",
		AuthURL: endpoints.Slack.AuthURL, TokenURL: endpoints.Slack.TokenURL,
		ClientAuth: "body", ScopeSeparator: ",", UserScopeParam: "user_scope",
		Scopes:       []string{"chat:write", "channels:read"},
		BearerAlways: true, UserToken: true,
		Docs:        "https://api.slack.com/authentication/oauth-v2",
		Unconfirmed: "PKCE (sent, Slack is not documented to check it); refresh tokens only with token rotation turned on for the app"},
	{Name: "notion", Label: "Notion",
		AuthURL: "https://api.notion.com/v1/oauth/authorize", TokenURL: "https://api.notion.com/v1/oauth/token",
		ClientAuth: "header", AuthParams: map[string]string{"owner": "user"},
		Docs:        "https://developers.notion.com/docs/authorization",
		Unconfirmed: "the token endpoint's documentation shows a JSON body; weft sends the standard form body (as other OAuth clients do); Notion has no scopes"},
	{Name: "airtable", Label: "Airtable",
		AuthURL: "https://airtable.com/oauth2/v1/authorize", TokenURL: "https://airtable.com/oauth2/v1/token",
		ClientAuth: "header",
		Scopes:     []string{"data.records:read", "data.records:write", "schema.bases:read"},
		Docs:       "https://airtable.com/developers/web/api/oauth-reference"},
	{Name: "linkedin", Label: "LinkedIn",
		AuthURL: endpoints.LinkedIn.AuthURL, TokenURL: endpoints.LinkedIn.TokenURL,
		ClientAuth:  "body",
		Scopes:      []string{"openid", "profile", "email", "w_member_social"},
		Docs:        "https://learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow",
		Unconfirmed: "refresh tokens are issued to approved partners only; others reconnect when the 60-day token expires"},
	{Name: "meta", Label: "Meta (Facebook, Instagram)",
		AuthURL: endpoints.Facebook.AuthURL, TokenURL: endpoints.Facebook.TokenURL,
		ClientAuth: "body", ScopeSeparator: ",",
		Scopes:      []string{"public_profile", "pages_show_list", "pages_manage_posts"},
		Docs:        "https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow",
		Unconfirmed: "no refresh tokens (long-lived tokens are exchanged, not refreshed: reconnect when one expires); PKCE sent but not documented for the web flow"},
	{Name: "discord", Label: "Discord",
		AuthURL: endpoints.Discord.AuthURL, TokenURL: endpoints.Discord.TokenURL,
		ClientAuth:  "body",
		Scopes:      []string{"identify", "guilds"},
		Docs:        "https://discord.com/developers/docs/topics/oauth2",
		Unconfirmed: "PKCE (sent, not documented)"},
	// Added with the messaging, social and CRM apps (docs/apps-social.md).
	{Name: "hubspot", Label: "HubSpot",
		AuthURL: "https://app.hubspot.com/oauth/authorize", TokenURL: "https://api.hubapi.com/oauth/v1/token",
		ClientAuth: "body",
		Scopes: []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.companies.read",
			"crm.objects.deals.read", "crm.objects.deals.write", "crm.objects.line_items.read", "crm.objects.quotes.read"},
		Docs:        "https://developers.hubspot.com/docs/api/oauth-quickstart-guide",
		Unconfirmed: "PKCE (sent, not documented)"},
	{Name: "pinterest", Label: "Pinterest",
		AuthURL: "https://www.pinterest.com/oauth/", TokenURL: "https://api.pinterest.com/v5/oauth/token",
		ClientAuth: "header", ScopeSeparator: ",",
		Scopes:      []string{"boards:read", "pins:read", "pins:write"},
		Docs:        "https://developers.pinterest.com/docs/getting-started/set-up-authentication-and-authorization/",
		Unconfirmed: "PKCE (sent, not documented)"},
	{Name: "x", Label: "X (Twitter)",
		AuthURL: "https://x.com/i/oauth2/authorize", TokenURL: "https://api.x.com/2/oauth2/token",
		ClientAuth: "header",
		Scopes:     []string{"tweet.read", "tweet.write", "users.read", "media.write", "offline.access"},
		Docs:       "https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code"},
}

// Providers returns the shipped providers, sorted by name.
func Providers() []Provider {
	out := slices.Clone(providers)
	slices.SortFunc(out, func(a, b Provider) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the provider with that name.
func Lookup(name string) (*Provider, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for i := range providers {
		if providers[i].Name == name {
			p := providers[i]
			return &p, true
		}
	}
	return nil, false
}

// ProviderNames lists the providers' names, for messages.
func ProviderNames() string {
	names := make([]string, 0, len(providers))
	for _, p := range Providers() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}
