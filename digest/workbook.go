package digest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the workbook, in order.
const (
	sheetSummary    = "Tổng hợp"
	sheetSchools    = "Theo trường"
	sheetItems      = "Theo câu hỏi"
	sheetComplaints = "Phản ánh"
)

// Suppressed is the mark of a figure withheld in every file hailong writes:
// in a report's cell it stands for a share of too few answers, and for the
// counts it would be computed from; a note under the table says why
// (suppressedNote), as the chat's digest does under its own.
const Suppressed = "–"

// suppressedNote explains Suppressed under a table that shows one.
func suppressedNote(min int) string {
	return fmt.Sprintf("–: chưa đủ mẫu (dưới %d câu trả lời, không tính tỷ lệ).", min)
}

// Column of the satisfaction index in the per-school table (1-based), and
// how many columns (code and name) name a row.
const (
	schoolIndexCol = 6
	schoolNameCols = 2
)

// renderTenths is v in tenths, rounded: the one rounding of every figure
// shown with one decimal (renderRound1, renderShare).
func renderTenths(v float64) float64 { return math.Round(v * 10) }

// renderRound1 is v rounded to one decimal, as it is shown.
func renderRound1(v float64) float64 { return renderTenths(v) / 10 }

// share is a rate as a fraction (0.733 for 73,3%), rounded to what is shown
// (one decimal of a percent): the workbook stores it as a number under a
// percent format, the CSV writes it as a percentage with a decimal comma.
type share float64

// renderShare is a percentage as its share, rounded as shown. The tenths
// are divided by 1000 at once: renderRound1(p)/100 would store 0.7% as
// 0.006999999999999999.
func renderShare(pct float64) share { return share(renderTenths(pct) / 1000) }

// renderScore is the cell of a score: a share, so that spreadsheets can sort
// and average it, or suppressed when it may not be shown.
func renderScore(s Score) any {
	if !s.Shown {
		return Suppressed
	}
	return renderShare(s.Pct)
}

// DecimalVI writes v with one decimal and a decimal comma, as everything
// hailong writes for people does (the chat, the chart, the CSV): 73,3.
func DecimalVI(v float64) string {
	return strings.Replace(strconv.FormatFloat(renderRound1(v), 'f', 1, 64), ".", ",", 1)
}

// PercentVI is a percentage as everything hailong writes for people shows
// it, always with one decimal ("55,0%" beside "73,3%"): the chat, the
// charts, the dashboard, the published summaries.
func PercentVI(v float64) string { return DecimalVI(v) + "%" }

// renderSchoolTable is the "Theo trường" table shared by the workbook and the
// CSV. A nil cell is an item the school's level was not asked.
func renderSchoolTable(r *Report) (header []string, rows [][]any) {
	header = []string{"Mã", "Tên trường", "Cấp", "Phiếu mới", "Tổng phiếu", "Chỉ số hài lòng"}
	for _, it := range r.Items {
		header = append(header, it.ID)
	}
	rates := r.withEnrolment() > 0
	if rates {
		header = append(header, "Số "+r.enrolled(), "Tỷ lệ phản hồi")
	}
	line := func(code, name, level string, row Row) []any {
		cells := []any{code, name, level, row.New, row.Total, renderScore(row.Index)}
		for _, it := range r.Items {
			if s, ok := row.Items[it.ID]; ok {
				cells = append(cells, renderScore(s))
			} else {
				cells = append(cells, nil)
			}
		}
		if rates {
			cells = append(cells, renderRate(row)...)
		}
		return cells
	}
	for _, row := range r.Rows {
		rows = append(rows, line(row.Code, row.Name, row.Level.Name(), row))
	}
	rows = append(rows, line("", "Tổng cộng", "", r.Total))
	return header, rows
}

type renderCount struct {
	label string
	n     int
}

func renderComplaintCounts(r *Report) []renderCount {
	c := r.Complaints
	return []renderCount{
		{"Phản ánh mới trong kỳ", c.Opened},
		{"Tiếp nhận đúng hạn", c.AckedOnTime},
		{"Đã giải quyết trong kỳ", c.Resolved},
		{"Đang mở cuối kỳ", c.Open},
		{"Quá hạn", len(c.Overdue)},
	}
}

