package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/release"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// RouterConfig wires a Router. Store, Keys and Catalog are required.
type RouterConfig struct {
	Store   *store.Store
	Keys    *privacy.Keys
	Catalog *Catalog
	Logger  *slog.Logger
	Metrics *Metrics // optional
	// Default is the consultation a bare /start opens; empty means the
	// first open consultation of the catalog.
	Default string
	// Inviters give the deep link used in the group-chat invitation.
	Inviters map[string]Inviter
	// Commands handles commands the dialog does not know (the
	// facilitators' /open, /close, /stats, ...). It returns ok=false to
	// let the router answer as for any unknown command, with no hint that
	// such commands exist.
	Commands CommandHandler
	// K is the default suppression threshold for scripts without their
	// own (BARAZA_K); 0 means 5.
	K int
	// Releases reads the releases /results shows; nil: one on Store.
	Releases *release.Service
	// NetworkLimit is the number of completions of one open consultation
	// accepted per client network per hour, where the platform shows the
	// network (the web chat): 0 means DefaultNetworkLimit, negative off.
	NetworkLimit int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// CommandHandler handles commands outside the respondent dialog.
// respondent is the sender's pseudonym, never a platform id.
type CommandHandler interface {
	HandleCommand(ctx context.Context, ev Event, respondent, lang string) (resp Response, ok bool, err error)
}

// Router turns inbound events into dialog steps. It is the bot.Handler
// every adapter calls.
//
// Exactly-once: a step reads the session and whether the event was seen
// (one Redis round trip), runs the pure step machine, makes its effects
// durable with idempotent scripts keyed by the session's random nonce, and
// then commits the new session with a compare-and-set that also records the
// event as seen (one round trip). A crash between the two re-runs the step
// on re-delivery; the effects are then no-ops. A concurrent step of the
// same respondent on another replica makes the compare-and-set fail, and
// the step is re-run on the fresh session.
//
// The read is skipped when this process made the person's last step: the
// step starts from the session that step left (Router.last) and commits
// with the same compare-and-set, which checks what the read would have
// (the event among the recent ones, then the version). So an ordinary
// answer costs one round trip. A step with an effect, or one that writes
// nothing, is decided on a read session as above; a refused guess carries
// the session as it is, so a stale one costs no more than the read.
type Router struct {
	cfg   RouterConfig
	log   *slog.Logger
	now   func() time.Time
	locks [lockStripes]sync.Mutex
	// last holds, per lock stripe (and guarded by its mutex), the session
	// the stripe's last step left behind: its respondent, version and
	// sealed data, as they are in Redis. The next step of the same person
	// starts from it instead of reading, and commits with CommitGuess:
	// one round trip for an ordinary step instead of two (see step).
	last [lockStripes]known
}

// known is a session as a step of this process left it: what Redis held
// then. Sealed, as in Redis: nothing of it is readable without the key.
type known struct {
	pid     string
	version int64
	data    []byte
}

// start is what a step begins from instead of reading the session: a
// session this process knew (guess: it may have changed since, through
// another replica, an expiry or a failover), or one a refused
// CommitGuess has just read (then as good as LoadSession's answer).
type start struct {
	data    []byte
	version int64
	dup     bool
	guess   bool
}

// errGuess: a step begun from a guessed session came to something a
// commit cannot confirm before it happens (an effect on the counters, an
// answer with no commit): it is re-run from a read session.
var errGuess = errors.New("router: guessed session not confirmed")

// NewRouter returns a Router.
func NewRouter(cfg RouterConfig) *Router {
	r := &Router{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("component", "router")
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

const maxAttempts = 8

// Handle implements Handler.
func (r *Router) Handle(ctx context.Context, ev Event) (Response, error) {
	start := r.now()
	resp, outcome, err := r.handle(ctx, ev)
	r.cfg.Metrics.observe(ev.Platform, outcome, len(resp.Messages), err, r.now().Sub(start))
	return resp, err
}

func (r *Router) handle(ctx context.Context, ev Event) (Response, string, error) {
	if !ev.Private {
		return r.groupInvite(ev), "group", nil
	}
	pid := r.cfg.Keys.Respondent(ev.Platform, ev.User)
	if r.cfg.Commands != nil && ev.Kind == KindCommand {
		resp, ok, err := r.cfg.Commands.HandleCommand(ctx, ev, pid, r.lang("", ev.Locale))
		if err != nil {
			return Response{}, "error", err
		}
		if ok {
			return resp, "command", nil
		}
	}
	if ev.Kind == KindCommand && ev.Command == "results" {
		// Read-only: no session is touched.
		resp, err := r.publishedResults(ctx, ev, r.lang("", ev.Locale))
		if err != nil {
			return Response{}, "error", err
		}
		return resp, "results", nil
	}
	var eventKey string
	if ev.ID != "" {
		eventKey = r.cfg.Keys.Event(ev.Platform, ev.ID)
	}
	stripe := lockIndex(pid)
	mu := &r.locks[stripe]
	mu.Lock()
	defer mu.Unlock()

	// The session this process last left for this person, if the stripe
	// still holds it. It is taken out: only a step that ends knowing the
	// session as it is puts one back (remember).
	var from *start
	if last := &r.last[stripe]; last.pid == pid {
		from = &start{data: last.data, version: last.version, guess: true}
		*last = known{}
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		resp, outcome, found, err := r.step(ctx, ev, pid, eventKey, from)
		from = nil
		switch {
		case errors.Is(err, errGuess):
			continue // read, and decide again
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrDuplicate):
			// Another replica stepped this respondent, or handled this very
			// event, since we read: decide again on the session as it is
			// (read with the refusal when the commit was a guess).
			from = found
			continue
		case err != nil:
			r.log.Warn("step failed", "respondent", short(pid), "err", err)
			return Response{}, "error", err
		}
		return resp, outcome, nil
	}
	return Response{}, "error", fmt.Errorf("router: session of %s kept changing", short(pid))
}

// step runs one attempt: read, step, effects, commit. It begins from
// from instead of reading when from is not nil. A step begun from a guess
// (see Router.last) goes on only as far as a compare-and-set of the
// session can confirm: to a commit with no effect before it; anything
// else (an effect on the counters, a refusal, an answer that writes
// nothing) returns errGuess before any effect or metric, and the step is
// run again from a read. The commit itself checks what the read would
// have: whether the event is among the session's recent ones, then the
// version. So a guessed step that commits is the step a read would have
// made, and one that does not commit changed nothing.
//
// A step that ends knowing the session as it is remembers it. On
// ErrConflict or ErrDuplicate, found is the session as the refused guess
// found it (nil after a read: read again).
func (r *Router) step(ctx context.Context, ev Event, pid, eventKey string, from *start) (resp Response, outcome string, found *start, err error) {
	var data []byte
	var version int64
	var dup, guess bool
	if from != nil {
		data, version, dup, guess = from.data, from.version, from.dup, from.guess
	} else if data, version, dup, err = r.cfg.Store.LoadSession(ctx, pid, eventKey); err != nil {
		return Response{}, "", nil, fmt.Errorf("router: load session: %w", err)
	}
	return r.stepFrom(ctx, ev, pid, eventKey, data, version, dup, guess)
}

func (r *Router) stepFrom(ctx context.Context, ev Event, pid, eventKey string, data []byte, version int64, dup, guess bool) (Response, string, *start, error) {
	var err error
	var sess *session
	var plain []byte
	if data != nil {
		sess = new(session)
		plain, err = r.cfg.Keys.Open(pid, data)
		if err == nil {
			var n int
			n, err = decodeSession(plain, sess)
			plain = plain[:n]
		}
		if err != nil && guess {
			return Response{}, "", nil, errGuess
		}
		if err != nil {
			// A session we cannot read (a changed secret) is dropped rather
			// than trapping the respondent; nothing in it was counted yet.
			r.log.Error("unreadable session dropped", "respondent", short(pid), "err", err)
			sess = nil
		}
	}
	if sess != nil {
		// The decoded session is this attempt's alone: nothing the step
		// returns or keeps (the response, the remembered session, which is
		// sealed bytes) refers to its answers map once it is done.
		defer putAnswers(sess.State.Answers)
	}
	script := (*dialogs.Script)(nil)
	if sess != nil {
		script = r.cfg.Catalog.Get(sess.Consultation)
	}
	if dup {
		resp := r.duplicate(ev, sess, script)
		if sess != nil && len(resp.Messages) > 0 {
			// The prompt shown again is the one the last commit showed.
			resp.Consultation, resp.Step = sess.Consultation, r.stepKey(pid, version)
			r.remember(pid, version, data)
		}
		return resp, "duplicate", nil, nil
	}
	if sess == nil {
		resp, outcome, err := r.noSession(ctx, ev, pid, eventKey, version)
		resp.Dialog = DialogNone
		if outcome == "begin" {
			resp.Dialog = DialogOpen
		}
		return resp, outcome, nil, err
	}
	if guess && (script == nil || sess.State.Valid(script) != nil) {
		return Response{}, "", nil, errGuess
	}
	if script == nil || sess.State.Valid(script) != nil {
		// The script was removed or changed under the session: end it
		// politely; nothing was counted for it beyond "started".
		lang := r.lang(sess.State.Lang, ev.Locale)
		if err := r.cfg.Store.SaveSession(ctx, pid, version, nil, eventKey); err != nil {
			return Response{}, "", nil, err
		}
		resp := textResponse(lang, dialogs.UI(lang, "closed"))
		resp.Dialog = DialogNone
		return resp, "script_gone", nil, nil
	}

	var res dialogs.Result
	switch {
	case ev.Kind == KindCommand && (ev.Command == "start" || ev.Command == "report"):
		// /start during a session re-asks the current question; it never
		// starts over.
		res = dialogs.Resume(script, sess.State)
	default:
		in, ok := toInput(ev)
		if !ok && guess {
			return Response{}, "", nil, errGuess
		}
		if !ok {
			lang := r.lang(sess.State.Lang, ev.Locale)
			resp := textResponse(lang, dialogs.UI(lang, "unknown_command"))
			resp.Dialog = DialogOpen
			r.remember(pid, version, data)
			return resp, "refused", nil, nil
		}
		// sess.State was decoded for this step alone: its answers may be
		// changed in place (only its phase and language are read after).
		res = dialogs.Step(script, sess.State.GivenUp(), in)
	}

	if guess && !confirmable(res) {
		return Response{}, "", nil, errGuess
	}

	resp := Response{Messages: r.messages(res.Replies), Consultation: sess.Consultation, Dialog: DialogOpen}
	if res.Ended {
		resp.Dialog = DialogNone
	}
	if res.Refusal != "" {
		r.cfg.Metrics.refusal(res.Refusal)
		if res.Refusal == "stale" && ev.Kind == KindButton {
			lang := r.lang(sess.State.Lang, ev.Locale)
			stale := Response{Notice: dialogs.UI(lang, "already_answered"), Dialog: DialogOpen}
			if sess.State.Version != script.Version {
				// The script was reloaded under the session: the buttons on
				// screen belong to the old version. Show the current
				// question again with the new version's buttons.
				stale.Messages = r.messages(dialogs.Resume(script, sess.State).Replies)
			}
			r.remember(pid, version, data)
			return stale, "stale", nil, nil
		}
		r.remember(pid, version, data)
		return resp, "refused", nil, nil
	}

	next := *sess
	next.State = scrubbed(script, res.State)
	outcome := "step"
	for _, eff := range res.Effects {
		switch eff.Kind {
		case dialogs.EffectStarted:
			if err := r.bump(ctx, script.ID, sess.Nonce, "started", ""); err != nil {
				return Response{}, "", nil, err
			}
			outcome = "started"
		case dialogs.EffectDeclined:
			if err := r.bump(ctx, script.ID, sess.Nonce, "declined", eventKey); err != nil {
				return Response{}, "", nil, err
			}
			outcome = "declined"
		case dialogs.EffectStopped:
			if sess.State.Phase == dialogs.PhaseQuestion {
				if err := r.bump(ctx, script.ID, sess.Nonce, "quit", "", "started"); err != nil {
					return Response{}, "", nil, err
				}
			}
			// /stop leaves no trace: no confirmation, the whole
			// conversation erased, the /stop message included.
			resp.Messages = nil
			resp.Erase = &Erase{From: sess.TrailFrom, To: ev.MessageRef}
			outcome = "stopped"
		case dialogs.EffectCompleted:
			if err := r.complete(ctx, script, sess, ev, eff.Answers, eventKey); err != nil {
				key, ok := completionRefused(err)
				if !ok {
					return Response{}, "", nil, err
				}
				// Refused at the end: nothing counted, the session ends,
				// and the person is told why.
				lang := r.lang(sess.State.Lang, ev.Locale)
				resp = textResponse(lang, accessText(lang, key))
				outcome = "limited"
				break
			}
			outcome = "completed"
		case dialogs.EffectErase:
			from := sess.LastRef
			if from == "" {
				from = sess.TrailFrom
			}
			resp.Erase = &Erase{From: from, To: ev.MessageRef}
		}
	}
	if ev.MessageRef != "" && ev.Kind != KindButton {
		next.LastRef = ev.MessageRef
	}

	resp.Ended = res.Ended
	var newData []byte
	if !res.Ended {
		buf := getPlainBuf()
		newPlain := encodeSession(*buf, &next)
		if string(newPlain) == string(plain) && eventKey == "" {
			putPlainBuf(buf, newPlain)
			if guess {
				return Response{}, "", nil, errGuess // nothing to commit: nothing confirms
			}
			r.remember(pid, version, data)
			return resp, outcome, nil, nil // nothing changed, nothing to record
		}
		newPlain = padded(newPlain)
		newData = r.cfg.Keys.Seal(pid, newPlain)
		putPlainBuf(buf, newPlain)
	}
	var nv int64
	if guess {
		var f store.Found
		nv, f, err = r.cfg.Store.CommitGuess(ctx, pid, version, newData, eventKey)
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrDuplicate) {
			return Response{}, "", &start{data: f.Data, version: f.Version, dup: f.Dup}, err
		}
	} else {
		nv, err = r.cfg.Store.CommitSession(ctx, pid, version, newData, eventKey)
	}
	if err != nil {
		return Response{}, "", nil, err
	}
	resp.Consultation, resp.Step = sess.Consultation, r.stepKey(pid, nv)
	if newData != nil {
		r.remember(pid, nv, newData)
	}
	return resp, outcome, nil, nil
}

// confirmable reports whether a step's result can be committed on a
// guessed session: one the compare-and-set alone makes good, with no
// effect to make durable before it (counting a start, a completion, a
// withdrawal) and no refusal (which writes nothing, so nothing would
// confirm the session it was decided on).
func confirmable(res dialogs.Result) bool {
	if res.Refusal != "" {
		return false
	}
	for _, eff := range res.Effects {
		if eff.Kind != dialogs.EffectErase {
			return false
		}
	}
	return true
}

// remember records the session a step of pid leaves in Redis (see
// Router.last). The caller holds pid's stripe lock.
func (r *Router) remember(pid string, version int64, data []byte) {
	r.last[lockIndex(pid)] = known{pid: pid, version: version, data: data}
}

// noSession handles an event from a respondent with no session.
func (r *Router) noSession(ctx context.Context, ev Event, pid, eventKey string, version int64) (Response, string, error) {
	lang := r.lang("", ev.Locale)
	switch {
	case ev.Kind == KindCommand && ev.Command == "start":
		if code, ok := r.codeIn(ev.Arg); ok {
			return r.redeem(ctx, ev, pid, eventKey, version, code)
		}
		id := strings.TrimSpace(ev.Arg)
		if id == "" {
			id = r.defaultConsultation()
		}
		return r.begin(ctx, ev, pid, eventKey, version, id, dialogs.KindConsultation, "")
	case ev.Kind == KindCommand && ev.Command == "report":
		id := strings.TrimSpace(ev.Arg)
		if id == "" {
			id = r.defaultReport()
		}
		return r.begin(ctx, ev, pid, eventKey, version, id, dialogs.KindReport, "")
	case ev.Kind == KindCommand && ev.Command == "stop", ev.Kind == KindText && r.isSafeWord(ev.Text):
		// Nothing to end, but the person wants the conversation gone, and
		// a reply would only leave a trace.
		return Response{Erase: &Erase{To: ev.MessageRef}}, "stopped", nil
	case ev.Kind == KindText && !r.isSafeWord(ev.Text) && r.isCode(ev.Text):
		code, _ := r.codeIn(ev.Text)
		return r.redeem(ctx, ev, pid, eventKey, version, code)
	case ev.Kind == KindCommand && ev.Command == "help":
		return textResponse(lang, dialogs.UI(lang, "help")), "help", nil
	}
	// Nothing of an ended dialog stays with the person, not even its
	// events; the event that ended it is remembered, unlinked, with the
	// consultation, so the platform re-delivering it gets the silence a
	// duplicate gets, not a "send /start" hint. A dialog ends on a typed
	// answer or on a command (SKIP of the last question, an SMS keyword),
	// and a button may end it too: each is checked. One round trip, only
	// for someone without a session.
	if ended, err := r.cfg.Store.Ended(ctx, r.cfg.Catalog.IDs(), eventKey); err != nil {
		return Response{}, "", fmt.Errorf("router: ended: %w", err)
	} else if ended {
		return Response{}, "duplicate", nil
	}
	switch {
	case ev.Kind == KindButton:
		// A new press of an old button (a re-delivered press that ended
		// the dialog got silence above) is told it was already answered.
		return Response{Notice: dialogs.UI(lang, "already_answered")}, "stale", nil
	case ev.Kind == KindCommand && (ev.Command == "back" || ev.Command == "skip" || ev.Command == "lang"):
		return textResponse(lang, dialogs.UI(lang, "no_session")), "no_session", nil
	case ev.Kind == KindCommand:
		return textResponse(lang, dialogs.UI(lang, "unknown_command")), "refused", nil
	}
	return textResponse(lang, dialogs.UI(lang, "no_session")), "no_session", nil
}

// begin starts a session of consultation id; code is the normalised
// invite code it was started with, or "".
func (r *Router) begin(ctx context.Context, ev Event, pid, eventKey string, version int64, id, kind, code string) (Response, string, error) {
	lang := r.lang("", ev.Locale)
	script := r.cfg.Catalog.Get(id)
	if script == nil || !validID(id) {
		return textResponse(lang, dialogs.UI(lang, "unknown_consultation")), "unknown", nil
	}
	lang = r.lang(pickLang(script, ev.Locale), ev.Locale)
	// The status and, when the marker needs no invite code, whether the
	// person took part already are read in one round trip.
	var pre *startChecks
	if m, ok := r.plainMarker(ev, script); ok {
		statuses, done, err := r.cfg.Store.StartChecks(ctx, script.ID, m)
		if err != nil {
			return Response{}, "", fmt.Errorf("router: start checks: %w", err)
		}
		pre = &startChecks{statuses: statuses, marker: m, participated: done}
	}
	open, err := r.isOpen(ctx, script, pre)
	if err != nil {
		return Response{}, "", err
	}
	if !open {
		return textResponse(lang, dialogs.UI(lang, "closed")), "closed", nil
	}
	marker, err := r.admit(ctx, ev, script, code, pre)
	if key, ok := completionRefused(err); ok {
		outcome := "refused"
		if key == "already_participated" {
			outcome = "already"
		}
		return textResponse(lang, accessText(lang, key)), outcome, nil
	}
	if err != nil {
		return Response{}, "", err
	}
	res := dialogs.Start(script, ev.Locale)
	sess := session{Consultation: script.ID, Nonce: newNonce(), State: res.State, TrailFrom: ev.MessageRef, LastRef: ev.MessageRef}
	if script.Access == dialogs.AccessInvite {
		sess.Invite = marker
	}
	buf := getPlainBuf()
	plain := padded(encodeSession(*buf, &sess))
	sealed := r.cfg.Keys.Seal(pid, plain)
	putPlainBuf(buf, plain)
	nv, err := r.cfg.Store.CommitSession(ctx, pid, version, sealed, eventKey)
	if err != nil {
		return Response{}, "", err
	}
	r.remember(pid, nv, sealed)
	return Response{Messages: r.messages(res.Replies), Consultation: script.ID, Step: r.stepKey(pid, nv)}, "begin", nil
}

// complete makes a completion durable: counters, scrubbed texts apart,
// the participation marker, all in one idempotent script.
// The event that completed the dialog is remembered with it, so a late
// re-delivery, once the session is gone, is still recognised (Ended).
func (r *Router) complete(ctx context.Context, s *dialogs.Script, sess *session, ev Event, answers dialogs.Answers, eventKey string) error {
	c := store.Completion{
		Consultation: s.ID,
		Key:          sess.Nonce + ":completed",
		// The dialog is past its consent: the key that made "started"
		// idempotent can go, so no trace of this dialog stays with it.
		Forget: []string{sess.Nonce + ":started"},
		Incr:   results.Increments(s, answers, results.Week(r.now())),
		Texts:  results.TextAnswers(s, answers),
	}
	if eventKey != "" {
		c.Remember = []string{eventKey}
	}
	switch {
	case s.Kind != dialogs.KindConsultation:
	case s.Access == dialogs.AccessInvite:
		if sess.Invite == "" {
			// Begun before the script became invite-only: no code, no count.
			return refusal{"invite_needed"}
		}
		c.Participation = sess.Invite
	default:
		c.Participation = r.cfg.Keys.Participation(s.ID, ev.Platform, ev.User)
	}
	if err := r.takeNetwork(ctx, s, ev, eventKey); err != nil {
		return err
	}
	applied, err := r.cfg.Store.Apply(ctx, c)
	if err != nil {
		return fmt.Errorf("router: complete: %w", err)
	}
	if !applied && c.Participation != "" {
		return r.burnt(ctx, s, eventKey)
	}
	return nil
}

// bump counts field once per dialog; forget names earlier bumps of the
// same dialog that can no longer be replayed; a non-empty remember is the
// event that ended the dialog (see complete).
func (r *Router) bump(ctx context.Context, consultation, nonce, field, remember string, forget ...string) error {
	c := store.Completion{Consultation: consultation, Key: nonce + ":" + field, Incr: []string{field}}
	if remember != "" {
		c.Remember = []string{remember}
	}
	for _, f := range forget {
		c.Forget = append(c.Forget, nonce+":"+f)
	}
	_, err := r.cfg.Store.Apply(ctx, c)
	if err != nil {
		return fmt.Errorf("router: count %s: %w", field, err)
	}
	return nil
}

// startChecks are the reads a /start needs, made in one round trip
// (Store.StartChecks).
type startChecks struct {
	statuses     map[string]store.StatusOverride
	marker       string
	participated bool
}

// IsOpen reports whether a consultation takes respondents now; pre, when
// not nil, holds the statuses already read.
func (r *Router) isOpen(ctx context.Context, s *dialogs.Script, pre *startChecks) (bool, error) {
	if s.Kind == dialogs.KindReport {
		return true, nil
	}
	var overrides map[string]store.StatusOverride
	if pre != nil {
		overrides = pre.statuses
	} else {
		var err error
		if overrides, err = r.cfg.Store.Statuses(ctx); err != nil {
			return false, fmt.Errorf("router: statuses: %w", err)
		}
	}
	o := overrides[s.ID]
	return EffectiveStatus(s, o.Status, o.At, r.now()) == StatusOpen, nil
}

func (r *Router) defaultConsultation() string {
	if r.cfg.Default != "" {
		return r.cfg.Default
	}
	for _, s := range r.cfg.Catalog.All() {
		if s.Kind == dialogs.KindConsultation {
			return s.ID
		}
	}
	return ""
}

func (r *Router) defaultReport() string {
	for _, s := range r.cfg.Catalog.All() {
		if s.Kind == dialogs.KindReport {
			return s.ID
		}
	}
	return ""
}

// duplicate answers an event that was handled already. Nothing changes;
// but the first handling's replies may never have reached the person (the
// process died before sending them, or the web chat's response was lost),
// so the current prompt is shown again rather than leaving them stuck.
func (r *Router) duplicate(ev Event, sess *session, script *dialogs.Script) Response {
	if ev.Kind == KindCommand && ev.Command == "stop" || ev.Kind == KindText && r.isSafeWord(ev.Text) {
		// The first handling may have died before the adapter erased the
		// conversation: erasing again is harmless, leaving it is not.
		from := ""
		if sess != nil {
			from = sess.TrailFrom
		}
		return Response{Erase: &Erase{From: from, To: ev.MessageRef}, Dialog: DialogNone}
	}
	resp := Response{Dialog: DialogNone}
	if sess != nil && script != nil && sess.State.Valid(script) == nil {
		resp.Messages = r.messages(dialogs.Resume(script, sess.State).Replies)
		resp.Dialog = DialogOpen
	}
	if ev.Kind == KindButton && len(resp.Messages) == 0 {
		lang := "en"
		if sess != nil {
			lang = sess.State.Lang
		}
		resp.Notice = dialogs.UI(r.lang(lang, ev.Locale), "already_answered")
	}
	return resp
}

// isSafeWord reports whether text is a safe word of any loaded script: a
// person in danger may type it before or after a session, not only during.
func (r *Router) isSafeWord(text string) bool {
	t := strings.TrimSpace(text)
	if t == "" || len(t) > 200 {
		return false
	}
	for _, s := range r.cfg.Catalog.All() {
		for _, w := range s.SafeWords {
			if strings.EqualFold(strings.TrimSpace(w), t) {
				return true
			}
		}
	}
	return false
}

// scrubbed returns st with every typed text answer scrubbed, so a phone
// number or an e-mail address typed into a comment is never stored, not
// even in the session for the minutes before completion.
func scrubbed(s *dialogs.Script, st dialogs.State) dialogs.State {
	var out dialogs.Answers
	for id, a := range st.Answers {
		if a.Text == "" {
			continue
		}
		if q := questionByID(s, id); q == nil || q.Type != dialogs.TypeText {
			continue
		}
		clean := privacy.Scrub(a.Text)
		if clean == a.Text {
			continue
		}
		if out == nil {
			out = make(dialogs.Answers, len(st.Answers))
			for k, v := range st.Answers {
				out[k] = v
			}
		}
		a.Text = clean
		out[id] = a
	}
	if out != nil {
		st.Answers = out
	}
	return st
}

func questionByID(s *dialogs.Script, id string) *dialogs.Question {
	for i := range s.Questions {
		if s.Questions[i].ID == id {
			return &s.Questions[i]
		}
	}
	return nil
}

func (r *Router) groupInvite(ev Event) Response {
	lang := r.lang("", ev.Locale)
	link := ""
	if inv, ok := r.cfg.Inviters[ev.Platform]; ok {
		link, _ = inv.InviteText(r.defaultConsultation())
	}
	return textResponse(lang, dialogs.UI(lang, "group_invite", link))
}

func (r *Router) messages(replies []dialogs.Reply) []Message {
	if len(replies) == 0 {
		return nil
	}
	out := make([]Message, 0, len(replies))
	for _, rp := range replies {
		m := Message{Text: rp.Text, Lang: rp.Lang, ReplaceButtons: rp.ReplaceButtons, TextMax: rp.TextMax,
			Buttons: asButtons(rp.Buttons)}
		out = append(out, m)
	}
	return out
}

// asButtons is the step machine's buttons as the adapters' type, without
// a copy: a reply's buttons are made for that reply alone (dialogs builds
// them on every call), and the two types are the same struct, which the
// conversion below checks at compile time (it does not compile if a field
// is added to one, renamed, retyped or moved). The copy was 8 % of the
// bytes a step allocated.
func asButtons(bs []dialogs.Button) []Button {
	if len(bs) == 0 {
		return nil
	}
	return unsafe.Slice((*Button)(unsafe.Pointer(unsafe.SliceData(bs))), len(bs))
}

var _ = Button(dialogs.Button{}) // identical underlying types: see asButtons

// lang picks the language of router-level messages: the session's, else
// the platform hint if we have UI strings for it, else English.
func (r *Router) lang(sessionLang, locale string) string {
	if sessionLang != "" {
		return sessionLang
	}
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	switch l {
	case "fr", "ar":
		return l
	}
	return "en"
}

func pickLang(s *dialogs.Script, locale string) string {
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	for _, sl := range s.Languages {
		if sl == l {
			return l
		}
	}
	if len(s.Languages) > 0 {
		return s.Languages[0]
	}
	return "en"
}

func toInput(ev Event) (dialogs.Input, bool) {
	switch ev.Kind {
	case KindText:
		return dialogs.Input{Kind: dialogs.InputText, Text: ev.Text}, true
	case KindButton:
		return dialogs.Input{Kind: dialogs.InputButton, Data: ev.Data}, true
	case KindCommand:
		return dialogs.Input{Kind: dialogs.InputCommand, Command: ev.Command, Arg: ev.Arg}, true
	}
	return dialogs.Input{}, false
}

func textResponse(lang, text string) Response {
	return Response{Messages: []Message{{Text: text, Lang: lang}}}
}

// sessionBlock is the size sealed sessions are padded to a multiple of, so
// a dump does not show how many answers each one holds.
const sessionBlock = 256

// plainBufs holds the buffers a session is encoded into before sealing.
// The plaintext lives only until Seal has written its own output (it
// reads its input and keeps none of it), so the buffer goes back at once:
// it was one allocation of 512 bytes a step.
var plainBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2*sessionBlock); return &b }}

