package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hailong/flows"
)

// floodEngine is testEngine's directory with a principal at TH1 and the
// office's group chat, which urgent complaints reach.
func floodEngine(tb testing.TB, perDay int) *flows.Engine {
	tb.Helper()
	d := *testEngine(tb).Directory()
	d.Offices = []flows.Office{{ID: "o1", Name: "Phòng GDĐT thử nghiệm", Chat: "telegram:-100"}}
	d.Schools = append([]flows.School(nil), d.Schools...)
	d.Schools[1].Principals = []string{"telegram:900"}
	eng, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: &d,
		ClassSizeCaps: map[flows.Level]int{flows.Preschool: 35, flows.Primary: 35, flows.Lower: 45},
		SessionExpiry: 72 * time.Hour, RetentionMonths: 12, Location: time.UTC, PerParentDaily: perDay})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// urgentComplaint files an urgent complaint of user with photos, as fast
// as the inputs come; it returns the last text the parent was sent.
func (h *harness) urgentComplaint(user string, photos int, text string) string {
	h.tb.Helper()
	h.apply(h.text(user, "/phananh"))
	if !h.hasButton(user, "An toàn, bạo lực học đường, thực phẩm") {
		m, _ := h.lastMessage(user)
		return m.Reply.Text
	}
	h.apply(h.press(user, "An toàn, bạo lực học đường, thực phẩm"))
	h.apply(h.text(user, text))
	for i := range photos {
		env := h.text(user, "")
		env.Input = flows.Input{Kind: flows.KindPhoto, Photo: fmt.Sprintf("photo-%s-%d-%d", user, h.n, i), Now: h.tick()}
		h.apply(env)
	}
	if photos > 0 && photos < flows.MaxPhotos {
		h.apply(h.press(user, fmt.Sprintf("Xong (%d ảnh), tiếp tục ▶", photos)))
	} else if photos == 0 {
		h.apply(h.press(user, "Không có ảnh, tiếp tục ▶"))
	}
	h.apply(h.press(user, "🕶 Gửi ẩn danh"))
	h.apply(h.press(user, "✅ Gửi phản ánh"))
	m, _ := h.lastMessage(user)
	return m.Reply.Text
}

// TestOneParentCannotBuryUrgentAlerts: one parent filing 11 urgent
// complaints with 5 photos each as fast as they can is stopped kindly at the
// day's limit, and their burst reaches the office as one full alert and
// one short message per further complaint; another parent's urgent
// complaint filed next has fewer rows ahead of it in the office's queue
// than the office's group may receive in a minute (20), so it is not
// buried. The day after, the parent may file again.
func TestOneParentCannotBuryUrgentAlerts(t *testing.T) {
	h := newHarness(t, Options{Engine: floodEngine(t, 0)})
	h.survey("111", "TH1", "Lớp 1", nil)
	h.survey("222", "TH1", "Lớp 2", nil)
	start := h.now
	var last string
	for i := range 11 {
		last = h.urgentComplaint("111", 5, fmt.Sprintf("Lần %d: bếp ăn của trường không đảm bảo vệ sinh, các cháu bị đau bụng.", i+1))
	}
	if h.now.Sub(start) > 3*time.Minute { // an input a second, as fast as one types
		t.Fatalf("the burst took %v", h.now.Sub(start))
	}
	if !strings.Contains(last, fmt.Sprintf("Hôm nay anh/chị đã gửi %d phản ánh", flows.DefaultPerParentDaily)) || !strings.Contains(last, "/duongdaynong") {
		t.Errorf("past the day's limit the parent was told:\n%s", last)
	}
	n := 0
	h.db.Complaints(func(*flows.Complaint) error { n++; return nil })
	if n != flows.DefaultPerParentDaily {
		t.Errorf("%d complaints filed, want the day's limit %d", n, flows.DefaultPerParentDaily)
	}
	h.urgentComplaint("222", 1, "Có người lạ vào trường đánh học sinh lớp 2B, cần xử lý ngay.")
	var code string
	h.db.Complaints(func(c *flows.Complaint) error { code = c.Code(); return nil })
	ahead, found := 0, false
	for _, q := range h.pending("telegram") {
		if q.Chat != "-100" || q.Kind != flows.OutMessage {
			continue
		}
		if strings.Contains(q.Reply.Text, code) && strings.Contains(q.Reply.Text, "Phản ánh mới") {
			found = true
			break
		}
		ahead++
	}
	if !found {
		t.Fatal("the second parent's urgent complaint did not reach the office's queue")
	}
	if ahead >= 20 {
		t.Errorf("%d rows wait ahead of another parent's urgent alert in the office's queue: more than the group receives in a minute", ahead)
	}
	if want := 1 + 5 + (flows.DefaultPerParentDaily - 1); ahead != want {
		t.Errorf("%d rows ahead in the office's queue, want %d: one full alert with its photos, then one short message each", ahead, want)
	}
	// The next day the limit starts again.
	h.now = h.now.Add(24 * time.Hour)
	if got := h.urgentComplaint("111", 0, "Hôm nay bếp ăn vẫn chưa được dọn dẹp sạch sẽ, mong nhà trường xem lại."); !strings.Contains(got, "Đã gửi phản ánh") {
		t.Errorf("the next day: %q", got)
	}
}

