package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baraza/baraza/dialogs"
)

// validate on a real workbook: --out writes a YAML script that loads to
// the same questions; --drop-identifying says what it left out; the exit
// statuses are 0, 1 and 2.
func TestValidateXLSForm(t *testing.T) {
	dir := t.TempDir()
	src := "../../dialogs/testdata/xlsforms/"
	out := filepath.Join(dir, "tutorial.yaml")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"validate", "--out", out, src + "tutorial.xls"}, env(nil), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := dialogs.Load(out, data)
	if err != nil || len(s.Questions) != 11 {
		t.Fatalf("converted script: %v", err)
	}
	if !strings.Contains(stderr.String(), "warning: "+src+"tutorial.xls:survey:3: this text question seems to ask for a name") {
		t.Errorf("warnings:\n%s", stderr.String())
	}

	stdout.Reset()
	stderr.Reset()
	err = run(context.Background(), []string{"validate", src + "group.xls"}, env(nil), &stdout, &stderr)
	var ex exitError
	if !errors.As(err, &ex) || ex.code != exitInvalid || !strings.Contains(stdout.String(), src+"group.xls:survey:4: type phone number would identify or locate a respondent") {
		t.Errorf("group.xls: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	if err := run(context.Background(), []string{"validate", "--drop-identifying", "--out", out, src + "group.xls"}, env(nil), &stdout, &stderr); err != nil {
		t.Fatalf("drop: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stderr.String(), "dropped: "+src+"group.xls:survey:4: type phone number") || !strings.Contains(stdout.String(), "without 1 identifying question") {
		t.Errorf("drop: stdout %s stderr %s", stdout.String(), stderr.String())
	}
	if err := run(context.Background(), []string{"validate", "--out", out, "a.xlsx", "b.xlsx"}, env(nil), &stdout, &stderr); !errors.As(err, &ex) || ex.code != exitUsage {
		t.Errorf("--out with two files: %v, want exit 2", err)
	}
	if err := run(context.Background(), []string{"validate", filepath.Join(dir, "missing.xlsx")}, env(nil), &stdout, &stderr); !errors.As(err, &ex) || ex.code != exitUsage {
		t.Errorf("missing file: %v, want exit 2", err)
	}
}

// A folder with a broken script: the others load, the broken one comes
// back with its problems as validate words them.
func TestLoadScriptsReportsBroken(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile("../../dialogs/testdata/xlsforms/tutorial.xls")
	os.WriteFile(filepath.Join(dir, "tutorial.xls"), good, 0o600)
	os.WriteFile(filepath.Join(dir, "broken.xlsx"), []byte("not a workbook"), 0o600)
	bad, _ := os.ReadFile("../../dialogs/testdata/xlsforms/xlsform_spec_test.xlsx")
	os.WriteFile(filepath.Join(dir, "spec.xlsx"), bad, 0o600)
	scripts, broken, err := loadScripts(config{Scripts: dir})
	if err != nil || len(scripts) != 1 || scripts[0].ID != "tutorial" {
		t.Fatalf("scripts %d, %v", len(scripts), err)
	}
	if len(broken) != 2 || broken[0].File != "broken.xlsx" || broken[1].File != "spec.xlsx" || len(broken[1].Problems) != 8 {
		t.Fatalf("broken %+v", broken)
	}
	if !strings.HasPrefix(broken[1].Problems[0], "spec.xlsx:survey:34: type geopoint would identify") {
		t.Errorf("problem %q", broken[1].Problems[0])
	}
}
