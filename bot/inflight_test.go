package bot

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/internal/fakeapi"
)

// botTexts is what the bot wrote into a chat, in the chat's order.
func botTexts(srv *telegramtest.Server, chat int64) []string {
	var out []string
	for _, m := range srv.Messages(chat) {
		if m.FromBot {
			out = append(out, m.Text)
		}
	}
	return out
}

// chatsOnNetwork starts the fake, lat away, with chats users (ids from
// base) who wrote to the bot.
func chatsOnNetwork(t *testing.T, base int64, chats int, lat fakeapi.Latency) *telegramtest.Server {
	t.Helper()
	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	for c := range chats {
		srv.SendText(telegramtest.User{ID: base + int64(c), FirstName: "P"}, "hi")
	}
	srv.SetLatency(lat)
	return srv
}

// queueChats queues per messages for each of chats chats (ids from base),
// round-robin, as replies to many parents are committed.
func queueChats(st *memStore, base int64, chats, per int, tag string) {
	for i := range per {
		var batch []flows.Outgoing
		for c := range chats {
			batch = append(batch, msg(strconv.FormatInt(base+int64(c), 10), fmt.Sprintf("%s %d/%02d", tag, c, i)))
		}
		st.queue(batch...)
	}
}

// checkOrder fails unless every chat got exactly its per messages, in the
// order they were queued.
func checkOrder(t *testing.T, srv *telegramtest.Server, base int64, chats, per int, tag string) {
	t.Helper()
	for c := range chats {
		var got []string
		for _, text := range botTexts(srv, base+int64(c)) {
			if strings.HasPrefix(text, tag+" ") {
				got = append(got, text)
			}
		}
		var want []string
		for i := range per {
			want = append(want, fmt.Sprintf("%s %d/%02d", tag, c, i))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("chat %d got %q, want %q", c, got, want)
		}
	}
}

// TestManyInFlightKeepsEachChatsOrder: across a network (100 ms a round
// trip) the sender keeps many requests outstanding — one per chat, so
// each chat's messages arrive in the order they were queued — and reuses
// its connections: a second round opens none.
func TestManyInFlightKeepsEachChatsOrder(t *testing.T) {
	const base, chats, per = 3000, 40, 4
	srv := chatsOnNetwork(t, base, chats, fakeapi.Latency{RTT: 100 * time.Millisecond, Jitter: 40 * time.Millisecond})
	st := newMemStore()
	stop, _ := runBotConfig(t, srv, st, func(c *Config) { c.MaxInFlight = 32 })
	defer stop()
	queueChats(st, base, chats, per, "first")
	if !srv.Wait(20*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows still queued", st.left())
	}
	checkOrder(t, srv, base, chats, per, "first")
	if peak := srv.PeakInFlight(); peak < 16 || peak > 32+1 {
		// +1: the command menu set at start may overlap.
		t.Errorf("at most %d requests were in flight at once; want many, and no more than 32 (+1)", peak)
	}
	opened := srv.Conns()
	if opened > 32+4 {
		t.Errorf("%d connections opened for at most 32 requests in flight and a long poll", opened)
	}
	queueChats(st, base, chats, per, "second")
	if !srv.Wait(20*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows still queued", st.left())
	}
	checkOrder(t, srv, base, chats, per, "second")
	if again := srv.Conns() - opened; again > 2 {
		t.Errorf("the second round opened %d more connections; the first round's were not reused", again)
	}
}

