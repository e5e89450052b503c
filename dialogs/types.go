// Package dialogs holds consultation scripts (format, loader, validator),
// the relevant-condition language and the pure step machine
//
//	Step(script, state, input) -> (state, replies, effects)
//
// Nothing here does I/O, so the heart of Baraza is testable and fuzzable
// without Redis or a network.
package dialogs

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/baraza/baraza/internal/privacy"
)

// Kinds of script.
const (
	KindConsultation = "consultation"
	KindReport       = "report" // repeatable, always open, started with /report
)

// Access modes: who may answer a consultation, and how often.
const (
	// AccessOpen: anyone with the link; one response per Telegram or
	// Discord account, and on the web chat per-network limits.
	AccessOpen = "open"
	// AccessInvite: each response needs a one-time invite code.
	AccessInvite = "invite"
	// AccessPlatform: one response per Telegram or Discord account; the
	// web chat, which has no account, is refused.
	AccessPlatform = "platform"
)

// Question types.
const (
	TypeChoice = "choice"
	TypeMulti  = "multi"
	TypeScale  = "scale"
	TypeNumber = "number"
	TypeText   = "text"
	TypeInfo   = "info"
	// Kinds XLSForm brings (see docs/xlsform.md).
	TypeDate        = "date"        // typed, stored as YYYY-MM-DD
	TypeTime        = "time"        // typed, stored as HH:MM
	TypeCalculate   = "calculate"   // never asked: Calculation's value when reached
	TypeAcknowledge = "acknowledge" // one OK button
	TypeRank        = "rank"        // every option pressed in order of preference
	// TypeRepeatEnd closes a repeat: "add another?" (with a cap) goes back
	// to the repeat's first question.
	TypeRepeatEnd = "repeat_end"
)

// Text is a localised string: language code -> text. In YAML a plain
// string stands for the script's default (first) language; the loader
// stores it under that language's code.
type Text map[string]string

// Option is one answer option of a choice or multi question.
type Option struct {
	ID    string `json:"id"`
	Label Text   `json:"label"`
	// Props are the option's other columns (XLSForm choices sheet), which
	// a choice_filter refers to by bare name.
	Props map[string]string `json:"-"`
}

// Question is one step of a script.
type Question struct {
	ID        string
	Type      string
	Text      Text
	Segment   bool // results are broken down by this question
	Optional  bool
	MaxLength int // text: maximum runes (default 1000)
	Min, Max  int // scale: inclusive bounds (default 1..5); number: bounds when HasMin/HasMax
	HasMin    bool
	HasMax    bool
	Options   []Option // choice, multi; for scale the loader fills "1".."5"
	Relevant  string   // the source expression, "" when always relevant
	Line      int      // line in the script file, for error messages

	// Integer refuses decimals in a number question.
	Integer bool
	// Step of a scale (default 1).
	Step int
	// Hint is shown under the text.
	Hint Text
	// Constraint must hold for an answer ("." is the answer); else
	// ConstraintMessage (or a generic message) is shown.
	Constraint        string
	ConstraintMessage Text
	// RequiredMessage is shown when a required question is skipped.
	RequiredMessage Text
	// Default answers a typed question with one press; a multi starts with
	// these options toggled (space-separated ids).
	Default string
	// ReadOnly shows the question with its default or calculated value
	// and asks nothing.
	ReadOnly bool
	// ChoiceFilter keeps the options for which it holds; bare names are
	// the option's Props (cascading selects).
	ChoiceFilter string
	// Calculation is a calculate question's expression.
	Calculation string
	// RepeatFrom (on a repeat_end) is the id of the repeat's first
	// question; Cap bounds the instances, RepeatCount (an expression)
	// fixes their number.
	// The repeat_end's answer is the number of instances finished; a new
	// instance clears the answers of the repeat's questions, so results
	// count each respondent once (their last instance).
	RepeatFrom  string
	Cap         int
	RepeatCount string
	// Sheet is the XLSForm sheet the question came from ("" for YAML).
	Sheet string

	repeat       int  // index of RepeatFrom
	relevant     Expr // parsed once by the loader; nil when always relevant
	constraint   Expr
	choiceFilter Expr
	calculation  Expr
	repeatCount  Expr
	depIdx       []int // questions this one refers to (State.Valid checks them)
	depsDone     bool
}

