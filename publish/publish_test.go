package publish_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hailong/digest"
	"hailong/flows"
	"hailong/internal/tooltest"
	"hailong/publish"
	"hailong/publish/publishtest"
)

var hcm = func() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return l
}()

func date(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, hcm)
	if err != nil {
		panic(err)
	}
	return t
}

var testWave = flows.Wave{ID: "2026-hk1", Title: "Học kì I, năm học 2026–2027", Start: date("2026-09-01"), End: date("2027-01-16")}

func testEngine(t testing.TB, schools []flows.School) *flows.Engine {
	t.Helper()
	d := &flows.Directory{
		Offices: []flows.Office{{ID: "sadec", Name: "Phòng GDĐT thành phố Sa Đéc"}},
		Schools: schools,
		Waves:   []flows.Wave{testWave},
	}
	e, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, Location: hcm,
		ClassSizeCaps: map[flows.Level]int{flows.Preschool: 35, flows.Primary: 35, flows.Lower: 45}, SessionExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// answers are the counts of n respondents: b of them answer B items 4 (the
// rest 2), a answer A items the good way, dk "don't know", the rest bad.
func answers(n, b, a, dk int) flows.Counts {
	c := flows.Counts{"#": {"": n}}
	for _, q := range flows.DefaultQuestionnaire().Questions {
		m := map[string]int{}
		switch q.Kind {
		case flows.Scale:
			m["4"], m["2"] = b, n-b
		case flows.Number:
			m["30"], m["60"], m[flows.DontKnow] = a, n-a-dk, dk
		case flows.Choice:
			good, bad := q.Good[0], map[string]string{"yes": "no", "no": "yes"}[q.Good[0]]
			m[good], m[bad], m[flows.DontKnow] = a, n-a-dk, dk
		default:
			continue
		}
		c[q.ID] = m
	}
	return c
}

type sample struct {
	code, name string
	level      flows.Level
	n, b, a    int
	dk         int
	enrolment  int
}

func input(t testing.TB, rows []sample) publish.Input {
	t.Helper()
	var schools []flows.School
	wc := flows.WaveCounts{Respondents: map[string]int{}, Counts: map[string]flows.Counts{}}
	for _, r := range rows {
		schools = append(schools, flows.School{Code: r.code, Name: r.name, Level: r.level, Office: "sadec", Enrolment: r.enrolment})
		wc.Respondents[r.code] = r.n
		wc.Counts[r.code] = answers(r.n, r.b, r.a, r.dk)
	}
	return publish.Input{Engine: testEngine(t, schools), Unit: publish.Unit{ID: "sadec", Name: "Phòng GDĐT thành phố Sa Đéc"},
		Wave: &testWave, Schools: schools, Counts: wc, EnrolmentOf: "pupils", MinRespondents: 5,
		Made: time.Date(2027, 1, 20, 9, 0, 0, 0, hcm)}
}

var sampleRows = []sample{
	{"TH-TV", "Trường Tiểu học Trưng Vương", flows.Primary, 40, 34, 30, 2, 600},
	{"THCS-TD", "Trường THCS Trần Hưng Đạo", flows.Lower, 30, 20, 25, 1, 900},
	{"MN-HN", "Trường Mầm non Hồng Nhung", flows.Preschool, 3, 3, 3, 0, 120},      // too few: withheld
	{"TH-LTHG", "Trường Tiểu học Lê Thị Hồng Gấm", flows.Primary, 12, 9, 4, 7, 0}, // the smallest other: withheld with it
}

func TestBuildWithholdsSmallSchoolsAndTheirComplement(t *testing.T) {
	in := input(t, sampleRows)
	d, err := publish.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]publish.School{}
	for _, s := range d.Schools {
		byCode[s.Code] = s
	}
	if s := byCode["MN-HN"]; !s.Hidden() || s.Index.Value != nil || s.ResponseRate == nil || !s.ResponseRate.Suppressed {
		t.Errorf("MN-HN (3 respondents) = %+v, want everything withheld", s)
	}
	// 3 respondents withheld alone: the total (85) minus the published
	// schools would give them. The next smallest goes with them.
	if s := byCode["TH-LTHG"]; !s.Hidden() {
		t.Errorf("TH-LTHG (12) published: the total minus the published rows gives MN-HN's 3")
	}
	if s := byCode["TH-TV"]; s.Hidden() || *s.Respondents.Value != 40 || *s.Index.Value != 0.85 || *s.ResponseRate.Value != math.Round(40.0/600*1000)/1000 {
		t.Errorf("TH-TV = %+v, want 40 respondents, index 85%%, rate 40/600", s.Figures)
	}
	if d.Total.Respondents.Value == nil || *d.Total.Respondents.Value != 85 {
		t.Errorf("total respondents %+v, want 85", d.Total.Respondents)
	}
	// TH-LTHG's enrolment is unknown: no rate for the unit (it would give
	// back TH-LTHG's respondents).
	if d.Total.ResponseRate != nil {
		t.Errorf("unit response rate %+v with an enrolment unknown", *d.Total.ResponseRate)
	}
	if _, ok := byCode["MN-HN"].Shares["A5"]; ok {
		t.Errorf("a preschool shows A5, a question its parents are not asked")
	}
	if err := publish.Audit(d, in); err != nil {
		t.Error(err)
	}
}

