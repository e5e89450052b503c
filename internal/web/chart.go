package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"unicode/utf8"
)

// bar is one row of a horizontal bar chart, already suppressed and
// formatted: a hidden count has Shown false and Value "hidden to protect
// respondents"; a noisy one (DP) has Value "≈ 40 (noise added)".
type bar struct {
	Label string
	Value string  // "40", "0", "hidden to protect respondents" or "≈ 40 (noise added)"
	Short string  // beside a bar in a chart, when Value is long: "hidden", "≈ 40"
	Noisy bool    // the count has noise added (a DP release)
	Share string  // "34%" or "" when the share is not shown
	N     int64   // the shown count (0 when hidden)
	Shown bool    // false: the count is hidden
	Frac  float64 // bar length, 0..1 of the longest shown bar
}

// chart is a horizontal bar chart rendered as SVG on the server.
type chart struct {
	ID    string // unique within the page; used for aria ids
	Title string
	Desc  string
	Bars  []bar
	RTL   bool
}

// Layout of the chart, in SVG user units. The chart is drawn at its own
// width (chartW) and only ever scaled down, never up: a 375 px phone shows
// it at 1:1, so its 13-unit text is 13 px. Each option takes a row: its
// label, wrapped onto as many lines as it needs (never cut short), above
// its bar and count.
const (
	chartW      = 340
	lineH       = 17
	barH        = 16
	rowGap      = 10
	chartPad    = 4
	lineRunes   = 44 // characters of a label line at 13 px in chartW
	hiddenMarkW = 10
)

// scale sets each bar's Frac from the longest shown bar.
func scale(bars []bar) {
	var top int64
	for _, b := range bars {
		if b.Shown && b.N > top {
			top = b.N
		}
	}
	for i := range bars {
		bars[i].Frac = 0
		if bars[i].Shown && top > 0 {
			bars[i].Frac = float64(bars[i].N) / float64(top)
		}
	}
}

// SVG renders the chart. Every number in it is one the caller was allowed
// to show; hidden counts get a dashed marker of fixed width and their
// "fewer than k" text, never a length. Colours come from classes (the page
// stylesheet) with presentation-attribute fallbacks, so the markup needs
// no inline style and passes the Content-Security-Policy.
func (c chart) SVG() template.HTML {
	valueW := 40
	for _, r := range c.Bars {
		valueW = max(valueW, textW(r.mark(), 40)+8)
	}
	barMax := chartW - 2*chartPad - valueW
	lines := make([][]string, len(c.Bars))
	h := 2 * chartPad
	for i, r := range c.Bars {
		lines[i] = wrap(r.Label, lineRunes)
		h += len(lines[i])*lineH + barH + rowGap
	}
	h -= rowGap
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-t %s-d" direction="ltr">`,
		chartW, h, chartW, h, esc(c.ID), esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(c.ID), esc(c.Title))
	fmt.Fprintf(&b, `<desc id="%s-d">%s</desc>`, esc(c.ID), esc(c.Desc))
	y := chartPad
	for i, r := range c.Bars {
		value := r.valueText()
		b.WriteString(`<g class="row">`)
		fmt.Fprintf(&b, `<title>%s: %s</title>`, esc(r.Label), esc(value))
		x, anchor := chartPad, "start"
		if c.RTL {
			x, anchor = chartW-chartPad, "end"
		}
		for _, l := range lines[i] {
			y += lineH
			fmt.Fprintf(&b, `<text class="lbl" x="%d" y="%d" text-anchor="%s" fill="#1a1a1a">%s</text>`, x, y-4, anchor, esc(l))
		}
		by := y + 1
		ty := by + barH - 3 // baseline of the count beside the bar
		length := int(r.Frac*float64(barMax) + 0.5)
		if r.Shown && r.N > 0 && length < 1 {
			length = 1 // a shown non-zero count is never drawn as zero
		}
		if !r.Shown {
			length = hiddenMarkW
		}
		barX := chartPad
		if c.RTL {
			barX = chartW - chartPad - length
		}
		switch {
		case !r.Shown:
			fmt.Fprintf(&b, `<rect class="bar-hidden" x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#595959" stroke-dasharray="3 2"/>`, barX, by, hiddenMarkW, barH)
		case length > 0:
			fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d" fill="#1f5fa8"/>`, barX, by, length, barH)
		}
		if c.RTL {
			fmt.Fprintf(&b, `<text class="%s" x="%d" y="%d" text-anchor="end" fill="#1a1a1a">%s</text>`, valClass(r), barX-6, ty, esc(r.mark()))
		} else {
			fmt.Fprintf(&b, `<text class="%s" x="%d" y="%d" text-anchor="start" fill="#1a1a1a">%s</text>`, valClass(r), barX+length+6, ty, esc(r.mark()))
		}
		b.WriteString(`</g>`)
		y += barH + rowGap
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// mark is what is written beside a bar in a chart: valueText, shortened
// (the chart's title, description and row titles carry the whole text).
func (r bar) mark() string {
	if r.Short == "" {
		return r.valueText()
	}
	if r.Share != "" {
		return r.Short + " (" + r.Share + ")"
	}
	return r.Short
}

// valueText is what is written beside a bar: the count and its share.
func (r bar) valueText() string {
	if r.Share != "" {
		return r.Value + " (" + r.Share + ")"
	}
	return r.Value
}

// wrap breaks s into lines of at most n characters at spaces; a word
// longer than n gets a line of its own, whole.
func wrap(s string, n int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= n:
			line += " " + w
		default:
			out = append(out, line)
			line = w
		}
	}
	if line != "" || len(out) == 0 {
		out = append(out, line)
	}
	return out
}

// textW estimates the width of s, cut to at most runes characters.
func textW(s string, runes int) int {
	return min(utf8.RuneCountInString(s), runes)*15/2 + 6
}

func valClass(r bar) string {
	if !r.Shown {
		return "val val-hidden"
	}
	return "val"
}
