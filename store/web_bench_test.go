package store

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"hailong/digest"
	"hailong/web"
)

// BenchmarkWebPages is each dashboard page's server time at the province
// of BenchmarkProvince (its generator: 120 communes, 2,000 schools,
// 2,000,000 responses over two waves, 20,000 complaints), with the page's
// size over the wire (uncompressed) as bytes/page. The department's staff
// member is telegram:1, the principal of S0007 telegram:2.
// HAILONG_WEB_BENCH_DB keeps the filled file for the next run (filling it
// takes minutes); HAILONG_BENCH_RESPONSES scales it down.
//
//	HAILONG_WEB_BENCH_DB=/tmp/province.db go test -run x -bench BenchmarkWebPages -benchtime 20x -timeout 60m ./store
func BenchmarkWebPages(b *testing.B) {
	d, eng := provinceDirectory(b)
	d.Offices[0].Staff = []string{"telegram:1"}
	d.Schools[7].Principals = []string{"telegram:2"}
	parents := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("HAILONG_BENCH_RESPONSES")); err == nil && v > 0 {
		parents = v / 2
	}
	path := os.Getenv("HAILONG_WEB_BENCH_DB")
	if path == "" {
		path = b.TempDir() + "/province.db"
	}
	_, missing := os.Stat(path)
	db, err := Open(path, Options{Engine: eng, Secret: provinceSecret, Logger: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if missing != nil {
		fillProvince(b, db, parents)
	}
	now := testStart
	job := &digest.Job{Store: db, Engine: eng, MinRespondents: 5, FlagBelow: 70}
	srv, err := web.New(web.Config{Store: db, Engine: eng, Job: job, Now: func() time.Time { return now }, MinRespondents: 5})
	if err != nil {
		b.Fatal(err)
	}
	cookie := func(actor string) *http.Cookie {
		token := "bench-" + actor + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		if _, err := db.OpenWebSession(actor, "bench", token, "", now, time.Hour); err != nil {
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
		{"unit/commune", "/unit/c008", dept},
		{"school/principal", "/", principal},
		{"school/department", "/school/S0007", dept},
		{"queue/department", "/complaints", dept},
		{"queue/department-all-overdue", "/complaints?status=all&overdue=1", dept},
		{"queue/principal", "/complaints", principal},
		{"complaint", "/complaints/8", dept},
		{"sessions", "/sessions", dept},
		{"export/commune", "/export?unit=c008", dept},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			size := 0
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
