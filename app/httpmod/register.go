package httpmod

import (
	"fmt"

	"github.com/weftworks/weft/app"
)

// Specs returns the HTTP app's module types, sharing one connection pool configured by
// o: http:MakeRequest and http:DownloadFile (v4), http:ActionSendData,
// http:ActionSendDataAPIKeyAuth, http:ActionSendDataBasicAuth, http:ActionSendDataOAuth
// and http:ActionGetFile (v3).
func Specs(o Options) []app.Spec {
	c := newClient(o)
	return []app.Spec{makeRequestSpec(c), downloadFileSpec(c), sendDataSpec(c), sendDataAPIKeySpec(c),
		sendDataBasicAuthSpec(c), sendDataOAuthSpec(c), getFileSpec(c)}
}

// Register registers the HTTP app's module types with default Options.
func Register(r *app.Registry) error { return RegisterOptions(r, Options{}) }

// RegisterOptions registers the HTTP app's module types configured by o.
func RegisterOptions(r *app.Registry, o Options) error {
	for _, s := range Specs(o) {
		if err := r.Register(s); err != nil {
			return fmt.Errorf("http app: %w", err)
		}
	}
	return nil
}
