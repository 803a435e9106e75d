package zalo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/internal/fakeapi"
	"hailong/outbox"
	"hailong/zalo/zalotest"
)

// secretPart is the part of the fake's token that must never be shown.
var secretPart = zalotest.Token[strings.Index(zalotest.Token, ":")+1:]

// newClient starts the fake and returns a client for it.
func newClient(t *testing.T) (*zalotest.Server, *Client) {
	t.Helper()
	s := zalotest.NewServer()
	tr := &http.Transport{}
	t.Cleanup(func() {
		s.Close()
		tr.CloseIdleConnections()
	})
	return s, &Client{Base: s.URL(), Token: zalotest.Token, HTTP: &http.Client{Transport: tr}}
}

// noToken fails the test if err's text, or that of anything it wraps,
// shows the token.
func noToken(t *testing.T, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		msg := e.Error()
		for _, bad := range []string{zalotest.Token, secretPart, url.PathEscape(zalotest.Token)} {
			if strings.Contains(msg, bad) {
				t.Fatalf("an error shows the token: %q", msg)
			}
		}
	}
}

// apiError asserts err is an *APIError with code and a description
// containing desc.
func apiError(t *testing.T, err error, code int, desc string) *APIError {
	t.Helper()
	noToken(t, err)
	var e *APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want an *APIError", err, err)
	}
	if e.Code != code || !strings.Contains(e.Description, desc) {
		t.Fatalf("APIError = %d %q, want %d containing %q", e.Code, e.Description, code, desc)
	}
	return e
}

// plainError asserts err is a failure other than an API error.
func plainError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	noToken(t, err)
	var e *APIError
	if errors.As(err, &e) {
		t.Fatalf("err = %v, want a plain error, not an *APIError", err)
	}
}

func TestGetMe(t *testing.T) {
	_, c := newClient(t)
	me, err := c.GetMe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	id, _, _ := strings.Cut(zalotest.Token, ":")
	if me.ID != id || me.AccountName == "" || me.AccountType == "" || !me.CanJoinGroups {
		t.Errorf("GetMe = %+v", me)
	}
}

