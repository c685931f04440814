package secrets_test

import (
	"testing"

	"github.com/weftworks/weft/secrets"
)

// BenchmarkEncrypt and BenchmarkDecrypt seal and open a typical connection (256 bytes
// of JSON credentials).
func BenchmarkEncrypt(b *testing.B) {
	kr, _ := secrets.NewKeyring(key("a", 1))
	plain := make([]byte, 256)
	aad := secrets.ConnectionAAD(42)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, _, err := kr.Encrypt(plain, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	kr, _ := secrets.NewKeyring(key("a", 1))
	aad := secrets.ConnectionAAD(42)
	ct, id, _ := kr.Encrypt(make([]byte, 256), aad)
	b.SetBytes(256)
	for b.Loop() {
		if _, err := kr.Decrypt(ct, id, aad); err != nil {
			b.Fatal(err)
		}
	}
}
