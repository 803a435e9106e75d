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
