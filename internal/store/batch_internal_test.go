package store

import (
	"regexp"
	"strings"
	"testing"
)

// TestIsHex: the hand-written check accepts exactly what the regexp it
// replaced accepted.
func TestIsHex(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{16,128}$`)
	cases := []string{"", "0123456789abcdef", "0123456789abcde", "0123456789ABCDEF", "0123456789abcdeg",
		strings.Repeat("a", 128), strings.Repeat("a", 129), "0123456789abcdef\n", " 0123456789abcdef", "0123456789abcdéf"}
	for _, c := range cases {
		if got, want := isHex(c), re.MatchString(c); got != want {
			t.Errorf("isHex(%q) = %v, want %v", c, got, want)
		}
	}
}

func FuzzIsHex(f *testing.F) {
	re := regexp.MustCompile(`^[0-9a-f]{16,128}$`)
	f.Add("0123456789abcdef")
	f.Fuzz(func(t *testing.T, s string) {
		if isHex(s) != re.MatchString(s) {
			t.Fatalf("isHex(%q) disagrees with the regexp", s)
		}
	})
}