// TestFoldedComplaintOpensWithPhotos: staff opening a complaint whose
// alert was folded get its card and its photos; a complaint filed with a
// phone number right after an anonymous one is not folded (a short alert
// would hint whose the anonymous one is).
func TestFoldedComplaintOpensWithPhotos(t *testing.T) {
	h := newHarness(t, Options{Engine: floodEngine(t, 3)})
	h.survey("111", "TH1", "Lớp 1", nil)
	h.urgentComplaint("111", 1, "Lần 1: bếp ăn của trường không đảm bảo vệ sinh, các cháu bị đau bụng.")
	h.urgentComplaint("111", 2, "Lần 2: bếp ăn của trường không đảm bảo vệ sinh, các cháu bị đau bụng.")
	var second *flows.Complaint
	h.db.Complaints(func(c *flows.Complaint) error { second = c; return nil })
	if !second.Folded {
		t.Fatal("the second complaint of the burst was not folded")
	}
	h.apply(h.press("900", "📄 Phản ánh "+second.Code()))
	var card, photos int
	for _, q := range h.pending("telegram") {
		if q.Chat == "900" && strings.Contains(q.Reply.Text, "📄 Phản ánh "+second.Code()) {
			card++
		}
		if q.Chat == "900" && q.Reply.Photo != "" && strings.HasPrefix(q.Reply.Text, second.Code()) {
			photos++
		}
	}
	// The first alert's photos were sent with it; the folded one's come
	// with the card.
	if card != 1 || photos != 2 {
		for _, q := range h.pending("telegram") {
			if q.Chat == "900" {
				t.Logf("%q %q", q.Reply.Text, q.Reply.Photo)
			}
		}
	}
	if card != 1 || photos != 2 {
		t.Errorf("opening %s gave %d cards and %d of its photos, want 1 and 2", second.Code(), card, photos)
	}
}

// BenchmarkUrgentBurst: one parent files 11 urgent complaints with 5
// photos each as fast as they can type, then another parent files one
// urgent complaint. Reported: the rows the burst queued for the office's
// group, those waiting ahead of the other parent's alert (the group
// receives 20 a minute), and the time per input applied.
func BenchmarkUrgentBurst(b *testing.B) {
	h := newHarness(b, Options{Engine: floodEngine(b, 0)})
	var office, ahead, inputs int
	for i := range b.N {
		b.StopTimer()
		var seqs []uint64
		for _, q := range h.pending("telegram") {
			seqs = append(seqs, q.Seq)
		}
		if err := h.db.Done(seqs...); err != nil {
			b.Fatal(err)
		}
		flooder, other := fmt.Sprintf("f%d", i), fmt.Sprintf("o%d", i)
		h.survey(flooder, "TH1", "Lớp 1", nil)
		h.survey(other, "TH1", "Lớp 2", nil)
		n0 := h.n
		b.StartTimer()
		for j := range 11 {
			h.urgentComplaint(flooder, 5, fmt.Sprintf("Lần %d: bếp ăn của trường không đảm bảo vệ sinh, các cháu bị đau bụng.", j+1))
		}
		b.StopTimer()
		for _, q := range h.pending("telegram") {
			if q.Chat == "-100" && q.Kind == flows.OutMessage {
				office++
			}
		}
		b.StartTimer()
		h.urgentComplaint(other, 1, "Có người lạ vào trường đánh học sinh lớp 2B, cần xử lý ngay.")
		b.StopTimer()
		inputs += h.n - n0
		var code string
		h.db.Complaints(func(c *flows.Complaint) error { code = c.Code(); return nil })
		for _, q := range h.pending("telegram") {
			if q.Chat != "-100" || q.Kind != flows.OutMessage {
				continue
			}
			if strings.Contains(q.Reply.Text, code) {
				break
			}
			ahead++
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(office)/float64(b.N), "office-rows/burst")
	b.ReportMetric(float64(ahead)/float64(b.N), "rows-ahead")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(inputs), "ns/input")
}
