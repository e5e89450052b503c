package dialogs

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/shakinm/xlsReader/xls"
	"github.com/xuri/excelize/v2"
)

// A book is an XLSForm's sheets as rows of cells, read from .xlsx,
// .xlsm (Office Open XML, with excelize), .xls (Excel 97-2003 BIFF8, with
// github.com/shakinm/xlsReader), or the .csv and .md forms pyxform reads.
type book struct {
	sheets []*wsheet
}

// wsheet is one sheet; rows[i] is the row a person sees as number i+1.
type wsheet struct {
	name string
	rows [][]string
	// blanks counts the blank rows read but not yet stored: trailing ones
	// never are, and after more than maxEmptyRows of them the sheet ends
	// (pyxform's rule) whatever its stated size.
	blanks int
	// dropped is the first non-blank row after that end (0: none), so
	// that the loader can say what it did not read.
	dropped int
}

// add stores the next row, unless the sheet has ended. It returns an
// error when a sheet has more rows than any form needs.
func (sh *wsheet) add(cells []string) error {
	if blank(cells) {
		sh.blanks++
		return nil
	}
	if sh.blanks > maxEmptyRows {
		if sh.dropped == 0 {
			sh.dropped = len(sh.rows) + sh.blanks + 1
		}
		sh.blanks++
		return nil
	}
	if len(sh.rows)+sh.blanks >= maxSheetRows {
		return fmt.Errorf("sheet %s has more than %d rows", sh.name, maxSheetRows)
	}
	for ; sh.blanks > 0; sh.blanks-- {
		sh.rows = append(sh.rows, nil)
	}
	sh.rows = append(sh.rows, clip(cells))
	return nil
}

// Limits of what the reader accepts: a form is a few hundred rows; the
// bounds keep a hostile file from taking the process's memory or time.
const (
	maxWorkbookBytes = 32 << 20
	maxSheetRows     = 50000
	maxSheetCols     = 500
	maxCellBytes     = 32 << 10
)

// errNotWorkbook is returned for data that is no workbook of a known kind.
var errNotWorkbook = errors.New("not an XLSForm workbook (.xlsx, .xlsm, .xls, .csv or .md)")

// IsXLSForm tells by its name whether a file is read as an XLSForm.
func IsXLSForm(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".xlsx", ".xlsm", ".xls", ".csv", ".md":
		return true
	}
	return false
}

// readWorkbook reads data by its content (zip, OLE2) or, for text, by the
// file's extension.
func readWorkbook(file string, data []byte) (wb *book, err error) {
	if len(data) > maxWorkbookBytes {
		return nil, fmt.Errorf("workbook larger than %d MiB", maxWorkbookBytes>>20)
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return readXLSX(data)
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return readXLS(data)
	}
	switch strings.ToLower(path.Ext(file)) {
	case ".csv":
		return readCSV(data)
	case ".md":
		return readMarkdown(data)
	case ".xlsx", ".xlsm", ".xls":
		return nil, errors.New("cannot read the workbook: not an Excel file")
	}
	return nil, errNotWorkbook
}

func readXLSX(data []byte) (*book, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, fmt.Errorf("cannot read the workbook: %v", err)
	}
	defer f.Close()
	wb := &book{}
	for _, name := range f.GetSheetList() {
		rows, err := f.Rows(name)
		if err != nil {
			return nil, fmt.Errorf("cannot read sheet %s: %v", name, err)
		}
		sh := &wsheet{name: name}
		for rows.Next() {
			cells, err := rows.Columns()
			if err == nil {
				err = sh.add(cells)
			}
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read sheet %s: %v", name, err)
			}
		}
		rows.Close()
		wb.sheets = append(wb.sheets, sh)
	}
	return wb, nil
}

