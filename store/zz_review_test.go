package store

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

func TestZZWrongSecretLosesOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	eng := testEngine(t)
	a := []byte("test secret, 32 characters long!")
	db, err := Open(path, Options{Engine: eng, Secret: a, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{tb: t, db: db, path: path, now: testStart}
	h.apply(h.text("111", "/start TH1"))
	n0 := len(h.pending("telegram"))
	db.Close()
	db2, err := Open(path, Options{Engine: eng, Secret: []byte("another secret, 32 chars long!!!"), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db2.PendingAfter("telegram", 0, 100)
	t.Logf("wrong secret: PendingAfter=%d err=%v", len(rows), err)
	db2.Close()
	db3, _ := Open(path, Options{Engine: eng, Secret: a, Logger: quietLog()})
	defer db3.Close()
	rows, _ = db3.Pending("telegram", 100)
	_, derr := db3.DeadLetters()
	t.Logf("rows before %d, after reopening with the right secret %d; DeadLetters err=%v", n0, len(rows), derr)
}

func TestZZPurgeCorruptAndAudience(t *testing.T) {
	h := newHarness(t, Options{})
	h.survey("111", "TH1", "Lớp 1", answers{})
	t.Logf("audience=%d sessions=%d", h.bucketLen(bAudience), h.bucketLen(bSessions))
	n, err := h.db.Purge(testStart.AddDate(2, 0, 0))
	t.Logf("purge n=%d err=%v audience=%d sessions=%d responses=%d", n, err, h.bucketLen(bAudience), h.bucketLen(bSessions), h.bucketLen(bResponses))

	h2 := newHarness(t, Options{})
	h2.survey("111", "TH1", "Lớp 1", answers{})
	h2.db.b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bResponses).Put([]byte("old\x00TH1\x00xxxxxxxxxxxxxxxx"), []byte{9, 9})
	})
	n, err = h2.db.Purge(testStart.AddDate(2, 0, 0))
	t.Logf("with one corrupt response: purge n=%d err=%v responses=%d", n, err, h2.bucketLen(bResponses))
}

func TestZZStopCost(t *testing.T) {
	h := newHarness(t, Options{})
	const N = 50000
	h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		for i := 0; i < N; i++ {
			if _, err := w.enqueueOne(flows.Outgoing{Kind: flows.OutMessage, Channel: "telegram", Chat: strconv.Itoa(i), Priority: flows.PriorityBroadcast, Reply: flows.Reply{Text: "Thông báo họp phụ huynh thứ Bảy lúc 7 giờ 30, mời quý phụ huynh tham dự đầy đủ."}}); err != nil {
				return err
			}
		}
		return nil
	})
	t0 := time.Now()
	for i := 0; i < 10; i++ {
		if _, err := h.db.Stop("telegram", strconv.Itoa(i*7), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("Stop with %d rows queued: %v each", N, time.Since(t0)/10)
	t0 = time.Now()
	rows, _ := h.db.PendingAfter("zalo", 0, 5000)
	t.Logf("zalo PendingAfter over %d telegram rows: %d rows, %v", N, len(rows), time.Since(t0))
}
