package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/internal/channel"
)

func TestDecode(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	private := &tgbotapi.Chat{ID: 77, Type: "private"}
	group := &tgbotapi.Chat{ID: -100, Type: "supergroup"}
	from := &tgbotapi.User{ID: 77, FirstName: "Lan"}
	for _, tc := range []struct {
		name string
		u    tgbotapi.Update
		ok   bool
		want flows.Input
		ref  string
	}{
		{"text", tgbotapi.Update{Message: &tgbotapi.Message{From: from, Chat: private, Text: "xin chào"}}, true,
			flows.Input{Kind: flows.KindText, Text: "xin chào"}, ""},
		{"deep link", tgbotapi.Update{Message: &tgbotapi.Message{From: from, Chat: private, Text: "/start TH-01"}}, true,
			flows.Input{Kind: flows.KindCommand, Command: "start", Arg: "TH-01", Text: "/start TH-01"}, ""},
		{"button", tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{ID: "q1", From: from, Data: "3:a:yes",
			Message: &tgbotapi.Message{MessageID: 9, Chat: private}}}, true,
			flows.Input{Kind: flows.KindButton, Data: "3:a:yes"}, "9"},
		{"button without a message", tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{ID: "q2", From: from, Data: "m:s"}}, true,
			flows.Input{Kind: flows.KindButton, Data: "m:s"}, ""},
		{"button of an inline message", tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{ID: "q3", From: from, Data: "m:s",
			InlineMessageID: "AAEC"}}, true,
			flows.Input{Kind: flows.KindInline, Data: "m:s"}, ""},
		{"sticker", tgbotapi.Update{Message: &tgbotapi.Message{From: from, Chat: private, Sticker: &tgbotapi.Sticker{}}}, true,
			flows.Input{Kind: flows.KindOther, What: "sticker"}, ""},
		{"edited", tgbotapi.Update{EditedMessage: &tgbotapi.Message{From: from, Chat: private, Text: "Không"}}, true,
			flows.Input{Kind: flows.KindEdited, Text: "Không"}, ""},
		{"group chatter", tgbotapi.Update{Message: &tgbotapi.Message{From: from, Chat: group, Text: "hello"}}, false, flows.Input{}, ""},
		{"group command", tgbotapi.Update{Message: &tgbotapi.Message{From: from, Chat: group, Text: "/start@hailong_bot"}}, true,
			flows.Input{Kind: flows.KindCommand, Command: "start", Text: "/start@hailong_bot", Group: true}, ""},
		{"another bot", tgbotapi.Update{Message: &tgbotapi.Message{From: &tgbotapi.User{ID: 5, IsBot: true}, Chat: private, Text: "hi"}}, false, flows.Input{}, ""},
		{"channel post", tgbotapi.Update{ChannelPost: &tgbotapi.Message{Chat: &tgbotapi.Chat{ID: -5, Type: "channel"}, Text: "x"}}, false, flows.Input{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, ok := Decode(tc.u, now)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			tc.want.Now = now
			if env.Input != tc.want {
				t.Errorf("input = %+v\nwant    %+v", env.Input, tc.want)
			}
			if env.MessageRef != tc.ref || env.User != "77" || env.Channel != Channel {
				t.Errorf("envelope = %+v", env)
			}
		})
	}
}

