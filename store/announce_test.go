package store

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// announceHarness serves testEngine's schools with a principal at TH1.
func announceHarness(t *testing.T) *harness {
	t.Helper()
	base := testEngine(t)
	dir := *base.Directory()
	dir.Schools = append([]flows.School(nil), dir.Schools...)
	dir.Schools[1].Principals = []string{"telegram:900"}
	eng, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: &dir,
		ClassSizeCaps: map[flows.Level]int{flows.Primary: 35}, SessionExpiry: 72 * time.Hour, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, Options{Engine: eng})
}

// announcementRows are the queued rows of the announcement, by chat.
func (h *harness) announcementRows() map[string]flows.Queued {
	out := map[string]flows.Queued{}
	for _, q := range h.pending("telegram") {
		if q.Priority == flows.PriorityBroadcast {
			out[q.Chat] = q
		}
	}
	return out
}

// TestAnnouncementSettles: an announcement's rows are counted as they are
// delivered, refused (a row that does not open) or withdrawn (a parent
// says /stop while it waits), and the author is told once, when the last
// is settled; erasing their data removes a parent from the audience.
func TestAnnouncementSettles(t *testing.T) {
	h := announceHarness(t)
	parents := []string{"101", "102", "103", "104", "105"}
	for _, p := range parents {
		h.apply(h.text(p, "/start TH1"))
		h.apply(h.press(p, "✅ Đồng ý"))
	}
	h.apply(h.text("900", "/thongbao"))
	if m, _ := h.lastMessage("900"); !strings.Contains(m.Reply.Text, "hiện có 5 phụ huynh") {
		t.Fatalf("the prompt does not count the audience: %q", m.Reply.Text)
	}
	h.apply(h.text("900", "Họp phụ huynh thứ Bảy lúc 7 giờ 30."))
	h.apply(h.press("900", "✅ Gửi thông báo"))
	rows := h.announcementRows()
	if len(rows) != 5 {
		t.Fatalf("%d announcement rows, want 5", len(rows))
	}
	// 101 says /stop before theirs goes: withdrawn.
	h.apply(h.text("101", "/stop"))
	if ok, _ := h.db.Queued(rows["101"].Seq); ok {
		t.Errorf("the announcement row of a parent who said /stop is still queued")
	}
	// 102's row does not open: set aside, counted as failed.
	err := h.db.b.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bOutbox).Put(u64(rows["102"].Seq), []byte("garbage")) })
	if err != nil {
		t.Fatal(err)
	}
	h.pending("telegram")
	for _, p := range []string{"103", "104"} {
		if err := h.db.Done(rows[p].Seq); err != nil {
			t.Fatal(err)
		}
	}
	if m, _ := h.lastMessage("900"); strings.Contains(m.Reply.Text, "đã gửi xong") {
		t.Fatalf("the author was told before the last row settled: %q", m.Reply.Text)
	}
	if err := h.db.Done(rows["105"].Seq); err != nil {
		t.Fatal(err)
	}
	m, _ := h.lastMessage("900")
	if want := "3/4 phụ huynh đã nhận; 0 đã chặn bot; 1 lỗi; 1 đã dừng nhận tin"; !strings.Contains(m.Reply.Text, want) {
		t.Errorf("report %q, want %q", m.Reply.Text, want)
	}
	// Done again (a sender retrying) changes nothing and tells no one twice.
	if err := h.db.Done(rows["105"].Seq); err != nil {
		t.Fatal(err)
	}
	reports := 0
	for _, q := range h.pending("telegram") {
		if q.Chat == "900" && strings.Contains(q.Reply.Text, "đã gửi xong") {
			reports++
		}
	}
	if reports != 1 {
		t.Errorf("%d reports queued, want 1", reports)
	}
	list, err := h.db.Announcements()
	if err != nil || len(list) != 1 || list[0].Delivered != 3 || list[0].Failed != 1 || list[0].Stopped != 1 || list[0].Queued != 4 {
		t.Errorf("stored: %+v %v", list, err)
	}
	// Erasing: out of the audience.
	h.apply(h.text("103", "/xoadulieu"))
	h.apply(h.press("103", "🗑 Xoá tất cả"))
	h.apply(h.text("900", "/thongbao"))
	if m, _ := h.lastMessage("900"); !strings.Contains(m.Reply.Text, "hiện có 4 phụ huynh") {
		t.Errorf("after an erasure the audience is not 4: %q", m.Reply.Text)
	}
}

// TestDetachedClearsOptions: on a channel without buttons a principal's
// typed number picks from the options they last saw; an alert reaching
// them meanwhile makes it pick nothing, so it cannot act on the wrong
// complaint.
func TestDetachedClearsOptions(t *testing.T) {
	h := announceHarness(t)
	numbered := func(env flows.Envelope) flows.Envelope { env.Input.Numbered = true; return env }
	h.apply(numbered(h.text("900", "/danhsach")))
	s, _ := h.db.Session("telegram", "900")
	if s == nil || len(s.Options) == 0 {
		t.Fatalf("the principal's options were not kept: %+v", s)
	}
	h.apply(h.text("101", "/start TH1"))
	h.apply(h.press("101", "✅ Đồng ý"))
	h.apply(h.text("101", "/phananh"))
	h.apply(h.press("101", "Cơ sở vật chất"))
	h.apply(h.text("101", "Quạt trần lớp 1A bị hỏng, các cháu rất nóng."))
	h.apply(h.press("101", "Không có ảnh, tiếp tục ▶"))
	h.apply(h.text("101", "🕶 Gửi ẩn danh"))
	h.apply(h.press("101", "✅ Gửi phản ánh"))
	if s, _ := h.db.Session("telegram", "900"); s == nil || s.Options != nil {
		t.Errorf("the alert did not clear the principal's options: %+v", s)
	}
}

// TestCompact: compacting a database that held many messages (sent and
// removed since) gives a smaller file holding the same data, and the
// sequences go on where they were; a database in use is refused.
func TestCompact(t *testing.T) {
	h := newHarness(t, Options{})
	for i := range 40 {
		h.survey(strconv.Itoa(500+i), "TH1", "Lớp 2", answers{})
	}
	var seqs []uint64
	for _, q := range h.pending("telegram") {
		seqs = append(seqs, q.Seq)
	}
	if err := h.db.Done(seqs...); err != nil {
		t.Fatal(err)
	}
	want := h.tally()
	if _, _, err := Compact(h.path); !errors.Is(err, ErrLocked) {
		t.Errorf("compacting a database in use: %v, want ErrLocked", err)
	}
	h.db.Close()
	before, after, err := Compact(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if after >= before {
		t.Errorf("compacted %d bytes into %d", before, after)
	}
	db, err := Open(h.path, Options{Engine: testEngine(t), Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	t.Cleanup(func() { db.Close() })
	if got := h.tally(); !reflect.DeepEqual(got, want) {
		t.Errorf("after compacting: %v, want %v", got, want)
	}
	if problems, err := db.Check(); err != nil || len(problems) > 0 {
		t.Errorf("check after compacting: %v %v", problems, err)
	}
	if s, err := db.Session("telegram", "500"); err != nil || s == nil || s.School != "TH1" {
		t.Errorf("a session after compacting: %+v %v", s, err)
	}
	h.apply(h.text("600", "/start"))
	rows := h.pending("telegram")
	if len(rows) == 0 || rows[0].Seq <= seqs[len(seqs)-1] {
		t.Errorf("the outbox sequence started over after compacting: %v after %d", rows, seqs[len(seqs)-1])
	}
}
