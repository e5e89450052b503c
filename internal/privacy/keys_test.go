package privacy

import (
	"bytes"
	"regexp"
	"sync"
	"testing"
)

var testSecret = []byte("test-secret-0123456789abcdef0123")

// Expected values computed independently with Python's hmac module.
func TestKeysVectors(t *testing.T) {
	k := NewKeys(testSecret)
	tests := []struct {
		name, got, want string
	}{
		{"respondent", k.Respondent("telegram", "12345"), "7081b8db46eadb47a82f092e207a30132a93c761bf03c14a7f7524178cd93fd2"},
		{"participation", k.Participation("night-safety", "telegram", "12345"), "d94f3a631887ef3482d0b9f70c7c2e707ab9469cbf21457031e006380a18bf38"},
		{"event", k.Event("telegram", "987"), "34802e6c93c1efb6"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestKeysSeparation(t *testing.T) {
	k := NewKeys(testSecret)
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	r := k.Respondent("telegram", "1")
	p1 := k.Participation("a", "telegram", "1")
	p2 := k.Participation("b", "telegram", "1")
	for _, v := range []string{r, p1, p2} {
		if !hex64.MatchString(v) {
			t.Errorf("got %q, want 64 lowercase hex digits", v)
		}
	}
	if p1 == p2 || p1 == r || p2 == r {
		t.Errorf("got respondent %s, participation a %s, b %s; want all different", r, p1, p2)
	}
	if got, want := k.Participation("a", "telegram", "1"), p1; got != want {
		t.Errorf("participation not stable: got %s, want %s", got, want)
	}
	if k.Respondent("telegram", "1") == k.Respondent("discord", "1") {
		t.Error("same user id on two platforms got the same pseudonym")
	}
	other := NewKeys([]byte("another-secret-0123456789abcdef0"))
	if other.Respondent("telegram", "1") == r {
		t.Error("two secrets gave the same pseudonym")
	}
	if e := k.Event("telegram", "1"); len(e) != 16 {
		t.Errorf("event key %q: got length %d, want 16", e, len(e))
	}
}

func TestNewKeysCopiesSecret(t *testing.T) {
	s := bytes.Clone(testSecret)
	k := NewKeys(s)
	before := k.Respondent("telegram", "1")
	s[0] ^= 0xff
	if got := k.Respondent("telegram", "1"); got != before {
		t.Errorf("changing the caller's slice changed the pseudonym: got %s, want %s", got, before)
	}
}

func TestRandomSecret(t *testing.T) {
	a, b := RandomSecret(), RandomSecret()
	if len(a) != SecretSize {
		t.Errorf("got %d bytes, want %d", len(a), SecretSize)
	}
	if bytes.Equal(a, b) {
		t.Error("two random secrets are equal")
	}
}

// The HMAC states are pooled and reset between uses: values stay the same
// however calls interleave across goroutines.
func TestKeysPooledStates(t *testing.T) {
	k := NewKeys(testSecret)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if got := k.Respondent("telegram", "12345"); got != "7081b8db46eadb47a82f092e207a30132a93c761bf03c14a7f7524178cd93fd2" {
					t.Errorf("respondent after reuse: %s", got)
					return
				}
				if got := k.Event("telegram", "987"); got != "34802e6c93c1efb6" {
					t.Errorf("event after reuse: %s", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestKeysLongInput: a part longer than the pooled buffer hashes right,
// and the pool keeps working after it.
func TestKeysLongInput(t *testing.T) {
	k := NewKeys(testSecret)
	long := string(bytes.Repeat([]byte("x"), 10000))
	want := hexString(mac(testSecret, "event\x00", "web", ":", long)[:8])
	for range 3 {
		if got := k.Event("web", long); got != want {
			t.Fatalf("long id: got %s, want %s", got, want)
		}
		if got := k.Event("telegram", "987"); got != "34802e6c93c1efb6" {
			t.Fatalf("after a long id: got %s", got)
		}
	}
}

// TestKeysAllocs: hashing an event costs the result string only.
func TestKeysAllocs(t *testing.T) {
	if raceOn {
		t.Skip("sync.Pool drops entries under the race detector")
	}
	k := NewKeys(testSecret)
	k.Event("telegram", "1") // fill the pool
	if n := testing.AllocsPerRun(100, func() { k.Event("telegram", "987") }); n > 1 {
		t.Errorf("Event: %.0f allocations, want at most 1", n)
	}
}
