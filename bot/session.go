package bot

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/baraza/baraza/dialogs"
)

// session is what Redis holds between two steps of one respondent. No
// identity: the key is the pseudonym, the value the progress.
type session struct {
	Consultation string        `json:"c"`
	Nonce        string        `json:"n"`
	State        dialogs.State `json:"s"`
	// TrailFrom is the inbound message ref that opened the session, so
	// /stop can erase the conversation from there.
	TrailFrom string `json:"f,omitempty"`
	// LastRef is the inbound message ref of the last accepted answer
	// (erase_as_you_go erases from there).
	LastRef string `json:"r,omitempty"`
	// Invite is the participation marker of the invite code the session
	// began with (a keyed hash, never the code); completing burns it.
	Invite string `json:"i,omitempty"`
}

// The session's plaintext (before sealing and padding) is either
//
//   - sessionBinary followed by the fields below, written by this version:
//     every string as a uvarint length and its bytes, every integer as a
//     varint, in a fixed order; answers sorted by question id, so the same
//     session always encodes to the same bytes; or
//   - JSON (its first byte '{'), written by earlier versions: sessions
//     already in Redis when a replica is upgraded still load, and the next
//     step rewrites them in the binary form.
//
// Decoding JSON cost 14 % of the router's CPU and most of its allocations;
// the binary form reads its text without copying it.
//
// Layout after the version byte: consultation, nonce, trail-from,
// last-ref, invite (strings); the state's script (string), version
// (varint), language, phase (strings), question index (varint), sequence
// (uvarint); answers (uvarint count, then per answer: question id, flags
// (1 skipped), text, uvarint option count and options); pending options
// (count and strings); path (count and varints). Bytes after the last
// field are padding.
const sessionBinary = 0x01

var errSessionFormat = errors.New("bot: malformed session")

