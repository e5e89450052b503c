package results

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func dumpWorkbook(t *testing.T, data []byte, now time.Time) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	defer f.Close()
	today := now.Format(time.DateOnly)
	yesterday := now.Add(-24 * time.Hour).Format(time.DateOnly) // written just before midnight
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		view, err := f.GetSheetView(sheet, 0)
		if err != nil {
			t.Fatalf("sheet %s: %v", sheet, err)
		}
		fmt.Fprintf(&b, "== %s (right-to-left %v)\n", sheet, *view.RightToLeft)
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatalf("sheet %s: %v", sheet, err)
		}
		for r, row := range rows {
			for c, v := range row {
				if v == "" {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				typ, err := f.GetCellType(sheet, cell)
				if err != nil {
					t.Fatalf("%s!%s: %v", sheet, cell, err)
				}
				kind := "s"
				if typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset {
					kind = "n"
				}
				if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
					t.Errorf("%s!%s holds a formula %q", sheet, cell, formula)
				}
				if v == today || v == yesterday {
					v = "YYYY-MM-DD"
				}
				fmt.Fprintf(&b, "%s\t%s %s\n", cell, kind, v)
			}
		}
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatalf("doc props: %v", err)
	}
	if !strings.HasSuffix(props.Created, "T00:00:00Z") || !strings.HasSuffix(props.Modified, "T00:00:00Z") {
		t.Errorf("document properties carry a time of day: created %q, modified %q", props.Created, props.Modified)
	}
	return []byte(b.String())
}

func TestSheetName(t *testing.T) {
	used := map[string]bool{"weeks": true}
	tests := []struct{ in, want string }{
		{"area", "area"},
		{"Weeks", "Weeks~2"},
		{"a:b/c?d*e[f]g\\h", "a_b_c_d_e_f_g_h"},
		{"'quoted'", "quoted"},
		{"", "sheet"},
		{strings.Repeat("x", 40), strings.Repeat("x", 31)},
		{strings.Repeat("x", 40), strings.Repeat("x", 29) + "~2"},
	}
	for _, tt := range tests {
		got := sheetName(tt.in, used)
		used[strings.ToLower(got)] = true
		if got != tt.want {
			t.Errorf("sheetName(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
