package declarative

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Named base URLs: an app whose modules call more than one host (Google Docs reads and
// writes documents at docs.googleapis.com and copies and exports them through Drive at
// www.googleapis.com) names the other hosts in base.urls:
//
//	"base": {"baseUrl": "https://docs.googleapis.com",
//	         "urls": {"drive": "https://www.googleapis.com"}}
//
// and a request URL starting with "@name/" is relative to that one:
// "@drive/drive/v3/files/{{…}}/copy". An override of the app's base URL (Options.BaseURLs,
// WEFT_APP_BASEURL_<APP>) replaces every URL of the app, so one stand-in answers all its
// paths in tests.

var baseURLName = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

func decodeBaseURLs(a *appDef, base obj) error {
	urls, ok, err := base.object("urls")
	if err != nil || !ok {
		return err
	}
	a.urls = map[string]string{}
	names := make([]string, 0, len(urls.m))
	for k := range urls.m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !baseURLName.MatchString(k) {
			return errAt(urls.at(k), "%q is not a URL name (lower case letters and digits)", k)
		}
		u, err := urls.str(k, true)
		if err != nil {
			return err
		}
		if err := checkBaseURL(u); err != nil {
			return errAt(urls.at(k), "%v", err)
		}
		a.urls[k] = strings.TrimRight(u, "/")
	}
	return nil
}

// overrideURLs points every named URL at an override of the app's base URL.
func (a *appDef) overrideURLs(u string) {
	for k := range a.urls {
		a.urls[k] = u
	}
}

// resolve joins a request URL to the app's base URL, or to a named one ("@drive/…").
func (a *appDef) resolve(u string) (string, error) {
	u = strings.TrimSpace(u)
	if rest, ok := strings.CutPrefix(u, "@"); ok {
		name, path, _ := strings.Cut(rest, "/")
		base, known := a.urls[name]
		if !known {
			return "", fmt.Errorf("request URL %q names no URL of base.urls", u)
		}
		return resolveURL(base, "/"+path), nil
	}
	return resolveURL(a.baseURL, u), nil
}
