package main

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
)

const officeChat = -1001

var (
	principalTV = telegramtest.User{ID: 7000001, FirstName: "Hiệu trưởng", LastName: "Trưng Vương"}
	principalTD = telegramtest.User{ID: 7000002, FirstName: "Hiệu trưởng", LastName: "Trần Hưng Đạo"}
	staffMember = telegramtest.User{ID: 7000009, FirstName: "Chuyên viên"}
)

// meet makes the principals and the office chat known to the fake
// Telegram, which lets a bot write only to chats that wrote to it.
func (h *harness) meet() {
	h.t.Helper()
	for _, p := range []telegramtest.User{principalTV, principalTD} {
		h.srv.SendText(p, "/start")
		h.expect(p, "phản ánh")
	}
	since := h.srv.Activity(officeChat)
	h.srv.SendGroupText(officeChat, "Phòng GDĐT Sa Đéc", staffMember, "/danhsach")
	h.answered(telegramtest.User{ID: officeChat}, since)
}

// fileComplaint files a complaint as parent at TH-TV, with photos.
func (h *harness) fileComplaint(u telegramtest.User, category, text string, photos int, phone string) string {
	h.t.Helper()
	return h.fileComplaintAt(u, "TH-TV", "Lớp 4", category, text, photos, phone)
}

// fileComplaintAt files a complaint as parent at a school, with photos and
// anonymous when phone is "".
func (h *harness) fileComplaintAt(u telegramtest.User, school, grade, category, text string, photos int, phone string) string {
	h.t.Helper()
	h.begin(u, school, grade)
	h.expect(u, "Câu 1/16")
	h.srv.SendText(u, "/phananh")
	h.expect(u, "Phản ánh của anh/chị về việc gì?")
	h.press(u, category)
	h.expect(u, "mô tả vấn đề")
	h.srv.SendText(u, text)
	h.expect(u, "tối đa 5 ảnh")
	for i := range photos {
		h.srv.SendPhoto(u, "")
		h.expect(u, "Đã nhận "+strconv.Itoa(i+1)+" ảnh")
	}
	if photos > 0 {
		h.press(u, "Xong ("+strconv.Itoa(photos)+" ảnh), tiếp tục ▶")
	} else {
		h.press(u, "Không có ảnh, tiếp tục ▶")
	}
	m := h.expect(u, "gửi ẩn danh")
	if len(m.ReplyKeyboard) == 0 || !m.ReplyKeyboard[0][0].RequestContact {
		h.t.Fatalf("the contact step has no share-phone button: %+v", m)
	}
	if phone == "" {
		h.srv.SendText(u, "🕶 Gửi ẩn danh")
	} else {
		h.srv.SendContact(u, phone, u.ID)
	}
	h.expect(u, "Anh/chị xem lại phản ánh")
	h.press(u, "✅ Gửi phản ánh")
	filed := h.expect(u, "Mã phản ánh của anh/chị: PA-")
	_, rest, _ := strings.Cut(filed.Text, "Mã phản ánh của anh/chị: ")
	return rest[:len("PA-000001")]
}

// identity is everything that would tell who a parent is.
func identity(u telegramtest.User, phone string) []string {
	out := []string{strconv.FormatInt(u.ID, 10), u.FirstName, u.LastName}
	if u.Username != "" {
		out = append(out, u.Username)
	}
	if phone != "" {
		out = append(out, phone)
	}
	return out
}

// leaks returns the identity strings found in any bot message to chat.
func (h *harness) leaks(chat int64, secrets []string) []string {
	var found []string
	for _, m := range h.srv.Messages(chat) {
		if !m.FromBot {
			continue
		}
		for _, s := range secrets {
			if strings.Contains(m.Text, s) {
				found = append(found, s+" in "+strconv.Quote(m.Text))
			}
		}
	}
	return found
}

