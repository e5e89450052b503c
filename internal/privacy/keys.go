// Package privacy holds Baraza's three privacy mechanisms: keyed
// pseudonyms (Keys), the free-text scrubber (Scrub) and THE one small-cell
// suppression function (Suppress, and Count built on it). Every count that
// leaves the program goes through Suppress; see its doc comment for the
// exact guarantee.
package privacy

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// SecretSize is the size of a secret made by RandomSecret, and the minimum
// size the configuration accepts for BARAZA_SECRET.
const SecretSize = 32

// Keys derives the pseudonyms Baraza stores instead of platform identities.
//
// The secret lives only in the process (from BARAZA_SECRET, or RandomSecret
// in embedded mode) and never goes to Redis, to a log or to an export.
// Platform user ids are short and guessable (Telegram ids are about ten
// digits), so a pseudonym is only as strong as the secrecy of its key: with
// the secret and a Redis dump anyone could hash every possible id and undo
// the pseudonyms. Keeping the key out of the store means a leaked dump on
// its own identifies no one.
//
// A Keys is safe for concurrent use.
type Keys struct {
	secret []byte

	sealOnce sync.Once
	seal     cipher.AEAD // built once: every step seals and opens a session

	// macs holds HMAC-SHA256 states keyed with secret (*pooledMAC),
	// reset between uses: every event hashes the respondent and the event
	// id, and a fresh hmac.New costs two SHA-256 states and the key
	// schedule.
	macs sync.Pool
}

// pooledMAC is an HMAC state with the buffers one use needs, so hashing
// an event allocates nothing (each part written on its own, and the sum,
// were an allocation each: 8 % of a step's allocations).
type pooledMAC struct {
	h   hash.Hash
	in  []byte
	out []byte
}

// NewKeys returns Keys for secret. The slice is copied. Callers check the
// length (SecretSize) when reading configuration; NewKeys accepts any
// secret so tests can use short ones.
func NewKeys(secret []byte) *Keys {
	return &Keys{secret: append([]byte(nil), secret...)}
}

// RandomSecret returns SecretSize bytes from crypto/rand, for embedded mode
// where pseudonyms need only live as long as the process.
func RandomSecret() []byte {
	b := make([]byte, SecretSize)
	// crypto/rand.Read never returns an error on supported platforms; it
	// crashes the program irrecoverably instead.
	_, _ = rand.Read(b)
	return b
}

// sum is mac(k.secret, parts...) with a pooled HMAC state.
func (k *Keys) sum(parts ...string) [sha256.Size]byte {
	m, _ := k.macs.Get().(*pooledMAC)
	if m == nil {
		m = &pooledMAC{h: hmac.New(sha256.New, k.secret), in: make([]byte, 0, 256), out: make([]byte, 0, sha256.Size)}
	}
	in := m.in[:0]
	for _, p := range parts {
		in = append(in, p...)
	}
	m.h.Write(in)
	var out [sha256.Size]byte
	copy(out[:], m.h.Sum(m.out[:0]))
	m.h.Reset()
	clear(in) // no platform id stays in the pool's memory
	if cap(in) <= 4096 {
		m.in = in[:0]
	}
	k.macs.Put(m)
	return out
}

// hexString is lower-case hex of b with one allocation.
func hexString(b []byte) string {
	var buf [2 * sha256.Size]byte
	n := hex.Encode(buf[:], b)
	return string(buf[:n])
}

func mac(key []byte, parts ...string) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// Respondent is the respondent's pseudonym for sessions: lowercase hex
// HMAC-SHA256(secret, platform ":" user). It is the same in every
// consultation, so it must only key short-lived state (a session), never
// anything kept after completion.
func (k *Keys) Respondent(platform, user string) string {
	s := k.sum(platform, ":", user)
	return hexString(s[:])
}

// Participation is the marker kept after completion for "already answered"
// checks. It is keyed by a sub-key per consultation,
// HMAC(secret, "participation\x00" consultation), so the markers of two
// consultations cannot be joined with each other or with Respondent.
func (k *Keys) Participation(consultation, platform, user string) string {
	sub := mac(k.secret, "participation\x00", consultation)
	return hex.EncodeToString(mac(sub, platform, ":", user))
}

// Event is a short keyed hash (16 hex characters, 64 bits) of a platform
// update or interaction id, for de-duplicating re-delivered updates
// without storing the platform's ids.
func (k *Keys) Event(platform, id string) string {
	s := k.sum("event\x00", platform, ":", id)
	return hexString(s[:8])
}

// CounterKey is the key internal/store seals counter field names with
// (store.Options.CounterKey), derived from the secret for that one use.
func (k *Keys) CounterKey() []byte {
	return mac(k.secret, "counter-fields\x00")
}