// sheetWriter appends rows to a sheet and remembers how wide each column
// needs to be; the first error sticks so callers check once.
type sheetWriter struct {
	f     *excelize.File
	st    workbookStyles
	name  string
	row   int
	width []int
	// nameCols are the columns frozen at the left and printed on every
	// page (the school's code and name), headRows the rows at the top.
	nameCols, headRows int
	dashed             bool // a cell shows Suppressed: the note goes under the table
	err                error
}

func (w *sheetWriter) add(style int, cells ...any) {
	w.put(true, style, cells)
}

// note writes a row of one text running across the table (a title above
// it, a remark under it): it does not size its column. Sized, a note of 60
// characters would widen column A as much, and where column A is frozen
// and printed on every page, fitting the page's width would shrink the
// whole sheet for it.
func (w *sheetWriter) note(style int, text string) {
	w.put(false, style, []any{text})
}

// put writes a row; sized says whether its cells count for the columns'
// widths (a note running across the table does not).
func (w *sheetWriter) put(sized bool, style int, cells []any) {
	w.row++
	if w.err != nil || len(cells) == 0 {
		return
	}
	cells = append([]any(nil), cells...) // the caller's row keeps its shares
	for i, v := range cells {
		switch v := v.(type) {
		case share:
			cells[i] = float64(v) // excelize writes a named type as text
		case string:
			w.dashed = w.dashed || v == Suppressed
		}
	}
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	if w.err = w.f.SetSheetRow(w.name, cell, &cells); w.err != nil {
		return
	}
	for i, v := range cells {
		if !sized {
			break
		}
		if i >= len(w.width) {
			w.width = append(w.width, 0)
		}
		w.width[i] = max(w.width[i], renderCellWidth(v))
	}
	if style != 0 {
		last, _ := excelize.CoordinatesToCellName(len(cells), w.row)
		w.err = w.f.SetCellStyle(w.name, cell, last, style)
	}
}

// wrapCell wraps the last row's long text in column col and makes the row
// tall enough for it: spreadsheets do not grow a row for wrapped text read
// from a file, so without a height it prints as two lines of many. The
// column is at most maxColWidth characters wide; a line holds a little
// less, in Arial's wider letters.
func (w *sheetWriter) wrapCell(col int, text string) {
	w.styleCell(col, w.st.wrap)
	if w.err != nil {
		return
	}
	perLine := float64(maxColWidth) * 0.9
	lines := math.Ceil(float64(utf8.RuneCountInString(text)) / perLine)
	if lines > 1 {
		w.err = w.f.SetRowHeight(w.name, w.row, min(lines*15, 409)) // 409 pt: Excel's tallest row
	}
}

// styleCell styles one cell of the last row added.
func (w *sheetWriter) styleCell(col, style int) {
	if w.err != nil {
		return
	}
	cell, _ := excelize.CoordinatesToCellName(col, w.row)
	w.err = w.f.SetCellStyle(w.name, cell, cell, style)
}

// maxColWidth is the widest a column is made, in characters.
const maxColWidth = 60

// finish notes what "–" means if the sheet shows one, sizes the columns,
// freezes the header rows (and the name columns) and sets the page up to
// print: A4 landscape, every column on one page's width, the header rows
// (and name columns) repeated on each page, the scope and period in the
// page header. Widths are counted in characters, which is what Excel's
// column width unit approximates.
func (w *sheetWriter) finish(r *Report) error {
	if w.dashed {
		w.add(0)
		w.note(w.st.muted, suppressedNote(r.MinRespondents))
	}
	if w.err != nil {
		return w.err
	}
	for i, n := range w.width {
		col, _ := excelize.ColumnNumberToName(i + 1)
		width := float64(min(max(n+2, 8), maxColWidth))
		if err := w.f.SetColWidth(w.name, col, col, width); err != nil {
			return err
		}
	}
	head := max(w.headRows, 1)
	top, _ := excelize.CoordinatesToCellName(w.nameCols+1, head+1)
	pane := "bottomLeft"
	if w.nameCols > 0 {
		pane = "bottomRight"
	}
	if err := w.f.SetPanes(w.name, &excelize.Panes{
		Freeze: true, XSplit: w.nameCols, YSplit: head, TopLeftCell: top, ActivePane: pane,
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: pane}},
	}); err != nil {
		return err
	}
	a4, landscape, one, tall := 9, "landscape", 1, 0
	if err := w.f.SetPageLayout(w.name, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall,
	}); err != nil {
		return err
	}
	fit := true
	if err := w.f.SetSheetProps(w.name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	titles := fmt.Sprintf("'%s'!$1:$%d", w.name, head)
	if w.nameCols > 0 {
		last, _ := excelize.ColumnNumberToName(w.nameCols)
		titles = fmt.Sprintf("'%s'!$A:$%s,%s", w.name, last, titles)
	}
	if err := w.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: titles, Scope: w.name}); err != nil {
		return err
	}
	// In a header or footer "&" starts a code: a scope like "Phòng GD&ĐT"
	// needs it doubled.
	esc := func(s string) string { return strings.ReplaceAll(s, "&", "&&") }
	return w.f.SetHeaderFooter(w.name, &excelize.HeaderFooterOptions{
		OddHeader: "&L" + esc(r.Scope) + "&R" + esc(renderPeriod(r)),
		OddFooter: "&L" + esc(w.name) + "&RTrang &P/&N",
	})
}

