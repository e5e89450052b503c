package sms

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baraza/baraza/dialogs"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestGoldenMessages pins every SMS of the bundled consultation in each
// language, as a phone shows it, with its encoding and parts: a change of
// wording or of cost shows up in review.
func TestGoldenMessages(t *testing.T) {
	scripts, err := dialogs.LoadFS(dialogs.Bundled())
	if err != nil {
		t.Fatal(err)
	}
	var s *dialogs.Script
	for _, sc := range scripts {
		if sc.ID == "community-safety" {
			s = sc
		}
	}
	if s == nil {
		t.Fatal("no community-safety script")
	}
	byLang := map[string]*strings.Builder{}
	for _, e := range Estimates(s) {
		b := byLang[e.Lang]
		if b == nil {
			b = &strings.Builder{}
			byLang[e.Lang] = b
		}
		fmt.Fprintf(b, "=== %s: %d %s part(s), %d units\n%s\n\n", e.Step, e.Segments.Parts, e.Segments.Encoding, e.Segments.Units, e.Text)
	}
	for lang, b := range byLang {
		path := filepath.Join("testdata", "community-safety."+lang+".golden")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestGoldenMessages -update)", err)
		}
		if got := b.String(); got != string(want) {
			t.Errorf("%s differs from %s (go test -run TestGoldenMessages -update, then review the diff)", lang, path)
		}
	}
}
