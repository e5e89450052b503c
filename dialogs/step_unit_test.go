package dialogs

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// press returns the input pressing the button labelled label in r.
func press(t testing.TB, r Result, label string) Input {
	t.Helper()
	for _, rep := range r.Replies {
		for _, b := range rep.Buttons {
			if b.Label == label {
				return Input{Kind: InputButton, Data: b.Data}
			}
		}
	}
	t.Fatalf("no button %q", label)
	return Input{}
}

func mustStep(t testing.TB, s *Script, r Result, in Input) Result {
	t.Helper()
	next := Step(s, r.State, in)
	if next.Refusal != "" {
		t.Fatalf("input %+v refused (%s): %s", in, next.Refusal, next.Replies[0].Text)
	}
	return next
}

func TestMultiToggle(t *testing.T) {
	s := testdataScript(t, "small.yaml")
	r := Start(s, "")
	r = mustStep(t, s, r, press(t, r, "I agree"))
	r = mustStep(t, s, r, Input{Kind: InputText, Text: "30"})
	seq := r.State.Seq
	dog := press(t, r, "Dog")

	on := mustStep(t, s, r, dog)
	if on.State.Seq != seq {
		t.Errorf("toggle changed Seq from %d to %d", seq, on.State.Seq)
	}
	if got := on.State.Pending; len(got) != 1 || got[0] != "dog" {
		t.Errorf("pending = %v, want [dog]", got)
	}
	if len(on.Replies) != 1 || !on.Replies[0].ReplaceButtons {
		t.Fatalf("toggle replies %+v, want one reply replacing buttons", on.Replies)
	}
	if b := on.Replies[0].Buttons[1]; b.Label != "Dog" || !b.Selected {
		t.Errorf("button %+v, want Dog selected", b)
	}
	// The same button (same data) pressed again toggles back.
	off := mustStep(t, s, on, dog)
	if len(off.State.Pending) != 0 || off.Replies[0].Buttons[1].Selected {
		t.Errorf("second press: pending %v, selected %v, want none", off.State.Pending, off.Replies[0].Buttons[1].Selected)
	}
	// Toggle order does not matter: pending stays in option order.
	both := mustStep(t, s, mustStep(t, s, r, press(t, r, "Fish")), press(t, r, "Cat"))
	if got := strings.Join(both.State.Pending, ","); got != "cat,fish" {
		t.Errorf("pending %s, want cat,fish", got)
	}
	done := mustStep(t, s, both, press(t, both, "Done"))
	if got := done.State.Answers["pets"].Options; strings.Join(got, ",") != "cat,fish" {
		t.Errorf("answer %v, want [cat fish]", got)
	}
	if done.State.Seq != seq+1 {
		t.Errorf("Seq after Done = %d, want %d", done.State.Seq, seq+1)
	}
}

func TestCompletion(t *testing.T) {
	s := testdataScript(t, "small.yaml")
	r := Start(s, "")
	r = mustStep(t, s, r, Input{Kind: InputText, Text: "I AGREE"})
	if len(r.Effects) != 1 || r.Effects[0].Kind != EffectStarted {
		t.Fatalf("effects %+v, want started", r.Effects)
	}
	r = mustStep(t, s, r, Input{Kind: InputText, Text: "۱۷"}) // Eastern Arabic-Indic 17
	r = mustStep(t, s, r, Input{Kind: InputText, Text: "2"})  // Dog, typed by number
	r = mustStep(t, s, r, Input{Kind: InputText, Text: "0"})  // scale label 0, not option number
	if got := r.Replies[0].Text; got != "One word?\n(type your answer)" {
		t.Errorf("minor skipped the adults note? got %q", got)
	}
	r = mustStep(t, s, r, Input{Kind: InputText, Text: "  calm \n"})
	if !r.Ended || r.State.Phase != PhaseDone || len(r.State.Answers) != 0 {
		t.Fatalf("ended %v phase %s answers %v, want ended, done, none kept", r.Ended, r.State.Phase, r.State.Answers)
	}
	kinds := []EffectKind{}
	for _, e := range r.Effects {
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) != 2 || kinds[0] != EffectErase || kinds[1] != EffectCompleted {
		t.Fatalf("effects %v, want erase then completed", kinds)
	}
	got := answersString(r.Effects[1].Answers)
	if want := `{age="17" dogs=0 pets=dog word="calm"}`; got != want {
		t.Errorf("answers %s, want %s", got, want)
	}
}

