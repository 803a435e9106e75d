package store

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/digest"
	"hailong/flows"
	"hailong/web"
)

// The dashboard at the scale of a province (issue 20): a department over 120
// communes, 2,000 schools of 1,000 families each, 2,000,000 responses over
// two waves a year apart (1,000,000 each), 20,000 complaints. The fixture is
// written with the store's own writer (saveResponse and saveComplaint, what
// Apply calls), 100 responses to a transaction as the bot writes them: going
// through whole conversations would take hours. HAILONG_WEB_BENCH_DB names a
// file to keep it in and reuse (it takes minutes to write).
//
//	HAILONG_WEB_BENCH_DB=/tmp/province.db go test -run x -bench BenchmarkWebPages -benchtime 20x ./store

const (
	provinceCommunes  = 120
	provinceSchools   = 2000
	provinceResponses = 2_000_000
	provinceComplaint = 20_000
)

var webNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func provinceDirectory(tb testing.TB) *flows.Engine {
	d := &flows.Directory{
		Offices: []flows.Office{{ID: "so", Name: "Sở GDĐT tỉnh Đồng Tháp", Staff: []string{"telegram:1"}}},
		Waves: []flows.Wave{
			{ID: "w0", Title: "Học kì I, 2025–2026", Start: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)},
			{ID: "w1", Title: "Học kì I, 2026–2027", Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 16, 0, 0, 0, 0, time.UTC)},
		},
	}
	for c := range provinceCommunes {
		d.Offices = append(d.Offices, flows.Office{ID: fmt.Sprintf("x%03d", c), Name: fmt.Sprintf("UBND xã số %d", c+1), Parent: "so"})
	}
	levels := []flows.Level{flows.Preschool, flows.Primary, flows.Lower}
	for i := range provinceSchools {
		sc := flows.School{Code: fmt.Sprintf("S%04d", i), Name: fmt.Sprintf("Trường số %d", i+1), Level: levels[i%3],
			Office: fmt.Sprintf("x%03d", i%provinceCommunes), Enrolment: 1000}
		if i == 0 {
			sc.Principals = []string{"telegram:2"}
		}
		d.Schools = append(d.Schools, sc)
	}
	eng, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, SessionExpiry: time.Hour,
		ClassSizeCaps: map[flows.Level]int{flows.Preschool: 35, flows.Primary: 35, flows.Lower: 45}})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// openProvince opens (or writes) the province's database.
func openProvince(b *testing.B) *DB {
	eng := provinceDirectory(b)
	path := os.Getenv("HAILONG_WEB_BENCH_DB")
	if path == "" {
		path = b.TempDir() + "/province.db"
	}
	_, statErr := os.Stat(path)
	db, err := Open(path, Options{Engine: eng, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if statErr == nil {
		return db
	}
	fillProvince(b, db)
	return db
}

func fillProvince(b *testing.B, db *DB) {
	d, q := db.eng.Directory(), db.eng.Questionnaire()
	db.b.NoSync = true
	defer func() { db.b.NoSync = false }()
	const perTx = 100
	total := provinceResponses
	if v, err := strconv.Atoi(os.Getenv("HAILONG_WEB_BENCH_RESPONSES")); err == nil && v > 0 {
		total = v // a smaller run, to try the benchmark
	}
	for start := 0; start < max(total, provinceComplaint); start += perTx {
		err := db.b.Update(func(tx *bbolt.Tx) error {
			w := writer{tx: tx, db: db, seal: db.seal}
			for i := start; i < min(total, start+perTx); i++ {
				sc := d.Schools[i%len(d.Schools)]
				wave, at := d.Waves[1], webNow.Add(-time.Duration(i%(80*24))*time.Hour)
				if i%2 == 1 {
					wave, at = d.Waves[0], at.AddDate(0, 0, -364)
				}
				r := &flows.Response{Wave: wave.ID, School: sc.Code, Level: sc.Level, Grade: "3",
					Answers: map[string]string{}, Buckets: map[string]string{}, At: at}
				for _, qq := range q.For(sc.Level) {
					v := "yes"
					switch qq.Kind {
					case flows.Scale:
						v = strconv.Itoa(1 + (i/7+i%11)%5)
					case flows.Number:
						v = strconv.Itoa(25 + i%20)
					case flows.Text:
						continue
					}
					r.Answers[qq.ID] = v
					r.Buckets[qq.ID] = qq.Bucket(v)
				}
				if err := w.saveResponse(flows.RespondentKey([]byte("k"), "telegram", strconv.Itoa(i)), r); err != nil {
					return err
				}
			}
			if start < provinceComplaint {
				// 100 complaints a transaction, in the first 200.
				for j := start; j < start+perTx && j < provinceComplaint; j++ {
					sc := d.Schools[(j*7)%len(d.Schools)]
					created := webNow.Add(-time.Duration(j%(60*24)) * time.Hour)
					st := []flows.Status{flows.StatusNew, flows.StatusAcked, flows.StatusWorking, flows.StatusResolved}[j%4]
					c := &flows.Complaint{ID: uint64(j + 1), School: sc.Code, Office: sc.Office, Category: "csvc",
						Text: "Phòng vệ sinh khu B bị hỏng vòi nước hơn hai tuần nay, các cháu phải sang khu A.", Anonymous: j%3 == 0,
						Reporter: flows.Address{Channel: "telegram", Chat: strconv.Itoa(100000 + j)}, Status: st, Created: created,
						AckDue: created.Add(24 * time.Hour), ResolveDue: created.AddDate(0, 0, 14),
						History: []flows.Event{{At: created, Actor: "parent", Action: "filed"}}}
					if st == flows.StatusResolved {
						c.ResolvedAt, c.AckedAt = created.Add(48*time.Hour), created.Add(time.Hour)
					}
					if err := w.saveComplaint(c); err != nil {
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
}

// BenchmarkWebPages is each page's server time at the province's scale,
// with its size over the wire (uncompressed) as bytes/page.
func BenchmarkWebPages(b *testing.B) {
	db := openProvince(b)
	eng := db.Engine()
	job := &digest.Job{Store: db, Engine: eng, MinRespondents: 5, FlagBelow: 70}
	srv, err := web.New(web.Config{Store: db, Engine: eng, Job: job, Now: func() time.Time { return webNow }, MinRespondents: 5})
	if err != nil {
		b.Fatal(err)
	}
	cookie := func(actor string) *http.Cookie {
		token := "bench-" + actor
		if _, err := db.OpenWebSession(actor, "bench", token, "", webNow, time.Hour); err != nil {
			b.Fatal(err)
		}
		return &http.Cookie{Name: web.CookieName, Value: token}
	}
	dept, principal := cookie("telegram:1"), cookie("telegram:2")
	pages := []struct {
		name, path string
		who        *http.Cookie
	}{
		{"overview/department", "/", dept},
		{"unit/commune", "/unit/x007", dept},
		{"school/department", "/school/S0007", dept},
		{"school/principal", "/", principal},
		{"queue/department", "/complaints", dept},
		{"queue/overdue", "/complaints?overdue=1&status=all", dept},
		{"queue/principal", "/complaints", principal},
		{"complaint", "/complaints/8", dept},
		{"export/commune", "/export?unit=x007", dept},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, p.path, nil)
				req.AddCookie(p.who)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d\n%s", p.path, rec.Code, rec.Body.String())
				}
				n, _ := io.Copy(io.Discard, rec.Body)
				size = int(n)
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
