package store

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// TestEraseAdjustsAggregatesExactly: /xoadulieu removes the parent's
// responses with their counts, their session, and their identity from
// their complaints, while another parent's data and the ticket stay.
func TestEraseAdjustsAggregatesExactly(t *testing.T) {
	h := newHarness(t, Options{})
	h.survey("111", "TH1", "Lớp 1", answers{"A1": "Không", "B6": "5 · Rất hài lòng"})
	h.survey("222", "TH1", "Lớp 1", answers{"A1": "Có"})
	before := h.tally()
	audience := func() int {
		var n int
		h.db.b.View(func(tx *bbolt.Tx) error { n = (&writer{tx: tx, db: h.db}).Audience([]string{"TH1"}); return nil })
		return n
	}
	if n := audience(); n != 2 {
		t.Errorf("TH1's audience is %d parents, want 2", n)
	}
	if before.Respondents["TH1"] != 2 {
		t.Fatalf("respondents %v", before.Respondents)
	}
	// 111 files a complaint with a phone number.
	h.apply(h.text("111", "/phananh"))
	h.apply(h.press("111", "Cơ sở vật chất"))
	h.apply(h.text("111", "Quạt trần lớp 1A bị hỏng, các cháu rất nóng."))
	h.apply(h.press("111", "Không có ảnh, tiếp tục ▶"))
	env := h.text("111", "")
	env.Input = flows.Input{Kind: flows.KindContact, Phone: "0901234567", ContactUser: "111", Now: h.tick()}
	h.apply(env)
	h.apply(h.press("111", "✅ Gửi phản ánh"))

	h.apply(h.text("111", "/xoadulieu"))
	h.apply(h.press("111", "🗑 Xoá tất cả"))
	after := h.tally()
	if after.Respondents["TH1"] != 1 || after.Counts["TH1"]["A1"]["no"] != 0 || after.Counts["TH1"]["A1"]["yes"] != 1 || after.Counts["TH1"]["B6"]["5"] != 0 {
		t.Errorf("after erasing 111: %v %v", after.Respondents, after.Counts["TH1"]["A1"])
	}
	if len(h.responses()) != 1 {
		t.Errorf("%d responses left, want 222's", len(h.responses()))
	}
	if n := audience(); n != 1 {
		t.Errorf("after erasing 111, TH1's audience is %d parents, want 222 alone", n)
	}
	if s, _ := h.db.Session("telegram", "111"); s != nil {
		t.Errorf("111's session survived: %+v", s)
	}
	var complaints []*flows.Complaint
	h.db.Complaints(func(c *flows.Complaint) error { complaints = append(complaints, c); return nil })
	if len(complaints) != 1 {
		t.Fatalf("complaints: %d", len(complaints))
	}
	c := complaints[0]
	if c.Phone != "" || c.Reporter != (flows.Address{}) || c.ReporterKey != (flows.Key{}) || c.Text == "" {
		t.Errorf("the complaint kept the parent's identity or lost its record: %+v", c)
	}
	if problems, err := h.db.Check(); err != nil || len(problems) > 0 {
		t.Errorf("check after erasing: %v %v", problems, err)
	}
	// The erased parent starts over from the consent screen.
	h.apply(h.text("111", "/start"))
	if m, _ := h.lastMessage("111"); !strings.Contains(m.Reply.Text, "đồng ý") {
		t.Errorf("after erasing, /start gives %q", m.Reply.Text)
	}
}

// TestPurgeKeepsAggregates: responses past the retention period are
// deleted; the aggregates stay, and still equal a recount.
func TestPurgeKeepsAggregates(t *testing.T) {
	h := newHarness(t, Options{})
	h.survey("111", "TH1", "Lớp 1", answers{})
	h.now = h.now.Add(48 * time.Hour)
	h.survey("222", "TH1", "Lớp 1", answers{"A1": "Không"})
	cutoff := testStart.Add(24 * time.Hour) // 111 answered before, 222 after
	n, err := h.db.Purge(cutoff)
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if r := h.responses(); len(r) != 1 || r[0].Answers["A1"] != "no" {
		t.Errorf("responses left: %+v", r)
	}
	agg := h.tally() // fails if the aggregates and the recount differ
	if agg.Respondents["TH1"] != 2 || agg.Counts["TH1"]["A1"]["yes"] != 1 {
		t.Errorf("aggregates changed by the purge: %v %v", agg.Respondents, agg.Counts["TH1"]["A1"])
	}
	if n, _ := h.db.Purge(cutoff); n != 0 {
		t.Errorf("a second purge deleted %d", n)
	}
}

