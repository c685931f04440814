package httpmod

import (
	"context"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

func getFileSpec(c *client) app.Spec {
	return app.Spec{
		Name:       "http:ActionGetFile",
		Label:      "HTTP: Get a file",
		Help:       "Downloads a file and outputs its data and name (Make's legacy HTTP app, version 3).",
		Timeout:    specTimeout,
		Parameters: []app.Field{handleErrorsField, errorTypesField},
		Mapper: []app.Field{
			{Name: "url", Label: "URL", Type: app.TypeURL, Required: true},
			{Name: "method", Label: "Method", Type: app.TypeText, Default: "get", Options: []string{"get"}},
			{Name: "serializeUrl", Label: "Serialize URL", Type: app.TypeBoolean, Default: false},
			{Name: "shareCookies", Label: "Share cookies with other HTTP modules", Type: app.TypeBoolean,
				Help: "Cookies received are kept for the run and sent by every HTTP module of the run that shares cookies."},
		},
		New: func(cfg app.Config) (app.Module, error) {
			t, err := ParseErrorTable(cfg.Parameters["errorTypes"])
			if err != nil {
				return nil, err
			}
			return &getFile{c: c, table: t, handleErrors: boolOf(cfg.Parameters, "handleErrors", true)}, nil
		},
	}
}

type getFile struct {
	c            *client
	table        ErrorTable
	handleErrors bool
}

func (m *getFile) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	in := c.Input
	if meth := strings.ToLower(value.Text(in["method"])); meth != "" && meth != "get" {
		return nil, dataError("method", "%q: Get a file only uses get", meth)
	}
	u, err := requestURL(value.Text(in["url"]), boolOf(in, "serializeUrl", false))
	if err != nil {
		return nil, err
	}
	r := &request{method: "GET", url: u, header: map[string][]string{},
		timeout:    legacyTimeout * time.Second,
		compressed: true, // a Content-Encoding is transport, not the file
		follow:     func(string) bool { return true },
		jar:        cookieJar(c.Exec, boolOf(in, "shareCookies", false))}
	resp, err := m.c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(m.handleErrors, m.table, r, resp, c.Exec.Now()); err != nil {
		return nil, err
	}
	return []weft.Bundle{{
		"data":       resp.body,
		"fileName":   fileName(resp),
		"fileSize":   float64(len(resp.body)),
		"statusCode": float64(resp.status),
		"headers":    headerList(resp.header),
	}}, nil
}

// fileName is the downloaded file's name: Content-Disposition's filename (filename*
// decoded), else the last segment of the final URL's path, else "file". Directory
// parts a server sends are dropped.
func fileName(resp *response) string {
	if cd := resp.header.Get("Content-Disposition"); cd != "" {
		if _, params, err := mime.ParseMediaType(cd); err == nil {
			if n := baseName(params["filename"]); n != "" {
				return n
			}
		}
	}
	if resp.url != nil {
		seg := path.Base(resp.url.Path)
		if s, err := url.PathUnescape(seg); err == nil {
			seg = s
		}
		if n := baseName(seg); n != "" {
			return n
		}
	}
	return "file"
}

func baseName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	if s == "." || s == ".." {
		return ""
	}
	return s
}
