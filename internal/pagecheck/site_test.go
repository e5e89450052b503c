package pagecheck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/baraza/baraza/adapters/adaptertest"
	"github.com/baraza/baraza/adapters/webchat"
	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/facilitate"
	"github.com/baraza/baraza/internal/simulate"
	"github.com/baraza/baraza/internal/store"
	"github.com/baraza/baraza/internal/testenv"
	"github.com/baraza/baraza/internal/web"
)

// site is the whole program on a private redis-server, wired as
// cmd/baraza wires it (web chat, dashboard, live view, public pages), with
// the bundled community-safety consultation answered by 32 simulated
// respondents and 12 incident reports.
type site struct {
	env   *testenv.Env
	srv   *httptest.Server
	admin string // a raw admin token
	// exit is a neutral page on another origin, the web chat's quick exit.
	exit *httptest.Server
}

// respondents is the number of people who answered the consultation,
// the figure the issue measured the results page with.
const respondents = 32

func newSite(t testing.TB) *site {
	t.Helper()
	env := testenv.New(t)
	ctx := context.Background()
	s := &site{env: env}
	s.exit = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>Weather</title><h1>Weather today</h1>`)
	}))
	t.Cleanup(s.exit.Close)

	handler := func() bot.Handler { return env.Router }
	for i := range respondents {
		p := simulate.NewPlayer(env.Catalog.Get("community-safety"), uint64(1000+i))
		r := &simulate.Respondent{User: fmt.Sprintf("cs-%d", i), Player: p, Handler: handler}
		if err := r.Run(ctx, "community-safety"); err != nil {
			t.Fatalf("respondent %d: %v", i, err)
		}
	}
	for i := range 12 {
		p := simulate.NewPlayer(env.Catalog.Get("incident-report"), uint64(2000+i))
		r := &simulate.Respondent{User: fmt.Sprintf("ir-%d", i), Player: p, Handler: handler}
		if err := r.Run(ctx, "incident-report"); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	env.Release(t) // the pages show releases
	raw, _, err := env.Store.CreateToken(ctx, store.RoleAdmin, "demo admin", nil)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	s.admin = raw

	wc := webchat.New(webchat.Config{Logger: env.Logger, ExitURL: s.exit.URL + "/"})
	adaptertest.Start(t, wc, env.Router)
	live := facilitate.NewLive(facilitate.LiveConfig{Consult: env.Consult, Logger: env.Logger,
		Interval: 50 * time.Millisecond,
		Authorize: func(r *http.Request, id string) bool {
			t, ok := web.TokenFrom(r.Context())
			return ok && t.Can(store.RoleFacilitator) && t.InScope(id)
		}})
	t.Cleanup(live.Close)
	s.srv = httptest.NewServer(web.NewServer(web.Deps{
		Store: env.Store, Consult: env.Consult, Logger: env.Logger, Ready: env.Store.Ping,
		Webchat: wc.Handler(), Live: live,
		ViewLink: func(id string) string { return s.srv.URL + live.NewViewLink(id, time.Hour) },
	}))
	t.Cleanup(s.srv.Close)
	return s
}