// TestOptOutKeepsOnlyAnswers: after /stop a parent gets answers to their
// own messages but no alerts, relays or digests.
func TestOptOutKeepsOnlyAnswers(t *testing.T) {
	h := newHarness(t, Options{})
	h.apply(h.text("111", "/start TH1"))
	h.apply(h.press("111", "✅ Đồng ý"))
	h.apply(h.text("111", "/stop"))
	h.apply(h.text("111", "xin chào"))
	m, _ := h.lastMessage("111")
	if !strings.Contains(m.Reply.Text, "/start") {
		t.Errorf("an opted-out parent's message got %q", m.Reply.Text)
	}
	// A relay (an alert-priority message) to them is not queued.
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		return w.enqueue([]flows.Outgoing{{Kind: flows.OutMessage, Channel: "telegram", Chat: "111", Priority: flows.PriorityAlert,
			Reply: flows.Reply{Text: "📩 Nhà trường trả lời"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range h.pending("telegram") {
		if q.Chat == "111" && strings.Contains(q.Reply.Text, "Nhà trường trả lời") {
			t.Errorf("a relay was queued for an opted-out parent")
		}
	}
	h.apply(h.text("111", "/start"))
	welcomed := false
	for _, q := range h.pending("telegram") {
		welcomed = welcomed || (q.Chat == "111" && strings.Contains(q.Reply.Text, "trở lại"))
	}
	if !welcomed {
		t.Errorf("/start after /stop did not lift it")
	}
}

// TestPurgeWhatRetentionEnds: past the retention period a parent idle since
// leaves nothing behind — session, place in the audience, dead letters —
// and a response that does not decode is left for `hailong check` without
// stopping the rest of the purge.
func TestPurgeWhatRetentionEnds(t *testing.T) {
	h := newHarness(t, Options{})
	h.survey("111", "TH1", "Lớp 1", answers{})
	h.survey("333", "TH1", "Lớp 1", answers{})
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		if err := w.dead(flows.Dead{Channel: "telegram", Raw: `{"message":{"contact":{"phone_number":"0901234567"}}}`, Reason: "test", At: h.now}); err != nil {
			return err
		}
		// A response damaged on disk, in an old wave's range.
		return tx.Bucket(bResponses).Put(responseKey("w0", "TH1", flows.Key{9}), []byte{responseV2, 0xff})
	})
	if err != nil {
		t.Fatal(err)
	}
	h.now = h.now.Add(48 * time.Hour)
	h.survey("222", "TH1", "Lớp 1", answers{})
	count := func(bucket []byte) (n int) {
		h.db.b.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bucket).Stats().KeyN; return nil })
		return n
	}
	if count(bAudience) != 3 || count(bDead) != 1 {
		t.Fatalf("before: audience %d, dead letters %d", count(bAudience), count(bDead))
	}
	n, err := h.db.Purge(testStart.Add(24 * time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2 (the damaged one left)", n, err)
	}
	if count(bSessions) != 1 || count(bAudience) != 1 || count(bDead) != 0 || count(bResponses) != 2 {
		t.Errorf("after: sessions %d, audience %d, dead letters %d, responses %d; want 1, 1, 0, 2 (222's and the damaged one)",
			count(bSessions), count(bAudience), count(bDead), count(bResponses))
	}
}

// TestCommentsSealed: a parent's free-text comment is not in the clear in
// the database file — it may name them or a teacher — and reads back for
// the export, /dulieu and a replacing answer alike.
func TestCommentsSealed(t *testing.T) {
	h := newHarness(t, Options{})
	const comment = "Cô Hạnh lớp 1A rất tận tâm, cháu Minh Anh tiến bộ nhiều"
	h.survey("111", "TH1", "Lớp 1", answers{"C": comment})
	h.db.b.Sync()
	raw, err := os.ReadFile(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Minh Anh")) {
		t.Error("the comment is in the clear in the database file")
	}
	rs := h.responses()
	if len(rs) != 1 || rs[0].Answers["C"] != comment || rs[0].Buckets["C"] != flows.TextGiven {
		t.Fatalf("read back: %+v", rs)
	}
	h.survey("111", "TH1", "Lớp 1", answers{"C": "Cảm ơn nhà trường"}) // replaces: the counts move by the difference
	if rs := h.responses(); len(rs) != 1 || rs[0].Answers["C"] != "Cảm ơn nhà trường" {
		t.Fatalf("after the second answer: %+v", rs)
	}
	h.tally() // fails if the aggregates and a recount differ
}

