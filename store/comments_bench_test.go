package store

import (
	"os"
	"strconv"
	"testing"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// BenchmarkComments reads parents' comments from a database of 200,000
// responses over 200 schools, one in three with a comment
// (HAILONG_BENCH_RESPONSES changes the number): a page of a school's as
// /gopy shows it (the newest, and one 50 pages back), the counts of all
// 200 schools as the office's list needs them, and a week's of every
// school as a digest reads them.
func BenchmarkComments(b *testing.B) {
	total := 200_000
	if v, err := strconv.Atoi(os.Getenv("HAILONG_BENCH_RESPONSES")); err == nil && v > 0 {
		total = v
	}
	d, eng := benchDirectory(b)
	h := newHarness(b, Options{Engine: eng})
	commentEvery = 3
	defer func() { commentEvery = 0 }()
	fillResponses(b, h, 0, total)
	var codes []string
	for _, sc := range d.Schools {
		codes = append(codes, sc.Code)
	}
	page := func(b *testing.B, skip int) {
		for b.Loop() {
			if err := h.db.b.View(func(tx *bbolt.Tx) error {
				w := &writer{tx: tx, db: h.db, seal: h.db.seal}
				if got := w.Comments("w1", "S007", skip, flows.CommentPage); len(got) != flows.CommentPage {
					b.Fatalf("a page of %d comments", len(got))
				}
				return w.err
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("page", func(b *testing.B) { page(b, 0) })
	b.Run("page50", func(b *testing.B) { page(b, 50*flows.CommentPage) })
	b.Run("counts200", func(b *testing.B) {
		for b.Loop() {
			n, err := h.db.CommentCounts("w1", codes)
			if err != nil || n["S007"].Comments == 0 {
				b.Fatal(n["S007"], err)
			}
		}
	})
	b.Run("week200", func(b *testing.B) {
		for b.Loop() {
			n := 0
			if err := h.db.CommentsIn("w1", codes, testStart.AddDate(0, 0, -7), testStart, func(flows.Comment) error { n++; return nil }); err != nil || n == 0 {
				b.Fatal(n, err)
			}
		}
	})
}