func renderCellWidth(v any) int {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		return utf8.RuneCountInString(v)
	case float64:
		return len(strconv.FormatFloat(v, 'f', 1, 64))
	default:
		return len(fmt.Sprint(v))
	}
}

// WorkbookFont is the one face of every cell. A style without a font name
// prints in the reader's fallback, a serif beside the sans body; Arial is
// on every office PC, and LibreOffice sets it in Liberation Sans, its
// metric twin, so column widths and page breaks hold there too.
const (
	WorkbookFont     = "Arial"
	workbookFontSize = 11
)

// percentFormat shows a share as 73.3% (73,3% in a Vietnamese locale).
const percentFormat = "0.0%"

type workbookStyles struct {
	header, bold, pct, pctBold, pctFlag, muted, dash, title, points, wrap int
}

func newWorkbookStyles(f *excelize.File) (workbookStyles, error) {
	var st workbookStyles
	if err := f.SetDefaultFont(WorkbookFont); err != nil {
		return st, err
	}
	pctFmt, pointsFmt := percentFormat, "0.0"
	font := func(bold, italic bool, size float64, color string) *excelize.Font {
		return &excelize.Font{Family: WorkbookFont, Size: size, Bold: bold, Italic: italic, Color: color}
	}
	border := []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}
	defs := []struct {
		id *int
		s  *excelize.Style
	}{
		{&st.header, &excelize.Style{Font: font(true, false, workbookFontSize, ""), Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&st.bold, &excelize.Style{Font: font(true, false, workbookFontSize, "")}},
		{&st.pct, &excelize.Style{CustomNumFmt: &pctFmt, Font: font(false, false, workbookFontSize, "")}},
		{&st.pctBold, &excelize.Style{CustomNumFmt: &pctFmt, Font: font(true, false, workbookFontSize, "")}},
		// The same warning colour as the chart's flagged bars.
		{&st.pctFlag, &excelize.Style{CustomNumFmt: &pctFmt, Font: font(true, false, workbookFontSize, "9C3D00"),
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FCE4D0"}}}},
		{&st.muted, &excelize.Style{Font: font(false, true, workbookFontSize, "707070")}},
		// A suppressed share sits where its number would.
		{&st.dash, &excelize.Style{Font: font(false, false, workbookFontSize, "707070"),
			Alignment: &excelize.Alignment{Horizontal: "right"}}},
		{&st.title, &excelize.Style{Font: font(true, false, 12, "")}},
		// A long text (a comment) wraps in its column, so it prints whole.
		{&st.wrap, &excelize.Style{Font: font(false, false, workbookFontSize, ""),
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		// A change in percentage points: 2.1, not a percentage.
		{&st.points, &excelize.Style{CustomNumFmt: &pointsFmt, Font: font(false, false, workbookFontSize, "")}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(d.s)
		if err != nil {
			return st, err
		}
		*d.id = id
	}
	return st, nil
}

// scoreStyle picks the style of a score cell: shares get the percent format,
// suppressed is greyed out so it doesn't read as a value; anything else
// (a count) keeps the row's style.
func (st workbookStyles) scoreStyle(v any, bold, flagged bool) int {
	if _, ok := v.(share); !ok {
		if v != Suppressed {
			return 0
		}
		return st.dash
	}
	switch {
	case flagged:
		return st.pctFlag
	case bold:
		return st.pctBold
	}
	return st.pct
}

// Workbook renders r as an .xlsx workbook for the office's own analysis.
func Workbook(r *Report) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newWorkbookStyles(f)
	if err != nil {
		return nil, fmt.Errorf("digest: workbook styles: %w", err)
	}
	sheets := []string{sheetSummary, sheetSchools, sheetItems, sheetComplaints}
	fills := []func(*excelize.File, *Report, workbookStyles) error{writeSummarySheet, writeSchoolsSheet, writeItemsSheet, writeComplaintsSheet}
	if len(r.Units) > 0 {
		// A sheet per level: the units one level down, then the schools.
		sheets = slices.Insert(sheets, 1, sheetUnits)
		fills = slices.Insert(fills, 1, writeUnitsSheet)
	}
	for _, name := range sheets {
		if _, err := f.NewSheet(name); err != nil {
			return nil, fmt.Errorf("digest: sheet %q: %w", name, err)
		}
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		return nil, fmt.Errorf("digest: delete Sheet1: %w", err)
	}
	for _, fill := range fills {
		if err := fill(f, r, st); err != nil {
			return nil, fmt.Errorf("digest: workbook: %w", err)
		}
	}
	if err := addReportSheets(f, r, st); err != nil {
		return nil, fmt.Errorf("digest: workbook: %w", err)
	}
	if idx, err := f.GetSheetIndex(sheetSummary); err == nil && idx >= 0 {
		f.SetActiveSheet(idx)
	}
	if err := setProperties(f, r); err != nil {
		return nil, fmt.Errorf("digest: workbook properties: %w", err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("digest: write workbook: %w", err)
	}
	return buf.Bytes(), nil
}

// Creator is who a report's file says made it.
const Creator = "hailong"

// setProperties says who made the workbook and when (the report's time, not
// the library's defaults: its author, and 2006).
func setProperties(f *excelize.File, r *Report) error {
	made := r.Made
	if made.IsZero() {
		made = r.To
	}
	stamp := made.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Creator: Creator, LastModifiedBy: Creator, Created: stamp, Modified: stamp,
		Title: "Báo cáo chỉ số hài lòng – " + r.Scope, Subject: renderPeriod(r), Language: "vi-VN",
	}); err != nil {
		return err
	}
	return f.SetAppProps(&excelize.AppProperties{Application: Creator, Company: r.Scope})
}

func writeSummarySheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, st: st, name: sheetSummary}
	w.add(st.header, "Mục", "Giá trị")
	waves := strings.Join(r.Waves, "; ")
	if waves == "" {
		waves = "—"
	}
	w.add(0, "Phạm vi", r.Scope)
	w.add(0, "Kỳ báo cáo", renderPeriod(r))
	w.add(0, "Đợt khảo sát", waves)
	w.add(0, "Số trường", len(r.Rows))
	w.add(0, "Phiếu mới trong kỳ", r.Total.New)
	w.add(0, "Tổng số phiếu", r.Total.Total)
	score := func(label string, s Score, bold bool) {
		v := renderScore(s)
		w.add(0, label, v)
		w.styleCell(2, st.scoreStyle(v, bold, false))
	}
	score("Chỉ số hài lòng", r.Total.Index, true)
	if r.PrevWeek != nil {
		score("Chỉ số tuần trước", r.PrevWeek.Index, false)
	}
	if ly := r.yearEarlier(); ly != nil {
		score("Chỉ số cùng kỳ năm trước", ly.Index, false)
	}
	flagged := 0
	for _, row := range r.Rows {
		if row.Flagged {
			flagged++
		}
	}
	w.add(0, "Ngưỡng cảnh báo", share(r.FlagBelow/100))
	w.styleCell(2, st.pct)
	w.add(0, "Số trường dưới ngưỡng", flagged)
	w.add(0, "Số ý kiến tối thiểu để hiện tỉ lệ", r.MinRespondents)
	for _, c := range renderComplaintCounts(r) {
		w.add(0, c.label, c.n)
	}
	return w.finish(r)
}

func writeSchoolsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, st: st, name: sheetSchools, nameCols: schoolNameCols}
	header, rows := renderSchoolTable(r)
	hcells := make([]any, len(header))
	for i, h := range header {
		hcells[i] = h
	}
	w.add(st.header, hcells...)
	for i, cells := range rows {
		total := i == len(rows)-1
		style := 0
		if total {
			style = st.bold
		}
		w.add(style, cells...)
		for col := schoolIndexCol; col <= len(cells); col++ {
			flagged := col == schoolIndexCol && !total && r.Rows[i].Flagged
			if s := st.scoreStyle(cells[col-1], total, flagged); s != 0 {
				w.styleCell(col, s)
			}
		}
	}
	return w.finish(r)
}

func writeItemsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, st: st, name: sheetItems}
	w.add(st.header, "Mã câu", "Câu hỏi", "Tốt", "Chưa tốt", "Không biết", "Tỉ lệ tốt")
	for _, it := range r.Items {
		s := r.Total.Items[it.ID]
		v := renderScore(s)
		if !s.Shown {
			// Too few answers to show a share are too few to show the
			// counts it would be computed from.
			w.add(0, it.ID, it.Short, Suppressed, Suppressed, Suppressed, v)
			for col := 3; col <= 5; col++ {
				w.styleCell(col, st.dash)
			}
		} else {
			w.add(0, it.ID, it.Short, s.Good, s.Bad, s.Unknown, v)
		}
		w.styleCell(6, st.scoreStyle(v, false, false))
	}
	return w.finish(r)
}

func writeComplaintsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, st: st, name: sheetComplaints}
	w.add(st.header, "Chỉ tiêu", "Số lượng")
	for _, c := range renderComplaintCounts(r) {
		w.add(0, c.label, c.n)
	}
	w.add(0)
	w.note(st.title, "Phản ánh quá hạn")
	w.add(st.header, "Mã", "Trường", "Trạng thái", "Số ngày")
	for _, o := range r.Complaints.Overdue {
		w.add(0, o.Code, o.School, o.Status, o.AgeDays)
	}
	if len(r.Complaints.Overdue) == 0 {
		w.note(st.muted, "Không có phản ánh quá hạn")
	}
	return w.finish(r)
}

