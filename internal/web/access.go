package web

import (
	"fmt"
	"net/http"

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
