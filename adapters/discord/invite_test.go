package discord_test

import (
	"context"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/discord/discordtest"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/testenv"
)

// TestInviteCodeOnce: an invitation code works once through /consult CODE
// (or typed in the DM) on the fake Discord and the real router, and never
// again.
func TestInviteCodeOnce(t *testing.T) {
	core := testenv.New(t)
	s := adaptertest.InviteScript(t)
	core.Catalog.Replace(append(core.Catalog.All(), s))
	codes, err := facilitate.MakeInvites(context.Background(), core.Store, core.Keys, s, 2)
	if err != nil {
		t.Fatal(err)
	}
	fake := discordtest.New(t, discordtest.Options{})
	a, err := discord.New(discord.Config{Token: fake.Token(), API: fake.APIURL(), Logger: core.Logger})
	if err != nil {
		t.Fatal(err)
	}
	adaptertest.Start(t, a, core.Router)
	adaptertest.InviteOnce(t, newDriver(fake), codes, func() int64 { return core.Counters(t, s.ID)["completed"] })
	core.AssertNoLeak(t, codes...)
}