// FuzzDecode feeds arbitrary update JSON through decoding and the engine:
// nothing Telegram sends may panic the bot.
func FuzzDecode(f *testing.F) {
	f.Add(`{"update_id":1,"message":{"message_id":1,"from":{"id":7},"chat":{"id":7,"type":"private"},"text":"/start TH-01"}}`)
	f.Add(`{"update_id":2,"callback_query":{"id":"x","from":{"id":7},"data":"0:a:yes"}}`)
	f.Add(`{"update_id":4,"callback_query":{"id":"y","from":{"id":8},"inline_message_id":"AAEC","data":"m:s"}}`)
	f.Add(`{"update_id":3,"edited_message":{"message_id":1,"from":{"id":7},"chat":{"id":-7,"type":"group"},"text":"/x"}}`)
	f.Add(`{"update_id":4,"message":{"message_id":1,"from":{"id":7},"chat":{"id":7,"type":"private"},"sticker":{}}}`)
	eng := testEngine(f)
	f.Fuzz(func(t *testing.T, raw string) {
		var u tgbotapi.Update
		if json.Unmarshal([]byte(raw), &u) != nil {
			return
		}
		env, ok := Decode(u, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
		if !ok {
			return
		}
		res := eng.Handle(nil, env, nil)
		if !env.Input.Group && len(res.Out) == 0 {
			t.Errorf("no answer to %s", raw)
		}
	})
}

func testEngine(t testing.TB) *flows.Engine {
	d := &flows.Directory{
		Offices: []flows.Office{{ID: "o", Name: "Phòng GDĐT"}},
		Schools: []flows.School{{Code: "TH-01", Name: "Trường Tiểu học 1", Level: flows.Primary, Office: "o"}},
		Waves: []flows.Wave{{ID: "w", Title: "W", Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),
			End: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	e, err := flows.New(flows.Settings{Questionnaire: flows.DefaultQuestionnaire(), Directory: d, SessionExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// memStore is an in-memory outbox for testing the sender alone.
type memStore struct {
	mu      sync.Mutex
	rows    []flows.Queued
	seq     uint64
	failed  map[uint64]string
	stopped []string
	changed chan struct{}
	// doneFails is how many Done calls fail before they work.
	doneFails int
}

func newMemStore() *memStore {
	return &memStore{failed: map[uint64]string{}, changed: make(chan struct{})}
}

func (m *memStore) queue(out ...flows.Outgoing) {
	m.mu.Lock()
	for _, o := range out {
		m.seq++
		m.rows = append(m.rows, flows.Queued{Seq: m.seq, Outgoing: o})
	}
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
}

func (m *memStore) Apply(flows.Batch) error                 { return nil }
func (m *memStore) Cursor(string) (int64, time.Time, error) { return 0, time.Time{}, nil }
func (m *memStore) Changed() <-chan struct{}                { m.mu.Lock(); defer m.mu.Unlock(); return m.changed }
func (m *memStore) PendingAfter(ch string, after uint64, n int) ([]flows.Queued, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []flows.Queued
	upTo := after
	for _, r := range m.rows {
		if r.Seq > after && len(out) < n {
			out = append(out, r)
			upTo = r.Seq
		}
	}
	return out, upTo, nil
}
func (m *memStore) PendingUrgent(ch string, after uint64, n int) ([]flows.Queued, uint64, error) {
	rows, upTo, _ := m.PendingAfter(ch, after, 1<<30)
	var out []flows.Queued
	for _, r := range rows {
		if r.Priority < flows.PriorityDigest && len(out) < n {
			out = append(out, r)
		}
	}
	return out, upTo, nil
}
func (m *memStore) Done(seqs ...uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.doneFails > 0 {
		m.doneFails--
		return errors.New("disk full")
	}
	for _, s := range seqs {
		for i, r := range m.rows {
			if r.Seq == s {
				m.rows = append(m.rows[:i], m.rows[i+1:]...)
				break
			}
		}
	}
	return nil
}
func (m *memStore) Fail(q flows.Queued, reason string, _ time.Time) error {
	m.mu.Lock()
	m.failed[q.Seq] = reason
	m.mu.Unlock()
	return m.Done(q.Seq)
}
func (m *memStore) left() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.rows) }

func (m *memStore) Stop(channel, chat string, _ time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	kept := m.rows[:0]
	for _, r := range m.rows {
		if r.Chat == chat {
			n++
			continue
		}
		kept = append(kept, r)
	}
	m.rows = kept
	m.stopped = append(m.stopped, chat)
	return n, nil
}

func (m *memStore) Queued(seq uint64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows {
		if r.Seq == seq {
			return true, nil
		}
	}
	return false, nil
}

func (m *memStore) Replace(seq uint64, out []flows.Outgoing) error {
	if err := m.Done(seq); err != nil {
		return err
	}
	m.queue(out...)
	return nil
}

func (m *memStore) Migrate(channel, from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.rows {
		if m.rows[i].Chat == from {
			m.rows[i].Chat = to
		}
	}
	return nil
}

// runBot starts a bot on the fake with the in-memory store and returns a
// stop function and its log.
func runBot(t *testing.T, srv *telegramtest.Server, st Store) (stop func(), log *bytes.Buffer) {
	t.Helper()
	return runBotWith(t, srv, st, Limits{PerSecond: 1000, PerChatSecond: 1000, PerChatBurst: 100, GroupPerMinute: 60000})
}

func runBotWith(t testing.TB, srv *telegramtest.Server, st Store, limits Limits) (stop func(), log *bytes.Buffer) {
	t.Helper()
	return runBotConfig(t, srv, st, func(c *Config) { c.Limits = limits })
}

// runBotConfig is runBot with the test's changes to the configuration.
func runBotConfig(t testing.TB, srv *telegramtest.Server, st Store, change func(*Config)) (stop func(), log *bytes.Buffer) {
	t.Helper()
	log = &bytes.Buffer{}
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, log}, nil))
	cfg := Config{Token: telegramtest.Token, Endpoint: srv.Endpoint(), Store: st, Common: channel.Common{Logger: logger,
		PollTimeout: time.Second, Limits: Limits{PerSecond: 1000, PerChatSecond: 1000, PerChatBurst: 100, GroupPerMinute: 60000},
		RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}}
	change(&cfg)
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
	}, log
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func msg(chat, text string) flows.Outgoing {
	return flows.Outgoing{Kind: flows.OutMessage, Channel: Channel, Chat: chat, Reply: flows.Reply{Text: text}}
}

// TestSenderFaults: each kind of Bot API failure ends as it must, and the
// messages of a chat leave in the order they were queued.
func TestSenderFaults(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	u := telegramtest.User{ID: 700, FirstName: "A"}
	srv.SendText(u, "hi") // the bot may write only to chats that wrote to it
	var mu sync.Mutex
	fails := map[string]int{}
	srv.Inject(func(method string, p map[string]string) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		text := p["text"]
		switch {
		case text == "five-hundred" && fails[text] < 2:
			fails[text]++
			return &telegramtest.Fault{Status: 500, Description: "Internal Server Error"}
		case text == "throttled" && fails[text] < 1:
			fails[text]++
			return &telegramtest.Fault{RetryAfter: 1}
		case text == "dropped-connection" && fails[text] < 1:
			fails[text]++
			return &telegramtest.Fault{Drop: true}
		case text == "blocked":
			return &telegramtest.Fault{Status: 403, Description: "Forbidden: bot was blocked by the user"}
		case text == "unchanged":
			return &telegramtest.Fault{Status: 400, Description: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"}
		}
		return nil
	})
	st := newMemStore()
	stop, log := runBot(t, srv, st)
	edit := msg("700", "gone message edited")
	edit.EditRef = "999999"
	unchanged := msg("700", "unchanged")
	unchanged.EditRef = "1"
	blocker := telegramtest.User{ID: 701, FirstName: "B"}
	srv.SendText(blocker, "hi")
	st.queue(msg("700", "five-hundred"), msg("700", "after-500"), msg("701", "blocked"), msg("700", "throttled"), msg("701", "after-blocked"),
		msg("700", "dropped-connection"), msg("424242", "to a chat that never wrote"), unchanged, edit, msg("700", "last"))
	if !srv.Wait(15*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows never left the outbox", st.left())
	}
	stop()
	var texts []string
	for _, m := range srv.Messages(700) {
		if m.FromBot {
			texts = append(texts, m.Text)
		}
	}
	want := []string{"five-hundred", "after-500", "throttled", "dropped-connection", "gone message edited", "last"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("delivered %q\nwant      %q", texts, want)
	}
	for _, m := range srv.Messages(701) {
		if m.FromBot {
			t.Errorf("a chat that blocked the bot got %q", m.Text)
		}
	}
	if len(st.stopped) != 1 || st.stopped[0] != "701" {
		t.Errorf("stopped chats = %v, want [701]", st.stopped)
	}
	if len(st.failed) != 1 {
		t.Errorf("dead letters = %v, want only the unknown chat", st.failed)
	}
	for _, r := range st.failed {
		if !strings.Contains(r, "chat not found") {
			t.Errorf("dead letter reason %q", r)
		}
	}
	// No request reached Telegram before retry_after had passed.
	var first, second time.Time
	for _, c := range srv.Calls() {
		if c.Params["text"] == "throttled" {
			if first.IsZero() {
				first = c.At
			} else if second.IsZero() {
				second = c.At
			}
		}
	}
	if second.Sub(first) < time.Second {
		t.Errorf("retried %s after a 429 with retry_after 1s", second.Sub(first))
	}
	if strings.Contains(log.String(), telegramtest.Token) || strings.Contains(log.String(), "TEST-token") {
		t.Errorf("the token appears in the log:\n%s", log.String())
	}
}

func TestPollBacksOffAndExplainsConflict(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	var mu sync.Mutex
	conflicts := 0
	srv.Inject(func(method string, _ map[string]string) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if method == "getUpdates" && conflicts < 2 {
			conflicts++
			return &telegramtest.Fault{Status: 409, Description: "Conflict: terminated by other getUpdates request"}
		}
		return nil
	})
	st := &applyStore{memStore: newMemStore()}
	stop, log := runBot(t, srv, st)
	srv.SendText(telegramtest.User{ID: 9, FirstName: "B"}, "hello")
	if !srv.Wait(10*time.Second, func() bool { return st.applied() > 0 }) {
		t.Fatal("the update after the conflicts was never applied")
	}
	stop()
	if !strings.Contains(log.String(), "another process is polling") {
		t.Errorf("a 409 is not explained in the log:\n%s", log.String())
	}
}

type applyStore struct {
	*memStore
	n int
}

func (a *applyStore) Apply(b flows.Batch) error {
	a.mu.Lock()
	a.n += len(b.Envelopes)
	a.mu.Unlock()
	return nil
}

func (a *applyStore) applied() int { a.mu.Lock(); defer a.mu.Unlock(); return a.n }