func TestSendMethods(t *testing.T) {
	s, c := newClient(t)
	ctx := t.Context()
	u := s.NewUser("Chị Lan")
	s.Text(u, "xin chào") // opens the chat

	id, err := c.SendMessage(ctx, u.ID, "Cảm ơn chị đã trả lời khảo sát 🙏")
	if err != nil {
		t.Fatal(err)
	}
	last, _ := s.Last(u.ID)
	if id == "" || last.ID != id || last.Kind != "text" || last.Text != "Cảm ơn chị đã trả lời khảo sát 🙏" {
		t.Errorf("SendMessage = %q, the chat shows %+v", id, last)
	}

	long := strings.Repeat("ư", MaxText) // exactly the limit, in UTF-16 units (each ư is one)
	if _, err := c.SendMessage(ctx, u.ID, long); err != nil {
		t.Errorf("a text of %d UTF-16 units: %v", MaxText, err)
	}

	id, err = c.SendPhoto(ctx, u.ID, "https://example.org/a.jpg", "Ảnh lớp học")
	if err != nil {
		t.Fatal(err)
	}
	last, _ = s.Last(u.ID)
	if last.ID != id || last.Kind != "photo" || last.PhotoURL != "https://example.org/a.jpg" || last.Text != "Ảnh lớp học" {
		t.Errorf("SendPhoto = %q, the chat shows %+v", id, last)
	}
	if _, err := c.SendPhoto(ctx, u.ID, "https://example.org/b.jpg", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.SendChatAction(ctx, u.ID, "typing"); err != nil {
		t.Fatal(err)
	}

	calls := s.Calls()
	if len(calls) != 5 {
		t.Fatalf("%d calls, want 5", len(calls))
	}
	if _, has := calls[3].Params["caption"]; has {
		t.Errorf("an empty caption was sent: %v", calls[3].Params)
	}
	if calls[4].Method != "sendChatAction" || calls[4].Params["action"] != "typing" || calls[4].Params["chat_id"] != u.ID {
		t.Errorf("sendChatAction call = %+v", calls[4])
	}
}

func TestAPIErrors(t *testing.T) {
	s, c := newClient(t)
	ctx := t.Context()
	u := s.NewUser("Anh Minh")
	s.Text(u, "hi")

	_, err := c.SendMessage(ctx, u.ID, strings.Repeat("ơ", MaxText+1))
	apiError(t, err, 400, "too long")
	_, err = c.SendPhoto(ctx, u.ID, "https://example.org/a.jpg", strings.Repeat("a", MaxText+1))
	apiError(t, err, 400, "too long")
	_, err = c.SendMessage(ctx, "0123456789abcdef", "hello")
	apiError(t, err, 400, "chat not found")
	_, err = c.SendMessage(ctx, u.ID, "")
	apiError(t, err, 400, "empty")
	err = c.SendChatAction(ctx, u.ID, "dancing")
	apiError(t, err, 400, "action")

	bad := *c
	bad.Token = "3127644929483375101:revoked-SECRET"
	_, err = bad.GetMe(ctx)
	apiError(t, err, 401, "Unauthorized")
	if strings.Contains(err.Error(), "revoked-SECRET") {
		t.Errorf("the wrong token is shown: %v", err)
	}
	_, err = bad.SendMessage(ctx, u.ID, "x")
	apiError(t, err, 401, "")
}

func TestRetryAfter(t *testing.T) {
	s, c := newClient(t)
	ctx := t.Context()
	u := s.NewUser("Lan")
	s.Text(u, "hi")

	// The fake's own rate limit: a 429 with a Retry-After header.
	s.EnforceLimits(zalotest.Limits{PerChat: 0.01, PerChatBurst: 1})
	if _, err := c.SendMessage(ctx, u.ID, "one"); err != nil {
		t.Fatal(err)
	}
	_, err := c.SendMessage(ctx, u.ID, "two")
	e := apiError(t, err, 429, "Too Many Requests")
	if e.RetryAfter < 90*time.Second || e.RetryAfter > 100*time.Second {
		t.Errorf("RetryAfter = %v, want about 100s", e.RetryAfter)
	}
	s.EnforceLimits(zalotest.Limits{})

	// A fault's Retry-After header, and a description alone.
	s.Inject(func(method string, _ map[string]string) *zalotest.Fault {
		if method == "sendMessage" {
			return &zalotest.Fault{RetryAfter: 7}
		}
		return &zalotest.Fault{Status: 429, Description: "Too Many Requests: retry after 3"}
	})
	_, err = c.SendMessage(ctx, u.ID, "three")
	if e := apiError(t, err, 429, "retry after 7"); e.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter = %v, want 7s", e.RetryAfter)
	}
	_, err = c.SendPhoto(ctx, u.ID, "https://example.org/a.jpg", "")
	if e := apiError(t, err, 429, "retry after 3"); e.RetryAfter != 3*time.Second {
		t.Errorf("RetryAfter = %v, want 3s", e.RetryAfter)
	}
	if !strings.Contains(err.Error(), "429") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header, desc string
		param        int
		want         time.Duration
	}{
		{"5", "", 0, 5 * time.Second},
		{" 12 ", "Too Many Requests: retry after 3", 0, 12 * time.Second},
		{now.Add(30 * time.Second).Format(http.TimeFormat), "", 0, 30 * time.Second},
		{"", "Too Many Requests: retry after 3", 0, 3 * time.Second},
		{"", "too many requests, RETRY AFTER 9 seconds", 0, 9 * time.Second},
		{"", "", 4, 4 * time.Second},
		{"soon", "", 0, 0},
		{"", "Too Many Requests", 0, 0},
		{"0", "retry after 0", 0, 0},
	} {
		if got := retryAfter(tc.header, tc.desc, tc.param, now); got != tc.want {
			t.Errorf("retryAfter(%q, %q, %d) = %v, want %v", tc.header, tc.desc, tc.param, got, tc.want)
		}
	}
}

