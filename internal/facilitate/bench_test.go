package facilitate

import (
	"context"
	"maps"
	"testing"

	"github.com/baraza/baraza/dialogs"
)

func BenchmarkQR(b *testing.B) {
	for b.Loop() {
		if _, err := QR("https://t.me/baraza_bot?start=community-safety"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLiveTick is one tick of a live view's event stream when nothing
// changed: read the counters (one HGETALL) and compare them with the last.
func BenchmarkLiveTick(b *testing.B) {
	c := newCore(b, []*dialogs.Script{loadScript(b, "night-safety.yaml")}, nil, "")
	for range 50 {
		c.completeOne(b, "north", "2")
	}
	ctx := context.Background()
	last, err := c.store.Counters(ctx, "night-safety")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cur, err := c.store.Counters(ctx, "night-safety")
		if err != nil {
			b.Fatal(err)
		}
		if !maps.Equal(cur, last) {
			b.Fatal("counters changed")
		}
	}
}

// BenchmarkLiveBuild is the work of a tick when the counters changed:
// statuses (one HGETALL) and the suppressed summary.
func BenchmarkLiveBuild(b *testing.B) {
	c := newCore(b, []*dialogs.Script{loadScript(b, "night-safety.yaml")}, nil, "")
	for range 50 {
		c.completeOne(b, "north", "2")
	}
	l := NewLive(LiveConfig{Consult: c.consult})
	sc := c.catalog.Get("night-safety")
	ctx := context.Background()
	counters, err := c.store.Counters(ctx, "night-safety")
	if err != nil {
		b.Fatal(err)
	}
	show := chosen(sc, "")
	for b.Loop() {
		if s, err := l.build(ctx, sc, counters, "en", show); err != nil || !s.Ready {
			b.Fatalf("build: %v ready=%v", err, s.Ready)
		}
	}
}
