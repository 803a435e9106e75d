package main

import (
	"strings"
	"testing"
	"time"

	"hailong/bot/telegramtest"
)

// count counts the bot's messages in chat whose text starts with prefix.
func (h *harness) count(chat int64, prefix string) int {
	n := 0
	for _, m := range h.srv.Messages(chat) {
		if m.FromBot && strings.HasPrefix(m.Text, prefix) {
			n++
		}
	}
	return n
}

// TestDigestCatchUpOnce: the Monday digest missed while the bot was down
// goes out when it starts, with its chart and workbook, and never again.
func TestDigestCatchUpOnce(t *testing.T) {
	h := newHarness(t)
	h.clock.t = time.Date(2026, 11, 19, 10, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh")) // a Thursday
	h.start()
	h.meet()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.answerAll(parent, 1, "Có")
	h.stop()
	if n := h.count(officeChat, "📊 Báo cáo tuần"); n != 0 {
		t.Fatalf("a digest went out at first start, for a week the bot did not run: %d", n)
	}

	// Down over Monday 23 November 07:00; back on Tuesday.
	h.clock.t = time.Date(2026, 11, 24, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh"))
	h.start()
	week := "📊 Báo cáo tuần 16/11/2026 – 22/11/2026"
	if !h.srv.Wait(10*time.Second, func() bool {
		return h.count(officeChat, week) == 1 && h.count(principalTV.ID, week) == 1 && len(files(h.srv, officeChat)) == 2
	}) {
		t.Fatalf("the missed digest: office %d, principal %d, files %v", h.count(officeChat, week), h.count(principalTV.ID, week), files(h.srv, officeChat))
	}
	m := lastPrefixed(h.srv, officeChat, week)
	for _, want := range []string{"Phòng GDĐT thành phố Sa Đéc", "1 mới trong kỳ", "Trường Tiểu học Trưng Vương: +1 · 1 · chưa đủ mẫu"} {
		if !strings.Contains(m, want) {
			t.Errorf("the digest lacks %q:\n%s", want, m)
		}
	}
	h.stop()
	h.start()
	time.Sleep(500 * time.Millisecond)
	h.stop()
	if n := h.count(officeChat, week); n != 1 {
		t.Errorf("the office got the digest %d times, want once", n)
	}
	if n := h.count(principalTV.ID, week); n != 1 {
		t.Errorf("the principal got the digest %d times, want once", n)
	}
}

func files(srv *telegramtest.Server, chat int64) []string {
	var out []string
	for _, m := range srv.Messages(chat) {
		if m.FromBot && (m.Kind == "photo" || m.Kind == "document") {
			out = append(out, m.Kind+":"+m.FileName)
		}
	}
	return out
}

func lastPrefixed(srv *telegramtest.Server, chat int64, prefix string) string {
	msgs := srv.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].FromBot && strings.HasPrefix(msgs[i].Text, prefix) {
			return msgs[i].Text
		}
	}
	return ""
}

// TestStaffReports: a principal asks for a semester report and for the
// export; a parent cannot.
func TestStaffReports(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.meet()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.answerAll(parent, 1, "Có")

	h.srv.SendText(principalTV, "/baocao 01/09/2026 26/11/2026")
	if !h.srv.Wait(10*time.Second, func() bool { return h.count(principalTV.ID, "📊 Báo cáo 01/09/2026 – 26/11/2026") == 1 }) {
		t.Fatal("the semester report never came")
	}
	r := lastPrefixed(h.srv, principalTV.ID, "📊 Báo cáo 01/09/2026")
	if !strings.Contains(r, "Trường Tiểu học Trưng Vương") || strings.Contains(r, "Trần Hưng Đạo") {
		t.Errorf("a principal's report covers other schools or not theirs:\n%s", r)
	}
	h.srv.SendText(principalTV, "/xuat")
	if !h.srv.Wait(10*time.Second, func() bool {
		for _, f := range files(h.srv, principalTV.ID) {
			if strings.HasSuffix(f, ".xlsx") && strings.HasPrefix(f, "document:bao-cao-2026-09-01_2026-11-26") {
				return true
			}
		}
		return false
	}) {
		t.Errorf("no workbook exported; files: %v", files(h.srv, principalTV.ID))
	}
	h.srv.SendText(principalTV, "/baocao hôm qua")
	h.expect(principalTV, "Cách dùng: /baocao")
	h.srv.SendText(parent, "/baocao")
	h.expect(parent, "Em không biết lệnh /baocao")
	h.stop()
	// Both requests (the report and the export) are acknowledged at once.
	if n := h.count(principalTV.ID, "⏳ Em đang lập báo cáo Trường Tiểu học Trưng Vương từ 01/09/2026 đến 26/11/2026"); n != 2 {
		t.Errorf("the principal was told %d times that a report is being made, want 2", n)
	}
}
