package zalotest

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// slow is a rate that never refills within a test.
const slow = 0.001

func want429(t *testing.T, r apiResp, retryAfter int) {
	t.Helper()
	want := `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after ` + strconv.Itoa(retryAfter) + `"}`
	if r.status != 429 || r.body != want || r.header.Get("Retry-After") != strconv.Itoa(retryAfter) {
		t.Fatalf("got %d %s Retry-After %q, want %s", r.status, r.body, r.header.Get("Retry-After"), want)
	}
}

func text(chatID, s string) map[string]any { return map[string]any{"chat_id": chatID, "text": s} }

func TestLimitsPerChat(t *testing.T) {
	t.Parallel()
	s, c := newClient(t)
	minh := User{ID: "a1b2c3d4e5f60718", DisplayName: "Minh"}
	s.Text(lan, "hi")
	s.Text(minh, "hi")
	s.EnforceLimits(Limits{PerChat: slow, PerChatBurst: 3})
	start := time.Now()
	for i := 1; i <= 3; i++ {
		if r := c.call("sendMessage", text(lan.ID, "m"+strconv.Itoa(i))); !r.OK {
			t.Fatalf("message %d: %s", i, r.body)
		}
	}
	// A photo and a sticker count against the same chat; 1/0.001 s is 1000 s.
	want429(t, c.call("sendMessage", text(lan.ID, "m4")), 1000)
	want429(t, c.call("sendPhoto", map[string]any{"chat_id": lan.ID, "photo": "https://x.test/p.png"}), 1000)
	want429(t, c.call("sendSticker", map[string]any{"chat_id": lan.ID, "sticker": "s"}), 1000)
	if msgs := s.Messages(lan.ID); len(msgs) != 3 || msgs[2].Text != "m3" {
		t.Fatalf("refused sends must not deliver: %+v", msgs)
	}
	// Another chat has its own bucket.
	if r := c.call("sendMessage", text(minh.ID, "hello")); !r.OK {
		t.Fatalf("other chat: %s", r.body)
	}
	vs := s.Violations()
	if len(vs) != 3 || vs[0].Method != "sendMessage" || vs[1].Method != "sendPhoto" || vs[2].Method != "sendSticker" {
		t.Fatalf("violations = %+v", vs)
	}
	for _, v := range vs {
		if v.ChatID != lan.ID || v.Scope != "chat" || v.At.Before(start) || v.At.After(time.Now()) {
			t.Fatalf("violation = %+v", v)
		}
	}
	var statuses []int
	for _, call := range s.Calls() {
		statuses = append(statuses, call.Status)
	}
	if fmt.Sprint(statuses) != "[200 200 200 429 429 429 200]" {
		t.Fatalf("statuses = %v", statuses)
	}
}

func TestLimitsGlobal(t *testing.T) {
	t.Parallel()
	s, c := newClient(t)
	var users []User
	for range 8 {
		u := s.NewUser("U")
		s.Text(u, "hi")
		users = append(users, u)
	}
	s.EnforceLimits(Limits{PerChat: 100, PerChatBurst: 5, Global: slow, GlobalBurst: 5})
	for i, u := range users {
		r := c.call("sendMessage", text(u.ID, "tin"))
		if i < 5 {
			if !r.OK {
				t.Fatalf("send %d: %s", i, r.body)
			}
			continue
		}
		want429(t, r, 1000)
	}
	vs := s.Violations()
	if len(vs) != 3 {
		t.Fatalf("violations = %+v", vs)
	}
	for i, v := range vs {
		if v.Scope != "global" || v.ChatID != users[5+i].ID {
			t.Fatalf("violation = %+v", v)
		}
	}
	// Without GlobalBurst the burst is ceil(Global): 1 here.
	s.EnforceLimits(Limits{Global: 0.5})
	if r := c.call("sendMessage", text(users[0].ID, "one")); !r.OK {
		t.Fatal(r.body)
	}
	want429(t, c.call("sendMessage", text(users[1].ID, "two")), 2)
}

func TestLimitsRefill(t *testing.T) {
	t.Parallel()
	s, c := newClient(t)
	s.Text(lan, "hi")
	s.EnforceLimits(Limits{PerChat: 4, PerChatBurst: 1}) // a token every 250ms
	first := time.Now()
	if r := c.call("sendMessage", text(lan.ID, "one")); !r.OK {
		t.Fatal(r.body)
	}
	r := c.call("sendMessage", text(lan.ID, "two"))
	// Only a machine stalled for 200ms would have earned the token back.
	if time.Since(first) < 200*time.Millisecond {
		want429(t, r, 1)
	}
	time.Sleep(300 * time.Millisecond)
	if r := c.call("sendMessage", text(lan.ID, "three")); !r.OK {
		t.Fatalf("after the refill: %s", r.body)
	}
	if last, _ := s.Last(lan.ID); last.Text != "three" {
		t.Fatalf("last = %+v", last)
	}
}

func TestLimitsSkipOtherMethods(t *testing.T) {
	t.Parallel()
	s, c := newClient(t)
	s.Text(lan, "hi")
	s.EnforceLimits(Limits{PerChat: slow, PerChatBurst: 1, Global: slow, GlobalBurst: 1})
	if r := c.call("sendMessage", text(lan.ID, "menu")); !r.OK {
		t.Fatal(r.body)
	}
	for range 10 {
		for method, params := range map[string]map[string]any{
			"sendChatAction": {"chat_id": lan.ID, "action": "typing"},
			"getMe":          nil,
			"getUpdates":     nil,
			"getWebhookInfo": nil,
			"deleteWebhook":  nil,
		} {
			if r := c.call(method, params); !r.OK {
				t.Fatalf("%s: %s", method, r.body)
			}
		}
	}
	if vs := s.Violations(); len(vs) != 0 {
		t.Fatalf("violations = %+v", vs)
	}
}

func TestLimitsOffInjectAndFailures(t *testing.T) {
	t.Parallel()
	s, c := newClient(t)
	s.Text(lan, "hi")
	s.EnforceLimits(Limits{PerChat: slow, PerChatBurst: 2})

	// Injected faults come first and do not use up the limits.
	s.Inject(func(string, map[string]string) *Fault { return &Fault{Status: 502} })
	for range 5 {
		wantError(t, c.call("sendMessage", text(lan.ID, "x")), 502, "Bad Gateway")
	}
	s.Inject(nil)
	// A send that fails validation has used its token.
	wantError(t, c.call("sendMessage", text(lan.ID, "")), 400, "text is empty")
	if r := c.call("sendMessage", text(lan.ID, "ok")); !r.OK {
		t.Fatal(r.body)
	}
	want429(t, c.call("sendMessage", text(lan.ID, "over")), 1000)

	// Turning limits off lets everything through; Violations are kept.
	s.EnforceLimits(Limits{})
	for range 20 {
		if r := c.call("sendMessage", text(lan.ID, "free")); !r.OK {
			t.Fatal(r.body)
		}
	}
	if n := len(s.Violations()); n != 1 {
		t.Fatalf("violations = %+v", s.Violations())
	}
	// A fresh EnforceLimits starts with full buckets.
	s.EnforceLimits(Limits{PerChat: slow, PerChatBurst: 2})
	for range 2 {
		if r := c.call("sendMessage", text(lan.ID, "again")); !r.OK {
			t.Fatal(r.body)
		}
	}
	want429(t, c.call("sendMessage", text(lan.ID, "over")), 1000)
	if n := len(s.Violations()); n != 2 {
		t.Fatalf("violations = %+v", s.Violations())
	}
}
