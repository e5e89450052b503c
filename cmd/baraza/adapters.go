package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baraza/baraza/adapters/discord"
	"github.com/baraza/baraza/adapters/sms"
	"github.com/baraza/baraza/adapters/telegram"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/web"
)

// platformAdapters builds the Telegram and Discord adapters that the
// environment enables, registers their invite links with the router and
// mounts the Telegram webhook on the HTTP server.
func platformAdapters(ctx context.Context, cfg config, st *store.Store, log *slog.Logger, rc *bot.RouterConfig, deps *web.Deps, reg prometheus.Registerer) ([]bot.Adapter, error) {
	var out []bot.Adapter
	if cfg.TelegramToken != "" {
		tg, err := telegram.New(ctx, telegram.Config{
			Token:         cfg.TelegramToken,
			APIEndpoint:   cfg.TelegramAPI,
			WebhookURL:    cfg.TelegramWebhookURL,
			WebhookSecret: cfg.TelegramWebhookSecret,
			Logger:        log,
			Offsets:       st,
			Trails:        bot.NewTrails(st, rc.Keys),
		})
		if err != nil {
			return nil, fmt.Errorf("telegram: %w", err)
		}
		if err := registerAll(reg, tg.Collectors()); err != nil {
			return nil, err
		}
		out = append(out, tg)
		rc.Inviters[tg.Name()] = tg
		if cfg.TelegramWebhookURL != "" {
			deps.TelegramWebhook = tg.WebhookHandler()
		}
	}
	if cfg.DiscordToken != "" {
		shard, count, err := discord.ParseShard(cfg.DiscordShard)
		if err != nil {
			return nil, fmt.Errorf("BARAZA_DISCORD_SHARD: %w", err)
		}
		catalog := rc.Catalog
		dc, err := discord.New(discord.Config{
			Token:        cfg.DiscordToken,
			API:          cfg.DiscordAPI,
			Shard:        shard,
			ShardCount:   count,
			IdentifyGate: st,
			Logger:       log,
			Consultations: func() []string {
				var ids []string
				for _, s := range catalog.All() {
					ids = append(ids, s.ID)
				}
				return ids
			},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, dc)
		rc.Inviters[dc.Name()] = dc
	}
	if cfg.SMS.KannelURL != "" {
		a, err := smsAdapter(cfg, st, log, rc, deps)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func registerAll(reg prometheus.Registerer, cs []prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	return nil
}

// smsAdapter builds the SMS adapter (Kannel), mounts its webhook routes and
// shows its costs on the facilitator page.
func smsAdapter(cfg config, st *store.Store, log *slog.Logger, rc *bot.RouterConfig, deps *web.Deps) (*sms.Adapter, error) {
	c := cfg.SMS
	k := &sms.Kannel{URL: c.KannelURL, User: c.User, Password: c.Password, From: c.From,
		Client: &http.Client{Timeout: 30 * time.Second}}
	if c.Reports {
		k.DLRURL = c.CallbackURL + "/sms/kannel/dlr?k=" + url.QueryEscape(c.Secret) + "&status=%d&c="
	}
	reg, _ := deps.Gatherer.(prometheus.Registerer)
	catalog := rc.Catalog
	a, err := sms.New(sms.Config{
		Kannel: k, Redis: st.Client(), Secret: c.Secret, Rate: c.Rate,
		SegmentCap: c.SegmentCap, Caps: c.Caps, Keywords: c.Keywords, ShortCode: c.From,
		Consultations: func() []string {
			var ids []string
			for _, s := range catalog.All() {
				ids = append(ids, s.ID)
			}
			return ids
		},
		// Invite codes (issue 12) are redeemed by the router: JOIN CODE and
		// JOIN KEYWORD CODE pass the code on, a code alone arrives as text.
		CodesInStart: true,
		InviteOnly: func(id string) bool {
			s := catalog.Get(id)
			return s != nil && s.Access == dialogs.AccessInvite
		},
		Logger: log, Registerer: reg, MetricsByConsultation: c.MetricsByConsultation,
	})
	if err != nil {
		return nil, err
	}
	rc.Inviters[a.Name()] = a
	if deps.Mounts == nil {
		deps.Mounts = map[string]http.Handler{}
	}
	deps.Mounts[a.BasePath()+"/"] = a.Handler()
	deps.Costs = func(ctx context.Context, id string) ([]web.Cost, error) {
		sc, err := a.Costs(ctx, id)
		if err != nil {
			return nil, err
		}
		return []web.Cost{{Channel: "SMS", Messages: sc.Messages, Segments: sc.Segments, Cap: sc.Cap, Paused: sc.Paused,
			Delivered: sc.Delivered, Failed: sc.Failed}}, nil
	}
	return a, nil
}
