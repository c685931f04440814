package declarative

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/httpmod"
	"github.com/weftworks/weft/app/oauth"
	"github.com/weftworks/weft/apps"
	"github.com/weftworks/weft/netpolicy"
	"github.com/weftworks/weft/value"
)

// Options configure the declarative apps of a process. The zero value is ready to use.
type Options struct {
	// BaseURLs replaces the base URL of an app, keyed by app name ("slack":
	// "http://127.0.0.1:8080"). It wins over the environment. Naming an app that is not
	// loaded is an error (a typo would otherwise send requests to the real service).
	BaseURLs map[string]string
	// Getenv reads WEFT_APP_BASEURL_<APP> (app name upper-cased, "-" → "_", e.g.
	// WEFT_APP_BASEURL_GOOGLE_SHEETS). Defaults to os.Getenv.
	Getenv func(string) string
	// Extra holds more definition folders (*.json at their root) loaded after the
	// shipped ones; an app defined twice is an error.
	Extra []fs.FS
	// Client sends the requests. Defaults to one client per Register, honouring
	// HTTPS_PROXY/HTTP_PROXY/NO_PROXY and Net.
	Client *http.Client
	// Net is the outbound network policy of the default client (a Client given here is
	// used as it is): every connection, redirect hop and proxied target is checked, and
	// a refusal is an InvalidConfigurationError naming the rule. Defaults to nil:
	// everything allowed.
	Net *netpolicy.Policy
	// MaxBodySize caps a response body; a larger one is a MaxFileSizeExceededError.
	// Defaults to httpmod.DefaultMaxBodySize.
	MaxBodySize int64
	// UserAgent is sent when a definition sets none. Defaults to "weft".
	UserAgent string
}

func (o Options) withDefaults() Options {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Client == nil {
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		tr := &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   10,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		o.Net.Guard(tr, dialer)
		o.Client = &http.Client{Transport: o.Net.RoundTripper(tr)}
	}
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = httpmod.DefaultMaxBodySize
	}
	if o.UserAgent == "" {
		o.UserAgent = "weft"
	}
	return o
}

// EnvVar is the environment variable that overrides an app's base URL.
func EnvVar(appName string) string {
	return "WEFT_APP_BASEURL_" + strings.ToUpper(strings.ReplaceAll(appName, "-", "_"))
}

// LoadError is a definition that cannot be used: the file and the JSON pointer of the
// problem inside it.
type LoadError struct {
	File    string
	Pointer string
	Message string
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("%s#%s: %s", e.File, e.Pointer, e.Message)
}

// Load reads every definition (*.json at the root of fsys) and returns one spec per
// module, sorted by name, with the default options (base URLs from the environment).
func Load(fsys fs.FS) ([]app.Spec, error) { return LoadOptions(fsys, Options{}) }

// LoadOptions is Load with options.
func LoadOptions(fsys fs.FS, opts Options) ([]app.Spec, error) {
	return loadAll([]fs.FS{fsys}, opts)
}

// Register loads the shipped definitions (package apps) and opts.Extra, and registers
// every module.
func Register(r *app.Registry, opts Options) error {
	specs, err := loadAll(append([]fs.FS{apps.FS}, opts.Extra...), opts)
	if err != nil {
		return err
	}
	for _, s := range specs {
		if err := r.Register(s); err != nil {
			return fmt.Errorf("declarative apps: %w", err)
		}
	}
	return nil
}

func loadAll(folders []fs.FS, opts Options) ([]app.Spec, error) {
	opts = opts.withDefaults()
	rt := &runtime{client: opts.Client, maxBody: opts.MaxBodySize, userAgent: opts.UserAgent,
		tokens: oauth.NewTokens(oauth.Options{Classify: httpmod.ClassifyTransportError, StatusType: httpmod.ErrorTypeForStatus})}
	byName := map[string]string{}
	var specs []app.Spec
	for _, fsys := range folders {
		files, err := fs.Glob(fsys, "*.json")
		if err != nil {
			return nil, fmt.Errorf("declarative apps: list definitions: %w", err)
		}
		sort.Strings(files)
		for _, file := range files {
			a, err := loadFile(fsys, file, opts)
			if err != nil {
				return nil, err
			}
			if prev, dup := byName[a.name]; dup {
				return nil, &LoadError{File: file, Pointer: "/name", Message: fmt.Sprintf("app %q is already defined by %s", a.name, prev)}
			}
			byName[a.name] = file
			for _, m := range a.modules {
				specs = append(specs, m.spec(rt))
			}
		}
	}
	for name := range opts.BaseURLs {
		if _, ok := byName[name]; !ok {
			return nil, fmt.Errorf("declarative apps: Options.BaseURLs names app %q, which no definition declares", name)
		}
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, nil
}

func loadFile(fsys fs.FS, file string, opts Options) (*appDef, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("declarative apps: read %s: %w", file, err)
	}
	doc, err := value.DecodeJSON(data)
	if err != nil {
		return nil, &LoadError{File: file, Pointer: "", Message: "invalid JSON: " + jsonProblem(data, err)}
	}
	override := func(name string) (string, error) {
		u, src := opts.BaseURLs[name], "Options.BaseURLs["+name+"]"
		if u == "" {
			u, src = opts.Getenv(EnvVar(name)), EnvVar(name)
		}
		if u == "" {
			return "", nil
		}
		if err := checkBaseURL(u); err != nil {
			return "", errAt("/base/baseUrl", "%s: %v", src, err)
		}
		return strings.TrimRight(u, "/"), nil
	}
	a, err := decodeApp(path.Base(file), doc, override)
	if err != nil {
		var ce *compileError
		if errors.As(err, &ce) {
			return nil, &LoadError{File: file, Pointer: ce.ptr, Message: ce.msg}
		}
		return nil, &LoadError{File: file, Message: err.Error()}
	}
	return a, nil
}

// jsonProblem describes a JSON syntax error with its line and column.
func jsonProblem(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		var ue *json.UnmarshalTypeError
		if !errors.As(err, &ue) {
			return err.Error()
		}
		se = &json.SyntaxError{Offset: ue.Offset}
		err = errors.New(ue.Error())
	}
	// Offset counts the bytes read, the offending one included.
	line, col := 1, 1
	for i := 0; i < int(se.Offset)-1 && i < len(data); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d column %d: %v", line, col, err)
}

// spec is the app.Spec of one module, run by the generic executor.
func (m *moduleDef) spec(rt *runtime) app.Spec {
	label := m.label
	if label == "" {
		label = m.name
	}
	if m.app.label != "" {
		label = m.app.label + ": " + label
	}
	s := app.Spec{
		Name:       m.app.name + ":" + m.name,
		Label:      label,
		Help:       m.help,
		Kind:       app.KindAction,
		Parameters: m.params,
		Mapper:     m.mapper,
		OpenMapper: m.open,
		Timeout:    m.timeout,
		New: func(cfg app.Config) (app.Module, error) {
			return &module{def: m, rt: rt}, nil
		},
	}
	switch {
	case m.trigger != nil: // trigger.go
		s.Kind, s.Poll = app.KindTrigger, true
		s.New = func(cfg app.Config) (app.Module, error) { return pollModule{&module{def: m, rt: rt}}, nil }
	case m.webhook != nil: // webhook.go
		s.Kind, s.New, s.Hook = app.KindTrigger, nil, m.webhook.spec(m, rt)
	}
	return s
}
