package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baraza/baraza/dialogs"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
	"github.com/xuri/excelize/v2"
)

func TestConsultationPage(t *testing.T) {
	f := newFixture(t)
	_, page := f.signIn(t, official).get("/consultations/town")
	for _, s := range []string{
		"<h1>Safety in town</h1>",
		"32 of 40 people who started completed it (80%).",
		"18 (56%)", // area: shares of the shown answered count
		// South (9) is hidden too: with it shown, East and West (5 together)
		// would each lie in 1..4, narrower than k (the auditor's rule).
		"South: hidden to protect respondents", "East: hidden to protect respondents", "West: hidden to protect respondents",
		"Mean not shown: it needs at least 5 answers and no hidden count.", // safe: 1 and 2 hidden
		"Several answers were allowed",
		"Broken down by: Are you a woman or a man?",
		`<caption id="b-area-gender-c">Where do you live? by Are you a woman or a man?: counts, and share within each group</caption>`,
		"The lamp by the market is broken, call me on [phone]",
		`href="/consultations/town/export.csv"`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(page, "712 345 678") {
		t.Errorf("page shows the planted phone number")
	}
	if n := strings.Count(page, "<svg"); n < 5 {
		t.Errorf("got %d charts, want one per option question", n)
	}
}

func TestNotEnoughResponses(t *testing.T) {
	f := newFixture(t)
	_, page := f.signIn(t, official).get("/consultations/quiet")
	if !strings.Contains(page, "Not enough responses yet.") || !strings.Contains(page, "at least 5 people") {
		t.Errorf("page does not say there are not enough responses")
	}
	for _, s := range []string{"<svg", "a secret comment", "export.csv", "Answered by", "North"} {
		if strings.Contains(page, s) {
			t.Errorf("page with completed < k shows %q", s)
		}
	}
}

func TestPublicPage(t *testing.T) {
	f := newFixture(t)
	res, page := f.browser(t).get("/public/town")
	if res.StatusCode != 200 {
		t.Fatalf("got %d, want 200", res.StatusCode)
	}
	for _, s := range []string{"Published results", "East: hidden to protect respondents", "<svg"} {
		if !strings.Contains(page, s) {
			t.Errorf("public page lacks %q", s)
		}
	}
	for _, s := range []string{"street lights", "Comments", "export.csv", "Sign out", "csrf"} {
		if strings.Contains(page, s) {
			t.Errorf("public page shows %q", s)
		}
	}
}

func TestArabic(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, official)
	_, page := b.get("/consultations/town?lang=ar")
	for _, s := range []string{`<html lang="ar" dir="rtl">`, "أين تسكن؟", "الشرق: مخفي لحماية المشاركين", "نتائج بارازا"} {
		if !strings.Contains(page, s) {
			t.Errorf("Arabic page lacks %q", s)
		}
	}
	// The switcher's choice sticks for the next page.
	_, page = b.get("/")
	if !strings.Contains(page, `dir="rtl"`) {
		t.Errorf("the language choice did not stick")
	}
	_, page = b.get("/?lang=fr")
	if !strings.Contains(page, `<html lang="fr" dir="ltr">`) || !strings.Contains(page, "Consultations") {
		t.Errorf("French page is not French")
	}
}

var reSVG = regexp.MustCompile(`(?s)<svg[^>]*aria-labelledby="(c-[a-z]+)-t[^"]*".*?</svg>`)

