package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageCSP is the Content-Security-Policy of every dashboard and public
// page: no script at all, styles only from /static/, no inline anything.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

var funcs = template.FuncMap{
	"tr":     tr,
	"minus1": func(k int) int { return k - 1 },
	"join":   strings.Join,
}

// pageSet holds one template set per page, each with the shared layout.
type pageSet map[string]*template.Template

func parsePages() (pageSet, error) {
	ps := make(pageSet)
	for _, name := range []string{"signin", "error", "list", "consultation", "public", "admin"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/results.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		ps[name] = t
	}
	return ps, nil
}

// page is what every template gets.
type page struct {
	Lang, Dir string
	Title     string
	Token     *store.Token // signed in, else nil
	CSRF      string
	Langs     []langLink
	Body      any
	Broken    []BrokenScript // dashboard list, facilitators: scripts that did not load
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

func (s *server) newPage(r *http.Request, title string, body any) page {
	lang := pageLang(r)
	p := page{Lang: lang, Dir: dir(lang), Title: title, Body: body}
	for _, l := range uiLangs {
		q := url.Values{"lang": {l}}
		p.Langs = append(p.Langs, langLink{Code: l, Name: langNames[l], Href: r.URL.Path + "?" + q.Encode(), Current: l == lang})
	}
	if t, ok := TokenFrom(r.Context()); ok {
		p.Token = &t
		p.CSRF = csrfFor(sidFrom(r.Context()))
	}
	return p
}

// render writes a page. It renders into a buffer first so a template
// failure becomes a clean 500, not half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if s.pagesErr != nil {
		s.log.Error("templates", "err", s.pagesErr)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-store")
	if l := r.URL.Query().Get("lang"); known(l) {
		s.setCookie(w, r, langCookie, l, 365*24*time.Hour)
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorBody struct{ Title, Text string }

// errorPage answers with a page saying what went wrong, in the reader's
// language; key is "not_found", "forbidden" or "unavailable".
func (s *server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	lang := pageLang(r)
	s.render(w, r, status, "error", s.newPage(r, tr(lang, key), errorBody{Title: key, Text: key + "_body"}))
}

// failPage maps an error to a page: unknown consultation 404, anything else
// (the store) 503 with a log line.
func (s *server) failPage(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, consult.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	s.log.Error("page failed", "path", r.URL.Path, "err", err)
	s.errorPage(w, r, http.StatusServiceUnavailable, "unavailable")
}

func handleStatic() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // the embedded folder exists
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
}

type signinBody struct{ Expired, Failed bool }

// handleHome is the sign-in page, or the consultations list when signed in.
func (s *server) handleHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := TokenFrom(r.Context()); ok {
			s.handleList().ServeHTTP(w, r)
			return
		}
		s.signinPage(w, r, http.StatusOK, signinBody{Expired: r.URL.Query().Get("expired") == "1"})
	})
}

func (s *server) signinPage(w http.ResponseWriter, r *http.Request, status int, body signinBody) {
	pre := randomID()
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) == len(pre) {
		pre = c.Value // keep the form valid across a failed attempt
	}
	s.setCookie(w, r, preCookie, pre, time.Hour)
	p := s.newPage(r, tr(pageLang(r), "signin_title"), body)
	p.CSRF = pre
	s.render(w, r, status, "signin", p)
}

// handleSignIn turns a valid token into a dashboard session cookie.
func (s *server) handleSignIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pre, err := r.Cookie(preCookie)
		if s.cop.Check(r) != nil || err != nil || !equal(r.PostFormValue(csrfField), pre.Value) {
			s.errorPage(w, r, http.StatusForbidden, "forbidden")
			return
		}
		raw := strings.TrimSpace(r.PostFormValue("token"))
		prefix, network := s.signInKeys(r, raw)
		if wait := s.limit.wait(prefix, network); wait > 0 {
			// Backoff, not lockout: say how long, and check again after.
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			lang := pageLang(r)
			s.render(w, r, http.StatusTooManyRequests, "error",
				s.newPage(r, tr(lang, "too_many"), errorBody{Title: "too_many", Text: "too_many_body"}))
			return
		}
		t, err := s.Store.Authenticate(r.Context(), raw)
		if errors.Is(err, store.ErrNotFound) {
			s.limit.fail(prefix, network)
			s.signinPage(w, r, http.StatusUnauthorized, signinBody{Failed: true})
			return
		}
		s.limit.succeed(prefix)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		sid, err := s.Store.CreateWebSession(r.Context(), t.ID, s.SessionTTL)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		s.setCookie(w, r, preCookie, "", 0)
		s.setCookie(w, r, sessionCookie, sid, s.SessionTTL)
		s.log.Info("signed in", "role", t.Role, "token_id", t.ID)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

