package httpmod

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

func TestParseXML(t *testing.T) {
	tests := []struct {
		name, body, charset string
		want                map[string]any
	}{{
		name: "elements, repeated elements, attributes and text",
		body: `<?xml version="1.0" encoding="UTF-8"?>
<shop id="7" xmlns:g="http://base.google.com/ns/1.0">
  <!-- a comment -->
  <item sku="a1"><name>Tea &amp; cake</name><g:price>2.50</g:price></item>
  <item sku="b2"><name><![CDATA[<b>Coffee</b>]]></name></item>
  <empty/>
</shop>`,
		want: map[string]any{"shop": []any{map[string]any{
			"_attributes": map[string]any{"id": "7", "xmlns:g": "http://base.google.com/ns/1.0"},
			"item": []any{
				map[string]any{"_attributes": map[string]any{"sku": "a1"},
					"name":    []any{map[string]any{"_value": "Tea & cake"}},
					"g:price": []any{map[string]any{"_value": "2.50"}}},
				map[string]any{"_attributes": map[string]any{"sku": "b2"},
					"name": []any{map[string]any{"_value": "<b>Coffee</b>"}}},
			},
			"empty": []any{map[string]any{}},
		}}},
	}, {
		name: "mixed content keeps its text",
		body: `<p>Hello <b>world</b>!</p>`,
		want: map[string]any{"p": []any{map[string]any{"_value": "Hello !", "b": []any{map[string]any{"_value": "world"}}}}},
	}, {
		name: "SOAP envelope keeps prefixes",
		body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><r>1</r></soap:Body></soap:Envelope>`,
		want: map[string]any{"soap:Envelope": []any{map[string]any{
			"_attributes": map[string]any{"xmlns:soap": "http://schemas.xmlsoap.org/soap/envelope/"},
			"soap:Body":   []any{map[string]any{"r": []any{map[string]any{"_value": "1"}}}}}}},
	}, {
		name: "ISO-8859-1 declared", body: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>",
		want: map[string]any{"a": []any{map[string]any{"_value": "café"}}},
	}, {
		name: "ISO-8859-1 from the header", body: "<a>caf\xe9</a>", charset: "iso-8859-1",
		want: map[string]any{"a": []any{map[string]any{"_value": "café"}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseXML([]byte(tt.body), tt.charset)
			if err != nil {
				t.Fatal(err)
			}
			deepEqual(t, "parsed", got, tt.want)
		})
	}
}

func TestParseXMLRejects(t *testing.T) {
	deep := ""
	for i := 0; i < maxXMLDepth+1; i++ {
		deep += "<a>"
	}
	tests := []struct{ body, msg string }{
		{"<a><b></a>", "element <b> closed by </a>"},
		{"<a>", "element <a> is not closed"},
		{"<a/><b/>", "more than one root element"},
		{"hello", "text outside the root element"},
		{"", "no root element"},
		{"<a>&nbsp;</a>", "invalid character entity &nbsp;"},
		{`<?xml version="1.0" encoding="Shift_JIS"?><a/>`, `the "Shift_JIS" encoding is not supported`},
		{deep, "elements nested deeper than 512 levels"},
	}
	for _, tt := range tests {
		_, err := parseXML([]byte(tt.body), "")
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("parseXML(%.20q) = %v, want %q", tt.body, err, tt.msg)
		}
	}
}

// Modules parse XML answers when parseResponse is on; a success body that claims XML
// but is not is an UnexpectedError, as for JSON.
func TestXMLResponses(t *testing.T) {
	srv := httptest.NewServer(reply(200, `<feed><entry>1</entry><entry>2</entry></feed>`, "Content-Type", "application/atom+xml"))
	defer srv.Close()
	want := map[string]any{"feed": []any{map[string]any{"entry": []any{
		map[string]any{"_value": "1"}, map[string]any{"_value": "2"}}}}}
	got := runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL})
	deepEqual(t, "v4 data", got["data"], want)
	got = runOne(t, "http:ActionSendData", nil, weft.Bundle{"url": srv.URL, "parseResponse": true})
	deepEqual(t, "v3 data", got["data"], want)
	got = runOne(t, "http:ActionSendData", nil, weft.Bundle{"url": srv.URL})
	deepEqual(t, "v3 default (no parsing)", got["data"], `<feed><entry>1</entry><entry>2</entry></feed>`)

	bad := httptest.NewServer(reply(200, `<feed><entry>`, "Content-Type", "text/xml"))
	defer bad.Close()
	_, err := run(t, "http:MakeRequest", nil, weft.Bundle{"url": bad.URL})
	wantError(t, err, weft.UnexpectedError, "the response says text/xml but its body is not well-formed XML: ", "<feed><entry>")
	// An error answer output with stopOnHttpError false stays text.
	badErr := httptest.NewServer(reply(500, `<error>`, "Content-Type", "application/xml"))
	defer badErr.Close()
	got = runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": badErr.URL, "stopOnHttpError": false})
	deepEqual(t, "error body", got["data"], "<error>")
}

// Binary answers carry fileName and fileSize, so they can go to an upload as is.
func TestBinaryResponseFile(t *testing.T) {
	pdf := "%PDF-1.7\x00\x01binary"
	srv := httptest.NewServer(reply(200, pdf, "Content-Type", "application/pdf",
		"Content-Disposition", `attachment; filename="invoice 7.pdf"`))
	defer srv.Close()
	got := runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": srv.URL + "/files/7"})
	deepEqual(t, "v4", got, weft.Bundle{"data": []byte(pdf), "statusCode": 200.0, "fileName": "invoice 7.pdf",
		"fileSize": float64(len(pdf)), "headers": got["headers"]})
	got = runOne(t, "http:ActionSendData", nil, weft.Bundle{"url": srv.URL + "/files/7"})
	deepEqual(t, "v3 fileName", got["fileName"], "invoice 7.pdf")
	deepEqual(t, "v3 fileSize", got["fileSize"], float64(len(pdf)))

	text := httptest.NewServer(reply(200, "plain", "Content-Type", "text/plain"))
	defer text.Close()
	got = runOne(t, "http:MakeRequest", nil, weft.Bundle{"url": text.URL})
	if _, ok := got["fileName"]; ok {
		t.Errorf("a text answer has a fileName: %v", got)
	}
}