// TestBuildWithholdsAShareAndItsComplement: a published school whose
// parents mostly answered "don't know" to A items has those shares withheld,
// and in each such column the next smallest share too.
func TestBuildWithholdsAShareAndItsComplement(t *testing.T) {
	in := input(t, []sample{
		{"A", "Trường A", flows.Primary, 40, 30, 30, 0, 0},
		{"B", "Trường B", flows.Primary, 20, 15, 10, 0, 0},
		{"C", "Trường C", flows.Primary, 10, 8, 2, 7, 0}, // 3 judged A answers
	})
	d, err := publish.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Schools {
		if s.Hidden() {
			t.Errorf("%s withheld whole, with %d respondents", s.Code, *s.Respondents.Value)
		}
	}
	a1 := func(i int) publish.Cell[float64] { return d.Schools[i].Shares["A1"] }
	if !a1(2).Suppressed || !a1(1).Suppressed || a1(0).Suppressed {
		t.Errorf("A1: A %+v, B %+v, C %+v; want C withheld (3 answers) and B with it (the smaller of the rest)", a1(0), a1(1), a1(2))
	}
	if c := d.Schools[2].Shares["B1"]; c.Suppressed {
		t.Errorf("C's B1 (10 answers) withheld")
	}
	if err := publish.Audit(d, in); err != nil {
		t.Error(err)
	}
}