// handleSignOut ends the session.
func (s *server) handleSignOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Store.DeleteWebSession(r.Context(), sidFrom(r.Context())); err != nil {
			s.failPage(w, r, err)
			return
		}
		s.setCookie(w, r, sessionCookie, "", 0)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

// listRow is one consultation in the list, all numbers suppressed.
type listRow struct {
	ID, Title, Kind, Status, StatusID, Dates string
	Started, Completed                       string
	StartedShown, CompletedShown             bool
}

func (s *server) handleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		lang := pageLang(r)
		list, err := s.Consult.List(r.Context(), lang)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		var rows []listRow
		for _, c := range list {
			if !t.InScope(c.ID) {
				continue
			}
			row := listRow{ID: c.ID, Title: c.Title, Kind: tr(lang, "kind_"+c.Kind),
				Status: tr(lang, "status_"+c.Status), StatusID: c.Status, Dates: dates(lang, c.Opens, c.Closes)}
			row.Started, row.StartedShown = shownMode(lang, c.Mode == results.ModeDP, c.Started)
			row.Completed, row.CompletedShown = shownMode(lang, c.Mode == results.ModeDP, c.Completed)
			rows = append(rows, row)
		}
		p := s.newPage(r, tr(lang, "consultations"), rows)
		if s.Broken != nil && t.Can(store.RoleFacilitator) {
			p.Broken = s.Broken()
		}
		s.render(w, r, http.StatusOK, "list", p)
	})
}

// shownMode formats an already suppressed count: the number, "hidden to
// protect respondents" when it is hidden (nil), whatever the reason, and
// in a DP release (dp) "≈ N (noise added)".
func shownMode(lang string, dp bool, n *int64) (string, bool) {
	b := countBar(lang, dp, "", n)
	return b.Value, b.Shown
}

func dates(lang string, opens, closes time.Time) string {
	var parts []string
	if !opens.IsZero() {
		parts = append(parts, tr(lang, "opens", opens.UTC().Format("2006-01-02")))
	}
	if !closes.IsZero() {
		parts = append(parts, tr(lang, "closes", closes.UTC().Format("2006-01-02")))
	}
	if len(parts) == 0 {
		return tr(lang, "always")
	}
	return strings.Join(parts, ", ")
}

// handleConsultation is the results page of one consultation.
func (s *server) handleConsultation() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		v, err := s.view(r, r.PathValue("id"), true)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		if t.Can(store.RoleFacilitator) {
			v.Facilitate = true
			v.CanOpen = v.StatusID != bot.StatusOpen && v.KindID != "report"
			v.CanClose = v.StatusID == bot.StatusOpen && v.KindID != "report"
			v.Live = s.Live != nil
			if v.Live && s.ViewLink != nil {
				v.ViewLink = s.ViewLink(v.ID)
			}
			if err := s.accessView(r, &v); err != nil {
				s.failPage(w, r, err)
				return
			}
			if s.Invite != nil {
				links, _, _, err := s.Invite(v.ID)
				if err != nil {
					s.log.Warn("invite links", "err", err)
				} else {
					v.Invite = &inviteView{Links: sortedLinks(links)}
				}
			}
			if s.Costs != nil {
				costs, err := s.Costs(r.Context(), v.ID)
				if err != nil {
					s.log.Warn("messaging costs", "err", err)
				} else if len(costs) > 0 {
					v.Costs = &costView{Costs: costs}
					for _, c := range costs {
						v.Costs.Paused = v.Costs.Paused || c.Paused
					}
				}
			}
		}
		s.render(w, r, http.StatusOK, "consultation", s.newPage(r, v.Title, v))
	})
}

// handlePublic is /public/{id}: published consultations only, no free text.
func (s *server) handlePublic() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		sc := s.Consult.Catalog.Get(id)
		if sc == nil || !sc.Publish {
			s.errorPage(w, r, http.StatusNotFound, "not_found")
			return
		}
		v, err := s.view(r, id, false)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "public", s.newPage(r, v.Title, v))
	})
}

