package httpmod

import (
	"net/http"
	"net/url"
	"strings"
)

// DropCredentialsOnRedirect removes credentials from next, the request a redirect is
// about to send, once the chain has left the first request's origin (scheme, host and
// port, as the Fetch standard and curl decide; Go's own client keeps them for another
// port, another scheme and subdomains). Leaving is final: a later hop back to the
// origin carries no credentials either, so a foreign server cannot aim the user's
// credentials at a path of its choosing. Credentials are:
//
//   - Authorization, Proxy-Authorization, Cookie and Cookie2;
//   - every header whose name has a credential word (IsCredentialHeader: X-API-Key,
//     X-Auth-Token, Private-Token, X-Hub-Signature…), which covers an API-key
//     connection's own header name and the user's own headers of that kind;
//   - every header whose value holds one of secrets (the connection's key, token or
//     password, whatever the header is called);
//   - the Referer, which would carry the previous URL's query (an API key placed in the
//     query) to the other server.
//
// Cookies from a run's shared jar are not headers yet at this point: the jar adds
// those that belong to the new host (cookie scope, RFC 6265).
func DropCredentialsOnRedirect(next *http.Request, via []*http.Request, secrets []string) {
	if len(via) == 0 || !leftOrigin(next, via) {
		return
	}
	for name, vals := range next.Header {
		if IsCredentialHeader(name) || name == "Referer" || holdsSecret(vals, secrets) {
			delete(next.Header, name)
		}
	}
}

// leftOrigin reports whether next or any earlier hop is on another origin than the
// first request.
func leftOrigin(next *http.Request, via []*http.Request) bool {
	first := origin(via[0].URL)
	if origin(next.URL) != first {
		return true
	}
	for _, r := range via[1:] {
		if origin(r.URL) != first {
			return true
		}
	}
	return false
}

// origin is scheme://host:port, lower case, the scheme's default port filled in.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")) + ":" + port
}

// credentialWords mark a header name as carrying a credential, when one of the name's
// words (split at "-" and "_") is one of them.
var credentialWords = map[string]bool{
	"authorization": true, "auth": true, "authentication": true, "token": true, "key": true,
	"apikey": true, "secret": true, "password": true, "passwd": true, "pass": true,
	"session": true, "sessionid": true, "cookie": true, "cookie2": true, "signature": true,
	"credential": true, "credentials": true, "bearer": true, "csrf": true, "xsrf": true,
	"accesstoken": true, "authtoken": true,
}

// IsCredentialHeader reports whether a request header of this name carries credentials
// by its name alone: Authorization, Proxy-Authorization, Cookie, and any name with a
// word such as auth, token, key, apikey, secret, password, session, signature or
// credential (X-API-Key, X-Auth-Token, Ocp-Apim-Subscription-Key, X-Hub-Signature-256).
func IsCredentialHeader(name string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '-' || r == '_' }) {
		if credentialWords[w] {
			return true
		}
	}
	return false
}

func holdsSecret(vals, secrets []string) bool {
	for _, s := range secrets {
		if len(s) < 4 { // a one-letter password would match everything
			continue
		}
		for _, v := range vals {
			if strings.Contains(v, s) {
				return true
			}
		}
	}
	return false
}
