package pagecheck

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/baraza/baraza/internal/browsertest"
)

var screenshots = flag.Bool("screenshots", false, "write the README's screenshots to docs/screenshots (make screenshots)")

// TestScreenshots regenerates docs/screenshots: the chat in English and
// Arabic on a phone, the results page on a desktop and on a phone, and the
// live room view. Run it with `make screenshots`; without -screenshots it
// only checks that every page it would draw renders without a browser error.
func TestScreenshots(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if *screenshots {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := newSite(t)
	sc := s.env.Catalog.Get("community-safety")
	for _, lang := range []string{"en", "ar"} {
		ctx := browsertest.New(t)
		browsertest.Viewport(t, ctx, 390, 844, true)
		browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/chat?c=community-safety"))
		walkChat(t, ctx, sc, lang, func(name string) {
			if name == "chat "+lang+": scale question" && *screenshots {
				browsertest.Eval[bool](t, ctx, `(window.scrollTo(0, document.body.scrollHeight), true)`)
				viewportShot(t, ctx, filepath.Join(dir, "chat-"+lang+".png"))
			}
		})
		browsertest.NoErrors(t, ctx)
	}

	ctx := browsertest.New(t)
	signIn(t, ctx, s)
	for _, v := range []struct {
		file   string
		w, h   int64
		mobile bool
	}{{"results-desktop.png", 1280, 800, false}, {"results-phone.png", 390, 844, true}} {
		browsertest.Viewport(t, ctx, v.w, v.h, v.mobile)
		browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/consultations/community-safety"))
		browsertest.WaitFor(t, ctx, "the results", `document.querySelector('svg.chart')`)
		if *screenshots {
			viewportShot(t, ctx, filepath.Join(dir, v.file))
		}
	}
	browsertest.Viewport(t, ctx, 1280, 720, false)
	browsertest.Do(t, ctx, chromedp.Navigate(s.srv.URL+"/live/community-safety"))
	browsertest.WaitFor(t, ctx, "the live view drawn", `document.querySelectorAll('#questions .question').length > 3`)
	if *screenshots {
		viewportShot(t, ctx, filepath.Join(dir, "live.png"))
	}
	browsertest.NoErrors(t, ctx)
}

// viewportShot saves what the viewport shows as a PNG.
func viewportShot(t testing.TB, ctx context.Context, file string) {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, browsertest.Timeout)
	defer cancel()
	png, err := chromedp.Run(actx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
