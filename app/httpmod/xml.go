package httpmod

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// isXMLType reports the media types whose bodies parseResponse reads as XML.
func isXMLType(typ string) bool {
	return typ == "application/xml" || typ == "text/xml" || strings.HasSuffix(typ, "+xml")
}

// maxXMLDepth bounds element nesting: a hostile document cannot exhaust the stack.
const maxXMLDepth = 512

// parseXML turns an XML document into a collection the way Make documents its XML
// parsing (developers.make.com, "XML type"): every element is an array of element
// collections, even when it occurs once (so a mapping does not break the day a list has
// one item); an element collection holds its child elements under their names, its
// attributes under "_attributes" and its text under "_value". So
//
//	<shop id="7"><item>a</item><item>b</item></shop>
//
// becomes {"shop": [{"_attributes": {"id": "7"}, "item": [{"_value": "a"}, {"_value": "b"}]}]},
// mapped as {{1.data.shop[].item[2]._value}}. Names keep their prefix as written
// ("soap:Envelope"); whitespace-only text, comments and processing instructions are
// dropped; CDATA is text. Only UTF-8, US-ASCII and ISO-8859-1 documents are read.
func parseXML(body []byte, charset string) (map[string]any, error) {
	converted := false
	if charset == "iso-8859-1" || charset == "latin1" {
		// The header's charset wins; the body is UTF-8 from here on.
		body, converted = []byte(text(body, charset)), true
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if converted {
			return in, nil
		}
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		case "iso-8859-1", "latin1", "l1", "iso_8859-1":
			b, err := io.ReadAll(in)
			if err != nil {
				return nil, err
			}
			return strings.NewReader(text(b, "iso-8859-1")), nil
		}
		return nil, fmt.Errorf("the %q encoding is not supported", label)
	}
	type frame struct {
		name string
		node map[string]any
		text strings.Builder
	}
	root := map[string]any{}
	var stack []*frame
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return nil, fmt.Errorf("elements nested deeper than %d levels", maxXMLDepth)
			}
			if len(stack) == 0 && len(root) > 0 {
				return nil, errors.New("more than one root element")
			}
			f := &frame{name: qname(t.Name), node: map[string]any{}}
			if len(t.Attr) > 0 {
				attrs := make(map[string]any, len(t.Attr))
				for _, a := range t.Attr {
					attrs[qname(a.Name)] = a.Value
				}
				f.node["_attributes"] = attrs
			}
			stack = append(stack, f)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("unexpected end element </%s>", qname(t.Name))
			}
			if open := stack[len(stack)-1].name; open != qname(t.Name) {
				return nil, fmt.Errorf("element <%s> closed by </%s>", open, qname(t.Name))
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if s := f.text.String(); strings.TrimSpace(s) != "" {
				f.node["_value"] = s
			}
			parent := root
			if len(stack) > 0 {
				parent = stack[len(stack)-1].node
			}
			list, _ := parent[f.name].([]any)
			parent[f.name] = append(list, f.node)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("element <%s> is not closed", stack[len(stack)-1].name)
	}
	if len(root) == 0 {
		return nil, errors.New("no root element")
	}
	return root, nil
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}
