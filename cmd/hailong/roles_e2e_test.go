package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hailong/bot/telegramtest"
)

var adminUser = telegramtest.User{ID: 7000099, FirstName: "Quản trị"}

// TestInviteAndRevoke: an invite made from the shell while the bot runs
// binds a new principal, who then gets the school's complaints and acts on
// them; an admin revokes them and their old buttons stop working; the
// audit log shows it all; staff get their own command menus.
func TestInviteAndRevoke(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.meet()
	h.srv.SendText(adminUser, "/start")
	h.expect(adminUser, "phản ánh")

	var out syncBuffer
	s := h.sys()
	s.stdout = &out
	if err := s.run(context.Background(), []string{"invite", "TH-TV", "--config", h.cfgPath, "--db", h.dbPath}); err != nil {
		t.Fatalf("invite: %v", err)
	}
	m := regexp.MustCompile(`/start inv_([A-Z2-7]{10})`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no code in %q", out.String())
	}
	newPrincipal := telegramtest.User{ID: 7000100, FirstName: "Cô", LastName: "Hạnh"}
	h.srv.SendText(newPrincipal, "/start inv_"+m[1])
	h.expect(newPrincipal, "đã được gắn với Trường Tiểu học Trưng Vương")
	// The code works once.
	other := telegramtest.User{ID: 7000101, FirstName: "Khác"}
	h.srv.SendText(other, "/start inv_"+m[1])
	h.expect(other, "đã được dùng")

	parent := telegramtest.User{ID: 5550201, FirstName: "Phụ huynh"}
	code := h.fileComplaint(parent, "Cơ sở vật chất", "Mái tôn phòng học lớp 4A bị dột nước khi trời mưa to.", 0, "")
	alert := h.expect(newPrincipal, "🔔 Phản ánh mới "+code)
	h.expect(principalTV, "🔔 Phản ánh mới "+code)

	h.srv.SendText(adminUser, "/hieutruong")
	h.expect(adminUser, "Cô Hạnh")
	h.press(adminUser, "Thu hồi Cô Hạnh (TH-TV)")
	h.expect(adminUser, "Đã thu hồi")
	since := h.srv.Activity(newPrincipal.ID)
	h.srv.PressButton(newPrincipal, alert.ID, "k:ack:1")
	h.answered(newPrincipal, since)
	if m, _ := h.srv.Last(newPrincipal.ID); !strings.Contains(m.Text, "không có quyền") {
		t.Errorf("a revoked principal's button: %q", m.Text)
	}
	h.srv.SendText(adminUser, "/nhatky")
	trail := h.expect(adminUser, "thao tác gần nhất")
	for _, want := range []string{"redeem · TH-TV", "revoke · telegram:7000100@TH-TV", "invite · TH-TV"} {
		if !strings.Contains(trail.Text, want) {
			t.Errorf("the audit trail lacks %q:\n%s", want, trail.Text)
		}
	}
	h.stop()
	menus := h.srv.SetCommands()
	has := func(chat int64, cmd string) bool {
		for scope, list := range menus {
			if !strings.Contains(scope, strconv.FormatInt(chat, 10)) {
				continue
			}
			for _, c := range list {
				if c["command"] == cmd {
					return true
				}
			}
		}
		return false
	}
	if !has(adminUser.ID, "nhatky") || !has(principalTV.ID, "danhsach") || has(principalTV.ID, "invite") {
		t.Errorf("staff command menus: %v", menus)
	}
	for _, c := range menus[""] {
		if c["command"] == "danhsach" {
			t.Errorf("parents see a staff command: %v", menus[""])
		}
	}
}

// TestFloodControl: a parent sending far too fast is warned once and
// ignored for a while; another parent is served meanwhile.
func TestFloodControl(t *testing.T) {
	h := newHarness(t)
	cfg, _ := os.ReadFile(h.cfgPath)
	os.WriteFile(h.cfgPath, bytes.Replace(cfg, []byte("flood: {updates: 1000"), []byte("flood: {updates: 20"), 1), 0o600)
	h.start()
	flooder := telegramtest.User{ID: 5550301, FirstName: "Nhanh"}
	for i := range 30 {
		h.srv.SendText(flooder, "xin chào "+strconv.Itoa(i))
	}
	h.srv.SendText(parent, "/start")
	h.expect(parent, "Anh/chị có đồng ý")
	h.srv.Wait(5*time.Second, func() bool { return h.srv.Pending() == 0 })
	time.Sleep(300 * time.Millisecond)
	warnings, replies := 0, 0
	for _, m := range h.srv.Messages(flooder.ID) {
		if m.FromBot {
			replies++
			if strings.Contains(m.Text, "gửi nhanh quá") {
				warnings++
			}
		}
	}
	if warnings != 1 || replies != 21 {
		t.Errorf("the flooder got %d replies with %d warnings, want 20 answers and 1 warning", replies, warnings)
	}
	// Pressed while ignored, a button is still acknowledged (it would spin).
	for range 5 {
		h.press(flooder, "Không đồng ý")
	}
	h.srv.Wait(5*time.Second, func() bool { return h.srv.Pending() == 0 && len(h.srv.Unanswered()) == 0 })
	if un := h.srv.Unanswered(); len(un) > 0 {
		t.Errorf("%d presses of an ignored user never answered", len(un))
	}
	if n := len(h.srv.Messages(flooder.ID)); n != 30+21 {
		t.Errorf("%d messages in the flooder's chat; want the 30 texts and 21 replies: nothing more for the presses", n)
	}
	h.stop()
}

// TestNoRawIDInDatabase: after a survey and a complaint, the database file
// holds no raw Telegram id of the parent, in any page.
func TestNoRawIDInDatabase(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.meet()
	p := telegramtest.User{ID: 987654321, FirstName: "Riêng", Username: "rieng_tu"}
	h.fileComplaint(p, "Cơ sở vật chất", "Nhà vệ sinh khu B bị hỏng vòi nước hơn hai tuần nay.", 0, "")
	h.press(p, "📝 Làm khảo sát")
	h.answerAll(p, 1, "Có")
	h.stop()
	raw, err := os.ReadFile(h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"987654321", "rieng_tu", "Riêng"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds %q", secret)
		}
	}
}

// TestTextsShownAsTyped: a school's name and a parent's words with <, &
// and * reach the chats exactly as written (messages are plain text).
func TestTextsShownAsTyped(t *testing.T) {
	h := newHarness(t)
	cfg, _ := os.ReadFile(h.cfgPath)
	cfg = bytes.Replace(cfg, []byte(`name: "Trường Tiểu học Trưng Vương"`), []byte(`name: "Trường <Hoa> & *Sen*"`), 1)
	os.WriteFile(h.cfgPath, cfg, 0o600)
	h.start()
	h.meet()
	p := telegramtest.User{ID: 5550401, FirstName: "A"}
	text := "Lớp 3<b>A</b> & *cả* lớp bị ướt khi mưa, <script> chưa ai sửa."
	code := h.fileComplaint(p, "Cơ sở vật chất", text, 0, "")
	alert := h.expect(principalTV, code)
	for _, want := range []string{"Trường <Hoa> & *Sen*", text} {
		if !strings.Contains(alert.Text, want) {
			t.Errorf("the alert does not show %q as typed:\n%s", want, alert.Text)
		}
	}
	for _, c := range h.srv.Calls() {
		if c.Params["parse_mode"] != "" {
			t.Errorf("%s sent with parse_mode %q", c.Method, c.Params["parse_mode"])
		}
	}
	h.stop()
}
