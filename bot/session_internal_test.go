package bot

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
)

func sessionCases() map[string]session {
	return map[string]session{
		"fresh": {Consultation: "community-safety", Nonce: "0123456789abcdef01234567",
			State: dialogs.State{Script: "community-safety", Version: 3, Phase: dialogs.PhaseLanguage}},
		"half way": {Consultation: "c", Nonce: "n", TrailFrom: "m:12", LastRef: "m:19", Invite: "abcdef0123456789",
			State: dialogs.State{Script: "c", Version: 1, Lang: "fr", Phase: dialogs.PhaseQuestion, Q: 4, Seq: 70000,
				Answers: dialogs.Answers{
					"q1": {Options: []string{"yes"}},
					"q2": {Options: []string{"a", "c", "d"}},
					"q3": {Text: "un texte, avec des espaces à la fin  "},
					"q4": {Skipped: true},
					"n":  {Text: "-12.5"},
				},
				Pending: []string{"x", "z"},
				Path:    []int{0, 1, 2, 3, 4}}},
		"unicode and empty strings": {Nonce: "ñ", State: dialogs.State{Lang: "ar", Phase: dialogs.PhaseConsent, Q: -1,
			Answers: dialogs.Answers{"": {Text: "سلام"}}}},
		// A version or position of 32 encodes as a space byte, the padding's
		// byte: the decoder must not mistake it for padding.
		"space-valued integers": {Consultation: " ", State: dialogs.State{Version: 16, Q: 32, Seq: 32, Path: []int{16}}},
	}
}

// TestSessionEncoding: the binary form reads back exactly, padding and
// all, and a map's iteration order does not change the bytes.
func TestSessionEncoding(t *testing.T) {
	for name, s := range sessionCases() {
		t.Run(name, func(t *testing.T) {
			enc := encodeSession(nil, &s)
			if enc[0] != sessionBinary {
				t.Fatalf("first byte %#x, want the version byte", enc[0])
			}
			for range 5 {
				if again := encodeSession(nil, &s); string(again) != string(enc) {
					t.Fatal("two encodings of one session differ")
				}
			}
			padLen := len(enc)
			var got session
			n, err := decodeSession(padded(append([]byte(nil), enc...)), &got)
			if err != nil {
				t.Fatal(err)
			}
			if n != padLen {
				t.Errorf("decoded length %d, want %d (the padding is not the session)", n, padLen)
			}
			if !reflect.DeepEqual(got, s) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
			}
		})
	}
}

// TestSessionLegacyJSON: a session written by an earlier version (JSON,
// padded with spaces) still loads, identical to what it held.
func TestSessionLegacyJSON(t *testing.T) {
	for name, s := range sessionCases() {
		t.Run(name, func(t *testing.T) {
			js, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var got session
			n, err := decodeSession(padded(js), &got)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(js) {
				t.Errorf("decoded length %d, want %d", n, len(js))
			}
			// JSON drops what omitempty leaves out; compare through JSON.
			var want session
			if err := json.Unmarshal(js, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("legacy JSON:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	// What an earlier version wrote, byte for byte.
	old := `{"c":"community-safety","n":"9f1c","s":{"sc":"community-safety","v":2,"l":"en","p":"question","q":2,"a":{"q1":{"o":["yes"]},"q2":{"t":"hello"}},"pa":[0,1,2],"n":7},"f":"m:1","r":"m:5"}` + strings.Repeat(" ", 40)
	var got session
	if _, err := decodeSession([]byte(old), &got); err != nil {
		t.Fatal(err)
	}
	want := session{Consultation: "community-safety", Nonce: "9f1c", TrailFrom: "m:1", LastRef: "m:5",
		State: dialogs.State{Script: "community-safety", Version: 2, Lang: "en", Phase: dialogs.PhaseQuestion, Q: 2, Seq: 7,
			Answers: dialogs.Answers{"q1": {Options: []string{"yes"}}, "q2": {Text: "hello"}}, Path: []int{0, 1, 2}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored JSON:\n got %+v\nwant %+v", got, want)
	}
}

// TestSessionMalformed: every truncation of a valid encoding, and a few
// forged ones, fail cleanly.
func TestSessionMalformed(t *testing.T) {
	s := sessionCases()["half way"]
	enc := encodeSession(nil, &s)
	for i := 1; i < len(enc); i++ {
		var got session
		if _, err := decodeSession(enc[:i], &got); err == nil {
			t.Errorf("truncated at %d of %d: no error", i, len(enc))
		}
	}
	for name, in := range map[string][]byte{
		"empty":           {},
		"huge count":      {sessionBinary, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"varint too long": append([]byte{sessionBinary}, []byte(strings.Repeat("\xff", 11))...),
		"not json":        []byte("nonsense"),
	} {
		var got session
		if _, err := decodeSession(in, &got); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecodeSession(f *testing.F) {
	for _, s := range sessionCases() {
		f.Add(encodeSession(nil, &s))
		js, _ := json.Marshal(s)
		f.Add(js)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var s session
		n, err := decodeSession(in, &s)
		if err != nil {
			return
		}
		if n > len(in) {
			t.Fatalf("length %d beyond input %d", n, len(in))
		}
		if len(in) > 0 && in[0] == sessionBinary {
			// What decodes re-encodes to the same bytes, unless the input
			// had an answer id twice (the map keeps one).
			again := encodeSession(nil, &s)
			var s2 session
			if _, err := decodeSession(again, &s2); err != nil || !reflect.DeepEqual(s, s2) {
				t.Fatalf("re-encoding does not read back: %v", err)
			}
		}
	})
}

func BenchmarkSessionDecode(b *testing.B) {
	s := sessionCases()["half way"]
	enc := padded(encodeSession(nil, &s))
	js, _ := json.Marshal(s)
	js = padded(js)
	b.Run("binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got session
			if _, err := decodeSession(enc, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got session
			if _, err := decodeSession(js, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// stepKey builds its name on the stack; it must name the same step as the
// plain concatenation it replaced, for any pseudonym length and version.
func TestStepKeyName(t *testing.T) {
	r := &Router{cfg: RouterConfig{Keys: privacy.NewKeys([]byte("0123456789abcdef0123456789abcdef"))}}
	for _, pid := range []string{"", "ab", strings.Repeat("f", 64), strings.Repeat("e", 200)} {
		for _, v := range []int64{0, 1, -7, 1<<62 + 12345} {
			want := r.cfg.Keys.Event("step", pid+":"+strconv.FormatInt(v, 10))
			if got := r.stepKey(pid, v); got != want {
				t.Errorf("stepKey(%q, %d) = %q, want %q", pid, v, got, want)
			}
		}
	}
	if r.stepKey("ab", 1) == r.stepKey("ab", 2) {
		t.Error("two versions share a step key")
	}
}
