package store

import (
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// BenchmarkComplaintEvent measures what the store does for each new event
// of a complaint's history (an addition by the parent, a reply, a change
// of status): read the complaint, add the event, save it — in one write
// transaction, as Apply does — with 1, 100 and 1,500 events before it.
// It reports the stored record's size before the timed events.
func BenchmarkComplaintEvent(b *testing.B) {
	for _, n := range []int{1, 100, 1500} {
		b.Run("history="+strconv.Itoa(n), func(b *testing.B) {
			h := newHarness(b, Options{})
			id := h.fileComplaint("111")
			note := strings.Repeat("Quạt vẫn hỏng. ", 14) // 210 characters
			event := func() {
				err := h.db.b.Update(func(tx *bbolt.Tx) error {
					w := writer{tx: tx, db: h.db, seal: h.db.seal}
					c, _ := w.Complaint(id)
					c.History = append(c.History, flows.Event{At: testStart, Actor: "parent", Action: "info", Note: note})
					return w.saveComplaint(c)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			h.db.b.NoSync = true
			for range n - 1 {
				event()
			}
			h.db.b.NoSync = false
			size := h.recordSize(id)
			b.ResetTimer()
			for range b.N {
				event()
			}
			b.ReportMetric(float64(size), "record-bytes")
		})
	}
}
