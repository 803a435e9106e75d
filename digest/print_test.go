package digest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"hailong/internal/tooltest"
)

// printBigReport is the sample with forty schools, more than one page long.
func printBigReport() *Report {
	r := renderSampleReport()
	base := r.Rows
	for i := len(r.Rows); i < 40; i++ {
		row := base[i%len(base)]
		row.Code = fmt.Sprintf("X%02d", i)
		row.Name = fmt.Sprintf("Trường Tiểu học số %d phường Nguyễn Văn Cừ", i)
		r.Rows = append(r.Rows, row)
	}
	return r
}

// printUnitsReport is the big report of a department, with its forty
// schools in twelve wards whose enrolment is known.
func printUnitsReport() *Report {
	r := printBigReport()
	r.EnrolmentOf = "families"
	for i := range 12 {
		u := r.Rows[i%3]
		u.Code, u.Name = fmt.Sprintf("P%02d", i+1), fmt.Sprintf("UBND phường %d thành phố Sa Đéc", i+1)
		u.Schools, u.Enrolment, u.Reached = 3+i%2, 400+10*i, u.Total
		r.Units = append(r.Units, u)
	}
	r.Comments = []CommentRow{{School: r.Rows[0].Name, Code: r.Rows[0].Code, Wave: r.Waves[0], At: r.From.Add(9 * time.Hour), Grade: "Lớp 3",
		Text: strings.Repeat("Nhà vệ sinh dơ quá, thiếu nước rửa tay, các cháu phải nhịn đến giờ về. ", 6) + "Mongnhàtrườngsửasớm."}}
	return r
}

// printYearAgoReport is the sample as an office often gets it: a long
// comment listed and others, of small schools, hidden (a note under the
// table), and the same week a year earlier for two of its three schools,
// one of them imported (a title over the table).
func printYearAgoReport() *Report {
	r := renderSampleReport()
	r.Comments = printUnitsReport().Comments
	r.CommentsHidden = 4
	r.YearAgo = &Comparison{From: r.From.AddDate(-1, 0, 0), To: r.To.AddDate(-1, 0, 0), Rows: map[string]*Row{},
		Imported: map[string]Import{"THCS02": {Source: "Báo cáo SIPAS 2024", Period: "2023-2024"}}}
	for i, row := range r.Rows[:2] {
		before := row
		before.Items = map[string]Score{}
		d := float64(3 - 5*i)
		before.Index.Pct -= d
		for id, s := range row.Items {
			s.Pct -= d
			before.Items[id] = s
		}
		r.YearAgo.Rows[row.Code] = &before
	}
	return r
}

// TestReportNotesKeepColumnsNarrow: a row of one text — a sheet's title, a
// remark under a table ("Chưa hiện 4 góp ý…") — runs across the columns
// and sizes none of them: every column is as wide as the cells of the
// table's rows need. A note that sized column A made the Góp ý sheet's Mã
// column 60 characters wide and So với năm trước's 44, and since columns
// A:B are frozen and printed on every page, fitting the page's width
// shrank the whole sheet for it (TestWorkbookInLibreOffice prints them).
func TestReportNotesKeepColumnsNarrow(t *testing.T) {
	for name, r := range map[string]*Report{
		"sample": renderSampleReport(), "year ago": printYearAgoReport(), "units": printUnitsReport(),
		"empty": {Scope: "Phòng GD&ĐT trống", FlagBelow: 60, MinRespondents: 5},
	} {
		f := renderOpenWorkbook(t, r)
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			need := map[int]int{} // column → its widest cell in a row of several
			for _, row := range rows {
				filled := 0
				for _, v := range row {
					if v != "" {
						filled++
					}
				}
				for j, v := range row {
					if filled > 1 {
						need[j] = max(need[j], utf8.RuneCountInString(v))
					}
				}
			}
			cols, _ := f.GetCols(sheet)
			for j := range cols {
				col, _ := excelize.ColumnNumberToName(j + 1)
				width, err := f.GetColWidth(sheet, col)
				if err != nil {
					t.Fatal(err)
				}
				if limit := float64(min(max(need[j], 8), maxColWidth) + 2); width > limit {
					t.Errorf("%s: %s!%s is %.0f characters wide, its table's cells need %d: a note sized it", name, sheet, col, width, need[j])
				}
			}
		}
		for _, sheet := range []string{sheetComments, sheetComparison} {
			if width, err := f.GetColWidth(sheet, "A"); err != nil || width > 10 {
				t.Errorf("%s: %s's column A (the school's code) is %.0f characters wide (%v)", name, sheet, width, err)
			}
		}
	}
}