func TestComplaintLifecycle(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.meet()
	parent := telegramtest.User{ID: 5550101, FirstName: "Thảo", LastName: "Trần Thị", Username: "thao_tran"}
	code := h.fileComplaint(parent, "Cơ sở vật chất", "Phòng vệ sinh khu B bị hỏng vòi nước hơn hai tuần nay, các cháu phải sang khu A.", 2, "")

	// Its two photos follow the alert at once.
	alert := h.expectSome(principalTV, "🔔 Phản ánh mới "+code)
	if !strings.Contains(alert.Text, "ẩn danh") || !strings.Contains(alert.Text, "vòi nước") {
		t.Errorf("alert: %q", alert.Text)
	}
	photos := func() int {
		n := 0
		for _, m := range h.srv.Messages(principalTV.ID) {
			if m.Kind == "photo" && strings.HasPrefix(m.Text, code) {
				n++
			}
		}
		return n
	}
	if !h.srv.Wait(5*time.Second, func() bool { return photos() == 2 }) {
		t.Errorf("the principal got %d photos, want 2", photos())
	}
	h.srv.SendText(principalTV, "/danhsach")
	if list := h.expect(principalTV, "phản ánh đang mở"); !strings.Contains(list.Text, code+" · Mới") || !strings.Contains(list.Text, "hạn ") {
		t.Errorf("the principal's list: %q", list.Text)
	}
	h.srv.PressButton(principalTV, alert.ID, "k:ack:1")
	h.expect(parent, "nhà trường đã tiếp nhận")
	h.press(principalTV, "✍️ Trả lời")
	h.expect(principalTV, "gõ nội dung trả lời")
	h.srv.SendText(principalTV, "Nhà trường đã gọi thợ, thứ Hai sẽ sửa xong. Cảm ơn phụ huynh.")
	h.expect(parent, "thứ Hai sẽ sửa xong")
	h.expect(principalTV, "Đã chuyển trả lời")
	h.press(principalTV, "✔️ Đã giải quyết")
	h.expect(parent, "Vấn đề đã được giải quyết chưa?")
	since := h.srv.Activity(officeChat)
	h.press(parent, "Chưa")
	h.expect(parent, "Em đã mở lại phản ánh "+code)
	h.answered(telegramtest.User{ID: officeChat}, since)
	h.srv.Wait(5*time.Second, func() bool {
		m, _ := h.srv.Last(officeChat)
		return strings.Contains(m.Text+strings.Join(texts(h.srv.Messages(officeChat)), ""), "chưa được giải quyết")
	})
	if !strings.Contains(strings.Join(texts(h.srv.Messages(officeChat)), "\n"), "Phụ huynh báo chưa được giải quyết, đã mở lại: "+code) {
		t.Errorf("the office was not told of the reopening")
	}
	for _, chat := range []int64{principalTV.ID, officeChat} {
		if l := h.leaks(chat, identity(parent, "")); len(l) > 0 {
			t.Errorf("an anonymous parent's identity reached chat %d: %v", chat, l)
		}
	}
	h.acked()
	h.stop()

	db := h.openDB()
	var got []*flows.Complaint
	if err := db.Complaints(func(c *flows.Complaint) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Status != flows.StatusWorking || got[0].Reopened != 1 || len(got[0].Photos) != 2 {
		t.Fatalf("stored complaints: %+v", got)
	}
	history, err := db.ComplaintHistory(got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range history {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	want := "parent filed|principal:TH-TV acked|principal:TH-TV reply|principal:TH-TV resolved|parent followup:no|parent reopened"
	if strings.Join(actions, "|") != want {
		t.Errorf("history %q\nwant    %q", strings.Join(actions, "|"), want)
	}
}

func texts(ms []telegramtest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// TestComplaintWithPhoneAndScope: a shared phone reaches the principal
// (and nothing else of the parent), an urgent category reaches the office
// chat at once, and a principal of another school cannot act on it, even
// with crafted callback data.
func TestComplaintWithPhoneAndScope(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.meet()
	parent := telegramtest.User{ID: 5550102, FirstName: "Hùng", LastName: "Lê", Username: "hung_le"}
	code := h.fileComplaint(parent, "An toàn, bạo lực học đường, thực phẩm", "Bếp ăn bán trú cho các cháu ăn thức ăn có mùi lạ, nhiều cháu đau bụng.", 0, "+84912345678")
	alert := h.expect(principalTV, code)
	if !strings.Contains(alert.Text, "+84912345678") {
		t.Errorf("the shared phone is not on the alert: %q", alert.Text)
	}
	h.expect(telegramtest.User{ID: officeChat}, "🔔 Phản ánh mới "+code)
	for _, chat := range []int64{principalTV.ID, officeChat} {
		if l := h.leaks(chat, identity(parent, "")); len(l) > 0 {
			t.Errorf("the parent's identity beyond the phone reached chat %d: %v", chat, l)
		}
	}
	// The other school's principal forges the buttons of this complaint.
	for _, data := range []string{"k:ack:1", "k:done:1", "k:reply:1", "k:view:1", "k:ack:999", "k:ack:x"} {
		since := h.srv.Activity(principalTD.ID)
		h.srv.PressButton(principalTD, 1, data)
		h.answered(principalTD, since)
		if m, _ := h.srv.Last(principalTD.ID); !strings.Contains(m.Text, "không có quyền") {
			t.Errorf("%s by another school's principal: %q", data, m.Text)
		}
	}
	h.stop()
	db := h.openDB()
	if err := db.Complaints(func(c *flows.Complaint) error {
		if history, err := db.ComplaintHistory(c.ID); c.Status != flows.StatusNew || len(history) != 1 || err != nil {
			t.Errorf("a forged button changed the complaint: %+v", c)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestEscalationOnceAcrossRestarts: deadlines count working days past a
// weekend and a holiday; an escalation that fell due while the bot was
// down is sent when it starts, and never again.
func TestEscalationOnceAcrossRestarts(t *testing.T) {
	h := newHarness(t)
	// Thursday 31 December 2026, 16:00; 1 January is a holiday.
	h.clock.t = time.Date(2026, 12, 31, 16, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh"))
	h.start()
	h.meet()
	parent := telegramtest.User{ID: 5550103, FirstName: "Mai"}
	code := h.fileComplaint(parent, "Cơ sở vật chất", "Mái tôn phòng học lớp 4A bị dột nước khi trời mưa to.", 0, "")
	h.stop()

	escalations := func() int {
		n := 0
		for _, m := range h.srv.Messages(officeChat) {
			if m.FromBot && strings.HasPrefix(m.Text, "⏰ Quá hạn tiếp nhận: "+code) {
				n++
			}
		}
		return n
	}
	// Monday 4 January, 12:00: the acknowledgement is due by the end of
	// Monday (the holiday and the weekend do not count): not yet.
	h.clock.t = time.Date(2027, 1, 4, 12, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh"))
	h.start()
	time.Sleep(1500 * time.Millisecond) // let the every-second check run at least once
	h.stop()
	if n := escalations(); n != 0 {
		t.Fatalf("escalated %d times before the deadline", n)
	}
	// Tuesday 5 January: overdue. The check at start escalates it.
	h.clock.t = time.Date(2027, 1, 5, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh"))
	h.start()
	if !h.srv.Wait(10*time.Second, func() bool { return escalations() == 1 }) {
		t.Fatal("the overdue acknowledgement was not escalated")
	}
	time.Sleep(1500 * time.Millisecond)
	h.stop()
	h.start()
	time.Sleep(1500 * time.Millisecond)
	h.stop()
	if n := escalations(); n != 1 {
		t.Errorf("escalated %d times, want exactly once", n)
	}
}

// TestTelegramLimitsKept: with Telegram's real limits enforced by the fake
// and the bot at its default limits, many parents at once and the office
// chat never provoke a 429.
func TestTelegramLimitsKept(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds of real time")
	}
	h := newHarness(t)
	h.telegramLimits()
	h.start()
	h.meet()
	var wg sync.WaitGroup
	for i := range 40 {
		u := telegramtest.User{ID: int64(6600000 + i), FirstName: "P"}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.srv.SendText(u, "/start TH-TV")
			waitText(h, u, "Anh/chị có đồng ý")
			h.press(u, "✅ Đồng ý")
			waitText(h, u, "học lớp nào")
			h.press(u, "Lớp 2")
			waitText(h, u, "Câu 1/16")
			h.press(u, "Có")
			waitText(h, u, "Câu 2/16")
		}()
	}
	wg.Wait()
	h.stop()
	if v := h.srv.Violations(); len(v) > 0 {
		t.Errorf("%d calls exceeded Telegram's limits, the first: %+v", len(v), v[0])
	}
}

// waitText is expect for goroutines: it reports instead of stopping.
func waitText(h *harness, u telegramtest.User, want string) {
	if !h.srv.Wait(30*time.Second, func() bool { m, ok := h.srv.Last(u.ID); return ok && strings.Contains(m.Text, want) }) {
		h.t.Errorf("user %d never saw %q", u.ID, want)
	}
}
