package store

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/digest"
	"hailong/flows"
)

// BenchmarkDigestAt1M builds an office's weekly digest — reading the
// aggregates and the per-day counts from the database, then building the
// report and its text — over 200 schools holding 1,000,000 stored
// responses (HAILONG_BENCH_RESPONSES changes the number). Setting up the
// database takes a minute; it is reported as bytes per response.
func BenchmarkDigestAt1M(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("HAILONG_BENCH_RESPONSES")); err == nil && v > 0 {
		total = v
	}
	d, eng := benchDirectory(b)
	h := newHarness(b, Options{Engine: eng})
	fillResponses(b, h, 0, total)
	job := &digest.Job{Store: h.db, Engine: eng, MinRespondents: 5, FlagBelow: 70}
	req := &flows.ReportRequest{Scope: "Sở GDĐT", From: testStart.AddDate(0, 0, -7), To: testStart}
	for _, sc := range d.Schools {
		req.Schools = append(req.Schools, sc.Code)
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := job.Report(req)
		if err != nil || r.Total.Total != total {
			b.Fatalf("report: %v, %d responses", err, r.Total.Total)
		}
		digest.Text(r)
	}
	if fi, err := os.Stat(h.path); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(total), "dbbytes/response")
	}
	// The same file compacted (hailong compact), as it stands at rest.
	h.db.Close()
	if _, after, err := Compact(h.path); err == nil {
		b.ReportMetric(float64(after)/float64(total), "compacted-bytes/response")
	} else {
		b.Error(err)
	}
	if p := os.Getenv("HAILONG_BENCH_KEEP"); p != "" {
		// Kept for `hailong bench --db` and inspection.
		if err := os.Rename(h.path, p); err != nil {
			b.Error(err)
		}
	}
}

// benchSchools is how many schools the benchmarks' databases spread their
// responses over.
const benchSchools = 200

// benchDirectory is an office of 200 schools with one open wave.
func benchDirectory(b *testing.B) (*flows.Directory, *flows.Engine) {
	d := &flows.Directory{
		Offices: []flows.Office{{ID: "so", Name: "Sở GDĐT"}},
		Waves:   []flows.Wave{{ID: "w1", Title: "Học kì I", Start: testStart.AddDate(0, -2, 0), End: testStart.AddDate(0, 3, 0)}},
	}
	levels := []flows.Level{flows.Preschool, flows.Primary, flows.Lower}
	for i := range benchSchools {
		d.Schools = append(d.Schools, flows.School{Code: fmt.Sprintf("S%03d", i), Name: fmt.Sprintf("Trường số %d", i), Level: levels[i%3], Office: "so"})
	}
	eng, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, SessionExpiry: time.Hour,
		ClassSizeCaps: map[flows.Level]int{flows.Preschool: 35, flows.Primary: 35, flows.Lower: 45}})
	if err != nil {
		b.Fatal(err)
	}
	return d, eng
}

// commentEvery makes fillResponses give every n-th response a comment (0:
// none).
var commentEvery = 0

var benchComments = []string{
	"Nhà vệ sinh của trường dơ quá, các cháu không dám đi.",
	"Giáo viên cho học thêm nhiều quá, các cháu về nhà rất mệt.",
	"Các khoản thu chi đầu năm chưa được công khai rõ ràng.",
	"Sân trường ngập nước mỗi khi mưa to, đề nghị nhà trường sửa.",
}

// fillResponses stores the responses numbered [from, to) of made-up
// respondents, spread over the directory's schools.
func fillResponses(b *testing.B, h *harness, from, to int) {
	d, q := h.db.eng.Directory(), h.db.eng.Questionnaire()
	// Written as the bot writes them — at most a poll batch of 100 to a
	// transaction — so that the file is laid out as a real one is (loaded
	// 20,000 to a transaction, copy-on-write leaves a third of it free
	// pages). Without fsync: it changes the time, not the file.
	const perTx = 100
	h.db.b.NoSync = true
	defer func() { h.db.b.NoSync = false }()
	for start := from; start < to; start += perTx {
		err := h.db.b.Update(func(tx *bbolt.Tx) error {
			w := writer{tx: tx, db: h.db, seal: h.db.seal}
			for i := start; i < min(to, start+perTx); i++ {
				sc := d.Schools[i%len(d.Schools)]
				r := &flows.Response{Wave: "w1", School: sc.Code, Level: sc.Level, Grade: "3",
					Answers: map[string]string{}, Buckets: map[string]string{}, At: testStart.Add(-time.Duration(i%(60*24)) * time.Hour)}
				for _, qq := range q.For(sc.Level) {
					v := "yes"
					switch qq.Kind {
					case flows.Scale:
						v = strconv.Itoa(1 + i%5)
					case flows.Number:
						v = strconv.Itoa(25 + i%20)
					case flows.Text:
						if commentEvery == 0 || i%commentEvery != 0 {
							continue
						}
						v = benchComments[i%len(benchComments)]
					}
					r.Answers[qq.ID] = v
					r.Buckets[qq.ID] = qq.Bucket(v)
				}
				if err := w.saveResponse(flows.RespondentKey([]byte("k"), "telegram", strconv.Itoa(i)), r); err != nil {
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