// TestChartGolden pins the SVG of the consultation page's charts for the
// fixed answers of the fixture, including hidden counts drawn as "fewer
// than 5" and a complementary-suppressed one.
func TestChartGolden(t *testing.T) {
	f := newFixture(t)
	for _, lang := range []string{"en", "ar"} {
		_, page := f.signIn(t, official).get("/consultations/town?lang=" + lang)
		got := map[string]string{}
		for _, m := range reSVG.FindAllStringSubmatch(page, -1) {
			got[m[1]] = m[0]
		}
		for _, id := range []string{"c-area", "c-safe"} {
			file := filepath.Join("testdata", id+"."+lang+".golden.svg")
			if got[id] == "" {
				t.Fatalf("page has no chart %s", id)
			}
			if *update {
				if err := os.WriteFile(file, []byte(got[id]+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got[id]+"\n" != string(want) {
				t.Errorf("%s (%s):\ngot  %s\nwant %s", id, lang, got[id], want)
			}
		}
	}
}

func p(n int64) *int64 { return &n }

// TestViewRules checks the derived numbers: shares and means only from
// shown numbers, never when their base is hidden.
func TestViewRules(t *testing.T) {
	sum := results.Summary{ID: "x", Title: "X", Status: "open", K: 5, Started: nil, Completed: p(20),
		Questions: []results.Question{
			{ID: "a", Type: "choice", Text: "A", Answered: nil, Options: []results.Option{
				{ID: "1", Label: "one", Count: p(10)}, {ID: "2", Label: "two", Suppressed: true}}},
			{ID: "s", Type: "scale", Text: "S", Answered: p(20), Options: []results.Option{
				{ID: "1", Label: "1", Count: p(10)}, {ID: "2", Label: "2", Count: p(10)}}},
			{ID: "h", Type: "scale", Text: "H", Answered: p(20), Options: []results.Option{
				{ID: "1", Label: "1", Count: p(17)}, {ID: "2", Label: "2", Suppressed: true}}},
			{ID: "seg", Type: "choice", Text: "Seg", Answered: p(20), Options: []results.Option{
				{ID: "x", Label: "X", Count: p(12)}, {ID: "y", Label: "Y", Count: p(8)}}},
		},
		Breakdowns: []results.Breakdown{{Question: "s", By: "seg", Cells: []results.Cell{
			{ByOption: "x", Option: "1", Count: p(6)}, {ByOption: "x", Option: "2", Count: p(6)},
			{ByOption: "y", Option: "1", Suppressed: true}, {ByOption: "y", Option: "2", Suppressed: true}}}},
	}
	v := buildView(sum, nil, "en")
	if !v.Enough || v.StartedShown || v.RateText != tr("en", "rate_hidden") {
		t.Errorf("rate: got enough=%v started shown=%v %q, want the rate hidden", v.Enough, v.StartedShown, v.RateText)
	}
	a := v.Questions[0]
	if a.Chart.Bars[0].Share != "" || a.Chart.Bars[1].Value != "hidden to protect respondents" || a.Chart.Bars[1].Shown {
		t.Errorf("answered hidden: got bars %+v, want no share and the hidden one as fewer than 5", a.Chart.Bars)
	}
	if got := v.Questions[1].Mean; got != "Mean: 1.5 (scale 1 to 2, 20 answers)" {
		t.Errorf("mean: got %q", got)
	}
	if got := v.Questions[2].Mean; got != tr("en", "mean_hidden", 5) {
		t.Errorf("mean with a hidden count: got %q, want hidden", got)
	}
	bd := v.Questions[1].Breakdowns[0]
	if bd.Rows[0].Cells[0].Share != "50%" || bd.Rows[0].Cells[1].Share != "" || bd.Rows[0].Cells[1].Value != "hidden to protect respondents" {
		t.Errorf("breakdown: got %+v, want shares only in the fully shown group", bd.Rows[0].Cells)
	}
	sum.Completed = p(4)
	if v := buildView(sum, nil, "en"); v.Enough || len(v.Questions) != 0 {
		t.Errorf("completed < k: got enough=%v with %d questions, want nothing", v.Enough, len(v.Questions))
	}
	sum.Completed = nil
	if v := buildView(sum, nil, "en"); v.Enough || v.Completed != "hidden to protect respondents" {
		t.Errorf("completed hidden: got enough=%v %q", v.Enough, v.Completed)
	}
}

// TestCommentsNeedKAnswers: comments of a question answered by fewer than
// k people stay hidden even once the consultation has k completions, on
// the page and in the API; town's 6 comments (k=5) are still shown.
func TestCommentsNeedKAnswers(t *testing.T) {
	f := newFixture(t)
	// quiet (k=5) has 3 completions, each with a comment: 2 more without
	// one make 5 completed, but the comment question stays at 3 answers.
	quiet := f.env.Catalog.Get("quiet")
	for i := range 2 {
		a := dialogs.Answers{"area": {Options: []string{"south"}}}
		if _, err := f.env.Store.Apply(context.Background(), store.Completion{Consultation: "quiet",
			Key: fmt.Sprintf("more-%d", i), Incr: results.Increments(quiet, a, "")}); err != nil {
			t.Fatal(err)
		}
	}

	f.env.Release(t)
	_, page := f.signIn(t, official).get("/consultations/quiet")
	if strings.Contains(page, "Not enough responses yet.") {
		t.Fatalf("quiet with 5 completed: page says not enough responses, want results")
	}
	if strings.Contains(page, "a secret comment") {
		t.Errorf("page shows the comments of a question answered by 3 (k=5)")
	}

	texts := func(id string) (enough bool, byQuestion map[string]int) {
		t.Helper()
		res, body := f.api(t, "GET", "/api/v1/consultations/"+id+"/texts", official)
		var out struct {
			Enough    bool `json:"enough"`
			Questions []struct {
				Question string   `json:"question"`
				Texts    []string `json:"texts"`
			} `json:"questions"`
		}
		if err := json.Unmarshal([]byte(body), &out); res.StatusCode != 200 || err != nil {
			t.Fatalf("texts of %s: got %d %v:\n%s", id, res.StatusCode, err, body)
		}
		byQuestion = map[string]int{}
		for _, q := range out.Questions {
			byQuestion[q.Question] = len(q.Texts)
		}
		return out.Enough, byQuestion
	}
	if enough, got := texts("quiet"); !enough || len(got) != 0 {
		t.Errorf("API texts of quiet: got enough=%v %v, want enough=true and no question (story has 3 answers, k=5)", enough, got)
	}
	if _, got := texts("town"); got["story"] != 6 {
		t.Errorf("API texts of town: got %v, want story with 6 (6 answers, k=5)", got)
	}
}

// TestWrap: a chart label is wrapped at spaces, never cut short.
func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want []string
	}{
		{"North", 10, []string{"North"}},
		{"Outskirts and informal settlements", 12, []string{"Outskirts", "and informal", "settlements"}},
		{"Supercalifragilistic word", 5, []string{"Supercalifragilistic", "word"}},
		{"", 5, []string{""}},
	} {
		got := wrap(tc.in, tc.n)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d): got %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if strings.Join(strings.Fields(strings.Join(got, " ")), " ") != strings.Join(strings.Fields(tc.in), " ") {
			t.Errorf("wrap(%q): lost text: %q", tc.in, got)
		}
	}
}

