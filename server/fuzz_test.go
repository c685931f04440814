package server

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// FuzzParsePayload: no webhook request — any content type, any body, any query — makes
// payload parsing panic; it either yields a bundle or a clear error.
func FuzzParsePayload(f *testing.F) {
	f.Add("application/json", `{"a":1,"b":[true,null]}`, "x=1")
	f.Add("application/x-www-form-urlencoded", "a=1&a=2&b=%zz", "")
	f.Add("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhi\r\n--X--\r\n", "")
	f.Add("text/plain", "hello", "q=%")
	f.Add("", "[1,2", "")
	f.Fuzz(func(t *testing.T, contentType, body, query string) {
		r := httptest.NewRequest("POST", "/hooks/x", bytes.NewReader([]byte(body)))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		b, err := parsePayload(r, []byte(body))
		if err == nil && b == nil {
			t.Fatal("no bundle and no error")
		}
	})
}
