package facilitate

import (
	"context"
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
// changed: read the release state (one round trip), the release itself
// from the process's cache.
func BenchmarkLiveTick(b *testing.B) {
	c := newCore(b, []*dialogs.Script{loadScript(b, "night-safety.yaml")}, nil, "")
	for range 50 {
		c.completeOne(b, "north", "2")
	}
	c.release(b)
	ctx := context.Background()
	sc := c.catalog.Get("night-safety")
	rel := c.consult.Release()
	for b.Loop() {
		st, err := rel.Latest(ctx, sc)
		if err != nil || st.Latest == nil || st.Latest.Number != 1 {
			b.Fatalf("latest: %v", err)
		}
	}
}

// BenchmarkLiveBuild is the work of a tick when the frame changed: the
// release's summary in the page's language.
func BenchmarkLiveBuild(b *testing.B) {
	c := newCore(b, []*dialogs.Script{loadScript(b, "night-safety.yaml")}, nil, "")
	for range 50 {
		c.completeOne(b, "north", "2")
	}
	c.release(b)
	l := NewLive(LiveConfig{Consult: c.consult})
	sc := c.catalog.Get("night-safety")
	st, err := c.consult.Release().Latest(context.Background(), sc)
	if err != nil {
		b.Fatal(err)
	}
	show := chosen(sc, "")
	for b.Loop() {
		if s := l.build(sc, st, "open", "en", show); !s.Ready {
			b.Fatalf("build: ready=%v", s.Ready)
		}
	}
}
