package digest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hailong/flows"
)

// renderSampleReport has one school of each kind the renderers treat
// differently: fine, flagged, and with too few answers to show.
func renderSampleReport() *Report {
	loc := time.FixedZone("ICT", 7*3600)
	items := []Item{
		{ID: "B1", Short: "Cơ sở vật chất", Group: "B", Kind: flows.Scale},
		{ID: "B2", Short: "Giáo viên tận tâm", Group: "B", Kind: flows.Scale},
		{ID: "C1", Short: "Sĩ số lớp", Group: "C", Kind: flows.Number},
		{ID: "D1", Short: "Khoản thu đúng quy định", Group: "D", Kind: flows.Choice},
	}
	sc := func(good, bad, unknown int, pct float64, shown bool) Score {
		return Score{Good: good, Bad: bad, Unknown: unknown, Pct: pct, Shown: shown}
	}
	return &Report{
		Kind:  "weekly",
		Scope: "Phòng GD&ĐT Quận Ba Đình",
		From:  time.Date(2025, 3, 3, 0, 0, 0, 0, loc),
		To:    time.Date(2025, 3, 10, 0, 0, 0, 0, loc),
		Waves: []string{"Khảo sát học kỳ II 2024–2025"},
		Items: items,
		Rows: []Row{
			{Code: "TH01", Name: "Trường Tiểu học Lê Thị Hồng Gấm", Level: flows.Primary, New: 12, Total: 80,
				Index: sc(70, 10, 2, 87.5, true),
				Items: map[string]Score{"B1": sc(30, 10, 0, 75, true), "B2": sc(38, 2, 1, 95, true),
					"C1": sc(20, 20, 0, 50, true), "D1": sc(35, 3, 2, 92.10526315789474, true)}},
			{Code: "THCS02", Name: "Trường Trung học cơ sở Nguyễn Đình Chiểu", Level: flows.Lower, New: 5, Total: 40,
				Index: sc(22, 18, 0, 55, true), Flagged: true,
				Items: map[string]Score{"B1": sc(9, 11, 0, 45, true), "B2": sc(13, 7, 0, 65, true),
					"C1": sc(10, 10, 0, 50, true), "D1": sc(16, 3, 1, 84.21052631578947, true)}},
			// A preschool isn't asked C1, so it has no entry at all.
			{Code: "MN03", Name: "Trường Mầm non Hoa Sữa", Level: flows.Preschool, New: 1, Total: 3,
				Index: sc(2, 1, 0, 66.66666666666667, false),
				Items: map[string]Score{"B1": sc(1, 0, 0, 100, false), "B2": sc(1, 1, 0, 50, false),
					"D1": sc(2, 0, 1, 100, false)}},
		},
		Total: Row{Name: "Phòng GD&ĐT Quận Ba Đình", New: 18, Total: 123,
			Index: sc(94, 29, 2, 76.42276422764228, true),
			Items: map[string]Score{"B1": sc(40, 21, 0, 65.57377049180327, true), "B2": sc(52, 10, 1, 83.87096774193549, true),
				"C1": sc(30, 30, 0, 50, true), "D1": sc(53, 6, 4, 89.83050847457628, true)}},
		Complaints: ComplaintStats{Opened: 4, AckedOnTime: 3, Resolved: 2, Open: 5, Overdue: []Overdue{
			{Code: "PA-0007", School: "Trường Trung học cơ sở Nguyễn Đình Chiểu", Status: "Đang xử lý", AgeDays: 21},
			{Code: "PA-0011", School: "Trường Tiểu học Lê Thị Hồng Gấm", Status: "Mới", AgeDays: 4},
		}},
		MinRespondents: 5,
		FlagBelow:      60,
		Location:       loc,
	}
}