// encodeSession appends the binary form of s to dst.
func encodeSession(dst []byte, s *session) []byte {
	dst = append(dst, sessionBinary)
	for _, v := range [...]string{s.Consultation, s.Nonce, s.TrailFrom, s.LastRef, s.Invite, s.State.Script} {
		dst = appendString(dst, v)
	}
	st := &s.State
	dst = binary.AppendVarint(dst, int64(st.Version))
	dst = appendString(dst, st.Lang)
	dst = appendString(dst, string(st.Phase))
	dst = binary.AppendVarint(dst, int64(st.Q))
	dst = binary.AppendUvarint(dst, uint64(st.Seq))
	dst = binary.AppendUvarint(dst, uint64(len(st.Answers)))
	if len(st.Answers) > 0 {
		var buf [32]string
		ids := buf[:0]
		for id := range st.Answers {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			a := st.Answers[id]
			dst = appendString(dst, id)
			var flags byte
			if a.Skipped {
				flags |= 1
			}
			dst = append(dst, flags)
			dst = appendString(dst, a.Text)
			dst = binary.AppendUvarint(dst, uint64(len(a.Options)))
			for _, o := range a.Options {
				dst = appendString(dst, o)
			}
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(st.Pending)))
	for _, o := range st.Pending {
		dst = appendString(dst, o)
	}
	dst = binary.AppendUvarint(dst, uint64(len(st.Path)))
	for _, q := range st.Path {
		dst = binary.AppendVarint(dst, int64(q))
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decodeSession reads either form into s and returns the length of the
// encoding within plain (the rest is padding), so a caller can tell
// whether a step changed anything. The strings of s share plain's memory
// (no copy): plain must not be changed afterwards. The router's plain is
// the fresh output of Keys.Open, never written again.
func decodeSession(plain []byte, s *session) (int, error) {
	if len(plain) == 0 {
		return 0, errSessionFormat
	}
	if plain[0] != sessionBinary {
		// The JSON of earlier versions, padded with spaces.
		// Decoded into a session of its own and copied: handing s itself
		// to json (an interface) would make every caller's session a heap
		// allocation, the binary form's too.
		trimmed := strings.TrimRight(string(plain), " ")
		legacy := new(session)
		*legacy = *s
		if err := json.Unmarshal([]byte(trimmed), legacy); err != nil {
			*s = *legacy
			return 0, err
		}
		*s = *legacy
		return len(trimmed), nil
	}
	d := sessionDecoder{all: unsafe.String(&plain[0], len(plain)), i: 1}
	for _, p := range [...]*string{&s.Consultation, &s.Nonce, &s.TrailFrom, &s.LastRef, &s.Invite, &s.State.Script} {
		*p = d.string()
	}
	st := &s.State
	st.Version = int(d.varint())
	st.Lang = d.string()
	st.Phase = dialogs.Phase(d.string())
	st.Q = int(d.varint())
	st.Seq = uint32(d.uvarint())
	if n := d.count(); n > 0 {
		st.Answers = getAnswers(n)
		// The answers' options share one backing array (most answers hold
		// one or two), each answer's slice capped at its own length so an
		// append by the step machine copies instead of overwriting the
		// next answer's: one allocation instead of one per answer.
		var opts []string
		for range n {
			id := d.string()
			var a dialogs.Answer
			a.Skipped = d.byte()&1 != 0
			a.Text = d.string()
			if k := d.count(); k > 0 {
				if cap(opts)-len(opts) < k {
					opts = make([]string, 0, max(k, 2*n))
				}
				i := len(opts)
				for range k {
					opts = append(opts, d.string())
				}
				a.Options = opts[i : i+k : i+k]
			}
			st.Answers[id] = a
		}
	}
	if n := d.count(); n > 0 {
		st.Pending = make([]string, n)
		for j := range st.Pending {
			st.Pending[j] = d.string()
		}
	}
	if n := d.count(); n > 0 {
		st.Path = make([]int, n)
		for j := range st.Path {
			st.Path[j] = int(d.varint())
		}
	}
	if d.err != nil {
		return 0, d.err
	}
	return d.i, nil
}

// answerMaps holds the maps decoded sessions' answers are read into. The
// map was the largest allocation of a step (about a kilobyte: a table of
// question ids and answers), and a decoded session lives for one step
// only, so the router gives its map back (putAnswers) once the step is
// done with it.
var answerMaps sync.Pool

// getAnswers is an empty map with room for n answers and one more (the
// answer the step adds), from the pool when there is one.
func getAnswers(n int) dialogs.Answers {
	if m, ok := answerMaps.Get().(dialogs.Answers); ok {
		return m
	}
	return make(dialogs.Answers, n+1)
}

// putAnswers gives back a decoded session's answers map: the caller holds
// no reference to it, nor to anything that shares it, any more (the
// strings it held are the plaintext's, not the map's). An unusually
// large map is left to the collector.
func putAnswers(m dialogs.Answers) {
	if m == nil || len(m) > 256 {
		return
	}
	clear(m)
	answerMaps.Put(m)
}

// sessionDecoder reads the binary form. Its strings are substrings of all,
// no allocation for any of them. A malformed input sets err and
// reads zeros from then on; it never panics.
type sessionDecoder struct {
	all string
	i   int
	err error
}

func (d *sessionDecoder) fail() {
	if d.err == nil {
		d.err = errSessionFormat
	}
	d.i = len(d.all)
}

func (d *sessionDecoder) uvarint() uint64 {
	var v uint64
	var shift uint
	for {
		if d.i >= len(d.all) || shift > 63 {
			d.fail()
			return 0
		}
		b := d.all[d.i]
		d.i++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v
		}
		shift += 7
	}
}

func (d *sessionDecoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *sessionDecoder) byte() byte {
	if d.i >= len(d.all) {
		d.fail()
		return 0
	}
	d.i++
	return d.all[d.i-1]
}

func (d *sessionDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.all)-d.i) {
		d.fail()
		return ""
	}
	s := d.all[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

// count is a length that must fit in what is left (each element takes at
// least one byte), so a forged count cannot make a huge allocation.
func (d *sessionDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.all)-d.i) {
		d.fail()
		return 0
	}
	return int(n)
}