// TestWorkbookPrintSetup reads back what makes a workbook open and print
// right: one named font on every styled cell, landscape A4 fitted to the
// page's width with the titles repeated, frozen names, who made it and when.
func TestWorkbookPrintSetup(t *testing.T) {
	r := renderSampleReport()
	r.Made = time.Date(2025, 3, 10, 7, 0, 0, 0, r.Location)
	f := renderOpenWorkbook(t, r)

	if font, err := f.GetDefaultFont(); err != nil || font != WorkbookFont {
		t.Errorf("default font %q (%v), want %s", font, err, WorkbookFont)
	}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		styled := 0
		for i, row := range rows {
			for j := range row {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				id, err := f.GetCellStyle(sheet, cell)
				if err != nil || id == 0 {
					continue
				}
				styled++
				st, err := f.GetStyle(id)
				if err != nil || st.Font == nil || st.Font.Family != WorkbookFont {
					t.Errorf("%s!%s: font %+v (%v), want %s named", sheet, cell, st.Font, err, WorkbookFont)
				}
			}
		}
		if styled == 0 {
			t.Errorf("%s: no styled cell read back", sheet)
		}

		pl, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Orientation == nil || *pl.Orientation != "landscape" || pl.Size == nil || *pl.Size != 9 ||
			pl.FitToWidth == nil || *pl.FitToWidth != 1 || pl.FitToHeight == nil || *pl.FitToHeight != 0 {
			t.Errorf("%s page layout = %s, want A4 landscape, one page wide", sheet, printLayout(pl))
		}
		props, err := f.GetSheetProps(sheet)
		if err != nil || props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: fit to page not set (%v)", sheet, err)
		}
		hf, err := f.GetHeaderFooter(sheet)
		if err != nil || !strings.Contains(hf.OddHeader, "GD&&ĐT") || !strings.Contains(hf.OddFooter, "&P") {
			t.Errorf("%s header/footer = %+v (%v), want the scope (& doubled) and page numbers", sheet, hf, err)
		}
	}

	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for sheet, want := range map[string]string{
		sheetSchools: "'Theo trường'!$A:$B,'Theo trường'!$1:$1",
		sheetSummary: "'Tổng hợp'!$1:$1",
		sheetItems:   "'Theo câu hỏi'!$1:$1",
	} {
		if titles[sheet] != want {
			t.Errorf("%s print titles = %q, want %q", sheet, titles[sheet], want)
		}
	}
	if p, err := f.GetPanes(sheetSchools); err != nil || !p.Freeze || p.XSplit != schoolNameCols || p.YSplit != 1 || p.TopLeftCell != "C2" {
		t.Errorf("Theo trường panes = %+v (%v), want the header row and the code and name columns frozen", p, err)
	}

	doc, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if stamp := "2025-03-10T00:00:00Z"; doc.Creator != "hailong" || doc.LastModifiedBy != "hailong" || doc.Created != stamp || doc.Modified != stamp {
		t.Errorf("document properties = %+v, want hailong, made %s", doc, stamp)
	}
	app, err := f.GetAppProps()
	if err != nil || app.Company != r.Scope {
		t.Errorf("app properties = %+v (%v), want the company %q", app, err, r.Scope)
	}
}

func printLayout(pl excelize.PageLayoutOptions) string {
	s := func(p any) string {
		switch p := p.(type) {
		case *string:
			if p != nil {
				return *p
			}
		case *int:
			if p != nil {
				return strconv.Itoa(*p)
			}
		}
		return "unset"
	}
	return fmt.Sprintf("size %s, %s, fit %s×%s", s(pl.Size), s(pl.Orientation), s(pl.FitToWidth), s(pl.FitToHeight))
}