// renderWantRows is the per-school table as the workbook stores it (read
// back raw): shares as fractions under a percent format, "–" for those not
// shown, and the note saying why.
var renderWantRows = [][]string{
	{"Mã", "Tên trường", "Cấp", "Phiếu mới", "Tổng phiếu", "Chỉ số hài lòng", "B1", "B2", "C1", "D1"},
	{"TH01", "Trường Tiểu học Lê Thị Hồng Gấm", "Tiểu học", "12", "80", "0.875", "0.75", "0.95", "0.5", "0.921"},
	{"THCS02", "Trường Trung học cơ sở Nguyễn Đình Chiểu", "Trung học cơ sở", "5", "40", "0.55", "0.45", "0.65", "0.5", "0.842"},
	{"MN03", "Trường Mầm non Hoa Sữa", "Mầm non", "1", "3", "–", "–", "–", "", "–"},
	{"", "Tổng cộng", "", "18", "123", "0.764", "0.656", "0.839", "0.5", "0.898"},
	{},
	{"–: chưa đủ mẫu (dưới 5 câu trả lời, không tính tỷ lệ)."},
}

func renderOpenWorkbook(t *testing.T, r *Report) *excelize.File {
	t.Helper()
	data, err := Workbook(r)
	if err != nil {
		t.Fatalf("Workbook: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// renderSameCell compares a raw cell with the wanted text, numerically when
// the wanted text is a number, so that "55" and "55.0" agree.
func renderSameCell(got, want string) bool {
	if got == want {
		return true
	}
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	return err1 == nil && err2 == nil && g == w
}

func TestRenderWorkbook(t *testing.T) {
	r := renderSampleReport()
	f := renderOpenWorkbook(t, r)

	want := []string{"Tổng hợp", "Theo trường", "Theo câu hỏi", "Phản ánh", "Góp ý", "Chủ đề góp ý", "So với năm trước"}
	if got := f.GetSheetList(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	raw := excelize.Options{RawCellValue: true}

	rows, err := f.GetRows("Theo trường", raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(renderWantRows) {
		t.Fatalf("Theo trường has %d rows, want %d:\n%q", len(rows), len(renderWantRows), rows)
	}
	for i, wantRow := range renderWantRows {
		got := rows[i]
		for j, w := range wantRow {
			g := ""
			if j < len(got) {
				g = got[j]
			}
			if !renderSameCell(g, w) {
				t.Errorf("Theo trường row %d col %d = %q, want %q", i+1, j+1, g, w)
			}
		}
	}
	// Percentages must be numbers Excel can compute with, not text.
	for _, cell := range []string{"F2", "F3", "F5", "G2", "J2", "J5"} {
		if typ, err := f.GetCellType("Theo trường", cell); err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
			t.Errorf("Theo trường %s type = %v (%v), want a number", cell, typ, err)
		}
		v, _ := f.GetCellValue("Theo trường", cell, raw)
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			t.Errorf("Theo trường %s = %q, not numeric", cell, v)
		}
	}
	// Rates are percentages: a fraction under a percent format, no "(%)".
	for _, cell := range []string{"F2", "F3", "F5", "G2", "J2", "J5"} {
		v, _ := f.GetCellValue("Theo trường", cell, raw)
		if x, err := strconv.ParseFloat(v, 64); err != nil || x < 0 || x > 1 {
			t.Errorf("Theo trường %s = %q, want a fraction 0–1", cell, v)
		}
		id, _ := f.GetCellStyle("Theo trường", cell)
		if st, err := f.GetStyle(id); err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "0.0%" {
			t.Errorf("Theo trường %s is not formatted as a percentage: %+v (%v)", cell, st, err)
		}
	}
	if v, _ := f.GetCellValue("Theo trường", "F2"); v != "87.5%" {
		t.Errorf("F2 displays %q, want 87.5%%", v)
	}
	for _, sheet := range f.GetSheetList() {
		rows, _ := f.GetRows(sheet)
		for i, row := range rows {
			for j, v := range row {
				if strings.Contains(v, "(%)") {
					t.Errorf("%s row %d col %d = %q: a percent format, not a header, says what a rate is", sheet, i+1, j+1, v)
				}
			}
		}
	}

	items, err := f.GetRows("Theo câu hỏi", raw)
	if err != nil {
		t.Fatal(err)
	}
	wantItems := [][]string{
		{"Mã câu", "Câu hỏi", "Tốt", "Chưa tốt", "Không biết", "Tỉ lệ tốt"},
		{"B1", "Cơ sở vật chất", "40", "21", "0", "0.656"},
		{"B2", "Giáo viên tận tâm", "52", "10", "1", "0.839"},
		{"C1", "Sĩ số lớp", "30", "30", "0", "0.5"},
		{"D1", "Khoản thu đúng quy định", "53", "6", "4", "0.898"},
	}
	renderCompare(t, "Theo câu hỏi", items, wantItems)

	summary, err := f.GetRows("Tổng hợp", raw)
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, row := range summary {
		if len(row) >= 2 {
			kv[row[0]] = row[1]
		}
	}
	for k, w := range map[string]string{
		"Phạm vi":                "Phòng GD&ĐT Quận Ba Đình",
		"Kỳ báo cáo":             "03/03/2025–09/03/2025",
		"Đợt khảo sát":           "Khảo sát học kỳ II 2024–2025",
		"Số trường":              "3",
		"Phiếu mới trong kỳ":     "18",
		"Tổng số phiếu":          "123",
		"Chỉ số hài lòng":        "0.764",
		"Ngưỡng cảnh báo":        "0.6",
		"Số trường dưới ngưỡng":  "1",
		"Phản ánh mới trong kỳ":  "4",
		"Tiếp nhận đúng hạn":     "3",
		"Đã giải quyết trong kỳ": "2",
		"Đang mở cuối kỳ":        "5",
		"Quá hạn":                "2",
	} {
		if !renderSameCell(kv[k], w) {
			t.Errorf("Tổng hợp %q = %q, want %q", k, kv[k], w)
		}
	}

	comp, err := f.GetRows("Phản ánh", raw)
	if err != nil {
		t.Fatal(err)
	}
	wantComp := [][]string{
		{"Chỉ tiêu", "Số lượng"},
		{"Phản ánh mới trong kỳ", "4"},
		{"Tiếp nhận đúng hạn", "3"},
		{"Đã giải quyết trong kỳ", "2"},
		{"Đang mở cuối kỳ", "5"},
		{"Quá hạn", "2"},
		{},
		{"Phản ánh quá hạn"},
		{"Mã", "Trường", "Trạng thái", "Số ngày"},
		{"PA-0007", "Trường Trung học cơ sở Nguyễn Đình Chiểu", "Đang xử lý", "21"},
		{"PA-0011", "Trường Tiểu học Lê Thị Hồng Gấm", "Mới", "4"},
	}
	renderCompare(t, "Phản ánh", comp, wantComp)
}

func renderCompare(t *testing.T, sheet string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s has %d rows, want %d:\n%q", sheet, len(got), len(want), got)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("%s row %d = %q, want %q", sheet, i+1, got[i], want[i])
			continue
		}
		for j := range want[i] {
			if !renderSameCell(got[i][j], want[i][j]) {
				t.Errorf("%s row %d col %d = %q, want %q", sheet, i+1, j+1, got[i][j], want[i][j])
			}
		}
	}
}

// renderWantCSV is the sample report's CSV: ";" between fields, decimal
// commas, the period and scope on every row, "–" and its note.
var renderWantCSV = [][]string{
	{"Từ ngày", "Đến ngày", "Phạm vi", "Mã", "Tên trường", "Cấp", "Phiếu mới", "Tổng phiếu", "Chỉ số hài lòng (%)", "B1 (%)", "B2 (%)", "C1 (%)", "D1 (%)"},
	{"2025-03-03", "2025-03-09", "Phòng GD&ĐT Quận Ba Đình", "TH01", "Trường Tiểu học Lê Thị Hồng Gấm", "Tiểu học", "12", "80", "87,5", "75,0", "95,0", "50,0", "92,1"},
	{"2025-03-03", "2025-03-09", "Phòng GD&ĐT Quận Ba Đình", "THCS02", "Trường Trung học cơ sở Nguyễn Đình Chiểu", "Trung học cơ sở", "5", "40", "55,0", "45,0", "65,0", "50,0", "84,2"},
	{"2025-03-03", "2025-03-09", "Phòng GD&ĐT Quận Ba Đình", "MN03", "Trường Mầm non Hoa Sữa", "Mầm non", "1", "3", "–", "–", "–", "", "–"},
	{"2025-03-03", "2025-03-09", "Phòng GD&ĐT Quận Ba Đình", "", "Tổng cộng", "", "18", "123", "76,4", "65,6", "83,9", "50,0", "89,8"},
	{"–: chưa đủ mẫu (dưới 5 câu trả lời, không tính tỷ lệ).", "", "", "", "", "", "", "", "", "", "", "", ""},
}

func renderReadCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	bom := []byte("\xef\xbb\xbf")
	if !bytes.HasPrefix(data, bom) {
		t.Fatalf("CSV starts with % x, want a UTF-8 BOM", data[:min(3, len(data))])
	}
	cr := csv.NewReader(bytes.NewReader(data[len(bom):]))
	cr.Comma = ';'
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestRenderCSV(t *testing.T) {
	data, err := CSV(renderSampleReport())
	if err != nil {
		t.Fatal(err)
	}
	if recs := renderReadCSV(t, data); fmt.Sprint(recs) != fmt.Sprint(renderWantCSV) {
		t.Errorf("CSV =\n%q\nwant\n%q", recs, renderWantCSV)
	}
}

// TestOneDecimalSeparator: the CSV, the chart and the chat write a share
// alike (73,3), so no two files of one report disagree on the decimal sign.
func TestOneDecimalSeparator(t *testing.T) {
	r := renderSampleReport()
	data, err := CSV(r)
	if err != nil {
		t.Fatal(err)
	}
	recs := renderReadCSV(t, data)
	for i, row := range r.Rows {
		if !row.Index.Shown {
			continue
		}
		got := recs[i+1][8] + "%"
		if chart, chat := PercentVI(row.Index.Pct), pct(row.Index.Pct); got != chart || got != chat {
			t.Errorf("%s: CSV %q, chart %q, chat %q", row.Code, got, chart, chat)
		}
	}
}

func TestRenderChart(t *testing.T) {
	r := renderSampleReport()
	data, err := Chart(r)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != chartWidthPx || b.Dy() != chartHeightPx(3) {
		t.Errorf("chart is %dx%d, want %dx%d", b.Dx(), b.Dy(), chartWidthPx, chartHeightPx(3))
	}
	if b.Dy() < chartMinHeight {
		t.Errorf("chart height %d below the minimum %d", b.Dy(), chartMinHeight)
	}
	again, err := Chart(r)
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("Chart is not deterministic (err %v)", err)
	}

	// More schools, a taller chart.
	big := renderSampleReport()
	for i := range 20 {
		row := big.Rows[i%len(big.Rows)]
		row.Code = fmt.Sprintf("X%02d", i)
		big.Rows = append(big.Rows, row)
	}
	data, err = Chart(big)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != chartWidthPx || cfg.Height <= b.Dy() || cfg.Height != chartHeightPx(len(big.Rows)) {
		t.Errorf("chart for %d schools is %dx%d, want %dx%d taller than %d",
			len(big.Rows), cfg.Width, cfg.Height, chartWidthPx, chartHeightPx(len(big.Rows)), b.Dy())
	}
}

