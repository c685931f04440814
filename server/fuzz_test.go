package server

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/weftworks/weft/value"
)

// FuzzParsePayload: no webhook request — any content type, any body, any query — makes
// payload parsing panic; it either yields a bundle or a clear error, and a body it
// keeps to store as received decodes to that very bundle.
func FuzzParsePayload(f *testing.F) {
	f.Add("application/json", `{"a":1,"b":[true,null]}`, "x=1")
	f.Add("application/x-www-form-urlencoded", "a=1&a=2&b=%zz", "")
	f.Add("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhi\r\n--X--\r\n", "")
	f.Add("text/plain", "hello", "q=%")
	f.Add("", "[1,2", "")
	f.Add("application/json", `"just text"`, "")
	f.Add("application/json", `{"$date":"2020-01-01T00:00:00Z"}`, "")
	f.Fuzz(func(t *testing.T, contentType, body, query string) {
		r := httptest.NewRequest("POST", "/hooks/x", bytes.NewReader([]byte(body)))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		b, stored, err := parsePayload(r, []byte(body), value.DecodeLimits{MaxDepth: 16, MaxMembers: 100})
		if err == nil && b == nil {
			t.Fatal("no bundle and no error")
		}
		// A body stored as received reads back as the bundle the run gets.
		if stored != nil {
			back, err := value.UnmarshalTagged(stored)
			if err != nil || !reflect.DeepEqual(back, map[string]any(b)) {
				t.Fatalf("stored %q reads back as %#v, %v; the bundle is %#v", stored, back, err, b)
			}
		}
	})
}