// TestWorkbookInLibreOffice prints workbooks with LibreOffice, headless in
// a Vietnamese locale, and reads the PDF: a sheet to a page when it fits,
// every page of a long table with its names and all its columns, one sans
// face, rates shown as percentages with a decimal comma, and the note on
// the "–".
func TestWorkbookInLibreOffice(t *testing.T) {
	dir := t.TempDir()
	var files []string
	sheets := 0
	for name, r := range map[string]*Report{"mau": renderSampleReport(), "lon": printBigReport(), "donvi": printUnitsReport(),
		"namtruoc": printYearAgoReport()} {
		data, err := Workbook(r)
		if err != nil {
			t.Fatal(err)
		}
		if name == "mau" {
			f, err := excelize.OpenReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			sheets = len(f.GetSheetList())
			f.Close()
		}
		p := filepath.Join(dir, name+".xlsx")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	pdfs := tooltest.Convert(t, "pdf", "", files...)
	for _, pdf := range pdfs {
		for _, font := range tooltest.Fonts(t, pdf) {
			if !strings.HasPrefix(font, "LiberationSans") {
				t.Errorf("%s uses %s: every cell should be in %s (LibreOffice's Liberation Sans)", filepath.Base(pdf), font, WorkbookFont)
			}
		}
		text := tooltest.Text(t, pdf)
		pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
		if n := tooltest.Pages(t, pdf); n != len(pages) {
			t.Fatalf("%s: pdfinfo says %d pages, the text has %d", pdf, n, len(pages))
		}
		name := filepath.Base(pdf)
		if name == "mau.pdf" && len(pages) != sheets {
			t.Errorf("the %d-sheet sample prints on %d pages, want one a sheet:\n%s", sheets, len(pages), text)
		}
		tablePages := map[string]int{}
		for i, page := range pages {
			// Fitted to the width, with the titles repeated: every page
			// of a table has the header, the last item's column, and
			// names beside the figures.
			for sheet, wants := range map[string][]string{
				sheetSchools: {"Tên trường", "Chỉ số hài lòng", "D1", "Trường "},
				sheetUnits:   {"Đơn vị", "Tỷ lệ phản hồi", "D1", "UBND phường"},
			} {
				if !strings.Contains(page, sheet+" ") {
					continue
				}
				tablePages[sheet]++
				for _, want := range wants {
					if !strings.Contains(page, want) {
						t.Errorf("%s page %d (%s) lacks %q:\n%s", name, i+1, sheet, want, page)
					}
				}
			}
		}
		// Columns A:B, the school's code and name, are printed on every
		// page of these sheets: the code's column is as narrow as codes
		// (a note under the table or a title over it widening it made
		// the page fit its width by shrinking everything).
		for i, page := range pages {
			lines := strings.Split(strings.TrimRight(page, "\n"), "\n")
			footer := strings.TrimSpace(lines[len(lines)-1])
			for _, sheet := range []string{sheetSchools, sheetUnits, sheetComments, sheetTerms, sheetComparison} {
				if !strings.HasPrefix(footer, sheet+" ") {
					continue
				}
				code, edge := printCodeColumn(page), printRightEdge(page)
				if code > 15 {
					t.Errorf("%s page %d (%s): the code's column takes %d characters of the page's %d (the header's right edge):\n%s",
						name, i+1, sheet, code, edge, page)
				}
				t.Logf("%s page %d (%s): %d characters wide, the code's column %d", name, i+1, sheet, edge, code)
			}
		}
		if name == "namtruoc.pdf" {
			for _, want := range []string{"Chưa hiện 4 góp ý của trường có dưới 5 phiếu trong đợt (để không ai bị nhận ra).",
				"Cùng kỳ năm trước: 03/03/2024 – 09/03/2024", "Nhập từ: Báo cáo SIPAS 2024 (2023-2024)"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s does not print %q whole", name, want)
				}
			}
		}
		if (name == "lon.pdf" || name == "donvi.pdf") && tablePages[sheetSchools] < 2 {
			t.Errorf("%s: forty schools on %d page(s): the test wants a table longer than a page", name, tablePages[sheetSchools])
		}
		if name == "donvi.pdf" && tablePages[sheetUnits] == 0 {
			t.Errorf("%s: no page of the units' sheet", name)
		}
		for _, want := range []string{"87,5%", "76,4%", "60,0%", "–: chưa đủ mẫu (dưới 5 câu trả lời"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not show %q", name, want)
			}
		}
		// A long comment wraps in its column and prints whole.
		if name == "donvi.pdf" && !strings.Contains(text, "Mongnhàtrườngsửasớm.") {
			t.Errorf("%s: the comment's last words are not printed", name)
		}
		if strings.Contains(text, "0,875") || strings.Contains(text, "87.5") {
			t.Errorf("%s shows a rate as a fraction or with a decimal point", name)
		}
	}
}

// printCodeColumn is how many characters of a printed page (pdftotext
// -layout) its first column takes: from the header's "Mã" to the name's
// header beside it ("Tên trường", "Trường", "Đơn vị"); 0 when the page
// has no such header.
func printCodeColumn(page string) int {
	for line := range strings.Lines(page) {
		i := strings.Index(line, "Mã ")
		if i < 0 || strings.TrimSpace(line[:i]) != "" {
			continue
		}
		for _, name := range []string{"Tên trường", "Trường", "Đơn vị"} {
			if j := strings.Index(line[i:], name); j > 0 {
				return utf8.RuneCountInString(line[i : i+j])
			}
		}
	}
	return 0
}

// printRightEdge is the width of a printed page's text in characters: where
// its header (the scope left, the period right) ends. The smaller the print
// is scaled, the more characters fit the page.
func printRightEdge(page string) int {
	for line := range strings.Lines(page) {
		if strings.TrimSpace(line) != "" {
			return utf8.RuneCountInString(strings.TrimRight(line, " \n"))
		}
	}
	return 0
}

