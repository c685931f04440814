// Package secrets encrypts credentials at rest (connections, webhook signing secrets)
// with a keyring of XChaCha20-Poly1305 keys. The first key of the keyring is current:
// new ciphertexts use it, and every key still in the ring decrypts what it encrypted,
// so rotating is "add a new first key, re-encrypt everything, remove the old key".
//
// Each ciphertext is bound by its additional data (AAD) to the record it belongs to
// (ConnectionAAD, HookAAD): a ciphertext copied onto another row does not decrypt.
package secrets

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the length of a key in bytes (256 bits).
const KeySize = chacha20poly1305.KeySize

// Errors Decrypt returns (wrapped with the key id; test with errors.Is).
var (
	// ErrUnknownKey: the ciphertext names a key the keyring does not hold (it was
	// removed before everything was re-encrypted, or the wrong key file is loaded).
	ErrUnknownKey = errors.New("unknown key")
	// ErrDecrypt: authentication failed — the ciphertext was altered, belongs to another
	// record, or the key under that id is not the one that encrypted it.
	ErrDecrypt = errors.New("message authentication failed")
)

// Keyring holds the keys; the first is current. It is safe for concurrent use (it is
// never modified after it is built).
type Keyring struct {
	ids    []string
	aeads  map[string]cipher.AEAD
	source string
	random io.Reader
}

// Key is one named key.
type Key struct {
	ID  string
	Key []byte // KeySize bytes
}

// NewKeyring builds a keyring from keys, the first being current.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("secrets: a keyring needs at least one key")
	}
	kr := &Keyring{aeads: make(map[string]cipher.AEAD, len(keys)), random: rand.Reader}
	for i, k := range keys {
		if err := checkID(k.ID); err != nil {
			return nil, fmt.Errorf("secrets: key %d: %w", i+1, err)
		}
		if _, dup := kr.aeads[k.ID]; dup {
			return nil, fmt.Errorf("secrets: key %d: id %q appears twice", i+1, k.ID)
		}
		if len(k.Key) != KeySize {
			return nil, fmt.Errorf("secrets: key %q is %d bytes, want %d", k.ID, len(k.Key), KeySize)
		}
		aead, err := chacha20poly1305.NewX(k.Key)
		if err != nil {
			return nil, fmt.Errorf("secrets: key %q: %w", k.ID, err)
		}
		kr.ids = append(kr.ids, k.ID)
		kr.aeads[k.ID] = aead
	}
	return kr, nil
}

// checkID keeps ids printable and free of the separators of the key file format.
func checkID(id string) error {
	if id == "" {
		return errors.New("empty key id")
	}
	if len(id) > 64 {
		return fmt.Errorf("key id %.20q… is longer than 64 characters", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return fmt.Errorf("key id %q: only letters, digits, '-', '_' and '.' are allowed", id)
		}
	}
	return nil
}

// Current is the id of the key new ciphertexts use.
func (kr *Keyring) Current() string { return kr.ids[0] }

// IDs lists the key ids, current first.
func (kr *Keyring) IDs() []string { return append([]string(nil), kr.ids...) }

// Has reports whether the keyring holds the key id.
func (kr *Keyring) Has(id string) bool { _, ok := kr.aeads[id]; return ok }

// Source says where the keys came from (a file path or an environment variable), for
// messages.
func (kr *Keyring) Source() string { return kr.source }

// Encrypt seals plaintext with the current key, bound to aad. The ciphertext is a
// random 24-byte nonce followed by the sealed data; keyID names the key to store
// beside it.
func (kr *Keyring) Encrypt(plaintext, aad []byte) (ciphertext []byte, keyID string, err error) {
	id := kr.ids[0]
	aead := kr.aeads[id]
	// XChaCha20's 192-bit nonce makes random nonces safe for any number of messages.
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(kr.random, out); err != nil {
		return nil, "", fmt.Errorf("secrets: read a nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, aad), id, nil
}

// Decrypt opens a ciphertext made by Encrypt with the key keyID and the same aad.
func (kr *Keyring) Decrypt(ciphertext []byte, keyID string, aad []byte) ([]byte, error) {
	aead, ok := kr.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("secrets: key %q: %w (the keyring from %s holds %s)", keyID, ErrUnknownKey,
			kr.source, strings.Join(kr.ids, ", "))
	}
	if len(ciphertext) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("secrets: key %q: ciphertext of %d bytes is too short: %w", keyID, len(ciphertext), ErrDecrypt)
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, ciphertext[:n], ciphertext[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("secrets: key %q: %w (altered data, data of another record, or another key under this id)", keyID, ErrDecrypt)
	}
	return plain, nil
}

// ConnectionAAD binds a connection's ciphertext to its id.
func ConnectionAAD(id int64) []byte { return []byte("weft/connection/" + strconv.FormatInt(id, 10)) }

// HookAAD binds a webhook signing secret's ciphertext to the hook's scenario (not to
// its token: a new address for the scenario keeps its secret).
func HookAAD(scenarioID int64) []byte {
	return []byte("weft/hook/" + strconv.FormatInt(scenarioID, 10))
}

// GenerateKey makes a new key with a random id, read from random (crypto/rand when
// nil).
func GenerateKey(random io.Reader) (Key, error) {
	if random == nil {
		random = rand.Reader
	}
	buf := make([]byte, KeySize+4)
	if _, err := io.ReadFull(random, buf); err != nil {
		return Key{}, fmt.Errorf("secrets: generate a key: %w", err)
	}
	return Key{ID: fmt.Sprintf("k%x", buf[KeySize:]), Key: buf[:KeySize]}, nil
}

// Line formats a key as a key-file line: id:base64key.
func (k Key) Line() string { return k.ID + ":" + base64.StdEncoding.EncodeToString(k.Key) }

// String and GoString show the id only, so a key printed by mistake (%v, %#v, a log
// attribute) does not leak.
func (k Key) String() string { return k.ID + ":<redacted>" }
func (k Key) GoString() string {
	return "secrets.Key{ID: " + strconv.Quote(k.ID) + ", Key: <redacted>}"
}

// OAuthClientAAD binds an OAuth client secret's ciphertext to its provider.
func OAuthClientAAD(provider string) []byte { return []byte("weft/oauth-client/" + provider) }

// OAuthFlowAAD binds an authorization's sealed PKCE verifier to its state hash.
func OAuthFlowAAD(stateHash []byte) []byte {
	return []byte("weft/oauth-flow/" + base64.RawURLEncoding.EncodeToString(stateHash))
}
