package zalotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiResp is a decoded answer of the fake.
type apiResp struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`

	status int
	header http.Header
	body   string
}

// client is the smallest Zalo Bot API client: JSON POSTs to the fake.
type client struct {
	t     *testing.T
	s     *Server
	token string
	hc    *http.Client
}

func newClient(t *testing.T) (*Server, *client) {
	t.Helper()
	s := NewServer()
	tr := &http.Transport{}
	t.Cleanup(func() {
		s.Close()
		tr.CloseIdleConnections()
	})
	return s, &client{t: t, s: s, token: Token, hc: &http.Client{Transport: tr}}
}

// try calls method with params (nil sends an empty body).
func (c *client) try(method string, params any) (apiResp, error) {
	var body io.Reader = http.NoBody
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return apiResp{}, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf(c.s.Endpoint(), c.token, method), body)
	if err != nil {
		return apiResp{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(c.hc, req)
}

func do(hc *http.Client, req *http.Request) (apiResp, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return apiResp{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiResp{}, err
	}
	var r apiResp
	if err := json.Unmarshal(raw, &r); err != nil {
		return apiResp{}, fmt.Errorf("decoding %q: %w", raw, err)
	}
	r.status, r.header, r.body = resp.StatusCode, resp.Header, string(raw)
	return r, nil
}

func (c *client) call(method string, params any) apiResp {
	c.t.Helper()
	r, err := c.try(method, params)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	return r
}

// result calls method, requires success and decodes the result into out.
func (c *client) result(method string, params any, out any) {
	c.t.Helper()
	r := c.call(method, params)
	if !r.OK || r.status != 200 {
		c.t.Fatalf("%s: %s", method, r.body)
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		c.t.Fatalf("%s result %s: %v", method, r.Result, err)
	}
}

func wantError(t *testing.T, r apiResp, code int, desc string) {
	t.Helper()
	if r.OK || r.ErrorCode != code || r.status != code || !strings.Contains(r.Description, desc) {
		t.Fatalf("got HTTP %d %s, want error %d containing %q", r.status, r.body, code, desc)
	}
}

type sent struct {
	MessageID string `json:"message_id"`
	Date      int64  `json:"date"`
}

type update struct {
	EventName string `json:"event_name"`
	Message   struct {
		MessageID string `json:"message_id"`
		Date      int64  `json:"date"`
		Chat      struct {
			ID       string `json:"id"`
			ChatType string `json:"chat_type"`
		} `json:"chat"`
		From struct {
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
			IsBot       bool   `json:"is_bot"`
		} `json:"from"`
		Text     string `json:"text"`
		Photo    string `json:"photo"`
		PhotoURL string `json:"photo_url"`
		Caption  string `json:"caption"`
		Sticker  string `json:"sticker"`
	} `json:"message"`
}

// poll is one getUpdates; it returns nil for an empty poll.
func (c *client) poll(timeout any) *update {
	c.t.Helper()
	r := c.call("getUpdates", map[string]any{"timeout": timeout})
	if !r.OK {
		c.t.Fatalf("getUpdates: %s", r.body)
	}
	if string(r.Result) == "null" {
		return nil
	}
	var u update
	if err := json.Unmarshal(r.Result, &u); err != nil {
		c.t.Fatalf("update %s: %v", r.Result, err)
	}
	return &u
}

var lan = User{ID: "e4ea1b2c3d4e5f60", DisplayName: "Nguyễn Thị Lan"}

func TestGetMe(t *testing.T) {
	s, c := newClient(t)
	r := c.call("getMe", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("getMe: %d %v", r.status, r.header)
	}
	var me map[string]any
	if err := json.Unmarshal(r.Result, &me); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "3127644929483375101", "account_name": "bot.HailongTest", "account_type": "BASIC", "can_join_groups": true}
	if fmt.Sprint(me) != fmt.Sprint(want) {
		t.Fatalf("me = %v", me)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.Endpoint() != s.URL()+"/bot%s/%s" {
		t.Fatalf("URL %q Endpoint %q", s.URL(), s.Endpoint())
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].Method != "getMe" || calls[0].Status != 200 || len(calls[0].Params) != 0 {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestWrongTokenAndUnknownMethod(t *testing.T) {
	s, c := newClient(t)
	c.token = "3127644929483375101:wrong"
	r := c.call("getMe", nil)
	if r.status != 401 || r.body != `{"ok":false,"error_code":401,"description":"Unauthorized"}` {
		t.Fatalf("wrong token: %d %s", r.status, r.body)
	}
	c.token = Token
	wantError(t, c.call("frobnicate", nil), 404, "Not Found")
	// No inline buttons or editing on Zalo.
	wantError(t, c.call("editMessageText", map[string]any{"chat_id": "x"}), 404, "Not Found")
	resp, err := c.hc.Post(s.URL()+"/getMe", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("path without /bot: %d", resp.StatusCode)
	}
	if calls := s.Calls(); len(calls) != 3 || calls[0].Status != 401 || calls[1].Status != 404 {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestRequestBody(t *testing.T) {
	s, c := newClient(t)
	s.Text(lan, "hi")
	post := func(contentType, body string) apiResp {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, fmt.Sprintf(s.Endpoint(), Token, "sendMessage"), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		r, err := do(c.hc, req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wantError(t, post("application/x-www-form-urlencoded", "chat_id="+lan.ID+"&text=hi"), 400, "Content-Type must be application/json")
	wantError(t, post("application/json", `{"chat_id":`), 400, "JSON object")
	wantError(t, post("application/json", `["x"]`), 400, "JSON object")
	wantError(t, post("application/json", `{} {}`), 400, "single JSON object")
	wantError(t, post("application/json", ""), 400, "chat_id is required")
	wantError(t, post("application/json", "null"), 400, "chat_id is required")
	wantError(t, c.call("sendMessage", map[string]any{"chat_id": 42, "text": "hi"}), 400, "chat_id must be a string")
	wantError(t, c.call("sendMessage", map[string]any{"chat_id": lan.ID, "text": 7}), 400, "text must be a string")
	if r := post("application/json; charset=utf-8", `{"chat_id":"`+lan.ID+`","text":"ok"}`); !r.OK {
		t.Fatalf("charset: %s", r.body)
	}
	calls := s.Calls()
	if p := calls[6].Params; p["chat_id"] != "42" || p["text"] != "hi" {
		t.Fatalf("params = %v", p)
	}
	// Method names match case-insensitively.
	if r := c.call("GETME", nil); !r.OK {
		t.Fatalf("GETME: %s", r.body)
	}
}

func TestSendMessage(t *testing.T) {
	s, c := newClient(t)
	wantError(t, c.call("sendMessage", map[string]any{"chat_id": lan.ID, "text": "Xin chào"}), 400, "chat not found")
	s.Text(lan, "Xin chào")

	// "ệ" is one code point and three bytes; the limit counts code points.
	long := strings.Repeat("ệ", 2000)
	var m sent
	c.result("sendMessage", map[string]any{"chat_id": lan.ID, "text": long}, &m)
	if len(m.MessageID) != 32 || m.Date < time.Now().Add(-time.Minute).UnixMilli() || m.Date > time.Now().UnixMilli() {
		t.Fatalf("sent = %+v", m)
	}
	// An emoji outside the BMP is two UTF-16 units (the guessed unit).
	c.result("sendMessage", map[string]any{"chat_id": lan.ID, "text": strings.Repeat("ả", 1998) + "😀"}, &m)
	wantError(t, c.call("sendMessage", map[string]any{"chat_id": lan.ID, "text": strings.Repeat("ả", 1999) + "😀"}), 400, "text is too long: 2001 characters")
	wantError(t, c.call("sendMessage", map[string]any{"chat_id": lan.ID, "text": long + "ệ"}), 400, "text is too long: 2001 characters, at most 2000")
	wantError(t, c.call("sendMessage", map[string]any{"chat_id": lan.ID, "text": ""}), 400, "text is empty")
	wantError(t, c.call("sendMessage", map[string]any{"chat_id": lan.ID}), 400, "text is empty")
	wantError(t, c.call("sendMessage", map[string]any{"text": "x"}), 400, "chat_id is required")

	c.result("sendMessage", map[string]any{"chat_id": lan.ID, "text": "Cảm ơn phụ huynh"}, &m)
	msgs := s.Messages(lan.ID)
	if len(msgs) != 3 || msgs[0].Text != long || msgs[0].Kind != "text" || msgs[2].ID != m.MessageID ||
		msgs[2].ChatID != lan.ID || msgs[2].Date != m.Date || msgs[0].ID == msgs[1].ID {
		t.Fatalf("messages = %+v", msgs)
	}
	if last, found := s.Last(lan.ID); !found || last.Text != "Cảm ơn phụ huynh" {
		t.Fatalf("last = %+v", last)
	}
	if _, found := s.Last("nobody"); found || s.Messages("nobody") != nil {
		t.Fatal("unknown chat has messages")
	}
	calls := s.Calls()
	if c := calls[len(calls)-1]; c.Method != "sendMessage" || c.Params["text"] != "Cảm ơn phụ huynh" || c.Status != 200 {
		t.Fatalf("call = %+v", c)
	}
}

func TestSendPhotoStickerAction(t *testing.T) {
	s, c := newClient(t)
	wantError(t, c.call("sendPhoto", map[string]any{"chat_id": lan.ID, "photo": "https://x.test/a.png"}), 400, "chat not found")
	wantError(t, c.call("sendSticker", map[string]any{"chat_id": lan.ID, "sticker": "abc"}), 400, "chat not found")
	wantError(t, c.call("sendChatAction", map[string]any{"chat_id": lan.ID, "action": "typing"}), 400, "chat not found")
	s.Text(lan, "hi")

	wantError(t, c.call("sendPhoto", map[string]any{"chat_id": lan.ID}), 400, "photo is required")
	wantError(t, c.call("sendPhoto", map[string]any{"chat_id": lan.ID, "photo": "chart.png"}), 400, "photo must be an http or https URL")
	wantError(t, c.call("sendPhoto", map[string]any{"chat_id": lan.ID, "photo": "https://x.test/a.png", "caption": strings.Repeat("ư", 2001)}), 400, "caption is too long")
	var m sent
	c.result("sendPhoto", map[string]any{"chat_id": lan.ID, "photo": "https://x.test/a.png", "caption": strings.Repeat("ư", 2000)}, &m)
	c.result("sendPhoto", map[string]any{"chat_id": lan.ID, "photo": "http://x.test/b.png"}, &m)

	wantError(t, c.call("sendSticker", map[string]any{"chat_id": lan.ID}), 400, "sticker is required")
	c.result("sendSticker", map[string]any{"chat_id": lan.ID, "sticker": "7b3a"}, &m)

	var done bool
	for _, action := range []string{"typing", "upload_photo"} {
		c.result("sendChatAction", map[string]any{"chat_id": lan.ID, "action": action}, &done)
		if !done {
			t.Fatalf("%s: false", action)
		}
	}
	wantError(t, c.call("sendChatAction", map[string]any{"chat_id": lan.ID, "action": "record_voice"}), 400, "action must be typing or upload_photo")
	wantError(t, c.call("sendChatAction", map[string]any{"chat_id": lan.ID}), 400, "action is required")

	msgs := s.Messages(lan.ID)
	if len(msgs) != 3 {
		t.Fatalf("messages = %+v", msgs)
	}
	if p := msgs[0]; p.Kind != "photo" || p.PhotoURL != "https://x.test/a.png" || p.Text != strings.Repeat("ư", 2000) {
		t.Fatalf("photo = %+v", p)
	}
	if p := msgs[1]; p.Kind != "photo" || p.Text != "" || p.PhotoURL != "http://x.test/b.png" {
		t.Fatalf("photo without caption = %+v", p)
	}
	if st, _ := s.Last(lan.ID); st.Kind != "sticker" || st.Sticker != "7b3a" || st.ID != m.MessageID {
		t.Fatalf("sticker = %+v", st)
	}
}

func TestGetUpdatesOneAtATime(t *testing.T) {
	s, c := newClient(t)
	ids := []string{s.Text(lan, "một"), s.Text(lan, "hai"), s.Text(lan, "ba")}
	if s.Pending() != 3 {
		t.Fatalf("pending = %d", s.Pending())
	}
	r := c.call("getUpdates", map[string]any{"timeout": "30"})
	var raw map[string]any
	if err := json.Unmarshal(r.Result, &raw); err != nil || raw["update_id"] != nil || raw["event_name"] != "message.text.received" {
		t.Fatalf("update = %s", r.Result)
	}
	msg := raw["message"].(map[string]any)
	want := fmt.Sprintf("map[chat:map[chat_type:PRIVATE id:%s] date:%v from:map[display_name:Nguyễn Thị Lan id:%s is_bot:false] message_id:%s text:một]",
		lan.ID, msg["date"], lan.ID, ids[0])
	if fmt.Sprint(msg) != want {
		t.Fatalf("message = %v\nwant      %s", msg, want)
	}
	if _, isNum := msg["date"].(float64); !isNum {
		t.Fatalf("date = %T", msg["date"])
	}
	if s.Pending() != 2 {
		t.Fatalf("pending = %d", s.Pending())
	}
	// The rest come one by one, in order, whatever the timeout's type.
	for i, timeout := range []any{30, "1"} {
		u := c.poll(timeout)
		if u == nil || u.Message.MessageID != ids[i+1] {
			t.Fatalf("poll %d = %+v", i+1, u)
		}
	}
	// Never twice: the queue is empty now.
	if u := c.poll("0"); u != nil {
		t.Fatalf("handed out again: %+v", u)
	}
	r = c.call("getUpdates", nil)
	if !r.OK || string(r.Result) != "null" || r.body != `{"ok":true,"result":null}` {
		t.Fatalf("empty poll: %s", r.body)
	}
	wantError(t, c.call("getUpdates", map[string]any{"timeout": "soon"}), 400, "timeout")
	wantError(t, c.call("getUpdates", map[string]any{"timeout": -1}), 400, "timeout")
	if s.Pending() != 0 {
		t.Fatalf("pending = %d", s.Pending())
	}
}

func TestUserUpdates(t *testing.T) {
	s, c := newClient(t)
	u := s.NewUser("Trần Văn Minh")
	if u2 := s.NewUser("B"); len(u.ID) != 16 || u.ID == u2.ID || u.DisplayName != "Trần Văn Minh" {
		t.Fatalf("users %+v %+v", u, u2)
	}
	group := s.NewGroup()
	ids := []string{
		s.Image(u, "https://zalo.test/p.jpg", "học bạ"),
		s.Image(u, "https://zalo.test/q.jpg", ""),
		s.Sticker(u),
		s.Voice(u),
		s.Unsupported(u),
		s.GroupMention(group, lan, "Chào cả nhóm"),
	}
	// Said without mentioning the bot: the bot does not see it (a guess).
	if id := s.GroupText(group, lan, "Chiều nay họp nhé"); id != "" || s.Pending() != len(ids) {
		t.Fatalf("an unmentioned group text reached the bot: %q, pending %d", id, s.Pending())
	}
	var got []*update
	for range ids {
		got = append(got, c.poll(0))
	}
	events := []string{"message.image.received", "message.image.received", "message.sticker.received",
		"message.voice.received", "message.unsupported.received", "message.text.received"}
	for i, g := range got {
		if g == nil || g.EventName != events[i] || g.Message.MessageID != ids[i] {
			t.Fatalf("update %d = %+v", i, g)
		}
	}
	if m := got[0].Message; m.Photo != "https://zalo.test/p.jpg" || m.PhotoURL != "" || m.Caption != "học bạ" || m.Chat.ID != u.ID || m.Chat.ChatType != "PRIVATE" {
		t.Fatalf("image = %+v", m)
	}
	if m := got[1].Message; m.Caption != "" || m.Photo == "" {
		t.Fatalf("image without caption = %+v", m)
	}
	if got[2].Message.Sticker == "" {
		t.Fatalf("sticker = %+v", got[2].Message)
	}
	g := got[5].Message
	if g.Chat.ID != group || g.Chat.ChatType != "GROUP" || g.From.ID != lan.ID || g.From.DisplayName != lan.DisplayName || g.From.IsBot || g.Text != "@Bot Hải Long Chào cả nhóm" {
		t.Fatalf("group text = %+v", g)
	}
	// Both chats are open to the bot now; an unopened group is not.
	var m sent
	c.result("sendMessage", map[string]any{"chat_id": group, "text": "Chào nhóm"}, &m)
	c.result("sendMessage", map[string]any{"chat_id": u.ID, "text": "Đã nhận"}, &m)
	wantError(t, c.call("sendMessage", map[string]any{"chat_id": s.NewGroup(), "text": "x"}), 400, "chat not found")
	if last, _ := s.Last(group); last.Text != "Chào nhóm" {
		t.Fatalf("group last = %+v", last)
	}
}

// TestForms: links and reactions as other clients see them, and the forms
// public clients show instead of the documented ones, on demand.
func TestForms(t *testing.T) {
	s, c := newClient(t)
	u := s.NewUser("Lan")
	s.Link(u, "https://thcs-td.edu.vn/a")
	s.Reaction(u)
	s.SetForms(Forms{PhotoURL: true})
	s.Image(u, "https://zalo.test/p.jpg", "")
	group := s.NewGroup()
	s.SetForms(Forms{GroupsSeeAll: true})
	s.GroupText(group, u, "Chiều nay họp nhé")
	link, reaction, image, chatter := c.poll(0), c.poll(0), c.poll(0), c.poll(0)
	if link == nil || link.EventName != "message.link.received" || link.Message.Text != "https://thcs-td.edu.vn/a" {
		t.Errorf("link = %+v", link)
	}
	if reaction == nil || reaction.EventName != "message.reaction.received" || reaction.Message.Text != "" {
		t.Errorf("reaction = %+v", reaction)
	}
	if image == nil || image.Message.PhotoURL != "https://zalo.test/p.jpg" || image.Message.Photo != "" {
		t.Errorf("image with Forms.PhotoURL = %+v", image)
	}
	if chatter == nil || chatter.Message.Text != "Chiều nay họp nhé" {
		t.Errorf("group text with Forms.GroupsSeeAll = %+v", chatter)
	}
}

func TestIDsAreDeterministic(t *testing.T) {
	run := func() []string {
		s := NewServer()
		defer s.Close()
		u := s.NewUser("x")
		return []string{u.ID, s.NewGroup(), s.Text(u, "a"), s.Sticker(u)}
	}
	a, b := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("%v != %v", a, b)
	}
	seen := map[string]bool{}
	for _, id := range a {
		if seen[id] || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("ids %v", a)
		}
		seen[id] = true
	}
}

func TestRaw(t *testing.T) {
	s, c := newClient(t)
	s.Raw(`{"event_name": "message.location.received", "message": {"message_id": "m1", "chat": {"id": "c9", "chat_type": "PRIVATE"}, "date": "not a number"}}`)
	r := c.call("getUpdates", nil)
	if string(r.Result) != `{"event_name":"message.location.received","message":{"message_id":"m1","chat":{"id":"c9","chat_type":"PRIVATE"},"date":"not a number"}}` {
		t.Fatalf("raw = %s", r.Result)
	}
	// The chat in the raw update becomes known.
	var m sent
	c.result("sendMessage", map[string]any{"chat_id": "c9", "text": "hi"}, &m)
	defer func() {
		if recover() == nil {
			t.Fatal("Raw accepted a non-object")
		}
	}()
	s.Raw(`[1]`)
}

func TestLongPoll(t *testing.T) {
	s, c := newClient(t)
	got := make(chan *update, 1)
	go func() {
		r, err := c.try("getUpdates", map[string]any{"timeout": "10"})
		if err != nil || !r.OK {
			t.Errorf("long poll: %v %s", err, r.body)
			got <- nil
			return
		}
		var u update
		_ = json.Unmarshal(r.Result, &u)
		got <- &u
	}()
	if !s.Wait(2*time.Second, func() bool { return len(s.Calls()) == 1 }) {
		t.Fatal("poll never arrived")
	}
	start := time.Now()
	id := s.Text(lan, "dậy đi")
	select {
	case u := <-got:
		if u == nil || u.Message.MessageID != id {
			t.Fatalf("woken with %+v", u)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a new update did not wake the long poll")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("woke after %v", d)
	}

	// An empty long poll answers null once its timeout has passed; fractions
	// of a second are accepted, as a string or a number.
	for _, timeout := range []any{"0.2", 0.2} {
		start = time.Now()
		if u := c.poll(timeout); u != nil || time.Since(start) < 200*time.Millisecond {
			t.Fatalf("empty poll %v: %+v after %v", timeout, u, time.Since(start))
		}
	}
}

func TestConcurrentPollsShareTheQueue(t *testing.T) {
	s, c := newClient(t)
	const n = 6
	results := make(chan string, n)
	for range n {
		go func() {
			u := c.poll("10")
			if u == nil {
				results <- ""
				return
			}
			results <- u.Message.MessageID
		}()
	}
	if !s.Wait(3*time.Second, func() bool { return len(s.Calls()) == n }) {
		t.Fatal("polls never arrived")
	}
	want := map[string]bool{}
	for i := range n {
		want[s.Text(lan, fmt.Sprint(i))] = true
	}
	for range n {
		select {
		case id := <-results:
			if !want[id] {
				t.Fatalf("got %q twice or unknown", id)
			}
			delete(want, id)
		case <-time.After(3 * time.Second):
			t.Fatal("a poll was not answered")
		}
	}
}

func TestLostReply(t *testing.T) {
	s, c := newClient(t)
	first := s.Text(lan, "lost")
	second := s.Text(lan, "kept")
	s.Inject(func(method string, _ map[string]string) *Fault {
		if method == "getUpdates" {
			return &Fault{DropReply: true}
		}
		return nil
	})
	if _, err := c.try("getUpdates", map[string]any{"timeout": "5"}); err == nil {
		t.Fatal("dropped reply arrived")
	}
	calls := s.Calls()
	if c := calls[len(calls)-1]; c.Method != "getUpdates" || c.Status != 0 {
		t.Fatalf("call = %+v", c)
	}
	// The update was taken off the queue before the reply was lost.
	if s.Pending() != 1 {
		t.Fatalf("pending = %d", s.Pending())
	}
	s.Inject(nil)
	if u := c.poll("0"); u == nil || u.Message.MessageID != second {
		t.Fatalf("after the loss: %+v, want %s (and %s gone)", u, second, first)
	}
	if u := c.poll("0"); u != nil {
		t.Fatalf("lost update came back: %+v", u)
	}

	// A send whose reply is lost still reaches the chat.
	s.Inject(func(method string, _ map[string]string) *Fault {
		if method == "sendMessage" {
			return &Fault{DropReply: true}
		}
		return nil
	})
	if _, err := c.try("sendMessage", map[string]any{"chat_id": lan.ID, "text": "did it arrive?"}); err == nil {
		t.Fatal("dropped reply arrived")
	}
	if last, found := s.Last(lan.ID); !found || last.Text != "did it arrive?" {
		t.Fatalf("last = %+v", last)
	}
}

func TestInjectErrors(t *testing.T) {
	s, c := newClient(t)
	s.Text(lan, "hi")
	s.Inject(func(method string, params map[string]string) *Fault {
		switch params["text"] {
		case "flood":
			return &Fault{RetryAfter: 7}
		case "boom":
			return &Fault{Status: 500}
		case "custom":
			return &Fault{Status: 403, Description: "user blocked the bot"}
		case "soft":
			return &Fault{Status: 408, HTTPStatus: 200, Description: "Request Timeout"}
		}
		return nil
	})
	send := func(text string) apiResp {
		return c.call("sendMessage", map[string]any{"chat_id": lan.ID, "text": text})
	}
	r := send("flood")
	if r.body != `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7"}` || r.status != 429 || r.header.Get("Retry-After") != "7" {
		t.Fatalf("429: %d %s %v", r.status, r.body, r.header)
	}
	wantError(t, send("boom"), 500, "Internal Server Error")
	wantError(t, send("custom"), 403, "user blocked the bot")
	if r := send("soft"); r.status != 200 || r.OK || r.ErrorCode != 408 {
		t.Fatalf("soft error: %d %s", r.status, r.body)
	}
	if _, found := s.Last(lan.ID); found {
		t.Fatal("a faulted send must not deliver")
	}
	if r := send("fine"); !r.OK {
		t.Fatalf("fine: %s", r.body)
	}
	var statuses []int
	for _, call := range s.Calls() {
		statuses = append(statuses, call.Status)
	}
	if fmt.Sprint(statuses) != "[429 500 403 200 200]" {
		t.Fatalf("statuses = %v", statuses)
	}

	// Faults apply before the token is checked.
	s.Inject(func(string, map[string]string) *Fault { return &Fault{Status: 502} })
	c.token = "1:nope"
	wantError(t, c.call("getMe", nil), 502, "Bad Gateway")
}

