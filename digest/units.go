package digest

import (
	"github.com/xuri/excelize/v2"
)

// sheetUnits is the workbook's sheet of a scope's units one level down (a
// department's communes and wards), present when the scope has any.
const sheetUnits = "Theo đơn vị"

// renderRate is a row's enrolment and response rate cells, blank when its
// enrolment is not known.
func renderRate(row Row) []any {
	if p, ok := row.Rate(); ok {
		return []any{row.Enrolment, renderShare(p)}
	}
	return []any{nil, nil}
}

// writeUnitsSheet lists the units with their schools, responses, response
// rate, index, overdue complaints and items, the way the schools sheet
// lists schools; shares a unit's few parents cannot carry are withheld
// as they are for a school.
func writeUnitsSheet(f *excelize.File, r *Report, st workbookStyles) error {
	w := &sheetWriter{f: f, st: st, name: sheetUnits, nameCols: 2}
	header := []any{"Mã", "Đơn vị", "Số trường", "Phiếu mới", "Tổng phiếu", "Số " + r.enrolled(), "Tỷ lệ phản hồi",
		"Chỉ số hài lòng", "Phản ánh quá hạn"}
	for _, it := range r.Items {
		header = append(header, it.ID)
	}
	w.add(st.header, header...)
	const indexCol = 8
	for _, u := range r.Units {
		cells := append([]any{u.Code, u.Name, u.Schools, u.New, u.Total}, renderRate(u)...)
		cells = append(cells, renderScore(u.Index), u.Overdue)
		for _, it := range r.Items {
			cells = append(cells, renderScore(u.Items[it.ID]))
		}
		w.add(0, cells...)
		if s := st.scoreStyle(cells[indexCol-2], false, false); s != 0 {
			w.styleCell(indexCol-1, s) // the response rate
		}
		for col := indexCol; col <= len(cells); col++ {
			if col == indexCol+1 {
				continue // the overdue count
			}
			if s := st.scoreStyle(cells[col-1], false, col == indexCol && u.Flagged); s != 0 {
				w.styleCell(col, s)
			}
		}
	}
	return w.finish(r)
}
