package secrets_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft/secrets"
)

func key(id string, b byte) secrets.Key {
	return secrets.Key{ID: id, Key: bytes.Repeat([]byte{b}, secrets.KeySize)}
}

func ring(t *testing.T, keys ...secrets.Key) *secrets.Keyring {
	t.Helper()
	kr, err := secrets.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestRoundTrip(t *testing.T) {
	kr := ring(t, key("a", 1), key("b", 2))
	for _, plain := range []string{"", "x", `{"password":"hunter2"}`, strings.Repeat("é", 10000)} {
		ct, id, err := kr.Encrypt([]byte(plain), secrets.ConnectionAAD(7))
		if err != nil {
			t.Fatal(err)
		}
		if id != "a" {
			t.Errorf("key id = %q, want the current key a", id)
		}
		if len(ct) != 24+len(plain)+16 {
			t.Errorf("ciphertext of %d bytes for %d bytes of plaintext, want nonce+data+tag = %d", len(ct), len(plain), 24+len(plain)+16)
		}
		if len(plain) >= 8 && bytes.Contains(ct, []byte(plain)) { // shorter ones may appear by chance
			t.Errorf("ciphertext contains the plaintext")
		}
		got, err := kr.Decrypt(ct, id, secrets.ConnectionAAD(7))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != plain {
			t.Errorf("round trip = %q, want %q", got, plain)
		}
	}
}

func TestNoncesDiffer(t *testing.T) {
	kr := ring(t, key("a", 1))
	c1, _, _ := kr.Encrypt([]byte("same"), nil)
	c2, _, _ := kr.Encrypt([]byte("same"), nil)
	if bytes.Equal(c1, c2) {
		t.Fatal("two encryptions of the same plaintext are equal: nonces repeat")
	}
}

func TestTamperAndWrongKey(t *testing.T) {
	kr := ring(t, key("a", 1))
	ct, id, err := kr.Encrypt([]byte(`{"key":"s3cret"}`), secrets.ConnectionAAD(1))
	if err != nil {
		t.Fatal(err)
	}
	sameID := ring(t, key("a", 9)) // another key under the same id
	cases := []struct {
		name string
		kr   *secrets.Keyring
		ct   []byte
		id   string
		aad  []byte
		want error
	}{
		{"flipped bit in the data", kr, flip(ct, 30), id, secrets.ConnectionAAD(1), secrets.ErrDecrypt},
		{"flipped bit in the nonce", kr, flip(ct, 3), id, secrets.ConnectionAAD(1), secrets.ErrDecrypt},
		{"flipped bit in the tag", kr, flip(ct, len(ct)-1), id, secrets.ConnectionAAD(1), secrets.ErrDecrypt},
		{"truncated", kr, ct[:20], id, secrets.ConnectionAAD(1), secrets.ErrDecrypt},
		{"empty", kr, nil, id, secrets.ConnectionAAD(1), secrets.ErrDecrypt},
		{"copied to another connection", kr, ct, id, secrets.ConnectionAAD(2), secrets.ErrDecrypt},
		{"copied to a hook", kr, ct, id, secrets.HookAAD(1), secrets.ErrDecrypt},
		{"another key under the same id", sameID, ct, id, secrets.ConnectionAAD(1), secrets.ErrDecrypt},
		{"unknown key id", kr, ct, "gone", secrets.ConnectionAAD(1), secrets.ErrUnknownKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.kr.Decrypt(c.ct, c.id, c.aad)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decrypt = %q, %v; want %v", got, err, c.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the plaintext: %v", err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x01
	return c
}

func TestRotation(t *testing.T) {
	old := ring(t, key("old", 1))
	ct, id, _ := old.Encrypt([]byte("credentials"), secrets.ConnectionAAD(3))

	// A new first key becomes current; the old key still decrypts old ciphertexts.
	both := ring(t, key("new", 2), key("old", 1))
	if both.Current() != "new" {
		t.Fatalf("current = %q, want new", both.Current())
	}
	plain, err := both.Decrypt(ct, id, secrets.ConnectionAAD(3))
	if err != nil || string(plain) != "credentials" {
		t.Fatalf("old ciphertext under the rotated ring = %q, %v", plain, err)
	}
	ct2, id2, err := both.Encrypt(plain, secrets.ConnectionAAD(3))
	if err != nil || id2 != "new" {
		t.Fatalf("re-encrypt: id %q, %v", id2, err)
	}
	// Once the old key is removed, only re-encrypted data still opens.
	onlyNew := ring(t, key("new", 2))
	if _, err := onlyNew.Decrypt(ct, id, secrets.ConnectionAAD(3)); !errors.Is(err, secrets.ErrUnknownKey) {
		t.Errorf("old ciphertext without the old key: %v, want ErrUnknownKey", err)
	}
	if plain, err := onlyNew.Decrypt(ct2, id2, secrets.ConnectionAAD(3)); err != nil || string(plain) != "credentials" {
		t.Errorf("re-encrypted ciphertext = %q, %v", plain, err)
	}
}

func TestNewKeyringRejects(t *testing.T) {
	cases := []struct {
		name string
		keys []secrets.Key
		want string
	}{
		{"none", nil, "at least one key"},
		{"short key", []secrets.Key{{ID: "a", Key: make([]byte, 16)}}, `key "a" is 16 bytes, want 32`},
		{"empty id", []secrets.Key{key("", 1)}, "key 1: empty key id"},
		{"bad id", []secrets.Key{key("a:b", 1)}, `key id "a:b": only letters`},
		{"duplicate", []secrets.Key{key("a", 1), key("a", 2)}, `key 2: id "a" appears twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := secrets.NewKeyring(c.keys...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func b64(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func TestParse(t *testing.T) {
	raw := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))
	cases := []struct {
		name    string
		text    string
		ids     []string
		wantErr string
	}{
		{"lines with comments", "# keys; rotate yearly\n\nk2:" + b64(2) + "\n k1 : " + b64(1) + " \n", []string{"k2", "k1"}, ""},
		{"semicolons", "k2:" + b64(2) + ";k1:" + b64(1) + ";", []string{"k2", "k1"}, ""},
		{"url-safe unpadded", "u:" + raw, []string{"u"}, ""},
		{"no colon", "k1" + b64(1), nil, "entry 1 is not id:base64key"},
		{"not base64", "k1:???", nil, `key "k1": is not base64`},
		{"wrong length", "k1:" + base64.StdEncoding.EncodeToString([]byte("short")), nil, `key "k1": decodes to 5 bytes, want 32`},
		{"only comments", "# nothing\n", nil, "src holds no key"},
		{"duplicate", "a:" + b64(1) + ";a:" + b64(2), nil, `id "a" appears twice (in src)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kr, err := secrets.Parse(c.text, "src")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), b64(1)) {
					t.Errorf("error leaks a key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(kr.IDs()); got != fmt.Sprint(c.ids) {
				t.Errorf("ids = %v, want %v", got, c.ids)
			}
		})
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k := key("k1", 0xAB)
	secret := base64.StdEncoding.EncodeToString(k.Key)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, secret) || strings.Contains(s, "171") {
			t.Errorf("formatted key shows its bytes: %s", s)
		}
	}
	if k.Line() != "k1:"+secret {
		t.Errorf("Line() = %q", k.Line())
	}
}

