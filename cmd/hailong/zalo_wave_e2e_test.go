package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"hailong/zalo/zalotest"
)

// TestZaloOnlyOfficeWave: an office on Zalo alone — no Telegram token, no
// group (Zalo marks groups "coming soon"), its two staff members and the
// principal reached one by one — runs a whole wave on the webhook, in the
// documented shapes: parents answer the survey and one files an urgent
// complaint, which reaches the principal and both staff; the principal
// takes it up by typing its code and a number; the Monday digest missed
// while the bot was down reaches each staff member and the principal once;
// a staff member's announcement reaches every parent once. From the digest
// on the fake enforces the sending limits the bot keeps to (the default
// zalo.limits, a guess), and none is exceeded.
func TestZaloOnlyOfficeWave(t *testing.T) {
	h := newZaloHarness(t, "webhook")
	h.noTelegram = true
	staffA := zalotest.User{ID: "5a00000000000001", DisplayName: "Chuyên viên A"}
	staffB := zalotest.User{ID: "5a00000000000002", DisplayName: "Chuyên viên B"}
	principal := zalotest.User{ID: "5a000000000000aa", DisplayName: "Hiệu trưởng TH Trưng Vương"}
	h.zaloConfig = strings.Replace(h.zaloConfig, fmt.Sprintf(`chat_id: "%d"`, officeChat),
		fmt.Sprintf(`staff: ["zalo:%s", "zalo:%s"]`, staffA.ID, staffB.ID), 1)
	h.zaloConfig = strings.Replace(h.zaloConfig, fmt.Sprintf(`principals: ["%d"]}`, principalTV.ID),
		fmt.Sprintf(`principals: ["zalo:%s"]}`, principal.ID), 1)
	h.clock.t = time.Date(2026, 11, 19, 10, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh")) // a Thursday
	h.start()
	// Zalo lets a bot write only to who wrote to it first: each recipient
	// opens the chat (THCS-TD's principal, on Zalo too, as well).
	for _, u := range []zalotest.User{staffA, staffB, principal, zaloPrincipal} {
		h.say(u, "/start", "phản ánh")
	}
	parents := make([]zalotest.User, 5)
	for i := range parents {
		parents[i] = zalotest.User{ID: fmt.Sprintf("9e0000000000000%d", i), DisplayName: "Phụ huynh"}
		h.zaloSurvey(parents[i])
	}

	// A reaction gets no answer at all; a link is text, and answered.
	before := len(h.z.Messages(parents[1].ID))
	h.z.Reaction(parents[1])
	h.z.Link(parents[1], "https://thtv.edu.vn/thong-bao/hop-phu-huynh")
	h.z.Wait(10*time.Second, func() bool { return len(h.z.Messages(parents[1].ID)) > before })
	time.Sleep(200 * time.Millisecond) // a reply to the reaction would be here by now
	if n := len(h.z.Messages(parents[1].ID)) - before; n != 1 {
		t.Errorf("a reaction and a link got %d replies, want 1 (the link's)", n)
	}

	// An urgent complaint: the principal and both staff are alerted, each
	// in their own chat, with the line saying what to type.
	p := parents[0]
	code := h.zaloComplaint(p, "An toàn", "Cổng sau của trường bị hỏng khoá, học sinh tự ra đường lớn lúc tan học.",
		"https://photo-stal.zadn.vn/cong-sau.jpg")
	for _, u := range []zalotest.User{staffA, staffB, principal} {
		h.zfind(u, "Gõ "+code)
		if m := h.zfind(u, code+" · ảnh 1/1"); m.Kind != "photo" || m.PhotoURL != "https://photo-stal.zadn.vn/cong-sau.jpg" {
			t.Errorf("%s got the complaint's photo as %+v", u.DisplayName, m)
		}
	}
	h.z.Text(principal, code)
	card := h.zfind(principal, "✅ Tiếp nhận")
	h.say(principal, number(t, card, "✅ Tiếp nhận"), "")
	h.zexpect(p, "đã tiếp nhận")
	h.stop()

	// Down over Monday 23 November 07:00; back on Tuesday, now at the
	// sending limits the bot keeps to by default, which the fake enforces.
	h.zaloConfig = regexp.MustCompile(`(?m)^  limits: \{[^}]*\}\n`).ReplaceAllString(h.zaloConfig, "")
	h.z.EnforceLimits(zalotest.Limits{PerChat: 1, PerChatBurst: 3, Global: 20})
	h.clock.t = time.Date(2026, 11, 24, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh"))
	h.start()
	week := "📊 Báo cáo tuần 16/11/2026 – 22/11/2026"
	digests := func(u zalotest.User) int {
		n := 0
		for _, msg := range h.z.Messages(u.ID) {
			if strings.HasPrefix(msg.Text, week) {
				n++
			}
		}
		return n
	}
	if !h.z.Wait(20*time.Second, func() bool { return digests(staffA) == 1 && digests(staffB) == 1 && digests(principal) == 1 }) {
		t.Fatalf("the missed digest: staff A %d, staff B %d, principal %d; log:\n%s", digests(staffA), digests(staffB), digests(principal), h.stderr.String())
	}

	// A staff member announces to the office's parents.
	h.say(staffA, "/thongbao", "hiện có")
	m := h.say(staffA, "Thứ Bảy 28/11 các trường họp cha mẹ học sinh lúc 7 giờ 30.", "sẽ gửi đến")
	h.say(staffA, number(t, m, "✅ Gửi thông báo"), "Đang gửi thông báo")
	if !h.z.Wait(30*time.Second, func() bool {
		last, ok := h.z.Last(staffA.ID)
		return ok && strings.Contains(last.Text, "đã gửi xong")
	}) {
		t.Fatalf("staff A was never told the announcement went; log:\n%s", h.stderr.String())
	}
	time.Sleep(300 * time.Millisecond) // nothing more must follow
	h.stop()
	if last, _ := h.z.Last(staffA.ID); !strings.Contains(last.Text, "5/5 phụ huynh đã nhận") {
		t.Errorf("the announcement's report: %q", last.Text)
	}
	for i, u := range parents {
		n := 0
		for _, msg := range h.z.Messages(u.ID) {
			if strings.Contains(msg.Text, "Thông báo từ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("parent %d got the announcement %d times, want once", i, n)
		}
	}
	for _, u := range []zalotest.User{staffA, staffB, principal} {
		if n := digests(u); n != 1 {
			t.Errorf("%s got the digest %d times, want once", u.DisplayName, n)
		}
	}
	if v := h.z.Violations(); len(v) > 0 {
		t.Errorf("%d sends over the limits, the first: %+v", len(v), v[0])
	}
	for _, d := range h.z.Deliveries() {
		if !strings.HasPrefix(d.Body, `{"ok":true,"result":{"event_name":`) {
			t.Fatalf("a delivery not in the documented envelope: %s", d.Body)
		}
	}
	for _, c := range h.srv.Calls() {
		if c.Method != "" {
			t.Fatalf("the bot called Telegram (%s) without a Telegram token", c.Method)
		}
	}
	for _, u := range append(parents, staffA, staffB, principal) {
		for _, msg := range h.z.Messages(u.ID) {
			if n := len(utf16.Encode([]rune(msg.Text))); n > 2000 {
				t.Errorf("a message of %d UTF-16 units to %s", n, u.DisplayName)
			}
		}
	}
	db := h.openDB()
	agg := checkAggregates(t, db, "w1")
	if agg.Respondents["TH-TV"] != len(parents) {
		t.Errorf("respondents at TH-TV: %v", agg.Respondents)
	}
	if dead, _ := db.DeadLetters(); len(dead) != 0 {
		t.Errorf("dead letters: %+v", dead)
	}
}

// zfind waits for a message to u containing want, and returns the latest.
func (h *zaloHarness) zfind(u zalotest.User, want string) zalotest.Message {
	h.t.Helper()
	var found zalotest.Message
	if !h.z.Wait(10*time.Second, func() bool {
		msgs := h.z.Messages(u.ID)
		for i := len(msgs) - 1; i >= 0; i-- {
			if strings.Contains(msgs[i].Text, want) {
				found = msgs[i]
				return true
			}
		}
		return false
	}) {
		h.t.Fatalf("no message to %s contains %q; log:\n%s", u.DisplayName, want, h.stderr.String())
	}
	return found
}

// TestZaloAnnouncementAtPace: a Zalo principal's announcement to 200 Zalo
// parents goes out at the bot's default zalo.limits (20 messages/s, 1/s
// per chat: a guess, Zalo publishes none) with the fake enforcing the same:
// none refused, each parent once, and a parent writing meanwhile answered
// before the burst is through.
func TestZaloAnnouncementAtPace(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 200 messages at 20/s")
	}
	const parents = 200
	h := newZaloHarness(t, "webhook")
	h.noTelegram = true
	principal := zalotest.User{ID: "5a000000000000aa", DisplayName: "Hiệu trưởng TH Trưng Vương"}
	h.zaloConfig = strings.Replace(h.zaloConfig, fmt.Sprintf(`principals: ["%d"]}`, principalTV.ID),
		fmt.Sprintf(`principals: ["zalo:%s"]}`, principal.ID), 1)
	h.start()
	h.say(principal, "/start", "phản ánh")
	user := func(i int) zalotest.User { return zalotest.User{ID: fmt.Sprintf("9d%014d", i), DisplayName: "PH"} }
	for i := range parents {
		h.z.Text(user(i), "TRUONG TH-TV")
	}
	for i := range parents {
		h.zexpect(user(i), "Anh/chị có đồng ý")
		h.z.Text(user(i), "1")
	}
	for i := range parents {
		h.zexpect(user(i), "học lớp nào")
	}
	other := zalotest.User{ID: "9c00000000000001", DisplayName: "PH khác"}
	h.say(other, "TRUONG THCS-TD", "Anh/chị có đồng ý")
	h.stop()

	h.zaloConfig = regexp.MustCompile(`(?m)^  limits: \{[^}]*\}\n`).ReplaceAllString(h.zaloConfig, "")
	h.z.EnforceLimits(zalotest.Limits{PerChat: 1, PerChatBurst: 3, Global: 20})
	h.start()
	h.say(principal, "/thongbao", fmt.Sprintf("hiện có %d phụ huynh", parents))
	m := h.say(principal, "Thứ Bảy 28/11 trường họp cha mẹ học sinh lúc 7 giờ 30.", "sẽ gửi đến")
	h.say(principal, number(t, m, "✅ Gửi thông báo"), "Đang gửi thông báo")
	started := time.Now()
	got := func(u zalotest.User) bool {
		for _, msg := range h.z.Messages(u.ID) {
			if strings.Contains(msg.Text, "Thông báo từ") {
				return true
			}
		}
		return false
	}
	if !h.z.Wait(30*time.Second, func() bool { return got(user(20)) }) {
		t.Fatal("the announcement did not start going out")
	}
	asked := time.Now()
	h.say(other, "/help", "Em là trợ lý khảo sát")
	answeredIn := time.Since(asked)
	pending := 0
	for i := range parents {
		if !got(user(i)) {
			pending++
		}
	}
	if !h.z.Wait(60*time.Second, func() bool {
		last, ok := h.z.Last(principal.ID)
		return ok && strings.Contains(last.Text, "đã gửi xong")
	}) {
		t.Fatalf("the principal was never told the result; log:\n%s", h.stderr.String())
	}
	took := time.Since(started)
	h.stop()
	if last, _ := h.z.Last(principal.ID); !strings.Contains(last.Text, fmt.Sprintf("%d/%d phụ huynh đã nhận", parents, parents)) {
		t.Errorf("report %q", last.Text)
	}
	if pending == 0 {
		t.Errorf("the /help answer came only after the whole burst")
	}
	for i := range parents {
		n := 0
		for _, msg := range h.z.Messages(user(i).ID) {
			if strings.Contains(msg.Text, "Thông báo từ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("parent %d got the announcement %d times", i, n)
		}
	}
	if v := h.z.Violations(); len(v) > 0 {
		t.Errorf("%d sends over the limits, the first: %+v", len(v), v[0])
	}
	t.Logf("%d announcements on Zalo in %v (%.1f msg/s); a parent's /help answered in %v with %d still to go",
		parents, took.Round(time.Millisecond), float64(parents)/took.Seconds(), answeredIn.Round(time.Millisecond), pending)
}
