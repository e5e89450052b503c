package privacy

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Phones, international and local.
		{"kenya intl", "call me on +254 712 345 678 tonight", "call me on [phone] tonight"},
		{"kenya local dashes", "0712-345-678 is mine", "[phone] is mine"},
		{"landline brackets", "office (020) 123 4567.", "office [phone]."},
		{"france intl", "mon numéro: +33 6 12 34 56 78", "mon numéro: [phone]"},
		{"france dots", "appelle le 06.12.34.56.78 !", "appelle le [phone] !"},
		{"arabic-indic", "رقمي ٠٧١٢٣٤٥٦٧٨ شكرا", "رقمي [phone] شكرا"},
		{"extended arabic-indic", "شماره ۰۹۱۲۳۴۵۶۷۸۹", "شماره [phone]"},
		{"plus compact", "+254712345678", "[phone]"},
		{"double zero", "00254712345678", "[phone]"},
		{"spaced dash", "0712 - 345 - 678", "[phone]"},
		// Long digit runs.
		{"id number", "my ID is 12345678", "my ID is [number]"},
		{"six digits", "code 123456 ok", "code [number] ok"},
		{"glued to letters", "ref A1234567B", "ref A[number]B"},
		{"across spaces", "712 345 678", "[number]"},
		{"three small groups", "12 34 56", "[number]"},
		{"seven across two groups", "1000 500", "[number]"},
		// Ordinary numbers stay.
		{"times", "it happened 3 times", "it happened 3 times"},
		{"year", "in 2024 we moved", "in 2024 we moved"},
		{"pm", "at 10pm near the market", "at 10pm near the market"},
		{"time", "at 22:30", "at 22:30"},
		{"year and count", "in 2024 10 people were robbed", "in 2024 10 people were robbed"},
		{"thousands", "they took 100 000 shillings", "they took 100 000 shillings"},
		{"thousands comma", "KSh 1,500,000", "KSh 1,500,000"},
		{"date dots", "le 12.05.2024 au soir", "le 12.05.2024 au soir"},
		{"date iso", "on 2024-05-12", "on 2024-05-12"},
		{"date slash", "on 12/05/2024", "on 12/05/2024"},
		{"not a date", "12-34-5678", "[number]"},
		{"decimal", "3.5 km away", "3.5 km away"},
		{"arabic year", "في عام ٢٠٢٤", "في عام ٢٠٢٤"},
		// E-mail, links, handles.
		{"email", "write to jane.doe+x@example.co.ke please", "write to [email] please"},
		{"email fr", "écrivez à élodie@exemple.fr.", "écrivez à [email]."},
		{"https", "see https://example.com/a?b=1, then", "see [link], then"},
		{"http in parens", "(http://x.org/p)", "([link])"},
		{"tg scheme", "tg://resolve?domain=foo", "[link]"},
		{"www", "www.example.org is down", "[link] is down"},
		{"bare domain", "look at example.com/path now", "look at [link] now"},
		{"bare domain end", "it's on example.com.", "it's on [link]."},
		{"country domain", "nation.co.ke reported it", "[link] reported it"},
		{"short link", "join t.me/somegroup", "join [link]"},
		{"whatsapp link", "wa.me/254712345678", "[link]"},
		{"handle", "ask @john_doe about it", "ask [handle] about it"},
		{"handle start", "@jane said so", "[handle] said so"},
		{"discord mention", "<@123456789012>", "<[handle]>"},
		{"handle ar", "تواصل مع @ahmed_1", "تواصل مع [handle]"},
		// Things that look close but are not.
		{"abbreviation", "e.g. the police, i.e. them", "e.g. the police, i.e. them"},
		{"sentence join", "ok.so then", "ok.so then"},
		{"at sign alone", "meet @ 5", "meet @ 5"},
		{"empty", "", ""},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"several", "Call +33 6 12 34 56 78 or mail a@b.fr, @bob", "Call [phone] or mail [email], [handle]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Scrub(tt.in); got != tt.want {
				t.Errorf("Scrub(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// checkScrubbed reports what is wrong with Scrub's output out, or "".
func checkScrubbed(in, out string) string {
	if !utf8.ValidString(out) {
		return "output is not valid UTF-8"
	}
	if again := Scrub(out); again != out {
		return "not idempotent: second pass gave " + again
	}
	// No run of 6 or more digits survives, nor 7 or more across the
	// separators (a date, the one exception, has 8 digits in 3 groups).
	run, total, groups := 0, 0, 0
	sepRun := 0
	for _, r := range out + "\x00" {
		switch {
		case unicode.IsDigit(r):
			if run == 0 {
				groups++
			}
			run++
			total++
			sepRun = 0
			if run >= 6 {
				return "a run of 6 digits survived"
			}
		case strings.ContainsRune(" \u00a0\u202f\u2009-\u2010\u2011\u2012\u2013.()", r) && total > 0 && sepRun < maxSep:
			run = 0
			sepRun++
		default:
			if total >= 9 || (total >= 7 && groups != 3) {
				return "a sequence of many digits survived"
			}
			run, total, groups, sepRun = 0, 0, 0, 0
		}
	}
	return ""
}

func TestScrubProperties(t *testing.T) {
	for _, in := range []string{
		"1234567www.foo", "a@b@c.com", "@@ab", "x@123456.co", "5 (0712345678",
		"12.05.2024.55", "+(254) 712 345678", "http://", "example.com/123456",
		"1 2 3 4 5 6 7", "٠١٢٣٤٥", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔",
	} {
		if msg := checkScrubbed(in, Scrub(in)); msg != "" {
			t.Errorf("Scrub(%q) = %q: %s", in, Scrub(in), msg)
		}
	}
}

func FuzzScrub(f *testing.F) {
	for _, s := range []string{
		"call +254 712 345 678", "0712-345-678", "(020) 123 4567", "+33 6 12 34 56 78",
		"06.12.34.56.78", "٠٧١٢٣٤٥٦٧٨", "mail a.b@example.com", "https://x.org/a",
		"www.x.org", "example.com/path", "@handle", "in 2024 10 people", "12.05.2024",
		"1234567www.foo", "t.me/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Scrub(in)
		if msg := checkScrubbed(in, out); msg != "" {
			t.Fatalf("Scrub(%q) = %q: %s", in, out, msg)
		}
	})
}

// The checker itself must catch what it looks for.
func TestCheckScrubbedCatches(t *testing.T) {
	for _, out := range []string{"123456", "712 345 678", "a\xffb", "www.x.org"} {
		if checkScrubbed("", out) == "" {
			t.Errorf("checkScrubbed(%q): got no complaint, want one", out)
		}
	}
	if msg := checkScrubbed("", "12.05.2024 and 2024 10"); msg != "" {
		t.Errorf("checkScrubbed(date): got %q, want no complaint", msg)
	}
}

func BenchmarkScrub(b *testing.B) {
	in := "Call me on +254 712 345 678 or mail jane@example.com, see example.org/x and @bob; in 2024 10 people were robbed near the market at 10pm"
	for b.Loop() {
		Scrub(in)
	}
}