// logBuffer captures a logger's output.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

func noEnv(string) string { return "" }

func TestLoadCreatesKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "secret.keys")
	log, buf := logBuffer()
	kr, err := secrets.Load(secrets.Config{KeyFile: path, Logger: log, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(buf.String(), "created a new secret key file") || !strings.Contains(buf.String(), path) {
		t.Errorf("log does not say the file was created: %s", buf.String())
	}
	ct, id, err := kr.Encrypt([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The second start reads the same key and says nothing.
	log2, buf2 := logBuffer()
	again, err := secrets.Load(secrets.Config{KeyFile: path, Logger: log2, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := again.Decrypt(ct, id, nil); err != nil || string(plain) != "x" {
		t.Fatalf("reloaded keyring: %q, %v", plain, err)
	}
	if buf2.Len() != 0 {
		t.Errorf("second load logged: %s", buf2.String())
	}
	if again.Source() != path {
		t.Errorf("source = %q, want %q", again.Source(), path)
	}
}

func TestLoadEnvWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.keys")
	if err := os.WriteFile(path, []byte("file:"+b64(1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WEFT_SECRET_KEYS": "e2:" + b64(2) + ";e1:" + b64(3), "OTHER": "o:" + b64(4)}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name   string
		cfg    secrets.Config
		ids    string
		source string
	}{
		{"default variable", secrets.Config{KeyFile: path, Getenv: getenv}, "[e2 e1]", "$WEFT_SECRET_KEYS"},
		{"named variable", secrets.Config{KeyFile: path, KeyEnv: "OTHER", Getenv: getenv}, "[o]", "$OTHER"},
		{"unset variable", secrets.Config{KeyFile: path, KeyEnv: "UNSET", Getenv: getenv}, "[file]", path},
		{"variable without a file", secrets.Config{Getenv: getenv}, "[e2 e1]", "$WEFT_SECRET_KEYS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kr, err := secrets.Load(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(kr.IDs()) != c.ids || kr.Source() != c.source {
				t.Errorf("ids %v from %s, want %s from %s", kr.IDs(), kr.Source(), c.ids, c.source)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.keys")
	os.WriteFile(bad, []byte("k1:n*pe\n"), 0o600)
	cases := []struct {
		name string
		cfg  secrets.Config
		want string
	}{
		{"nothing configured", secrets.Config{Getenv: noEnv}, "no secret keys: $WEFT_SECRET_KEYS is unset and no key file is configured"},
		{"missing file, not created", secrets.Config{KeyFile: filepath.Join(dir, "none"), NoCreate: true, Getenv: noEnv},
			"no secret keys: $WEFT_SECRET_KEYS is unset and " + filepath.Join(dir, "none") + " does not exist"},
		{"bad file", secrets.Config{KeyFile: bad, Getenv: noEnv}, bad + `: key "k1": is not base64`},
		{"bad variable", secrets.Config{Getenv: func(string) string { return "x" }}, "$WEFT_SECRET_KEYS: entry 1 is not id:base64key"},
		{"file is a directory", secrets.Config{KeyFile: dir, Getenv: noEnv}, "read key file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := secrets.Load(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.HasPrefix(c.want, "no secret keys") != errors.Is(err, secrets.ErrNoKeys) {
				t.Errorf("errors.Is(%v, ErrNoKeys) = %v", err, errors.Is(err, secrets.ErrNoKeys))
			}
		})
	}
}

func TestLoadWarnsOpenPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.keys")
	os.WriteFile(path, []byte("k:"+b64(1)+"\n"), 0o644)
	log, buf := logBuffer()
	if _, err := secrets.Load(secrets.Config{KeyFile: path, Logger: log, Getenv: noEnv}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "readable by other users") || !strings.Contains(buf.String(), "-rw-r--r--") {
		t.Errorf("no warning about mode 0644: %q", buf.String())
	}
}

func TestAddKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.keys")
	if _, err := secrets.Load(secrets.Config{KeyFile: path, Getenv: noEnv, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	first, _ := secrets.Load(secrets.Config{KeyFile: path, Getenv: noEnv})
	id, err := secrets.AddKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := secrets.Load(secrets.Config{KeyFile: path, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint([]string{id, first.Current()}); fmt.Sprint(kr.IDs()) != want {
		t.Errorf("ids after AddKey = %v, want %s", kr.IDs(), want)
	}
	raw, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(raw), "# weft secret keys") {
		t.Errorf("the header comment moved:\n%s", raw)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after AddKey = %v", fi.Mode().Perm())
	}
	if _, err := secrets.AddKey(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("AddKey on a missing file succeeded")
	}
}