// TestCSVInVietnameseSpreadsheet opens the CSV as a spreadsheet set to
// Vietnamese does (LibreOffice, ";"-separated UTF-8, Vietnamese locale):
// every count, rate and date is a number, the rest text. The same file
// with decimal points is opened beside it, to show that the locale is in
// force (its rates come in as text: the bug this CSV avoids). The
// comparison's CSV is opened in the same run: its dates and every share
// and change in points (one below zero) are numbers, its codes, names,
// indicators and sources text.
func TestCSVInVietnameseSpreadsheet(t *testing.T) {
	r := renderSampleReport()
	data, err := CSV(r)
	if err != nil {
		t.Fatal(err)
	}
	comparison, err := ComparisonCSV(printYearAgoReport())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ours, points, compared := filepath.Join(dir, "bao-cao.csv"), filepath.Join(dir, "dau-cham.csv"), filepath.Join(dir, "so-sanh.csv")
	var dotted bytes.Buffer
	for line := range strings.Lines(string(data)) {
		f := strings.Split(line, ";")
		for i := 8; i < len(f); i++ {
			f[i] = strings.Replace(f[i], ",", ".", 1)
		}
		dotted.WriteString(strings.Join(f, ";"))
	}
	for path, b := range map[string][]byte{ours: data, points: dotted.Bytes(), compared: comparison} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	books := tooltest.ReadCSV(t, ours, points, compared)
	rows := books[0]
	if len(rows) != len(renderWantCSV) || len(rows[0]) != len(renderWantCSV[0]) {
		t.Fatalf("LibreOffice read %d rows of %d columns, want %d of %d:\n%v", len(rows), len(rows[0]), len(renderWantCSV), len(renderWantCSV[0]), rows)
	}
	for i := 1; i < len(renderWantCSV)-1; i++ {
		for j, want := range renderWantCSV[i] {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var c tooltest.Cell
			if j < len(rows[i]) {
				c = rows[i][j]
			}
			switch {
			case j < 2: // ISO dates
				if !c.Number {
					t.Errorf("%s = %q: the period's date came in as text", cell, c.Value)
				}
			case want == "" || want == Suppressed || j < 6 || j == 3:
				if c.Number {
					t.Errorf("%s = %q came in as a number, want text %q", cell, c.Value, want)
				}
			default:
				printWantNumber(t, "bao-cao.csv", cell, c, want)
			}
		}
	}
	if c := books[1][1][8]; c.Number {
		t.Errorf("a rate written 87.5 came in as the number %q: the Vietnamese locale is not in force, so this test proves nothing", c.Value)
	}

	want := renderReadCSV(t, comparison)
	got := books[2]
	if len(got) != len(want) {
		t.Fatalf("LibreOffice read %d rows of the comparison, want %d:\n%v", len(got), len(want), got)
	}
	negative := false
	for i := 1; i < len(want); i++ {
		for j, w := range want[i] {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var c tooltest.Cell
			if j < len(got[i]) {
				c = got[i][j]
			}
			switch {
			case w == "":
				if c.Value != "" {
					t.Errorf("so-sanh.csv %s = %q, want it empty", cell, c.Value)
				}
			case j < 2: // ISO dates
				if !c.Number {
					t.Errorf("so-sanh.csv %s = %q: the period's date came in as text", cell, c.Value)
				}
			case j >= 6 && j <= 8: // this year, a year earlier, the change
				printWantNumber(t, "so-sanh.csv", cell, c, w)
				negative = negative || strings.HasPrefix(w, "-")
			default:
				if c.Number || c.Value != w {
					t.Errorf("so-sanh.csv %s = %q (a number: %v), want the text %q", cell, c.Value, c.Number, w)
				}
			}
		}
	}
	if !negative {
		t.Error("no change below zero in the comparison: the test wants one")
	}
}

// printWantNumber checks that a spreadsheet read a CSV's cell written want
// ("73,3", "-3,0", "12") as that number.
func printWantNumber(t *testing.T, file, cell string, c tooltest.Cell, want string) {
	t.Helper()
	x, err := strconv.ParseFloat(c.Value, 64)
	w, _ := strconv.ParseFloat(strings.Replace(want, ",", ".", 1), 64)
	if !c.Number || err != nil || x != w {
		t.Errorf("%s %s = %q (a number: %v), want the number %v", file, cell, c.Value, c.Number, w)
	}
}

// TestFileNames: the digest's files are named as the chat receives them and
// as they are saved (FileName), by the period.
func TestFileNames(t *testing.T) {
	r := renderSampleReport()
	if got, want := r.FileName(FileReport, ".xlsx"), "bao-cao-2025-03-03_2025-03-09.xlsx"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
	j := &Job{}
	replies, err := j.render(r, true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, rep := range replies {
		if rep.File != nil {
			names = append(names, rep.File.Name)
		}
	}
	if want := []string{"bieu-do-2025-03-03_2025-03-09.png", "bao-cao-2025-03-03_2025-03-09.xlsx"}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("the digest's files are %q, want %q", names, want)
	}
}
