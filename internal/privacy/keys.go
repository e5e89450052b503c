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

	// macs holds HMAC-SHA256 states keyed with secret, reset between
	// uses: every event hashes the respondent and the event id, and a
	// fresh hmac.New costs two SHA-256 states and the key schedule.
	macs sync.Pool
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
func (k *Keys) sum(parts ...string) []byte {
	h, _ := k.macs.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, k.secret)
	}
	for _, p := range parts {
		h.Write([]byte(p))
	}
	out := h.Sum(make([]byte, 0, sha256.Size))
	h.Reset()
	k.macs.Put(h)
	return out
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
	return hex.EncodeToString(k.sum(platform, ":", user))
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
	return hex.EncodeToString(k.sum("event\x00", platform, ":", id)[:8])
}

// CounterKey is the key internal/store seals counter field names with
// (store.Options.CounterKey), derived from the secret for that one use.
func (k *Keys) CounterKey() []byte {
	return mac(k.secret, "counter-fields\x00")
}