func TestGetUpdates(t *testing.T) {
	s, c := newClient(t)
	ctx := t.Context()
	u := s.NewUser("Chị Hoa")

	// Nothing queued: {"ok":true,"result":null}.
	got, err := c.GetUpdates(ctx, 0)
	if got != nil || err != nil {
		t.Fatalf("GetUpdates on an empty queue = %+v, %v", got, err)
	}

	msgID := s.Text(u, "Xin chào")
	got, err = c.GetUpdates(ctx, 0)
	if err != nil || got == nil {
		t.Fatalf("GetUpdates = %+v, %v", got, err)
	}
	m := got.Message
	if got.EventName != EventText || m == nil || m.MessageID != msgID || m.Text != "Xin chào" ||
		m.From.ID != u.ID || m.From.DisplayName != "Chị Hoa" || m.From.IsBot ||
		m.Chat.ID != u.ID || m.Chat.ChatType != "PRIVATE" || m.Date < time.Now().Add(-time.Minute).UnixMilli() {
		t.Errorf("update = %+v, message %+v", got, m)
	}
	if again, err := ParseUpdate(got.Raw); err != nil || again.Message == nil || *again.Message != *m {
		t.Errorf("Raw does not read back: %s", got.Raw)
	}

	// A long poll answers as soon as an update comes.
	type result struct {
		u   *Update
		err error
	}
	done := make(chan result, 1)
	go func() {
		u, err := c.GetUpdates(ctx, 1500*time.Millisecond)
		done <- result{u, err}
	}()
	if !s.Wait(2*time.Second, func() bool { return len(s.Calls()) == 3 }) {
		t.Fatal("the long poll did not arrive")
	}
	photoID := s.Image(u, "https://zalo.example/p.jpg", "bài tập")
	select {
	case r := <-done:
		if r.err != nil || r.u == nil || r.u.EventName != EventImage || r.u.Message.MessageID != photoID ||
			r.u.Message.PhotoURL != "https://zalo.example/p.jpg" || r.u.Message.Caption != "bài tập" {
			t.Errorf("long poll = %+v, %v", r.u, r.err)
		}
	case <-time.After(time.Second):
		t.Fatal("the long poll did not answer the update at once")
	}
	calls := s.Calls()
	if calls[0].Params["timeout"] != "0" || calls[2].Params["timeout"] != "2" {
		t.Errorf("timeouts sent: %q, %q; want whole seconds as strings, rounded up", calls[0].Params["timeout"], calls[2].Params["timeout"])
	}
}

func TestGetUpdatesNone408(t *testing.T) {
	for _, httpStatus := range []int{http.StatusOK, http.StatusRequestTimeout} {
		s, c := newClient(t)
		u := s.NewUser("Lan")
		s.Text(u, "still queued")
		s.Inject(func(method string, _ map[string]string) *zalotest.Fault {
			if method == "getUpdates" {
				return &zalotest.Fault{Status: 408, HTTPStatus: httpStatus, Description: "Request Timeout"}
			}
			return nil
		})
		got, err := c.GetUpdates(t.Context(), 0)
		if got != nil || err != nil {
			t.Errorf("HTTP %d error_code 408: GetUpdates = %+v, %v; want none", httpStatus, got, err)
		}
		if s.Pending() != 1 {
			t.Errorf("the faulted poll took the update")
		}
	}
}

