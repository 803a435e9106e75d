package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// fileComplaint files a complaint of user at TH1 and returns its id.
func (h *harness) fileComplaint(user string) uint64 {
	h.tb.Helper()
	h.survey(user, "TH1", "Lớp 1", nil)
	h.apply(h.text(user, "/phananh"))
	h.apply(h.press(user, "Cơ sở vật chất"))
	h.apply(h.text(user, "Quạt trần lớp 1A bị hỏng, các cháu rất nóng."))
	h.apply(h.press(user, "Không có ảnh, tiếp tục ▶"))
	h.apply(h.press(user, "🕶 Gửi ẩn danh"))
	h.apply(h.press(user, "✅ Gửi phản ánh"))
	var id uint64
	h.db.Complaints(func(c *flows.Complaint) error { id = c.ID; return nil })
	if id == 0 {
		h.tb.Fatal("no complaint filed")
	}
	return id
}

// recordSize is the stored (sealed) size of a complaint's record.
func (h *harness) recordSize(id uint64) int {
	var n int
	h.db.b.View(func(tx *bbolt.Tx) error { n = len(tx.Bucket(bComplaint).Get(u64(id))); return nil })
	return n
}

// TestComplaintAdditionsBounded: a parent adds information to an open
// complaint at most MaxAdditions times (and MaxAddedChars in all); past
// that they are told kindly, nothing is stored and no principal is
// messaged. Each addition is on the card staff see.
func TestComplaintAdditionsBounded(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.fileComplaint("111")
	code := flows.ComplaintCode(id)
	add := func(text string) string {
		h.apply(h.text("111", "/phananhcuatoi"))
		if !h.hasButton("111", "➕ Bổ sung "+code) {
			t.Fatalf("no add button")
		}
		h.apply(h.press("111", "➕ Bổ sung "+code))
		if m, _ := h.lastMessage("111"); !strings.Contains(m.Reply.Text, "gõ thông tin bổ sung") {
			var all []string
			for _, q := range h.pending("telegram") {
				if q.Chat == "111" && q.Kind == flows.OutMessage {
					all = append(all, q.Reply.Text)
				}
			}
			return strings.Join(all, "\n")
		}
		h.apply(h.text("111", text))
		m, _ := h.lastMessage("111")
		return m.Reply.Text
	}
	for i := range flows.MaxAdditions {
		if got := add(fmt.Sprintf("Bổ sung lần %d: quạt vẫn chưa được sửa.", i+1)); !strings.Contains(got, "Đã gửi thông tin bổ sung") {
			t.Fatalf("addition %d: %q", i+1, got)
		}
	}
	before := map[uint64]bool{}
	for _, q := range h.pending("telegram") {
		before[q.Seq] = true
	}
	if got := add("Thêm một lần nữa."); !strings.Contains(got, "đã nhận đủ thông tin bổ sung") {
		t.Errorf("addition %d: %q, want a kind refusal", flows.MaxAdditions+1, got)
	}
	var c *flows.Complaint
	h.db.Complaints(func(x *flows.Complaint) error { c = x; return nil })
	if len(c.Added) != flows.MaxAdditions {
		t.Errorf("%d additions stored, want %d", len(c.Added), flows.MaxAdditions)
	}
	for _, q := range h.pending("telegram") {
		if !before[q.Seq] && q.Chat != "111" {
			t.Errorf("the refused addition was sent to %s: %q", q.Chat, q.Reply.Text)
		}
	}
	// Size: a long addition past what is left is refused, saying how much.
	h2 := newHarness(t, Options{})
	id2 := h2.fileComplaint("222")
	code2 := flows.ComplaintCode(id2)
	long := strings.Repeat("Quạt hỏng. ", 180) // 1,980 characters
	h = h2
	for i := 0; i < flows.MaxAddedChars/1980; i++ {
		h.apply(h.text("222", "/phananhcuatoi"))
		h.apply(h.press("222", "➕ Bổ sung "+code2))
		h.apply(h.text("222", long))
	}
	h.apply(h.text("222", "/phananhcuatoi"))
	h.apply(h.press("222", "➕ Bổ sung "+code2))
	h.apply(h.text("222", long))
	if m, _ := h.lastMessage("222"); !strings.Contains(m.Reply.Text, "chỉ còn nhận thêm được") {
		t.Errorf("an addition over the size left: %q", m.Reply.Text)
	}
}

// TestComplaintHistoryAppended: every event of a complaint's history is
// stored once, apart from the record, so the record does not grow with
// its history: the 500th event costs what the first did. A record written
// before (its history inline) still reads — its additions on the card —
// and its history moves out, in order, when it is next saved.
func TestComplaintHistoryAppended(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.fileComplaint("111")
	save := func(c *flows.Complaint) {
		t.Helper()
		if err := h.db.b.Update(func(tx *bbolt.Tx) error {
			w := writer{tx: tx, db: h.db, seal: h.db.seal}
			return w.saveComplaint(c)
		}); err != nil {
			t.Fatal(err)
		}
	}
	load := func() *flows.Complaint {
		var c *flows.Complaint
		h.db.b.View(func(tx *bbolt.Tx) error {
			c, _ = (&writer{tx: tx, db: h.db, seal: h.db.seal}).Complaint(id)
			return nil
		})
		return c
	}
	first := h.recordSize(id)
	for i := range 500 {
		c := load()
		c.History = append(c.History, flows.Event{At: testStart, Actor: "principal:TH1", Action: "reply", Note: fmt.Sprintf("Trả lời số %d: nhà trường đang sửa quạt.", i)})
		save(c)
	}
	if got := h.recordSize(id); got != first {
		t.Errorf("after 500 events the record is %d bytes, was %d: it grows with its history", got, first)
	}
	hist, err := h.db.ComplaintHistory(id)
	if err != nil || len(hist) != 501 || hist[0].Action != "filed" || hist[500].Note != "Trả lời số 499: nhà trường đang sửa quạt." {
		t.Fatalf("history: %d events, %v", len(hist), err)
	}

	// A record of before: its whole history inline, additions among it.
	old := load()
	old.ID = 99
	old.Added = nil
	old.History = []flows.Event{{At: testStart, Actor: "parent", Action: "filed"},
		{At: testStart, Actor: "parent", Action: "info", Note: "Quạt vẫn hỏng."}, {At: testStart, Actor: "principal:TH1", Action: "acked"}}
	raw, _ := json.Marshal(old)
	if err := h.db.b.Update(func(tx *bbolt.Tx) error {
		v, err := h.db.seal.seal(raw)
		if err != nil {
			return err
		}
		return tx.Bucket(bComplaint).Put(u64(99), v)
	}); err != nil {
		t.Fatal(err)
	}
	id = 99
	c := load()
	if len(c.Added) != 1 || c.Added[0].Note != "Quạt vẫn hỏng." {
		t.Errorf("an old record's additions: %+v", c.Added)
	}
	c.History = append(c.History, flows.Event{At: testStart, Actor: "principal:TH1", Action: "resolved"})
	save(c)
	var actions []string
	hist, _ = h.db.ComplaintHistory(99)
	for _, ev := range hist {
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, " ") != "filed info acked resolved" {
		t.Errorf("the old record's history after a save: %v", actions)
	}
	if c := load(); len(c.History) != 0 || len(c.Added) != 1 {
		t.Errorf("after the save the record holds history %v, additions %v", c.History, c.Added)
	}
}
