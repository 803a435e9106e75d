package fakeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Call is one API request the bot made. Params holds the request's
// parameters (each fake says how it reads them). Status is the HTTP status
// answered, or 0 while in flight or when the connection was dropped or
// abandoned by the client.
type Call struct {
	Method string
	Params map[string]string
	At     time.Time
	Status int
}

// Core is what a fake API server is made of beside its methods: the
// loopback server and its closing, the changes Wait is woken by, the
// network between the bot and the fake (Latency), the connections
// accepted, the calls recorded and how many are handled at once. A fake
// embeds it and calls Start. Its methods are safe for concurrent use; its
// lock is its own, taken after the fake's (never the other way round), so
// a fake may call Notify and Changes while holding its lock.
type Core struct {
	srv       *httptest.Server
	done      chan struct{}
	onClose   func()
	closeOnce sync.Once
	conns     Conns

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	latency Latency
	faults  func(method string, params map[string]string) *Fault
	calls   []Call
	active  int // calls being handled, long polls aside
	peak    int
}

// Start serves h on an ephemeral 127.0.0.1 port; onClose, if not nil,
// runs as the fake closes, once Done is closed and before the server
// stops (it ends what the fake runs of its own, a webhook's delivery).
func (c *Core) Start(h http.Handler, onClose func()) {
	c.done = make(chan struct{})
	c.onClose = onClose
	c.changed = make(chan struct{})
	c.srv = httptest.NewUnstartedServer(h)
	c.srv.Config.ConnState = c.conns.Track
	c.srv.Start()
}

// Close ends pending long polls and delayed calls, then stops the
// server. It is safe to call more than once.
func (c *Core) Close() {
	c.closeOnce.Do(func() {
		// httptest.Server.Close waits for running handlers, so they must be
		// told to finish first.
		close(c.done)
		if c.onClose != nil {
			c.onClose()
		}
		c.srv.Close()
	})
}

// Done is closed when the fake closes.
func (c *Core) Done() <-chan struct{} { return c.done }

// URL is the base URL of the fake, without any path.
func (c *Core) URL() string { return c.srv.URL }

// Endpoint is the format string of a method's URL, taking the token and
// the method name (what tgbotapi.NewBotAPIWithClient expects).
func (c *Core) Endpoint() string { return c.srv.URL + "/bot%s/%s" }

// SetLatency puts a network between the bot and the fake: every API call,
// long polls included, takes l.RTT longer, half before the fake acts on it
// and half before the bot sees the answer. What users do reaches the fake
// at once. The zero Latency, the default, answers at once.
func (c *Core) SetLatency(l Latency) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latency = l
}

// Inject installs f as c's fault injection: f is consulted before each
// call (with a copy of its parameters), including calls with a wrong
// token; returning nil handles the call normally. f runs without any lock
// and may be called concurrently; nil removes it. F is the fake's own
// Fault type, which common turns into a Fault.
func Inject[F any](c *Core, f func(method string, params map[string]string) *F, common func(*F) *Fault) {
	var faults func(string, map[string]string) *Fault
	if f != nil {
		faults = func(method string, params map[string]string) *Fault {
			if ff := f(method, params); ff != nil {
				return common(ff)
			}
			return nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = faults
}

// Conns is how many connections the bot opened to the fake so far.
func (c *Core) Conns() int64 { return c.conns.Count() }

// Notify wakes whatever waits for a change (Wait, long polls).
func (c *Core) Notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.changed)
	c.changed = make(chan struct{})
}

// Changes is the channel closed at the next change. Taken before looking
// at the fake's state, it cannot miss a change made after the look.
func (c *Core) Changes() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// Wait reports whether cond became true within timeout. cond runs without
// the fake's lock, after every change to the fake (calls, answers, updates
// queued and handed out) and at least every 20ms.
func (c *Core) Wait(timeout time.Duration, cond func() bool) bool {
	return Wait(timeout, c.Changes, cond)
}

// Calls returns every API call the bot made, in arrival order.
func (c *Core) Calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Call, len(c.calls))
	for i, call := range c.calls {
		call.Params = CopyParams(call.Params)
		out[i] = call
	}
	return out
}

// PeakInFlight is the most calls the fake was handling at once, long
// polls aside: how many requests the bot kept outstanding.
func (c *Core) PeakInFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak
}

// Record adds a call the fake answered outside Serve (a file download).
func (c *Core) Record(call Call) {
	c.mu.Lock()
	c.calls = append(c.calls, call)
	c.mu.Unlock()
	c.Notify()
}

// Sleep waits d unless the client goes away or the fake closes.
func (c *Core) Sleep(ctx context.Context, d time.Duration) bool {
	return Sleep(ctx, c.done, d)
}

// Answer is a fake's answer to one call.
type Answer interface {
	Status() int // the HTTP status
	Write(w http.ResponseWriter)
}

// Fault is what an injected fault does to a call (each fake has a Fault
// type of its own for its tests, which it turns into this).
type Fault struct {
	// Delay sleeps first, ending early if the client goes away or the
	// fake closes (the call is then abandoned).
	Delay time.Duration
	// Drop closes the connection without an answer, the call unhandled.
	Drop bool
	// Answer, when not nil, answers instead of handling the call.
	Answer Answer
	// DropReply handles the call and then closes the connection without
	// an answer: its effect is lost to the bot.
	DropReply bool
}