// TestLabelsDP: in a DP release every count reads "≈ N (noise added)", the
// note explains the noise and the ε spent, and nothing says hidden.
func TestLabelsDP(t *testing.T) {
	eps := 0.4
	sum := results.Summary{ID: "x", Title: "X", Status: "open", K: 5, Mode: results.ModeDP, EpsilonSpent: &eps,
		Started: p(30), Completed: p(3), Declined: p(0),
		Questions: []results.Question{
			{ID: "a", Type: "choice", Text: "A", Answered: p(3), Options: []results.Option{
				{ID: "1", Label: "one", Count: p(2)}, {ID: "2", Label: "two", Count: p(1)}}},
			{ID: "seg", Type: "choice", Text: "Seg", Answered: p(3), Options: []results.Option{
				{ID: "x", Label: "X", Count: p(3)}, {ID: "y", Label: "Y", Count: p(0)}}},
		},
		Breakdowns: []results.Breakdown{{Question: "a", By: "seg", Cells: []results.Cell{
			{ByOption: "x", Option: "1", Count: p(2)}, {ByOption: "x", Option: "2", Count: p(1)},
			{ByOption: "y", Option: "1", Count: p(0)}, {ByOption: "y", Option: "2", Count: p(0)}}}},
	}
	v := buildView(sum, nil, "en")
	// Three noisy completions are a release all the same: shown.
	if !v.Enough || !v.DP || v.EpsilonSpent != "0.4" || v.Completed != "≈ 3 (noise added)" {
		t.Fatalf("view: enough %v dp %v ε %q completed %q", v.Enough, v.DP, v.EpsilonSpent, v.Completed)
	}
	bars := v.Questions[0].Chart.Bars
	if bars[0].Value != "≈ 2 (noise added)" || bars[0].mark() != "≈ 2 (67%)" || !bars[0].Shown {
		t.Errorf("bar %+v, mark %q", bars[0], bars[0].mark())
	}
	if v.Questions[0].Answered != "Answered by ≈ 3 (noise added)" {
		t.Errorf("answered %q", v.Questions[0].Answered)
	}
	ps, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "fr", "ar"} {
		var b strings.Builder
		v := buildView(sum, nil, lang)
		if err := ps["public"].ExecuteTemplate(&b, "layout", page{Lang: lang, Dir: dir(lang), Title: "X", Body: v}); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		for _, want := range []string{`id="why-noise"`, tr(lang, "noisy", "2"), tr(lang, "public_note_dp"), "0.4"} {
			if !strings.Contains(html, want) {
				t.Errorf("%s: the DP page lacks %q", lang, want)
			}
		}
		for _, bad := range []string{tr(lang, "hidden_label"), `id="why-hidden"`, "fewer than 5", "moins de 5", "أقل من 5"} {
			if strings.Contains(html, bad) {
				t.Errorf("%s: the DP page says %q", lang, bad)
			}
		}
	}
}

