// Package publishtest reads a publication back as its readers would (the
// JSON, the CSV as a spreadsheet splits it, the PDFs through poppler) and
// checks it against the aggregates it came from, for the tests of publish
// and of the command that writes it.
package publishtest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hailong/internal/tooltest"
	"hailong/publish"
)

// ReadBack reads a publication's files in dir and checks them against in:
// the JSON audits clean, the CSV agrees with it, and the PDFs (with
// poppler, where installed) show the same figures and no withheld one.
func ReadBack(t testing.TB, dir string, in publish.Input) {
	t.Helper()
	var d publish.Dataset
	files, _ := filepath.Glob(filepath.Join(dir, "ket-qua-*.json"))
	if len(files) != 1 {
		t.Fatalf("JSON files %q", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Schema != publish.Schema {
		t.Errorf("schema %q", d.Schema)
	}
	if err := publish.Audit(&d, in); err != nil {
		t.Errorf("the published JSON: %v", err)
	}

	raw, err := os.ReadFile(strings.TrimSuffix(files[0], ".json") + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	cr.Comma = ';'
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(d.Schools)+2 {
		t.Fatalf("CSV has %d rows, want a header, %d schools and the unit", len(recs), len(d.Schools))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	// What a reader of the CSV alone can work out: the unit's respondents
	// minus the schools' published ones are the withheld schools'
	// together, which must be none or not few.
	published, total := 0, -1
	for i, rec := range recs[1:] {
		v := rec[col["Số người trả lời"]]
		n, err := strconv.Atoi(v)
		if err != nil {
			continue
		}
		if i == len(recs)-2 {
			total = n
			continue
		}
		published += n
		if real := in.Counts.Respondents[rec[col["Mã trường"]]]; real != n || real < in.MinRespondents {
			t.Errorf("CSV: %s shows %d respondents (counted %d, minimum %d)", rec[col["Mã trường"]], n, real, in.MinRespondents)
		}
	}
	if diff := total - published; total >= 0 && diff > 0 && diff < in.MinRespondents {
		t.Errorf("CSV: the unit's %d respondents minus the schools' %d published give %d, fewer than %d", total, published, diff, in.MinRespondents)
	}
	for i, rec := range recs[1:] {
		f, code := d.Total, d.Unit.ID
		if i < len(d.Schools) {
			f, code = d.Schools[i].Figures, d.Schools[i].Code
		}
		if rec[col["Mã trường"]] != code {
			t.Errorf("CSV row %d is %s, want %s", i+2, rec[col["Mã trường"]], code)
		}
		if got, want := rec[col["Số người trả lời"]], countText(f.Respondents); got != want {
			t.Errorf("CSV %s respondents %q, JSON %q", code, got, want)
		}
		check := func(name string, c publish.Cell[float64], asked bool) {
			got := rec[col[name]]
			switch {
			case !asked:
				if got != "" {
					t.Errorf("CSV %s %s = %q for a question not asked", code, name, got)
				}
			case c.Suppressed:
				if got != "–" {
					t.Errorf("CSV %s %s = %q, withheld in the JSON", code, name, got)
				}
			default:
				v, err := strconv.ParseFloat(strings.Replace(got, ",", ".", 1), 64)
				if err != nil || !strings.Contains(got, ",") || math.Abs(v-*c.Value*100) > 0.05 {
					t.Errorf("CSV %s %s = %q, JSON %v", code, name, got, *c.Value)
				}
			}
		}
		check("Chỉ số hài lòng (%)", f.Index, true)
		for _, ind := range d.Indicators {
			c, ok := f.Shares[ind.ID]
			check(ind.ID+" (%)", c, ok)
		}
	}

	pdfs, _ := filepath.Glob(filepath.Join(dir, "tom-tat-*.pdf"))
	if len(pdfs) != len(d.Schools)+1 {
		t.Fatalf("summaries %q, want one per school and the unit's", pdfs)
	}
	unit := filepath.Join(dir, publish.SummaryName(&d, d.Unit.ID))
	if tooltest.Pages(t, unit) != 1 {
		t.Errorf("%s is not one page", unit)
	}
	// The unit's summary: each figure line the label and the unit's figure.
	text := tooltest.Text(t, unit)
	for _, want := range []string{"KẾT QUẢ KHẢO SÁT SỰ HÀI LÒNG CỦA CHA MẸ HỌC SINH", d.Unit.Name, strconv.Itoa(len(d.Schools)) + " trường",
		"Toàn đơn vị", "Lập ngày " + d.Made.Format("02/01/2006")} {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", filepath.Base(unit), want, text)
		}
	}
	figures := figureLines(text, 2)
	wants := map[string]string{
		"Số người trả lời": countText(d.Total.Respondents),
		"Chỉ số hài lòng":  pctPDF(d.Total.Index),
		"Đã tiếp nhận":     strconv.Itoa(d.Total.Complaints.Received),
		"Đang quá hạn":     strconv.Itoa(d.Total.Complaints.Overdue),
	}
	for _, ind := range d.Indicators {
		wants[ind.ID+". "+ind.Name] = pctPDF(d.Total.Shares[ind.ID])
	}
	for label, want := range wants {
		if got := figures[label]; len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s shows %q, want %s", filepath.Base(unit), label, got, want)
		}
	}
	for _, s := range d.Schools {
		p := filepath.Join(dir, publish.SummaryName(&d, s.Code))
		if tooltest.Pages(t, p) != 1 {
			t.Errorf("%s is not one page", p)
		}
		text := tooltest.Text(t, p)
		for _, want := range []string{"KẾT QUẢ KHẢO SÁT SỰ HÀI LÒNG CỦA CHA MẸ HỌC SINH", s.Name, "Chỉ số hài lòng", "Toàn đơn vị", "Tiếp nhận đúng hạn"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", filepath.Base(p), want, text)
			}
		}
		// Each figure line: the label, the school's figure, the unit's.
		lines := figureLines(text, 3)
		if got := lines["Số người trả lời"]; len(got) != 2 || got[0] != countText(s.Respondents) || got[1] != countText(d.Total.Respondents) {
			t.Errorf("%s respondents line %q, want %s against %s", filepath.Base(p), got, countText(s.Respondents), countText(d.Total.Respondents))
		}
		// Every figure fits its column: the response rate's, the widest
		// ("không rõ" where enrolment is unknown), stands apart from the
		// unit's, not run into it.
		for line := range strings.Lines(text) {
			if f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1); strings.HasPrefix(f[0], "Tỷ lệ phản hồi") && len(f) != 3 {
				t.Errorf("%s: the response rate's line runs its figures together: %q", filepath.Base(p), line)
			}
		}
		if got := lines["Chỉ số hài lòng"]; len(got) != 2 || got[0] != pctPDF(s.Index) || got[1] != pctPDF(d.Total.Index) {
			t.Errorf("%s index line %q, want %s against %s", filepath.Base(p), got, pctPDF(s.Index), pctPDF(d.Total.Index))
		}
		if s.Hidden() {
			if !strings.Contains(text, "không được công bố") {
				t.Errorf("%s does not say its survey figures are withheld", filepath.Base(p))
			}
			for label, v := range lines {
				if strings.HasSuffix(v[0], "%") {
					t.Errorf("%s, withheld, shows %s %s", filepath.Base(p), label, v[0])
				}
			}
		}
	}
}

// figureLines are a summary's lines (pdftotext -layout) of n fields apart
// by two spaces or more, each by its first field (the label): the rest.
func figureLines(text string, n int) map[string][]string {
	lines := map[string][]string{}
	for line := range strings.Lines(text) {
		f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		if len(f) == n {
			lines[f[0]] = f[1:]
		}
	}
	return lines
}

func countText(c publish.Cell[int]) string {
	if c.Value == nil {
		return "–"
	}
	return strconv.Itoa(*c.Value)
}

func pctPDF(c publish.Cell[float64]) string {
	if c.Value == nil {
		return "–"
	}
	return strings.Replace(strconv.FormatFloat(math.Round(*c.Value*1000)/10, 'f', 1, 64), ".", ",", 1) + "%"
}