// Script is a loaded, validated consultation or report script.
type Script struct {
	ID        string
	Version   int
	Kind      string
	Languages []string // the first is the default
	Title     Text
	Intro     Text
	Consent   Text
	Outro     Text
	K         int  // suppression threshold, >= 2 (default from config when 0)
	Publish   bool // /public/{id} shows results
	// DP is set when the script publishes with differential privacy
	// (publish: {mode: dp, epsilon: 1.0}); Publish is then true. Nil: the
	// outputs are protected by audited suppression only.
	DP *DP
	// Access is AccessOpen (the default), AccessInvite or AccessPlatform.
	Access string
	// SafeWords end the session like /stop when sent as a whole message
	// (case-insensitive), in any language.
	SafeWords []string
	// EraseAsYouGo deletes each question and its answer once answered.
	EraseAsYouGo bool
	// Opens and Closes bound when the script takes new respondents; zero
	// means unbounded.
	Opens, Closes time.Time
	Questions     []Question
	// File is where the script was loaded from (for messages).
	File string

	// index maps question id -> position; built by the loader (Index).
	index map[string]int
}

// DP is a script's differential-privacy setting. Epsilon is the whole
// budget: the ε every respondent is promised over all of the
// consultation's releases together (they compose: their ε add up). Each
// release spends PerRelease, an equal share of it; once Releases releases
// have spent it all, a further release is refused and the last one stays
// published.
//
// Every is the period of the release calendar (publish.every): releases
// are made on a schedule fixed in advance, never when enough people have
// answered (that timing would depend on the true count). Zero: the
// consultation's open period (opens to closes) shared by Releases, or
// DefaultDPEvery when it has no closing time (internal/release).
type DP struct {
	Epsilon  privacy.Epsilon
	Releases int
	Every    time.Duration
}

// DefaultDPEvery is the period of a DP consultation's release calendar
// when neither publish.every nor a closing time says.
const DefaultDPEvery = 24 * time.Hour

// MaxDPEvery bounds publish.every.
const MaxDPEvery = 366 * 24 * time.Hour

// ParseEvery reads a calendar period: a Go duration ("12h", "90m") or a
// whole number of days or weeks ("7d", "2w"); at least a minute, at most
// MaxDPEvery, whole minutes.
func ParseEvery(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	var d time.Duration
	switch {
	case strings.HasSuffix(v, "d") || strings.HasSuffix(v, "w"):
		n, err := strconv.Atoi(v[:len(v)-1])
		if err != nil {
			return 0, fmt.Errorf("%q is not a period such as 12h, 7d or 2w", v)
		}
		unit := 24 * time.Hour
		if strings.HasSuffix(v, "w") {
			unit *= 7
		}
		if n < 1 || n > int(MaxDPEvery/unit) {
			return 0, fmt.Errorf("%q: want 1m to 366d", v)
		}
		d = time.Duration(n) * unit
	default:
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, fmt.Errorf("%q is not a period such as 12h, 7d or 2w", v)
		}
	}
	if d < time.Minute || d > MaxDPEvery || d%time.Minute != 0 {
		return 0, fmt.Errorf("%q: want whole minutes, 1m to 366d", v)
	}
	return d, nil
}

// FormatEvery writes d as ParseEvery reads it (days or weeks when whole).
func FormatEvery(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d%(7*day) == 0:
		return strconv.Itoa(int(d/(7*day))) + "w"
	case d%day == 0:
		return strconv.Itoa(int(d/day)) + "d"
	}
	s := strings.TrimSuffix(d.String(), "0s") // "1h30m0s" -> "1h30m"
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m") // "12h0m" -> "12h"
	}
	return s
}

// DefaultDPReleases is how many releases a DP budget is shared by when a
// script does not say.
const DefaultDPReleases = 5

// MaxDPReleases bounds releases: beyond it each release's share is so
// small that its noise drowns every count.
const MaxDPReleases = 100

// PerRelease is the ε each release spends: Epsilon/Releases rounded down
// to the millionth, so that the releases together never exceed Epsilon.
func (d DP) PerRelease() privacy.Epsilon {
	n := int64(max(d.Releases, 1))
	e, _ := privacy.EpsilonFromMicro(d.Epsilon.Micro() / n)
	return e
}

// Expr is a parsed relevant expression.
type Expr interface {
	// Eval evaluates against the answers given so far.
	Eval(a Answers) Value
}

// Value is the result of evaluating an expression: XPath-like, a string,
// a number or a boolean.
type Value struct {
	Kind ValueKind
	Str  string
	Num  float64
	Bool bool
}

// ValueKind tells which field of Value is set.
type ValueKind uint8