// TestLabelsHidden: a hidden count reads "hidden to protect respondents"
// and links to the explanation, whatever its reason; never "fewer than k"
// (false for a count hidden to protect another).
func TestLabelsHidden(t *testing.T) {
	sum := results.Summary{ID: "x", Title: "X", Status: "open", K: 5, Mode: results.ModeSuppress,
		Started: p(30), Completed: p(20), Declined: nil, DeclinedReason: results.ReasonSmall,
		Questions: []results.Question{
			{ID: "a", Type: "choice", Text: "A", Answered: p(20), Options: []results.Option{
				{ID: "1", Label: "one", Count: p(17)}, {ID: "2", Label: "two", Suppressed: true, Reason: results.ReasonSmall},
				{ID: "3", Label: "three", Suppressed: true, Reason: results.ReasonComplementary}}},
			{ID: "seg", Type: "choice", Text: "Seg", Answered: p(20), Options: []results.Option{
				{ID: "x", Label: "X", Count: p(12)}, {ID: "y", Label: "Y", Count: p(8)}}},
		},
		Breakdowns: []results.Breakdown{{Question: "a", By: "seg", Cells: []results.Cell{
			{ByOption: "x", Option: "1", Suppressed: true, Reason: results.ReasonCoarsened}, {ByOption: "x", Option: "2", Suppressed: true, Reason: results.ReasonCoarsened},
			{ByOption: "x", Option: "3", Suppressed: true, Reason: results.ReasonCoarsened},
			{ByOption: "y", Option: "1", Suppressed: true, Reason: results.ReasonCoarsened}, {ByOption: "y", Option: "2", Suppressed: true, Reason: results.ReasonCoarsened},
			{ByOption: "y", Option: "3", Suppressed: true, Reason: results.ReasonCoarsened}}}},
	}
	ps, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "fr", "ar"} {
		var b strings.Builder
		if err := ps["public"].ExecuteTemplate(&b, "layout", page{Lang: lang, Dir: dir(lang), Title: "X", Body: buildView(sum, nil, lang)}); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		link := `<a href="#why-hidden">` + template.HTMLEscapeString(tr(lang, "hidden_label")) + `</a>`
		if n := strings.Count(html, link); n != 6 {
			t.Errorf("%s: %d hidden breakdown cells link to why, want 6", lang, n)
		}
		if !strings.Contains(html, `id="why-hidden"`) {
			t.Errorf("%s: no explanation to link to", lang)
		}
		for _, want := range []string{tr(lang, "hidden"), tr(lang, "why_hidden", 4)} {
			if !strings.Contains(html, template.HTMLEscapeString(want)) {
				t.Errorf("%s: the page lacks %q", lang, want)
			}
		}
		for _, bad := range []string{"fewer than", "moins de 5", "أقل من", tr(lang, "noisy", "")} {
			if strings.Contains(html, bad) {
				t.Errorf("%s: the page says %q", lang, bad)
			}
		}
	}
}