func TestInjectDropAndDelay(t *testing.T) {
	s, c := newClient(t)
	s.Text(lan, "hi")
	s.Inject(func(method string, _ map[string]string) *Fault {
		if method == "sendMessage" {
			return &Fault{Drop: true}
		}
		return nil
	})
	if _, err := c.try("sendMessage", map[string]any{"chat_id": lan.ID, "text": "lost"}); err == nil {
		t.Fatal("dropped call succeeded")
	}
	if _, found := s.Last(lan.ID); found {
		t.Fatal("a dropped call must not deliver")
	}
	// Drop on getUpdates takes nothing off the queue.
	s.Inject(func(string, map[string]string) *Fault { return &Fault{Drop: true} })
	if _, err := c.try("getUpdates", nil); err == nil || s.Pending() != 1 {
		t.Fatalf("dropped poll: %v, pending %d", err, s.Pending())
	}

	// A delay is cut short when the client gives up.
	s.Inject(func(string, map[string]string) *Fault { return &Fault{Delay: 10 * time.Second} })
	impatient := &client{t: t, s: s, token: Token, hc: &http.Client{Timeout: 200 * time.Millisecond}}
	start := time.Now()
	if _, err := impatient.try("getMe", nil); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("impatient client: %v after %v", err, time.Since(start))
	}
	// A delay alone handles the call normally afterwards.
	s.Inject(func(string, map[string]string) *Fault { return &Fault{Delay: 50 * time.Millisecond} })
	start = time.Now()
	if r := c.call("sendMessage", map[string]any{"chat_id": lan.ID, "text": "slow"}); !r.OK || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("delayed send: %s after %v", r.body, time.Since(start))
	}
}

