package email

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/app/apptest"
	"github.com/weftworks/weft/blueprint"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/value"
)

// Every email:ActionSendEmail of the real blueprints passes the spec, uses only
// declared fields and, with its recipients pointed at the test server, sends: Make's
// empty exports ("" for from, [] for cc, "normal" priority) must not get in the way.
func TestCorpusSendEmail(t *testing.T) {
	var seen []string
	for _, file := range corpus.Files(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// Parse only the blueprints that use the app (parsing the corpus is slow under -race).
		if !bytes.Contains(data, []byte(`"email:ActionSendEmail"`)) && !bytes.Contains(data, []byte(`"gateway:CustomMailHook"`)) {
			continue
		}
		bp, err := blueprint.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		bp.Walk(func(m *blueprint.Module, ptr string) bool {
			if m.Type != "email:ActionSendEmail" && m.Type != "gateway:CustomMailHook" {
				return true
			}
			where := filepath.Base(file) + ptr
			seen = append(seen, filepath.Base(file)[:3]+" "+m.Type)
			spec := apptest.Spec(t, Register, m.Type)
			mapper, _ := m.Mapper.(map[string]any)
			for k := range mapper {
				if !slices.ContainsFunc(spec.Mapper, func(f app.Field) bool { return f.Name == k }) {
					t.Errorf("%s: mapper key %q is not a declared field", where, k)
				}
			}
			if m.Type != "email:ActionSendEmail" {
				return true
			}
			ts := startSMTP(t, script{})
			exec := apptest.NewExec()
			exec.Connections[value.Text(m.Parameters["account"])] = ts.conn()
			in := weft.Bundle{}
			for k, v := range mapper {
				in[k] = v
			}
			in["to"] = []any{"bob@example.org"} // the corpus maps {{1.customer_email}} or a redacted address
			if _, err := apptest.Run(context.Background(), spec, m.Parameters, in, exec); err != nil {
				t.Errorf("%s: %v", where, err)
				return true
			}
			if got := ts.messages(); len(got) != 1 {
				t.Errorf("%s: the server received %d messages", where, len(got))
			} else if b := mustParse(t, got[0].data); !strings.Contains(b["text"].(string)+b["html"].(string), "Make.com") &&
				!strings.Contains(b["text"].(string), "Thank you for your purchase") {
				t.Errorf("%s: body %q / %q is not the blueprint's", where, b["text"], b["html"])
			}
			return true
		})
	}
	sort.Strings(seen)
	deepEqual(t, "email modules in the corpus", seen, []string{
		"029 email:ActionSendEmail",
		"043 email:ActionSendEmail", "043 email:ActionSendEmail", "043 email:ActionSendEmail",
	})
}
