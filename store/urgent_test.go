package store

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/time/rate"

	"hailong/flows"
	"hailong/outbox"
)

// recorder is a transport that takes everything at once and remembers the
// order.
type recorder struct {
	mu   sync.Mutex
	sent []flows.Queued
}

func (r *recorder) Send(_ context.Context, q flows.Queued) outbox.Verdict {
	r.mu.Lock()
	r.sent = append(r.sent, q)
	r.mu.Unlock()
	return outbox.Verdict{Outcome: outbox.Sent}
}

func (r *recorder) ChatLimiter(flows.Queued) *rate.Limiter { return nil }

// position is where the row to chat went out, or -1.
func (r *recorder) position(chat string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, q := range r.sent {
		if q.Chat == chat {
			return i
		}
	}
	return -1
}

// TestUrgentOvertakesBacklog: with an announcement's 8,000 rows queued —
// more than the sender holds at once — and 1,500 replies of the other
// channel, a reply committed behind them goes out within the next few
// messages, not after the thousands before it.
func TestUrgentOvertakesBacklog(t *testing.T) {
	h := newHarness(t, Options{})
	const backlog = 8000
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		var rows []flows.Outgoing
		for i := range backlog {
			rows = append(rows, flows.Outgoing{Kind: flows.OutMessage, Channel: "telegram", Chat: strconv.Itoa(100000 + i),
				Priority: flows.PriorityBroadcast, Reply: flows.Reply{Text: "Thông báo"}})
		}
		// Replies waiting on the other channel (its sender stopped) are
		// no reason to wait either.
		for i := range 1500 {
			rows = append(rows, flows.Outgoing{Kind: flows.OutMessage, Channel: "zalo", Chat: strconv.Itoa(i),
				Priority: flows.PriorityInteractive, Reply: flows.Reply{Text: "Câu 1/16"}})
		}
		return w.enqueue(rows)
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		outbox.Run(ctx, outbox.Config{Channel: "telegram", Store: h.db, Transport: rec, Global: rate.NewLimiter(2000, 1), Log: quietLog()})
	}()
	defer func() { cancel(); <-done }()
	for rec.position("100049") < 0 {
		time.Sleep(time.Millisecond)
	}
	h.apply(h.text("555", "/start")) // the reply and the consent notice
	deadline := time.Now().Add(10 * time.Second)
	for rec.position("555") < 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	at := rec.position("555")
	if at < 0 {
		t.Fatal("the reply never went")
	}
	if at > 500 {
		t.Errorf("the reply went out %d-th, behind %d announcement rows", at+1, at)
	}
}

// TestPendingAfterSkipsOtherChannels: a sender reading past another
// channel's long queue is told how far it looked, so that it does not read
// that queue again at every wake-up.
func TestPendingAfterSkipsOtherChannels(t *testing.T) {
	h := newHarness(t, Options{})
	var last uint64
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		for i := range 300 {
			seq, err := w.enqueueOne(flows.Outgoing{Kind: flows.OutMessage, Channel: "telegram", Chat: strconv.Itoa(100 + i), Reply: flows.Reply{Text: "x"}})
			if err != nil {
				return err
			}
			last = seq
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, upTo, err := h.db.PendingAfter("zalo", 0, 50)
	if err != nil || len(rows) != 0 || upTo != last {
		t.Fatalf("PendingAfter(zalo) = %d rows, up to %d, %v; want none, up to %d", len(rows), upTo, err, last)
	}
	rows, upTo, err = h.db.PendingAfter("telegram", 0, 50)
	if err != nil || len(rows) != 50 || upTo != rows[49].Seq {
		t.Fatalf("PendingAfter(telegram) = %d rows, up to %d, %v", len(rows), upTo, err)
	}
}

// queueChats queues n rows to chats numbered from first, round robin.
func queueChats(t testing.TB, h *harness, first, chats, n int, priority int) {
	t.Helper()
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		for i := range n {
			if _, err := w.enqueueOne(flows.Outgoing{Kind: flows.OutMessage, Channel: "telegram", Chat: strconv.Itoa(first + i%chats),
				Priority: priority, Reply: flows.Reply{Text: "Thông báo " + strconv.Itoa(i)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStopUsesTheChatIndex: a chat that blocked the bot loses exactly its
// own rows, found through the chats' index — also rows queued before the
// index existed (it is built at open), and after a group moved.
func TestStopUsesTheChatIndex(t *testing.T) {
	h := newHarness(t, Options{})
	queueChats(t, h, 1000, 50, 500, flows.PriorityDigest)   // 10 rows each
	queueChats(t, h, 1007, 1, 2, flows.PriorityInteractive) // and two replies for one
	queueChats(t, h, 1008, 1, 1, flows.PriorityAlert)       // an alert for another, a group about to move
	// As a database of before the index: no index, no mark.
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket(bByChat); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bByChat); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Delete([]byte(indexesBuilt))
	})
	if err != nil {
		t.Fatal(err)
	}
	h.db.Close()
	h.db, err = Open(h.path, Options{Engine: h.db.eng, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := h.db.Stop("telegram", "1007", testStart); err != nil || n != 12 {
		t.Fatalf("Stop = %d, %v; want the chat's 12 rows", n, err)
	}
	if err := h.db.Migrate("telegram", "1008", "-1001008"); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.db.Stop("telegram", "1008", testStart); n != 0 {
		t.Errorf("the moved chat's old id still had %d rows", n)
	}
	if n, _ := h.db.Stop("telegram", "-1001008", testStart); n != 11 {
		t.Errorf("the moved chat's new id had %d rows; want 11, each once", n)
	}
	rows := h.pending("telegram")
	if len(rows) != 480 {
		t.Errorf("%d rows left; want 480", len(rows))
	}
	for _, q := range rows {
		if q.Chat == "1007" || q.Chat == "1008" || q.Chat == "-1001008" {
			t.Fatalf("a row of a stopped chat is left: %+v", q)
		}
	}
}

// BenchmarkStop: a chat that blocked the bot has its row dropped while
// 50,000 rows are queued, one a chat — an announcement's, or a burst of
// replies (each Stop holds the write lock: updates wait meanwhile).
func BenchmarkStop(b *testing.B) {
	for _, bc := range []struct {
		name     string
		priority int
	}{{"announcement", flows.PriorityBroadcast}, {"replies", flows.PriorityInteractive}} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHarness(b, Options{})
			queueChats(b, h, 100000, 50000, 50000, bc.priority)
			i := 0
			for b.Loop() {
				n, err := h.db.Stop("telegram", strconv.Itoa(100000+i), testStart)
				if err != nil || n != 1 {
					b.Fatalf("Stop = %d, %v", n, err)
				}
				i++
			}
		})
	}
}