// TestForgetPre: what a user chose before consenting (a QR code's school, a
// language) is dropped a week later if no consent came; an entry of before
// its time was kept goes too.
func TestForgetPre(t *testing.T) {
	h := newHarness(t, Options{})
	fresh, old, legacy := flows.Key{1}, flows.Key{2}, flows.Key{3}
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db, seal: h.db.seal}
		if err := w.putPre(fresh, flows.PreConsent{School: "TH1", Lang: flows.English}, h.now.Add(-time.Hour)); err != nil {
			return err
		}
		if err := w.putPre(old, flows.PreConsent{School: "TH1"}, h.now.Add(-8*24*time.Hour)); err != nil {
			return err
		}
		return tx.Bucket(bPre).Put(legacy[:], []byte("\x00TH1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := h.db.ForgetPre(h.now); err != nil || n != 2 {
		t.Fatalf("ForgetPre = %d, %v; want 2", n, err)
	}
	h.db.b.View(func(tx *bbolt.Tx) error {
		w := writer{tx: tx, db: h.db}
		if p := w.Pre(fresh); p.School != "TH1" || p.Lang != flows.English {
			t.Errorf("the fresh choice reads %+v", p)
		}
		if p := w.Pre(old); p != (flows.PreConsent{}) {
			t.Errorf("the old choice is kept: %+v", p)
		}
		return nil
	})
}

// TestRightsUseRespondentIndex: /dulieu and /xoadulieu find a parent's
// responses through responses_by_key (one seek) rather than by scanning
// every stored response inside the write transaction; the index is kept
// by answers, erasure and the purge, built once for a database of before
// it, and held to the responses by hailong check.
func TestRightsUseRespondentIndex(t *testing.T) {
	h := newHarness(t, Options{})
	h.survey("111", "TH1", "Lớp 1", answers{"A1": "Không"})
	h.survey("222", "TH1", "Lớp 1", nil)
	h.survey("222", "TH1", "Lớp 1", nil) // replaced: still one entry
	if n := h.bucketLen(bByKey); n != 2 {
		t.Fatalf("responses_by_key holds %d entries, want 2", n)
	}
	dulieu := func(user string) string {
		h.apply(h.text(user, "/dulieu"))
		m, _ := h.lastMessage(user)
		return m.Reply.Text
	}
	if txt := dulieu("111"); !strings.Contains(txt, "Câu trả lời đợt «Học kì I»") || !strings.Contains(txt, "kiên cố (tường gạch, mái chắc chắn) không?\n    → Không") {
		t.Errorf("/dulieu of 111:\n%s", txt)
	}
	// Read through the index: without 111's entry, /dulieu finds nothing
	// (and check names the gap).
	key := h.db.keys.Key("telegram", "111")
	var entry []byte
	h.db.b.Update(func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bByKey).Cursor().Seek(key[:])
		entry = append([]byte(nil), k...)
		return tx.Bucket(bByKey).Delete(k)
	})
	if txt := dulieu("111"); !strings.Contains(txt, "Chưa có câu trả lời") {
		t.Errorf("/dulieu did not read the index:\n%s", txt)
	}
	if problems, _ := h.db.Check(); len(problems) != 1 || !strings.Contains(problems[0], "missing from the respondents' index") {
		t.Errorf("check of an index missing an entry: %v", problems)
	}
	// A database of before the index: built at open, once.
	h.db.b.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bMeta).Delete([]byte(responsesIndexed)) })
	eng := h.db.eng
	h.db.Close()
	var err error
	if h.db, err = Open(h.path, Options{Engine: eng, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()}); err != nil {
		t.Fatal(err)
	}
	if n := h.bucketLen(bByKey); n != 2 {
		t.Fatalf("after the rebuild responses_by_key holds %d entries, want 2", n)
	}
	if txt := dulieu("111"); !strings.Contains(txt, "kiên cố (tường gạch, mái chắc chắn) không?\n    → Không") {
		t.Errorf("/dulieu after the rebuild:\n%s", txt)
	}
	h.apply(h.text("111", "/xoadulieu"))
	h.apply(h.press("111", "🗑 Xoá tất cả"))
	h.db.b.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bByKey).Get(entry) != nil {
			t.Error("the erased parent's index entry survived")
		}
		return nil
	})
	if n := h.bucketLen(bByKey); n != 1 {
		t.Errorf("after erasing 111 responses_by_key holds %d entries, want 222's", n)
	}
	if problems, err := h.db.Check(); err != nil || len(problems) > 0 {
		t.Errorf("check: %v %v", problems, err)
	}
}
