package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
)

// publishedResults answers /results [id]: the latest release of a
// consultation whose script says publish: true, as plain text (never the
// live counters: internal/release); percentages are given only when both
// numbers are shown.
func (r *Router) publishedResults(ctx context.Context, ev Event, lang string) (Response, error) {
	id := strings.TrimSpace(ev.Arg)
	if id == "" {
		id = r.defaultConsultation()
	}
	s := r.cfg.Catalog.Get(id)
	if s == nil || !validID(id) {
		return textResponse(lang, dialogs.UI(lang, "unknown_consultation")), nil
	}
	lang = r.lang(pickLang(s, ev.Locale), ev.Locale)
	if !s.Publish {
		return textResponse(lang, dialogs.UI(lang, "results_not_published")), nil
	}
	def := r.cfg.K
	if def == 0 {
		def = privacy.DefaultK
	}
	k := s.Threshold(def)
	rel := r.cfg.Releases
	if rel == nil {
		rel = &release.Service{Store: r.cfg.Store, K: func(sc *dialogs.Script) int { return sc.Threshold(def) }}
	}
	sum, err := rel.Summary(ctx, s, "", lang)
	if err != nil {
		return Response{}, fmt.Errorf("router: results: %w", err)
	}
	var b strings.Builder
	b.WriteString(s.Text(s.Title, lang))
	b.WriteString("\n")
	dp := sum.Mode == results.ModeDP
	if dp && sum.Release == 0 {
		// A DP consultation releases on its calendar, not after k
		// responses: say when.
		if t, err := time.Parse(time.RFC3339, sum.NextReleaseAt); err == nil {
			b.WriteString(dialogs.UI(lang, "results_dp_first_at", t.UTC().Format("2006-01-02 15:04 UTC")))
		} else {
			b.WriteString(dialogs.UI(lang, "results_dp_first_close"))
		}
		return textResponse(lang, b.String()), nil
	}
	// A DP release shows its noisy counts whatever they are (its noisy
	// count may read fewer than k).
	if sum.Completed == nil || (!dp && *sum.Completed < int64(k)) {
		b.WriteString(dialogs.UI(lang, "results_not_enough", k))
		return textResponse(lang, b.String()), nil
	}
	// A count as the chat shows it: the number, "≈ N (noise added)" in a
	// DP release.
	count := func(n int64) string {
		if dp {
			return dialogs.UI(lang, "results_noisy", strconv.FormatInt(n, 10))
		}
		return strconv.FormatInt(n, 10)
	}
	b.WriteString(dialogs.UI(lang, "results_completed", count(*sum.Completed)))
	anyHidden := false
	for _, q := range sum.Questions {
		if len(q.Options) == 0 {
			continue
		}
		b.WriteString("\n\n")
		b.WriteString(q.Text)
		for _, o := range q.Options {
			b.WriteString("\n• ")
			b.WriteString(o.Label)
			b.WriteString(": ")
			if o.Count == nil {
				// Whatever the reason (small, or hidden to protect a
				// small one): never "fewer than k", which may be false.
				b.WriteString(dialogs.UI(lang, "results_hidden"))
				anyHidden = true
				continue
			}
			b.WriteString(count(*o.Count))
			if q.Answered != nil && *q.Answered > 0 {
				fmt.Fprintf(&b, " (%d%%)", (*o.Count*100+*q.Answered/2) / *q.Answered)
			}
		}
	}
	switch {
	case dp:
		b.WriteString("\n\n" + dialogs.UI(lang, "results_why_noise"))
	case anyHidden:
		b.WriteString("\n\n" + dialogs.UI(lang, "results_why_hidden", k-1))
	}
	return textResponse(lang, b.String()), nil
}
