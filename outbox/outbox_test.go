package outbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestBackoff: zero bounds mean 1 s to 1 min; each delay is jittered
// between half and the whole of a doubling step, never past the cap, and
// Reset starts over.
func TestBackoff(t *testing.T) {
	var bo Backoff
	prevHi := time.Duration(0)
	for i := range 10 {
		d := bo.Next()
		hi := min(time.Second<<i, time.Minute)
		if d < hi/2 || d > hi {
			t.Fatalf("delay %d: %v, want within [%v, %v]", i, d, hi/2, hi)
		}
		if hi < prevHi {
			t.Fatalf("the cap went down")
		}
		prevHi = hi
	}
	bo.Reset()
	if d := bo.Next(); d > time.Second {
		t.Errorf("after Reset: %v, want at most 1 s", d)
	}
	short := Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond}
	for range 5 {
		if d := short.Next(); d > 40*time.Millisecond || d < 5*time.Millisecond {
			t.Fatalf("bounded delay %v outside 5–40 ms", d)
		}
	}
}

// TestGlobalLimiter: the burst is a third of a second's worth, at least 1.
func TestGlobalLimiter(t *testing.T) {
	if b := GlobalLimiter(30).Burst(); b != 10 {
		t.Errorf("burst at 30/s: %d, want 10", b)
	}
	if b := GlobalLimiter(2).Burst(); b != 1 {
		t.Errorf("burst at 2/s: %d, want 1", b)
	}
}

// TestChatLimiter: a chat is written a tenth under its limit, with at
// least a burst of one.
func TestChatLimiter(t *testing.T) {
	if l := ChatLimiter(1, 3); l.Limit() != 0.9 || l.Burst() != 3 {
		t.Errorf("1/s, burst 3: %v/s, burst %d", l.Limit(), l.Burst())
	}
	if l := ChatLimiter(20.0/60, 0); l.Burst() != 1 || l.Limit() >= 20.0/60 {
		t.Errorf("20/min, no burst: %v/s, burst %d", l.Limit(), l.Burst())
	}
}

// TestGrace: the requests' context outlives the sender's by the grace,
// ends at once when cancelled, and leaves nothing running when the
// sender's never ends.
func TestGrace(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	g, cancel := Grace(ctx, 500*time.Millisecond)
	defer cancel()
	stop()
	select {
	case <-g.Done():
		t.Fatal("ended with the sender's context, without the grace")
	case <-time.After(20 * time.Millisecond):
	}
	select {
	case <-g.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("did not end after the grace")
	}
	g2, cancel2 := Grace(context.Background(), time.Hour)
	cancel2()
	if g2.Err() == nil {
		t.Error("cancel did not end it")
	}
}

// TestRetry: a write is retried until it succeeds, each failure told of,
// and given up when ctx ends.
func TestRetry(t *testing.T) {
	bo := Backoff{Min: time.Millisecond, Max: time.Millisecond}
	calls, failures := 0, 0
	ok := Retry(context.Background(), &bo, func() error {
		calls++
		if calls < 3 {
			return errors.New("disk full")
		}
		return nil
	}, func(error) { failures++ })
	if !ok || calls != 3 || failures != 2 {
		t.Errorf("Retry = %v after %d calls, %d failures told; want true, 3, 2", ok, calls, failures)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ok = Retry(ctx, &bo, func() error { cancel(); return errors.New("disk full") }, func(error) {})
	if ok {
		t.Error("Retry reported a commit that never succeeded")
	}
	// A write is tried once even when ctx has ended (the sender's last
	// record at shutdown).
	calls = 0
	if Retry(ctx, &bo, func() error { calls++; return nil }, func(error) {}) != true || calls != 1 {
		t.Errorf("after ctx ended: %d calls", calls)
	}
}
