package zalotest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// received is one POST a receiver got.
type received struct {
	secret, contentType string
	update              update
	body                string
}

// receiver is a webhook target on loopback; answer decides each status.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T, answer func(r *http.Request, u update) int) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got := received{
			secret:      r.Header.Get("X-Bot-Api-Secret-Token"),
			contentType: r.Header.Get("Content-Type"),
			body:        string(body),
		}
		// The documented envelope, {"ok":true,"result":<update>}.
		var env struct {
			OK     *bool           `json:"ok"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.OK == nil || !*env.OK {
			t.Errorf("webhook body %q is not the documented envelope: %v", body, err)
		} else if err := json.Unmarshal(env.Result, &got.update); err != nil {
			t.Errorf("webhook body %q: %v", body, err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		rc.mu.Unlock()
		w.WriteHeader(answer(r, got.update))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func always(status int) func(*http.Request, update) int {
	return func(*http.Request, update) int { return status }
}

// webhookInfo is what setWebhook, getWebhookInfo and deleteWebhook
// answer, as the docs show: no pending count, no word of the secret.
type webhookInfo struct {
	URL       string `json:"url"`
	UpdatedAt int64  `json:"updated_at"`
}

func TestSetWebhookValidation(t *testing.T) {
	s, c := newClient(t)
	hook := newReceiver(t, always(200))
	cases := []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"url": hook.URL, "secret_token": "1234567"}, "secret_token must be 8 to 256 characters"},
		{map[string]any{"url": hook.URL, "secret_token": strings.Repeat("s", 257)}, "secret_token must be 8 to 256 characters"},
		{map[string]any{"url": hook.URL}, "secret_token must be 8 to 256 characters"},
		{map[string]any{"secret_token": "12345678"}, "url is required"},
		{map[string]any{"url": "ftp://x.test/h", "secret_token": "12345678"}, "url must be an http or https URL"},
		{map[string]any{"url": hook.URL, "secret_token": 12345678}, "secret_token must be a string"},
	}
	for _, tc := range cases {
		wantError(t, c.call("setWebhook", tc.params), 400, tc.want)
	}
	var info webhookInfo
	c.result("getWebhookInfo", nil, &info)
	if info != (webhookInfo{}) {
		t.Fatalf("info before = %+v", info)
	}

	// A poll waiting when the webhook is set is ended with the same error.
	pollErr := make(chan apiResp, 1)
	go func() {
		r, _ := c.try("getUpdates", map[string]any{"timeout": "10"})
		pollErr <- r
	}()
	s.Wait(2*time.Second, func() bool { return len(s.Calls()) == len(cases)+2 })

	before := time.Now().UnixMilli()
	c.result("setWebhook", map[string]any{"url": hook.URL, "secret_token": strings.Repeat("s", 256)}, &info)
	if info.URL != hook.URL || info.UpdatedAt < before || info.UpdatedAt > time.Now().UnixMilli() {
		t.Fatalf("setWebhook = %+v", info)
	}
	// Characters, not bytes: eight Vietnamese letters are 8 to 24 bytes.
	c.result("setWebhook", map[string]any{"url": hook.URL, "secret_token": "ưởđệắẫộờ"}, &info)
	select {
	case r := <-pollErr:
		wantError(t, r, 400, "webhook is active")
	case <-time.After(3 * time.Second):
		t.Fatal("setWebhook did not end the waiting poll")
	}
	wantError(t, c.call("getUpdates", map[string]any{"timeout": "0"}), 400, "webhook is active")

	var got webhookInfo
	c.result("getWebhookInfo", nil, &got)
	if got.URL != hook.URL || got.UpdatedAt != info.UpdatedAt {
		t.Fatalf("info = %+v, set %+v", got, info)
	}
	var deleted webhookInfo
	c.result("deleteWebhook", nil, &deleted)
	if deleted.URL != "" || deleted.UpdatedAt < info.UpdatedAt {
		t.Fatalf("deleteWebhook = %+v", deleted)
	}
	c.result("deleteWebhook", nil, &deleted) // nothing to delete is fine
	got = webhookInfo{}
	c.result("getWebhookInfo", nil, &got)
	if got.URL != "" || got.UpdatedAt != deleted.UpdatedAt {
		t.Fatalf("info after delete = %+v", got)
	}
	if u := c.poll("0"); u != nil {
		t.Fatalf("poll = %+v", u)
	}
}

func TestWebhookDeliveryRetriedInOrder(t *testing.T) {
	s, c := newClient(t)
	s.SetWebhookOptions(WebhookOptions{RetryDelay: 10 * time.Millisecond})
	var failedOnce atomic.Bool
	hook := newReceiver(t, func(_ *http.Request, u update) int {
		if u.Message.Text == "hai" && failedOnce.CompareAndSwap(false, true) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	const secret = "bí-mật-12345"
	c.result("setWebhook", map[string]any{"url": hook.URL, "secret_token": secret}, new(webhookInfo))
	ids := []string{s.Text(lan, "một"), s.Text(lan, "hai"), s.Text(lan, "ba")}
	if !s.Wait(5*time.Second, func() bool { return len(s.Deliveries()) == 4 && s.Pending() == 0 }) {
		t.Fatalf("deliveries = %+v, pending %d", s.Deliveries(), s.Pending())
	}

	// "ba" waits until "hai" has been delivered: one in flight, in order.
	var texts []string
	for _, r := range hook.requests() {
		texts = append(texts, r.update.Message.Text)
		if r.secret != secret || r.contentType != "application/json" || r.update.EventName != "message.text.received" ||
			!strings.HasPrefix(r.body, `{"ok":true,"result":{"event_name":"message.text.received","message":{`) {
			t.Fatalf("request = %+v", r)
		}
	}
	if fmt.Sprint(texts) != "[một hai hai ba]" {
		t.Fatalf("received %v", texts)
	}
	ds := s.Deliveries()
	wantIDs := []string{ids[0], ids[1], ids[1], ids[2]}
	wantStatus := []int{200, 500, 200, 200}
	wantAttempt := []int{1, 1, 2, 1}
	for i, d := range ds {
		if d.MessageID != wantIDs[i] || d.Status != wantStatus[i] || d.Attempt != wantAttempt[i] || d.Err != "" ||
			d.URL != hook.URL || d.Secret != secret || d.EventName != "message.text.received" || d.Body != hook.requests()[i].body {
			t.Fatalf("delivery %d = %+v", i, d)
		}
	}
	var info webhookInfo
	c.result("getWebhookInfo", nil, &info)
	if info.URL != hook.URL || s.Pending() != 0 {
		t.Fatalf("info = %+v, pending %d", info, s.Pending())
	}
}

func TestWebhookReceiverReplies(t *testing.T) {
	s, c := newClient(t)
	// The bot answers from inside its webhook handler, as a real one does.
	hook := newReceiver(t, func(_ *http.Request, u update) int {
		r, err := c.try("sendMessage", map[string]any{"chat_id": u.Message.Chat.ID, "text": "Đã nhận: " + u.Message.Text})
		if err != nil || !r.OK {
			t.Errorf("reply: %v %s", err, r.body)
			return 500
		}
		return 200
	})
	c.result("setWebhook", map[string]any{"url": hook.URL + "/zalo", "secret_token": "12345678"}, new(webhookInfo))
	s.Text(lan, "Xin chào")
	if !s.Wait(5*time.Second, func() bool {
		m, found := s.Last(lan.ID)
		return found && m.Text == "Đã nhận: Xin chào"
	}) {
		t.Fatalf("no reply; deliveries %+v", s.Deliveries())
	}
	s.Wait(5*time.Second, func() bool { return len(s.Deliveries()) == 1 })
	if d := s.Deliveries(); len(d) != 1 || d[0].Status != 200 || d[0].URL != hook.URL+"/zalo" {
		t.Fatalf("deliveries = %+v", d)
	}
}

func TestDeleteWebhookReturnsQueued(t *testing.T) {
	s, c := newClient(t)
	s.SetWebhookOptions(WebhookOptions{RetryDelay: 5 * time.Millisecond})
	hook := newReceiver(t, always(http.StatusServiceUnavailable))
	c.result("setWebhook", map[string]any{"url": hook.URL, "secret_token": "12345678"}, new(webhookInfo))
	first, second := s.Text(lan, "một"), s.Text(lan, "hai")
	if !s.Wait(5*time.Second, func() bool { return len(s.Deliveries()) >= 3 }) {
		t.Fatalf("deliveries = %+v", s.Deliveries())
	}
	var info webhookInfo
	c.result("getWebhookInfo", nil, &info)
	if info.URL != hook.URL || s.Pending() != 2 {
		t.Fatalf("info = %+v pending %d", info, s.Pending())
	}
	var deleted webhookInfo
	c.result("deleteWebhook", nil, &deleted)
	// Once deleteWebhook has answered, nothing more is posted.
	n := len(s.Deliveries())
	for i, d := range s.Deliveries() {
		// The failing head blocks the rest.
		if d.MessageID != first || d.Status != 503 && d.Err == "" || d.Attempt != i+1 {
			t.Fatalf("delivery %d = %+v", i, d)
		}
	}
	if deleted.URL != "" || s.Pending() != 2 {
		t.Fatalf("deleted %v pending %d", deleted, s.Pending())
	}
	for _, want := range []string{first, second} {
		if u := c.poll("0"); u == nil || u.Message.MessageID != want {
			t.Fatalf("poll = %+v, want %s", u, want)
		}
	}
	if u := c.poll("0"); u != nil {
		t.Fatalf("poll = %+v", u)
	}
	if len(s.Deliveries()) != n {
		t.Fatalf("delivered after deleteWebhook: %+v", s.Deliveries()[n:])
	}
}

func TestWebhookTimeoutAndNonLoopback(t *testing.T) {
	s, c := newClient(t)
	s.SetWebhookOptions(WebhookOptions{RetryDelay: 5 * time.Millisecond, Timeout: 100 * time.Millisecond})
	var calls atomic.Int32
	hook := newReceiver(t, func(r *http.Request, _ update) int {
		if calls.Add(1) == 1 {
			<-r.Context().Done() // too slow: the fake gives up
		}
		return 200
	})
	c.result("setWebhook", map[string]any{"url": hook.URL, "secret_token": "12345678"}, new(webhookInfo))
	id := s.Text(lan, "chậm")
	if !s.Wait(5*time.Second, func() bool { return s.Pending() == 0 }) {
		t.Fatalf("deliveries = %+v", s.Deliveries())
	}
	ds := s.Deliveries()
	if len(ds) != 2 || ds[0].Status != 0 || ds[0].Err == "" || ds[1].Status != 200 || ds[1].MessageID != id || ds[1].Attempt != 2 {
		t.Fatalf("deliveries = %+v", ds)
	}

	// Real addresses are never dialled, so such deliveries fail.
	for _, target := range []string{"https://example.com/zalo", "http://192.0.2.1:8080/zalo"} {
		c.result("setWebhook", map[string]any{"url": target, "secret_token": "12345678"}, new(webhookInfo))
		s.Text(lan, "x")
		if !s.Wait(5*time.Second, func() bool {
			ds := s.Deliveries()
			d := ds[len(ds)-1]
			return d.URL == target && d.Status == 0 && strings.Contains(d.Err, "only goes to loopback")
		}) {
			t.Fatalf("no refused delivery to %s: %+v", target, s.Deliveries())
		}
		c.result("deleteWebhook", nil, new(webhookInfo))
		if u := c.poll("0"); u == nil || u.Message.Text != "x" {
			t.Fatalf("poll = %+v", u)
		}
	}
}

// TestWebhookBareForm: with Forms.BareWebhook the update is posted without
// its envelope, as some clients' tests show it.
func TestWebhookBareForm(t *testing.T) {
	s, c := newClient(t)
	s.SetForms(Forms{BareWebhook: true})
	var mu sync.Mutex
	var body string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		body = string(b)
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	c.result("setWebhook", map[string]any{"url": hook.URL, "secret_token": "12345678"}, new(webhookInfo))
	s.Text(lan, "một")
	if !s.Wait(5*time.Second, func() bool { return len(s.Deliveries()) == 1 }) {
		t.Fatal("not delivered")
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.HasPrefix(body, `{"event_name":"message.text.received","message":{`) || s.Deliveries()[0].Body != body {
		t.Errorf("posted %s", body)
	}
}
