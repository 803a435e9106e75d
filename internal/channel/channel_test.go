package channel

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"hailong/flows"
	"hailong/outbox"
)

var quiet = slog.New(slog.DiscardHandler)

func TestWithDefaults(t *testing.T) {
	own := Limits{PerSecond: 7, PerChatSecond: 2, PerChatBurst: 1}
	c := Common{}.WithDefaults(own)
	if c.Logger == nil || c.Now == nil || c.PollTimeout != 30*time.Second || c.Limits != own || c.MaxInFlight != outbox.DefaultMaxInFlight {
		t.Errorf("zero settings filled as %+v", c)
	}
	set := Common{Logger: quiet, PollTimeout: time.Second, MaxInFlight: 3, Limits: Limits{PerSecond: 1}}
	if c := set.WithDefaults(own); c.Logger != quiet || c.PollTimeout != time.Second || c.MaxInFlight != 3 || c.Limits.PerSecond != 1 {
		t.Errorf("settings given were changed: %+v", c)
	}
}

func TestChatLimiter(t *testing.T) {
	r := New("test", Common{Limits: Limits{PerSecond: 30, PerChatSecond: 1, PerChatBurst: 3, GroupPerMinute: 20}}.WithDefaults(Limits{}), quiet)
	a := r.ChatLimiter("1", false)
	if a != r.ChatLimiter("1", false) {
		t.Error("a chat got a second limiter")
	}
	if a == r.ChatLimiter("2", false) {
		t.Error("two chats share a limiter")
	}
	g := r.ChatLimiter("-5", true)
	if g.Limit() >= a.Limit() || g.Limit() <= 0 {
		t.Errorf("a group is paced at %v, a private chat at %v: want the group's 20 a minute, slower", g.Limit(), a.Limit())
	}
	if a.Burst() != 3 || g.Burst() != 3 {
		t.Errorf("bursts %d and %d, want 3", a.Burst(), g.Burst())
	}
	// Without a group rate (Zalo) a group is paced as any chat.
	z := New("test", Common{Limits: Limits{PerSecond: 20, PerChatSecond: 1, PerChatBurst: 3}}.WithDefaults(Limits{}), quiet)
	if l := z.ChatLimiter("-5", true); l.Limit() != z.ChatLimiter("6", false).Limit() {
		t.Errorf("a group without a group rate is paced at %v", l.Limit())
	}
	if r.Global().Limit() == rate.Inf || r.Global().Limit() <= 0 {
		t.Errorf("global limit %v", r.Global().Limit())
	}
}

// TestChatLimitersPruned: a chat's limiter that has refilled is as good as
// a fresh one, so once the map grows past pruneChats such limiters are
// forgotten and the map is small again; a chat whose limiter is not full
// keeps it, and with it its pace.
func TestChatLimitersPruned(t *testing.T) {
	r := New("test", Common{Limits: Limits{PerSecond: 30, PerChatSecond: 1, PerChatBurst: 3}}.WithDefaults(Limits{}), quiet)
	now := time.Now()
	busy := r.ChatLimiter("busy", false)
	if !busy.AllowN(now, 3) {
		t.Fatal("a fresh limiter refused its burst")
	}
	for i := range pruneChats {
		// Each chat sent its burst a minute ago: refilled since.
		r.ChatLimiter(strconv.Itoa(i), false).AllowN(now.Add(-time.Minute), 3)
	}
	r.mu.Lock()
	n := len(r.chats)
	r.mu.Unlock()
	if n > 2 {
		t.Errorf("%d limiters kept after %d chats whose limiters refilled, want the busy chat's and the last", n, pruneChats+1)
	}
	if l := r.ChatLimiter("busy", false); l != busy {
		t.Fatal("the busy chat's limiter was forgotten: it would get a fresh burst")
	}
	if busy.Allow() {
		t.Error("the busy chat may send again at once: its pace was lost")
	}
	// Chats that are not full are all kept, however many.
	for i := range pruneChats + 10 {
		r.ChatLimiter("full-"+strconv.Itoa(i), false).AllowN(now, 3)
	}
	r.mu.Lock()
	n = len(r.chats)
	r.mu.Unlock()
	if n < pruneChats+10 {
		t.Errorf("%d limiters kept, want every one of the %d chats whose limiter is not full", n, pruneChats+10)
	}
}