// TestThrottledChatWhileOthersInFlight: a 429 for one chat, while requests
// to others are outstanding, pauses only that chat for retry_after; every
// message arrives once, in order.
func TestThrottledChatWhileOthersInFlight(t *testing.T) {
	const base, chats, per = 4000, 12, 3
	srv := chatsOnNetwork(t, base, chats, fakeapi.Latency{RTT: 80 * time.Millisecond})
	var mu sync.Mutex
	throttled := false
	srv.Inject(func(method string, p map[string]string) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if p["text"] == "t 0/00" && !throttled {
			throttled = true
			return &telegramtest.Fault{RetryAfter: 1}
		}
		return nil
	})
	st := newMemStore()
	stop, _ := runBot(t, srv, st)
	defer stop()
	queueChats(st, base, chats, per, "t")
	if !srv.Wait(20*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows still queued", st.left())
	}
	checkOrder(t, srv, base, chats, per, "t")
	var refused, retried, lastOther time.Time
	for _, c := range srv.Calls() {
		switch {
		case c.Params["text"] == "t 0/00" && refused.IsZero():
			refused = c.At
		case c.Params["text"] == "t 0/00":
			retried = c.At
		case strings.HasPrefix(c.Params["text"], "t ") && !strings.HasPrefix(c.Params["text"], "t 0/"):
			lastOther = c.At
		}
	}
	if retried.Sub(refused) < time.Second {
		t.Errorf("the throttled chat was written again %s after a 429 with retry_after 1", retried.Sub(refused))
	}
	if !lastOther.Before(retried) {
		t.Errorf("the other chats waited for the throttled one: their last message at %s, the retry at %s", lastOther, retried)
	}
}

// TestShutdownWithRequestsInFlight: stopped while many requests are
// outstanding, the sender lets them finish and records them; after a
// restart every message has arrived exactly once.
func TestShutdownWithRequestsInFlight(t *testing.T) {
	const base, chats, per = 5000, 30, 2
	srv := chatsOnNetwork(t, base, chats, fakeapi.Latency{RTT: 400 * time.Millisecond})
	st := newMemStore()
	stop, _ := runBot(t, srv, st)
	queueChats(st, base, chats, per, "s")
	sent := func() int {
		n := 0
		for _, c := range srv.Calls() {
			if c.Method == "sendMessage" {
				n++
			}
		}
		return n
	}
	if !srv.Wait(10*time.Second, func() bool { return sent() >= 10 }) {
		t.Fatal("nothing was sent")
	}
	stop() // with requests on their way
	stop2, _ := runBot(t, srv, st)
	defer stop2()
	if !srv.Wait(20*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows still queued after the restart", st.left())
	}
	checkOrder(t, srv, base, chats, per, "s")
}

// TestSupersededEditsAreCoalesced: of a chat's queued edits of one
// message only the newest is sent; new messages and edits of other
// messages all go, in order, and every row leaves the outbox.
func TestSupersededEditsAreCoalesced(t *testing.T) {
	srv := chatsOnNetwork(t, 6000, 1, fakeapi.Latency{})
	st := newMemStore()
	stop, _ := runBot(t, srv, st)
	st.queue(msg("6000", "m1"), msg("6000", "m2"))
	if !srv.Wait(5*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatal("the first messages were not sent")
	}
	stop()
	ids := map[string]string{}
	for _, m := range srv.Messages(6000) {
		if m.FromBot {
			ids[m.Text] = strconv.Itoa(m.ID)
		}
	}
	edit := func(ref, text string) flows.Outgoing {
		o := msg("6000", text)
		o.EditRef = ids[ref]
		// The step's buttons: the edit shows the step in progress.
		o.Reply.Buttons = [][]flows.Button{{{Label: "Có", Data: "9:a:yes:A1"}}}
		return o
	}
	saved := msg("6000", "m2 saved")
	saved.EditRef = ids["m2"]
	// m2 is told the survey was saved: that goes, though a later edit of
	// m2 follows (without the step's buttons, or it would be the step's
	// newest copy and m1's edits would go to it).
	menu := msg("6000", "m2 w1")
	menu.EditRef = ids["m2"]
	st.queue(edit("m1", "m1 v1"), edit("m1", "m1 v2"), msg("6000", "n1"), saved, menu, edit("m1", "m1 v3"), msg("6000", "n2"))
	stop, _ = runBot(t, srv, st)
	defer stop()
	if !srv.Wait(5*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows still queued", st.left())
	}
	var got []string
	for _, c := range srv.Calls() {
		if c.Method == "sendMessage" || c.Method == "editMessageText" {
			got = append(got, c.Method+" "+c.Params["text"])
		}
	}
	want := []string{"sendMessage m1", "sendMessage m2", "sendMessage n1", "editMessageText m2 saved", "editMessageText m2 w1", "editMessageText m1 v3", "sendMessage n2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls:\n got %q\nwant %q", got, want)
	}
	if texts := botTexts(srv, 6000); strings.Join(texts, "|") != "m1 v3|m2 w1|n1|n2" {
		t.Errorf("the chat shows %q", texts)
	}
}

