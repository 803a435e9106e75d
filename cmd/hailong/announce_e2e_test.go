package main

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/bot/telegramtest"
)

// TestAnnouncementToParents: a principal announces to the 500 parents of
// their school, with Telegram's limits enforced by the fake and the bot at
// its default limits. Parents who said /stop are skipped, chats that
// blocked the bot and a chat Telegram refuses are counted, a parent who
// writes meanwhile is answered before the burst is through, nobody gets it
// twice, the other school's parents get nothing, and the principal is told
// the right counts.
func TestAnnouncementToParents(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 500 messages at Telegram's pace: about 20 s")
	}
	const parents, stopped, blockedN, failedN = 500, 20, 7, 3
	h := newHarness(t)
	h.start()
	h.meet()
	user := func(i int) telegramtest.User { return telegramtest.User{ID: int64(6700000 + i), FirstName: "PH"} }
	other := telegramtest.User{ID: 6799999, FirstName: "PH khác"}
	h.begin(other, "THCS-TD", "Lớp 7")
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range parents {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			u := user(i)
			h.srv.SendText(u, "/start TH-TV")
			waitText(h, u, "Anh/chị có đồng ý")
			pressAsync(h, u, "✅ Đồng ý")
			waitText(h, u, "học lớp nào")
			if i < stopped {
				h.srv.SendText(u, "/stop")
				waitText(h, u, "dừng gửi tin")
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	h.stop()

	// Telegram's real limits from here on, at the bot's default limits.
	h.telegramLimits()
	blockedChats, failedChats := map[string]bool{}, map[string]bool{}
	for i := stopped; i < stopped+blockedN; i++ {
		blockedChats[strconv.FormatInt(user(i).ID, 10)] = true
	}
	for i := stopped + blockedN; i < stopped+blockedN+failedN; i++ {
		failedChats[strconv.FormatInt(user(i).ID, 10)] = true
	}
	h.srv.Inject(func(method string, p map[string]string) *telegramtest.Fault {
		if method != "sendMessage" {
			return nil
		}
		switch {
		case blockedChats[p["chat_id"]]:
			return &telegramtest.Fault{Status: 403}
		case failedChats[p["chat_id"]]:
			return &telegramtest.Fault{Status: 400, Description: "Bad Request: chat not found"}
		}
		return nil
	})
	h.start()

	h.srv.SendText(principalTV, "/thongbao")
	h.expect(principalTV, "hiện có 500 phụ huynh")
	h.srv.SendText(principalTV, "Thứ Bảy 28/11 trường họp cha mẹ học sinh lúc 7 giờ 30.")
	h.expect(principalTV, "sẽ gửi đến 500 phụ huynh")
	h.press(principalTV, "✅ Gửi thông báo")
	h.expect(principalTV, "Đang gửi thông báo")
	started := time.Now()

	// A parent who writes once the burst is under way is answered before
	// the rest of it (the fake numbers messages across all chats in the
	// order they are sent).
	if !h.srv.Wait(30*time.Second, func() bool { return delivered(h, user(stopped+blockedN+failedN+20)) }) {
		t.Fatal("the announcement did not start going out")
	}
	asked := time.Now()
	h.srv.SendText(other, "/help")
	help := h.expect(other, "Em là trợ lý khảo sát")
	answeredIn := time.Since(asked)

	report := "đã gửi xong"
	if !h.srv.Wait(90*time.Second, func() bool {
		m, ok := h.srv.Last(principalTV.ID)
		return ok && strings.Contains(m.Text, report)
	}) {
		t.Fatalf("the principal was never told the result; log:\n%s", h.stderr.String())
	}
	took := time.Since(started)
	h.stop()

	lastAnn := 0
	for i := range parents {
		for _, msg := range h.srv.Messages(user(i).ID) {
			if strings.Contains(msg.Text, "Thông báo từ") {
				lastAnn = max(lastAnn, msg.ID)
			}
		}
	}
	if help.ID > lastAnn {
		t.Errorf("the /help answer is message %d, after the whole burst (last %d): it waited behind the announcement", help.ID, lastAnn)
	}
	m, _ := h.srv.Last(principalTV.ID)
	sent := parents - stopped
	wantText := strconv.Itoa(sent-blockedN-failedN) + "/" + strconv.Itoa(sent) + " phụ huynh đã nhận; " +
		strconv.Itoa(blockedN) + " đã chặn bot; " + strconv.Itoa(failedN) + " lỗi; " + strconv.Itoa(stopped) + " đã dừng nhận tin"
	if !strings.Contains(m.Text, wantText) {
		t.Errorf("report %q, want it to say %q", m.Text, wantText)
	}
	for i := range parents {
		u := user(i)
		n := 0
		for _, msg := range h.srv.Messages(u.ID) {
			if strings.Contains(msg.Text, "Thông báo từ Trường Tiểu học Trưng Vương") {
				n++
			}
		}
		id := strconv.FormatInt(u.ID, 10)
		switch {
		case i < stopped || blockedChats[id] || failedChats[id]:
			if n != 0 {
				t.Errorf("parent %d (stopped, blocked or refused) shows %d announcements", i, n)
			}
		case n != 1:
			t.Errorf("parent %d got the announcement %d times, want once", i, n)
		}
	}
	for _, msg := range h.srv.Messages(other.ID) {
		if strings.Contains(msg.Text, "Thông báo") {
			t.Errorf("a parent of another school got %q", msg.Text)
		}
	}
	if v := h.srv.Violations(); len(v) > 0 {
		t.Errorf("%d calls exceeded Telegram's limits, the first: %+v", len(v), v[0])
	}
	db := h.openDB()
	list, err := db.Announcements()
	if err != nil || len(list) != 1 {
		t.Fatalf("announcements stored: %v, %v", list, err)
	}
	a := list[0]
	if a.Queued != sent || a.Delivered != sent-blockedN-failedN || a.Blocked != blockedN || a.Failed != failedN ||
		a.Stopped != stopped || a.Finished.IsZero() {
		t.Errorf("stored counts %+v", a)
	}
	dead, _ := db.DeadLetters()
	if len(dead) != failedN {
		t.Errorf("%d dead letters, want the %d refused rows", len(dead), failedN)
	}
	t.Logf("%d announcements in %v (%.1f msg/s); a parent's /help answered in %v during the burst",
		sent-blockedN-failedN, took.Round(time.Millisecond), float64(sent)/took.Seconds(), answeredIn.Round(time.Millisecond))
}

// delivered reports whether u has received the announcement.
func delivered(h *harness, u telegramtest.User) bool {
	for _, m := range h.srv.Messages(u.ID) {
		if strings.Contains(m.Text, "Thông báo từ") {
			return true
		}
	}
	return false
}

// pressAsync is press for goroutines: it reports instead of stopping.
func pressAsync(h *harness, u telegramtest.User, label string) {
	msgs := h.srv.Messages(u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.Text == label {
					h.srv.PressButton(u, msgs[i].ID, b.Data)
					return
				}
			}
		}
	}
	h.t.Errorf("no button %q in the chat with %d", label, u.ID)
}