// noLeaks fails t unless the goroutine count drops back to before.
func noLeaks(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("goroutines: %d before, %d after Close", before, n)
	}
}

// closeWithin closes s, failing t if that takes longer than 3s.
func closeWithin(t *testing.T, s *Server) {
	t.Helper()
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close hung")
	}
	s.Close() // idempotent
}

func TestCloseEndsLongPoll(t *testing.T) {
	before := runtime.NumGoroutine()
	s := NewServer()
	tr := &http.Transport{}
	c := &client{t: t, s: s, token: Token, hc: &http.Client{Transport: tr}}
	done := make(chan struct{})
	for range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			_, _ = c.try("getUpdates", map[string]any{"timeout": "30"})
		}()
	}
	s.Wait(2*time.Second, func() bool { return len(s.Calls()) == 2 })
	closeWithin(t, s)
	for range 2 {
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatal("Close did not end the long poll")
		}
	}
	tr.CloseIdleConnections()
	noLeaks(t, before)
}

func TestCloseEndsDelivery(t *testing.T) {
	before := runtime.NumGoroutine()
	s := NewServer()
	tr := &http.Transport{}
	c := &client{t: t, s: s, token: Token, hc: &http.Client{Transport: tr}}
	// A receiver that never answers keeps a delivery in flight.
	hook := newReceiver(t, func(r *http.Request, _ update) int {
		<-r.Context().Done()
		return 200
	})
	s.SetWebhookOptions(WebhookOptions{Timeout: time.Minute})
	c.result("setWebhook", map[string]any{"url": hook.URL, "secret_token": "secret-123"}, new(any))
	s.Text(lan, "in flight")
	if !s.Wait(2*time.Second, func() bool { return hook.count() == 1 }) {
		t.Fatal("delivery never started")
	}
	closeWithin(t, s)
	if d := s.Deliveries(); len(d) != 1 || d[0].Status != 0 || d[0].Err == "" {
		t.Fatalf("deliveries = %+v", d)
	}
	tr.CloseIdleConnections()
	hook.Close()
	noLeaks(t, before)
}

func TestConcurrentUse(t *testing.T) {
	s, c := newClient(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range 8 {
		u := User{ID: fmt.Sprintf("%016x", 0xabc0+i), DisplayName: "U"}
		wg.Go(func() {
			s.Text(u, "hi")
			for range 5 {
				r, err := c.try("sendMessage", map[string]any{"chat_id": u.ID, "text": "yo"})
				if err == nil && !r.OK {
					err = errors.New(r.body)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				_ = s.Messages(u.ID)
				_ = s.Calls()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 || s.Pending() != 8 {
		t.Fatalf("errors %v pending %d", errs, s.Pending())
	}
}
