package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// Facilitators see what SMS cost a consultation and whether sending is
// paused at its cap; officials do not; an adapter's webhook route is
// mounted as given.
func TestCostsAndMounts(t *testing.T) {
	f := newFixture(t, func(d *Deps) {
		d.Costs = func(_ context.Context, id string) ([]Cost, error) {
			return []Cost{{Channel: "SMS", Messages: 1234, Segments: 5000, Cap: 5000, Paused: true, Delivered: 1200, Failed: 3}}, nil
		}
		d.Mounts = map[string]http.Handler{"/sms/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("sms route " + r.URL.Path))
		})}
	})
	_, body := f.signIn(t, facilitator).get("/consultations/town")
	for _, want := range []string{"Messaging costs", "<td>1234</td>", "<td>5000</td>", "1200 / 3", "SMS sending is paused"} {
		if !strings.Contains(body, want) {
			t.Errorf("facilitator page lacks %q", want)
		}
	}
	_, body = f.signIn(t, official).get("/consultations/town")
	if strings.Contains(body, "Messaging costs") {
		t.Errorf("an official sees the messaging costs")
	}
	res, body := f.browser(t).get("/sms/kannel/inbound")
	if res.StatusCode != 200 || body != "sms route /sms/kannel/inbound" {
		t.Errorf("mounted route: got %d %q", res.StatusCode, body)
	}
}
