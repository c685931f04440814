package httpmod

import (
	"net/http"
	"net/http/cookiejar"

	"github.com/weftworks/weft/app"
	"golang.org/x/net/publicsuffix"
)

// cookieJarKey is the execution state key of the run's cookie jar: one per run, shared
// by every HTTP module of the run that sets shareCookies (Make: "Share cookies with
// other HTTP modules"), never by modules of other runs.
type cookieJarKey struct{}

// sharedJar returns the run's cookie jar. The public suffix list keeps a service from
// setting a cookie for a whole registry domain (co.uk, github.io).
func sharedJar(exec app.Execution) http.CookieJar {
	return exec.State(cookieJarKey{}, func() any {
		jar, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
		if err != nil {
			// cookiejar.New never fails (its error is reserved); a jar without the list
			// is the fallback should it ever do so.
			jar, _ = cookiejar.New(nil)
		}
		return jar
	}).(http.CookieJar)
}

// cookieJar is the jar a module call uses: the run's shared one with shareCookies, none
// otherwise (each request then starts without cookies and keeps none, as in Make).
func cookieJar(exec app.Execution, share bool) http.CookieJar {
	if !share {
		return nil
	}
	return sharedJar(exec)
}
