package discord

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/baraza/baraza/internal/ratelimit"
)

// maxRateLimitRetries bounds how often one call is retried after a 429.
const maxRateLimitRetries = 3

// maxRetryAfter is the longest retry_after the adapter waits for; a longer
// one fails the call rather than hold the user's queue.
const maxRetryAfter = 30 * time.Second

// rest runs one discordgo REST call with the request context, without
// discordgo's own unbounded 429 sleep: a 429 is waited out here, honouring
// retry_after and ctx, and retried a few times. paced calls first wait
// for the global pacer (interaction responses are exempt from Discord's
// global limit and must not queue behind messages).
func (a *Adapter) rest(ctx context.Context, paced bool, call func(...discordgo.RequestOption) error) error {
	for attempt := 0; ; attempt++ {
		if paced {
			if err := a.pace.Wait(ctx); err != nil {
				return err
			}
		}
		err := call(discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		var rl *discordgo.RateLimitError
		if !errors.As(err, &rl) || attempt >= maxRateLimitRetries {
			return err
		}
		wait := rl.RetryAfter
		if wait > maxRetryAfter {
			return err
		}
		if wait <= 0 {
			wait = 50 * time.Millisecond
		}
		a.stats.Retried429.Add(1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// newPacer is the token bucket for the global REST limit: rate a second,
// with a burst of a fifth of that, so no one-second window sees more than
// 1.2 x rate requests.
func newPacer(rate float64) *ratelimit.Bucket {
	return ratelimit.New(rate, rate/5)
}

// errKind describes an error without anything that could identify a user:
// discordgo and net/http errors carry URLs with channel ids and
// interaction tokens, so only the kind, status and Discord code are kept.
func errKind(err error) string {
	if err == nil {
		return ""
	}
	var (
		rl *discordgo.RateLimitError
		re *discordgo.RESTError
		ne net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.As(err, &rl):
		return "rate limited"
	case errors.As(err, &re):
		s := "rest"
		if re.Response != nil {
			s += " " + strconv.Itoa(re.Response.StatusCode)
		}
		if re.Message != nil && re.Message.Code != 0 {
			s += " code " + strconv.Itoa(re.Message.Code)
		}
		return s
	case errors.Is(err, errMalformed):
		return "malformed payload"
	case errors.Is(err, discordgo.ErrJSONUnmarshal):
		return "bad response body"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ne):
		return "network"
	}
	return "other"
}
