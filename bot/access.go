package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/invite"
)

// DefaultNetworkLimit is how many completions of one open consultation the
// web chat accepts from one client network (IPv4 /24, IPv6 /56) per hour.
//
// Why 30: answering takes a person at least two or three minutes (consent,
// a handful of questions, reading), so one device used by one person after
// another — a family phone, the community-centre PC a facilitator helps
// people through — gives at most about 20 in an hour, and a household far
// fewer. 30 leaves room for two such devices on one line. A script makes
// thousands an hour (300 in 0.6 s were measured before this limit), and
// each further network it needs costs it a real address. Mobile carriers
// put many people behind few addresses (CGNAT): a campaign that sends a
// crowd of phones to the link within one hour should raise
// BARAZA_WEBCHAT_LIMIT or use invite codes.
const DefaultNetworkLimit = 30

// refusal is a completion or a start refused by an access rule; key names
// the message in accessText.
type refusal struct{ key string }

func (e refusal) Error() string { return "refused: " + e.key }

// networkLimit is the configured per-network limit; 0 means off.
func (r *Router) networkLimit() int {
	switch {
	case r.cfg.NetworkLimit < 0:
		return 0
	case r.cfg.NetworkLimit == 0:
		return DefaultNetworkLimit
	}
	return r.cfg.NetworkLimit
}

// limited reports whether the per-network limit applies to this event and
// script: open consultations, on a platform that shows the network.
func (r *Router) limited(ev Event, s *dialogs.Script) bool {
	return ev.Network != "" && r.networkLimit() > 0 && s.Kind == dialogs.KindConsultation &&
		(s.Access == "" || s.Access == dialogs.AccessOpen)
}

// admit decides whether ev may begin a response to s, and returns the
// participation marker its completion will set. code is a normalised
// invite code, or "".
func (r *Router) admit(ctx context.Context, ev Event, s *dialogs.Script, code string, pre *startChecks) (marker string, err error) {
	if s.Kind != dialogs.KindConsultation {
		return "", nil
	}
	switch s.Access {
	case dialogs.AccessInvite:
		if code == "" {
			return "", refusal{"invite_needed"}
		}
		ok, err := r.cfg.Store.InviteExists(ctx, s.ID, r.cfg.Keys.InviteCode(s.ID, code))
		if err != nil {
			return "", fmt.Errorf("router: invite: %w", err)
		}
		if !ok {
			return "", refusal{"invite_unknown"}
		}
		marker = r.cfg.Keys.InviteMarker(s.ID, code)
	case dialogs.AccessPlatform:
		if ev.Platform == "webchat" {
			return "", refusal{"platform_only"}
		}
		fallthrough
	default:
		if pre != nil {
			marker = pre.marker // plainMarker computed the same
		} else {
			marker = r.cfg.Keys.Participation(s.ID, ev.Platform, ev.User)
		}
	}
	var done bool
	if pre != nil && pre.marker == marker {
		done = pre.participated // read with the status, same round trip
	} else if done, err = r.cfg.Store.Participated(ctx, s.ID, marker); err != nil {
		return "", fmt.Errorf("router: participation: %w", err)
	}
	if done {
		if s.Access == dialogs.AccessInvite {
			return "", refusal{"invite_used"}
		}
		return "", refusal{"already_participated"}
	}
	if r.limited(ev, s) {
		ok, err := r.cfg.Store.NetworkAllows(ctx, s.ID, r.cfg.Keys.Network(s.ID, ev.Network), r.networkLimit())
		if err != nil {
			return "", fmt.Errorf("router: network limit: %w", err)
		}
		if !ok {
			return "", refusal{"network_limit"}
		}
	}
	return marker, nil
}

// plainMarker is the participation marker admit will check for ev and s
// when it needs nothing but the person (not an invite code), so begin can
// read it together with the status; ok=false otherwise.
func (r *Router) plainMarker(ev Event, s *dialogs.Script) (string, bool) {
	if s.Kind != dialogs.KindConsultation || s.Access == dialogs.AccessInvite ||
		s.Access == dialogs.AccessPlatform && ev.Platform == "webchat" {
		return "", false
	}
	return r.cfg.Keys.Participation(s.ID, ev.Platform, ev.User), true
}

// redeem starts the invite-only consultation a code belongs to. The code is
// looked up in each invite-only consultation (a handful), never stored.
func (r *Router) redeem(ctx context.Context, ev Event, pid, eventKey string, version int64, code string) (Response, string, error) {
	for _, s := range r.cfg.Catalog.All() {
		if s.Access != dialogs.AccessInvite || s.Kind != dialogs.KindConsultation {
			continue
		}
		ok, err := r.cfg.Store.InviteExists(ctx, s.ID, r.cfg.Keys.InviteCode(s.ID, code))
		if err != nil {
			return Response{}, "", fmt.Errorf("router: invite: %w", err)
		}
		if ok {
			return r.begin(ctx, ev, pid, eventKey, version, s.ID, dialogs.KindConsultation, code)
		}
	}
	lang := r.lang("", ev.Locale)
	return textResponse(lang, accessText(lang, "invite_unknown")), "refused", nil
}

// hasInvites reports whether any loaded consultation is invite-only.
func (r *Router) hasInvites() bool {
	for _, s := range r.cfg.Catalog.All() {
		if s.Access == dialogs.AccessInvite {
			return true
		}
	}
	return false
}

