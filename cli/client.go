package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/service"
)

// The command line is a client of weft's REST API (docs/cli.md). Every command that
// reads or changes weft's data makes API calls, and only the transport differs:
//
//   - remote: --server URL (or $WEFT_SERVER) with --token (or $WEFT_TOKEN), as gh and
//     kubectl talk to their servers;
//   - server: the data folder is held by a running `weft serve`, which wrote its
//     address and a local credential into DATA/weft.addr (cli/addr.go);
//   - local: no server holds the data folder: the command opens it and serves the API
//     to itself, in process, with no listener.
//
// So the output, the JSON and the exit codes are the same in the three modes by
// construction: the API's answers are what every command prints.

type mode string

const (
	modeLocal  mode = "local"
	modeServer mode = "server"
	modeRemote mode = "remote"
)

// client is one command's way to the API.
type client struct {
	mode  mode
	base  string // the API's URL: …/api/v1
	token string
	hc    *http.Client
	// svc is the service a local client opened (nil otherwise): the few commands that
	// need more than the API (serving an OAuth callback) use it.
	svc   *service.Service
	close func()
}

// Close releases what connect took (the data folder's lock, the store).
func (c *client) Close() {
	if c.close != nil {
		c.close()
	}
}

// access says what a command does with the data folder when it opens it itself.
type access int

const (
	// reads: works beside any other weft process (no lock).
	reads access = iota
	// writes: runs scenarios or retries, or changes what a running weft holds in
	// memory: it takes the data folder's lock, so another weft process holding it
	// makes the command busy — unless that process is a server it can ask.
	writes
)

// connectOptions adjust a local client.
type connectOptions struct {
	// keys creates the data folder's key file when there is none (the first
	// connection, OAuth client or webhook secret needs one).
	keys bool
	// configure adjusts the local service's configuration.
	configure func(*service.Config)
	// baseURL is the public address a local API gives webhook URLs (--base-url; a
	// server has its own).
	baseURL string
	// baseURLGiven: --base-url was given, even empty (webhook addresses are then paths,
	// /hooks/TOKEN, for a caller that adds the address itself).
	baseURLGiven bool
	// queueOnly: a local bulk retry only queues (--no-wait): the command does not stay
	// to carry the retries out, and must not start attempts it would cut short.
	queueOnly bool
}

// connect finds the API for cmd: --server, else the server holding the data folder,
// else the data folder itself (in process).
func connect(cmd *cobra.Command, need access, opts ...connectOptions) (*client, error) {
	var o connectOptions
	for _, x := range opts {
		o.keys = o.keys || x.keys
		o.queueOnly = o.queueOnly || x.queueOnly
		if x.configure != nil {
			o.configure = x.configure
		}
		if x.baseURL != "" || x.baseURLGiven {
			o.baseURL, o.baseURLGiven = x.baseURL, x.baseURLGiven
		}
	}
	if server := serverFlag(cmd); server != "" {
		return remoteClient(cmd, server)
	}
	dir := dataDir(cmd)
	if need == reads {
		// A server, when one holds the folder; else read the folder directly (beside
		// `weft work`, which serves no API).
		if info := serverInfoOf(dir); info != nil && info.reachable(cmd.Context()) {
			return serverClient(cmd, info), nil
		}
		return localClient(cmd, o, false)
	}
	c, err := localClient(cmd, o, true)
	if !isLocked(err) {
		return c, err
	}
	if info := serverInfoOf(dir); info != nil {
		return serverClient(cmd, info), nil
	}
	return nil, &BusyError{Err: err}
}

// serverFlag is --server, else $WEFT_SERVER.
func serverFlag(cmd *cobra.Command) string {
	if s, _ := cmd.Flags().GetString("server"); s != "" {
		return s
	}
	return os.Getenv("WEFT_SERVER")
}

// tokenFlag is --token, else $WEFT_TOKEN.
func tokenFlag(cmd *cobra.Command) string {
	if s, _ := cmd.Flags().GetString("token"); s != "" {
		return s
	}
	return os.Getenv("WEFT_TOKEN")
}

func remoteClient(cmd *cobra.Command, server string) (*client, error) {
	u, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("--server %q: want the server's address, http(s)://HOST[:PORT][/PATH]", server)
	}
	tok := tokenFlag(cmd)
	if tok == "" {
		return nil, usageErrorf("--server needs an API token: --token TOKEN or $WEFT_TOKEN (weft tokens create)")
	}
	base := u.String()
	if !strings.HasSuffix(base, api.Prefix) {
		base += api.Prefix
	}
	return &client{mode: modeRemote, base: base, token: tok, hc: &http.Client{}}, nil
}

func serverClient(cmd *cobra.Command, info *serverInfo) *client {
	tok := tokenFlag(cmd)
	if tok == "" {
		tok = info.Token
	}
	return &client{mode: modeServer, base: strings.TrimRight(info.URL, "/") + api.Prefix, token: tok, hc: &http.Client{}}
}