// readXLS reads an Excel 97-2003 workbook. The library indexes its input
// without bounds checks, so a malformed file can make it panic: that is
// turned into an error here (the only recover in Baraza, around code that
// is not ours).
func readXLS(data []byte) (wb *book, err error) {
	defer func() {
		if r := recover(); r != nil {
			wb, err = nil, errors.New("cannot read the workbook: damaged or not an Excel 97-2003 file")
		}
	}()
	xb, err := xls.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("cannot read the workbook: %v", err)
	}
	wb = &book{}
	for i := 0; i < xb.GetNumberSheets(); i++ {
		s, err := xb.GetSheet(i)
		if err != nil || s == nil {
			return nil, fmt.Errorf("cannot read sheet %d: %v", i+1, err)
		}
		sh := &wsheet{name: s.GetName()}
		for r := 0; r < s.GetNumberRows(); r++ {
			row, err := s.GetRow(r)
			if err != nil || row == nil {
				sh.blanks++
				continue
			}
			cols := row.GetCols()
			if len(cols) > maxSheetCols {
				cols = cols[:maxSheetCols]
			}
			cells := make([]string, len(cols))
			for c, cell := range cols {
				if cell != nil {
					cells[c] = cell.GetString()
				}
			}
			if err := sh.add(cells); err != nil {
				return nil, err
			}
		}
		wb.sheets = append(wb.sheets, sh)
	}
	return wb, nil
}

// clip bounds a row's width and its cells' size and drops invalid UTF-8.
func clip(cells []string) []string {
	if len(cells) > maxSheetCols {
		cells = cells[:maxSheetCols]
	}
	for i, c := range cells {
		if len(c) > maxCellBytes {
			c = c[:maxCellBytes]
		}
		if !utf8.ValidString(c) {
			c = strings.ToValidUTF8(c, "\uFFFD")
		}
		cells[i] = c
	}
	return cells
}

// readCSV reads pyxform's CSV form: a first column naming the sheet on the
// row where it starts, then that sheet's header and rows. Row numbers are
// the CSV's lines.
func readCSV(data []byte) (*book, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	wb := &book{}
	var cur *wsheet
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the CSV form: %v", err)
		}
		if line > maxSheetRows {
			return nil, fmt.Errorf("more than %d lines", maxSheetRows)
		}
		rec = clip(rec)
		if len(rec) > 0 && strings.TrimSpace(rec[0]) != "" {
			cur = &wsheet{name: strings.TrimSpace(rec[0])}
			wb.sheets = append(wb.sheets, cur)
		}
		if cur == nil || len(rec) < 2 {
			continue
		}
		cur.rows = append(cur.rows, rec[1:])
	}
	return wb, nil
}

// readMarkdown reads pyxform's markdown form: tables whose first column
// names the sheet on its first row.
func readMarkdown(data []byte) (*book, error) {
	wb := &book{}
	var cur *wsheet
	for n, line := range strings.Split(string(data), "\n") {
		if n >= maxSheetRows {
			return nil, fmt.Errorf("more than %d lines", maxSheetRows)
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || !strings.HasPrefix(t, "|") {
			continue
		}
		cells := splitMarkdownRow(t)
		if len(cells) < 2 {
			continue
		}
		if isSeparatorRow(cells[1:]) {
			continue
		}
		if s := strings.TrimSpace(cells[0]); s != "" {
			cur = &wsheet{name: s}
			wb.sheets = append(wb.sheets, cur)
		}
		if cur == nil {
			continue
		}
		cur.rows = append(cur.rows, clip(cells[1:]))
	}
	if len(wb.sheets) == 0 {
		return nil, errors.New("no table found in the markdown form")
	}
	return wb, nil
}

func splitMarkdownRow(t string) []string {
	t = strings.TrimPrefix(t, "|")
	t = strings.TrimSuffix(t, "|")
	var cells []string
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		switch {
		case t[i] == '\\' && i+1 < len(t) && t[i+1] == '|':
			b.WriteByte('|')
			i++
		case t[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(t[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

func isSeparatorRow(cells []string) bool {
	any := false
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if strings.Trim(c, "-:") != "" {
			return false
		}
		any = true
	}
	return any
}
