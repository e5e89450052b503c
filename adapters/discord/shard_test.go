package discord_test

import (
	"os"
	"testing"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/discord/discordtest"
	"github.com/baraza/baraza/internal/redistest"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
)

// TestShardsRespectMaxConcurrency: four shards of one bot start at once
// (four processes sharing Redis), /gateway/bot says max_concurrency 2.
// Discord allows one identify per 5 s in each bucket shard % 2: the
// shared gate spaces them so the fake sees none too soon.
func TestShardsRespectMaxConcurrency(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{MaxConcurrency: 2})
	srv := redistest.Start(t)
	var gate discord.IdentifyGate = store.New(srv.Client(), store.Options{Prefix: srv.Prefix + "baraza:"})
	if os.Getenv("BARAZA_NO_GATE") == "1" { // for the "before" figure
		gate = nil
	}
	for i := range 4 {
		a, err := discord.New(discord.Config{Token: f.Token(), API: f.APIURL(), Shard: i, ShardCount: 4,
			Logger: newLogger(&testenv.LogBuffer{}), IdentifyGate: gate})
		if err != nil {
			t.Fatal(err)
		}
		adaptertest.Start(t, a, newRecorder(nil))
	}
	await(t, f, "four identifies", func() bool { return len(f.Identifies()) == 4 })
	if n := f.IdentifyTooSoon(); n != 0 {
		t.Errorf("%d identifies came within 5 s of another in their bucket, want 0", n)
	}
}
