package web

import (
	"html"
	"strings"
	"testing"
)

// TestDashboardShowsBrokenScripts: a script that did not load is listed
// on the dashboard for facilitators, marked broken with its problems as
// `baraza validate` words them; an official does not see the list.
func TestDashboardShowsBrokenScripts(t *testing.T) {
	problem := `widgets.xls:survey:11: type geopoint would identify or locate a respondent (it records a location); remove the row, or convert with --drop-identifying: "my_geopoint"`
	f := newFixture(t, func(d *Deps) {
		d.Broken = func() []BrokenScript { return []BrokenScript{{File: "widgets.xls", Problems: []string{problem}}} }
	})
	_, body := f.signIn(t, facilitator).get("/")
	text := html.UnescapeString(body)
	for _, want := range []string{"Scripts that could not be loaded", "broken", "widgets.xls", problem} {
		if !strings.Contains(text, want) {
			t.Errorf("facilitator's dashboard lacks %q", want)
		}
	}
	if _, body := f.signIn(t, official).get("/"); strings.Contains(body, "widgets.xls") {
		t.Errorf("an official sees the broken scripts")
	}
}
