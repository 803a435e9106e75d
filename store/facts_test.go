package store

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// TestComplaintFacts: what reports count of a complaint is kept apart as
// it is saved, read without opening the complaint, and built once for a
// database written before it was kept.
func TestComplaintFacts(t *testing.T) {
	h := newHarness(t, Options{})
	created := testStart.Add(-48 * time.Hour)
	want := []*flows.Complaint{
		{ID: 1, School: "TH-03", Office: "sadec", Category: "csvc", Text: "Cửa sổ vỡ.", Status: flows.StatusNew,
			Created: created, AckDue: created.Add(24 * time.Hour), ResolveDue: created.AddDate(0, 0, 14)},
		{ID: 2, School: "MN-HN", Office: "sadec", Category: "antoan", Text: "Bếp ăn bẩn.", Status: flows.StatusResolved,
			Created: created, AckDue: created.Add(24 * time.Hour), ResolveDue: created.AddDate(0, 0, 5),
			AckedAt: created.Add(time.Hour), ResolvedAt: created.Add(30 * time.Hour)},
	}
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		for _, c := range want {
			if err := w.saveComplaint(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func() []*flows.Complaint {
		var got []*flows.Complaint
		if err := h.db.ComplaintFacts(nil, testStart.AddDate(-1, 0, 0), testStart, func(c *flows.Complaint) error { got = append(got, c); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b *flows.Complaint) int { return int(a.ID) - int(b.ID) })
		return got
	}
	check := func(when string, got []*flows.Complaint) {
		if len(got) != len(want) {
			t.Fatalf("%s: %d complaints", when, len(got))
		}
		for i, c := range got {
			w := want[i]
			if c.ID != w.ID || c.School != w.School || c.Status != w.Status || !c.Created.Equal(w.Created) || !c.AckDue.Equal(w.AckDue) ||
				!c.ResolveDue.Equal(w.ResolveDue) || !c.AckedAt.Equal(w.AckedAt) || !c.ResolvedAt.Equal(w.ResolvedAt) || c.AckedAt.IsZero() != w.AckedAt.IsZero() {
				t.Errorf("%s: facts %+v, want those of %+v", when, c, w)
			}
			if c.Text != "" || c.Category != "" {
				t.Errorf("%s: the facts hold more than counts: %+v", when, c)
			}
		}
	}
	check("saved", read())
	if problems, err := h.db.Check(); err != nil || len(problems) > 0 {
		t.Fatalf("check: %v %v", problems, err)
	}
	// Facts that drift from their complaint are named by hailong check.
	if err := h.db.b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bFacts).Put(schoolIDKey("TH-03", 1), encodeFacts(want[1]))
	}); err != nil {
		t.Fatal(err)
	}
	if problems, _ := h.db.Check(); len(problems) != 1 || !strings.Contains(problems[0], "PA-000001") {
		t.Errorf("check of drifted facts: %v", problems)
	}
	if err := h.db.b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bFacts).Put(schoolIDKey("TH-03", 1), encodeFacts(want[0]))
	}); err != nil {
		t.Fatal(err)
	}
	// One school's, and a period that counts only what was open in it.
	var ids []uint64
	collect := func(c *flows.Complaint) error { ids = append(ids, c.ID); return nil }
	if err := h.db.ComplaintFacts([]string{"MN-HN"}, testStart.AddDate(-1, 0, 0), testStart, collect); err != nil || !slices.Equal(ids, []uint64{2}) {
		t.Errorf("MN-HN's: %v, %v", ids, err)
	}
	ids = nil
	if err := h.db.ComplaintFacts(nil, created.AddDate(0, 0, 5), created.AddDate(0, 0, 12), collect); err != nil || !slices.Equal(ids, []uint64{1}) {
		t.Errorf("a week after the second was resolved: %v, %v; want the open one alone", ids, err)
	}

	// A database of before: no facts, no mark. Opening it builds them.
	if err := h.db.b.Update(func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket(bFacts); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bFacts); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Delete([]byte(factsIndexed))
	}); err != nil {
		t.Fatal(err)
	}
	check("not indexed, read in full", read())
	h.db.Close()
	db, err := Open(h.path, Options{Engine: h.db.eng, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	if n := h.bucketLen(bFacts); n != 2 {
		t.Fatalf("%d facts after opening, want 2", n)
	}
	check("built at open", read())
}