// TestCharts: a report of many schools is drawn ChartPage schools to a
// picture, every school in one of them, each picture no taller than a page.
func TestCharts(t *testing.T) {
	r := renderSampleReport()
	base := r.Rows
	for i := len(r.Rows); i < 2*ChartPage+5; i++ {
		row := base[i%len(base)]
		row.Code = fmt.Sprintf("X%02d", i)
		r.Rows = append(r.Rows, row)
	}
	pngs, err := Charts(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(pngs) != 3 {
		t.Fatalf("%d schools in %d charts, want 3", len(r.Rows), len(pngs))
	}
	heights := 0
	for _, data := range pngs {
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Height > chartHeightPx(ChartPage) {
			t.Errorf("a chart of %d px, taller than a page of %d schools", cfg.Height, ChartPage)
		}
		heights += cfg.Height
	}
	if want := 2*chartHeightPx(ChartPage) + chartHeightPx(5); heights != want {
		t.Errorf("the charts are %d px together, want %d (pages of %d, %d and 5 schools)", heights, want, ChartPage, ChartPage)
	}
	if one, _ := Charts(renderSampleReport()); len(one) != 1 {
		t.Errorf("a small report in %d charts", len(one))
	}
}

func TestRenderEmpty(t *testing.T) {
	for name, r := range map[string]*Report{
		"no schools": {Scope: "Phòng GD&ĐT trống", FlagBelow: 60, MinRespondents: 5},
		"zero":       {},
	} {
		t.Run(name, func(t *testing.T) {
			data, err := Chart(r)
			if err != nil {
				t.Fatalf("Chart: %v", err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != chartWidthPx || cfg.Height != chartMinHeight {
				t.Errorf("empty chart is %dx%d, want %dx%d", cfg.Width, cfg.Height, chartWidthPx, chartMinHeight)
			}
			f := renderOpenWorkbook(t, r)
			if n := len(f.GetSheetList()); n != 7 {
				t.Errorf("empty workbook has %d sheets, want 7", n)
			}
			rows, err := f.GetRows("Theo trường")
			if err != nil || len(rows) != 4 || rows[1][1] != "Tổng cộng" || !strings.HasPrefix(rows[3][0], "–: chưa đủ mẫu") {
				t.Errorf("empty Theo trường = %q (%v), want the header, the total and the note on its –", rows, err)
			}
			if _, err := CSV(r); err != nil {
				t.Errorf("CSV: %v", err)
			}
		})
	}
}

// TestChartPercentOneFormat: the chart's labels write every share as the
// digest's text does, with one decimal ("55,0%" beside "73,3%"), never
// "55%" beside "73,3%" (issue 18, item 10).
func TestChartPercentOneFormat(t *testing.T) {
	for _, v := range []float64{55, 73.33, 100, 0, 9.96} {
		if got, want := PercentVI(v), pct(v); got != want {
			t.Errorf("chart label of %v is %q, the text's %q", v, got, want)
		}
	}
}

// TestReportRoundsOnce: a change and a share are rounded once, as shown,
// wherever they are written: the text's change and the sheet's (points
// and arrow) agree at the edges of a tenth, and a share is stored as its
// exact thousandth (0.007 for 0,7%, never 0.006999999999999999).
func TestReportRoundsOnce(t *testing.T) {
	for _, c := range []struct {
		now, before float64
		text        string
	}{
		{50, 50.04, " = 0,0 x"}, {50, 49.96, " = 0,0 x"}, {50.06, 50, " ▲ 0,1 x"}, {49.94, 50, " ▼ 0,1 x"}, {87.5, 55, " ▲ 32,5 x"},
	} {
		now, before := Score{Pct: c.now, Shown: true}, Score{Pct: c.before, Shown: true}
		d, ok := comparisonRow{Now: now, Before: before}.Delta()
		if got := change(now, &before, "x"); got != c.text || !ok || fmt.Sprintf(" %s %s x", arrowOf(d), DecimalVI(max(d, -d))) != got {
			t.Errorf("%v against %v: the text %q, the sheet %v %s; want %q", c.now, c.before, got, d, arrowOf(d), c.text)
		}
	}
	for k := range 1001 {
		pct := float64(k)/10 + 0.04
		if got, want := float64(renderShare(pct)), float64(k)/1000; got != want {
			t.Errorf("the share of %v%% is stored as %v, want %v", pct, got, want)
		}
	}
}
