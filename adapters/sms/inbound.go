package sms

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxBody bounds an inbound request body: a concatenated SMS of ten parts
// is at most 1,530 characters.
const MaxBody = 8 << 10

// Inbound is one message from a phone, as Kannel hands it over. From is the
// phone number: it lives in memory for one request and is never stored or
// logged.
type Inbound struct {
	// ID is Kannel's message id (%I), the same on every retry of one
	// message; empty when the service does not pass it.
	ID   string
	From string
	Text string
}

// errMalformed marks a request that is not an SMS Baraza can read. It is
// answered 200 (so Kannel does not retry it) and skipped.
var errMalformed = errors.New("sms: malformed inbound message")

// ParseKannel reads a Kannel post-url request: the text is the body (in
// the Content-Type's charset: UTF-8, or UTF-16BE for UCS-2 when mo-recode
// is off), the sender is X-Kannel-From (send-sender = true), the message
// id is the query parameter id (%I).
func ParseKannel(r *http.Request) (Inbound, error) {
	from := strings.TrimSpace(r.Header.Get("X-Kannel-From"))
	if !validNumber(from) {
		return Inbound{}, fmt.Errorf("%w: no valid X-Kannel-From", errMalformed)
	}
	id := r.URL.Query().Get("id")
	if !validID(id) {
		return Inbound{}, fmt.Errorf("%w: bad message id", errMalformed)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return Inbound{}, fmt.Errorf("%w: read body: %v", errMalformed, err)
	}
	if len(body) > MaxBody {
		return Inbound{}, fmt.Errorf("%w: body over %d bytes", errMalformed, MaxBody)
	}
	text, err := decode(body, r.Header.Get("Content-Type"), r.Header.Get("X-Kannel-Coding"))
	if err != nil {
		return Inbound{}, err
	}
	return Inbound{ID: id, From: from, Text: text}, nil
}

func decode(body []byte, contentType, coding string) (string, error) {
	charset := "utf-8"
	if contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
			charset = strings.ToLower(params["charset"])
		}
	}
	if coding == "2" && charset == "utf-8" && !utf8.Valid(body) {
		charset = "utf-16be" // UCS-2 passed through without mo-recode
	}
	switch charset {
	case "utf-8", "utf8", "us-ascii":
		if !utf8.Valid(body) {
			return "", fmt.Errorf("%w: body is not UTF-8", errMalformed)
		}
		return string(body), nil
	case "utf-16be", "ucs-2", "ucs-2be", "utf-16":
		if len(body)%2 != 0 {
			return "", fmt.Errorf("%w: odd UTF-16 body", errMalformed)
		}
		u := make([]uint16, len(body)/2)
		for i := range u {
			u[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
		}
		return string(utf16.Decode(u)), nil
	case "iso-8859-1", "latin1", "windows-1252":
		r := make([]rune, len(body))
		for i, c := range body {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	return "", fmt.Errorf("%w: unsupported charset", errMalformed)
}

// validNumber accepts an MSISDN as SMS centres write it: digits with an
// optional leading +, 3 to 20 characters (short codes included).
func validNumber(s string) bool {
	d := strings.TrimPrefix(s, "+")
	if len(d) < 3 || len(d) > 20 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// validID accepts Kannel's UUIDs and aggregators' message ids.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