// TestOlderPromptLosesItsButtons: when another message comes to show the
// step in progress, the one that showed it before loses its buttons; a
// message without step buttons (a menu) keeps its own.
func TestOlderPromptLosesItsButtons(t *testing.T) {
	srv := chatsOnNetwork(t, 6100, 1, fakeapi.Latency{})
	st := newMemStore()
	stop, _ := runBot(t, srv, st)
	defer stop()
	prompt := func(text string, nonce int, ref string) flows.Outgoing {
		o := msg("6100", text)
		o.Reply.Buttons = [][]flows.Button{{{Label: "Có", Data: strconv.Itoa(nonce) + ":a:yes:A1"}}}
		o.EditRef = ref
		return o
	}
	menu := msg("6100", "menu")
	menu.Reply.Buttons = [][]flows.Button{{{Label: "📝 Làm khảo sát", Data: "m:s"}}}
	st.queue(menu, prompt("question 1", 5, ""))
	keyboards := func() map[string]bool {
		out := map[string]bool{}
		for _, m := range srv.Messages(6100) {
			if m.FromBot {
				out[m.Text] = len(m.Keyboard) > 0
			}
		}
		return out
	}
	if !srv.Wait(5*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatal("not sent")
	}
	st.queue(prompt("note, then question 1 again", 5, ""))
	if !srv.Wait(5*time.Second, func() bool { k := keyboards(); return k["note, then question 1 again"] && !k["question 1"] }) {
		t.Fatalf("the older copy kept its buttons: %v", keyboards())
	}
	// A tap on the older copy (its buttons not yet gone) moves the step
	// on in the newest copy, which the parent reads at the bottom of the
	// chat; the older has no buttons.
	var older string
	for _, m := range srv.Messages(6100) {
		if m.Text == "question 1" {
			older = strconv.Itoa(m.ID)
		}
	}
	st.queue(prompt("question 2", 6, older))
	if !srv.Wait(5*time.Second, func() bool { k := keyboards(); return k["question 2"] && !k["question 1"] }) {
		t.Fatalf("after the tap on the older copy: %v", keyboards())
	}
	if k := keyboards(); len(k) != 3 || !k["menu"] {
		t.Errorf("the chat shows %v; want the menu (its buttons kept), question 1 (none) and question 2", k)
	}
}

