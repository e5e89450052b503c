package invite

import "testing"

func TestNewIsNormal(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := New()
		n, ok := Normalize(c)
		if !ok || n != c {
			t.Fatalf("Normalize(New()=%q) = %q, %v", c, n, ok)
		}
		if f, ok := Normalize(Format(c)); !ok || f != c {
			t.Fatalf("Format(%q) does not read back: %q", c, f)
		}
		if seen[c] {
			t.Fatalf("code %q made twice in 2000", c)
		}
		seen[c] = true
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"K7QM4-XPD9R", "K7QM4XPD9R", true},
		{" k7qm4 xpd9r ", "K7QM4XPD9R", true},
		{"k7qm4_xpd9r", "K7QM4XPD9R", true},
		{"K7QM4XPD9", "", false},    // short
		{"K7QM4XPD9RR", "", false},  // long
		{"K0QM4XPD9R", "", false},   // 0 is not in the alphabet
		{"KOQM4XPD9R", "", false},   // nor O
		{"night-safety", "", false}, // a consultation id
		{"K7QM4XPD9Ŕ", "", false},   // not ASCII
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Normalize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("K7QM4-XPD9R")
	f.Add("night-safety")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := Normalize(s)
		if !ok {
			return
		}
		if again, ok2 := Normalize(c); !ok2 || again != c || len(c) != Length {
			t.Fatalf("Normalize(%q) = %q is not a fixed point", s, c)
		}
	})
}
