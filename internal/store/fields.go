package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
)

// Counter field names are sealed when Options.CounterKey is set: a field
// such as "x|area|north|safe|2" becomes "!" + base64url(nonce || AES-GCM
// of the name padded to a multiple of 32 bytes), with the nonce an HMAC of
// the name, so one name always seals to the same field (HINCRBY still
// adds up) and only a holder of the secret can tell which cell a count
// belongs to. A Redis dump then shows how many cells there are and the
// multiset of their counts, not which answer, segment or cross-tab cell
// any count is, nor the lengths of the names. Fields without the "!"
// (written before sealing was on) are read as they are.

const sealedMark = "!"

type fieldSealer struct {
	aead  cipher.AEAD
	mac   []byte
	seal  sync.Map // name -> sealed
	open  sync.Map // sealed -> name
	ready bool
}

func newFieldSealer(key []byte) *fieldSealer {
	if len(key) == 0 {
		return &fieldSealer{}
	}
	k := sha256.Sum256(key)
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid for AES-256
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &fieldSealer{aead: aead, mac: key, ready: true}
}

func (s *Store) sealField(name string) string {
	fs := s.fields
	if !fs.ready {
		return name
	}
	if v, ok := fs.seal.Load(name); ok {
		return v.(string)
	}
	h := hmac.New(sha256.New, fs.mac)
	h.Write([]byte(name))
	nonce := h.Sum(nil)[:fs.aead.NonceSize()]
	padded := make([]byte, (len(name)/32+1)*32)
	copy(padded, name)
	out := fs.aead.Seal(append([]byte(nil), nonce...), nonce, padded, nil)
	sealed := sealedMark + base64.RawURLEncoding.EncodeToString(out)
	fs.seal.Store(name, sealed)
	fs.open.Store(sealed, name)
	return sealed
}

func (s *Store) openField(f string) (string, error) {
	if !strings.HasPrefix(f, sealedMark) {
		return f, nil
	}
	fs := s.fields
	if !fs.ready {
		return "", fmt.Errorf("field %q is sealed and no counter key is set", clip(f))
	}
	if v, ok := fs.open.Load(f); ok {
		return v.(string), nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(f[len(sealedMark):])
	n := fs.aead.NonceSize()
	if err != nil || len(raw) < n+fs.aead.Overhead() {
		return "", fmt.Errorf("field %q is not a sealed name", clip(f))
	}
	plain, err := fs.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", fmt.Errorf("field %q does not open with this secret", clip(f))
	}
	name := strings.TrimRight(string(plain), "\x00")
	fs.open.Store(f, name)
	return name, nil
}
