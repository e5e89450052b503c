package web

import (
	"fmt"
	"github.com/baraza/baraza/internal/facilitate"
	"net/http"
	"strconv"
	"strings"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/invite"
	"github.com/baraza/baraza/internal/store"
)

// abuseView is what a facilitator sees of the stuffing limits: counts for
// the consultation, never a network and never a person.
type abuseView struct {
	Refused, Flagged, HourTop, HourAll string
	// Unusual: this hour one network gave at least store.FlagMin web-chat
	// completions and more than half of them.
	Unusual bool
}

type invitesView struct {
	Made string
	Max  int
}

// accessView fills the facilitator's access, abuse and invitation parts
// of a consultation page.
func (s *server) accessView(r *http.Request, v *consultView) error {
	sc := s.Consult.Catalog.Get(v.ID)
	if sc == nil || sc.Kind != dialogs.KindConsultation {
		return nil
	}
	lang := pageLang(r)
	mode := sc.Access
	if mode == "" {
		mode = dialogs.AccessOpen
	}
	v.Access = tr(lang, "access_"+mode)
	a, err := s.Store.AbuseStats(r.Context(), v.ID)
	if err != nil {
		return fmt.Errorf("web: abuse: %w", err)
	}
	v.Abuse = &abuseView{Refused: num(lang, a.Refused), Flagged: num(lang, a.Flagged),
		HourTop: num(lang, a.HourTop), HourAll: num(lang, a.HourAll),
		Unusual: a.HourTop >= store.FlagMin && 2*a.HourTop > a.HourAll}
	if mode == dialogs.AccessInvite {
		n, err := s.Store.Invites(r.Context(), v.ID)
		if err != nil {
			return fmt.Errorf("web: invites: %w", err)
		}
		v.Invites = &invitesView{Made: num(lang, n), Max: invite.MaxBatch}
	}
	return nil
}

// handleInviteCards makes a batch of invitation codes and answers with
// the printable cards. The codes exist readable only in this response.
func (s *server) handleInviteCards() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		id := r.PathValue("id")
		sc := s.Consult.Catalog.Get(id)
		if sc == nil {
			s.errorPage(w, r, http.StatusNotFound, "not_found")
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("count")))
		if err != nil || n < 1 || n > invite.MaxBatch || sc.Access != dialogs.AccessInvite {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		cards, err := s.InviteCards(r.Context(), id, n)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		s.log.Info("invitation codes made", "consultation", id, "count", n, "token_id", t.ID)
		lang := pageLang(r)
		sheet := facilitate.CardSheet{Lang: lang, Dir: dir(lang), Title: tr(lang, "cards_title") + " — " + sc.Text(sc.Title, lang),
			Note: tr(lang, "cards_note"), CodeLabel: tr(lang, "card_code"), How: tr(lang, "card_how"), Cards: cards}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", facilitate.CardsCSP)
		h.Set("Cache-Control", "no-store")
		if err := facilitate.WriteCards(w, sheet); err != nil {
			s.log.Error("invite cards", "err", err)
		}
	})
}
