package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/digest"
	"hailong/flows"
)

// The province of the two-tier government, as BENCHMARKS.md sizes it: one
// department, 120 communes and wards under it, 2,000 schools, 1,000,000
// parents who each answered in two waves (2,000,000 responses), 20,000
// complaints. HAILONG_BENCH_RESPONSES scales the responses down for a
// quick run.
const (
	provinceUnits      = 120
	provinceSchools    = 2000
	provinceComplaints = 20000
)

var provinceSecret = []byte("province secret, 32 characters!!")

// provinceDirectory is the province: the department "so", communes
// c001…c120, schools S0000…S1999 with 300 to 800 families each.
func provinceDirectory(tb testing.TB) (*flows.Directory, *flows.Engine) {
	d := &flows.Directory{
		Offices: []flows.Office{{ID: "so", Name: "Sở GDĐT tỉnh Đồng Tháp", Chat: "telegram:-1"}},
		Waves: []flows.Wave{
			{ID: "w0", Title: "Học kì II, 2025–2026", Start: testStart.AddDate(0, -8, 0), End: testStart.AddDate(0, -3, 0)},
			{ID: "w1", Title: "Học kì I, 2026–2027", Start: testStart.AddDate(0, -2, 0), End: testStart.AddDate(0, 3, 0)},
		},
		EnrolmentOf: "families",
	}
	for u := range provinceUnits {
		d.Offices = append(d.Offices, flows.Office{ID: fmt.Sprintf("c%03d", u+1), Name: fmt.Sprintf("UBND xã số %d", u+1), Parent: "so",
			Chat: "telegram:-" + strconv.Itoa(1000+u)})
	}
	levels := []flows.Level{flows.Preschool, flows.Primary, flows.Lower}
	for i := range provinceSchools {
		d.Schools = append(d.Schools, flows.School{Code: fmt.Sprintf("S%04d", i), Name: fmt.Sprintf("Trường số %d", i), Level: levels[i%3],
			Office: fmt.Sprintf("c%03d", i%provinceUnits+1), Enrolment: 300 + (i*7919)%500})
	}
	eng, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, SessionExpiry: time.Hour,
		ClassSizeCaps: map[flows.Level]int{flows.Preschool: 35, flows.Primary: 35, flows.Lower: 45}})
	if err != nil {
		tb.Fatal(err)
	}
	return d, eng
}