func getPlainBuf() *[]byte {
	b := plainBufs.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// putPlainBuf returns buf, now holding used (its grown form), to the pool;
// an unusually large one is left to the collector.
func putPlainBuf(buf *[]byte, used []byte) {
	if cap(used) > 16*sessionBlock {
		return
	}
	clear(used) // no plaintext left lying in a pooled buffer
	*buf = used[:0]
	plainBufs.Put(buf)
}

// padded appends spaces up to the next block (in place when plain has
// the room); the decoder stops at the encoding's last field.
func padded(plain []byte) []byte {
	n := (len(plain)/sessionBlock + 1) * sessionBlock
	for len(plain) < n {
		plain = append(plain, ' ')
	}
	return plain
}

func newNonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// lockStripes is how many mutexes serialise the steps of one
// respondent within a process. Two respondents on one stripe wait for each
// other's whole step, Redis round trips included: with 256 stripes and
// 100 steps in flight, four in ten waited behind a stranger, a tail of
// the latency; with 4096 (32 KiB of mutexes) it is one in forty.
const lockStripes = 4096

// lockIndex is the stripe of pid (FNV-1a; pid is already a keyed hash).
func lockIndex(pid string) int {
	h := uint32(2166136261)
	for i := 0; i < len(pid); i++ {
		h ^= uint32(pid[i])
		h *= 16777619
	}
	return int(h % lockStripes)
}

// stepKey names one committed step of one respondent: the session's
// version is a per-respondent counter that every commit raises (and that
// outlives the session as a tombstone), so (pseudonym, version) is never
// reused. Keyed, so it cannot be tied back to the pseudonym.
func (r *Router) stepKey(pid string, version int64) string {
	// The name is put together on the stack: Keys.Event only hashes it
	// (it keeps no reference), so it needs no string of its own.
	var buf [96]byte
	b := append(buf[:0], pid...)
	b = append(b, ':')
	b = strconv.AppendInt(b, version, 10)
	return r.cfg.Keys.Event("step", unsafe.String(unsafe.SliceData(b), len(b)))
}

// short is the pseudonym's prefix for logs: enough to tell sessions apart,
// useless to find a person.
func short(pid string) string {
	if len(pid) > 8 {
		return pid[:8]
	}
	return pid
}

func validID(id string) bool {
	if id == "" || len(id) > 40 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
