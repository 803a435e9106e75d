// Package channel holds what every chat channel (bot: Telegram; zalo:
// Zalo) has around the shared sender (outbox): the settings their
// configurations have in common, the channel's rate limiters (one for the
// whole channel, one per chat), the flood guard's word on each update, and
// the run loop — the sender in the background while the channel receives
// in the foreground. What was received is committed until it holds with
// outbox.Retry.
// A channel is then its API: receiving updates and decoding them to
// envelopes, and an outbox.Transport.
package channel

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"hailong/flows"
	"hailong/internal/flood"
	"hailong/outbox"
)

// Limits are the sending rates a channel keeps to.
type Limits struct {
	PerSecond     float64 // all chats together
	PerChatSecond float64 // one chat, with short bursts of PerChatBurst
	PerChatBurst  int
	// GroupPerMinute paces one group chat; 0 paces a group as any chat.
	GroupPerMinute float64
}

// Common are the settings every channel's Config has.
type Common struct {
	Logger *slog.Logger
	Now    func() time.Time // the clock flows see; default time.Now
	// PollTimeout is the long-poll timeout of getUpdates; default 30s.
	PollTimeout time.Duration
	// Limits are the sending rates; the zero Limits takes the channel's
	// defaults.
	Limits Limits
	// MaxInFlight bounds the API requests outstanding at once (one per
	// chat); 0 means outbox.DefaultMaxInFlight.
	MaxInFlight int
	// Retry bounds the backoff after a failure; default 1s…60s.
	RetryMin, RetryMax time.Duration
	// Reports builds the messages answering a report request (an
	// OutReport row); nil answers that reports are not available.
	Reports func(*flows.ReportRequest) ([]flows.Reply, error)
	// Flood is how many updates one user may send in FloodWindow before
	// being warned once and ignored for FloodPause; default 40 in 10 s,
	// paused a minute (internal/flood).
	Flood                   int
	FloodWindow, FloodPause time.Duration
}

// WithDefaults returns c with what it leaves zero filled in, limits being
// the channel's own default rates.
func (c Common) WithDefaults(limits Limits) Common {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 30 * time.Second
	}
	if c.Limits == (Limits{}) {
		c.Limits = limits
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = outbox.DefaultMaxInFlight
	}
	return c
}

// Runner is the part of a channel every channel has. Make one with New;
// it is safe for concurrent use.
type Runner struct {
	name   string
	cfg    Common
	log    *slog.Logger
	global *rate.Limiter
	guard  *flood.Guard
	sent   atomic.Int64

	mu    sync.Mutex
	chats map[string]*rate.Limiter
	// pruneAt is the size of chats at which limiters that have refilled
	// are forgotten next (pruneChats at least).
	pruneAt int

	// recent are the words Screen gave the updates ScreenOnce saw last.
	recentMu sync.Mutex
	recent   recentWords
}

// New returns the runner of the channel called name (its name in
// envelopes and the outbox), with cfg already given its defaults; log is
// the channel's logger.
func New(name string, cfg Common, log *slog.Logger) *Runner {
	return &Runner{name: name, cfg: cfg, log: log,
		global: outbox.GlobalLimiter(cfg.Limits.PerSecond),
		guard:  flood.New(cfg.Flood, cfg.FloodWindow, cfg.FloodPause),
		chats:  map[string]*rate.Limiter{}}
}

// Sent is how many messages the channel has delivered since it started.
func (r *Runner) Sent() int64 { return r.sent.Load() }

// Global is the rate of the whole channel.
func (r *Runner) Global() *rate.Limiter { return r.global }

// ChatLimiter is the pace one chat is written at, made at its first use:
// a group's GroupPerMinute when group and that is set, else PerChatSecond.
// A chat's limiter is forgotten once it has refilled and the channel has
// written to many chats since (see prune): made again, it is the same.
func (r *Runner) ChatLimiter(chat string, group bool) *rate.Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.chats[chat]
	if l == nil {
		if len(r.chats) >= max(r.pruneAt, pruneChats) {
			r.prune(time.Now())
		}
		if group && r.cfg.Limits.GroupPerMinute > 0 {
			l = outbox.ChatLimiter(r.cfg.Limits.GroupPerMinute/60, r.cfg.Limits.PerChatBurst)
		} else {
			l = outbox.ChatLimiter(r.cfg.Limits.PerChatSecond, r.cfg.Limits.PerChatBurst)
		}
		r.chats[chat] = l
	}
	return l
}

// pruneChats is how many chats' limiters are kept before those that have
// refilled are looked for (a chat costs about 150 bytes: its limiter and
// its entry).
const pruneChats = 10000

