package digest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

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
	w := &sheetWriter{f: f, name: sheetComments}
	w.add(st.header, "Mã", "Trường", "Đợt khảo sát", "Ngày", "Khối lớp", "Góp ý")
	for _, c := range r.Comments {
		w.add(0, c.Code, c.School, c.Wave, c.At.In(r.loc()).Format("02/01/2006"), c.Grade, c.Text)
	}
	if len(r.Comments) == 0 {
		w.add(st.muted, "Không có góp ý nào trong kỳ")
	}
	if r.CommentsHidden > 0 {
		w.add(st.muted, fmt.Sprintf("Chưa hiện %d góp ý của trường có dưới %d phiếu trong đợt (để không ai bị nhận ra).", r.CommentsHidden, r.MinRespondents))
	}
	return w.finish()
}

// writeTermsSheet lists what parents talk about: the scope's terms, then
// each school's, at most TopTerms each.
func writeTermsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	if _, err := f.NewSheet(sheetTerms); err != nil {
		return err
	}
	w := &sheetWriter{f: f, name: sheetTerms}
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
		w.add(st.muted, "Chưa có từ nào được nhắc trong từ hai góp ý trở lên")
	}
	return w.finish()
}

// writeComparisonSheet compares each school and the total, per indicator,
// with the same period a year earlier: this year's share, that year's, the
// change in points with its arrow, and where that year's came from.
func writeComparisonSheet(f *excelize.File, r *Report, st workbookStyles) error {
	if _, err := f.NewSheet(sheetComparison); err != nil {
		return err
	}
	w := &sheetWriter{f: f, name: sheetComparison}
	c := r.YearAgo
	if c == nil {
		w.add(st.header, "So với cùng kỳ năm trước")
		w.add(st.muted, "Không có số liệu cùng kỳ năm trước (chưa có dữ liệu của hệ thống, chưa nhập số liệu năm trước).")
		return w.finish()
	}
	w.add(st.title, fmt.Sprintf("Cùng kỳ năm trước: %s – %s", c.From.In(r.loc()).Format("02/01/2006"), c.To.In(r.loc()).AddDate(0, 0, -1).Format("02/01/2006")))
	w.add(st.header, "Mã", "Trường", "Chỉ số", "Năm nay (%)", "Cùng kỳ năm trước (%)", "Thay đổi (điểm)", "", "Nguồn số liệu năm trước")
	ids := []string{"B"}
	names := map[string]string{"B": "Chỉ số hài lòng"}
	for _, it := range r.Items {
		ids = append(ids, it.ID)
		names[it.ID] = it.ID + " " + it.Short
	}
	line := func(code, name string, now Row, before *Row, source string, bold bool) {
		for _, id := range ids {
			cur, prev, had := now.Index, before.Index, true
			if id != "B" {
				var ok bool
				if cur, ok = now.Items[id]; !ok {
					continue
				}
				prev, had = before.Items[id]
			}
			delta, arrow := any(nil), ""
			if cur.Shown && prev.Shown {
				d := renderRound1(cur.Pct - prev.Pct)
				delta = d
				arrow = arrowOf(d)
			}
			v1, v2 := renderScore(cur), renderScore(prev)
			if !had {
				v2 = "không có số liệu"
			}
			style := 0
			if bold {
				style = st.bold
			}
			w.add(style, code, name, names[id], v1, v2, delta, arrow, source)
			w.styleCell(4, st.scoreStyle(v1, bold, false))
			w.styleCell(5, st.scoreStyle(v2, bold, false))
			if delta != nil {
				w.styleCell(6, st.pct)
			}
		}
	}
	for _, row := range r.Rows {
		before, ok := c.Rows[row.Code]
		if !ok {
			w.add(st.muted, row.Code, row.Name, "Không có số liệu cùng kỳ năm trước")
			continue
		}
		source := "Hệ thống hailong"
		if im, ok := c.Imported[row.Code]; ok {
			source = "Nhập từ: " + im.Source + " (" + im.Period + ")"
		}
		line(row.Code, row.Name, row, before, source, false)
	}
	if c.Total != nil {
		source := "Hệ thống hailong"
		if len(c.Imported) > 0 {
			source = "Cộng các trường, gồm số liệu nhập"
		}
		line("", "Tổng cộng", r.Total, c.Total, source, true)
	}
	return w.finish()
}

// arrowOf is the arrow of a change in points, as the digest's text shows it.
func arrowOf(d float64) string {
	switch {
	case d > 0:
		return "▲"
	case d < 0:
		return "▼"
	}
	return "="
}

// CommentsCSV is the Góp ý sheet as CSV, for an export in CSV: school,
// wave, date, grade and comment, never who wrote it.
func CommentsCSV(r *Report) ([]byte, error) {
	rows := [][]string{{"Mã", "Trường", "Đợt khảo sát", "Ngày", "Khối lớp", "Góp ý"}}
	for _, c := range r.Comments {
		rows = append(rows, []string{c.Code, c.School, c.Wave, c.At.In(r.loc()).Format("02/01/2006"), c.Grade, c.Text})
	}
	return writeCSV(rows)
}

// ComparisonCSV is the So với năm trước sheet as CSV: per school and
// indicator, this year's share, the year before's, the change in points,
// and where the year before's came from ("" cells: not shown or none).
func ComparisonCSV(r *Report) ([]byte, error) {
	rows := [][]string{{"Mã", "Trường", "Chỉ số", "Năm nay (%)", "Cùng kỳ năm trước (%)", "Thay đổi (điểm)", "Nguồn số liệu năm trước"}}
	c := r.YearAgo
	num := func(s Score) string {
		if !s.Shown {
			return ""
		}
		return strconv.FormatFloat(renderRound1(s.Pct), 'f', 1, 64)
	}
	add := func(code, name string, now Row, before *Row, source string) {
		ids := []string{flows.IndexID}
		for _, it := range r.Items {
			ids = append(ids, it.ID)
		}
		for _, id := range ids {
			cur, prev, label := now.Index, before.Index, "Chỉ số hài lòng"
			if id != flows.IndexID {
				var ok bool
				if cur, ok = now.Items[id]; !ok {
					continue
				}
				prev, label = before.Items[id], id
			}
			delta := ""
			if cur.Shown && prev.Shown {
				delta = strconv.FormatFloat(renderRound1(cur.Pct-prev.Pct), 'f', 1, 64)
			}
			rows = append(rows, []string{code, name, label, num(cur), num(prev), delta, source})
		}
	}
	if c != nil {
		for _, row := range r.Rows {
			before, ok := c.Rows[row.Code]
			if !ok {
				continue
			}
			source := "Hệ thống hailong"
			if im, ok := c.Imported[row.Code]; ok {
				source = "Nhập từ: " + im.Source + " (" + im.Period + ")"
			}
			add(row.Code, row.Name, row, before, source)
		}
		if c.Total != nil {
			add("", "Tổng cộng", r.Total, c.Total, "")
		}
	}
	return writeCSV(rows)
}

// writeCSV writes rows as the export's CSV files are written: UTF-8 with a
// byte order mark (so that Excel reads the diacritics), CRLF.
func writeCSV(rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("digest: write csv: %w", err)
	}
	return buf.Bytes(), nil
}