// fillProvince stores parents' two waves of responses and the complaints,
// written as the bot writes them: at most a poll batch of 100 to a
// transaction.
func fillProvince(b testing.TB, db *DB, parents int) {
	d, q := db.eng.Directory(), db.eng.Questionnaire()
	const perTx = 100
	db.b.NoSync = true
	defer func() { db.b.NoSync = false }()
	waves := []*flows.Wave{&d.Waves[0], &d.Waves[1]}
	for start := 0; start < parents; start += perTx {
		err := db.b.Update(func(tx *bbolt.Tx) error {
			w := writer{tx: tx, db: db, seal: db.seal}
			for i := start; i < min(parents, start+perTx); i++ {
				sc := d.Schools[(i*7)%len(d.Schools)]
				key := flows.RespondentKey(provinceSecret, "telegram", strconv.Itoa(i))
				for k, wave := range waves {
					at := wave.Start.Add(time.Duration(i%(60*24)) * time.Hour)
					if at.After(testStart) {
						at = testStart.Add(-time.Duration(i%(24*7)) * time.Hour)
					}
					r := &flows.Response{Wave: wave.ID, School: sc.Code, Level: sc.Level, Grade: "3",
						Answers: map[string]string{}, Buckets: map[string]string{}, At: at}
					for _, qq := range q.For(sc.Level) {
						v := "yes"
						switch qq.Kind {
						case flows.Scale:
							v = strconv.Itoa(1 + (i+k)%5)
						case flows.Number:
							v = strconv.Itoa(25 + i%20)
						case flows.Text:
							continue
						}
						r.Answers[qq.ID] = v
						r.Buckets[qq.ID] = qq.Bucket(v)
					}
					if err := w.saveResponse(key, r); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	statuses := []flows.Status{flows.StatusResolved, flows.StatusResolved, flows.StatusResolved, flows.StatusResolved,
		flows.StatusResolved, flows.StatusResolved, flows.StatusResolved, flows.StatusResolved, flows.StatusAcked, flows.StatusNew}
	for start := 0; start < provinceComplaints; start += perTx {
		err := db.b.Update(func(tx *bbolt.Tx) error {
			w := writer{tx: tx, db: db, seal: db.seal}
			for i := start; i < min(provinceComplaints, start+perTx); i++ {
				sc := d.Schools[(i*13)%len(d.Schools)]
				created := testStart.Add(-time.Duration(i%8760) * time.Hour)
				c := &flows.Complaint{ID: uint64(i + 1), School: sc.Code, Office: sc.Office, Category: "csvc",
					Text: "Nhà vệ sinh của trường chưa sạch, mong nhà trường quan tâm.", Anonymous: true,
					ReporterKey: flows.RespondentKey(provinceSecret, "telegram", strconv.Itoa(i)), Status: statuses[i%len(statuses)],
					Created: created, AckDue: created.Add(24 * time.Hour), ResolveDue: created.AddDate(0, 0, 14),
					History: []flows.Event{{At: created, Actor: "parent", Action: "filed"}}}
				if c.Status != flows.StatusNew {
					c.AckedAt = created.Add(5 * time.Hour)
				}
				if c.Status == flows.StatusResolved {
					c.ResolvedAt = created.AddDate(0, 0, 3)
				}
				if err := w.saveComplaint(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProvince measures what the department and its communes ask of
// one machine: the department's weekly digest (its 120 communes summed,
// ranked, with 20,000 complaints read), one commune's, and a year's
// workbook of the whole province; then, in a fresh process over the same
// file, the start (opening the database and building the engine) and the
// peak resident memory of building the department's report, chart and
// workbook. Filling the database takes several minutes.
func BenchmarkProvince(b *testing.B) {
	parents := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("HAILONG_BENCH_RESPONSES")); err == nil && v > 0 {
		parents = v / 2
	}
	d, eng := provinceDirectory(b)
	path := b.TempDir() + "/province.db"
	db, err := Open(path, Options{Engine: eng, Secret: provinceSecret, Logger: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	fillStart := time.Now()
	fillProvince(b, db, parents)
	b.Logf("filled %d responses and %d complaints in %s", 2*parents, provinceComplaints, time.Since(fillStart).Round(time.Second))
	job := &digest.Job{Store: db, Engine: eng, MinRespondents: 5, FlagBelow: 70}
	week := func(office string) *flows.ReportRequest {
		req := &flows.ReportRequest{Office: office, From: testStart.AddDate(0, 0, -7), To: testStart}
		o, _ := d.Office(office)
		req.Scope = o.Name
		for _, sc := range d.Under(office) {
			req.Schools = append(req.Schools, sc.Code)
		}
		return req
	}
	b.Run("department-digest", func(b *testing.B) {
		req := week("so")
		for b.Loop() {
			r, err := job.Report(req)
			if err != nil || len(r.Units) != provinceUnits || r.Total.Total != 2*parents/2 {
				b.Fatalf("report: %v, %d units, %d responses", err, len(r.Units), r.Total.Total)
			}
			digest.Text(r)
		}
	})
	b.Run("commune-digest", func(b *testing.B) {
		req := week("c007")
		for b.Loop() {
			r, err := job.Report(req)
			if err != nil || len(r.Rows) == 0 {
				b.Fatalf("report: %v", err)
			}
			digest.Text(r)
		}
	})
	// Monday morning: every unit's digest built and rendered as it is
	// sent (text, chart, workbook), one after another, as Job.Run does.
	b.Run("all-121-digests-rendered", func(b *testing.B) {
		for b.Loop() {
			for _, o := range d.Offices {
				r, err := job.Report(week(o.ID))
				if err != nil {
					b.Fatal(err)
				}
				digest.Text(r)
				if _, err := digest.Charts(r); err != nil {
					b.Fatal(err)
				}
				if _, err := digest.Workbook(r); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("year-workbook", func(b *testing.B) {
		req := week("so")
		req.From = testStart.AddDate(-1, 0, 0)
		for b.Loop() {
			r, err := job.Report(req)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := digest.Workbook(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	db.Close()
	// A fresh process: what a start costs, and the most memory a
	// department's report takes; and the file's size.
	b.Run("fresh-process", func(b *testing.B) {
		metrics := map[string]float64{}
		for b.Loop() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestProvinceChild$", "-test.v")
			cmd.Env = append(os.Environ(), "HAILONG_PROVINCE_DB="+path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("child: %v\n%s", err, out)
			}
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			for sc.Scan() {
				var name string
				var v float64
				if n, _ := fmt.Sscanf(strings.TrimSpace(sc.Text()), "metric %s %g", &name, &v); n == 2 {
					metrics[name] = v
				}
			}
		}
		for name, v := range metrics {
			b.ReportMetric(v, name)
		}
		if fi, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(fi.Size())/float64(2*parents), "dbbytes/response")
		}
	})
}

// TestProvinceChild is BenchmarkProvince's fresh process; it does nothing
// unless the benchmark starts it.
func TestProvinceChild(t *testing.T) {
	path := os.Getenv("HAILONG_PROVINCE_DB")
	if path == "" {
		t.Skip("run by BenchmarkProvince")
	}
	start := time.Now()
	d, eng := provinceDirectory(t)
	db, err := Open(path, Options{Engine: eng, Secret: provinceSecret, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fmt.Printf("metric start-ms %g\n", float64(time.Since(start).Microseconds())/1000)
	job := &digest.Job{Store: db, Engine: eng, MinRespondents: 5, FlagBelow: 70}
	req := &flows.ReportRequest{Scope: "Sở", Office: "so", From: testStart.AddDate(0, 0, -7), To: testStart}
	for _, sc := range d.Schools {
		req.Schools = append(req.Schools, sc.Code)
	}
	r, err := job.Report(req)
	if err != nil {
		t.Fatal(err)
	}
	digest.Text(r)
	if _, err := digest.Charts(r); err != nil {
		t.Fatal(err)
	}
	if _, err := digest.Workbook(r); err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc: peak memory unknown")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			fmt.Printf("metric peak-rss-MB %g\n", float64(kb)/1024)
		}
	}
}

// TestCountsOfSomeSchools: a commune's counts read school by school are
// the same as those read in one pass over the province.
func TestCountsOfSomeSchools(t *testing.T) {
	_, eng := provinceDirectory(t)
	db, err := Open(t.TempDir()+"/p.db", Options{Engine: eng, Secret: provinceSecret, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillProvince(t, db, 6000)
	some := []string{"S0007", "S0127", "S1999"}
	for _, w := range []string{"w0", "w1"} {
		all, err1 := db.Aggregates(w)
		part, err2 := db.AggregatesOf(w, some)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(part.Respondents) != len(some) {
			t.Errorf("%s: %d schools read, want %d", w, len(part.Respondents), len(some))
		}
		for _, sc := range some {
			if part.Respondents[sc] == 0 || part.Respondents[sc] != all.Respondents[sc] || !reflect.DeepEqual(part.Counts[sc], all.Counts[sc]) {
				t.Errorf("%s %s: %d respondents, want %d; counts equal %v", w, sc, part.Respondents[sc], all.Respondents[sc], reflect.DeepEqual(part.Counts[sc], all.Counts[sc]))
			}
		}
	}
	for _, days := range []int{1, 7, 30, 400} {
		from, to := testStart.AddDate(0, 0, -days), testStart.Add(time.Hour)
		all, err1 := db.NewResponses([]string{"w0", "w1"}, from, to)
		part, err2 := db.NewResponsesOf([]string{"w0", "w1"}, some, from, to)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for _, sc := range some {
			if part[sc] != all[sc] {
				t.Errorf("%d days, %s: %d new, want %d", days, sc, part[sc], all[sc])
			}
		}
		if len(part) > len(some) {
			t.Errorf("%d days: counted schools not asked for: %v", days, part)
		}
	}
}