func TestStopAndSafeWordAlwaysWork(t *testing.T) {
	s := bundledScript(t, "community-safety")
	states := []State{
		Start(s, "").State,
		{Script: s.ID, Phase: "bogus"},         // invalid
		{Script: "other", Phase: PhaseConsent}, // another script
	}
	for _, st := range states {
		for _, in := range []Input{{Kind: InputCommand, Command: "STOP"}, {Kind: InputText, Text: " Baraza Stop "}} {
			r := Step(s, st, in)
			if !r.Ended || len(r.Effects) != 1 || r.Effects[0].Kind != EffectStopped || r.State.Phase != PhaseDone {
				t.Errorf("%+v on %+v: ended %v effects %+v phase %s, want stopped", in, st, r.Ended, r.Effects, r.State.Phase)
			}
			if err := r.State.validAll(s); err != nil {
				t.Errorf("state after stop invalid: %v", err)
			}
		}
	}
}

func TestInvalidStateRestarts(t *testing.T) {
	s := bundledScript(t, "community-safety")
	st := State{Script: s.ID, Version: 1, Lang: "fr", Phase: PhaseQuestion, Q: 99}
	if err := st.Valid(s); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Valid = %v, want ErrInvalidState", err)
	}
	r := Step(s, st, Input{Kind: InputText, Text: "1"})
	if r.State.Phase != PhaseLanguage || r.State.Lang != "fr" {
		t.Errorf("got phase %s lang %s, want a fresh start in fr", r.State.Phase, r.State.Lang)
	}
}

func TestValid(t *testing.T) {
	s := testdataScript(t, "small.yaml")
	ok := State{Script: "small", Lang: "en", Phase: PhaseQuestion, Q: 2, Path: []int{1},
		Answers: Answers{"age": {Text: "3"}}, Pending: []string{"cat"}}
	if err := ok.Valid(s); err != nil {
		t.Fatalf("valid state refused: %v", err)
	}
	mod := func(f func(*State)) State {
		st := ok
		st.Answers = Answers{"age": {Text: "3"}}
		f(&st)
		return st
	}
	bad := map[string]State{
		"other script":      mod(func(st *State) { st.Script = "x" }),
		"unknown language":  mod(func(st *State) { st.Lang = "fr" }),
		"unknown phase":     mod(func(st *State) { st.Phase = "x" }),
		"q out of range":    mod(func(st *State) { st.Q = 6 }),
		"negative q":        mod(func(st *State) { st.Q = -1 }),
		"resting on info":   mod(func(st *State) { st.Q = 0; st.Path = nil; st.Answers = nil; st.Pending = nil }),
		"path after q":      mod(func(st *State) { st.Path = []int{1, 3} }),
		"path unanswered":   mod(func(st *State) { st.Answers = nil }),
		"answer off path":   mod(func(st *State) { st.Answers["word"] = Answer{Text: "x"} }),
		"unknown option":    mod(func(st *State) { st.Pending = []string{"cow"} }),
		"pending twice":     mod(func(st *State) { st.Pending = []string{"cat", "cat"} }),
		"options in number": mod(func(st *State) { st.Answers["age"] = Answer{Options: []string{"cat"}} }),
		"progress in consent": mod(func(st *State) {
			st.Phase = PhaseConsent
		}),
	}
	for name, st := range bad {
		if err := st.validAll(s); err == nil {
			t.Errorf("%s: validAll = nil, want an error", name)
		}
	}
}