// TestAuditCatchesLeaks: the audit that Build runs before anything is
// written finds a small figure published, and a total that gives one back.
func TestAuditCatchesLeaks(t *testing.T) {
	in := input(t, sampleRows)
	fresh := func() *publish.Dataset {
		d, err := publish.Build(in)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := fresh()
	three := 3
	d.Schools[2].Respondents = publish.Cell[int]{Value: &three}
	if err := publish.Audit(d, in); err == nil || !strings.Contains(err.Error(), "fewer than 5") {
		t.Errorf("MN-HN's 3 respondents published: audit %v", err)
	}
	d = fresh()
	twelve := 12
	d.Schools[3].Respondents = publish.Cell[int]{Value: &twelve}
	if err := publish.Audit(d, in); err == nil || !strings.Contains(err.Error(), "the total minus the published schools gives 3") {
		t.Errorf("the complement published: audit %v", err)
	}
	d = fresh()
	v := 1.0
	d.Schools[2].Shares["A1"] = publish.Cell[float64]{Value: &v}
	if err := publish.Audit(d, in); err == nil {
		t.Errorf("a share of a withheld school published: audit passed")
	}
}

// TestBuildNeverLeaks builds datasets of random schools, many of them
// small, and audits each, read back from its JSON.
func TestBuildNeverLeaks(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	levels := []flows.Level{flows.Preschool, flows.Primary, flows.Lower}
	for round := range 300 {
		var rows []sample
		for i := range 1 + rng.IntN(8) {
			n := rng.IntN(4)
			if rng.IntN(2) == 0 {
				n = rng.IntN(60)
			}
			dk := 0
			if n > 0 {
				dk = rng.IntN(n + 1)
			}
			a := 0
			if n-dk > 0 {
				a = rng.IntN(n - dk + 1)
			}
			enrol := 0
			if rng.IntN(3) > 0 {
				enrol = n + rng.IntN(500)
			}
			rows = append(rows, sample{fmt.Sprintf("S%d", i), fmt.Sprintf("Trường %d", i), levels[rng.IntN(3)], n, rng.IntN(n + 1), a, dk, enrol})
		}
		in := input(t, rows)
		in.MinRespondents = 2 + rng.IntN(8)
		d, err := publish.Build(in)
		if err != nil {
			t.Fatalf("round %d: %v\n%+v", round, err, rows)
		}
		data, err := publish.JSON(d)
		if err != nil {
			t.Fatal(err)
		}
		var back publish.Dataset
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if err := publish.Audit(&back, in); err != nil {
			t.Fatalf("round %d, read back: %v\n%s", round, err, data)
		}
	}
}

func TestComplaintCounts(t *testing.T) {
	in := input(t, sampleRows)
	at := func(s string) time.Time { return date(s).Add(8 * time.Hour) }
	in.Complaints = []*flows.Complaint{
		// acknowledged and resolved on time
		{School: "TH-TV", Status: flows.StatusResolved, Created: at("2026-10-01"), AckDue: at("2026-10-02"), AckedAt: at("2026-10-01"),
			ResolveDue: at("2026-10-15"), ResolvedAt: at("2026-10-10")},
		// acknowledged late, resolved late
		{School: "TH-TV", Status: flows.StatusResolved, Created: at("2026-10-05"), AckDue: at("2026-10-06"), AckedAt: at("2026-10-08"),
			ResolveDue: at("2026-10-19"), ResolvedAt: at("2026-11-01")},
		// open past its deadline at publication
		{School: "MN-HN", Status: flows.StatusAcked, Created: at("2026-12-01"), AckDue: at("2026-12-02"), AckedAt: at("2026-12-01"),
			ResolveDue: at("2026-12-15")},
		// before the wave: not counted
		{School: "TH-TV", Status: flows.StatusNew, Created: at("2026-08-01"), AckDue: at("2026-08-02"), ResolveDue: at("2026-08-15")},
	}
	d, err := publish.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Schools[0].Complaints, (publish.Complaints{Received: 2, AckedOnTime: 1, ResolvedOnTime: 1}); got != want {
		t.Errorf("TH-TV complaints %+v, want %+v", got, want)
	}
	if got, want := d.Schools[2].Complaints, (publish.Complaints{Received: 1, AckedOnTime: 1, Overdue: 1}); got != want {
		t.Errorf("MN-HN complaints %+v, want %+v (published though its survey is withheld)", got, want)
	}
	if got, want := d.Total.Complaints, (publish.Complaints{Received: 3, AckedOnTime: 2, ResolvedOnTime: 1, Overdue: 1}); got != want {
		t.Errorf("unit complaints %+v, want %+v", got, want)
	}
}

// TestFilesReadBack writes the files and reads each back: the JSON audits
// clean, the CSV says what the JSON says (";", decimal commas, "–" where
// withheld) and a spreadsheet set to Vietnamese (LibreOffice) reads its
// numbers as numbers, and each PDF is one page, in Vietnamese, with the
// school's figures beside the unit's (the unit's own alone) and nothing
// withheld showing.
func TestFilesReadBack(t *testing.T) {
	in := input(t, sampleRows)
	d, err := publish.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cong-bo")
	paths, err := publish.Write(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ket-qua-2026-hk1.csv", "ket-qua-2026-hk1.json", "tom-tat-2026-hk1-sadec.pdf",
		"tom-tat-2026-hk1-TH-TV.pdf", "tom-tat-2026-hk1-THCS-TD.pdf", "tom-tat-2026-hk1-MN-HN.pdf", "tom-tat-2026-hk1-TH-LTHG.pdf"}
	if len(paths) != len(want) {
		t.Fatalf("wrote %q, want %q", paths, want)
	}
	for i, p := range paths {
		fi, err := os.Stat(p)
		if filepath.Base(p) != want[i] || err != nil || fi.Mode().Perm() != publish.FileMode {
			t.Errorf("file %d: %s (%v, %v), want %s, mode %v", i, p, err, fi.Mode(), want[i], os.FileMode(publish.FileMode))
		}
	}
	publishtest.ReadBack(t, dir, in)

	// The CSV as a spreadsheet set to Vietnamese opens it (LibreOffice):
	// the wave's days and every count, rate and share a number as
	// written, the names, codes and withheld figures ("–") text.
	csvPath := filepath.Join(dir, publish.DataName(d, ".csv"))
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	cr.Comma = digest.CSVComma
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := tooltest.ReadCSV(t, csvPath)[0]
	if len(got) != len(recs) || len(got[0]) != len(recs[0]) {
		t.Fatalf("LibreOffice read %d rows of %d columns, want %d of %d:\n%v", len(got), len(got[0]), len(recs), len(recs[0]), got)
	}
	text := map[string]bool{"Đợt khảo sát": true, "Đơn vị": true, "Dòng": true, "Mã trường": true, "Tên trường": true, "Cấp học": true}
	for i := range recs {
		for j, w := range recs[i] {
			var c tooltest.Cell
			if j < len(got[i]) {
				c = got[i][j]
			}
			at := fmt.Sprintf("row %d, %s", i+1, recs[0][j])
			switch head := recs[0][j]; {
			case w == "":
				if c.Value != "" {
					t.Errorf("%s = %q, want it empty", at, c.Value)
				}
			case i == 0 || text[head] || w == digest.Suppressed:
				if c.Number || c.Value != w {
					t.Errorf("%s = %q (a number: %v), want the text %q", at, c.Value, c.Number, w)
				}
			case head == "Từ ngày" || head == "Đến ngày":
				if day, err := time.Parse(time.DateOnly, w); err != nil || !c.Number || c.Value != strconv.Itoa(int(day.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours()/24)) {
					t.Errorf("%s = %q (a number: %v), want the date %s", at, c.Value, c.Number, w)
				}
			default:
				x, err := strconv.ParseFloat(c.Value, 64)
				v, _ := strconv.ParseFloat(strings.Replace(w, ",", ".", 1), 64)
				if !c.Number || err != nil || x != v {
					t.Errorf("%s = %q (a number: %v), want the number %s", at, c.Value, c.Number, w)
				}
			}
		}
	}
}

// BenchmarkPublish200 builds and writes (CSV, JSON, 201 PDFs) the
// publication of 200 schools, a fifth of them too small.
func BenchmarkPublish200(b *testing.B) {
	var rows []sample
	for i := range 200 {
		n := 20 + i%50
		if i%5 == 0 {
			n = i % 5
		}
		rows = append(rows, sample{fmt.Sprintf("S%03d", i), fmt.Sprintf("Trường Tiểu học số %d", i), flows.Primary, n, n * 3 / 4, n / 2, n / 10, 400})
	}
	in := input(b, rows)
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		d, err := publish.Build(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := publish.Write(dir, d); err != nil {
			b.Fatal(err)
		}
	}
}
