package discord

import (
	"context"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// IdentifyGate spaces identifies shared by every process of the bot
// (*store.Store implements it): TakeSlot takes a named slot for ttl if it
// is free.
type IdentifyGate interface {
	TakeSlot(ctx context.Context, name string, ttl time.Duration) (bool, error)
}

// identifyInterval is Discord's spacing of identifies in one rate-limit
// bucket (shard_id % max_concurrency).
const identifyInterval = 5 * time.Second

// awaitIdentify waits until this shard may identify: it reads
// max_concurrency from /gateway/bot and takes the slot of its bucket
// (shard % max_concurrency) in the shared gate, retrying until the slot
// is free. Without a gate, or with one shard, it returns at once.
func (a *Adapter) awaitIdentify(ctx context.Context, s *discordgo.Session) error {
	if a.cfg.IdentifyGate == nil || a.cfg.ShardCount <= 1 {
		return nil
	}
	maxConc := 1
	var gb *discordgo.GatewayBotResponse
	err := a.rest(ctx, true, func(o ...discordgo.RequestOption) error {
		var err error
		gb, err = s.GatewayBot(o...)
		return err
	})
	if err == nil && gb != nil && gb.SessionStartLimit.MaxConcurrency > 0 {
		maxConc = gb.SessionStartLimit.MaxConcurrency
	} else if err != nil {
		a.log.Warn("gateway/bot not read; identifying one shard at a time", "err", errKind(err))
	}
	name := "discord-identify-" + strconv.Itoa(a.cfg.Shard%maxConc)
	for {
		ok, err := a.cfg.IdentifyGate.TakeSlot(ctx, name, identifyInterval)
		if err == nil && ok {
			return nil
		}
		if err != nil {
			a.log.Warn("identify gate", "err", err)
		}
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