func TestScreen(t *testing.T) {
	r := New("test", Common{Flood: 2, FloodWindow: time.Hour, FloodPause: time.Hour}.WithDefaults(Limits{}), quiet)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	text := flows.Envelope{User: "u", Input: flows.Input{Kind: flows.KindText, Text: "hi", Now: now, Numbered: true, Group: true}}
	for i := range 2 {
		if env, ok := r.Screen(text); !ok || env.Input.Kind != flows.KindText {
			t.Fatalf("update %d within the limit: %v %+v", i+1, ok, env.Input)
		}
	}
	env, ok := r.Screen(text)
	if want := (flows.Input{Kind: flows.KindFlood, Now: now, Numbered: true, Group: true}); !ok || env.Input != want {
		t.Fatalf("the update crossing the limit: %v %+v, want the warning %+v", ok, env.Input, want)
	}
	if _, ok := r.Screen(text); ok {
		t.Error("a flooding user's text was kept")
	}
	press := text
	press.CallbackID, press.Input = "cb", flows.Input{Kind: flows.KindButton, Data: "x", Now: now, Numbered: true}
	if env, ok := r.Screen(press); !ok || env.Input != (flows.Input{Kind: flows.KindIgnored, Now: now, Numbered: true}) {
		t.Errorf("a flooding user's press: %v %+v, want it kept to be acknowledged, ignored", ok, env.Input)
	}
	other := text
	other.User = "v"
	if env, ok := r.Screen(other); !ok || env.Input.Kind != flows.KindText {
		t.Error("another user was held up by the flooding one")
	}
}

// TestScreenOnce: an update delivered again (same user, same id) gets the
// word it got the first time and is not counted again; other updates are
// counted; an update without an id is counted each time; only the last
// RecentUpdates updates are remembered.
func TestScreenOnce(t *testing.T) {
	r := New("test", Common{Flood: 2, FloodWindow: time.Hour, FloodPause: time.Hour}.WithDefaults(Limits{}), quiet)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	text := flows.Envelope{User: "u", Input: flows.Input{Kind: flows.KindText, Text: "hi", Now: now, Numbered: true}}
	for i := range 10 {
		if env, ok := r.ScreenOnce("m1", text); !ok || env.Input.Kind != flows.KindText {
			t.Fatalf("delivery %d of one update: %v %+v", i+1, ok, env.Input)
		}
	}
	if env, ok := r.ScreenOnce("m2", text); !ok || env.Input.Kind != flows.KindText {
		t.Fatalf("a second update within the limit: %v %+v", ok, env.Input)
	}
	for i := range 3 {
		if env, ok := r.ScreenOnce("m3", text); !ok || env.Input.Kind != flows.KindFlood {
			t.Fatalf("delivery %d of the update crossing the limit: %v %+v, want the warning each time", i+1, ok, env.Input)
		}
	}
	for i := range 3 {
		if _, ok := r.ScreenOnce("m4", text); ok {
			t.Fatalf("delivery %d of an update within the pause was kept", i+1)
		}
	}
	// The same id from another user is another update.
	other := text
	other.User = "v"
	if env, ok := r.ScreenOnce("m4", other); !ok || env.Input.Kind != flows.KindText {
		t.Errorf("another user's update of the same id: %v %+v", ok, env.Input)
	}

	// Without an id, each delivery counts.
	w := New("test", Common{Flood: 2, FloodWindow: time.Hour, FloodPause: time.Hour}.WithDefaults(Limits{}), quiet)
	for range 2 {
		w.ScreenOnce("", text)
	}
	if env, _ := w.ScreenOnce("", text); env.Input.Kind != flows.KindFlood {
		t.Errorf("the third update without an id: %+v, want the warning", env.Input)
	}

	// Remembered: the last RecentUpdates updates, whoever sent them.
	m := New("test", Common{Flood: 2, FloodWindow: time.Hour, FloodPause: time.Hour}.WithDefaults(Limits{}), quiet)
	kind := func(id string) flows.InputKind {
		env, ok := m.ScreenOnce(id, text)
		if !ok {
			t.Fatalf("update %s dropped", id)
		}
		return env.Input.Kind
	}
	filler := func(i int) {
		f := text
		f.User = "f" + strconv.Itoa(i)
		m.ScreenOnce("x", f)
	}
	kind("first") // counted: 1
	for i := range RecentUpdates - 1 {
		filler(i)
	}
	if k := kind("first"); k != flows.KindText { // remembered: still 1
		t.Fatalf("a remembered update: %v", k)
	}
	filler(RecentUpdates) // the oldest, u's first, is forgotten
	if len(m.recent.words) != RecentUpdates || len(m.recent.order) != RecentUpdates {
		t.Errorf("%d updates remembered (%d in order), want %d", len(m.recent.words), len(m.recent.order), RecentUpdates)
	}
	if k := kind("first"); k != flows.KindText { // counted anew: 2
		t.Fatalf("a forgotten update delivered again: %v", k)
	}
	if k := kind("second"); k != flows.KindFlood { // 3
		t.Errorf("the update after a forgotten one was counted again: %v, want the warning", k)
	}
}

