package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/weftworks/weft/app"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/internal/corpus"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/sqlite"
)

func keyring(t *testing.T, ids ...string) *secrets.Keyring {
	t.Helper()
	var keys []secrets.Key
	for _, id := range ids {
		// The key's bytes follow from its id, so two rings with "a" share that key.
		keys = append(keys, secrets.Key{ID: id, Key: bytes.Repeat([]byte(id[:1]), secrets.KeySize)})
	}
	kr, err := secrets.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func withSecrets(kr *secrets.Keyring) func(*service.Config) {
	return func(c *service.Config) { c.Secrets = kr }
}

// again opens a second service on the same store with another keyring (a restart
// after the key file changed).
func (e *env) again(kr *secrets.Keyring) *service.Service {
	e.t.Helper()
	reg, err := all.Registry()
	if err != nil {
		e.t.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: e.st, Registry: reg, Secrets: kr,
		Clock: e.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

func TestConnectionRoundTrip(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	data := map[string]any{"key": "s3cret-key", "placement": "header", "name": "X-API-Key", "n": 9007199254740993}
	c, err := e.svc.CreateConnection(t.Context(), " Partner ", "apikey", data)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.Name != "Partner" || c.Type != "apikey" || c.KeyID != "a" || !c.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("created %+v", c)
	}
	stored, err := e.st.GetConnection(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored.Data, []byte("s3cret")) || stored.KeyID != "a" {
		t.Fatalf("stored data is not encrypted: %q (key %q)", stored.Data, stored.KeyID)
	}
	got, err := e.svc.ResolveConnection(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"key":"s3cret-key","n":9007199254740993,"name":"X-API-Key","placement":"header"}`; string(mustJSON(t, got)) != want {
		t.Errorf("resolved %s, want %s", mustJSON(t, got), want)
	}
	list, err := e.svc.Connections(t.Context())
	if err != nil || len(list) != 1 || list[0].Data != nil || list[0].Name != "Partner" {
		t.Fatalf("Connections = %+v, %v", list, err)
	}
	if js := string(mustJSON(t, list)); strings.Contains(js, "s3cret") || strings.Contains(js, `"data"`) {
		t.Errorf("connection JSON shows data: %s", js)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConnectionRefusals(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	bare := newEnv(t) // no keyring
	cases := []struct {
		name string
		svc  *service.Service
		cn   string
		typ  string
		data map[string]any
		want string
	}{
		{"no name", e.svc, " ", "apikey", nil, "create connection: a connection needs a name"},
		{"no type", e.svc, "P", "", nil, "create connection: a connection needs a type (for example apikey or basic)"},
		{"long name", e.svc, strings.Repeat("n", 201), "apikey", nil, "create connection: connection name of 201 characters: at most 200"},
		{"data that is not JSON", e.svc, "P", "apikey", map[string]any{"f": func() {}}, `create connection "P": connection data: json: unsupported type: func()`},
		{"no keyring", bare.svc, "P", "apikey", nil, "create connection: no secret keys are configured (service.Config.Secrets)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.svc.CreateConnection(t.Context(), c.cn, c.typ, c.data)
			if err == nil || err.Error() != c.want {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := bare.svc.CreateConnection(t.Context(), "P", "x", nil); !errors.Is(err, service.ErrNoSecrets) {
		t.Errorf("no keyring: %v is not ErrNoSecrets", err)
	}
	if n, _ := e.st.ListConnections(t.Context()); len(n) != 0 {
		t.Errorf("a refused connection was stored: %+v", n)
	}
}

func TestResolveConnectionReferences(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	c, err := e.svc.CreateConnection(t.Context(), "P", "basic", map[string]any{"username": "u"})
	if err != nil {
		t.Fatal(err)
	}
	id := c.ID
	cases := []struct {
		ref  any
		want string // "" for success
	}{
		{id, ""}, {int(id), ""}, {float64(id), ""}, {fmt.Sprint(id), ""}, {" " + fmt.Sprint(id) + " ", ""},
		{json.Number(fmt.Sprint(id)), ""},
		{int64(999), "InvalidConfigurationError: connection 999 does not exist"},
		{"abc", `InvalidConfigurationError: connection reference "abc" is not a connection id`},
		{1.5, "InvalidConfigurationError: connection reference 1.5 is not a connection id"},
		{nil, "InvalidConfigurationError: connection reference null is not a connection id"},
		{int64(-1), "InvalidConfigurationError: connection reference -1 is not a connection id"},
	}
	for _, c := range cases {
		got, err := e.svc.ResolveConnection(c.ref)
		if c.want == "" {
			if err != nil || got["username"] != "u" {
				t.Errorf("ResolveConnection(%#v) = %v, %v", c.ref, got, err)
			}
			continue
		}
		if we := weft.AsError(err); err == nil || fmt.Sprintf("%s: %s", we.Type, we.Message) != c.want {
			t.Errorf("ResolveConnection(%#v) error = %v, want %q", c.ref, err, c.want)
		}
	}
}

// TestCiphertextBoundToConnection: data copied from one connection's row onto another
// does not decrypt there.
func TestCiphertextBoundToConnection(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	one, _ := e.svc.CreateConnection(t.Context(), "one", "apikey", map[string]any{"key": "k1"})
	two, _ := e.svc.CreateConnection(t.Context(), "two", "apikey", map[string]any{"key": "k2"})
	stolen, _ := e.st.GetConnection(t.Context(), one.ID)
	victim, _ := e.st.GetConnection(t.Context(), two.ID)
	victim.Data, victim.KeyID = stolen.Data, stolen.KeyID
	if err := e.st.UpdateConnection(t.Context(), victim); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.ResolveConnection(two.ID)
	we := weft.AsError(err)
	if err == nil || we.Type != weft.InvalidConfigurationError || !errors.Is(err, secrets.ErrDecrypt) ||
		!strings.HasPrefix(we.Message, fmt.Sprintf("connection %d (two) cannot be decrypted", two.ID)) {
		t.Fatalf("swapped ciphertext: %v", err)
	}
}

func TestUpdateConnection(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	c, _ := e.svc.CreateConnection(t.Context(), "P", "basic", map[string]any{"username": "u", "password": "p1"})
	created := c.CreatedAt
	e.clock.Add(60e9)
	name := "Partner"
	if _, err := e.svc.UpdateConnection(t.Context(), c.ID, &name, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.ResolveConnection(c.ID)
	if got["password"] != "p1" {
		t.Errorf("renaming changed the data: %v", got)
	}
	u, err := e.svc.UpdateConnection(t.Context(), c.ID, nil, map[string]any{"username": "u", "password": "p2"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = e.svc.ResolveConnection(c.ID)
	if got["password"] != "p2" || u.Name != "Partner" || !u.CreatedAt.Equal(created) || !u.UpdatedAt.Equal(e.clock.Now()) {
		t.Errorf("after update: %+v data %v", u, got)
	}
	empty := " "
	if _, err := e.svc.UpdateConnection(t.Context(), c.ID, &empty, nil); err == nil ||
		err.Error() != fmt.Sprintf("update connection %d: a connection needs a name", c.ID) {
		t.Errorf("empty name: %v", err)
	}
	if _, err := e.svc.UpdateConnection(t.Context(), 999, &name, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

// keyPartner is an HTTP partner that answers 503 until told otherwise and records the
// API key of each request.
type keyPartner struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	keys   []string
}

func newKeyPartner(t *testing.T) *keyPartner {
	p := &keyPartner{status: 200}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.keys = append(p.keys, r.Header.Get("X-API-Key"))
		st := p.status
		p.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *keyPartner) set(status int) { p.mu.Lock(); p.status = status; p.mu.Unlock() }

// keyFlow calls the partner with the API key of connection ref (as Make exports it:
// a number in parameters.apiKeyKeychain).
func keyFlow(url string, ref int64) string {
	return fmt.Sprintf(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"http:MakeRequest","version":4,"parameters":{"authenticationType":"apiKey","apiKeyKeychain":%d},
		 "mapper":{"url":"%s","method":"get"}}]`, ref, url)
}

// TestModulesUseStoredConnections: with a keyring, the service resolves a module's
// connection from the store (no Config.Connections needed).
func TestModulesUseStoredConnections(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	p := newKeyPartner(t)
	c, _ := e.svc.CreateConnection(t.Context(), "P", "apikey", map[string]any{"key": "k-123", "name": "X-API-Key"})
	id := e.scenario(keyFlow(p.URL, c.ID), "")
	if rr := e.run(id, `{}`); rr.Result.Status != weft.StatusSuccess {
		t.Fatalf("run: %s %+v", rr.Result.Status, rr.Result.Error)
	}
	missing := e.scenario(keyFlow(p.URL, 404), "")
	rr := e.run(missing, `{}`)
	if len(rr.Incomplete) != 1 || rr.Incomplete[0].ErrorType != weft.InvalidConfigurationError ||
		!strings.Contains(rr.Incomplete[0].ErrorMessage, "connection 404 does not exist") {
		t.Fatalf("missing connection: %+v", rr.Result.Error)
	}
	if fmt.Sprint(p.keys) != "[k-123]" {
		t.Errorf("the partner saw keys %v", p.keys)
	}
}

func TestDeleteConnectionInUse(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	p := newKeyPartner(t)
	used, _ := e.svc.CreateConnection(t.Context(), "used", "apikey", map[string]any{"key": "k", "name": "X-API-Key"})
	free, _ := e.svc.CreateConnection(t.Context(), "free", "apikey", map[string]any{"key": "f", "name": "X-API-Key"})
	id := e.scenario(keyFlow(p.URL, used.ID), "")
	p.set(503)
	ie1 := e.run(id, `{"n":1}`).Incomplete[0].ID
	ie2 := e.run(id, `{"n":2}`).Incomplete[0].ID

	err := e.svc.DeleteConnection(t.Context(), used.ID, false)
	var inUse *service.ConnectionInUseError
	if !errors.As(err, &inUse) || inUse.ID != used.ID || !slices.Equal(inUse.Incomplete, []string{ie1, ie2}) {
		t.Fatalf("delete in use: %v", err)
	}
	if want := fmt.Sprintf("connection %d is used by 2 incomplete execution(s) not yet resolved (%s, %s); resolve or delete them, or force the deletion",
		used.ID, ie1, ie2); err.Error() != want {
		t.Errorf("message:\n%s\nwant\n%s", err, want)
	}
	if err := e.svc.DeleteConnection(t.Context(), free.ID, false); err != nil {
		t.Errorf("an unused connection: %v", err)
	}
	// Once they are resolved, the connection can go.
	p.set(200)
	for _, ie := range []string{ie1, ie2} {
		if _, after, err := e.svc.RetryNow(t.Context(), ie); err != nil || after.Status != weft.IncompleteResolved {
			t.Fatalf("retry %s: %v", ie, err)
		}
	}
	if err := e.svc.DeleteConnection(t.Context(), used.ID, false); err != nil {
		t.Fatalf("after resolving: %v", err)
	}
	if err := e.svc.DeleteConnection(t.Context(), used.ID, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

// TestForcedDeletion: forced, the connection goes; the incomplete execution's next
// attempt fails with an InvalidConfigurationError and waits for a person.
func TestForcedDeletion(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	p := newKeyPartner(t)
	c, _ := e.svc.CreateConnection(t.Context(), "c", "apikey", map[string]any{"key": "k", "name": "X-API-Key"})
	id := e.scenario(keyFlow(p.URL, c.ID), "")
	p.set(503)
	ie := e.run(id, `{}`).Incomplete[0].ID
	if err := e.svc.DeleteConnection(t.Context(), c.ID, true); err != nil {
		t.Fatal(err)
	}
	_, after, err := e.svc.RetryNow(t.Context(), ie)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != weft.IncompleteUnresolved || after.ErrorType != weft.InvalidConfigurationError {
		t.Fatalf("after the forced deletion: %s %s %s", after.Status, after.ErrorType, after.ErrorMessage)
	}
}

// TestEditedBlueprintCounts: an incomplete execution whose blueprint a person edited
// to use another connection is judged by its own blueprint.
func TestEditedBlueprintCounts(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	p := newKeyPartner(t)
	old, _ := e.svc.CreateConnection(t.Context(), "old", "apikey", map[string]any{"key": "k", "name": "X-API-Key"})
	repl, _ := e.svc.CreateConnection(t.Context(), "new", "apikey", map[string]any{"key": "k2", "name": "X-API-Key"})
	id := e.scenario(keyFlow(p.URL, old.ID), "")
	p.set(503)
	ieID := e.run(id, `{}`).Incomplete[0].ID
	ie := e.ie(ieID)
	ie.Blueprint = bytes.Replace(ie.Blueprint, fmt.Appendf(nil, `"apiKeyKeychain":%d`, old.ID), fmt.Appendf(nil, `"apiKeyKeychain":%d`, repl.ID), 1)
	if err := e.st.UpdateIncomplete(t.Context(), ie); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteConnection(t.Context(), old.ID, false); err != nil {
		t.Errorf("old connection no longer referenced: %v", err)
	}
	var inUse *service.ConnectionInUseError
	if err := e.svc.DeleteConnection(t.Context(), repl.ID, false); !errors.As(err, &inUse) || !slices.Equal(inUse.Incomplete, []string{ieID}) {
		t.Errorf("replacement connection: %v", err)
	}
}

func TestRotateConnections(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	var ids []int64
	for i := range 3 {
		c, err := e.svc.CreateConnection(t.Context(), fmt.Sprint("c", i), "basic", map[string]any{"username": fmt.Sprint("u", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	scID := e.scenario(httpFlow("http://127.0.0.1:1", ""), "")
	if _, err := e.svc.EnsureHook(t.Context(), scID); err != nil {
		t.Fatal(err)
	}
	h, err := e.svc.SetHookSecret(t.Context(), scID, []byte("hmac-key"))
	if err != nil || h.SecretKeyID != "a" || bytes.Contains(h.Secret, []byte("hmac-key")) {
		t.Fatalf("SetHookSecret: %+v, %v", h, err)
	}
	before, _ := e.st.GetConnection(t.Context(), ids[0])

	// A new first key: everything is re-encrypted with it, once.
	rotated := e.again(keyring(t, "b", "a"))
	if n, err := rotated.RotateConnections(t.Context()); err != nil || n != 4 {
		t.Fatalf("rotate: %d, %v; want 4 (3 connections, 1 webhook secret)", n, err)
	}
	if n, err := rotated.RotateConnections(t.Context()); err != nil || n != 0 {
		t.Fatalf("second rotate: %d, %v", n, err)
	}
	after, _ := e.st.GetConnection(t.Context(), ids[0])
	if after.KeyID != "b" || bytes.Equal(after.Data, before.Data) || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("rotated row: key %q, updated %v (was %v)", after.KeyID, after.UpdatedAt, before.UpdatedAt)
	}
	// The old key can go.
	onlyNew := e.again(keyring(t, "b"))
	for i, id := range ids {
		got, err := onlyNew.ResolveConnection(id)
		if err != nil || got["username"] != fmt.Sprint("u", i) {
			t.Errorf("connection %d with the new key only: %v, %v", id, got, err)
		}
	}
	hook, _ := e.svc.Hook(t.Context(), scID)
	if secret, err := onlyNew.HookSecret(t.Context(), hook.Token); err != nil || string(secret) != "hmac-key" {
		t.Errorf("webhook secret with the new key only: %q, %v", secret, err)
	}
	// A new address for the scenario keeps its secret.
	moved, err := e.svc.RotateHook(t.Context(), scID)
	if err != nil {
		t.Fatal(err)
	}
	if secret, err := onlyNew.HookSecret(t.Context(), moved.Token); err != nil || string(secret) != "hmac-key" {
		t.Errorf("webhook secret after a new address: %q, %v", secret, err)
	}
}

// TestRotateReportsWhatItCannotOpen: a row encrypted with a key no longer in the ring
// is named; the others are still rotated.
func TestRotateReportsWhatItCannotOpen(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	lost, _ := e.svc.CreateConnection(t.Context(), "lost", "basic", map[string]any{"username": "x"})
	kept, _ := e.svc.CreateConnection(t.Context(), "kept", "basic", map[string]any{"username": "y"})
	// "lost" was encrypted with key z, which nobody has any more.
	z := e.again(keyring(t, "z"))
	if _, err := z.UpdateConnection(t.Context(), lost.ID, nil, map[string]any{"username": "x"}); err != nil {
		t.Fatal(err)
	}
	n, err := e.again(keyring(t, "b", "a")).RotateConnections(t.Context())
	if n != 1 || err == nil || !errors.Is(err, secrets.ErrUnknownKey) ||
		!strings.Contains(err.Error(), fmt.Sprintf("rotate connections: 1 not re-encrypted: connection %d (lost): secrets: key \"z\": unknown key", lost.ID)) {
		t.Fatalf("rotate = %d, %v", n, err)
	}
	if c, _ := e.st.GetConnection(t.Context(), kept.ID); c.KeyID != "b" {
		t.Errorf("kept connection key %q", c.KeyID)
	}
}

func TestHookSecretCleared(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")))
	scID := e.scenario(httpFlow("http://127.0.0.1:1", ""), "")
	hook, err := e.svc.EnsureHook(t.Context(), scID)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := e.svc.HookSecret(t.Context(), hook.Token); s != nil || err != nil {
		t.Fatalf("no secret yet: %q, %v", s, err)
	}
	e.svc.SetHookSecret(t.Context(), scID, []byte("k"))
	if h, err := e.svc.SetHookSecret(t.Context(), scID, nil); err != nil || h.Secret != nil || h.SecretKeyID != "" {
		t.Fatalf("clear: %+v, %v", h, err)
	}
	if s, err := e.svc.HookSecret(t.Context(), hook.Token); s != nil || err != nil {
		t.Fatalf("after clearing: %q, %v", s, err)
	}
	if _, err := e.svc.HookSecret(context.Background(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
}

// TestConnectionRefsInRealBlueprints checks the references found in Make exports of
// the corpus: ids in parameters only, never the labelled connection objects of Make's
// restore metadata.
func TestConnectionRefsInRealBlueprints(t *testing.T) {
	cases := []struct {
		file string
		want []int64
	}{
		{"013-gsheet-to-gcal-events.json", nil}, // __IMTCONN__ only in metadata.restore
		{"015-lokalise-unverified-task-datastore.json", []int64{1508318}},
		{"017-outbound-enrich-resume.json", []int64{47210, 4480979, 4496267, 4517420}}, // auth: 47210
		{"019-email-webcrm-datastore.json", []int64{5785042}},                          // account
		{"035-dsm-update-apps-script.json", []int64{33477}},
		{"045-category-factors-subscenario.json", []int64{13192726, 13192811}},
	}
	for _, c := range cases {
		raw, err := os.ReadFile(corpus.Path(c.file))
		if err != nil {
			t.Fatal(err)
		}
		refs, err := service.ConnectionRefs(raw)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for id := range refs {
			got = append(got, id)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.file, got, c.want)
		}
	}
	cases2 := []struct{ bp, want string }{
		{`{"flow":[{"parameters":{"basicAuthKeychain":"12","proxyKeychain":""}}]}`, "[12]"},
		{`{"flow":[{"routes":[{"flow":[{"parameters":{"__IMTKEY__":3}}]}]}]}`, "[3]"},
		{`{"flow":[{"parameters":{"account":"abc","other":5}}]}`, "[]"},
	}
	for _, c := range cases2 {
		refs, err := service.ConnectionRefs([]byte(c.bp))
		var got []int64
		for id := range refs {
			got = append(got, id)
		}
		slices.Sort(got)
		if err != nil || fmt.Sprint(got) != c.want {
			t.Errorf("%s: %v (%v), want %s", c.bp, got, err, c.want)
		}
	}
	if _, err := service.ConnectionRefs([]byte("{")); err == nil {
		t.Error("broken blueprint: no error")
	}
}

// BenchmarkResolveConnection is what a module pays per call for its credentials: one
// SQLite read and one decryption.
func BenchmarkResolveConnection(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "weft.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg, err := all.Registry()
	if err != nil {
		b.Fatal(err)
	}
	kr, _ := secrets.NewKeyring(secrets.Key{ID: "a", Key: bytes.Repeat([]byte{1}, secrets.KeySize)})
	svc, err := service.New(service.Config{Store: st, Registry: reg, Secrets: kr, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	c, err := svc.CreateConnection(b.Context(), "P", "apikey", map[string]any{"key": strings.Repeat("k", 40), "name": "X-API-Key"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := svc.ResolveConnection(c.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// A module that renews credentials during a run (an OAuth server rotating its refresh
// token) finds the execution able to store them: they are saved, encrypted, on the
// connection, and the next run resolves the new ones.
func TestRenewedCredentialsAreSaved(t *testing.T) {
	e := newEnv(t, withSecrets(keyring(t, "a")), func(c *service.Config) {
		c.Registry.MustRegister(app.Spec{Name: "test:Renew", Timeout: -1,
			Parameters: []app.Field{{Name: "account", Type: app.TypeAny}},
			New: func(cfg app.Config) (app.Module, error) {
				return app.ModuleFunc(func(ctx context.Context, call *app.Call) ([]weft.Bundle, error) {
					saver, ok := call.Exec.(interface {
						SaveConnection(context.Context, any, weft.Bundle) error
					})
					if !ok {
						return nil, errors.New("the execution cannot save connections")
					}
					cur, err := call.Exec.Connection(call.Params["account"])
					if err != nil {
						return nil, err
					}
					next := fmt.Sprint(cur["refreshToken"]) + "+"
					return []weft.Bundle{{"renewed": next}}, saver.SaveConnection(ctx, call.Params["account"], weft.Bundle{"refreshToken": next})
				}), nil
			}})
	})
	c, err := e.svc.CreateConnection(t.Context(), "oauth", "oauth2", map[string]any{"refreshToken": "r"})
	if err != nil {
		t.Fatal(err)
	}
	id := e.scenario(fmt.Sprintf(`[{"id":1,"module":"gateway:CustomWebHook","version":1,"mapper":{}},
		{"id":2,"module":"test:Renew","version":1,"parameters":{"account":%d}}]`, c.ID), "")
	for _, want := range []string{"r+", "r++"} {
		rr := e.run(id, `{}`)
		if rr.Result.Status != weft.StatusSuccess {
			t.Fatalf("run: %s %+v", rr.Result.Status, rr.Result.Error)
		}
		got, err := e.svc.ResolveConnection(c.ID)
		if err != nil || got["refreshToken"] != want {
			t.Fatalf("stored credentials %v (%v), want %s", got, err, want)
		}
	}
}