// TestPublicPageDP: a consultation that publishes with differential
// privacy shows its latest release's noisy counts as "≈ N (noise added)",
// the same on every load (noise drawn once per release).
func TestPublicPageDP(t *testing.T) {
	f := newFixture(t)
	dpTown(t, f)
	_, page := f.browser(t).get("/public/town")
	for _, s := range []string{"(noise added)", `id="why-noise"`, "ε = 0.2 spent so far", tr("en", "public_note_dp")} {
		if !strings.Contains(page, template.HTMLEscapeString(s)) && !strings.Contains(page, s) {
			t.Errorf("DP public page lacks %q", s)
		}
	}
	for _, s := range []string{"hidden to protect respondents", "fewer than 5"} {
		if strings.Contains(page, s) {
			t.Errorf("DP public page says %q", s)
		}
	}
	_, again := f.browser(t).get("/public/town")
	if again != page {
		t.Error("a second load of the DP page shows other numbers")
	}
}

// dpTown turns the fixture's town consultation into a DP one and makes a
// DP release of it (5 completions after the seeded release).
func dpTown(t *testing.T, f *fixture) {
	t.Helper()
	town := f.env.Catalog.Get("town")
	eps, err := privacy.ParseEpsilon("1.0")
	if err != nil {
		t.Fatal(err)
	}
	town.DP = &dialogs.DP{Epsilon: eps, Releases: 5, Every: time.Hour}
	ctx := context.Background()
	f.env.Release(t) // the calendar starts: its first release is an hour on
	for i := range 5 {
		a := dialogs.Answers{"area": {Options: []string{"north"}}, "gender": {Options: []string{"woman"}},
			"safe": {Options: []string{"3"}}, "lit": {Options: []string{"3"}}, "incidents": {Options: []string{"none"}}}
		if _, err := f.env.Store.Apply(ctx, store.Completion{Consultation: "town", Key: fmt.Sprintf("dp-%d", i),
			Incr: results.Increments(town, a, "")}); err != nil {
			t.Fatal(err)
		}
	}
	f.env.Advance(time.Hour)
	f.env.Release(t)
}