// TestRun: the sender delivers the store's rows while the channel
// receives, and stops when receiving ends, which Run reports.
func TestRun(t *testing.T) {
	st := &oneRow{changed: make(chan struct{})}
	tr := &recorder{got: make(chan flows.Queued, 1)}
	r := New("test", Common{Logger: quiet}.WithDefaults(Limits{PerSecond: 100, PerChatSecond: 100, PerChatBurst: 10}), quiet)
	stopped := errors.New("connection refused")
	done := make(chan error, 1)
	go func() {
		done <- r.Run(context.Background(), st, tr, func(ctx context.Context) error {
			select {
			case q := <-tr.got:
				if q.Seq != 1 {
					t.Errorf("sent row %d", q.Seq)
				}
			case <-time.After(10 * time.Second):
				t.Error("the sender sent nothing while the channel received")
			}
			return stopped
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, stopped) {
			t.Errorf("Run = %v, want receive's error", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after receiving ended")
	}
	if r.Sent() != 1 || !st.done() {
		t.Errorf("sent %d, row recorded as delivered: %v", r.Sent(), st.done())
	}
}

// oneRow is an outbox holding one row for chat 1.
type oneRow struct {
	mu        sync.Mutex
	delivered bool
	changed   chan struct{}
}

func (s *oneRow) PendingAfter(_ string, after uint64, _ int) ([]flows.Queued, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if after >= 1 || s.delivered {
		return nil, 1, nil
	}
	return []flows.Queued{{Seq: 1, Outgoing: flows.Outgoing{Kind: flows.OutMessage, Channel: "test", Chat: "1", Reply: flows.Reply{Text: "hi"}}}}, 1, nil
}

func (s *oneRow) PendingUrgent(string, uint64, int) ([]flows.Queued, uint64, error) {
	return nil, 0, nil
}

func (s *oneRow) Done(seqs ...uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delivered = len(seqs) == 1 && seqs[0] == 1
	return nil
}

func (s *oneRow) done() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

func (s *oneRow) Fail(flows.Queued, string, time.Time) error  { return nil }
func (s *oneRow) Changed() <-chan struct{}                    { return s.changed }
func (s *oneRow) Stop(string, string, time.Time) (int, error) { return 0, nil }
func (s *oneRow) Migrate(string, string, string) error        { return nil }
func (s *oneRow) Replace(uint64, []flows.Outgoing) error      { return nil }
func (s *oneRow) Queued(uint64) (bool, error)                 { return true, nil }
func (t *recorder) ChatLimiter(flows.Queued) *rate.Limiter    { return nil }
func (t *recorder) Send(_ context.Context, q flows.Queued) outbox.Verdict {
	t.got <- q
	return outbox.Verdict{}
}

// recorder is a transport that passes on what it is given to send.
type recorder struct{ got chan flows.Queued }
