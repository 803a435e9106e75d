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
// more than the sender holds at once — a reply committed behind them goes
// out within the next few messages, not after the thousands before it.
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
