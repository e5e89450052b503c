package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Kannel sends through a Kannel smsbox's sendsms interface, always by POST:
// the number goes in the X-Kannel-To header and the text in the body, so
// neither is ever part of a URL that Kannel or a proxy could log.
type Kannel struct {
	// URL is the sendsms address, e.g. http://127.0.0.1:13013/cgi-bin/sendsms.
	URL string
	// User and Password are a sendsms-user of the Kannel configuration.
	User, Password string
	// From is the sender shown on phones (a short code); empty leaves it
	// to Kannel's global-sender.
	From string
	// DLRURL, when set, asks for delivery reports there (dlr-mask 3:
	// delivered or failed). It must carry no phone number: Kannel fills
	// %d (the status) only.
	DLRURL string
	Client *http.Client
}

// SendError is a refusal by Kannel. Temporary ones (503, a connection
// problem) are worth retrying; the others (403 not routable or bad
// credentials, 400) are not.
type SendError struct {
	Status    int // 0: no HTTP answer
	Temporary bool
	err       error
}

func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Status == 0 {
		return fmt.Sprintf("sms: kannel: %s failure: %v", kind, e.err)
	}
	return fmt.Sprintf("sms: kannel: %s failure: HTTP %d", kind, e.Status)
}

func (e *SendError) Unwrap() error { return e.err }

// Retryable reports whether sending again may succeed.
func (e *SendError) Retryable() bool { return e.Temporary }

// Send hands one message to Kannel, which splits it into parts (the
// sendsms-user needs max-messages and concatenation for long ones).
// dlrTag is appended to DLRURL (the consultation, for delivery counts).
func (k *Kannel) Send(ctx context.Context, to, text string, enc Encoding, dlrTag string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.URL, strings.NewReader(text))
	if err != nil {
		return &SendError{err: err}
	}
	h := req.Header
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-Kannel-Username", k.User)
	h.Set("X-Kannel-Password", k.Password)
	h.Set("X-Kannel-To", to)
	h.Set("X-Kannel-Coding", enc.coding())
	if k.From != "" {
		h.Set("X-Kannel-From", k.From)
	}
	if k.DLRURL != "" {
		h.Set("X-Kannel-DLR-Mask", "3")
		h.Set("X-Kannel-DLR-URL", k.DLRURL+dlrTag)
	}
	c := k.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The error text holds the URL only (no number: it is a header).
		return &SendError{Temporary: true, err: errors.Unwrap(err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode >= 500:
		return &SendError{Status: resp.StatusCode, Temporary: true}
	}
	return &SendError{Status: resp.StatusCode}
}