// TestDPEveryOutput: every output of a DP consultation says that its
// numbers have noise added — the API summary and the JSON export (mode,
// ε spent, the noise's mechanism, ε and size), the CSV (DESIGN.md's
// columns, every count shown, and headers saying the counts have noise
// added, with the release, ε and the noise's sd), the XLSX
// (read-me and count headers), the official page and the public page
// ("≈ N (noise added)" and the explanation) — and none speaks of hidden
// counts.
func TestDPEveryOutput(t *testing.T) {
	f := newFixture(t)
	dpTown(t, f)
	for _, path := range []string{"/api/v1/consultations/town/summary", "/api/v1/consultations/town/export.json"} {
		res, body := f.api(t, "GET", path, official)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		var sum results.Summary
		if err := json.Unmarshal([]byte(body), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Mode != results.ModeDP || sum.EpsilonSpent == nil || *sum.EpsilonSpent != 0.2 || sum.Release < 1 ||
			sum.Noise == nil || sum.Noise.Mechanism != "discrete_laplace" || sum.Noise.Epsilon != 0.2 || sum.Noise.SD <= 0 {
			t.Errorf("%s: mode %q, ε %v, release %d, noise %+v", path, sum.Mode, sum.EpsilonSpent, sum.Release, sum.Noise)
		}
		if strings.Contains(body, `"suppressed": true`) {
			t.Errorf("%s hides a count in DP mode", path)
		}
	}
	res, body := f.api(t, "GET", "/api/v1/consultations/town/export.csv", official)
	if res.StatusCode != 200 {
		t.Fatalf("csv: %d", res.StatusCode)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if len(r) != 8 || r[4] == "" || r[5] != "false" {
			t.Fatalf("CSV row %v of a DP release", r)
		}
	}
	if p := res.Header.Get("X-Baraza-Protection"); !strings.HasPrefix(p, "dp: every count has noise added; epsilon_spent=0.2; noise_sd=") ||
		res.Header.Get("X-Baraza-Release") == "" || res.Header.Get("X-Baraza-Release") == "0" {
		t.Errorf("CSV headers: protection %q, release %q", p, res.Header.Get("X-Baraza-Release"))
	}
	res, body = f.api(t, "GET", "/api/v1/consultations/town/export.xlsx", official)
	if res.StatusCode != 200 {
		t.Fatalf("xlsx: %d", res.StatusCode)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var readme strings.Builder
	rowsX, _ := x.GetRows(x.GetSheetName(0))
	for _, r := range rowsX {
		readme.WriteString(strings.Join(r, "\t") + "\n")
	}
	area, _ := x.GetRows("area")
	for _, want := range []string{"differential privacy", "Every count in this file has random noise added", "ε spent by this release\t0.2", "Typical size of the noise"} {
		if !strings.Contains(readme.String(), want) {
			t.Errorf("XLSX read-me lacks %q:\n%s", want, readme.String())
		}
	}
	if len(area) < 4 || !strings.Contains(strings.Join(area[3], "\t"), "Count (noise added)") {
		t.Errorf("XLSX area sheet: %v", area)
	}
	b := f.signIn(t, official)
	for _, path := range []string{"/consultations/town", "/public/town"} {
		_, page := b.get(path)
		for _, s := range []string{"(noise added)", `id="why-noise"`, "ε = 0.2 spent so far"} {
			if !strings.Contains(page, template.HTMLEscapeString(s)) && !strings.Contains(page, s) {
				t.Errorf("%s lacks %q", path, s)
			}
		}
		if strings.Contains(page, "hidden to protect respondents") {
			t.Errorf("%s speaks of hidden counts in DP mode", path)
		}
	}
}

// TestDPPageBeforeFirstRelease: a DP consultation's page before its first
// release says when that release is due on its calendar, not "once k
// people have completed".
func TestDPPageBeforeFirstRelease(t *testing.T) {
	f := newFixture(t)
	quiet := f.env.Catalog.Get("quiet")
	eps, err := privacy.ParseEpsilon("1.0")
	if err != nil {
		t.Fatal(err)
	}
	quiet.Publish, quiet.DP = true, &dialogs.DP{Epsilon: eps, Releases: 5, Every: time.Hour}
	f.env.Release(t)
	_, page := f.browser(t).get("/public/quiet")
	for _, s := range []string{"Results are published on a fixed schedule", "The first release is due on "} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(page, "Results appear once at least") {
		t.Error("a DP page before its first release speaks of k completions")
	}
}
