package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/service"
)

// OAuth 2 from the command line (docs/connections.md, "OAuth 2"): the operator's
// clients per provider, and connecting a connection in a browser.

func newOAuthClientsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "oauth-clients",
		Short: "Register your own OAuth client (id and secret) per provider, stored encrypted",
		Long: "OAuth connections of a provider (google, slack, …) use the client you registered with that\n" +
			"provider: its redirect URI is weft's BASE/oauth/callback (weft serve --base-url). The secret\n" +
			"is encrypted like connections and never printed. weft oauth-clients providers lists them.",
	}
	c.AddCommand(newOAuthClientSetCmd(), newOAuthClientListCmd(), newOAuthClientDeleteCmd(), newOAuthProvidersCmd())
	return c
}

func newOAuthClientSetCmd() *cobra.Command {
	var id, secret string
	var asJSON bool
	c := &cobra.Command{
		Use:     "set PROVIDER --client-id ID [--client-secret SECRET|@FILE|@-]",
		Short:   "Register (or replace) the OAuth client of a provider",
		Example: `  weft oauth-clients set google --client-id 123.apps.googleusercontent.com --client-secret @google-secret.txt`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := oauth.Lookup(args[0]); !ok {
				return usageErrorf("%q is not a provider weft knows (%s)", args[0], oauth.ProviderNames())
			}
			if strings.TrimSpace(id) == "" {
				return usageErrorf("--client-id is required")
			}
			if name, ok := strings.CutPrefix(secret, "@"); ok {
				raw, err := readFile(cmd, name)
				if err != nil {
					return usageErrorf("--client-secret: %v", err)
				}
				secret = strings.TrimSpace(string(raw))
			}
			c, err := connect(cmd, reads, connectOptions{keys: true}) // like the first connection, creates the key file
			if err != nil {
				return err
			}
			defer c.Close()
			var info service.OAuthClientInfo
			data, err := c.call(cmd.Context(), "PUT", "/oauth-clients/"+url.PathEscape(args[0]), nil,
				map[string]string{"clientId": id, "clientSecret": secret}, &info)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "OAuth client for %s set (client id %s, secret %s)\n", info.Provider, info.ClientID,
				map[bool]string{true: "stored encrypted", false: "none: a public client"}[info.HasSecret])
			return nil
		},
	}
	c.Flags().StringVar(&id, "client-id", "", "the client id the provider issued")
	c.Flags().StringVar(&secret, "client-secret", "", "the client secret, @file, or @- for stdin")
	jsonFlag(c, &asJSON)
	return c
}

func newOAuthClientListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the registered OAuth clients (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var list struct {
				Items []service.OAuthClientInfo `json:"items"`
			}
			data, err := c.call(cmd.Context(), "GET", "/oauth-clients", nil, nil, &list)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			if len(list.Items) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no OAuth clients")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROVIDER\tCLIENT ID\tSECRET\tUPDATED")
			for _, c := range list.Items {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", c.Provider, c.ClientID, c.HasSecret, c.UpdatedAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

func newOAuthClientDeleteCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "delete PROVIDER",
		Short: "Remove a provider's OAuth client (its connections cannot refresh until one is set again)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			if _, err := c.do(cmd.Context(), "DELETE", "/oauth-clients/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), map[string]any{"provider": args[0], "deleted": true})
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "OAuth client for %s deleted\n", args[0])
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

func newOAuthProvidersCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "providers",
		Short: "List the OAuth providers weft knows: endpoints, default scopes, what is unconfirmed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ps := oauth.Providers()
			if asJSON {
				return printJSON(cmd, ps)
			}
			w := cmd.OutOrStdout()
			for _, p := range ps {
				fmt.Fprintf(w, "%s (%s)\n  authorize %s\n  token     %s\n  scopes    %s\n", p.Name, p.Label, p.AuthURL, p.TokenURL,
					strings.Join(p.Scopes, " "))
				if p.Unconfirmed != "" {
					fmt.Fprintf(w, "  note      %s\n", p.Unconfirmed)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// baseURLOf is --base-url, else $WEFT_BASE_URL, else weft serve's default address.
func baseURLOf(flag string) string {
	if flag == "" {
		flag = os.Getenv("WEFT_BASE_URL")
	}
	if flag == "" {
		flag = "http://127.0.0.1:8080"
	}
	return strings.TrimRight(flag, "/")
}

func newConnAuthorizeCmd() *cobra.Command {
	var baseURL, addr string
	var timeout time.Duration
	var asJSON bool
	c := &cobra.Command{
		Use:   "authorize ID [--base-url URL] [--addr ADDR] [--timeout 10m]",
		Short: "Connect an OAuth connection: prints the consent URL and waits for the person to consent",
		Long: "authorize starts the authorization code grant (PKCE) for an OAuth connection and prints the\n" +
			"URL to open in a browser. The provider sends the browser back to BASE/oauth/callback.\n\n" +
			"Through a server (the one holding the data folder, or --server) BASE is the server's own base\n" +
			"URL and its callback finishes the connection; the command waits for that. Otherwise it takes\n" +
			"the data folder and serves the callback itself on --addr (default: BASE's host and port;\n" +
			"BASE is --base-url, else $WEFT_BASE_URL, else http://127.0.0.1:8080, the address registered\n" +
			"with the provider) until the connection is made, the person refuses, or --timeout passes.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := connectionArg(args[0])
			if err != nil {
				return err
			}
			base := baseURLOf(baseURL)
			bu, err := url.Parse(base)
			if err != nil || (bu.Scheme != "http" && bu.Scheme != "https") || bu.Host == "" {
				return usageErrorf("--base-url %q is not an http(s) URL", base)
			}
			c, err := connect(cmd, writes)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			w := cmd.OutOrStdout()
			if c.mode != modeLocal {
				var a service.Authorization
				if _, err := c.call(ctx, "POST", fmt.Sprintf("/connections/%d/authorize", id), nil, nil, &a); err != nil {
					return err
				}
				fmt.Fprintf(w, "open this URL in a browser and consent (it expires at %s):\n%s\n", a.ExpiresAt.UTC().Format(time.RFC3339), a.URL)
				fmt.Fprintf(w, "waiting for the server's callback …\n")
				if err := waitForState(ctx, c, id, a.State); err != nil {
					return fmt.Errorf("connection %d: %w", id, err)
				}
			} else {
				// No server: serve the callback here, on BASE's address or --addr.
				if addr == "" {
					addr = bu.Host
					if bu.Port() == "" {
						addr = net.JoinHostPort(bu.Hostname(), map[string]string{"http": "80", "https": "443"}[bu.Scheme])
					}
				}
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("serve the callback on %s: %w (give --addr, or start weft serve)", addr, err)
				}
				var ours atomic.Value // the state of this command's flow
				ours.Store("")
				results := make(chan error, 1)
				srv := &http.Server{Handler: callbackHandler(c.svc, &ours, results), ReadHeaderTimeout: 10 * time.Second}
				go srv.Serve(ln)
				defer srv.Close()
				a, err := c.svc.Authorize(ctx, id, base+"/oauth/callback", nil)
				if err != nil {
					return err
				}
				ours.Store(a.State)
				fmt.Fprintf(w, "open this URL in a browser and consent (it expires at %s):\n%s\n", a.ExpiresAt.Format(time.RFC3339), a.URL)
				fmt.Fprintf(w, "waiting for the callback on %s …\n", ln.Addr())
				select {
				case err := <-results:
					if err != nil {
						return err
					}
				case <-ctx.Done():
					return fmt.Errorf("connection %d: no callback within %s", id, timeout)
				}
			}
			var st api.OAuthStatus
			stData, err := c.call(cmd.Context(), "GET", fmt.Sprintf("/connections/%d/oauth", id), nil, nil, &st)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, stData)
				return nil
			}
			fmt.Fprintf(w, "connection %d connected\n", id)
			if len(st.Blocked) > 0 {
				fmt.Fprintf(w, "%d incomplete execution(s) waited for it: weft incomplete retry %s\n", len(st.Blocked), strings.Join(st.Blocked, " "))
			}
			return nil
		},
	}
	c.Flags().StringVar(&baseURL, "base-url", "", "without a server: weft's public base URL, as registered with the provider (default $WEFT_BASE_URL or http://127.0.0.1:8080)")
	c.Flags().StringVar(&addr, "addr", "", "without a server: where to serve the callback (default: the base URL's host and port)")
	c.Flags().DurationVar(&timeout, "timeout", service.AuthorizationTTL, "how long to wait for the person")
	jsonFlag(c, &asJSON)
	return c
}

// waitForState polls the authorization a server finishes (its callback), until it is
// done or failed.
func waitForState(ctx context.Context, c *client, id int64, state string) error {
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		var st api.AuthorizationState
		if _, err := c.call(ctx, "GET", fmt.Sprintf("/connections/%d/authorizations/%s", id, url.PathEscape(state)), nil, nil, &st); err != nil {
			if ctx.Err() != nil {
				return errors.New("no callback before the timeout")
			}
			return err
		}
		switch st.Status {
		case service.FlowDone:
			return nil
		case service.FlowFailed:
			if st.Message != nil {
				return errors.New(*st.Message)
			}
			return errors.New("the authorization failed")
		}
		select {
		case <-ctx.Done():
			return errors.New("no callback before the timeout")
		case <-tick.C:
		}
	}
}

// callbackHandler is the one-off listener's /oauth/callback: it finishes the flow and
// reports the outcome of this command's own flow (state ours) on results, once.
func callbackHandler(svc *service.Service, ours *atomic.Value, results chan<- error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		res, err := svc.CompleteAuthorization(r.Context(), service.Callback{State: q.Get("state"), Code: q.Get("code"),
			Error: q.Get("error"), ErrorDescription: q.Get("error_description")})
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "Not connected: %v\n", err)
		} else {
			fmt.Fprintf(w, "Connected %s. You can close this window.\n", res.Connection.Name)
		}
		if q.Get("state") != ours.Load().(string) {
			return // a stray request: not this command's flow
		}
		select {
		case results <- err:
		default:
		}
	})
	return mux
}
