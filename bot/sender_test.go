package bot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/internal/channel"
)

// TestInteractiveOvertakesBroadcast: a parent's reply committed behind a
// broadcast burst goes out next, not after the burst.
func TestInteractiveOvertakesBroadcast(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	const n = 120
	var rows []flows.Outgoing
	for i := range n {
		u := telegramtest.User{ID: int64(10000 + i), FirstName: "P"}
		srv.SendText(u, "hi")
		o := msg(strconv.Itoa(10000+i), fmt.Sprintf("broadcast %d", i))
		o.Priority = flows.PriorityBroadcast
		rows = append(rows, o)
	}
	parent := telegramtest.User{ID: 999, FirstName: "Parent"}
	srv.SendText(parent, "hi")
	st := newMemStore()
	st.queue(rows...)
	stop, _ := runBotWith(t, srv, st, Limits{PerSecond: 30, PerChatSecond: 1, PerChatBurst: 3, GroupPerMinute: 20})
	defer stop()
	broadcasts := func() int {
		c := 0
		for _, call := range srv.Calls() {
			if call.Method == "sendMessage" && strings.HasPrefix(call.Params["text"], "broadcast") {
				c++
			}
		}
		return c
	}
	if !srv.Wait(10*time.Second, func() bool { return broadcasts() >= 20 }) {
		t.Fatal("the broadcast did not start")
	}
	before := broadcasts()
	reply := msg("999", "Câu 5/16")
	reply.Priority = flows.PriorityInteractive
	st.queue(reply)
	if !srv.Wait(5*time.Second, func() bool { _, ok := srv.Last(999); return ok }) {
		t.Fatal("the parent's reply was not delivered")
	}
	if waited := broadcasts() - before; waited > 5 {
		t.Errorf("the parent's reply waited behind %d broadcast messages", waited)
	}
}

// TestOutageLosesNothing: while Telegram answers 502, nothing is dropped;
// after it recovers everything is delivered, in order within each chat.
func TestOutageLosesNothing(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	const chats, per = 5, 15
	for c := range chats {
		srv.SendText(telegramtest.User{ID: int64(800 + c), FirstName: "P"}, "hi")
	}
	var mu sync.Mutex
	outage := true
	srv.Inject(func(method string, _ map[string]string) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if outage && method == "sendMessage" {
			return &telegramtest.Fault{Status: 502, Description: "Bad Gateway"}
		}
		return nil
	})
	st := newMemStore()
	stop, _ := runBot(t, srv, st)
	defer stop()
	for i := range per {
		var batch []flows.Outgoing
		for c := range chats {
			batch = append(batch, msg(strconv.Itoa(800+c), fmt.Sprintf("chat %d message %02d", c, i)))
		}
		st.queue(batch...)
	}
	time.Sleep(300 * time.Millisecond)
	if st.left() != chats*per {
		t.Fatalf("%d rows left the outbox during the outage", chats*per-st.left())
	}
	mu.Lock()
	outage = false
	mu.Unlock()
	if !srv.Wait(10*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows still queued after the outage", st.left())
	}
	for c := range chats {
		var got []string
		for _, m := range srv.Messages(int64(800 + c)) {
			if m.FromBot {
				got = append(got, m.Text)
			}
		}
		if len(got) != per {
			t.Errorf("chat %d got %d messages, want %d", c, len(got), per)
		}
		for i := range got {
			if want := fmt.Sprintf("chat %d message %02d", c, i); got[i] != want {
				t.Errorf("chat %d message %d is %q, want %q", c, i, got[i], want)
			}
		}
	}
}

// TestMigratedGroup: a group that became a supergroup gets its messages
// at the new id.
func TestMigratedGroup(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	staff := telegramtest.User{ID: 5, FirstName: "S"}
	srv.SendGroupText(-100, "Phòng", staff, "/danhsach")
	srv.SendGroupText(-1009, "Phòng", staff, "/danhsach")
	srv.Inject(func(method string, p map[string]string) *telegramtest.Fault {
		if p["chat_id"] == "-100" {
			return &telegramtest.Fault{MigrateTo: -1009}
		}
		return nil
	})
	st := newMemStore()
	stop, _ := runBot(t, srv, st)
	defer stop()
	st.queue(msg("-100", "digest 1"), msg("-100", "digest 2"))
	if !srv.Wait(10*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows still queued", st.left())
	}
	var got []string
	for _, m := range srv.Messages(-1009) {
		if m.FromBot {
			got = append(got, m.Text)
		}
	}
	if strings.Join(got, "|") != "digest 1|digest 2" {
		t.Errorf("the supergroup got %q", got)
	}
}

