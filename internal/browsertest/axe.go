package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core 4.14.1 (npm axe-core, MPL-2.0, licence beside it
// in testdata/axe), vendored so the accessibility tests run from a plain
// clone with no network.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// AxeNode is one element a rule failed on.
type AxeNode struct {
	Target  []any  `json:"target"`
	HTML    string `json:"html"`
	Summary string `json:"failureSummary"`
}

// AxeViolation is one failed axe-core rule on a page, with its impact
// ("critical", "serious", "moderate" or "minor") and the elements it
// failed on.
type AxeViolation struct {
	ID     string    `json:"id"`
	Impact string    `json:"impact"`
	Help   string    `json:"help"`
	Nodes  []AxeNode `json:"nodes"`
}

// AxeCounts counts failing elements by impact.
type AxeCounts struct{ Critical, Serious, Moderate, Minor int }

func (c AxeCounts) String() string {
	return fmt.Sprintf("%d critical, %d serious, %d moderate, %d minor", c.Critical, c.Serious, c.Moderate, c.Minor)
}

// Count adds up the failing elements of vs by impact.
func Count(vs []AxeViolation) AxeCounts {
	var c AxeCounts
	for _, v := range vs {
		n := len(v.Nodes)
		switch v.Impact {
		case "critical":
			c.Critical += n
		case "serious":
			c.Serious += n
		case "moderate":
			c.Moderate += n
		default:
			c.Minor += n
		}
	}
	return c
}

// Describe lists violations one a line: impact, rule, count, first target.
func Describe(vs []AxeViolation) string {
	var lines []string
	for _, v := range vs {
		first := ""
		if len(v.Nodes) > 0 {
			first = fmt.Sprint(v.Nodes[0].Target) + " " + v.Nodes[0].HTML
			if len(first) > 200 {
				first = first[:200] + "…"
			}
		}
		lines = append(lines, fmt.Sprintf("%s %s ×%d (%s): %s", v.Impact, v.ID, len(v.Nodes), v.Help, first))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// Axe runs axe-core with all its rules (WCAG 2.0/2.1 A and AA and best
// practices) on the page as it is now and returns the violations.
func Axe(t testing.TB, ctx context.Context) []AxeViolation {
	t.Helper()
	Eval[bool](t, ctx, `(() => { if (!window.axe) { (0, eval)(`+jsString(axeSource)+`); } return true; })()`)
	actx, cancel := context.WithTimeout(ctx, 20*Timeout)
	defer cancel()
	vs, err := chromedp.Run(actx, chromedp.Evaluate[[]AxeViolation](
		`axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary}))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browsertest: axe: %v", err)
	}
	return vs
}

// Viewport sets the page's viewport to w×h CSS pixels; mobile also turns
// on the phone's meta-viewport handling.
func Viewport(t testing.TB, ctx context.Context, w, h int64, mobile bool) {
	t.Helper()
	Do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: w, Height: h, DeviceScaleFactor: 1, Mobile: mobile})
		return err
	}))
}
