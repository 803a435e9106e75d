package digest

import (
	"bytes"
	"encoding/csv"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hailong/flows"
)

// TestRangeComparesYearEarlier: /baocao over a range compares each school
// and indicator with the same range a year earlier: the bot's own data
// where it has it (TH), else the baseline imported for the first period
// that has one (THCS: the school year; MN: the wave), marked as imported
// with its source; a share without counts keeps the total from being
// summed. The workbook lists the comments (none of a school with too few
// respondents), what parents talk about, and the comparison.
func TestRangeComparesYearEarlier(t *testing.T) {
	r := yearEarlierReport(t)
	c := r.YearAgo
	if c == nil || !c.From.Equal(day("2025-09-01")) || !c.To.Equal(day("2025-11-23")) {
		t.Fatalf("YearAgo = %+v, want 01/09/2025 – 22/11/2025", c)
	}
	if _, imported := c.Imported["TH"]; imported || c.Rows["TH"].Index.Pct != 50 {
		t.Errorf("TH a year ago: %+v imported %v; want the bot's 50%%", c.Rows["TH"].Index, c.Imported["TH"])
	}
	if im := c.Imported["THCS"]; im.Source != "Báo cáo SIPAS 2025" || im.Period != "2025-2026" || c.Rows["THCS"].Index.Pct != 30 || c.Rows["THCS"].Items["A1"].Pct != 50 {
		t.Errorf("THCS a year ago: %+v %+v", im, c.Rows["THCS"])
	}
	if im := c.Imported["MN"]; im.Period != "w0" || !c.Rows["MN"].Index.Shown || c.Rows["MN"].Index.Pct != 90 {
		t.Errorf("MN a year ago: %+v %+v", im, c.Rows["MN"].Index)
	}
	// MN's index is a share alone: the total's index cannot be summed. A1
	// too (THCS's share); B1 is nobody's share alone but not imported.
	if c.Total.Index.Shown || c.Total.Items["A1"].Shown {
		t.Errorf("a total summed over a share: %+v %+v", c.Total.Index, c.Total.Items["A1"])
	}
	text := strings.Join(Text(r), "\n")
	for _, want := range []string{
		"• Trường Tiểu học Trưng Vương: +0 · 20 · 80,0% · ▲ 30,0\n",
		"• Trường THCS Trần Hưng Đạo: +0 · 10 · 60,0% · ▲ 30,0* ⚠️\n",
		"• Trường Mầm non Hồng Nhung: +0 · 3 · chưa đủ mẫu · –\n",
		"(* Số liệu cùng kỳ năm trước nhập từ nguồn ngoài: Báo cáo SIPAS 2025; Khảo sát giấy 2025.)",
		"💬 Góp ý của phụ huynh: 2 trong kỳ (chưa hiện 1 góp ý của trường dưới 5 phiếu)",
		"Phụ huynh nhắc nhiều: «nhà vệ sinh» (2)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}

	data, err := Workbook(r)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(sheetComments)
	if len(rows) != 4 || !slices.Equal(rows[1], []string{"TH", "Trường Tiểu học Trưng Vương", "Học kì I, 2026–2027", "05/10/2026", "Lớp 3", "Nhà vệ sinh dơ quá."}) ||
		!strings.Contains(rows[3][0], "Chưa hiện 1 góp ý") || strings.Contains(strings.Join(slices.Concat(rows...), " "), "Ít người") {
		t.Errorf("Góp ý sheet:\n%q", rows)
	}
	rows, _ = f.GetRows(sheetTerms)
	if len(rows) < 3 || !slices.Equal(rows[1][1:], []string{"Phòng GDĐT thành phố Sa Đéc", "1", "nhà vệ sinh", "2"}) ||
		!slices.Equal(rows[2], []string{"TH", "Trường Tiểu học Trưng Vương", "1", "nhà vệ sinh", "2"}) {
		t.Errorf("Chủ đề góp ý sheet:\n%q", rows)
	}
	rows, _ = f.GetRows(sheetComparison, excelize.Options{RawCellValue: true})
	find := func(code, indicator string) []string {
		for _, row := range rows {
			if len(row) > 2 && row[0] == code && strings.HasPrefix(row[2], indicator) {
				return row
			}
		}
		return nil
	}
	// Shares as percentages (fractions under a percent format), the change
	// in points.
	if got := find("TH", "Chỉ số hài lòng"); len(got) < 8 || got[3] != "0.8" || got[4] != "0.5" || got[5] != "30" || got[6] != "▲" || got[7] != "Hệ thống hailong" {
		t.Errorf("TH's index row: %q", got)
	}
	if got := find("THCS", "A1"); len(got) < 8 || got[4] != "0.5" || got[7] != "Nhập từ: Báo cáo SIPAS 2025 (2025-2026)" {
		t.Errorf("THCS's A1 row: %q", got)
	}
	if got := find("THCS", "A2"); len(got) < 8 || got[4] != "không có số liệu" || got[5] != "" {
		t.Errorf("THCS's A2 row (nothing imported): %q", got)
	}
}

// yearEarlierReport is a report of autumn 2026 over MN, TH and THCS, each
// with figures of a year earlier: TH's the bot's, THCS's and MN's imported.
func yearEarlierReport(t *testing.T) *Report {
	t.Helper()
	eng := testEngine(t)
	st := &memStore{digests: map[string][]byte{}, counts: map[string]flows.WaveCounts{}, newByWave: map[string]map[string]int{}}
	job := &Job{Store: st, Engine: eng, MinRespondents: 5, FlagBelow: 70}
	st.counts["w0"] = counts(map[string][2]any{"TH": pair(school(20, 10, 15, 1, "30"))})
	st.counts["w1"] = counts(map[string][2]any{
		"MN":   pair(school(3, 3, 3, 0, "20")),
		"TH":   pair(school(20, 16, 18, 2, "30")),
		"THCS": pair(school(10, 6, 7, 0, "50")),
	})
	st.baselines = []flows.Baseline{
		{School: "THCS", Period: "2025-2026", Indicator: "B", Good: 30, Bad: 70, Respondents: 20, Source: "Báo cáo SIPAS 2025"},
		{School: "THCS", Period: "2025-2026", Indicator: "A1", Pct: 50, Source: "Báo cáo SIPAS 2025"},
		{School: "THCS", Period: "2025", Indicator: "B", Pct: 99, Source: "a later period of the list: not used"},
		{School: "MN", Period: "w0", Indicator: "B", Pct: 90, Respondents: 40, Source: "Khảo sát giấy 2025"},
		{School: "TH", Period: "w0", Indicator: "B", Pct: 1, Source: "the bot has TH's own: not used"},
	}
	at := day("2026-10-05").Add(9 * time.Hour)
	st.comments = []flows.Comment{
		{Wave: "w1", School: "TH", At: at, Grade: "3", Text: "Nhà vệ sinh dơ quá."},
		{Wave: "w1", School: "TH", At: at.Add(time.Hour), Grade: "2", Text: "Nhà vệ sinh thiếu nước."},
		{Wave: "w1", School: "MN", At: at, Grade: "la", Text: "Ít người trả lời nên không hiện."},
	}
	req := &flows.ReportRequest{Scope: "Phòng GDĐT thành phố Sa Đéc", Schools: []string{"MN", "TH", "THCS"},
		From: day("2026-09-01"), To: day("2026-11-23")}
	r, err := job.Report(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestComparisonCSVMatchesSheet: the comparison's CSV and the workbook's
// So với năm trước sheet carry the same rows — the schools', a school
// without figures of a year earlier, the total's — with the same figures
// (a fraction on the sheet, a percentage with a decimal comma in the CSV;
// a share not shown "–" on the sheet, empty in the CSV) and sources.
func TestComparisonCSVMatchesSheet(t *testing.T) {
	full := yearEarlierReport(t)
	noMN := *full
	ago := *full.YearAgo
	ago.Rows, ago.Imported = maps.Clone(ago.Rows), maps.Clone(ago.Imported)
	delete(ago.Rows, "MN")
	delete(ago.Imported, "MN")
	noMN.YearAgo = &ago
	none := *full
	none.YearAgo = nil
	for name, c := range map[string]struct {
		r    *Report
		rows int // below the header
	}{
		"three schools":       {full, 62},
		"MN without figures":  {&noMN, 49},
		"nothing a year back": {&none, 0},
	} {
		data, err := ComparisonCSV(c.r)
		if err != nil {
			t.Fatal(err)
		}
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
		cr.Comma = CSVComma
		got, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		csvRows := got[1:]
		for i := range csvRows {
			csvRows[i] = csvRows[i][3:] // the period and the scope
		}
		book, err := Workbook(c.r)
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(book))
		if err != nil {
			t.Fatal(err)
		}
		sheet, _ := f.GetRows(sheetComparison, excelize.Options{RawCellValue: true})
		f.Close()
		if len(csvRows) != c.rows {
			t.Errorf("%s: %d rows in the CSV, want %d:\n%q", name, len(csvRows), c.rows, csvRows)
		}
		if c.r.YearAgo == nil {
			if len(sheet) != 2 || !strings.HasPrefix(sheet[1][0], "Không có số liệu cùng kỳ năm trước") {
				t.Errorf("%s: the sheet: %q", name, sheet)
			}
			continue
		}
		sheet = sheet[2:] // the title and the header
		// Below the table, the sheet has a blank row and a note of one cell.
		for len(sheet) > len(csvRows) && len(sheet[len(sheet)-1]) <= 1 {
			sheet = sheet[:len(sheet)-1]
		}
		if len(sheet) != len(csvRows) {
			t.Fatalf("%s: %d rows on the sheet, %d in the CSV:\n%q\n%q", name, len(sheet), len(csvRows), sheet, csvRows)
		}
		// pct is a sheet's share cell as the CSV writes it.
		pct := func(cell string, scale float64) string {
			if v, err := strconv.ParseFloat(cell, 64); err == nil {
				return DecimalVI(v * scale)
			}
			return ""
		}
		for i, s := range sheet {
			s = append(s, make([]string, 8-len(s))...)
			want := []string{s[0], s[1], s[2], pct(s[3], 100), pct(s[4], 100), pct(s[5], 1), s[7]}
			if id, _, ok := strings.Cut(s[2], " "); ok && slices.ContainsFunc(c.r.Items, func(it Item) bool { return it.ID == id }) {
				want[2] = id // the CSV names a question by its id
			}
			if !slices.Equal(csvRows[i], want) {
				t.Errorf("%s: row %d: the CSV has %q, the sheet %q", name, i+1, csvRows[i], s)
			}
		}
		if last := csvRows[len(csvRows)-1]; last[1] != "Tổng cộng" || last[6] == "" {
			t.Errorf("%s: the total's row: %q", name, last)
		}
		if name == "MN without figures" && !slices.ContainsFunc(csvRows, func(r []string) bool {
			return r[0] == "MN" && r[2] == "Không có số liệu cùng kỳ năm trước"
		}) {
			t.Errorf("%s: the CSV does not say MN has no figures:\n%q", name, csvRows)
		}
	}
}

// TestCommentsCSV: an export in CSV lists the same comments as the sheet.
func TestCommentsCSV(t *testing.T) {
	r := &Report{Location: hcm, Scope: "Phòng GDĐT thành phố Sa Đéc", From: day("2026-09-01"), To: day("2026-11-27"), Comments: []CommentRow{{School: "Trường Tiểu học Trưng Vương", Code: "TH", Wave: "Học kì I, 2026–2027",
		At: day("2026-10-05").Add(9 * time.Hour), Grade: "Lớp 3", Text: "Nhà vệ sinh dơ quá, \"thiếu\" nước."}}}
	data, err := CommentsCSV(r)
	if err != nil {
		t.Fatal(err)
	}
	// As every CSV of an export: ";", the period and scope first.
	want := "\ufeffTừ ngày;Đến ngày;Phạm vi;Mã;Trường;Đợt khảo sát;Ngày;Khối lớp;Góp ý\r\n" +
		"2026-09-01;2026-11-26;Phòng GDĐT thành phố Sa Đéc;TH;Trường Tiểu học Trưng Vương;Học kì I, 2026–2027;05/10/2026;Lớp 3;\"Nhà vệ sinh dơ quá, \"\"thiếu\"\" nước.\"\r\n"
	if string(data) != want {
		t.Errorf("CommentsCSV =\n%q\nwant\n%q", data, want)
	}
}

func TestBaselinePeriods(t *testing.T) {
	dir := testEngine(t).Directory()
	got := BaselinePeriods(dir, day("2025-09-01"), day("2025-11-23"))
	if want := []string{"w0", "2025-2026", "2025"}; !slices.Equal(got, want) {
		t.Errorf("periods of autumn 2025 = %q, want %q", got, want)
	}
	got = BaselinePeriods(dir, day("2026-03-01"), day("2026-03-08"))
	if want := []string{"2025-2026", "2026"}; !slices.Equal(got, want) {
		t.Errorf("periods of March 2026 = %q, want %q", got, want)
	}
}

// TestReportYearEarlierAgrees: a weekly digest compares with one "a year
// earlier" everywhere: the text's total and item lines, its school lines,
// the summary sheet's "Chỉ số cùng kỳ năm trước" and the comparison
// sheet's rows show the same figures. The wave of a year ago went on after
// that year's digest was sent, so the snapshot stored then (the total as of
// that Monday) and the waves' aggregates now (Job.yearAgo) differ: the
// digest takes the aggregates, which its school lines and sheet break down.
func TestReportYearEarlierAgrees(t *testing.T) {
	eng := testEngine(t)
	sched, err := ParseSchedule("0 7 * * 1")
	if err != nil {
		t.Fatal(err)
	}
	st := &memStore{digests: map[string][]byte{}, counts: map[string]flows.WaveCounts{}, newByWave: map[string]map[string]int{}}
	job := &Job{Store: st, Engine: eng, Schedule: sched, MinRespondents: 5, FlagBelow: 70}
	st.counts["w0"] = counts(map[string][2]any{
		"MN":   pair(school(10, 5, 8, 0, "20")),
		"TH":   pair(school(10, 5, 8, 1, "30")),
		"THCS": pair(school(10, 4, 6, 0, "50")),
	})
	if n, err := job.Run(time.Date(2025, 11, 24, 8, 0, 0, 0, hcm)); err != nil || n != 2 {
		t.Fatalf("a year ago: sent %d, %v", n, err)
	}
	st.counts["w0"] = counts(map[string][2]any{ // the rest of that wave
		"MN":   pair(school(30, 21, 25, 0, "20")),
		"TH":   pair(school(40, 26, 30, 1, "30")),
		"THCS": pair(school(25, 15, 20, 2, "50")),
	})
	st.counts["w1"] = counts(map[string][2]any{
		"MN":   pair(school(12, 10, 11, 0, "20")),
		"TH":   pair(school(20, 16, 18, 2, "30")),
		"THCS": pair(school(10, 6, 7, 0, "50")),
	})
	st.queued = nil
	if n, err := job.Run(time.Date(2026, 11, 23, 7, 0, 0, 0, hcm)); err != nil || n != 2 {
		t.Fatalf("this week: sent %d, %v", n, err)
	}
	var text string
	var book []byte
	for _, o := range st.queued {
		if o.Chat != "-100" {
			continue
		}
		if o.Reply.File == nil {
			text += o.Reply.Text + "\n"
		} else if strings.HasSuffix(o.Reply.File.Name, ".xlsx") {
			book = o.Reply.File.Data
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw := excelize.Options{RawCellValue: true}
	sheet, _ := f.GetRows(sheetComparison, raw)
	// change is a comparison row's change as the text writes it: "▲ 2,1".
	change := func(code, label string) (string, []string) {
		for _, row := range sheet {
			if len(row) >= 7 && row[0] == code && row[2] == label {
				d, err := strconv.ParseFloat(row[5], 64)
				if err != nil {
					t.Fatalf("%s %s: the change %q", code, label, row[5])
				}
				return row[6] + " " + DecimalVI(math.Abs(d)), row
			}
		}
		t.Fatalf("the comparison sheet has no row %s %s:\n%q", code, label, sheet)
		return "", nil
	}
	yearOf := regexp.MustCompile(`([▲▼=] [0-9,]+) so với cùng kỳ năm trước`)
	lines := 0
	for line := range strings.Lines(text) {
		var label string
		switch {
		case strings.HasPrefix(line, "😊 Chỉ số hài lòng"):
			label = "Chỉ số hài lòng"
		case strings.HasPrefix(line, "• "): // an item's line, or a school's
			id, _, _ := strings.Cut(strings.TrimPrefix(line, "• "), " ")
			for _, it := range eng.Questionnaire().Scored() {
				if it.ID == id {
					label = it.ID + " " + it.Short
				}
			}
		}
		if label == "" {
			continue
		}
		lines++
		m := yearOf.FindStringSubmatch(line)
		if want, row := change("", label); m == nil || m[1] != want {
			t.Errorf("the text says %q, the comparison sheet's total %q: %q", strings.TrimSpace(line), want, row)
		}
	}
	if lines != 1+len(eng.Questionnaire().Scored()) {
		t.Errorf("%d lines of the total compared, want the index's and every item's:\n%s", lines, text)
	}
	for _, sc := range eng.Directory().Schools {
		want, _ := change(sc.Code, "Chỉ số hài lòng")
		if !strings.Contains(text, "• "+sc.Name+": ") || !strings.Contains(text, " · "+want+"\n") && !strings.Contains(text, " · "+want+" ⚠️\n") {
			t.Errorf("%s: the text's line does not say %q:\n%s", sc.Code, want, text)
		}
	}
	summary, _ := f.GetRows(sheetSummary, raw)
	_, total := change("", "Chỉ số hài lòng")
	found := false
	for _, row := range summary {
		if len(row) == 2 && row[0] == "Chỉ số cùng kỳ năm trước" {
			found = true
			if row[1] != total[4] {
				t.Errorf("the summary sheet's index a year earlier is %s, the comparison's total %s", row[1], total[4])
			}
		}
	}
	if !found {
		t.Errorf("the summary sheet has no index a year earlier:\n%q", summary)
	}
}