func TestGetUpdatesLenient(t *testing.T) {
	s, c := newClient(t)
	s.Raw(`{"event_name":"message.text.received","message":{"message_id":42,"date":"1766619597466",
		"chat":{"id":123,"chat_type":"PRIVATE"},"from":{"id":123,"display_name":7,"is_bot":"false"},"text":"1"}}`)
	s.Raw(`{"event_name":"message.text.received","message":"not an object"}`)
	s.Raw(`{"surprise":true}`)

	got, err := c.GetUpdates(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	m := got.Message
	if m.MessageID != "42" || m.Date != 1766619597466 || m.Chat.ID != "123" || m.From.ID != "123" || m.From.DisplayName != "7" || m.From.IsBot || m.Text != "1" {
		t.Errorf("message = %+v", m)
	}
	for range 2 {
		got, err := c.GetUpdates(t.Context(), 0)
		if err != nil || got == nil || got.Message != nil || len(got.Raw) == 0 {
			t.Errorf("a strange update = %+v, %v; want one without a message, with its raw JSON", got, err)
		}
	}
}

func TestWebhookMethods(t *testing.T) {
	s, c := newClient(t)
	ctx := t.Context()
	err := c.SetWebhook(ctx, "https://hailong.example/zalo", "short")
	apiError(t, err, 400, "secret_token")
	if err := c.SetWebhook(ctx, "http://127.0.0.1:9/zalo", "a-secret-of-some-length"); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUpdates(ctx, 0)
	apiError(t, err, 400, "webhook")
	if err := c.DeleteWebhook(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetUpdates(ctx, 0); got != nil || err != nil {
		t.Errorf("GetUpdates after DeleteWebhook = %+v, %v", got, err)
	}
	calls := s.Calls()
	if calls[1].Params["url"] != "http://127.0.0.1:9/zalo" || calls[1].Params["secret_token"] != "a-secret-of-some-length" {
		t.Errorf("setWebhook params = %v", calls[1].Params)
	}
}

func TestFailures(t *testing.T) {
	s, c := newClient(t)
	ctx := t.Context()
	u := s.NewUser("Lan")
	s.Text(u, "hi")

	// Zalo's JSON with a 5xx status is an API error all the same.
	s.Inject(func(string, map[string]string) *zalotest.Fault { return &zalotest.Fault{Status: 502} })
	_, err := c.SendMessage(ctx, u.ID, "x")
	apiError(t, err, 502, "Bad Gateway")

	// A dropped connection, before or after the call took effect.
	s.Inject(func(string, map[string]string) *zalotest.Fault { return &zalotest.Fault{Drop: true} })
	_, err = c.SendMessage(ctx, u.ID, "x")
	plainError(t, err)
	s.Inject(func(string, map[string]string) *zalotest.Fault { return &zalotest.Fault{DropReply: true} })
	_, err = c.GetUpdates(ctx, 0)
	plainError(t, err)
	s.Inject(nil)

	// A proxy's HTML page in front of the API.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1>" + r.URL.Path + "</body></html>"))
	}))
	defer proxy.Close()
	behind := *c
	behind.Base = proxy.URL
	_, err = behind.SendMessage(ctx, u.ID, "x")
	plainError(t, err)
	if !strings.Contains(err.Error(), "502") {
		t.Errorf("err = %v, want the HTTP status in it", err)
	}
	_, err = behind.GetUpdates(ctx, 0)
	plainError(t, err)

	// Nobody listening.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	behind.Base = gone.URL
	_, err = behind.GetMe(ctx)
	plainError(t, err)
	var ue *url.Error
	if !errors.As(err, &ue) || !strings.Contains(ue.URL, "<token>") {
		t.Errorf("err = %v, want a *url.Error with the token redacted", err)
	}

	// A base that is not even a URL.
	behind.Base = "http://bad host"
	_, err = behind.GetMe(ctx)
	plainError(t, err)
}

func TestMalformedResult(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/getUpdates"):
			_, _ = w.Write([]byte(`{"ok":true,"result":[1,2]}`))
		case strings.HasSuffix(r.URL.Path, "/sendMessage"):
			_, _ = w.Write([]byte(`{"ok":true,"result":true}`))
		case strings.HasSuffix(r.URL.Path, "/sendChatAction"):
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"ok":false,"error_code":"429","description":"slow down","parameters":{"retry_after":4}}`))
		case strings.HasSuffix(r.URL.Path, "/setWebhook"):
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"ok":false}`))
		default:
			_, _ = w.Write([]byte(`{"result":{}}`))
		}
	}))
	defer fake.Close()
	c := &Client{Base: fake.URL + "/", Token: zalotest.Token}
	ctx := t.Context()

	_, err := c.GetUpdates(ctx, 0)
	var bad *MalformedUpdateError
	if !errors.As(err, &bad) || string(bad.Raw) != "[1,2]" {
		t.Errorf("GetUpdates = %v, want a *MalformedUpdateError with the raw result", err)
	}
	noToken(t, err)
	// The message went out: a strange result is no reason to send it again.
	if id, err := c.SendMessage(ctx, "chat", "x"); id != "" || err != nil {
		t.Errorf("SendMessage = %q, %v", id, err)
	}
	// Error fields of odd types, and Telegram's parameters.retry_after.
	err = c.SendChatAction(ctx, "chat", "typing")
	if e := apiError(t, err, 429, "slow down"); e.RetryAfter != 4*time.Second {
		t.Errorf("RetryAfter = %v, want 4s", e.RetryAfter)
	}
	// No error_code: the HTTP status stands in.
	apiError(t, c.SetWebhook(ctx, "https://a.example/", "12345678"), 403, "")
	// JSON without "ok" is not the API's answer.
	_, err = c.GetMe(ctx)
	plainError(t, err)
}