// Method reads a call's path, /bot<token>/<method>; false if it is not one.
func Method(path string) (token, method string, ok bool) {
	token, method, found := strings.Cut(strings.TrimPrefix(path, "/bot"), "/")
	if !strings.HasPrefix(path, "/bot") || !found || method == "" || strings.Contains(method, "/") {
		return "", "", false
	}
	return token, method, true
}

// API is what a fake's calls, POSTs (or GETs) to /bot<token>/<method>,
// need of the fake; Q is a call as the fake reads it.
type API[Q any] struct {
	Token string
	// NotFound answers a path that names no method; Unauthorized a call
	// with another token than Token.
	NotFound, Unauthorized Answer
	// Read reads a call's parameters: q for Dispatch, params as Calls
	// shows them, and bad, when they do not read, the error answer (given
	// only if the token is right).
	Read func(w http.ResponseWriter, r *http.Request, method string) (q Q, params map[string]string, bad Answer)
	// Dispatch answers a call read, with the right token.
	Dispatch func(q Q) Answer
	// LongPoll is the method that waits for updates (matched whatever
	// its case): not counted in PeakInFlight.
	LongPoll string
}

// Handler serves a fake's API through Serve.
func Handler[Q any](c *Core, api API[Q]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, method, found := Method(r.URL.Path)
		if !found {
			api.NotFound.Write(w)
			return
		}
		q, params, bad := api.Read(w, r, method)
		c.Serve(w, r, method, params, strings.EqualFold(method, api.LongPoll), func() Answer {
			switch {
			case token != api.Token:
				return api.Unauthorized
			case bad != nil:
				return bad
			}
			return api.Dispatch(q)
		})
	}
}

// Serve takes one call (method, its parameters read) through what every
// fake does with a call: its way in across the network (Latency), its
// record in Calls (a long poll not counted in PeakInFlight), fault
// injection (Inject), handle, and the answer on its way back, its
// status recorded before it is written, so that a client which has seen
// the answer also sees the finished call.
func (c *Core) Serve(w http.ResponseWriter, r *http.Request, method string, params map[string]string, longPoll bool, handle func() Answer) {
	c.mu.Lock()
	latency := c.latency
	c.mu.Unlock()
	if !latency.In(r.Context(), c.done) {
		return // the client gave up on its way in
	}
	w = latency.Out(r.Context(), c.done, w)

	c.mu.Lock()
	idx := len(c.calls)
	c.calls = append(c.calls, Call{Method: method, Params: CopyParams(params), At: time.Now()})
	faults := c.faults
	if !longPoll {
		c.active++
		c.peak = max(c.peak, c.active)
		defer func() {
			c.mu.Lock()
			c.active--
			c.mu.Unlock()
		}()
	}
	c.mu.Unlock()
	c.Notify()

	dropReply := false
	var f *Fault
	if faults != nil {
		f = faults(method, CopyParams(params))
	}
	if f != nil {
		if f.Delay > 0 && !c.Sleep(r.Context(), f.Delay) {
			c.finish(idx, 0)
			return
		}
		if f.Drop {
			c.finish(idx, 0)
			Drop(w)
			return
		}
		if f.Answer != nil {
			c.finish(idx, f.Answer.Status())
			f.Answer.Write(w)
			return
		}
		dropReply = f.DropReply
	}
	answer := handle()
	if dropReply {
		c.finish(idx, 0)
		Drop(w)
		return
	}
	c.finish(idx, answer.Status())
	answer.Write(w)
}

func (c *Core) finish(idx, status int) {
	c.mu.Lock()
	c.calls[idx].Status = status
	c.mu.Unlock()
	c.Notify()
}

// CopyParams copies a call's parameters.
func CopyParams(p map[string]string) map[string]string {
	if p == nil {
		return nil
	}
	return maps.Clone(p)
}

// Marshal encodes JSON without HTML escaping, as the platforms do, so that
// bodies look like the real thing when a test dumps them.
func Marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("fakeapi: encoding %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Methods are a fake's methods, by their lower-case names (a call's
// method is matched whatever its case).
type Methods[S, Q any, R Answer] struct {
	// Waiting wait for something (a long poll) and run without the
	// fake's lock; the others run under it.
	Waiting, Locked map[string]func(S, Q) R
	// Limited are the methods that count against the fake's send limits:
	// Limit is asked first (under the lock) and its answer, if any,
	// refuses the call; a limited method the fake does not have is
	// limited all the same.
	Limited map[string]bool
	Limit   func(s S, name string, q Q) *R
	// NotFound answers a method the fake does not have.
	NotFound R
}

// Dispatch answers a call to fake s, lock being the fake's lock.
func (m *Methods[S, Q, R]) Dispatch(s S, lock sync.Locker, method string, q Q) R {
	name := strings.ToLower(method)
	if h := m.Waiting[name]; h != nil {
		return h(s, q)
	}
	lock.Lock()
	defer lock.Unlock()
	if m.Limited[name] {
		if r := m.Limit(s, name, q); r != nil {
			return *r
		}
	}
	if h := m.Locked[name]; h != nil {
		return h(s, q)
	}
	return m.NotFound
}
