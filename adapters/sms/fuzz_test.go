package sms

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/baraza/baraza/bot"
)

// FuzzParseKannel feeds Kannel post-url requests of any shape: nothing may
// panic, and what parses has a valid number, id and UTF-8 text.
func FuzzParseKannel(f *testing.F) {
	f.Add([]byte("JOIN SAFETY"), "+254700000001", "f308b6b3-018e-47e2-8b5d-0fa1f0efdd90", `text/plain; charset="UTF-8"`, "0")
	f.Add([]byte{0x06, 0x2a, 0x06, 0x48, 0x06, 0x42, 0x06, 0x41}, "254700000002", "abb8efe6", `text/plain; charset="UTF-16BE"`, "2")
	f.Add([]byte("caf\xe9"), "5555", "x", "text/plain; charset=ISO-8859-1", "0")
	f.Add([]byte{0xff, 0xfe, 0x00}, "+", "", "text/plain; charset=", "2")
	f.Add([]byte("1"), "+254 700", "id with space", "bogus/;;", "")
	f.Fuzz(func(t *testing.T, body []byte, from, id, ctype, coding string) {
		r := httptest.NewRequest("POST", "/sms/kannel/inbound?id="+url.QueryEscape(id), bytes.NewReader(body))
		r.Header.Set("X-Kannel-From", from)
		r.Header.Set("Content-Type", ctype)
		r.Header.Set("X-Kannel-Coding", coding)
		in, err := ParseKannel(r)
		if err != nil {
			return
		}
		if !validNumber(in.From) || !validID(in.ID) || !utf8.ValidString(in.Text) {
			t.Fatalf("accepted %+v", in)
		}
		_ = ParseText(in.Text)
	})
}

// FuzzParseText: any text is either a keyword or passed on unchanged.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{"STOP", "JOIN SAFETY K7P2Q", "توقف", "1 3", "arrêt", "join ab12 cd34 ef56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := ParseText(s)
		if p.Kind == 0 || p.Kind != bot.KindText && p.Text != "" {
			t.Fatalf("ParseText(%q) = %+v", s, p)
		}
		if p.Code != "" && !isCode(p.Code) {
			t.Fatalf("ParseText(%q): code %q does not look like one", s, p.Code)
		}
	})
}
