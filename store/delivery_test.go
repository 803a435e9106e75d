package store

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// TestStopDropsAndLifts: a chat that blocked the bot loses what was queued
// for it, gets nothing more queued, and is written to again once it
// writes; check finds nothing queued for a stopped chat.
func TestStopDropsAndLifts(t *testing.T) {
	h := newHarness(t, Options{})
	h.apply(h.text("987654321", "/start TH1"), h.text("456", "/start TH1"))
	n, err := h.db.Stop("telegram", "987654321", h.tick())
	if err != nil || n != 1 {
		t.Fatalf("Stop = %d, %v; want the one queued row dropped", n, err)
	}
	for _, q := range h.pending("telegram") {
		if q.Chat == "987654321" {
			t.Errorf("a row for the stopped chat stayed queued")
		}
	}
	// Nothing is queued for it while stopped.
	err = h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		return w.enqueue([]flows.Outgoing{{Kind: flows.OutMessage, Channel: "telegram", Chat: "987654321", Reply: flows.Reply{Text: "alert"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if problems, err := h.db.Check(); err != nil || len(problems) != 0 {
		t.Errorf("Check = %v, %v", problems, err)
	}
	for _, q := range h.pending("telegram") {
		if q.Chat == "987654321" {
			t.Errorf("a row was queued for a stopped chat: %q", q.Reply.Text)
		}
	}
	// Writing again lifts the stop.
	h.apply(h.text("987654321", "/start"))
	found := false
	for _, q := range h.pending("telegram") {
		found = found || q.Chat == "987654321"
	}
	if !found {
		t.Errorf("no answer to a parent who wrote again after blocking")
	}
	// The stopped set holds no raw chat id.
	h.db.Close()
	raw, err := os.ReadFile(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("987654321")) {
		t.Errorf("the file holds the stopped chat's id")
	}
}

func TestMigrateMovesQueue(t *testing.T) {
	h := newHarness(t, Options{})
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		return w.enqueue([]flows.Outgoing{
			{Kind: flows.OutMessage, Channel: "telegram", Chat: "-100", Reply: flows.Reply{Text: "one"}},
			{Kind: flows.OutMessage, Channel: "telegram", Chat: "-200", Reply: flows.Reply{Text: "other"}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.Migrate("telegram", "-100", "-1009"); err != nil {
		t.Fatal(err)
	}
	err = h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		return w.enqueue([]flows.Outgoing{{Kind: flows.OutMessage, Channel: "telegram", Chat: "-100", Reply: flows.Reply{Text: "two"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range h.pending("telegram") {
		got = append(got, q.Chat+":"+q.Reply.Text)
	}
	if want := "-1009:one -200:other -1009:two"; joinSpace(got) != want {
		t.Errorf("queue %q, want %q", joinSpace(got), want)
	}
}

func joinSpace(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

// TestUnreadableRowSetAside: a row that does not open (sealed under another
// secret, or damaged) is set aside, and the rows behind it are served.
func TestUnreadableRowSetAside(t *testing.T) {
	h := newHarness(t, Options{})
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bOutbox).Put(u64(1), []byte("not a sealed row")); err != nil {
			return err
		}
		if err := tx.Bucket(bOutbox).SetSequence(1); err != nil {
			return err
		}
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		return w.enqueue([]flows.Outgoing{{Kind: flows.OutMessage, Channel: "telegram", Chat: "5", Reply: flows.Reply{Text: "after"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := h.db.PendingAfter("telegram", 0, 10)
	if err != nil || len(rows) != 1 || rows[0].Reply.Text != "after" {
		t.Fatalf("PendingAfter = %+v, %v", rows, err)
	}
	dead, _ := h.db.DeadLetters()
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "outbox row 1") {
		t.Errorf("dead letters %+v", dead)
	}
}
