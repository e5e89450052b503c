// Package invite makes and reads one-time invite codes.
//
// A code is 10 characters from an alphabet without the characters people
// mistake for one another on a printed card or a phone screen (no 0/O,
// 1/I/L, U/V), about 49 random bits: printed as "K7QM4-XPD9R", typed in
// any case, with or without the dash or spaces. The code is never stored:
// the store keeps a keyed hash of it (privacy.Keys.InviteCode) and, once a
// completion burnt it, an unrelated keyed marker (privacy.Keys.InviteMarker).
package invite

import (
	"crypto/rand"
	"strings"
)

// Alphabet is what codes are made of: digits 2-9 and capitals without
// I, L, O, U and V.
const Alphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"

// Length is the number of characters in a code.
const Length = 10

// MaxBatch is the most codes one request makes.
const MaxBatch = 5000

// New returns a fresh random code in its normal form (no dash).
func New() string {
	var b [Length]byte
	n := byte(len(Alphabet))
	limit := 256 - 256%int(n) // reject bytes that would bias the choice
	var buf [1]byte
	for i := 0; i < Length; {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go 1.24+)
		if int(buf[0]) >= limit {
			continue
		}
		b[i] = Alphabet[buf[0]%n]
		i++
	}
	return string(b[:])
}

// Normalize reads what a person typed or a deep link carried: case,
// spaces and dashes do not matter. ok is false for anything that is not
// a code's shape.
func Normalize(s string) (code string, ok bool) {
	if len(s) > 4*Length {
		return "", false
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '_':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if r > 127 || !strings.ContainsRune(Alphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != Length {
		return "", false
	}
	return b.String(), true
}

// Format prints a normal code for people: "K7QM4-XPD9R".
func Format(code string) string {
	if len(code) != Length {
		return code
	}
	return code[:Length/2] + "-" + code[Length/2:]
}
