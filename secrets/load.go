package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// DefaultKeyEnv is the environment variable Load reads keys from by default.
const DefaultKeyEnv = "WEFT_SECRET_KEYS"

// Config says where Load finds the keys.
type Config struct {
	// KeyFile is the key file: one id:base64key per line, the first current; blank
	// lines and lines starting with # are ignored. When the environment variable is
	// unset and the file does not exist, Load creates it (mode 0600) with a new key.
	// Usually <data dir>/secret.keys. Required unless the variable is set.
	KeyFile string
	// KeyEnv names the environment variable holding keys in the same format,
	// separated by ';' (or new lines). When set and non-empty it wins over the file.
	// Defaults to WEFT_SECRET_KEYS.
	KeyEnv string
	// Logger is told when a key file is created or is readable by others. Defaults to
	// slog.Default().
	Logger *slog.Logger
	// Random is the randomness for generated keys and nonces. Defaults to crypto/rand.
	Random io.Reader
	// Getenv reads the environment. Defaults to os.Getenv.
	Getenv func(string) string
	// NoCreate makes Load return ErrNoKeys instead of creating a missing key file
	// (commands that only read, and those that run scenarios without connections).
	NoCreate bool
}

// ErrNoKeys is returned by Load with NoCreate when neither the variable nor the file
// holds keys.
var ErrNoKeys = errors.New("no secret keys")

// Load builds the keyring Config describes: from the environment variable when it is
// set, else from the key file, which is created with a fresh key on first start.
func Load(cfg Config) (*Keyring, error) {
	if cfg.KeyEnv == "" {
		cfg.KeyEnv = DefaultKeyEnv
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if env := cfg.Getenv(cfg.KeyEnv); strings.TrimSpace(env) != "" {
		kr, err := parse(env, "$"+cfg.KeyEnv)
		if err != nil {
			return nil, err
		}
		return kr.withRandom(cfg.Random), nil
	}
	if cfg.KeyFile == "" {
		return nil, fmt.Errorf("secrets: %w: $%s is unset and no key file is configured", ErrNoKeys, cfg.KeyEnv)
	}
	raw, err := os.ReadFile(cfg.KeyFile)
	if errors.Is(err, fs.ErrNotExist) && cfg.NoCreate {
		return nil, fmt.Errorf("secrets: %w: $%s is unset and %s does not exist", ErrNoKeys, cfg.KeyEnv, cfg.KeyFile)
	}
	if errors.Is(err, fs.ErrNotExist) {
		key, err := createKeyFile(cfg.KeyFile, cfg.Random)
		if err != nil {
			return nil, err
		}
		cfg.Logger.Warn("created a new secret key file; back it up: without it stored connections cannot be decrypted",
			"file", cfg.KeyFile, "key", key.ID)
		raw = []byte(key.Line() + "\n")
	} else if err != nil {
		return nil, fmt.Errorf("secrets: read key file: %w", err)
	} else if fi, err := os.Stat(cfg.KeyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
		cfg.Logger.Warn("the secret key file is readable by other users; chmod 600 it",
			"file", cfg.KeyFile, "mode", fi.Mode().Perm().String())
	}
	kr, err := parse(string(raw), cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	return kr.withRandom(cfg.Random), nil
}

func (kr *Keyring) withRandom(r io.Reader) *Keyring {
	if r != nil {
		kr.random = r
	}
	return kr
}

// Parse reads keys in the key file format (lines or ';'-separated entries of
// id:base64key, the first current). source names where they came from in messages.
func Parse(text, source string) (*Keyring, error) { return parse(text, source) }

func parse(text, source string) (*Keyring, error) {
	var keys []Key
	var entries []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue // a comment may hold ';' of its own
		}
		for _, e := range strings.Split(line, ";") {
			if e = strings.TrimSpace(e); e != "" {
				entries = append(entries, e)
			}
		}
	}
	for i, e := range entries {
		id, b64, ok := strings.Cut(e, ":")
		if !ok {
			return nil, fmt.Errorf("secrets: %s: entry %d is not id:base64key", source, i+1)
		}
		key, err := decodeKey(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("secrets: %s: key %q: %w", source, strings.TrimSpace(id), err)
		}
		keys = append(keys, Key{ID: strings.TrimSpace(id), Key: key})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("secrets: %s holds no key", source)
	}
	kr, err := NewKeyring(keys...)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, source)
	}
	kr.source = source
	return kr, nil
}

// decodeKey accepts standard or URL-safe base64, padded or not (keys pasted from
// other tools), and insists on KeySize bytes.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes, want %d (generate one with: head -c 32 /dev/urandom | base64)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("is not base64")
}

// createKeyFile writes a new key file with one fresh key. O_EXCL: two processes
// starting at once never overwrite each other's key.
func createKeyFile(path string, random io.Reader) (Key, error) {
	key, err := GenerateKey(random)
	if err != nil {
		return Key{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Key{}, fmt.Errorf("secrets: create key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Key{}, fmt.Errorf("secrets: create key file: %w", err)
	}
	if err := writeSynced(f, []byte("# weft secret keys: id:base64key, the first is current. Back this file up.\n"+key.Line()+"\n")); err != nil {
		os.Remove(path)
		return Key{}, fmt.Errorf("secrets: write key file %s: %w", path, err)
	}
	return key, nil
}

func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// AddKey generates a new key and makes it the current one of the key file at path
// (it goes first; the old keys stay so existing ciphertexts still decrypt). The file
// is replaced atomically. It returns the new key's id.
func AddKey(path string, random io.Reader) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("secrets: add a key: %w", err)
	}
	old, err := parse(string(raw), path)
	if err != nil {
		return "", err
	}
	key, err := GenerateKey(random)
	if err != nil {
		return "", err
	}
	for old.Has(key.ID) { // 32 random bits: a clash is rare but must not break the file
		if key, err = GenerateKey(random); err != nil {
			return "", err
		}
	}
	var buf bytes.Buffer
	header, rest := splitHeader(raw)
	buf.Write(header)
	buf.WriteString(key.Line() + "\n")
	buf.Write(rest)
	if _, err := parse(buf.String(), path); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret.keys.*")
	if err != nil {
		return "", fmt.Errorf("secrets: add a key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("secrets: add a key: %w", err)
	}
	if err := writeSynced(tmp, buf.Bytes()); err != nil {
		return "", fmt.Errorf("secrets: add a key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("secrets: add a key: %w", err)
	}
	return key.ID, nil
}

// splitHeader separates the leading comment and blank lines of a key file from its
// keys, so a new first key goes after the comments.
func splitHeader(raw []byte) (header, rest []byte) {
	i := 0
	for i < len(raw) {
		end := bytes.IndexByte(raw[i:], '\n')
		if end < 0 {
			end = len(raw) - i
		} else {
			end++
		}
		line := bytes.TrimSpace(raw[i : i+end])
		if len(line) != 0 && line[0] != '#' {
			break
		}
		i += end
	}
	rest = raw[i:]
	if len(rest) > 0 && rest[len(rest)-1] != '\n' {
		rest = append(append([]byte(nil), rest...), '\n')
	}
	return raw[:i], rest
}