// completionRefused tells whether err is an access refusal at completion,
// and its message key.
func completionRefused(err error) (string, bool) {
	var rf refusal
	if errors.As(err, &rf) {
		return rf.key, true
	}
	return "", false
}

// takeNetwork counts a completion against its network's hourly limit.
// eventKey is the event that completes (a retry of it is not counted
// twice).
func (r *Router) takeNetwork(ctx context.Context, s *dialogs.Script, ev Event, eventKey string) error {
	if !r.limited(ev, s) {
		return nil
	}
	ok, err := r.cfg.Store.TakeNetwork(ctx, s.ID, r.cfg.Keys.Network(s.ID, ev.Network), eventKey, r.networkLimit())
	if err != nil {
		return fmt.Errorf("router: network limit: %w", err)
	}
	if !ok {
		return refusal{"network_limit"}
	}
	return nil
}

// burnt checks, after Apply changed nothing because the participation
// marker was set, whether that was this very completion applied before
// (a retry: its event was remembered) or someone else meanwhile: an
// invite code used twice at once, one account on two devices. Without an
// event key there is no telling; the completion is then taken as a retry.
func (r *Router) burnt(ctx context.Context, s *dialogs.Script, eventKey string) error {
	if eventKey == "" {
		return nil
	}
	done, err := r.cfg.Store.Ended(ctx, []string{s.ID}, eventKey)
	if err != nil {
		return fmt.Errorf("router: complete: %w", err)
	}
	if done {
		return nil
	}
	if s.Access == dialogs.AccessInvite {
		return refusal{"invite_used"}
	}
	return refusal{"already_participated"}
}

// codeIn returns the invite code in a /start argument that is not a
// consultation id, or in a typed message, when invite-only consultations
// exist.
func (r *Router) codeIn(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || r.cfg.Catalog.Get(s) != nil || !r.hasInvites() {
		return "", false
	}
	return invite.Normalize(s)
}

// accessText is the message of an access refusal in lang. Every refusal
// says what happened and what the person can do; none blames them.
func accessText(lang, key string) string {
	if key == "already_participated" {
		return dialogs.UI(lang, key)
	}
	m, ok := accessStrings[lang]
	if !ok {
		m = accessStrings["en"]
	}
	if s, ok := m[key]; ok {
		return s
	}
	return accessStrings["en"][key]
}

var accessStrings = map[string]map[string]string{
	"en": {
		"invite_needed":  "This consultation is by invitation. Please type the code printed on your invitation card (for example K7QM4-XPD9R).",
		"invite_unknown": "Sorry, that invitation code is not one we know. Please check it against your card and type it again.",
		"invite_used":    "This invitation code has already been used, so this answer could not be counted. Thank you for your time. If you think this is a mistake, please speak to the person who gave you the card.",
		"platform_only":  "This consultation is answered on Telegram or Discord only, so that each person answers once. Thank you for your interest.",
		"network_limit":  "Thank you. Very many answers have come from your internet connection in the last hour, so we cannot take another one from it right now. Please try again in an hour. Nothing you typed has been kept.",
		"dwell":          "Please take a moment to read the question before answering.",
	},
	"fr": {
		"invite_needed":  "Cette consultation se fait sur invitation. Veuillez taper le code imprimé sur votre carte d’invitation (par exemple K7QM4-XPD9R).",
		"invite_unknown": "Désolé, nous ne connaissons pas ce code d’invitation. Vérifiez-le sur votre carte et tapez-le à nouveau.",
		"invite_used":    "Ce code d’invitation a déjà servi ; cette réponse n’a donc pas pu être comptée. Merci pour votre temps. Si vous pensez à une erreur, parlez-en à la personne qui vous a remis la carte.",
		"platform_only":  "Cette consultation se fait uniquement sur Telegram ou Discord, pour que chaque personne réponde une seule fois. Merci de votre intérêt.",
		"network_limit":  "Merci. Beaucoup de réponses sont venues de votre connexion internet dans la dernière heure ; nous ne pouvons pas en prendre une autre pour le moment. Réessayez dans une heure. Rien de ce que vous avez écrit n’a été gardé.",
		"dwell":          "Prenez un instant pour lire la question avant de répondre.",
	},
	"ar": {
		"invite_needed":  "هذه الاستشارة بالدعوة. من فضلك اكتب الرمز المطبوع على بطاقة الدعوة (مثل K7QM4-XPD9R).",
		"invite_unknown": "عذرًا، لا نعرف رمز الدعوة هذا. من فضلك قارنه ببطاقتك واكتبه مرة أخرى.",
		"invite_used":    "تم استخدام رمز الدعوة هذا من قبل، لذلك لم يمكن احتساب هذه الإجابة. شكرًا لوقتك. إن ظننت أن هناك خطأ فتحدث إلى من أعطاك البطاقة.",
		"platform_only":  "يُجاب عن هذه الاستشارة على تيليغرام أو ديسكورد فقط، لكي يجيب كل شخص مرة واحدة. شكرًا لاهتمامك.",
		"network_limit":  "شكرًا لك. وصلت إجابات كثيرة جدًا من اتصالك بالإنترنت خلال الساعة الماضية، فلا يمكننا قبول إجابة أخرى منه الآن. من فضلك حاول مرة أخرى بعد ساعة. لم نحتفظ بشيء مما كتبته.",
		"dwell":          "من فضلك خذ لحظة لقراءة السؤال قبل الإجابة.",
	},
}

// isCode reports whether a typed message is an invite code.
func (r *Router) isCode(text string) bool {
	_, ok := r.codeIn(text)
	return ok
}
