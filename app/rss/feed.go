package rss

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// element is one XML element as the feed parser keeps it: its name with the usual
// prefix of its namespace ("media:thumbnail"), attributes, text and children.
type element struct {
	name     string
	attrs    map[string]string
	text     strings.Builder
	children []*element
}

func (e *element) child(names ...string) *element {
	for _, n := range names {
		for _, c := range e.children {
			if c.name == n {
				return c
			}
		}
	}
	return nil
}

func (e *element) all(name string) []*element {
	var out []*element
	for _, c := range e.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

func (e *element) textOf(names ...string) string {
	if c := e.child(names...); c != nil {
		return strings.TrimSpace(c.text.String())
	}
	return ""
}

// prefixes are the namespace URIs feeds use, by their usual prefix (encoding/xml
// reports the URI, not the prefix the document chose).
var prefixes = map[string]string{
	"http://search.yahoo.com/mrss/":                  "media",
	"http://search.yahoo.com/mrss":                   "media",
	"http://purl.org/dc/elements/1.1/":               "dc",
	"http://purl.org/rss/1.0/modules/content/":       "content",
	"http://www.w3.org/2005/Atom":                    "atom",
	"http://www.itunes.com/dtds/podcast-1.0.dtd":     "itunes",
	"http://www.w3.org/1999/02/22-rdf-syntax-ns#":    "rdf",
	"http://purl.org/rss/1.0/":                       "",
	"http://backend.userland.com/rss2":               "",
	"http://wellformedweb.org/CommentAPI/":           "wfw",
	"http://purl.org/rss/1.0/modules/slash/":         "slash",
	"http://www.georss.org/georss":                   "georss",
	"http://www.w3.org/XML/1998/namespace":           "xml",
	"http://purl.org/syndication/thread/1.0":         "thr",
	"http://www.w3.org/2000/xmlns/":                  "xmlns",
	"http://www.google.com/schemas/sitemap-news/0.9": "news",
}

func qname(n xml.Name, atomDoc bool) string {
	if n.Space == "" {
		return n.Local
	}
	p, ok := prefixes[n.Space]
	if !ok {
		// Unknown namespace: keep the local name (the values are still reachable).
		return n.Local
	}
	if p == "" || (p == "atom" && atomDoc) {
		return n.Local
	}
	return p + ":" + n.Local
}

// Limits of what one feed may hold: a feed is read whole into memory.
const (
	maxDepth    = 64
	maxElements = 200_000
)

// parseFeed reads an RSS 2.0, RSS 1.0 (RDF) or Atom document into its items, in
// document order, and the feed's own title.
func parseFeed(body []byte) (items []*element, err error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.CharsetReader = charset.NewReaderLabel
	dec.Entity = xml.HTMLEntity
	var stack []*element
	var root *element
	atomDoc := false
	count := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the feed is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if count++; count > maxElements {
				return nil, fmt.Errorf("the feed has more than %d elements", maxElements)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("the feed nests deeper than %d elements", maxDepth)
			}
			if root == nil && t.Name.Local == "feed" {
				atomDoc = true
			}
			e := &element{name: qname(t.Name, atomDoc)}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				if e.attrs == nil {
					e.attrs = map[string]string{}
				}
				e.attrs[qname(a.Name, atomDoc)] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			} else if root == nil {
				root = e
			}
			stack = append(stack, e)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("the document is empty")
	}
	switch root.name {
	case "rss":
		ch := root.child("channel")
		if ch == nil {
			return nil, fmt.Errorf("an rss document without a channel")
		}
		return ch.all("item"), nil
	case "feed":
		return root.all("entry"), nil
	case "rdf:RDF", "RDF":
		return root.all("item"), nil
	}
	return nil, fmt.Errorf("the document is not an RSS or Atom feed (its root element is <%s>)", root.name)
}

// dateLayouts are the date forms feeds use (RFC 822 in RSS with its common
// variations, RFC 3339 in Atom and Dublin Core).
var dateLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC3339Nano, time.RFC3339,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 02 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04:05 Z", "2 Jan 2006 15:04:05 -0700", "02 Jan 2006 15:04:05 MST",
	"Mon, 2 January 2006 15:04:05 -0700", "Mon, 02 Jan 06 15:04:05 -0700", time.RFC822Z, time.RFC822,
	"2006-01-02T15:04:05-0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05", "2006-01-02",
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// article is one item read from a feed.
type article struct {
	id      string // guid, Atom id, or link
	date    time.Time
	dated   bool
	created time.Time
	bundle  map[string]any
}

