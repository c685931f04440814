package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/server/api"
)

// --json prints what the API answered: one JSON value on stdout, the same in every
// mode. Commands that combine several answers print an object naming each.

// printRaw writes an API answer as it came, one value on a line.
func printRaw(cmd *cobra.Command, data []byte) {
	w := cmd.OutOrStdout()
	data = bytes.TrimRight(data, "\n")
	w.Write(data)
	io.WriteString(w, "\n")
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// jsonFlag adds --json to a command.
func jsonFlag(c *cobra.Command, asJSON *bool) {
	c.Flags().BoolVar(asJSON, "json", false, "print the API's JSON answer (docs/cli.md)")
}

// pageFlags are the paging flags of a listing: --limit and --cursor (the nextCursor
// a --json listing printed).
type pageFlags struct {
	limit  int
	cursor string
}

func (p *pageFlags) add(c *cobra.Command) {
	c.Flags().IntVar(&p.limit, "limit", 50, "at most this many (1 to 500)")
	c.Flags().StringVar(&p.cursor, "cursor", "", "the next page: nextCursor of the previous page's --json")
}

// query returns the listing's query with limit and cursor set; idCursor, when the
// command has an id-based flag (--after ID, --before ID), becomes the cursor.
func (p *pageFlags) query(idCursor string) url.Values {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(p.limit))
	switch {
	case p.cursor != "":
		q.Set("cursor", p.cursor)
	case idCursor != "":
		// The API's cursors are the last item's id, base64url (server/api paging).
		q.Set("cursor", base64.RawURLEncoding.EncodeToString([]byte(idCursor)))
	}
	return q
}

// moreHint tells people reading a listing that a next page exists.
func moreHint(cmd *cobra.Command, next *string) {
	if next != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "(more: --cursor %s)\n", *next)
	}
}

// decodePage reads a listing's answer.
func decodePage[T any](data []byte) (api.Page[T], error) {
	var p api.Page[T]
	err := json.Unmarshal(data, &p)
	return p, err
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}
