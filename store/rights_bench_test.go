package store

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// BenchmarkRights measures a parent's /dulieu (what is stored about me)
// and the confirming press of /xoadulieu (erase it all), each one Apply —
// one write transaction — with 1,000,000 and then 2,000,000 other
// responses stored (HAILONG_BENCH_RESPONSES and twice it); /help beside them as the floor of any input. Setting
// up the database takes a few minutes.
func BenchmarkRights(b *testing.B) {
	_, eng := benchDirectory(b)
	h := newHarness(b, Options{Engine: eng})
	const parent = "4242"
	key := h.db.keys.Key("telegram", parent)
	// The parent starts the survey (so has a consented session) and has a
	// response stored, as one who answered.
	meet := func() {
		h.apply(h.text(parent, "/start S001"))
		if h.hasButton(parent, "✅ Đồng ý") {
			h.apply(h.press(parent, "✅ Đồng ý"))
			h.apply(h.press(parent, "Lớp 3"))
		}
		err := h.db.b.Update(func(tx *bbolt.Tx) error {
			w := writer{tx: tx, db: h.db, seal: h.db.seal}
			return w.saveResponse(key, &flows.Response{Wave: "w1", School: "S001", Level: flows.Primary, Grade: "3",
				Answers: map[string]string{"A1": "yes"}, Buckets: map[string]string{"A1": "good"}, At: testStart})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	total := 1_000_000 // HAILONG_BENCH_RESPONSES changes it
	if v, err := strconv.Atoi(os.Getenv("HAILONG_BENCH_RESPONSES")); err == nil && v > 0 {
		total = v
	}
	stored := 0
	for _, size := range []int{total, 2 * total} {
		fillResponses(b, h, stored, size)
		stored = size
		name := "responses=" + strconv.Itoa(size) + "/"
		meet()
		b.Run(name+"help", func(b *testing.B) {
			for range b.N {
				h.apply(h.text(parent, "/help"))
			}
		})
		b.Run(name+"dulieu", func(b *testing.B) {
			for range b.N {
				h.apply(h.text(parent, "/dulieu"))
			}
			b.StopTimer()
			if m, _ := h.lastMessage(parent); !strings.Contains(m.Reply.Text, "Câu trả lời đợt") {
				b.Fatalf("/dulieu answered:\n%s", m.Reply.Text)
			}
		})
		// The first start of a binary with the index over a database of
		// before it builds the index: once, at open.
		b.Run(name+"build-index", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				err := h.db.b.Update(func(tx *bbolt.Tx) error {
					if err := tx.DeleteBucket(bByKey); err != nil {
						return err
					}
					if _, err := tx.CreateBucket(bByKey); err != nil {
						return err
					}
					return tx.Bucket(bMeta).Delete([]byte(responsesIndexed))
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := h.db.indexResponses(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"xoadulieu", func(b *testing.B) {
			b.StopTimer()
			for range b.N {
				meet()
				h.apply(h.text(parent, "/xoadulieu"))
				press := h.press(parent, "🗑 Xoá tất cả")
				b.StartTimer()
				h.apply(press)
				b.StopTimer()
			}
			if n := h.bucketLen(bResponses); n != stored {
				b.Fatalf("%d responses after erasing, want %d", n, stored)
			}
		})
	}
}
