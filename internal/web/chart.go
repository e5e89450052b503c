package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"unicode/utf8"
)

// bar is one row of a horizontal bar chart, already suppressed and
// formatted: a hidden count has Shown false and Value "fewer than k".
type bar struct {
	Label string
	Value string  // "40", "0" or "fewer than 5"
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
	Small bool // a small multiple: narrower
	// Caption is shown above a small multiple (the group it shows).
	Caption string
}

// Layout of the chart, in SVG user units.
const (
	rowH        = 28
	barH        = 18
	chartPad    = 6
	labelRunes  = 30
	smallRunes  = 14
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
	runes, barMax, maxLabel := labelRunes, 320, 230
	if c.Small {
		runes, barMax, maxLabel = smallRunes, 150, 110
	}
	// Size the label and value columns to their text (about 7.5 units a
	// character at 13px), so short labels leave the room to the bars and
	// the chart stays legible when a phone scales it down.
	labelW, valueW := 30, 40
	for _, r := range c.Bars {
		labelW = max(labelW, min(textW(r.Label, runes), maxLabel))
		v := r.Value
		if r.Share != "" {
			v += " (" + r.Share + ")"
		}
		valueW = max(valueW, textW(v, 40)+8)
	}
	w := labelW + barMax + valueW + 2*chartPad
	h := len(c.Bars)*rowH + 2*chartPad
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-t %s-d" direction="ltr">`,
		w, h, w, h, esc(c.ID), esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(c.ID), esc(c.Title))
	fmt.Fprintf(&b, `<desc id="%s-d">%s</desc>`, esc(c.ID), esc(c.Desc))
	for i, r := range c.Bars {
		y := chartPad + i*rowH
		ty := y + rowH/2 + 5 // text baseline
		by := y + (rowH-barH)/2
		label := r.Label
		if utf8.RuneCountInString(label) > runes {
			label = string([]rune(label)[:runes-1]) + "…"
		}
		value := r.Value
		if r.Share != "" {
			value += " (" + r.Share + ")"
		}
		b.WriteString(`<g class="row">`)
		fmt.Fprintf(&b, `<title>%s: %s</title>`, esc(r.Label), esc(value))
		length := int(r.Frac*float64(barMax) + 0.5)
		if r.Shown && r.N > 0 && length < 1 {
			length = 1 // a shown non-zero count is never drawn as zero
		}
		if !c.RTL {
			barX := labelW + chartPad
			fmt.Fprintf(&b, `<text class="lbl" x="%d" y="%d" text-anchor="end" fill="#1a1a1a">%s</text>`, labelW, ty, esc(label))
			switch {
			case !r.Shown:
				fmt.Fprintf(&b, `<rect class="bar-hidden" x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#595959" stroke-dasharray="3 2"/>`, barX, by, hiddenMarkW, barH)
				length = hiddenMarkW
			case length > 0:
				fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d" fill="#1f5fa8"/>`, barX, by, length, barH)
			}
			fmt.Fprintf(&b, `<text class="%s" x="%d" y="%d" text-anchor="start" fill="#1a1a1a">%s</text>`, valClass(r), barX+length+6, ty, esc(value))
		} else {
			barEnd := w - labelW - chartPad
			fmt.Fprintf(&b, `<text class="lbl" x="%d" y="%d" text-anchor="start" fill="#1a1a1a">%s</text>`, w-labelW, ty, esc(label))
			switch {
			case !r.Shown:
				fmt.Fprintf(&b, `<rect class="bar-hidden" x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#595959" stroke-dasharray="3 2"/>`, barEnd-hiddenMarkW, by, hiddenMarkW, barH)
				length = hiddenMarkW
			case length > 0:
				fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d" fill="#1f5fa8"/>`, barEnd-length, by, length, barH)
			}
			fmt.Fprintf(&b, `<text class="%s" x="%d" y="%d" text-anchor="end" fill="#1a1a1a">%s</text>`, valClass(r), barEnd-length-6, ty, esc(value))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
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
