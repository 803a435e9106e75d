package digest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hailong/flows"
)

// provinceEngine is a department (chat -300) over six wards (ward i's chat
// -10i), each running two schools with 200 families each, but ward 6,
// whose enrolment is unknown.
func provinceEngine(t testing.TB) *flows.Engine {
	t.Helper()
	d := &flows.Directory{
		Offices: []flows.Office{{ID: "so", Name: "Sở GDĐT tỉnh Đồng Tháp", Chat: "telegram:-300"}},
		Waves:   []flows.Wave{{ID: "w1", Title: "Học kì I, 2026–2027", Start: day("2026-09-01"), End: day("2027-01-16")}},
	}
	for i := 1; i <= 6; i++ {
		id := fmt.Sprintf("p%d", i)
		d.Offices = append(d.Offices, flows.Office{ID: id, Name: fmt.Sprintf("UBND phường %d", i), Parent: "so", Chat: fmt.Sprintf("telegram:-10%d", i)})
		for j := 1; j <= 2; j++ {
			sc := flows.School{Code: fmt.Sprintf("TH-%d-%d", i, j), Name: fmt.Sprintf("Trường Tiểu học %d.%d", i, j), Level: flows.Primary, Office: id}
			if i != 6 {
				sc.Enrolment = 200
			}
			d.Schools = append(d.Schools, sc)
		}
	}
	e, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, Location: hcm,
		ClassSizeCaps: map[flows.Level]int{flows.Primary: 35}, SessionExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestProvinceDigests: the department's digest is of its wards — each
// ward's responses, response rate, index and overdue complaints, the best
// and worst, the wards not reached — with a chart of wards and a sheet per
// level; each ward's digest is of its own schools alone.
func TestProvinceDigests(t *testing.T) {
	eng := provinceEngine(t)
	sched, _ := ParseSchedule("0 7 * * 1")
	st := &memStore{digests: map[string][]byte{}, counts: map[string]flows.WaveCounts{}, newByWave: map[string]map[string]int{}}
	job := &Job{Store: st, Engine: eng, Schedule: sched, MinRespondents: 5, FlagBelow: 70}
	st.counts["w1"] = counts(map[string][2]any{
		"TH-1-1": pair(school(100, 95, 90, 0, "30")), "TH-1-2": pair(school(60, 54, 50, 0, "30")), // ward 1: best
		"TH-2-1": pair(school(80, 60, 60, 0, "30")), "TH-2-2": pair(school(40, 30, 30, 0, "30")),
		"TH-3-1": pair(school(50, 20, 30, 0, "40")), "TH-3-2": pair(school(50, 25, 30, 0, "40")), // ward 3: worst, flagged
		"TH-4-1": pair(school(10, 8, 8, 0, "30")), "TH-4-2": pair(school(20, 16, 16, 0, "30")), // ward 4: reached 7.5%
		// ward 5: nobody answered; ward 6: enrolment unknown.
		"TH-6-1": pair(school(30, 24, 24, 0, "30")), "TH-6-2": pair(school(2, 2, 2, 0, "30")),
	})
	st.complaints = []*flows.Complaint{
		{ID: 1, School: "TH-3-1", Status: flows.StatusNew, Created: day("2026-11-02"), AckDue: day("2026-11-03"), ResolveDue: day("2026-11-16")},
		{ID: 2, School: "TH-3-2", Status: flows.StatusAcked, Created: day("2026-11-02"), AckDue: day("2026-11-03"), ResolveDue: day("2026-11-16"), AckedAt: day("2026-11-02")},
		{ID: 3, School: "TH-1-1", Status: flows.StatusNew, Created: day("2026-11-20"), AckDue: day("2026-11-21"), ResolveDue: day("2026-12-04")},
	}
	if n, err := job.Run(time.Date(2026, 11, 23, 7, 0, 0, 0, hcm)); err != nil || n != 7 {
		t.Fatalf("sent %d digests, %v; want the department's and six wards'", n, err)
	}
	texts := map[string][]string{}
	var book []byte
	charts := 0
	for _, o := range st.queued {
		switch {
		case o.Reply.File != nil && o.Chat == "-300" && strings.HasSuffix(o.Reply.File.Name, ".xlsx"):
			book = o.Reply.File.Data
		case o.Reply.File != nil && o.Chat == "-300":
			charts++
			if !strings.Contains(o.Reply.Text, "theo đơn vị") {
				t.Errorf("the department's chart caption: %q", o.Reply.Text)
			}
		case o.Reply.File == nil:
			texts[o.Chat] = append(texts[o.Chat], o.Reply.Text)
		}
	}
	if charts != 1 {
		t.Errorf("%d charts to the department, want one of its six wards", charts)
	}
	dept := strings.Join(texts["-300"], "\n---\n")
	ward3 := strings.Join(texts["-103"], "\n---\n")
	if strings.Contains(ward3, "Trường Tiểu học 1.1") || !strings.Contains(ward3, "Trường Tiểu học 3.1") {
		t.Errorf("ward 3's digest is not of its own schools:\n%s", ward3)
	}
	got := dept + "\n===\n" + ward3 + "\n"
	golden := "testdata/province.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./digest -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("the digests differ from %s (go test ./digest -update, then review the diff):\n%s", golden, got)
	}
	for _, w := range []string{
		"📬 Tỷ lệ phản hồi: 20,5% (410/2.000 gia đình của 10/12 trường có số liệu)",
		"• UBND phường 3: 100 · 25,0% · 45,0% · 2 ⚠️",
		"🏆 Cao nhất: UBND phường 1",
		"🔻 Thấp nhất: UBND phường 3 (45,0%)",
		"📭 Chưa tiếp cận được (chưa có phiếu, hoặc phản hồi dưới 10,0%): UBND phường 4; UBND phường 5",
		"• UBND phường 5: 0 · 0,0% · chưa đủ mẫu · 0",
	} {
		if !strings.Contains(dept, w) {
			t.Errorf("the department's digest lacks %q", w)
		}
	}

	f, err := excelize.OpenReader(strings.NewReader(string(book)))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetSheetList(); len(got) < 2 || got[1] != sheetUnits {
		t.Errorf("sheets %v: want the units' sheet second", got)
	}
	rows, err := f.GetRows(sheetUnits)
	if err != nil || len(rows) != 7 {
		t.Fatalf("units sheet: %d rows, %v", len(rows), err)
	}
	if r := rows[3]; r[1] != "UBND phường 3" || r[2] != "2" || r[4] != "100" || r[5] != "400" || r[6] != "25" || r[8] != "2" {
		t.Errorf("ward 3's row: %q", r)
	}
	if r := rows[6]; r[5] != "" || r[6] != "" {
		t.Errorf("ward 6's rate with no enrolment known: %q", r)
	}
}