// localClient opens the data folder (taking its lock when exclusive) and serves the
// API to this command in process, authenticated by a credential only this process
// knows.
func localClient(cmd *cobra.Command, o connectOptions, exclusive bool) (*client, error) {
	if o.keys {
		if _, err := loadSecrets(cmd, true); err != nil {
			return nil, err
		}
	}
	svc, done, err := openServiceWith(cmd, exclusive, o.configure)
	if err != nil {
		return nil, err
	}
	if exclusive && !sharedDatabase(cmd) {
		// This command holds the data folder's lock: a weft.addr is a server's that was
		// killed without a chance to remove it. (A shared database takes no lock.)
		removeStaleServerInfo(dataDir(cmd))
	}
	tok, err := auth.NewLocalToken(nil)
	if err != nil {
		done()
		return nil, err
	}
	log := logger(cmd)
	a := auth.New(svc.Store(), auth.WithLogger(log), auth.WithLocalToken(tok))
	jo := bulk.Options{Service: svc, Logger: log}
	if exclusive && !o.queueOnly {
		// Nothing else carries retries out while this command holds the folder: a bulk
		// retry does, for as long as the command waits for it (docs/cli.md).
		jo.Runner = svc.RunDue
	}
	jobs := bulk.New(jo)
	base := o.baseURL
	if !o.baseURLGiven {
		base = baseURLOf(base)
	}
	h := api.New(api.Deps{Service: svc, Auth: a, BaseURL: base, Logger: log, Jobs: jobs})
	return &client{mode: modeLocal, base: "http://weft.local" + api.Prefix, token: tok, svc: svc,
		hc: &http.Client{Transport: inProcess{h}}, close: func() { jobs.Close(); done() }}, nil
}

// inProcess is a RoundTripper that hands requests to the API's handler in this
// process: the local mode of the command line.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.RemoteAddr = "127.0.0.1:0" // this process: the token throttle's client key
	r.RequestURI = r.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	w := &recorder{header: http.Header{}}
	t.h.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{StatusCode: w.status, Status: fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: w.header, Request: r,
		Body: io.NopCloser(bytes.NewReader(w.body.Bytes())), ContentLength: int64(w.body.Len())}, nil
}

// recorder is the in-process response: the handler writes, the client reads.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// APIError is an error answer of the API: {"error": {"code", "message", "details"}}.
type APIError struct {
	Status  int             `json:"-"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
}

func (e *APIError) Error() string { return e.Message }

// do sends one request: body is JSON-encoded unless it is already []byte (sent as it
// is) or nil. It returns the answer's body; an error answer is an *APIError.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body any) ([]byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(b); err != nil {
			return nil, fmt.Errorf("%s %s: encode the request: %w", method, path, err)
		}
		rd = &buf
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "weft-cli")
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, c.unreachable(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return data, nil
	}
	var e struct {
		Error *APIError `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error != nil && e.Error.Message != "" {
		e.Error.Status = res.StatusCode
		return nil, e.Error
	}
	// Not weft's answer (a proxy's error page, another server on the port).
	first, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	return nil, &APIError{Status: res.StatusCode, Code: "http_" + fmt.Sprint(res.StatusCode),
		Message: fmt.Sprintf("%s %s answered %s: %s", method, c.where(), res.Status, oneLine(first, 200))}
}

// call is do, decoding a success answer into out (when out is not nil).
func (c *client) call(ctx context.Context, method, path string, query url.Values, body, out any) ([]byte, error) {
	data, err := c.do(ctx, method, path, query, body)
	if err != nil || out == nil || len(data) == 0 {
		return data, err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return data, fmt.Errorf("%s %s: the answer is not what weft answers: %w", method, path, err)
	}
	return data, nil
}

func (c *client) where() string {
	if c.mode == modeLocal {
		return "the data folder"
	}
	return strings.TrimSuffix(c.base, api.Prefix)
}

// unreachable words a failed connection.
func (c *client) unreachable(err error) error {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection refused") {
		switch c.mode {
		case modeServer:
			return fmt.Errorf("the weft server holding the data folder (%s) does not answer: %w", c.where(), err)
		case modeRemote:
			return fmt.Errorf("weft at %s does not answer: %w", c.where(), err)
		}
	}
	return err
}

// BusyError is a command that needs the data folder while another weft process that
// serves no API holds it (weft work, or a server still starting): exit status 3.
type BusyError struct {
	Err error
	// Why replaces the default explanation (a process that serves no API).
	Why string
}

func (e *BusyError) Error() string {
	why := e.Why
	if why == "" {
		why = "it serves no API (weft work, or weft serve starting); try again when it has stopped or started, or give --server"
	}
	return e.Err.Error() + ": " + why
}

func (e *BusyError) Unwrap() error { return e.Err }

// probeTimeout bounds the check that a server named by DATA/weft.addr answers.
const probeTimeout = 3 * time.Second

// isLocked reports whether err is another weft process holding the data folder.
func isLocked(err error) bool { return errors.Is(err, service.ErrLocked) }