// handlePageStatus opens or closes from the dashboard, then goes back to
// the consultation's page.
func (s *server) handlePageStatus(status string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		id := r.PathValue("id")
		if err := s.Consult.SetStatus(r.Context(), id, status, t.Role+":"+t.Name); err != nil {
			s.failPage(w, r, err)
			return
		}
		http.Redirect(w, r, "/consultations/"+url.PathEscape(id), http.StatusSeeOther)
	})
}

// handleQR serves the invite QR code of a consultation as PNG or SVG.
func (s *server) handleQR(format string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if s.Consult.Catalog.Get(id) == nil {
			s.errorPage(w, r, http.StatusNotFound, "not_found")
			return
		}
		_, png, svg, err := s.Invite(id)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		body, ctype := png, "image/png"
		if format == "svg" {
			body, ctype = svg, "image/svg+xml"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+id+"-invite."+format+`"`)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
}

type adminBody struct {
	Releases []store.Release
	Tokens   []store.Token
	// NewToken is a token just created, shown this once; NewName its name.
	NewToken, NewName string
}

// handleAdmin shows the release log and the tokens, as far as the signed-in
// admin's scope reaches.
func (s *server) handleAdmin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.adminPage(w, r, http.StatusOK, "", "")
	})
}

func (s *server) adminPage(w http.ResponseWriter, r *http.Request, status int, newToken, newName string) {
	t, _ := TokenFrom(r.Context())
	rel, err := s.Store.Releases(r.Context(), 200)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	toks, err := s.Store.ListTokens(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	s.render(w, r, status, "admin", s.newPage(r, tr(pageLang(r), "admin"),
		adminBody{Releases: visibleReleases(t, rel), Tokens: visibleTokens(t, toks), NewToken: newToken, NewName: newName}))
}

// visibleReleases are the release log entries of t's consultations.
func visibleReleases(t store.Token, rel []store.Release) []store.Release {
	if t.Unscoped() {
		return rel
	}
	out := []store.Release{}
	for _, x := range rel {
		if t.InScope(x.Consultation) {
			out = append(out, x)
		}
	}
	return out
}

// visibleTokens are t itself and the tokens t manages.
func visibleTokens(t store.Token, toks []store.Token) []store.Token {
	var out []store.Token
	for _, x := range toks {
		if x.ID == t.ID || t.Manages(x) {
			out = append(out, x)
		}
	}
	return out
}

// handleCreateToken makes a token from the admin page and shows it once.
// A scoped admin may make only tokens within its own scope (never an
// unscoped one) and of no stronger role.
func (s *server) handleCreateToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		role := r.PostFormValue("role")
		name := strings.TrimSpace(r.PostFormValue("name"))
		var scope []string
		for _, c := range strings.Split(r.PostFormValue("scope"), ",") {
			if c = strings.TrimSpace(c); c != "" {
				scope = append(scope, c)
			}
		}
		if !t.Covers(role, scope) {
			s.errorPage(w, r, http.StatusForbidden, "forbidden")
			return
		}
		raw, nt, err := s.Store.CreateTokenBy(r.Context(), t.ID, role, name, scope)
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrExists) {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		s.log.Info("token created", "token_id", nt.ID, "role", nt.Role, "by_token_id", t.ID)
		s.adminPage(w, r, http.StatusOK, raw, nt.Name)
	})
}

// handleRevoke revokes a token by its ID from the admin page; its sessions
// end at once. An admin cannot revoke the token it is signed in with here
// (that would lock the last admin out by a slip of the mouse); the CLI can.
func (s *server) handleRevoke() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		id := r.PathValue("token")
		if id == t.ID {
			s.errorPage(w, r, http.StatusForbidden, "forbidden")
			return
		}
		toks, err := s.Store.ListTokens(r.Context())
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		found := false
		for _, x := range toks {
			found = found || x.ID == id && t.Manages(x)
		}
		if !found {
			s.errorPage(w, r, http.StatusNotFound, "not_found")
			return
		}
		if err := s.Store.RevokeToken(r.Context(), id); err != nil {
			s.failPage(w, r, err)
			return
		}
		s.log.Info("token revoked", "token_id", id, "by_token_id", t.ID)
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	})
}