// cursorStore serves a stored offset of a given age.
type cursorStore struct {
	*memStore
	offset int64
	at     time.Time
}

func (c *cursorStore) Cursor(string) (int64, time.Time, error) { return c.offset, c.at, nil }

// TestStaleOffsetStartsOver: an offset stored over 7 days ago points at
// updates Telegram no longer has; polling starts from its oldest instead.
// One stored six and a half days ago too: the quiet stretch Telegram may
// renumber after counts from the last update, not from the restart.
func TestStaleOffsetStartsOver(t *testing.T) {
	for _, tc := range []struct {
		age  time.Duration
		want string
	}{{8 * 24 * time.Hour, ""}, {6*24*time.Hour + 12*time.Hour, ""}, {time.Hour, "500"}} { // the library leaves out a zero offset
		srv := telegramtest.NewServer()
		st := &cursorStore{memStore: newMemStore(), offset: 500, at: time.Now().Add(-tc.age)}
		stop, _ := runBot(t, srv, st)
		srv.Wait(5*time.Second, func() bool {
			for _, c := range srv.Calls() {
				if c.Method == "getUpdates" {
					return true
				}
			}
			return false
		})
		stop()
		for _, c := range srv.Calls() {
			if c.Method == "getUpdates" {
				if got := c.Params["offset"]; got != tc.want {
					t.Errorf("offset stored %s ago: polled from %q, want %q", tc.age, got, tc.want)
				}
				break
			}
		}
		srv.Close()
	}
}

// TestWebhookDeletedWhenAllowed: a webhook blocking getUpdates is deleted
// when the config allows it, and polling goes on.
func TestWebhookDeletedWhenAllowed(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	var mu sync.Mutex
	webhook, polled := true, false
	srv.Inject(func(method string, _ map[string]string) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		// Someone sets the webhook again after start-up: only a deletion
		// after a refused poll clears it.
		if method == "deleteWebhook" && polled {
			webhook = false
		}
		if method == "getUpdates" {
			polled = true
		}
		if method == "getUpdates" && webhook {
			return &telegramtest.Fault{Status: 409, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		return nil
	})
	st := &applyStore{memStore: newMemStore()}
	log := &bytes.Buffer{}
	var lmu sync.Mutex
	b, err := New(Config{Token: telegramtest.Token, Endpoint: srv.Endpoint(), Store: st, DeleteWebhook: true,
		Common: channel.Common{PollTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(lockedWriter{&lmu, log}, nil)),
			RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	srv.SendText(telegramtest.User{ID: 9, FirstName: "B"}, "hello")
	ok := srv.Wait(10*time.Second, func() bool { return st.applied() > 0 })
	cancel()
	<-done
	if !ok {
		t.Fatalf("updates were never received; log:\n%s", log.String())
	}
}

// TestUnauthorizedPausesEverything: a 401 (a revoked token) blames no
// message: nothing is set aside, and all goes out once it is fixed.
func TestUnauthorizedPausesEverything(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	srv.SendText(telegramtest.User{ID: 700, FirstName: "A"}, "hi")
	var mu sync.Mutex
	broken := true
	srv.Inject(func(method string, _ map[string]string) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if broken && method == "sendMessage" {
			return &telegramtest.Fault{Status: 401, Description: "Unauthorized"}
		}
		return nil
	})
	st := newMemStore()
	stop, _ := runBot(t, srv, st)
	defer stop()
	st.queue(msg("700", "one"), msg("700", "two"))
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	broken = false
	mu.Unlock()
	if !srv.Wait(10*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows never left", st.left())
	}
	if len(st.failed) != 0 {
		t.Errorf("a 401 set rows aside: %v", st.failed)
	}
}

// TestSentIsRecordedThroughFailures: a message sent whose removal from the
// outbox fails is not forgotten in memory while it stays in the store (it
// would go again after a restart): the removal is tried until it works.
func TestSentIsRecordedThroughFailures(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	srv.SendText(telegramtest.User{ID: 77, FirstName: "P"}, "hi")
	st := newMemStore()
	st.doneFails = 2
	st.queue(msg("77", "Câu 1/16"))
	stop, _ := runBot(t, srv, st)
	defer stop()
	if !srv.Wait(10*time.Second, func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		return len(st.rows) == 0
	}) {
		t.Fatal("the sent row was never removed from the outbox")
	}
	if n := len(srv.Messages(77)); n != 2 {
		t.Errorf("%d messages in the chat; want the parent's and one reply", n)
	}
}
