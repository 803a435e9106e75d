package digest

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"hailong/flows"
)

var update = flag.Bool("update", false, "rewrite the golden digests in testdata")

var hcm = func() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return l
}()

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, hcm)
	if err != nil {
		panic(err)
	}
	return t
}

func testEngine(t testing.TB) *flows.Engine {
	t.Helper()
	d := &flows.Directory{
		Offices: []flows.Office{{ID: "sadec", Name: "Phòng GDĐT thành phố Sa Đéc", Chat: "telegram:-100"}},
		Schools: []flows.School{
			{Code: "MN", Name: "Trường Mầm non Hồng Nhung", Level: flows.Preschool, Office: "sadec"},
			{Code: "TH", Name: "Trường Tiểu học Trưng Vương", Level: flows.Primary, Office: "sadec", Principals: []string{"telegram:501"}},
			{Code: "THCS", Name: "Trường THCS Trần Hưng Đạo", Level: flows.Lower, Office: "sadec"},
		},
		Waves: []flows.Wave{
			{ID: "w0", Title: "Học kì I, 2025–2026", Start: day("2025-09-01"), End: day("2026-01-16")},
			{ID: "w1", Title: "Học kì I, 2026–2027", Start: day("2026-09-01"), End: day("2027-01-16")},
		},
	}
	e, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, Location: hcm,
		ClassSizeCaps: map[flows.Level]int{flows.Preschool: 35, flows.Primary: 35, flows.Lower: 45}, SessionExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// memStore is a seeded database for the job.
type memStore struct {
	counts     map[string]flows.WaveCounts
	newByWave  map[string]map[string]int
	complaints []*flows.Complaint
	digests    map[string][]byte
	queued     []flows.Outgoing
	comments   []flows.Comment
	baselines  []flows.Baseline
}

func (m *memStore) CommentsIn(wave string, schools []string, from, to time.Time, fn func(flows.Comment) error) error {
	for _, c := range m.comments {
		if c.Wave == wave && slices.Contains(schools, c.School) && !c.At.Before(from) && c.At.Before(to) {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memStore) Baselines(period string, schools []string) ([]flows.Baseline, error) {
	var out []flows.Baseline
	for _, b := range m.baselines {
		if b.Period == period && (schools == nil || slices.Contains(schools, b.School)) {
			out = append(out, b)
		}
	}
	return out, nil
}

func (m *memStore) AggregatesOf(w string, _ []string) (flows.WaveCounts, error) {
	return m.counts[w], nil
}
func (m *memStore) NewResponsesOf(waves, _ []string, _, _ time.Time) (map[string]int, error) {
	out := map[string]int{}
	for _, w := range waves {
		for s, n := range m.newByWave[w] {
			out[s] += n
		}
	}
	return out, nil
}
func (m *memStore) ComplaintFacts(_ []string, _, _ time.Time, fn func(*flows.Complaint) error) error {
	for _, c := range m.complaints {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}
func (m *memStore) Snapshot(k string) ([]byte, bool, error)      { v, ok := m.digests[k]; return v, ok, nil }
func (m *memStore) Principals(string) ([]flows.Principal, error) { return nil, nil }
func (m *memStore) SendDigest(k string, snap []byte, out []flows.Outgoing) (bool, error) {
	if _, ok := m.digests[k]; ok {
		return false, nil
	}
	m.digests[k] = snap
	m.queued = append(m.queued, out...)
	return true, nil
}

// school builds the counts of n respondents answering every question
// with the given buckets, as a share of n: b is how many answered B items
// 4 or 5 (the rest 2), a how many answered A items the good way (the rest
// the bad way, dk of them "don't know"), size the class size they gave.
func school(n, b, a, dk int, size string) (int, flows.Counts) {
	c := flows.Counts{}
	for _, q := range flows.DefaultQuestionnaire().Questions {
		m := map[string]int{}
		switch {
		case q.Kind == flows.Scale:
			m["4"], m["2"] = b, n-b
		case q.Kind == flows.Number:
			m[size], m[flows.DontKnow] = n-dk, dk
		case q.Kind == flows.Choice:
			good, bad := q.Good[0], map[string]string{"yes": "no", "no": "yes"}[q.Good[0]]
			m[good], m[bad], m[flows.DontKnow] = a, n-a-dk, dk
		default:
			continue
		}
		c[q.ID] = m
	}
	return n, c
}

func counts(schools map[string][2]any) flows.WaveCounts {
	wc := flows.WaveCounts{Respondents: map[string]int{}, Counts: map[string]flows.Counts{}}
	for code, v := range schools {
		wc.Respondents[code] = v[0].(int)
		wc.Counts[code] = v[1].(flows.Counts)
	}
	return wc
}

func pair(n int, c flows.Counts) [2]any { return [2]any{n, c} }

// TestWeeklyDigestGolden seeds a database a year ago, last week and this
// week, and checks the digest the office gets this week against
// testdata/weekly.golden: percentages from known answers, "chưa đủ mẫu"
// below five answers, a flagged school, arrows against last week and last
// year, the complaints.
func TestWeeklyDigestGolden(t *testing.T) {
	eng := testEngine(t)
	sched, err := ParseSchedule("0 7 * * 1")
	if err != nil {
		t.Fatal(err)
	}
	st := &memStore{digests: map[string][]byte{}, counts: map[string]flows.WaveCounts{}, newByWave: map[string]map[string]int{}}
	job := &Job{Store: st, Engine: eng, Schedule: sched, MinRespondents: 5, FlagBelow: 70}

	// A year ago: 20 answers at TH, index 50%.
	st.counts["w0"] = counts(map[string][2]any{"TH": pair(school(20, 10, 15, 1, "30"))})
	if n, err := job.Run(time.Date(2025, 11, 24, 8, 0, 0, 0, hcm)); err != nil || n != 2 {
		t.Fatalf("a year ago: sent %d, %v", n, err)
	}
	// Last week.
	st.counts["w1"] = counts(map[string][2]any{
		"TH":   pair(school(10, 7, 8, 1, "30")),
		"THCS": pair(school(10, 6, 7, 0, "50")),
	})
	if n, err := job.Run(time.Date(2026, 11, 16, 7, 0, 0, 0, hcm)); err != nil || n != 2 {
		t.Fatalf("last week: sent %d, %v", n, err)
	}
	// This week: more answers, a preschool with too few, a complaint
	// overdue and one resolved on time.
	st.counts["w1"] = counts(map[string][2]any{
		"MN":   pair(school(3, 3, 3, 0, "20")),
		"TH":   pair(school(20, 16, 18, 2, "30")),
		"THCS": pair(school(10, 6, 7, 0, "50")),
	})
	st.newByWave["w1"] = map[string]int{"MN": 3, "TH": 10}
	at := day("2026-11-18").Add(10 * time.Hour)
	st.comments = []flows.Comment{
		{Wave: "w1", School: "TH", At: at, Grade: "3", Text: "Nhà vệ sinh dơ quá, các cháu không dám đi."},
		{Wave: "w1", School: "TH", At: at.Add(time.Hour), Grade: "4", Text: "Nhà vệ sinh thiếu xà phòng, học thêm nhiều quá."},
		{Wave: "w1", School: "TH", At: at.Add(2 * time.Hour), Grade: "1", Text: "Học thêm buổi tối, các cháu mệt."},
		{Wave: "w1", School: "TH", At: day("2026-11-10"), Grade: "1", Text: "Nhà vệ sinh: a week earlier, not in this digest."},
		{Wave: "w1", School: "MN", At: at, Grade: "mam", Text: "Nhà vệ sinh của trường ít người trả lời."}, // 3 respondents: hidden
	}
	st.complaints = []*flows.Complaint{
		{ID: 7, School: "TH", Status: flows.StatusNew, Created: day("2026-11-17").Add(9 * time.Hour),
			AckDue: day("2026-11-18").Add(9 * time.Hour), ResolveDue: day("2026-12-01")},
		{ID: 8, School: "THCS", Status: flows.StatusResolved, Created: day("2026-11-18").Add(10 * time.Hour),
			AckDue: day("2026-11-19").Add(10 * time.Hour), ResolveDue: day("2026-12-02"),
			AckedAt: day("2026-11-18").Add(15 * time.Hour), ResolvedAt: day("2026-11-20").Add(9 * time.Hour)},
	}
	st.queued = nil
	if n, err := job.Run(time.Date(2026, 11, 23, 7, 0, 0, 0, hcm)); err != nil || n != 2 {
		t.Fatalf("this week: sent %d, %v", n, err)
	}
	// Once only: the same week again sends nothing.
	if n, err := job.Run(time.Date(2026, 11, 23, 9, 30, 0, 0, hcm)); err != nil || n != 0 {
		t.Errorf("the same week again: sent %d, %v", n, err)
	}
	var office, principal []string
	attachments := 0
	buttons := map[string]string{}
	for _, o := range st.queued {
		for _, row := range o.Reply.Buttons {
			for _, b := range row {
				buttons[o.Chat] = b.Data
			}
		}
		switch {
		case o.Reply.File != nil:
			attachments++
		case o.Chat == "-100":
			office = append(office, o.Reply.Text)
		case o.Chat == "501":
			principal = append(principal, o.Reply.Text)
		}
		if o.Priority != flows.PriorityDigest {
			t.Errorf("a digest message has priority %d", o.Priority)
		}
	}
	// The comments open from the digest: the principal's school, the
	// office's list of schools.
	if buttons["501"] != "gd:w1:TH" || buttons["-100"] != "gd:w1" {
		t.Errorf("comments buttons %v", buttons)
	}
	if attachments != 2 {
		t.Errorf("%d attachments to the office, want the chart and the workbook", attachments)
	}
	got := strings.Join(office, "\n---\n") + "\n===\n" + strings.Join(principal, "\n---\n") + "\n"
	golden := "testdata/weekly.golden"
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
		t.Errorf("the digest differs from %s (go test ./digest -update, then review the diff):\n%s", golden, got)
	}
}

func TestSplitUnderLimit(t *testing.T) {
	var b strings.Builder
	for i := range 400 {
		b.WriteString(strings.Repeat("ạ", 30) + " dòng " + string(rune('A'+i%26)) + "\n")
	}
	parts := split(strings.TrimSuffix(b.String(), "\n"), MaxMessage)
	if len(parts) < 3 {
		t.Fatalf("%d parts", len(parts))
	}
	total := 0
	for _, p := range parts {
		if n := flows.Units(p); n > MaxMessage || n == 0 {
			t.Errorf("a part of %d characters", n)
		}
		if strings.HasPrefix(p, "\n") || strings.HasSuffix(p, "\n") {
			t.Errorf("a part cut mid-line or with blank edges")
		}
		total += strings.Count(p, "\n") + 1
	}
	if total != 400 {
		t.Errorf("lines after splitting: %d, want 400", total)
	}
}

// bigInput is a weekly office digest's input of 200 schools whose
// aggregates hold 1,000,000 responses (5,000 a school).
func bigInput(b *testing.B) Input {
	eng := testEngine(b)
	var schools []flows.School
	wc := flows.WaveCounts{Respondents: map[string]int{}, Counts: map[string]flows.Counts{}}
	levels := []flows.Level{flows.Preschool, flows.Primary, flows.Lower}
	for i := range 200 {
		code := "S" + string(rune('A'+i/26)) + string(rune('A'+i%26))
		schools = append(schools, flows.School{Code: code, Name: "Trường số " + code, Level: levels[i%3], Office: "sadec"})
		n, c := school(5000, 3000+i*5, 4000, 200, "30")
		wc.Respondents[code], wc.Counts[code] = n, c
	}
	return Input{Engine: eng, Kind: "weekly", Scope: "Sở GDĐT", Schools: schools, From: day("2026-11-16"), To: day("2026-11-23"),
		Waves: []*flows.Wave{&eng.Directory().Waves[1]}, Counts: []flows.WaveCounts{wc}, New: map[string]int{},
		MinRespondents: 5, FlagBelow: 70, Location: hcm}
}

// BenchmarkBuild builds that digest with its text.
func BenchmarkBuild(b *testing.B) {
	in := bigInput(b)
	b.ReportAllocs()
	for b.Loop() {
		r := Build(in)
		if r.Total.Total != 1_000_000 {
			b.Fatal(r.Total.Total)
		}
		Text(r)
	}
}

// BenchmarkFiles renders the chart and the workbook of that digest: what
// a report costs beyond its text.
func BenchmarkFiles(b *testing.B) {
	r := Build(bigInput(b))
	b.Run("charts", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Charts(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("workbook", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Workbook(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
