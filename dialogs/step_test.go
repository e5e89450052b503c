package dialogs

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func bundledScript(t testing.TB, id string) *Script {
	t.Helper()
	ss, err := LoadFS(Bundled())
	if err != nil {
		t.Fatalf("bundled scripts: %v", err)
	}
	for _, s := range ss {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no bundled script %q", id)
	return nil
}

func testdataScript(t testing.TB, name string) *Script {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(name, data)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return s
}

// transcript drives a dialog from a list of steps and records what the
// respondent sees, checking the machine's invariants at every step.
type transcript struct {
	t     *testing.T
	s     *Script
	b     strings.Builder
	res   Result
	shown [][]Button // every button set shown, oldest first
}

func (tr *transcript) record(in *Input, prev State, res Result) {
	t := tr.t
	t.Helper()
	if in != nil {
		writeInput(&tr.b, tr.res.Replies, *in)
	}
	writeReplies(&tr.b, res.Replies)
	if err := res.State.validAll(tr.s); err != nil {
		t.Errorf("after %v: state invalid: %v", in, err)
	}
	for _, r := range res.Replies {
		for _, bt := range r.Buttons {
			if len(bt.Data) > 60 {
				t.Errorf("button data %q is %d bytes, want <= 60", bt.Data, len(bt.Data))
			}
		}
		if len(r.Buttons) > 0 {
			tr.shown = append(tr.shown, r.Buttons)
		}
	}
	if res.Refusal != "" {
		got, _ := json.Marshal(res.State)
		want, _ := json.Marshal(prev)
		if string(got) != string(want) {
			t.Errorf("refusal %q changed the state:\n got %s\nwant %s", res.Refusal, got, want)
		}
		fmt.Fprintf(&tr.b, "  => refused: %s\n", res.Refusal)
	}
	for _, e := range res.Effects {
		fmt.Fprintf(&tr.b, "  => effect: %s\n", effectString(e))
	}
	if res.Ended {
		tr.b.WriteString("  => ended\n")
	}
	st := res.State
	fmt.Fprintf(&tr.b, "  (%s", st.Phase)
	if st.Phase == PhaseQuestion {
		fmt.Fprintf(&tr.b, " %s path=%v", tr.s.Questions[st.Q].ID, st.Path)
	}
	fmt.Fprintf(&tr.b, " lang=%s seq=%d)\n", st.Lang, st.Seq)
	tr.res = res
}

func effectString(e Effect) string {
	names := map[EffectKind]string{EffectStarted: "started", EffectDeclined: "declined",
		EffectCompleted: "completed", EffectStopped: "stopped", EffectErase: "erase"}
	s := names[e.Kind]
	if e.Kind == EffectCompleted {
		s += " " + answersString(e.Answers)
	}
	return s
}

func answersString(a Answers) string {
	ids := make([]string, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var parts []string
	for _, id := range ids {
		ans := a[id]
		switch {
		case ans.Skipped:
			parts = append(parts, id+"=(skipped)")
		case len(ans.Options) > 0:
			parts = append(parts, id+"="+strings.Join(ans.Options, ","))
		default:
			parts = append(parts, id+"="+strconv.Quote(ans.Text))
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// current finds a button by label in the last replies (the latest first),
// else in the latest button set shown.
func (tr *transcript) current(label string) Button {
	tr.t.Helper()
	for i := len(tr.res.Replies) - 1; i >= 0; i-- {
		for _, bt := range tr.res.Replies[i].Buttons {
			if bt.Label == label {
				return bt
			}
		}
	}
	if len(tr.shown) > 0 {
		for _, bt := range tr.shown[len(tr.shown)-1] {
			if bt.Label == label {
				return bt
			}
		}
	}
	tr.t.Fatalf("no button %q in the last replies; transcript so far:\n%s", label, tr.b.String())
	return Button{}
}

// old finds a button by label in an earlier button set whose data differs
// from every current button's.
func (tr *transcript) old(label string) Button {
	tr.t.Helper()
	cur := map[string]bool{}
	for _, r := range tr.res.Replies {
		for _, bt := range r.Buttons {
			cur[bt.Data] = true
		}
	}
	for _, set := range tr.shown {
		for _, bt := range set {
			if bt.Label == label && !cur[bt.Data] {
				return bt
			}
		}
	}
	tr.t.Fatalf("no earlier button %q", label)
	return Button{}
}

// run plays steps:
//
//	start:LOCALE   Start
//	resume         Resume
//	press:LABEL    press a button of the last replies
//	old:LABEL      press a button of an earlier prompt
//	data:DATA      press a button with this data
//	type:TEXT      type a message (TEXT may be a Go quoted string)
//	/CMD           a command
func (tr *transcript) run(steps []string) {
	t := tr.t
	for _, step := range steps {
		prev := tr.res.State
		kind, arg, _ := strings.Cut(step, ":")
		var in Input
		switch {
		case kind == "start":
			tr.b.WriteString("-- start " + arg + "\n")
			tr.record(nil, prev, Start(tr.s, arg))
			continue
		case kind == "resume":
			tr.b.WriteString("-- resume\n")
			tr.record(nil, prev, Resume(tr.s, prev))
			continue
		case kind == "press":
			in = Input{Kind: InputButton, Data: tr.current(arg).Data}
		case kind == "old":
			in = Input{Kind: InputButton, Data: tr.old(arg).Data}
		case kind == "data":
			in = Input{Kind: InputButton, Data: arg}
		case kind == "type":
			if u, err := strconv.Unquote(arg); err == nil {
				arg = u
			}
			in = Input{Kind: InputText, Text: arg}
		case strings.HasPrefix(step, "/"):
			in = Input{Kind: InputCommand, Command: step[1:]}
		default:
			t.Fatalf("bad step %q", step)
		}
		before, _ := json.Marshal(prev)
		res := Step(tr.s, prev, in)
		if after, _ := json.Marshal(prev); string(after) != string(before) {
			t.Fatalf("Step modified its input state:\n got %s\nwant %s", after, before)
		}
		tr.record(&in, prev, res)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", path, got)
	}
}

var transcripts = []struct {
	name, script string
	steps        []string
}{
	{"cs-en-complete", "community-safety", []string{
		"start:en-GB", "press:English", "press:I agree",
		"press:North district", "press:A woman or girl", "press:18 to 24",
		"press:An ethnic, religious or language minority", "press:2", "press:1",
		"press:Theft or robbery", "press:Sexual harassment or assault", "press:Done",
		"press:On public transport or at a stop", "press:No",
		"press:Fear of revenge", "press:Shame or fear of being blamed", "press:Done",
		"press:2", "press:1", "press:3", "press:Badly: threats, violence or a bribe asked",
		"press:Street lighting", "press:Protection and support for women and girls", "press:Done",
		`type:"The road to the market has no light.\nWomen walk in groups."`,
	}},
	{"cs-fr-branch-skip", "community-safety", []string{
		"start:fr", "press:Français", "press:J'accepte",
		"press:Villages ruraux", "press:Un homme ou un garçon", "press:Moins de 18 ans",
		"press:Aucun de ces groupes", "press:4", "press:3",
		"press:Rien de tout cela", "press:Terminé",
		"press:4", "press:4", "press:5", "press:Avec respect",
		"press:Des activités et des emplois pour les jeunes", "press:Terminé",
		"press:Passer",
	}},
	{"cs-ar-typed", "community-safety", []string{
		"start:ar-EG", "type:العربية", "type:1",
		"type:وسط المدينة", "type:٤", "type:أفضّل عدم الإجابة", "type:5",
		"type:٣", "type:۲",
		"type:1، 5", "press:في المنزل", "press:نعم، للشرطة",
		"press:3", "press:2", "press:1", "type:6",
		"press:إنارة الشوارع", "press:تم", "/skip",
	}},
	{"cs-back", "community-safety", []string{
		"start:", "press:English", "press:I agree",
		"press:South district", "press:A man or boy",
		"/back", "press:Back", "/back",
		"press:East district", "press:I describe myself another way", "press:55 or older",
		"press:None of these", "press:3", "press:3", "press:Violence at home", "press:Done",
		"press:Back", "press:Done", "press:At home", "press:No", "press:Back", "press:Yes, to the police",
		"press:Back", "press:Back",
	}},
	{"cs-invalid", "community-safety", []string{
		"start:en", "type:Klingon", "press:English",
		"type:maybe", "press:I agree",
		"type:Nowhere", "type:12", "type:\"North\\u0000\"", "type:\"\\xff\\xfe\"",
		"/dance", "/skip", "/back", "/help", "/start",
		"old:English", "data:zzzzz:0", "data:garbage",
		"press:West district",
		"old:West district",
		"press:Prefer not to say", "press:Prefer not to say", "press:Prefer not to say",
		"press:5", "press:5",
		"press:Done", "/skip",
		"press:None of these", "press:Done",
		"press:1", "press:1", "press:1", "press:I have had no contact",
		"press:Faster help when we call", "press:Done",
		"type:" + strconv.Quote(strings.Repeat("a", 1001)),
		"type:" + strconv.Quote(strings.Repeat("é", 2049)),
		"type:   ",
		"type:It is fine here.",
	}},
	{"cs-multi-toggle", "community-safety", []string{
		"start:en", "press:English", "press:I agree",
		"press:North district", "press:A woman or girl", "press:25 to 34", "press:None of these",
		"press:3", "press:2",
		"press:Theft or robbery", "press:Theft or robbery", "press:Done",
		"press:Gangs, drugs or weapons in the street", "press:Theft or robbery",
		"press:Gangs, drugs or weapons in the street", "press:Done", "old:Theft or robbery",
	}},
	{"cs-stop-safe-word", "community-safety", []string{
		"start:fr-CA", "press:Français", "press:J'accepte", "press:Quartier nord",
		"type:  BARAZA arrêt ",
	}},
	{"cs-stop-command", "community-safety", []string{
		"start:en", "/stop",
	}},
	{"cs-more", "community-safety", []string{
		"start:fr", "press:Français", "press:En savoir plus",
		"old:En savoir plus", "type:en savoir plus",
		"/more", "press:J'accepte", "/more", "type:En savoir plus",
	}},
	{"cs-decline", "community-safety", []string{
		"start:ar", "press:العربية", "press:لا، شكرًا",
	}},
	{"cs-lang-switch", "community-safety", []string{
		"start:en", "press:English", "press:I agree", "press:Town centre",
		"/lang", "press:Français", "old:A woman or girl", "press:Une femme ou une fille", "/lang", "press:العربية", "/back",
	}},
	{"small-erase-numbers", "small", []string{
		"start:fr", "/lang", "press:I agree",
		"type:abc", "type:150", "type:-1", "type:1,000", "type:4,5", "/back", "/back", "type:30",
		"press:Dog", "press:Cat", "press:Done",
		"type:7", "press:3",
		"type:pneumonoultramicroscopic", "type:ok",
	}},
	{"small-skip-minor", "small", []string{
		"start:", "type:1", "type:١٢", "press:Skip", "press:Back", "press:Fish", "press:Fish", "press:Done", "type:pineapple",
	}},
	{"report-en", "incident-report", []string{
		"start:en", "press:English", "press:I agree",
		"press:Theft or robbery", "press:Rural villages", "press:Today", "press:No",
		"type:My goat was taken near the well.",
	}},
}

func TestTranscripts(t *testing.T) {
	scripts := map[string]*Script{
		"community-safety": bundledScript(t, "community-safety"),
		"incident-report":  bundledScript(t, "incident-report"),
		"small":            testdataScript(t, "small.yaml"),
	}
	for _, tc := range transcripts {
		t.Run(tc.name, func(t *testing.T) {
			tr := &transcript{t: t, s: scripts[tc.script]}
			tr.run(tc.steps)
			golden(t, tc.name, tr.b.String())
		})
	}
}