// TestSupersedes: an edit is superseded only by a later text edit of the
// same message that shows the step if it does (an edit showing the step
// may go to a newer copy instead, and must not take the other's place).
func TestSupersedes(t *testing.T) {
	edit := func(ref string, prompt bool) flows.Queued {
		q := flows.Queued{Outgoing: msg("1", "x")}
		q.EditRef = ref
		if prompt {
			q.Reply.Buttons = [][]flows.Button{{{Label: "Có", Data: "3:a:yes:A1"}}}
		}
		return q
	}
	photo := edit("5", false)
	photo.Reply.Photo = "file-id"
	other := edit("5", false)
	other.Chat = "2"
	for _, tc := range []struct {
		name         string
		older, newer flows.Queued
		want         bool
	}{
		{"two steps in a message", edit("5", true), edit("5", true), true},
		{"the survey saved, then the menu", edit("5", false), edit("5", false), false},
		{"a step, then the survey saved", edit("5", true), edit("5", false), false},
		{"another message", edit("5", false), edit("6", false), false},
		{"a new message", edit("5", false), edit("", false), false},
		{"the intro, then the step", edit("5", false), edit("5", true), false},
		{"a photo", photo, edit("5", false), false},
		{"another chat", edit("5", false), other, false},
	} {
		if got := (transport{}).Supersedes(tc.older, tc.newer); got != tc.want {
			t.Errorf("%s: Supersedes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestAcknowledgedWhileMessagesFillTheFlight: with every request slot for
// messages taken by slow sends, a button press is still acknowledged at
// once: part of max_in_flight is kept for acknowledgements.
func TestAcknowledgedWhileMessagesFillTheFlight(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	const base, chats = 6200, 20
	for c := range chats {
		srv.SendText(telegramtest.User{ID: base + int64(c), FirstName: "P"}, "hi")
	}
	release := make(chan struct{})
	srv.Inject(func(method string, _ map[string]string) *telegramtest.Fault {
		if method == "sendMessage" {
			<-release
		}
		return nil
	})
	defer close(release)
	st := newMemStore()
	stop, _ := runBotConfig(t, srv, st, func(c *Config) {
		c.MaxInFlight = 8
		c.Limits = Limits{PerSecond: 1000, PerChatSecond: 1000, PerChatBurst: 100, GroupPerMinute: 60000}
	})
	defer stop()
	queueChats(st, base, chats, 1, "slow")
	if !srv.Wait(5*time.Second, func() bool { return srv.PeakInFlight() >= 7 }) {
		t.Fatalf("only %d requests in flight", srv.PeakInFlight())
	}
	u := telegramtest.User{ID: 6300, FirstName: "Parent"}
	srv.SendText(u, "hi")
	_, cb := srv.PressButton(u, 1, "m:s")
	st.queue(flows.Outgoing{Kind: flows.OutAck, Channel: Channel, Chat: "6300", CallbackID: cb})
	if !srv.Wait(5*time.Second, func() bool { _, ok := srv.CallbackAnswers()[cb]; return ok }) {
		t.Fatal("the press was not acknowledged while messages filled the requests in flight")
	}
}

// TestGroupPromptsKeepTheirButtons: in a group each staff member has a
// step of their own, so a newer message with a step's buttons leaves an
// older one as it is.
func TestGroupPromptsKeepTheirButtons(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	srv.SendGroupText(-1006200, "Phòng", telegramtest.User{ID: 6201, FirstName: "S"}, "/danhsach")
	st := newMemStore()
	stop, _ := runBot(t, srv, st)
	defer stop()
	for i, text := range []string{"staff A's step", "staff B's step"} {
		o := msg("-1006200", text)
		o.Reply.Buttons = [][]flows.Button{{{Label: "Gửi", Data: strconv.Itoa(i+1) + ":n:send"}}}
		st.queue(o)
	}
	// A removal would go within the second's request, before the chat's
	// next message.
	st.queue(msg("-1006200", "next"))
	if !srv.Wait(5*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatal("not sent")
	}
	for _, m := range srv.Messages(-1006200) {
		if m.FromBot && m.Text != "next" && len(m.Keyboard) == 0 {
			t.Errorf("%q lost its buttons", m.Text)
		}
	}
}

// TestYieldingRowsGoAfter: in a chat written slowly (an office's group, 20
// a minute), another parent's alert goes before the short alerts of one
// parent's burst of complaints (Yield) committed ahead of it; rows alike
// keep their order.
func TestYieldingRowsGoAfter(t *testing.T) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	srv.SendGroupText(-1006400, "Phòng", telegramtest.User{ID: 6401, FirstName: "S"}, "/danhsach")
	st := newMemStore()
	alert := func(text string, yield bool) flows.Outgoing {
		o := msg("-1006400", text)
		o.Priority, o.Yield = flows.PriorityAlert, yield
		return o
	}
	st.queue(alert("A 1", false), alert("A 2", true), alert("A 3", true), alert("A 4", true), alert("B 1", false), alert("A 5", true))
	digest := msg("-1006400", "digest")
	digest.Priority = flows.PriorityDigest
	st.queue(digest, alert("C 1", false))
	stop, _ := runBotConfig(t, srv, st, func(c *Config) {
		c.Limits = Limits{PerSecond: 30, PerChatSecond: 1, PerChatBurst: 100, GroupPerMinute: 6000}
	})
	defer stop()
	if !srv.Wait(10*time.Second, func() bool { return st.left() == 0 }) {
		t.Fatalf("%d rows still queued", st.left())
	}
	got := strings.Join(botTexts(srv, -1006400), "|")
	if want := "A 1|B 1|C 1|A 2|A 3|A 4|A 5|digest"; got != want {
		t.Errorf("the group got %s\nwant           %s", got, want)
	}
}
