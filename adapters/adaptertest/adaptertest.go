// Package adaptertest is the conformance suite every Baraza adapter passes
// (webchat, telegram, discord).
//
// An adapter's test supplies a Setup that starts the adapter against a fake
// of its platform and returns a Driver that plays users on that fake:
//
//	func TestConformance(t *testing.T) {
//		adaptertest.Run(t, func(t testing.TB, h bot.Handler) adaptertest.Driver {
//			fake := telegramtest.NewServer(t)
//			a := telegram.New(telegram.Config{API: fake.URL, ...})
//			adaptertest.Start(t, a, h) // Run in a goroutine, stopped at cleanup
//			return &driver{fake: fake}
//		})
//	}
//
// Run calls Setup once per subtest with its own scripted bot.Handler (no
// router, no Redis) that records every Event and answers canned Responses.
// The suite checks, through the Driver only, what a respondent sees:
//
//   - commands arrive as KindCommand with Command and Arg, plain text as
//     KindText, presses as KindButton with exactly the Data sent (60 bytes);
//   - Event.Platform, Event.ID and Event.User are set; User is stable per
//     user and differs between users; a re-delivery keeps the ID;
//   - replies arrive in order; buttons keep their labels, Data and order
//     (answer buttons, then Nav buttons); Selected is visible and
//     ReplaceButtons edits the carrying message where Caps.Edit;
//   - Erase removes the conversation and the messages sent after it remain;
//   - a Notice reaches the presser;
//   - Arabic and emoji survive byte-exact; a 5000-character reply arrives
//     complete (it may be split; only whitespace may differ at the joins);
//   - a Handler error neither crashes the adapter nor loses the event;
//   - Run returns nil soon after its context is cancelled (checked by Start
//     at each subtest's cleanup).
//
// Waiting is done by polling a condition with a deadline, so adapters that
// deliver asynchronously (long polling, a gateway) pass as well as
// synchronous ones.
package adaptertest

import (
	"context"
	"testing"
	"time"

	"github.com/baraza/baraza/bot"
)

// Driver plays users on a platform's fake. User ids are test ids such as
// "1001"; the driver maps them to platform users (Telegram user ids, Discord
// users, web chat cookie jars).
//
// Text, Command, Press and Redeliver deliver the event the way the platform
// would and fail the test only on a transport problem: an adapter that
// refuses an event because its Handler failed (a web chat 503) is not a
// driver failure.
type Driver interface {
	// Text, Command and Press make user u (a test user id such as "1001")
	// send a message, a command, or press a button with the given Data.
	// Press presses the button with that Data on the newest message in u's
	// Inbox that carries it; the driver fails the test if there is none.
	Text(t testing.TB, u, text string)
	Command(t testing.TB, u, cmd, arg string)
	Press(t testing.TB, u, data string)
	// Redeliver re-sends the last event of user u with the same platform
	// event id (a duplicate delivery).
	Redeliver(t testing.TB, u string)
	// Inbox returns the bot's messages user u currently sees, in order
	// (erased messages removed). Button labels are reported without the
	// adapter's selection marker (a "✓ " prefix), with Selected set instead,
	// and with the Data the platform would send back. Lang, Nav, Image and
	// ReplaceButtons need not be filled in.
	Inbox(t testing.TB, u string) []bot.Message
	// Notices returns the transient notices (toasts, ephemeral replies)
	// shown to u so far, oldest first.
	Notices(t testing.TB, u string) []string
}

// Caps declares what a platform allows. The zero Caps is the most limited
// platform: no edits, only the bot's own messages can be erased, and the
// adapter retries a failed event by itself.
type Caps struct {
	// EraseUserMessages: Erase also removes the user's own messages (web
	// chat transcript, Telegram private chats). Checked through
	// UserMessager when the Driver implements it.
	EraseUserMessages bool
	// Edit: ReplaceButtons updates the message that carried the pressed
	// button in place. Without it a new message is expected instead.
	Edit bool
	// RedeliverOnError: after a Handler error the adapter leaves the event
	// unacknowledged and the platform re-sends it (the web chat page retries
	// with the same nonce); the suite simulates that with Driver.Redeliver.
	// False means the adapter gets the event again by itself (Telegram:
	// the offset is not advanced, so the next getUpdates returns it).
	RedeliverOnError bool
}

// Capable is implemented by drivers whose platform differs from the zero
// Caps.
type Capable interface {
	Caps() Caps
}

// UserMessager is implemented by drivers that can see the user's own
// messages still visible in the conversation (texts and commands as
// typed, e.g. "/stop"). Used with Caps.EraseUserMessages.
type UserMessager interface {
	UserMessages(t testing.TB, u string) []string
}

// Setup starts the adapter against its fake with Handler h, and returns a
// Driver for that fake. It must start the adapter with Start (or stop it at
// cleanup and check that Run returned nil the same way).
type Setup func(t testing.TB, h bot.Handler) Driver

// StopTimeout bounds how long Start's cleanup waits for Run to return after
// its context was cancelled.
const StopTimeout = 10 * time.Second

// Start runs a.Run(ctx, h) in a goroutine. At cleanup it cancels ctx and
// fails the test if Run does not return within StopTimeout or returns an
// error. Cleanups run last-in first-out, so a fake server registered before
// Start is still up while the adapter stops.
func Start(t testing.TB, a bot.Adapter, h bot.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: Run after cancel: got error %v, want nil", a.Name(), err)
			}
		case <-time.After(StopTimeout):
			t.Errorf("%s: Run did not return within %v of its context being cancelled", a.Name(), StopTimeout)
		}
	})
}