const (
	ValString ValueKind = iota
	ValNumber
	ValBool
)

// Answer is a respondent's answer to one question.
// Choice and scale: Options has one id. Multi: the chosen ids in option
// order. Number: Options empty, Text holds the canonical number. Text: Text.
// Skipped: true when an optional question was skipped (Options and Text
// empty).
type Answer struct {
	Options []string `json:"o,omitempty"`
	Text    string   `json:"t,omitempty"`
	Skipped bool     `json:"s,omitempty"`
}

// Answers maps question id -> answer.
type Answers map[string]Answer

// Phase of a session.
type Phase string

const (
	PhaseLanguage Phase = "lang"     // choosing a language
	PhaseConsent  Phase = "consent"  // intro and consent shown
	PhaseQuestion Phase = "question" // answering Questions[State.Q]
	PhaseDone     Phase = "done"     // completed, declined or stopped: the session is deleted
)

// State is one respondent's progress through one script. It is stored in
// Redis (sealed, in the router's compact encoding; see bot/session.go)
// between steps, so it holds no identity of any kind.
type State struct {
	Script  string  `json:"sc"`
	Version int     `json:"v"` // script version the session started on
	Lang    string  `json:"l,omitempty"`
	Phase   Phase   `json:"p"`
	Q       int     `json:"q"` // index into Script.Questions while PhaseQuestion
	Answers Answers `json:"a,omitempty"`
	// Pending holds the toggled options of the current multi question.
	Pending []string `json:"pm,omitempty"`
	// Path is the stack of question indices shown, for /back.
	Path []int `json:"pa,omitempty"`
	// Seq increases each time a new prompt with buttons is shown. Buttons
	// carry a short token derived from (Script, Seq), so a stale or forged
	// button is refused.
	Seq uint32 `json:"n"`

	// owned: the caller will not use this state again, so a step may
	// change its Answers and Path in place (Preview sets it; Step is pure
	// for every other caller).
	owned bool
}

// GivenUp returns st marked as given up by its caller: the caller will
// not look at st's answers, path or pending options again, so the next
// step may change them in place instead of copying them first (a copy
// of the answers was 5 % of the bytes the router allocated per step; it
// decodes a fresh state from the session every time and drops it after).
func (st State) GivenUp() State {
	st.owned = true
	return st
}

// InputKind says what the respondent sent.
type InputKind int

const (
	// InputStart begins a new session (the router calls Start, not Step).
	InputText InputKind = iota + 1
	InputButton
	InputCommand
)

// Input is one respondent action, platform-neutral.
type Input struct {
	Kind    InputKind
	Text    string // InputText
	Data    string // InputButton: the Data of the pressed button
	Command string // InputCommand: "back", "skip", "stop", "help", "lang", "start"
	Arg     string
}

// Button is one button of a Reply.
type Button struct {
	Label    string
	Data     string
	Selected bool
	// Toggle marks a multi-select option: pressing it switches Selected.
	Toggle bool
	Nav    bool
}

// Reply is one message to the respondent.
type Reply struct {
	Text           string
	Buttons        []Button
	Lang           string
	ReplaceButtons bool // multi toggles: update the keyboard in place
	// TextMax > 0: the reply asks for typed text of at most this many
	// characters (a text question); an adapter may offer a form for it.
	TextMax int
}

// EffectKind names something the router must make durable.
type EffectKind int

const (
	// EffectStarted: consent accepted (counts "started").
	EffectStarted EffectKind = iota + 1
	// EffectDeclined: consent refused (counts "declined"); the session ends.
	EffectDeclined
	// EffectCompleted: the last question answered; Answers holds them all.
	// The session ends.
	EffectCompleted
	// EffectStopped: /stop or a safe word; the session ends and the
	// conversation is erased. Counts "quit" when consent had been given.
	EffectStopped
	// EffectErase: erase the last question and its answer (erase_as_you_go).
	EffectErase
)

// Effect is an outcome of a step that the router must store or carry out.
type Effect struct {
	Kind    EffectKind
	Answers Answers // EffectCompleted
}

// Result is the outcome of one step.
type Result struct {
	State   State
	Replies []Reply
	Effects []Effect
	// Refusal is non-empty when the input was refused (invalid answer,
	// stale button, unknown command): the state is unchanged and Replies
	// explain why, in the respondent's language. Values: "invalid",
	// "stale", "unknown", "too_long".
	Refusal string
	// Ended is true when the session is over (completed, declined, stopped)
	// and must be deleted.
	Ended bool
}
