package privacy

import (
	"bytes"
	"errors"
	"testing"
)

func TestSeal(t *testing.T) {
	k := NewKeys([]byte("a secret of at least thirty-two bytes"))
	plain := []byte(`{"c":"community-safety","a":{"story":{"t":"call me +254 712 345 678"}}}`)
	sealed := k.Seal("owner-a", plain)
	if bytes.Contains(sealed, []byte("community-safety")) || bytes.Contains(sealed, []byte("712")) {
		t.Fatalf("sealed value shows its content")
	}
	if again := k.Seal("owner-a", plain); bytes.Equal(again, sealed) {
		t.Errorf("two seals of the same value are equal; the nonce must differ")
	}
	got, err := k.Open("owner-a", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: got %q, %v", got, err)
	}
	tests := []struct {
		name   string
		keys   *Keys
		owner  string
		sealed []byte
	}{
		{"another owner", k, "owner-b", sealed},
		{"another secret", NewKeys([]byte("another secret of thirty-two bytes!!")), "owner-a", sealed},
		{"tampered", k, "owner-a", append(append([]byte(nil), sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1)},
		{"too short", k, "owner-a", sealed[:10]},
		{"empty", k, "owner-a", nil},
		{"plain JSON", k, "owner-a", plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.keys.Open(tt.owner, tt.sealed); !errors.Is(err, ErrUnsealable) {
				t.Errorf("got %v, want ErrUnsealable", err)
			}
		})
	}
}
