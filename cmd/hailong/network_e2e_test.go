package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/bot/telegramtest"
	"hailong/internal/fakeapi"
)

// TestFastTappersAcrossANetwork: parents who tap every half second —
// faster than Telegram lets the bot edit their chat — each on their own
// phone 150 ms (±25) from the Bot API, with Telegram's limits enforced and
// the configuration's own limits: every one finishes the survey, no tap is
// answered with the stale-button notice, and nothing is refused with 429.
// (The first version looped on "Nút đó thuộc một tin nhắn cũ" and never
// finished.)
func TestFastTappersAcrossANetwork(t *testing.T) {
	h := newHarness(t)
	cfg := testConfig(h.srv.Endpoint())
	cfg = strings.Replace(cfg, "  limits: {per_second: 1000, per_chat_per_second: 1000, per_chat_burst: 100, group_per_minute: 6000}\n", "", 1)
	cfg = strings.Replace(cfg, "  flood: {updates: 1000, window: 10s, pause: 1m}\n", "", 1)
	if err := os.WriteFile(h.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h.clock.run()
	h.srv.SetLatency(fakeapi.Latency{RTT: 150 * time.Millisecond, Jitter: 50 * time.Millisecond})
	h.srv.EnforceLimits(telegramtest.TelegramLimits)
	h.start()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	codes := []string{"TH-TV", "THCS-TD", "MN-HN", "TH-TV"}
	ps := make([]*tapper, len(codes))
	var wg sync.WaitGroup
	for i, code := range codes {
		ps[i] = newTapper(h.srv, 7_100_000+int64(i), code)
		wg.Go(func() { ps[i].paced(ctx, 500*time.Millisecond, 500*time.Millisecond, 1) })
	}
	wg.Wait()
	for i, p := range ps {
		if p.surveys != 1 || p.stale != 0 {
			t.Errorf("parent %d (%s): %d surveys sent, %d stale-button notices, after %d taps", i, codes[i], p.surveys, p.stale, p.taps)
		}
	}
	if v := h.srv.Violations(); len(v) > 0 {
		t.Errorf("%d calls refused with 429: %+v", len(v), v)
	}
	h.stop()
	agg := checkAggregates(t, h.openDB(), "w1")
	total := 0
	for _, n := range agg.Respondents {
		total += n
	}
	if total != len(codes) {
		t.Errorf("%d responses stored, want %d", total, len(codes))
	}
}

// TestFloodedPressesGoLast: 300 presses from a user the flood guard
// ignores, 40 ms from the Bot API, no longer hold up another parent's first
// reply: their acknowledgements go one at a time, after everyone else's
// messages. (The first version answered them first and one by one: the
// other parent waited 13.7 s.)
func TestFloodedPressesGoLast(t *testing.T) {
	h := newHarness(t)
	cfg := strings.Replace(testConfig(h.srv.Endpoint()), "flood: {updates: 1000", "flood: {updates: 20", 1)
	if err := os.WriteFile(h.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h.srv.SetLatency(fakeapi.Latency{RTT: 40 * time.Millisecond})
	h.start()
	flooder := telegramtest.User{ID: 5550401, FirstName: "Nhanh"}
	h.srv.SendText(flooder, "/start")
	h.expect(flooder, "Anh/chị có đồng ý")
	m, _ := h.srv.Last(flooder.ID)
	var cbs []string
	for range 300 {
		_, cb := h.srv.PressButton(flooder, m.ID, "lg:en")
		cbs = append(cbs, cb)
	}
	if !h.srv.Wait(10*time.Second, func() bool { return h.srv.Pending() == 0 }) {
		t.Fatal("the presses were not fetched")
	}
	h.srv.SendText(parent, "/start")
	h.expect(parent, "Anh/chị có đồng ý")
	answered := h.srv.CallbackAnswers()
	n := 0
	for _, cb := range cbs {
		if _, ok := answered[cb]; ok {
			n++
		}
	}
	t.Logf("the parent's first reply came after %d of the flooder's 300 acknowledgements", n)
	if n > 150 {
		t.Errorf("the parent's first reply came after %d of the flooder's 300 acknowledgements", n)
	}
	// Every press is acknowledged in the end (a button would spin).
	if !h.srv.Wait(60*time.Second, func() bool { return len(h.srv.Unanswered()) == 0 }) {
		t.Errorf("%d presses never acknowledged", len(h.srv.Unanswered()))
	}
}
