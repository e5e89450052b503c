package telegram

import (
	"context"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/telegram/telegramtest"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestInviteCodeOnce: an invitation code works once through the deep link
// (/start CODE, the real client library against the fake Bot API) and the
// real router, and never again.
func TestInviteCodeOnce(t *testing.T) {
	core := testenv.New(t)
	s := adaptertest.InviteScript(t)
	core.Catalog.Replace(append(core.Catalog.All(), s))
	codes, err := facilitate.MakeInvites(context.Background(), core.Store, core.Keys, s, 2)
	if err != nil {
		t.Fatal(err)
	}
	fake := telegramtest.NewServer(fastFake)
	t.Cleanup(fake.Close)
	e := &env{fake: fake, store: core.Store, logs: core.Logs}
	start(t, e.adapter(t), core.Router)
	d := &driver{fake: fake, last: map[string]int64{}}
	adaptertest.InviteOnce(t, d, codes, func() int64 { return core.Counters(t, s.ID)["completed"] })
	core.AssertNoLeak(t, codes...)
}
