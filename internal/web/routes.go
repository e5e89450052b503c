package web

import (
	"net/http"

	"github.com/baraza/baraza/internal/store"
)

// routes lists every route of the server.
func (s *server) routes(mux *http.ServeMux) {
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", s.handleReadyz())
	if s.Gatherer != nil {
		mux.Handle("GET /metrics", s.handleMetrics())
	}
	if s.Webchat != nil {
		mux.Handle("/chat", s.Webchat)
		mux.Handle("/chat/", s.Webchat)
	}
	if s.TelegramWebhook != nil {
		mux.Handle("POST /telegram/webhook", s.TelegramWebhook)
	}
	for pattern, h := range s.Mounts {
		mux.Handle(pattern, h)
	}
	if s.Live != nil {
		mux.Handle("/live/", s.withSession(s.Live))
		mux.Handle("/api/v1/live/", s.withSession(s.Live))
	}

	// JSON API, bearer token.
	official := s.requireToken(store.RoleOfficial)
	facilitator := s.requireToken(store.RoleFacilitator)
	admin := s.requireToken(store.RoleAdmin)
	mux.Handle("GET /api/v1/consultations", official(s.handleAPIList()))
	mux.Handle("GET /api/v1/consultations/{id}/summary", official(s.handleSummary()))
	mux.Handle("GET /api/v1/consultations/{id}/export.json", official(s.handleExport("json")))
	mux.Handle("GET /api/v1/consultations/{id}/export.csv", official(s.handleExport("csv")))
	mux.Handle("GET /api/v1/consultations/{id}/export.xlsx", official(s.handleExport("xlsx")))
	mux.Handle("GET /api/v1/consultations/{id}/texts", official(s.handleTexts()))
	mux.Handle("POST /api/v1/consultations/{id}/open", facilitator(s.handleSetStatus("open")))
	mux.Handle("POST /api/v1/consultations/{id}/close", facilitator(s.handleSetStatus("closed")))
	mux.Handle("GET /api/v1/releases", admin(s.handleReleases()))
	if s.Reload != nil {
		mux.Handle("POST /api/v1/scripts/reload", admin(s.handleReload()))
	}

	// Dashboard, session cookie.
	pageOfficial := s.requireSession(store.RoleOfficial)
	pageFacilitator := s.requireSession(store.RoleFacilitator)
	pageAdmin := s.requireSession(store.RoleAdmin)
	mux.Handle("GET /static/", handleStatic())
	mux.Handle("GET /{$}", s.withSession(s.handleHome()))
	mux.Handle("POST /signin", s.handleSignIn())
	mux.Handle("POST /signout", pageOfficial(s.handleSignOut()))
	mux.Handle("GET /consultations/{id}", pageOfficial(s.handleConsultation()))
	mux.Handle("GET /consultations/{id}/export.csv", pageOfficial(s.handleExport("csv")))
	mux.Handle("GET /consultations/{id}/export.xlsx", pageOfficial(s.handleExport("xlsx")))
	mux.Handle("GET /consultations/{id}/export.json", pageOfficial(s.handleExport("json")))
	mux.Handle("POST /consultations/{id}/open", pageFacilitator(s.handlePageStatus("open")))
	mux.Handle("POST /consultations/{id}/close", pageFacilitator(s.handlePageStatus("closed")))
	if s.Invite != nil {
		mux.Handle("GET /consultations/{id}/qr.png", pageFacilitator(s.handleQR("png")))
		mux.Handle("GET /consultations/{id}/qr.svg", pageFacilitator(s.handleQR("svg")))
	}
	if s.InviteCards != nil {
		mux.Handle("POST /consultations/{id}/invites", pageFacilitator(s.handleInviteCards()))
	}
	mux.Handle("GET /admin", pageAdmin(s.handleAdmin()))
	mux.Handle("POST /admin/tokens", pageAdmin(s.handleCreateToken()))
	mux.Handle("POST /admin/tokens/{token}/revoke", pageAdmin(s.handleRevoke()))
	mux.Handle("GET /public/{id}", s.handlePublic())
}