func TestCancelAndTimeouts(t *testing.T) {
	t.Parallel()
	s, c := newClient(t)

	// A canceled long poll ends at once, and says so. It is canceled once
	// the fake has it (on a loaded machine 50 ms may not see it there).
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		s.Wait(2*time.Second, func() bool { return len(s.Calls()) > 0 })
		cancel()
	}()
	start := time.Now()
	_, err := c.GetUpdates(ctx, 30*time.Second)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Errorf("canceled poll = %v after %v", err, time.Since(start))
	}
	noToken(t, err)
	// The fake sees the poll's client go away a little later; until then
	// it would hand that poll the next update.
	if !s.Wait(2*time.Second, func() bool { calls := s.Calls(); return len(calls) > 0 && calls[0].Status != 0 }) {
		t.Fatal("the canceled poll did not end on the fake")
	}

	// The HTTP client's own timeout does not cut a long poll short…
	c.HTTP.Timeout = 100 * time.Millisecond
	u := s.NewUser("Lan")
	s.Text(u, "1")
	s.Inject(func(method string, _ map[string]string) *zalotest.Fault {
		if method == "getUpdates" {
			return &zalotest.Fault{Delay: 300 * time.Millisecond}
		}
		return nil
	})
	if got, err := c.GetUpdates(t.Context(), time.Second); got == nil || err != nil {
		t.Errorf("a slow poll = %+v, %v", got, err)
	}
	if c.HTTP.Timeout != 100*time.Millisecond {
		t.Errorf("the configured client was changed: Timeout %v", c.HTTP.Timeout)
	}
	// …but still bounds other calls.
	s.Inject(func(string, map[string]string) *zalotest.Fault { return &zalotest.Fault{Delay: time.Second} })
	_, err = c.GetMe(t.Context())
	plainError(t, err)
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("err = %v, want a timeout", err)
	}

	hc := &http.Client{Timeout: 100 * time.Millisecond}
	if got := lengthen(hc, 40*time.Second); got.Timeout != 40*time.Second || hc.Timeout != 100*time.Millisecond {
		t.Errorf("lengthen: Timeout %v (the original now %v)", got.Timeout, hc.Timeout)
	}
	hc.Timeout = time.Minute
	if lengthen(hc, 40*time.Second) != hc {
		t.Error("a long enough Timeout was replaced")
	}
	hc.Timeout = 0
	if lengthen(hc, 40*time.Second) != hc {
		t.Error("no Timeout was replaced")
	}
}

// TestClientKeepsConnections: with the pool `hailong run` gives the Zalo
// client (outbox.HTTPTransport), sends to many chats at once, a round trip
// away, reuse their connections: a second round opens none.
func TestClientKeepsConnections(t *testing.T) {
	s := zalotest.NewServer()
	defer s.Close()
	s.SetLatency(fakeapi.Latency{RTT: 40 * time.Millisecond})
	tr := outbox.HTTPTransport(16)
	defer tr.CloseIdleConnections()
	c := &Client{Base: s.URL(), Token: zalotest.Token, HTTP: &http.Client{Transport: tr}}
	var users []zalotest.User
	for i := range 16 {
		u := s.NewUser(fmt.Sprintf("P%d", i))
		s.Text(u, "hi")
		users = append(users, u)
	}
	round := func() {
		var wg sync.WaitGroup
		for _, u := range users {
			wg.Go(func() {
				if _, err := c.SendMessage(context.Background(), u.ID, "xin chào"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	round()
	opened := s.Conns()
	round()
	if again := s.Conns() - opened; again > 0 || opened > 16 {
		t.Errorf("%d connections for 16 sends at once, %d more for the next 16", opened, again)
	}
}

// TestSenderNameFields: the sender's name is read from display_name (the
// docs' webhook sample), first_name (their getUpdates sample) or name
// (GUESS: what other clients of the API read), whichever is there.
func TestSenderNameFields(t *testing.T) {
	for field, want := range map[string]string{"display_name": "Chị Lan", "first_name": "Chị Lan", "name": "Chị Lan"} {
		raw := `{"ok":true,"result":{"event_name":"message.text.received","message":{"message_id":"m1","date":1750316131602,` +
			`"text":"hi","chat":{"id":"c1","chat_type":"PRIVATE"},"from":{"id":"u1","` + field + `":"Chị Lan","is_bot":false}}}}`
		u, err := ParseUpdate([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", field, err)
		}
		if u.Message == nil || u.Message.From.DisplayName != want {
			t.Errorf("%s: name %q", field, u.Message.From.DisplayName)
		}
	}
}
