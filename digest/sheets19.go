package digest

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"

	"hailong/flows"
)

// Sheets of what parents wrote and of the year-earlier comparison, added
// after the workbook's tables by addCommentSheets and addComparisonSheet.
const (
	sheetComments   = "Góp ý"
	sheetTerms      = "Chủ đề góp ý"
	sheetComparison = "So với năm trước"
)

// addReportSheets adds the sheets of comments, terms and comparison.
func addReportSheets(f *excelize.File, r *Report, st workbookStyles) error {
	for _, fill := range []func(*excelize.File, *Report, workbookStyles) error{
		writeCommentsSheet, writeTermsSheet, writeComparisonSheet,
	} {
		if err := fill(f, r, st); err != nil {
			return err
		}
	}
	return nil
}

// writeCommentsSheet lists the comments of the period: school, wave, date,
// grade and text, never who wrote them; those of a school and wave with too
// few respondents are counted, not listed.
func writeCommentsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	if _, err := f.NewSheet(sheetComments); err != nil {
		return err
	}
	w := &sheetWriter{f: f, st: st, name: sheetComments, nameCols: 2}
	w.add(st.header, "Mã", "Trường", "Đợt khảo sát", "Ngày", "Khối lớp", "Góp ý")
	for _, c := range r.Comments {
		w.add(0, c.Code, c.School, c.Wave, c.At.In(r.loc()).Format("02/01/2006"), c.Grade, c.Text)
		w.wrapCell(6, c.Text)
	}
	if len(r.Comments) == 0 {
		w.note(st.muted, "Không có góp ý nào trong kỳ")
	}
	if r.CommentsHidden > 0 {
		w.note(st.muted, fmt.Sprintf("Chưa hiện %d góp ý của trường có dưới %d phiếu trong đợt (để không ai bị nhận ra).", r.CommentsHidden, r.MinRespondents))
	}
	return w.finish(r)
}

// writeTermsSheet lists what parents talk about: the scope's terms, then
// each school's, at most TopTerms each.
func writeTermsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	if _, err := f.NewSheet(sheetTerms); err != nil {
		return err
	}
	w := &sheetWriter{f: f, st: st, name: sheetTerms, nameCols: 2}
	w.add(st.header, "Mã", "Trường", "Thứ tự", "Từ, cụm từ", "Số góp ý nhắc đến")
	for i, t := range r.Terms {
		w.add(st.bold, "", r.Scope, i+1, t.Text, t.Count)
	}
	for _, row := range r.Rows {
		for i, t := range r.SchoolTerms[row.Code] {
			w.add(0, row.Code, row.Name, i+1, t.Text, t.Count)
		}
	}
	if len(r.Terms) == 0 {
		w.note(st.muted, "Chưa có từ nào được nhắc trong từ hai góp ý trở lên")
	}
	return w.finish(r)
}

// comparisonRow is a row of the comparison with the same days a year
// earlier (the So với năm trước sheet and its CSV): one indicator of a
// school or of the total, this year and then.
type comparisonRow struct {
	Code, Name string
	// ID is the indicator's, flows.IndexID or a question's, and Label its
	// name; ID is "" in the row of a school with no figures of a year
	// earlier, whose Label says so.
	ID, Label   string
	Now, Before Score
	// HadBefore says the year earlier has the indicator at all (an
	// imported baseline may give the index alone).
	HadBefore bool
	// Source says where the year earlier's figures came from.
	Source string
	Total  bool
}

// Delta is the change in points, rounded as shown; false unless both
// shares are shown.
func (c comparisonRow) Delta() (float64, bool) { return delta(c.Now, c.Before) }

// comparisonTable is the comparison with a year earlier, the rows both the
// sheet and the CSV render: each school's indicators (those asked at its
// level), the index first, then the total's; none when there is nothing
// of a year earlier (r.YearAgo nil).
func comparisonTable(r *Report) []comparisonRow {
	c := r.YearAgo
	if c == nil {
		return nil
	}
	ids := []string{flows.IndexID}
	names := map[string]string{flows.IndexID: "Chỉ số hài lòng"}
	for _, it := range r.Items {
		ids = append(ids, it.ID)
		names[it.ID] = it.ID + " " + it.Short
	}
	var rows []comparisonRow
	add := func(code, name string, now Row, before *Row, source string, total bool) {
		for _, id := range ids {
			cur, prev, had := now.Index, before.Index, true
			if id != flows.IndexID {
				var ok bool
				if cur, ok = now.Items[id]; !ok {
					continue
				}
				prev, had = before.Items[id]
			}
			rows = append(rows, comparisonRow{Code: code, Name: name, ID: id, Label: names[id], Now: cur, Before: prev,
				HadBefore: had, Source: source, Total: total})
		}
	}
	for _, row := range r.Rows {
		before, ok := c.Rows[row.Code]
		if !ok {
			rows = append(rows, comparisonRow{Code: row.Code, Name: row.Name, Label: "Không có số liệu cùng kỳ năm trước"})
			continue
		}
		source := "Hệ thống hailong"
		if im, ok := c.Imported[row.Code]; ok {
			source = "Nhập từ: " + im.Source + " (" + im.Period + ")"
		}
		add(row.Code, row.Name, row, before, source, false)
	}
	if c.Total != nil {
		source := "Hệ thống hailong"
		if len(c.Imported) > 0 {
			source = "Cộng các trường, gồm số liệu nhập"
		}
		add("", "Tổng cộng", r.Total, c.Total, source, true)
	}
	return rows
}

