package privacy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"unsafe"
)

// ErrUnsealable means a sealed value was not made with these keys for this
// owner (a changed secret, a value moved to another key, tampering).
var ErrUnsealable = errors.New("privacy: cannot open sealed value")

// Seal encrypts an in-progress session with AES-256-GCM under a key
// derived from the secret, bound to owner (the respondent's pseudonym), so
// a Redis dump — or an append-only file that keeps every write for a
// while — shows no one's answers, and a value copied to another
// respondent's key does not open. The result is nonce || ciphertext.
func (k *Keys) Seal(owner string, plaintext []byte) []byte {
	aead := k.aead()
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported platforms
	return aead.Seal(nonce, nonce, plaintext, bytesOf(owner))
}

// Open reverses Seal.
func (k *Keys) Open(owner string, sealed []byte) ([]byte, error) {
	aead := k.aead()
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrUnsealable
	}
	n := aead.NonceSize()
	out, err := aead.Open(nil, sealed[:n], sealed[n:], bytesOf(owner))
	if err != nil {
		return nil, ErrUnsealable
	}
	return out, nil
}

// bytesOf is owner's bytes without a copy, for the additional data GCM
// only reads: []byte(owner) handed to the AEAD interface was a heap copy,
// two a step (Open, then Seal).
func bytesOf(owner string) []byte {
	return unsafe.Slice(unsafe.StringData(owner), len(owner))
}

func (k *Keys) aead() cipher.AEAD {
	k.sealOnce.Do(func() { k.seal = k.newAEAD() })
	return k.seal
}

// newAEAD derives the sealing key; AES-GCM keeps no state between calls,
// so one value serves every goroutine.
func (k *Keys) newAEAD() cipher.AEAD {
	block, err := aes.NewCipher(mac(k.secret, "session-seal\x00"))
	if err != nil {
		panic(err) // a 32-byte key is always valid for AES-256
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err) // GCM over AES never fails
	}
	return aead
}
