package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/baraza/baraza/internal/consult"
	"github.com/baraza/baraza/internal/privacy"
	"github.com/baraza/baraza/internal/results"
	"github.com/baraza/baraza/internal/store"
)

// requireToken admits requests whose bearer token has at least role.
// A consultation outside the token's scope answers 404, not 403, so a
// scoped token cannot even learn which consultations exist.
func (s *server) requireToken(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || strings.TrimSpace(raw) == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="baraza"`)
				writeError(w, http.StatusUnauthorized, "a bearer token is required")
				return
			}
			t, err := s.Store.Authenticate(r.Context(), strings.TrimSpace(raw))
			if errors.Is(err, store.ErrNotFound) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="baraza", error="invalid_token"`)
				writeError(w, http.StatusUnauthorized, "unknown or revoked token")
				return
			}
			if err != nil {
				s.log.Error("authenticate", "err", err)
				writeError(w, http.StatusServiceUnavailable, "the store is not reachable, try again")
				return
			}
			if id := r.PathValue("id"); id != "" && !t.InScope(id) {
				writeError(w, http.StatusNotFound, "no such consultation")
				return
			}
			if !t.Can(role) {
				writeError(w, http.StatusForbidden, "this token's role may not do that")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey, t)))
		})
	}
}

func (s *server) handleAPIList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		list, err := s.Consult.List(r.Context(), pageLang(r))
		if err != nil {
			s.fail(w, err)
			return
		}
		out := make([]consult.Info, 0, len(list))
		for _, c := range list {
			if t.InScope(c.ID) {
				out = append(out, c)
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleSummary() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum, ok := s.summary(w, r, "summary")
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, sum)
	})
}

// summary builds the suppressed summary and writes the release log entry;
// on failure it has answered the request.
func (s *server) summary(w http.ResponseWriter, r *http.Request, format string) (results.Summary, bool) {
	id := r.PathValue("id")
	sum, err := s.Consult.Summary(r.Context(), id, pageLang(r))
	if err != nil {
		s.fail(w, err)
		return results.Summary{}, false
	}
	t, _ := TokenFrom(r.Context())
	if err := s.Store.LogRelease(r.Context(), store.Release{Time: s.Now().UTC(), TokenName: t.Name,
		Consultation: id, Format: format, K: sum.K}); err != nil {
		// No release without its log line.
		s.fail(w, err)
		return results.Summary{}, false
	}
	return sum, true
}

func (s *server) handleExport(format string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum, ok := s.summary(w, r, format)
		if !ok {
			return
		}
		name := fmt.Sprintf("%s.%s", sum.ID, format)
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		w.Header().Set("Cache-Control", "no-store")
		var err error
		switch format {
		case "csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			for _, h := range results.ExportHeaders(sum) {
				w.Header().Set(h[0], h[1])
			}
			err = results.WriteCSV(w, sum)
		case "xlsx":
			w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
			err = results.WriteXLSX(w, sum, pageLang(r))
		default:
			w.Header().Set("Content-Type", "application/json")
			err = results.WriteJSON(w, sum)
		}
		if err != nil {
			s.log.Error("export", "format", format, "err", err)
		}
	})
}

// handleTexts returns the scrubbed free-text answers, in random order and
// without timestamps, only once the consultation has k completions, and
// of each question only when its answered count is shown and at least k
// (see textsShown).
func (s *server) handleTexts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum, ok := s.summary(w, r, "texts")
		if !ok {
			return
		}
		type texts struct {
			Question string   `json:"question"`
			Texts    []string `json:"texts"`
		}
		out := struct {
			ID     string  `json:"id"`
			Enough bool    `json:"enough"`
			Texts  []texts `json:"questions"`
		}{ID: sum.ID, Texts: []texts{}}
		if sum.Completed == nil || *sum.Completed < int64(sum.K) {
			writeJSON(w, http.StatusOK, out)
			return
		}
		out.Enough = true
		for _, q := range sum.Questions {
			if !textsShown(q, sum.K) {
				continue
			}
			list, err := s.Store.Texts(r.Context(), sum.ID, q.ID)
			if err != nil {
				s.fail(w, err)
				return
			}
			rand.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
			for i := range list {
				list[i] = privacy.Scrub(list[i]) // scrubbed at rest too; scrub again with today's rules
			}
			out.Texts = append(out.Texts, texts{Question: q.ID, Texts: list})
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleSetStatus(status string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		id := r.PathValue("id")
		if err := s.Consult.SetStatus(r.Context(), id, status, t.Role+":"+t.Name); err != nil {
			s.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": id, "status": status})
	})
}

func (s *server) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, consult.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such consultation")
		return
	}
	s.log.Error("request failed", "err", err)
	writeError(w, http.StatusServiceUnavailable, "the store is not reachable, try again")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// handleReleases is the release log as JSON, newest first (admin).
func (s *server) handleReleases() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		rel, err := s.Store.Releases(r.Context(), 0)
		if err != nil {
			s.fail(w, err)
			return
		}
		rel = visibleReleases(t, rel)
		if rel == nil {
			rel = []store.Release{}
		}
		writeJSON(w, http.StatusOK, rel)
	})
}

// handleReload re-reads the scripts (admin). A refused reload answers 422
// with the validator's report; the old scripts keep running.
func (s *server) handleReload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		if !t.Unscoped() {
			// Reloading touches every consultation's script.
			writeError(w, http.StatusForbidden, "a token scoped to some consultations may not reload all scripts")
			return
		}
		if err := s.Reload(r.Context()); err != nil {
			s.log.Warn("script reload refused", "token_id", t.ID)
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		s.log.Info("scripts reloaded", "token_id", t.ID)
		writeJSON(w, http.StatusOK, map[string]string{"status": "reloaded"})
	})
}