// writeComparisonSheet compares each school and the total, per indicator,
// with the same period a year earlier: this year's share, that year's, the
// change in points with its arrow, and where that year's came from.
func writeComparisonSheet(f *excelize.File, r *Report, st workbookStyles) error {
	if _, err := f.NewSheet(sheetComparison); err != nil {
		return err
	}
	w := &sheetWriter{f: f, st: st, name: sheetComparison, nameCols: 2}
	c := r.YearAgo
	if c == nil {
		w.note(st.title, "So với cùng kỳ năm trước")
		w.note(st.muted, "Không có số liệu cùng kỳ năm trước (chưa có dữ liệu của hệ thống, chưa nhập số liệu năm trước).")
		return w.finish(r)
	}
	w.note(st.title, fmt.Sprintf("Cùng kỳ năm trước: %s – %s", c.From.In(r.loc()).Format("02/01/2006"), c.To.In(r.loc()).AddDate(0, 0, -1).Format("02/01/2006")))
	w.headRows = 2 // the title, then the header
	w.add(st.header, "Mã", "Trường", "Chỉ số", "Năm nay", "Cùng kỳ năm trước", "Thay đổi (điểm)", "", "Nguồn số liệu năm trước")
	for _, row := range comparisonTable(r) {
		if row.ID == "" {
			w.add(st.muted, row.Code, row.Name, row.Label)
			continue
		}
		points, arrow := any(nil), ""
		if d, ok := row.Delta(); ok {
			points, arrow = d, arrowOf(d)
		}
		v1, v2 := renderScore(row.Now), renderScore(row.Before)
		if !row.HadBefore {
			v2 = "không có số liệu"
		}
		style := 0
		if row.Total {
			style = st.bold
		}
		w.add(style, row.Code, row.Name, row.Label, v1, v2, points, arrow, row.Source)
		w.styleCell(4, st.scoreStyle(v1, row.Total, false))
		w.styleCell(5, st.scoreStyle(v2, row.Total, false))
		if points != nil {
			w.styleCell(6, st.points)
		}
	}
	return w.finish(r)
}

// CommentsCSV is the Góp ý sheet as CSV, for an export in CSV: school,
// wave, date, grade and comment, never who wrote it.
func CommentsCSV(r *Report) ([]byte, error) {
	rows := [][]string{{"Mã", "Trường", "Đợt khảo sát", "Ngày", "Khối lớp", "Góp ý"}}
	for _, c := range r.Comments {
		rows = append(rows, []string{c.Code, c.School, c.Wave, c.At.In(r.loc()).Format("02/01/2006"), c.Grade, c.Text})
	}
	return writeCSV(r, rows, "")
}

// ComparisonCSV is the So với năm trước sheet as CSV: per school and
// indicator (the index by name, a question by its id), this year's share,
// the year before's, the change in points, and where the year before's
// came from ("" cells: not shown or none); a school with no figures of a
// year earlier says so in a row of its own, as on the sheet.
func ComparisonCSV(r *Report) ([]byte, error) {
	rows := [][]string{{"Mã", "Trường", "Chỉ số", "Năm nay (%)", "Cùng kỳ năm trước (%)", "Thay đổi (điểm)", "Nguồn số liệu năm trước"}}
	num := func(s Score) string {
		if !s.Shown {
			return ""
		}
		return DecimalVI(s.Pct)
	}
	for _, row := range comparisonTable(r) {
		label := row.Label
		if row.ID != "" && row.ID != flows.IndexID {
			label = row.ID
		}
		if row.ID == "" {
			rows = append(rows, []string{row.Code, row.Name, label, "", "", "", ""})
			continue
		}
		points := ""
		if d, ok := row.Delta(); ok {
			points = DecimalVI(d)
		}
		rows = append(rows, []string{row.Code, row.Name, label, num(row.Now), num(row.Before), points, row.Source})
	}
	return writeCSV(r, rows, "")
}

// writeCSV writes rows (the first a header) as every CSV of an export is
// written (NewCSV), each after the report's period and scope (csvLead); a
// note, unless "", goes last, alone in the first column of a row as wide
// as the others (a remark, not a row of the table).
func writeCSV(r *Report, rows [][]string, note string) ([]byte, error) {
	var buf bytes.Buffer
	cw := NewCSV(&buf)
	head, lead := csvLead(r)
	width := 0
	for i, row := range rows {
		first := lead
		if i == 0 {
			first = head
		}
		rec := append(append([]string(nil), first...), row...)
		width = max(width, len(rec))
		if err := cw.Write(rec); err != nil {
			return nil, fmt.Errorf("digest: write csv: %w", err)
		}
	}
	if note != "" {
		rec := make([]string, max(width, 1))
		rec[0] = note
		if err := cw.Write(rec); err != nil {
			return nil, fmt.Errorf("digest: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("digest: write csv: %w", err)
	}
	return buf.Bytes(), nil
}
