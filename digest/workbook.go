package digest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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

// notShown stands in for a percentage computed from too few answers.
const notShown = "chưa đủ mẫu"

// Column of the satisfaction index in the per-school table (1-based).
const schoolIndexCol = 6

func renderRound1(v float64) float64 { return math.Round(v*10) / 10 }

// renderScore is the cell of a score: the percentage as a number, so that
// spreadsheets can sort and average it, or the text when it may not be shown.
func renderScore(s Score) any {
	if !s.Shown {
		return notShown
	}
	return renderRound1(s.Pct)
}

// renderSchoolTable is the "Theo trường" table shared by the workbook and the
// CSV. A nil cell is an item the school's level was not asked.
func renderSchoolTable(r *Report) (header []string, rows [][]any) {
	header = []string{"Mã", "Tên trường", "Cấp", "Phiếu mới", "Tổng phiếu", "Chỉ số hài lòng (%)"}
	for _, it := range r.Items {
		header = append(header, it.ID)
	}
	rates := r.withEnrolment() > 0
	if rates {
		header = append(header, "Số "+r.enrolled(), "Tỷ lệ phản hồi (%)")
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
	name  string
	row   int
	width []int
	err   error
}

func (w *sheetWriter) add(style int, cells ...any) {
	w.row++
	if w.err != nil || len(cells) == 0 {
		return
	}
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	if w.err = w.f.SetSheetRow(w.name, cell, &cells); w.err != nil {
		return
	}
	for i, v := range cells {
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

// styleCell styles one cell of the last row added.
func (w *sheetWriter) styleCell(col, style int) {
	if w.err != nil {
		return
	}
	cell, _ := excelize.CoordinatesToCellName(col, w.row)
	w.err = w.f.SetCellStyle(w.name, cell, cell, style)
}

// finish freezes the header row and sizes the columns. Widths are counted in
// characters, which is what Excel's column width unit approximates.
func (w *sheetWriter) finish() error {
	if w.err != nil {
		return w.err
	}
	for i, n := range w.width {
		col, _ := excelize.ColumnNumberToName(i + 1)
		width := float64(min(max(n+2, 8), 60))
		if err := w.f.SetColWidth(w.name, col, col, width); err != nil {
			return err
		}
	}
	return w.f.SetPanes(w.name, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
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

type workbookStyles struct {
	header, bold, pct, pctBold, pctFlag, muted, title int
}

func newWorkbookStyles(f *excelize.File) (workbookStyles, error) {
	var st workbookStyles
	one := "0.0"
	border := []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}
	defs := []struct {
		id *int
		s  *excelize.Style
	}{
		{&st.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&st.bold, &excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&st.pct, &excelize.Style{CustomNumFmt: &one}},
		{&st.pctBold, &excelize.Style{CustomNumFmt: &one, Font: &excelize.Font{Bold: true}}},
		// The same warning colour as the chart's flagged bars.
		{&st.pctFlag, &excelize.Style{CustomNumFmt: &one, Font: &excelize.Font{Bold: true, Color: "9C3D00"},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FCE4D0"}}}},
		{&st.muted, &excelize.Style{Font: &excelize.Font{Italic: true, Color: "707070"}}},
		{&st.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}}},
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

// scoreStyle picks the style of a score cell: numbers get one decimal, the
// "chưa đủ mẫu" text is greyed out so it doesn't read as a value.
func (st workbookStyles) scoreStyle(v any, bold, flagged bool) int {
	if _, ok := v.(float64); !ok {
		if v == nil {
			return 0
		}
		return st.muted
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
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("digest: write workbook: %w", err)
	}
	return buf.Bytes(), nil
}

func writeSummarySheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, name: sheetSummary}
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
	score("Chỉ số hài lòng (%)", r.Total.Index, true)
	if r.PrevWeek != nil {
		score("Chỉ số tuần trước (%)", r.PrevWeek.Index, false)
	}
	if r.LastYear != nil {
		score("Chỉ số cùng kỳ năm trước (%)", r.LastYear.Index, false)
	}
	flagged := 0
	for _, row := range r.Rows {
		if row.Flagged {
			flagged++
		}
	}
	w.add(0, "Ngưỡng cảnh báo (%)", r.FlagBelow)
	w.styleCell(2, st.pct)
	w.add(0, "Số trường dưới ngưỡng", flagged)
	w.add(0, "Số ý kiến tối thiểu để hiện tỉ lệ", r.MinRespondents)
	for _, c := range renderComplaintCounts(r) {
		w.add(0, c.label, c.n)
	}
	return w.finish()
}

func writeSchoolsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, name: sheetSchools}
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
	return w.finish()
}

func writeItemsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, name: sheetItems}
	w.add(st.header, "Mã câu", "Câu hỏi", "Tốt", "Chưa tốt", "Không biết", "Tỉ lệ tốt (%)")
	for _, it := range r.Items {
		s := r.Total.Items[it.ID]
		v := renderScore(s)
		if !s.Shown {
			// Too few answers to show a share are too few to show the
			// counts it would be computed from.
			w.add(0, it.ID, it.Short, "", "", "", v)
		} else {
			w.add(0, it.ID, it.Short, s.Good, s.Bad, s.Unknown, v)
		}
		w.styleCell(6, st.scoreStyle(v, false, false))
	}
	return w.finish()
}

func writeComplaintsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, name: sheetComplaints}
	w.add(st.header, "Chỉ tiêu", "Số lượng")
	for _, c := range renderComplaintCounts(r) {
		w.add(0, c.label, c.n)
	}
	w.add(0)
	w.add(st.title, "Phản ánh quá hạn")
	w.add(st.header, "Mã", "Trường", "Trạng thái", "Số ngày")
	for _, o := range r.Complaints.Overdue {
		w.add(0, o.Code, o.School, o.Status, o.AgeDays)
	}
	if len(r.Complaints.Overdue) == 0 {
		w.add(st.muted, "Không có phản ánh quá hạn")
	}
	return w.finish()
}

// CSV renders the per-school table as CSV. The byte order mark is what makes
// Excel read the file as UTF-8 rather than the ANSI code page, which would
// garble the diacritics.
func CSV(r *Report) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	header, rows := renderSchoolTable(r)
	if err := cw.Write(header); err != nil {
		return nil, err
	}
	rec := make([]string, len(header))
	for _, cells := range rows {
		for i, v := range cells {
			switch v := v.(type) {
			case nil:
				rec[i] = ""
			case float64:
				rec[i] = strconv.FormatFloat(v, 'f', 1, 64)
			default:
				rec[i] = fmt.Sprint(v)
			}
		}
		if err := cw.Write(rec); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("digest: write csv: %w", err)
	}
	return buf.Bytes(), nil
}
