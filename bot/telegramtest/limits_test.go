package telegramtest

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// slow is a per-chat rate that never refills within a test.
const slow = 0.001

func want429(t *testing.T, err error, retryAfter int) {
	t.Helper()
	if err == nil {
		t.Fatal("call succeeded, want 429")
	}
	e := apiError(t, err)
	if e.Code != 429 || e.RetryAfter != retryAfter || e.Message != "Too Many Requests: retry after "+strconv.Itoa(retryAfter) {
		t.Fatalf("err = %+v", e)
	}
}

func scopes(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Scope)
	}
	return out
}

func TestLimitsPrivateBurst(t *testing.T) {
	t.Parallel()
	s, bot := newBot(t)
	s.SendText(alice, "hi")
	s.EnforceLimits(Limits{PerSecond: 30, PerChatSecond: slow, PerChatBurst: 3})
	start := time.Now()
	for i := 1; i <= 5; i++ {
		_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "m"+strconv.Itoa(i)))
		if i <= 3 {
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			continue
		}
		// The 4th exceeds the burst, the 5th comes before retry_after.
		want429(t, err, 1)
	}
	if n := s.Activity(alice.ID); n != 3 {
		t.Fatalf("activity = %d, refused sends must not deliver", n)
	}
	if m, _ := s.Last(alice.ID); m.Text != "m3" {
		t.Fatalf("last = %q", m.Text)
	}
	vs := s.Violations()
	if len(vs) != 2 {
		t.Fatalf("violations = %+v", vs)
	}
	for _, v := range vs {
		if v.Method != "sendMessage" || v.ChatID != alice.ID || v.Scope != "chat" || v.At.Before(start) || v.At.After(time.Now()) {
			t.Fatalf("violation = %+v", v)
		}
	}
	calls := s.Calls()
	var statuses []int
	for _, c := range calls[len(calls)-5:] {
		statuses = append(statuses, c.Status)
	}
	if !equalInts(statuses, []int{200, 200, 200, 429, 429}) {
		t.Fatalf("statuses = %v", statuses)
	}

	// Edits count against the same chat, and a refused edit changes nothing.
	m, _ := s.Last(alice.ID)
	_, err := bot.Send(tgbotapi.NewEditMessageText(alice.ID, m.ID, "edited"))
	want429(t, err, 1)
	if m2, _ := s.Last(alice.ID); m2.Text != "m3" || m2.Edits != 0 {
		t.Fatalf("after refused edit: %+v", m2)
	}
	if vs := s.Violations(); len(vs) != 3 || vs[2].Method != "editMessageText" {
		t.Fatalf("violations = %+v", vs)
	}
}

func TestLimitsGlobal(t *testing.T) {
	t.Parallel()
	s, bot := newBot(t)
	const n = 40
	for i := range n {
		s.SendText(User{ID: int64(5000 + i), FirstName: "U"}, "hi")
	}
	s.EnforceLimits(Limits{PerSecond: 30, PerChatSecond: 1, PerChatBurst: 3, RetryAfter: 2})
	var okCount, refused atomic.Int32
	var wg sync.WaitGroup
	ids := make(chan int64, n)
	for i := range n {
		ids <- int64(5000 + i)
	}
	close(ids)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				_, err := bot.Send(tgbotapi.NewMessage(id, "news"))
				if err == nil {
					okCount.Add(1)
					continue
				}
				if e, isAPI := err.(*tgbotapi.Error); !isAPI || e.Code != 429 || e.RetryAfter < 1 || e.RetryAfter > 2 {
					t.Errorf("chat %d: %v", id, err)
				}
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	// 30 fit the burst; the global 429 then shuts every chat out for 2s.
	if okCount.Load() < 30 || refused.Load() == 0 {
		t.Fatalf("ok %d refused %d", okCount.Load(), refused.Load())
	}
	vs := s.Violations()
	if len(vs) != int(refused.Load()) {
		t.Fatalf("violations %d, refused %d", len(vs), refused.Load())
	}
	for _, v := range vs {
		if v.Scope != "global" || v.ChatID < 5000 || v.ChatID >= 5000+n {
			t.Fatalf("violation = %+v", v)
		}
	}
	// The global retry_after also covers a chat that never sent anything.
	s.SendText(alice, "hi")
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "late"))
	if e := apiError(t, err); e.Code != 429 {
		t.Fatalf("err = %+v", e)
	}
	if vs := s.Violations(); vs[len(vs)-1].Scope != "global" || vs[len(vs)-1].ChatID != alice.ID {
		t.Fatalf("last violation = %+v", vs[len(vs)-1])
	}
}