// prune forgets the chats whose limiters have refilled: such a limiter
// allows what a fresh one does. It is next called when the map has
// doubled, so that many chats all being written to cost one look over
// them per doubling, not one per chat. r.mu is held.
func (r *Runner) prune(now time.Time) {
	for c, l := range r.chats {
		if l.TokensAt(now) >= float64(l.Burst()) {
			delete(r.chats, c)
		}
	}
	r.pruneAt = 2 * len(r.chats)
}

// Screen puts a decoded update past the flood guard, in real time (not
// the clock flows see: flooding is about how fast updates arrive). false:
// the update is dropped, its user being ignored for a while (others are
// not). A press is kept even then, as KindIgnored, since it must still be
// acknowledged or the user's button would spin; nothing else is done with
// it. The update that crosses the limit becomes KindFlood: the warning.
func (r *Runner) Screen(env flows.Envelope) (flows.Envelope, bool) {
	return r.screen(env, r.check(env.User))
}

// ScreenOnce is Screen for a channel that may deliver one update again
// (Zalo's webhook, after a 500 or a lost 200): an update of the user's
// whose id (non-empty, unique per update) was screened recently gets the
// word it got then, without being counted again, so that a user's own
// retries during a database outage do not make their message a flood.
// The last RecentUpdates updates are remembered.
func (r *Runner) ScreenOnce(id string, env flows.Envelope) (flows.Envelope, bool) {
	if id == "" {
		return r.Screen(env)
	}
	key := env.User + "\x00" + id
	r.recentMu.Lock()
	w, ok := r.recent.get(key)
	if !ok {
		// Counted under the lock: a second delivery arriving meanwhile
		// waits for this word.
		w = r.check(env.User)
		r.recent.put(key, w)
	}
	r.recentMu.Unlock()
	return r.screen(env, w)
}

// RecentUpdates is how many updates ScreenOnce remembers: about 1 MB at
// Zalo's ids (106 bytes each). An update forgotten before Zalo sends it
// again is counted again, as if it were new.
const RecentUpdates = 10000

// word is the flood guard's word on one update.
type word struct{ handle, warn bool }

// check counts an update of user's.
func (r *Runner) check(user string) word {
	handle, warn := r.guard.Check(user, time.Now())
	if warn {
		r.log.Warn("a user sends too fast; ignoring them for a while", "pause", r.guard.Pause())
	}
	return word{handle, warn}
}

// screen applies the guard's word to env.
func (r *Runner) screen(env flows.Envelope, w word) (flows.Envelope, bool) {
	if !w.handle && env.CallbackID == "" {
		return env, false
	}
	in := env.Input
	if !w.handle {
		env.Input = flows.Input{Kind: flows.KindIgnored, Now: in.Now, Group: in.Group, Numbered: in.Numbered}
	}
	if w.warn {
		env.Input = flows.Input{Kind: flows.KindFlood, Now: in.Now, Group: in.Group, Numbered: in.Numbered}
	}
	return env, true
}

// recentWords remembers the words of the last RecentUpdates updates, the
// oldest forgotten first. Its zero value is empty.
type recentWords struct {
	words map[string]word
	order []string // a ring: the next to forget is at next once full
	next  int
}

func (m *recentWords) get(key string) (word, bool) {
	w, ok := m.words[key]
	return w, ok
}

func (m *recentWords) put(key string, w word) {
	if m.words == nil {
		m.words = make(map[string]word)
	}
	if len(m.order) < RecentUpdates {
		m.order = append(m.order, key)
	} else {
		delete(m.words, m.order[m.next])
		m.order[m.next] = key
		m.next = (m.next + 1) % RecentUpdates
	}
	m.words[key] = w
}

// Run sends the channel's outbox through t in the background while
// receive receives, until ctx ends; when receive returns (at the end of
// ctx, or failing), the sender stops too — the requests in flight finish
// within the transport's own grace — and Run returns receive's error.
func (r *Runner) Run(ctx context.Context, store outbox.Store, t outbox.Transport, receive func(context.Context) error) error {
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	var wg sync.WaitGroup
	wg.Go(func() {
		outbox.Run(sendCtx, outbox.Config{Channel: r.name, Store: store, Transport: t, Global: r.global,
			MaxInFlight: r.cfg.MaxInFlight, Reports: r.cfg.Reports, RetryMin: r.cfg.RetryMin, RetryMax: r.cfg.RetryMax,
			Now: r.cfg.Now, Log: r.log, Sent: &r.sent})
	})
	err := receive(ctx)
	stopSending() // also when receiving failed, so that Run returns
	wg.Wait()
	return err
}
