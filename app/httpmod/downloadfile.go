package httpmod

import (
	"context"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// downloadFileSpec is Make's HTTP app version 4 "Download a file": Get a file with the
// version 4 authentication parameters, headers and query parameters.
func downloadFileSpec(c *client) app.Spec {
	return app.Spec{
		Name:       "http:DownloadFile",
		Label:      "HTTP: Download a file",
		Help:       "Downloads a file and outputs its data and name (Make's HTTP app, version 4).",
		Timeout:    specTimeout,
		Parameters: append(v4AuthFields(), errorTypesField),
		Mapper: []app.Field{
			{Name: "url", Label: "URL", Type: app.TypeURL, Required: true},
			{Name: "headers", Label: "Headers", Type: app.TypeArray, Spec: nameValueSpec},
			{Name: "queryParameters", Label: "Query parameters", Type: app.TypeArray, Spec: nameValueSpec},
			{Name: "stopOnHttpError", Label: "Return error if HTTP request fails", Type: app.TypeBoolean, Default: true},
			{Name: "shareCookies", Label: "Share cookies with other HTTP modules", Type: app.TypeBoolean,
				Help: "Cookies received are kept for the run and sent by every HTTP module of the run that shares cookies."},
		},
		New: func(cfg app.Config) (app.Module, error) {
			a, err := newV4Auth(cfg.Parameters)
			if err != nil {
				return nil, err
			}
			t, err := ParseErrorTable(cfg.Parameters["errorTypes"])
			if err != nil {
				return nil, err
			}
			return &downloadFile{c: c, v4Auth: a, table: t}, nil
		},
	}
}

type downloadFile struct {
	c *client
	v4Auth
	table ErrorTable
}

func (m *downloadFile) Run(ctx context.Context, c *app.Call) ([]weft.Bundle, error) {
	in := c.Input
	u, err := requestURL(value.Text(in["url"]), false)
	if err != nil {
		return nil, err
	}
	h, err := headers(in, "headers")
	if err != nil {
		return nil, err
	}
	qs, _ := pairs(in, "queryParameters", "name")
	addQuery(u, encodePairs(qs))
	// A download has no timeout field: the legacy modules' 300 s, since files take
	// longer than an API answer's 40 s.
	r := &request{method: "GET", url: u, header: h,
		timeout:    legacyTimeout * time.Second,
		compressed: true, // a Content-Encoding is transport, not the file
		follow:     func(string) bool { return true },
		jar:        cookieJar(c.Exec, boolOf(in, "shareCookies", false))}
	if err := m.apply(c.Exec, r); err != nil {
		return nil, err
	}
	resp, err := m.c.exchange(ctx, c.Exec, r, m.oauth)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(boolOf(in, "stopOnHttpError", true), m.table, r, resp, c.Exec.Now()); err != nil {
		return nil, err
	}
	return []weft.Bundle{{
		"data":       resp.body,
		"fileName":   fileName(resp),
		"fileSize":   float64(len(resp.body)),
		"statusCode": float64(resp.status),
		"headers":    headerMap(resp.header),
	}}, nil
}
