package httpmod

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// The connection bundles this app reads from app.Execution.Connection (docs/http.md):
//
//	API key:    {"key": "…", "placement": "header" | "query", "name": "X-API-Key"}
//	Basic auth: {"username": "…", "password": "…"}
//
// Missing credentials are an InvalidAccessTokenError (a person must renew them); a
// connection whose settings are unusable is an InvalidConfigurationError.

// applyAPIKey reads the API-key connection ref (named by param in messages) and puts the
// key into the header or the query of r. The key is remembered as a secret so it never
// appears in an error message.
func applyAPIKey(exec app.Execution, ref any, param string, r *request) error {
	if value.IsEmpty(ref) {
		return configError("parameters."+param, "an API key connection is required")
	}
	conn, err := exec.Connection(ref)
	if err != nil {
		return connError(param, err)
	}
	key := value.Text(conn["key"])
	if key == "" {
		return &weft.Error{Type: weft.InvalidAccessTokenError,
			Message: fmt.Sprintf("parameters.%s: connection %s has no key", param, value.Text(ref))}
	}
	name := strings.TrimSpace(value.Text(conn["name"]))
	if name == "" {
		return configError("parameters."+param, "connection %s names no header or query parameter for the key", value.Text(ref))
	}
	r.secrets = append(r.secrets, key)
	switch placement := strings.ToLower(value.Text(conn["placement"])); placement {
	case "", "header":
		if !validHeaderName(name) {
			return configError("parameters."+param, "connection %s: %q is not a valid header name", value.Text(ref), name)
		}
		if strings.ContainsAny(key, "\r\n\x00") {
			return configError("parameters."+param, "connection %s: the key contains a line break", value.Text(ref))
		}
		r.header.Set(name, key)
	case "query":
		addQuery(r.url, url.QueryEscape(name)+"="+url.QueryEscape(key))
	default:
		return configError("parameters."+param, "connection %s: placement %q is not header or query", value.Text(ref), placement)
	}
	return nil
}

// basicConnection reads a basic-auth connection.
func basicConnection(exec app.Execution, ref any, param string) (user, pass string, err error) {
	if value.IsEmpty(ref) {
		return "", "", configError("parameters."+param, "a basic auth connection is required")
	}
	conn, err := exec.Connection(ref)
	if err != nil {
		return "", "", connError(param, err)
	}
	user, pass = value.Text(conn["username"]), value.Text(conn["password"])
	if user == "" {
		return "", "", &weft.Error{Type: weft.InvalidAccessTokenError,
			Message: fmt.Sprintf("parameters.%s: connection %s has no username", param, value.Text(ref))}
	}
	return user, pass, nil
}

// setBasicAuth sets the Authorization header and remembers the encoded credentials as a
// secret.
func setBasicAuth(r *request, user, pass string) {
	token := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	r.header.Set("Authorization", "Basic "+token)
	r.secrets = append(r.secrets, token)
	if pass != "" {
		r.secrets = append(r.secrets, pass)
	}
}

// connError names the parameter in a failure of Execution.Connection, keeping its type
// (InvalidConfigurationError for a missing connection, InvalidAccessTokenError for
// expired credentials).
func connError(param string, err error) error {
	e := weft.AsError(err)
	msg := e.Message
	if msg == "" {
		msg = err.Error()
	}
	return &weft.Error{Type: e.Type, Message: "parameters." + param + ": " + msg, Details: e.Details, Err: err}
}
