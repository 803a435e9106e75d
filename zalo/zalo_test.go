package zalo

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/flows"
	"hailong/internal/channel"
	"hailong/outbox"
)

// outage is a store whose first fails Applies fail (the database is
// down), then records what it commits.
type outage struct {
	outbox.Store
	mu        sync.Mutex
	fails     int
	tries     int
	committed []flows.Batch
	ok        chan struct{} // told of each commit
}

func newOutage(fails int) *outage { return &outage{fails: fails, ok: make(chan struct{}, 16)} }

func (s *outage) Apply(b flows.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if s.tries <= s.fails {
		return errors.New("database unavailable")
	}
	s.committed = append(s.committed, b)
	s.ok <- struct{}{}
	return nil
}

// envelopes is every envelope committed, in order.
func (s *outage) envelopes() []flows.Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	var envs []flows.Envelope
	for _, b := range s.committed {
		envs = append(envs, b.Envelopes...)
	}
	return envs
}

// floodCommon are settings with a low flood limit (2 updates an hour) and
// quick retries.
func floodCommon() channel.Common {
	return channel.Common{Logger: slog.New(slog.DiscardHandler), Flood: 2, FloodWindow: time.Hour, FloodPause: time.Hour,
		RetryMin: time.Millisecond, RetryMax: time.Millisecond, PollTimeout: time.Second}.WithDefaults(DefaultLimits)
}

// TestPollScreensOnce: an update whose commit fails while the database is
// down is retried as it was screened, not screened again on each try: a
// user's one message is not counted as a flood (with a limit of 2, the
// third try would have been the warning and the fourth dropped, lost).
func TestPollScreensOnce(t *testing.T) {
	srv, client := newClient(t)
	st := newOutage(3)
	cfg := Config{Client: client, Store: st, Common: floodCommon()}
	b, _, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Text(srv.NewUser("Lan"), "xin chào")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.poll(ctx) }()
	select {
	case <-st.ok:
	case <-time.After(20 * time.Second):
		cancel()
		<-done
		t.Fatalf("the update was never committed (%d tries): lost", st.tries)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	envs := st.envelopes()
	if len(envs) != 1 || envs[0].Input.Kind != flows.KindText || envs[0].Input.Text != "xin chào" {
		t.Fatalf("committed %+v, want the user's text as it was sent", envs)
	}
	if st.tries != 4 {
		t.Errorf("%d tries, want 4 (3 failed)", st.tries)
	}
}

// TestWebhookRedeliveryScreenedOnce: Zalo sends an update again after a
// 500; the redelivery is the same update, not another one from the same
// user, so the flood guard does not count it again. Its one message is
// committed as sent, and a redelivery after a lost 200 too (the store
// applies it once); other messages are still counted.
func TestWebhookRedeliveryScreenedOnce(t *testing.T) {
	st := newOutage(3)
	cfg := Config{Store: st, Secret: "secret-token-1", Common: floodCommon()}
	b := &Bot{cfg: cfg, log: cfg.Logger, run: channel.New(Channel, cfg.Common, cfg.Logger)}
	h := b.Handler()
	post := func(body string) int {
		req := httptest.NewRequest(http.MethodPost, "/zalo", strings.NewReader(body))
		req.Header.Set("X-Bot-Api-Secret-Token", "secret-token-1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	for i := range 3 {
		if code := post(docsWebhookText); code != http.StatusInternalServerError {
			t.Fatalf("delivery %d while the database is down: %d, want 500", i+1, code)
		}
	}
	// The fourth delivery (and a fifth, its 200 lost) commit.
	for i := 3; i < 5; i++ {
		if code := post(docsWebhookText); code != http.StatusOK {
			t.Fatalf("delivery %d: %d, want 200", i+1, code)
		}
	}
	envs := st.envelopes()
	if len(envs) != 2 {
		t.Fatalf("committed %d envelopes, want the update twice (the store applies it once)", len(envs))
	}
	for _, env := range envs {
		if env.Input.Kind != flows.KindText || env.Input.Text != "Xin chào" || env.MessageRef != "2d758cb5e222177a4e35" {
			t.Errorf("committed %+v, want the user's text as it was sent", env.Input)
		}
	}
	// Two more messages of the user's: the second crosses the limit of 2.
	for i, want := range []flows.InputKind{flows.KindText, flows.KindFlood} {
		body := strings.Replace(docsWebhookText, "2d758cb5e222177a4e35", "other-"+string(rune('a'+i)), 1)
		if code := post(body); code != http.StatusOK {
			t.Fatalf("another message: %d", code)
		}
		envs := st.envelopes()
		if got := envs[len(envs)-1].Input.Kind; got != want {
			t.Errorf("the user's message %d after the first: %v, want %v", i+1, got, want)
		}
	}
}
