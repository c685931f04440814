package declarative_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/declarative"
)

func twoHostApp(docs, drive string) string {
	return `{"name": "twohost", "base": {"baseUrl": "` + docs + `", "urls": {"drive": "` + drive + `"}},
		"connection": {"type": "none"},
		"modules": {
			"Copy": {"mapper": [{"name": "id", "type": "text"}],
				"communication": {"url": "@drive/drive/v3/files/{{parameters.id}}/copy", "method": "POST"}},
			"Get": {"mapper": [{"name": "id", "type": "text"}],
				"communication": {"url": "/v1/documents/{{parameters.id}}"}},
			"Odd": {"communication": {"url": "@sheets/x"}}}}`
}

func loadTwoHost(t *testing.T, def string, opts declarative.Options) *app.Registry {
	t.Helper()
	opts.Getenv = noEnv
	specs, err := declarative.LoadOptions(fstest.MapFS{"twohost.json": {Data: []byte(def)}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := app.NewRegistry()
	for _, sp := range specs {
		if err := r.Register(sp); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// A request URL "@name/…" goes to base.urls' name; others to baseUrl.
func TestNamedBaseURLs(t *testing.T) {
	docs, drive := newStandIn(t), newStandIn(t)
	r := loadTwoHost(t, twoHostApp(docs.URL, drive.URL+"/"), declarative.Options{})
	copySpec, _ := r.Lookup("twohost:Copy")
	if _, err := run(t, copySpec, weft.Bundle{}, `{"id": "f1"}`); err != nil {
		t.Fatal(err)
	}
	if g := drive.only(t); g.Method != "POST" || g.Path != "/drive/v3/files/f1/copy" {
		t.Fatalf("drive got %s %s", g.Method, g.Path)
	}
	get, _ := r.Lookup("twohost:Get")
	if _, err := run(t, get, weft.Bundle{}, `{"id": "d1"}`); err != nil {
		t.Fatal(err)
	}
	if g := docs.only(t); g.Path != "/v1/documents/d1" {
		t.Fatalf("docs got %s", g.Path)
	}
	odd, _ := r.Lookup("twohost:Odd")
	_, err := run(t, odd, weft.Bundle{}, `{}`)
	wantType(t, err, weft.DataError, `request URL "@sheets/x" names no URL of base.urls`)

	// An override of the app's base URL replaces every URL: one stand-in answers all.
	one := newStandIn(t)
	r = loadTwoHost(t, twoHostApp("https://docs.example", "https://drive.example"),
		declarative.Options{BaseURLs: map[string]string{"twohost": one.URL}})
	copySpec, _ = r.Lookup("twohost:Copy")
	if _, err := run(t, copySpec, weft.Bundle{}, `{"id": "f2"}`); err != nil {
		t.Fatal(err)
	}
	if g := one.only(t); g.Path != "/drive/v3/files/f2/copy" {
		t.Fatalf("override got %s", g.Path)
	}
}

func TestNamedBaseURLsLoadErrors(t *testing.T) {
	for _, tc := range []struct{ urls, want string }{
		{`{"Drive": "https://x.example"}`, `twohost.json#/base/urls/Drive: "Drive" is not a URL name`},
		{`{"drive": "ftp://x.example"}`, `twohost.json#/base/urls/drive:`},
		{`["https://x.example"]`, `twohost.json#/base/urls`},
	} {
		def := strings.Replace(twoHostApp("https://docs.example", "https://drive.example"),
			`{"drive": "https://drive.example"}`, tc.urls, 1)
		_, err := declarative.LoadOptions(fstest.MapFS{"twohost.json": {Data: []byte(def)}}, declarative.Options{Getenv: noEnv})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("urls %s: error %v, want %q", tc.urls, err, tc.want)
		}
	}
}
