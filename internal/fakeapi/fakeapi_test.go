package fakeapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestLatency: a call through a fake with a network takes at least the
// round trip, and the fake acts on it half way (after the way in, before
// the way back); the connections it accepted are counted, and kept alive.
func TestLatency(t *testing.T) {
	const rtt = 80 * time.Millisecond
	lat := Latency{RTT: rtt}
	done := make(chan struct{})
	defer close(done)
	var acted atomic.Int64 // when the fake acted, in ns since start
	start := time.Now()
	var conns Conns
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !lat.In(r.Context(), done) {
			return
		}
		acted.Store(int64(time.Since(start)))
		w = lat.Out(r.Context(), done, w)
		io.WriteString(w, "ok") // no WriteHeader: the answer waits all the same
	}))
	srv.Config.ConnState = conns.Track
	srv.Start()
	defer srv.Close()
	for i := range 3 {
		start = time.Now()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if took < rtt {
			t.Errorf("call %d took %s, less than the round trip %s", i, took, rtt)
		}
		if a := time.Duration(acted.Load()); a < rtt/2 || a > took-rtt/2+time.Millisecond {
			t.Errorf("call %d: the fake acted at %s of %s; want after the way in and before the way back", i, a, took)
		}
	}
	if n := conns.Count(); n != 1 {
		t.Errorf("%d connections for three calls one after another; want one kept alive", n)
	}
	if l := (Latency{RTT: 100 * time.Millisecond, Jitter: 40 * time.Millisecond}); l.Leg() < 30*time.Millisecond || l.Leg() > 70*time.Millisecond {
		t.Errorf("a leg of 100 ms ± 40 ms jitter out of range")
	}
}

// TestLimiter: a chat's bucket and the global one are both taken from, or
// neither; the one that refuses is named.
func TestLimiter(t *testing.T) {
	now := time.Now()
	l := NewLimiter[string](3, 3, now)
	a := l.Chat("a", 1, 2, now)
	if a != l.Chat("a", 1, 2, now) || a == l.Chat("b", 1, 2, now) {
		t.Fatal("a chat's bucket is not its own")
	}
	if l.Chat("c", 0, 2, now) != nil {
		t.Error("a chat without a rate got a bucket")
	}
	for i := range 2 {
		if refused, _ := l.Take(a, now); refused != "" {
			t.Fatalf("call %d within chat a's burst refused by %s", i+1, refused)
		}
	}
	if refused, b := l.Take(a, now); refused != "chat" || b != a || b.Wait() <= 0 {
		t.Fatalf("chat a over its burst: refused by %q", refused)
	}
	// Chat a's refusal took no global token: one is left for b.
	if refused, _ := l.Take(l.Chat("b", 1, 2, now), now); refused != "" {
		t.Fatalf("chat b refused by %s", refused)
	}
	if refused, _ := l.Take(nil, now); refused != "global" {
		t.Fatalf("a fourth call of all chats: refused by %q, want global", refused)
	}
	if refused, _ := l.Take(nil, now.Add(time.Second)); refused != "" {
		t.Errorf("a second later the global bucket still refuses")
	}
	if refused, _ := NewLimiter[int](0, 0, now).Take(nil, now); refused != "" {
		t.Errorf("an unlimited limiter refused")
	}
}
