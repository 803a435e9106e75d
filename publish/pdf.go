package publish

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"hailong/digest"
	"hailong/internal/pdfdoc"
)

// The summary page, in millimetres on A4 portrait.
const (
	pageW, pageH = 210.0, 297.0
	margin       = 18.0
	rowMax       = 6.6 // a table row's height, shrunk when the questionnaire is long
	footRoom     = 30.0
)

// SummaryPDF is the one-page printable summary of school i of d against the
// unit's figures, or of the unit alone when i < 0. Vietnamese, set in
// Liberation Sans.
func SummaryPDF(d *Dataset, i int) ([]byte, error) {
	var s *School
	if i >= 0 {
		if i >= len(d.Schools) {
			return nil, fmt.Errorf("publish: no school %d", i)
		}
		s = &d.Schools[i]
	}
	title := "Kết quả khảo sát sự hài lòng – " + d.Unit.Name
	if s != nil {
		title = "Kết quả khảo sát sự hài lòng – " + s.Name
	}
	pdf := pdfdoc.New("P", pdfdoc.Meta{Title: title, Author: d.Unit.Name, Made: d.Made})
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	p := &page{pdf: pdf}

	p.text(16, "B", "KẾT QUẢ KHẢO SÁT SỰ HÀI LÒNG CỦA CHA MẸ HỌC SINH", "C", 8)
	if s != nil {
		p.text(14, "B", s.Name, "C", 7)
		p.text(10, "", fmt.Sprintf("Mã trường %s · %s · %s", s.Code, s.Level, d.Unit.Name), "C", 5.5)
	} else {
		p.text(14, "B", d.Unit.Name, "C", 7)
		p.text(10, "", fmt.Sprintf("%d trường", len(d.Schools)), "C", 5.5)
	}
	p.text(10, "", fmt.Sprintf("Đợt khảo sát: %s (%s – %s)", d.Wave.Title, day(d.Wave.First), day(d.Wave.Last)), "C", 5.5)
	pdf.Ln(4)
	if s != nil && s.Hidden() {
		pdf.SetFillColor(252, 228, 208)
		p.font(10, "")
		pdf.MultiCell(0, 5, pdfdoc.Text(fmt.Sprintf("Kết quả khảo sát của trường không được công bố: trường có dưới %d người trả lời, "+
			"hoặc số liệu của trường được giữ lại để không suy ra được số liệu của một trường ít người trả lời.", d.MinRespondents)), "", "L", true)
		pdf.Ln(3)
	}

	cols := []string{"Chỉ tiêu", "Toàn đơn vị"}
	widths := []float64{pageW - 2*margin - 40, 40}
	if s != nil {
		cols = []string{"Chỉ tiêu", "Trường", "Toàn đơn vị"}
		widths = []float64{pageW - 2*margin - 70, 35, 35}
	}
	type line struct {
		section   bool
		label     string
		own, unit string
	}
	var lines []line
	add := func(label string, g func(Figures) string) {
		l := line{label: label, unit: g(d.Total)}
		if s != nil {
			l.own = g(s.Figures)
		}
		lines = append(lines, l)
	}
	lines = append(lines, line{section: true, label: "Khảo sát"})
	add("Số người trả lời", func(f Figures) string { return countText(f.Respondents) })
	against := strings.ToLower(enrolmentLabel(d)[:1]) + enrolmentLabel(d)[1:]
	add("Tỷ lệ phản hồi (so với "+against+")", func(f Figures) string {
		if f.ResponseRate == nil {
			return "không rõ" // the line names what it is measured against
		}
		return pctPDF(*f.ResponseRate)
	})
	lines = append(lines, line{section: true, label: "Mức độ hài lòng (tỉ lệ trả lời mức 4–5)"})
	add("Chỉ số hài lòng", func(f Figures) string { return pctPDF(f.Index) })
	for _, group := range []struct{ id, title string }{
		{"B", ""}, {"A", "Chỉ số thành phần (tỉ lệ trả lời tốt)"},
	} {
		if group.title != "" {
			lines = append(lines, line{section: true, label: group.title})
		}
		for _, in := range d.Indicators {
			if in.Group != group.id {
				continue
			}
			add(in.ID+". "+in.Name, func(f Figures) string {
				c, ok := f.Shares[in.ID]
				if !ok {
					return "không hỏi"
				}
				return pctPDF(c)
			})
		}
	}
	lines = append(lines, line{section: true, label: "Phản ánh, kiến nghị trong đợt"})
	add("Đã tiếp nhận", func(f Figures) string { return strconv.Itoa(f.Complaints.Received) })
	add("Tiếp nhận đúng hạn", func(f Figures) string { return strconv.Itoa(f.Complaints.AckedOnTime) })
	add("Giải quyết đúng hạn", func(f Figures) string { return strconv.Itoa(f.Complaints.ResolvedOnTime) })
	add("Đang quá hạn", func(f Figures) string { return strconv.Itoa(f.Complaints.Overdue) })

	rows := float64(len(lines) + 1)
	h := min(rowMax, (pageH-margin-footRoom-pdf.GetY())/rows)
	size := min(10.0, h*1.55)
	pdf.SetDrawColor(160, 160, 160)
	pdf.SetFillColor(221, 235, 247)
	p.font(size, "B")
	for j, c := range cols {
		align := "R"
		if j == 0 {
			align = "L"
		}
		pdf.CellFormat(widths[j], h, pdfdoc.Text(c), "B", 0, align, true, 0, "")
	}
	pdf.Ln(-1)
	for _, l := range lines {
		if l.section {
			p.font(size, "B")
			pdf.CellFormat(0, h, pdfdoc.Text(l.label), "", 1, "L", false, 0, "")
			continue
		}
		vals := []string{l.label, l.unit}
		if s != nil {
			vals = []string{l.label, l.own, l.unit}
		}
		for j, v := range vals {
			align, style := "R", ""
			if j == 0 {
				align = "L"
			}
			if j == 1 && s != nil {
				style = "B"
			}
			p.font(size, style)
			pdf.CellFormat(widths[j], h, pdfdoc.Text(v), "B", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}

	pdf.SetY(pageH - margin - footRoom + 4)
	p.font(8, "")
	pdf.SetTextColor(90, 90, 90)
	notes := fmt.Sprintf("%s: không công bố — dưới %d người trả lời (hoặc câu trả lời), hoặc giữ lại để tổng toàn đơn vị trừ các trường "+
		"được công bố không cho ra số liệu của một trường ít người trả lời. Chỉ số thành phần: tỉ lệ trả lời tốt trong số trả lời có/không. "+
		"Phản ánh: những phản ánh gửi trong đợt; đúng hạn theo thời hạn quy định; quá hạn tính đến ngày lập. "+
		"Số liệu tổng hợp, không có thông tin cá nhân. Lập ngày %s bởi hailong.",
		digest.Suppressed, d.MinRespondents, d.Made.Format("02/01/2006"))
	pdf.MultiCell(0, 3.8, pdfdoc.Text(notes), "", "L", false)

	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("publish: PDF: %w", err)
	}
	if n := pdf.PageCount(); n != 1 {
		return nil, fmt.Errorf("publish: the summary runs to %d pages", n)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("publish: PDF: %w", err)
	}
	return buf.Bytes(), nil
}

type page struct{ pdf *fpdf.Fpdf }

func (p *page) font(size float64, style string) { p.pdf.SetFont(pdfdoc.Sans, style, size) }

func (p *page) text(size float64, style, s, align string, h float64) {
	p.font(size, style)
	p.pdf.MultiCell(0, h, pdfdoc.Text(s), "", align, false)
}

func pctPDF(c Cell[float64]) string {
	if c.Value == nil {
		return digest.Suppressed
	}
	return digest.PercentVI(*c.Value * 100)
}

// day writes an ISO date as Vietnamese readers do: 01/09/2026.
func day(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("02/01/2006")
}
