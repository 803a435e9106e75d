// Package fakeapi holds what the project's fake chat APIs (bot/telegramtest,
// zalo/zalotest) share: waiting for a condition woken by changes, the token
// bucket their rate limits are made of, and dropping a connection.
package fakeapi

import (
	"context"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
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
	// Through a ResponseController, so that a wrapped writer (one that
	// delays its answer) can be dropped too.
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// Latency is the network between the bot and a fake: every call is
// delayed by a round trip, half on the way in (before the fake acts on
// it) and half on the way out (before the bot sees the answer), as a
// request to a server far away is. Jitter spreads each leg uniformly by up
// to ±Jitter/2. The zero Latency adds nothing.
type Latency struct {
	RTT, Jitter time.Duration
}

// Leg is one way's delay: half the round trip, jittered.
func (l Latency) Leg() time.Duration {
	d := l.RTT / 2
	if l.Jitter > 0 {
		d += rand.N(l.Jitter) - l.Jitter/2
	}
	return max(d, 0)
}

// In waits the request's way in, before the fake acts on it; false if the
// client gave up or the fake closed meanwhile.
func (l Latency) In(ctx context.Context, done <-chan struct{}) bool {
	return l.RTT <= 0 || Sleep(ctx, done, l.Leg())
}

// Out wraps w so that the answer waits its way back: the call has had its
// effect, the client learns of it only then.
func (l Latency) Out(ctx context.Context, done <-chan struct{}, w http.ResponseWriter) http.ResponseWriter {
	if l.RTT <= 0 {
		return w
	}
	return &delayed{ResponseWriter: w, wait: func() { Sleep(ctx, done, l.Leg()) }}
}

// delayed holds an answer back until wait returns, whether the handler
// starts it with WriteHeader or with Write.
type delayed struct {
	http.ResponseWriter
	wait func()
	once sync.Once
}

func (d *delayed) WriteHeader(code int) {
	d.once.Do(d.wait)
	d.ResponseWriter.WriteHeader(code)
}

func (d *delayed) Write(b []byte) (int, error) {
	d.once.Do(d.wait)
	return d.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Drop).
func (d *delayed) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// Conns counts the connections a fake accepted, so that a test can tell
// whether the client reuses them.
type Conns struct{ n atomic.Int64 }

// Track is an http.Server's ConnState hook.
func (c *Conns) Track(_ net.Conn, st http.ConnState) {
	if st == http.StateNew {
		c.n.Add(1)
	}
}

// Count is how many connections were opened so far.
func (c *Conns) Count() int64 { return c.n.Load() }

// Limiter is a fake's send limits: a bucket for all chats together and one
// for each chat (K is how the fake keys chats), made at first use. Like
// the fake's other state it lives under the fake's lock.
type Limiter[K comparable] struct {
	global *Bucket // nil when all chats together are unlimited
	chats  map[K]*Bucket
}

// NewLimiter returns a limiter allowing rate calls a second to all chats
// together, with bursts of burst; a rate of zero or less leaves them
// unlimited.
func NewLimiter[K comparable](rate, burst float64, now time.Time) *Limiter[K] {
	l := &Limiter[K]{chats: map[K]*Bucket{}}
	if rate > 0 {
		l.global = NewBucket(rate, burst, now)
	}
	return l
}

// Chat is the chat's bucket, full at its first use; nil (unlimited) when
// rate is zero or less.
func (l *Limiter[K]) Chat(key K, rate, burst float64, now time.Time) *Bucket {
	if rate <= 0 {
		return nil
	}
	b := l.chats[key]
	if b == nil {
		b = NewBucket(rate, burst, now)
		l.chats[key] = b
	}
	return b
}

// Take takes a token from chat (nil: the chat is unlimited) and from the
// global bucket when both have one. Otherwise it takes none and says which
// refused — "chat" or "global" — and that bucket, whose Wait is the time
// to its next token.
func (l *Limiter[K]) Take(chat *Bucket, now time.Time) (refused string, b *Bucket) {
	if chat != nil && !chat.Ready(now) {
		return "chat", chat
	}
	if l.global != nil && !l.global.Ready(now) {
		return "global", l.global
	}
	if chat != nil {
		chat.Take()
	}
	if l.global != nil {
		l.global.Take()
	}
	return "", nil
}

// Log is a list a fake appends to and a test reads (violations of its
// limits, webhook deliveries), with a lock of its own, taken after the
// fake's. Its zero value is empty and ready.
type Log[V any] struct {
	mu   sync.Mutex
	list []V
}

// Add appends v.
func (l *Log[V]) Add(v V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, v)
}

// All returns a copy of what was added, in order.
func (l *Log[V]) All() []V {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]V(nil), l.list...)
}