func TestLimitsGroup(t *testing.T) {
	t.Parallel()
	s, bot := newBot(t)
	const group, small = -100777, -100778
	s.SendGroupText(group, "Team", alice, "hi")
	s.SendGroupText(small, "Pair", alice, "hi")
	s.SendText(alice, "hi")
	// Private chats may send far more than groups here.
	s.EnforceLimits(Limits{PerSecond: 30, PerChatSecond: 100, PerChatBurst: 3, GroupPerMinute: 20})
	for i := 1; i <= 5; i++ {
		_, err := bot.Send(tgbotapi.NewMessage(group, "g"))
		if i <= 3 && err != nil {
			t.Fatalf("group message %d: %v", i, err)
		}
		if i > 3 {
			want429(t, err, 1)
		}
	}
	if n := s.Activity(group); n != 3 {
		t.Fatalf("group activity = %d", n)
	}
	if got := scopes(s.Violations()); len(got) != 2 || got[0] != "group" || got[1] != "group" {
		t.Fatalf("scopes = %v", got)
	}
	if v := s.Violations()[0]; v.ChatID != group {
		t.Fatalf("violation = %+v", v)
	}
	// Other chats are not affected by the group's retry_after.
	for range 3 {
		if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "p")); err != nil {
			t.Fatal(err)
		}
	}

	// Without PerChatBurst a group still gets one message.
	s.EnforceLimits(Limits{GroupPerMinute: 20})
	if _, err := bot.Send(tgbotapi.NewMessage(small, "one")); err != nil {
		t.Fatal(err)
	}
	_, err := bot.Send(tgbotapi.NewMessage(small, "two"))
	want429(t, err, 1)
	// No private or global limit was set.
	for range 10 {
		if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "p")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Violations()); n != 3 {
		t.Fatalf("violations = %+v", s.Violations())
	}
}

func TestLimitsSkipOtherMethods(t *testing.T) {
	t.Parallel()
	s, bot := newBot(t)
	bob := User{ID: 1002, FirstName: "Bob"}
	s.SendText(alice, "hi")
	s.SendText(bob, "hi")
	s.EnforceLimits(Limits{PerSecond: 1, PerChatSecond: slow, PerChatBurst: 1, GroupPerMinute: 1})
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "menu")); err != nil {
		t.Fatal(err)
	}
	// Bob's message exceeds the global limit, which now covers every chat.
	_, err := bot.Send(tgbotapi.NewMessage(bob.ID, "menu"))
	want429(t, err, 1)
	m, _ := s.Last(alice.ID)
	for range 10 {
		_, cb := s.PressButton(alice, m.ID, "x")
		if _, err := bot.Request(tgbotapi.NewCallback(cb, "ok")); err != nil {
			t.Fatalf("answerCallbackQuery: %v", err)
		}
		if _, err := bot.Request(tgbotapi.NewChatAction(alice.ID, tgbotapi.ChatTyping)); err != nil {
			t.Fatalf("sendChatAction: %v", err)
		}
		if _, err := bot.GetMe(); err != nil {
			t.Fatalf("getMe: %v", err)
		}
		if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
			t.Fatalf("getUpdates: %v", err)
		}
	}
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "start", Description: "Start"})); err != nil {
		t.Fatalf("setMyCommands: %v", err)
	}
	if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatalf("deleteWebhook: %v", err)
	}
	if len(s.CallbackAnswers()) != 10 || len(s.Violations()) != 1 {
		t.Fatalf("answers %d violations %+v", len(s.CallbackAnswers()), s.Violations())
	}
}

func TestLimitsRetryAfter(t *testing.T) {
	t.Parallel()
	s, bot := newBot(t)
	bob := User{ID: 1002, FirstName: "Bob"}
	s.SendText(alice, "hi")
	s.SendText(bob, "hi")
	s.EnforceLimits(Limits{PerSecond: 30, PerChatSecond: 1, PerChatBurst: 3})
	for range 3 {
		if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "m")); err != nil {
			t.Fatal(err)
		}
	}
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "too many"))
	want429(t, err, 1)
	limitedAt := time.Now()

	// Within retry_after alice's chat stays closed even once its bucket has
	// a token again; Bob's chat is unaffected.
	time.Sleep(500 * time.Millisecond)
	_, err = bot.Send(tgbotapi.NewMessage(alice.ID, "impatient"))
	want429(t, err, 1)
	if _, err := bot.Send(tgbotapi.NewMessage(bob.ID, "fine")); err != nil {
		t.Fatal(err)
	}
	vs := s.Violations()
	if len(vs) != 2 || vs[1].Scope != "chat" || vs[1].ChatID != alice.ID {
		t.Fatalf("violations = %+v", vs)
	}
	if n := s.Activity(alice.ID); n != 3 {
		t.Fatalf("activity = %d", n)
	}

	time.Sleep(time.Until(limitedAt.Add(1100 * time.Millisecond)))
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "patient")); err != nil {
		t.Fatalf("after retry_after: %v", err)
	}
	if m, _ := s.Last(alice.ID); m.Text != "patient" {
		t.Fatalf("last = %q", m.Text)
	}
	if n := len(s.Violations()); n != 2 {
		t.Fatalf("violations = %+v", s.Violations())
	}
}

func TestLimitsOffAndInject(t *testing.T) {
	t.Parallel()
	s, bot := newBot(t)
	s.SendText(alice, "hi")
	s.EnforceLimits(TelegramLimits)

	// Injected faults come first and do not use up the limits.
	s.Inject(func(method string, _ map[string]string) *Fault {
		if method == "sendMessage" {
			return &Fault{Status: 502}
		}
		return nil
	})
	for range 5 {
		if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "x")); apiError(t, err).Code != 502 {
			t.Fatalf("err = %v", err)
		}
	}
	s.Inject(nil)
	for range 3 {
		if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "m")); err != nil {
			t.Fatal(err)
		}
	}
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "m"))
	want429(t, err, 1)

	// Turning limits off also ends the pending retry_after at once.
	s.EnforceLimits(Limits{})
	for range 20 {
		if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "free")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Violations()); n != 1 {
		t.Fatalf("violations = %+v", s.Violations())
	}
	// A fresh EnforceLimits starts with full buckets.
	s.EnforceLimits(TelegramLimits)
	for range 3 {
		if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "again")); err != nil {
			t.Fatal(err)
		}
	}
}
