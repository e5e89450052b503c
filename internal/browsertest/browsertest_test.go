package browsertest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baraza/baraza/internal/browsertest"
	"github.com/chromedp/chromedp"
)

const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<script src="/app.js" defer></script></head>
<body><p id="out">waiting</p><button type="button" id="b">Press me</button>
<input id="in" aria-label="answer"><button type="button" hidden>Hidden</button>
<script>document.getElementById('out').textContent = 'inline ran';</script></body></html>`

const app = `document.getElementById('b').addEventListener('click', () => {
  document.getElementById('out').textContent = 'pressed: ' + document.getElementById('in').value;
});`

func TestHelpers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		switch r.URL.Path {
		case "/app.js":
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, app)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
		}
	}))
	defer srv.Close()

	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL))
	browsertest.WaitText(t, ctx, "waiting") // the inline script was blocked by the CSP
	browsertest.Type(t, ctx, "#in", "سلام 👋")
	browsertest.ClickText(t, ctx, "Press me")
	browsertest.WaitText(t, ctx, "pressed: سلام 👋")
	browsertest.WaitGone(t, ctx, "waiting")
	if got := browsertest.Eval[string](t, ctx, `document.getElementById('out').textContent`); got != "pressed: سلام 👋" {
		t.Errorf("got %q, want %q", got, "pressed: سلام 👋")
	}

	// The blocked inline script is reported as a page error.
	errs := browsertest.Errors(ctx)
	if !strings.Contains(strings.Join(errs, "\n"), "Content Security Policy") {
		t.Errorf("page errors: got %q, want a Content Security Policy violation", errs)
	}

	file := filepath.Join(t.TempDir(), "shot.png")
	browsertest.Screenshot(t, ctx, file)
	b, err := os.ReadFile(file)
	if err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Errorf("screenshot: got %d bytes (err %v), want a PNG", len(b), err)
	}
}