// readItem builds the output bundle of one item (the corpus's interface: title,
// description, summary, author, url, dateUpdated, dateCreated, comments, image,
// categories, source, enclosures, rssFields).
func readItem(e *element) *article {
	link := e.textOf("link")
	if link == "" || len(e.all("link")) > 0 && e.child("link").attrs["href"] != "" {
		link = ""
		for _, l := range e.all("link") {
			rel := l.attrs["rel"]
			if h := l.attrs["href"]; h != "" && (rel == "" || rel == "alternate") {
				link = h
				break
			}
		}
		if link == "" {
			if l := e.child("link"); l != nil {
				link = strings.TrimSpace(l.attrs["href"] + l.text.String())
			}
		}
	}
	summary := e.textOf("description", "summary", "content")
	description := e.textOf("content:encoded", "content", "description", "summary")
	author := e.textOf("author", "dc:creator")
	if a := e.child("author"); a != nil && a.child("name") != nil {
		author = a.textOf("name")
	}
	pub, hasPub := parseDate(e.textOf("pubDate", "published", "dc:date", "issued"))
	upd, hasUpd := parseDate(e.textOf("updated", "modified", "atom:updated"))
	if !hasUpd {
		upd, hasUpd = pub, hasPub
	}
	if !hasPub {
		pub, hasPub = upd, hasUpd
	}
	id := e.textOf("guid", "id")
	if id == "" {
		id = link
	}
	if id == "" {
		id = e.textOf("title") + "|" + e.textOf("pubDate", "published", "updated")
	}
	b := map[string]any{
		"title":       e.textOf("title"),
		"description": description,
		"summary":     summary,
		"author":      author,
		"url":         link,
		"comments":    e.textOf("comments"),
		"categories":  categories(e),
		"enclosures":  enclosures(e),
		"rssFields":   rssFields(e),
	}
	if hasUpd {
		b["dateUpdated"] = upd
	} else {
		b["dateUpdated"] = nil
	}
	if hasPub {
		b["dateCreated"] = pub
	} else {
		b["dateCreated"] = nil
	}
	b["image"] = image(e)
	if s := e.child("source"); s != nil {
		b["source"] = map[string]any{"title": strings.TrimSpace(s.text.String()), "url": s.attrs["url"]}
	} else {
		b["source"] = map[string]any{"title": "", "url": ""}
	}
	return &article{id: id, date: upd, dated: hasUpd, created: pub, bundle: b}
}

func categories(e *element) []any {
	out := []any{}
	for _, c := range e.all("category") {
		v := strings.TrimSpace(c.text.String())
		if v == "" {
			v = c.attrs["term"]
		}
		if v != "" {
			out = append(out, v)
		}
	}
	for _, c := range e.all("dc:subject") {
		if v := strings.TrimSpace(c.text.String()); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func enclosures(e *element) []any {
	out := []any{}
	add := func(u, typ, length string) {
		if u == "" {
			return
		}
		m := map[string]any{"url": u, "type": typ, "length": nil}
		if n, err := strconv.ParseFloat(strings.TrimSpace(length), 64); err == nil {
			m["length"] = n
		}
		out = append(out, m)
	}
	for _, c := range e.all("enclosure") {
		add(c.attrs["url"], c.attrs["type"], c.attrs["length"])
	}
	for _, l := range e.all("link") {
		if l.attrs["rel"] == "enclosure" {
			add(l.attrs["href"], l.attrs["type"], l.attrs["length"])
		}
	}
	return out
}

func image(e *element) map[string]any {
	for _, n := range []string{"media:thumbnail", "media:content", "itunes:image"} {
		if c := e.child(n); c != nil {
			u := c.attrs["url"]
			if u == "" {
				u = c.attrs["href"]
			}
			if u != "" && (n != "media:content" || c.attrs["medium"] == "" || c.attrs["medium"] == "image") {
				return map[string]any{"title": c.textOf("media:title"), "url": u}
			}
		}
	}
	if g := e.child("media:group"); g != nil {
		if c := g.child("media:thumbnail", "media:content"); c != nil && c.attrs["url"] != "" {
			return map[string]any{"title": "", "url": c.attrs["url"]}
		}
	}
	if c := e.child("image"); c != nil {
		if u := c.textOf("url"); u != "" {
			return map[string]any{"title": c.textOf("title"), "url": u}
		}
	}
	return map[string]any{"title": "", "url": ""}
}

// rssFields are the item's elements as text, keyed by name (lower case, as Make shows
// them: "pubdate"); an element with attributes is {props, value}. A repeated element
// keeps its first occurrence.
func rssFields(e *element) map[string]any {
	out := map[string]any{}
	for _, c := range e.children {
		key := strings.ToLower(c.name)
		if _, seen := out[key]; seen {
			continue
		}
		text := strings.TrimSpace(c.text.String())
		if len(c.attrs) == 0 {
			out[key] = text
			continue
		}
		props := map[string]any{}
		for k, v := range c.attrs {
			props[k] = v
		}
		out[key] = map[string]any{"props": props, "value": text}
	}
	return out
}