func TestToken(t *testing.T) {
	s := &Script{ID: "community-safety", Version: 1}
	re := regexp.MustCompile(`^[a-z0-9]{5}$`)
	seen := map[string]bool{}
	for seq := uint32(0); seq < 1000; seq++ {
		tok := token(s, seq)
		if !re.MatchString(tok) {
			t.Fatalf("token %q, want 5 of [a-z0-9]", tok)
		}
		if tok != token(s, seq) {
			t.Fatal("token is not deterministic")
		}
		seen[tok] = true
	}
	if len(seen) < 999 {
		t.Errorf("%d distinct tokens for 1000 seqs", len(seen))
	}
	if token(s, 7) == token(&Script{ID: "community-safety", Version: 2}, 7) ||
		token(s, 7) == token(&Script{ID: "incident-report", Version: 1}, 7) {
		t.Error("token ignores the script version or id")
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"12", "12", true}, {"-3", "-3", true}, {"3.5", "3.5", true}, {"3,5", "3.5", true},
		{" 42 ", "42", true}, {"+7", "7", true}, {"-0", "0", true}, {"007", "7", true},
		{"٤٢", "42", true}, {"۱۲٫۵", "12.5", true}, {"−4", "-4", true},
		{"", "", false}, {"abc", "", false}, {"1,000", "", false}, {"1.2.3", "", false},
		{"1e5", "", false}, {"NaN", "", false}, {"Inf", "", false}, {".5", "", false},
		{"5.", "", false}, {"--5", "", false}, {"12 years", "", false}, {"0x10", "", false},
		{strings.Repeat("9", 40), "", false},
	}
	for _, tc := range tests {
		got, _, ok := parseNumber(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseNumber(%q) = %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRefusalKeepsStateByteIdentical(t *testing.T) {
	s := bundledScript(t, "community-safety")
	r := Start(s, "")
	r = mustStep(t, s, r, press(t, r, "English"))
	r = mustStep(t, s, r, press(t, r, "I agree"))
	before, _ := json.Marshal(r.State)
	for _, in := range []Input{
		{Kind: InputText, Text: "nope"},
		{Kind: InputButton, Data: "aaaaa:0"},
		{Kind: InputButton, Data: token(s, r.State.Seq) + ":99"},
		{Kind: InputButton, Data: token(s, r.State.Seq) + ":d"},
		{Kind: InputButton, Data: token(s, r.State.Seq) + ":y"},
		{Kind: InputButton, Data: token(s, r.State.Seq) + ":lde"},
		{Kind: InputButton, Data: token(s, r.State.Seq) + ":01"},
		{Kind: InputCommand, Command: "skip"},
		{Kind: InputCommand, Command: "frobnicate"},
		{Kind: InputText, Text: strings.Repeat("x", MaxInput+1)},
		{Kind: 42},
	} {
		got := Step(s, r.State, in)
		if got.Refusal == "" {
			t.Errorf("%+v accepted, want refused", in)
		}
		after, _ := json.Marshal(got.State)
		if string(after) != string(before) {
			t.Errorf("%+v changed the state: %s, want %s", in, after, before)
		}
		if len(got.Replies) == 0 || got.Replies[0].Lang != "en" {
			t.Errorf("%+v: replies %+v, want an explanation in en", in, got.Replies)
		}
	}
}

func TestUIComplete(t *testing.T) {
	for key := range uiStrings["en"] {
		for _, l := range []string{"fr", "ar"} {
			if _, ok := uiStrings[l][key]; !ok {
				t.Errorf("UI key %q has no %s translation", key, l)
			}
		}
	}
	for l, m := range uiStrings {
		for key := range m {
			if _, ok := uiStrings["en"][key]; !ok {
				t.Errorf("UI key %q in %s is not in en", key, l)
			}
		}
	}
	tests := []struct{ lang, key, want string }{
		{"fr-CA", "done", "Terminé"},
		{"ar", "done", "تم"},
		{"sw", "done", "Done"},
		{"en", "closed", "This consultation is not open right now."},
		{"en", "already_participated", "You have already taken part. Thank you!"},
		{"fr", "language_name", "Français"},
		{"en", "no_such_key", "no_such_key"},
	}
	for _, tc := range tests {
		if got := UI(tc.lang, tc.key); got != tc.want {
			t.Errorf("UI(%s, %s) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
	if got := UI("ar", "group_invite", "https://t.me/x"); !strings.HasSuffix(got, "https://t.me/x") {
		t.Errorf("group_invite = %q, want the link at the end", got)
	}
	if got := UI("fr", "out_of_range", 0, 120); got != "Veuillez taper un nombre entre 0 et 120." {
		t.Errorf("out_of_range = %q", got)
	}
	for _, l := range []string{"en", "fr", "ar"} {
		if h := UI(l, "help"); !strings.Contains(h, "/stop") || !strings.Contains(h, "/report") {
			t.Errorf("help in %s does not list /stop and /report", l)
		}
	}
}

func TestLanguageName(t *testing.T) {
	for code, want := range map[string]string{"en": "English", "fr": "Français", "ar": "العربية",
		"sw": "Kiswahili", "so": "Soomaali", "am": "አማርኛ", "ha": "Hausa", "pt-BR": "Português", "xx": "xx"} {
		if got := LanguageName(code); got != want {
			t.Errorf("LanguageName(%s) = %q, want %q", code, got, want)
		}
	}
}

func TestOpen(t *testing.T) {
	opens := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	closes := opens.AddDate(0, 1, 0)
	c := &Script{Kind: KindConsultation, Opens: opens, Closes: closes}
	for _, tc := range []struct {
		s    *Script
		now  time.Time
		want bool
	}{
		{c, opens.Add(-time.Second), false},
		{c, opens, true},
		{c, closes.Add(-time.Second), true},
		{c, closes, false},
		{&Script{Kind: KindConsultation}, opens, true},
		{&Script{Kind: KindReport, Closes: opens}, closes, true},
	} {
		if got := tc.s.Open(tc.now); got != tc.want {
			t.Errorf("Open(%v) with %v..%v kind %s = %v, want %v", tc.now, tc.s.Opens, tc.s.Closes, tc.s.Kind, got, tc.want)
		}
	}
}