// CSVComma is the CSV's field separator. A spreadsheet set to Vietnamese
// (Excel, LibreOffice) takes the comma as its decimal separator and the
// semicolon as its list separator, so it splits fields at ";" and reads
// "73,3" as a number; a CSV of commas and decimal points would come in as
// one text column, or with every decimal as text.
const CSVComma = ';'

// NewCSV starts a CSV file for a spreadsheet set to Vietnamese: the byte
// order mark, fields separated by CSVComma, lines ended by CRLF. Write
// decimals with DecimalVI.
func NewCSV(buf *bytes.Buffer) *csv.Writer {
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(buf)
	cw.Comma = CSVComma
	cw.UseCRLF = true
	return cw
}

// csvLead is what every row of a CSV of r begins with: the period (ISO
// dates, which any locale reads as dates) and the scope; head names them.
func csvLead(r *Report) (head, values []string) {
	from, last := r.From.In(r.loc()), r.To.In(r.loc()).AddDate(0, 0, -1)
	return []string{"Từ ngày", "Đến ngày", "Phạm vi"}, []string{from.Format(time.DateOnly), last.Format(time.DateOnly), r.Scope}
}

// CSV renders the per-school table for a spreadsheet set to Vietnamese:
// fields separated by CSVComma, shares as percentages with a decimal comma
// ("73,3", the columns marked "(%)"), counts as integers. Every row carries
// the period (ISO dates, which any locale reads as dates) and the scope, so
// a row copied elsewhere keeps its context; a share of too few answers is
// suppressed, explained in the last row. The byte order mark is what makes
// Excel read the file as UTF-8 rather than the ANSI code page, which would
// garble the diacritics.
func CSV(r *Report) ([]byte, error) {
	header, cells := renderSchoolTable(r)
	rows := make([][]string, 0, len(cells)+1)
	for i, h := range header {
		if i+1 >= schoolIndexCol && h != "Số "+r.enrolled() {
			header[i] = h + " (%)"
		}
	}
	rows = append(rows, header)
	dashed := false
	for _, row := range cells {
		rec := make([]string, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case nil:
			case share:
				rec[i] = DecimalVI(float64(v) * 100)
			default:
				rec[i] = fmt.Sprint(v)
				dashed = dashed || v == Suppressed
			}
		}
		rows = append(rows, rec)
	}
	note := ""
	if dashed {
		note = suppressedNote(r.MinRespondents)
	}
	return writeCSV(r, rows, note)
}
