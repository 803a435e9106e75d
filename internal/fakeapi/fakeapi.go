// Package fakeapi holds what the project's fake chat APIs (bot/telegramtest,
// zalo/zalotest) share: waiting for a condition woken by changes, the token
// bucket their rate limits are made of, and dropping a connection.
package fakeapi

import (
	"context"
	"math"
	"net/http"
	"time"
)

// Wait reports whether cond holds within timeout, evaluating it whenever
// the fake changes and every 20 ms. changed returns the channel the fake
// closes at its next change.
func Wait(timeout time.Duration, changed func() <-chan struct{}, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		// Taking the channel before evaluating cond means a change made
		// while cond runs still wakes us.
		ch := changed()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-deadline.C:
			return cond()
		}
	}
}

// Sleep waits d and reports whether it did, rather than ending early
// because the client went away (ctx) or the fake closed (done).
func Sleep(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-done:
		return false
	}
}

// Bucket is a token bucket: it holds up to burst tokens and gains rate
// tokens per second of real time; each allowed call takes one.
type Bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

// NewBucket returns a full bucket.
func NewBucket(rate, burst float64, now time.Time) *Bucket {
	return &Bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// Ready refills the bucket up to now and reports whether a token is there.
func (b *Bucket) Ready(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = math.Min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	return b.tokens >= 1
}

// Wait is how long until the next token, after Ready.
func (b *Bucket) Wait() time.Duration {
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// Take uses a token.
func (b *Bucket) Take() { b.tokens-- }

// Drop closes the client's connection without an answer, as a network
// failure would.
func Drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fakeapi: response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
