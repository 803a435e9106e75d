// Package outbox drains the committed outbox of one channel (Telegram,
// Zalo) to its API: within a chat in commit order; across chats the most
// urgent waiting message first (acknowledgements and replies to parents,
// then alerts, then digests and announcements), each chat at its own pace so
// that one slow or throttled chat holds up no other. The channel supplies a
// Transport — one attempt at one row, and the rate one chat may be written
// at — and says what became of each attempt; what follows (retry, pause,
// dead letter, drop the chat's queue, move it) is the same for every channel.
package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"hailong/flows"
)

// Store is what the sender needs of the database.
type Store interface {
	// PendingAfter returns up to limit of the channel's rows after row
	// after, in order, and the last row it looked at, of any channel.
	PendingAfter(channel string, after uint64, limit int) (rows []flows.Queued, upTo uint64, err error)
	// PendingUrgent is PendingAfter for the rows that go before digests
	// and announcements alone.
	PendingUrgent(channel string, after uint64, limit int) (rows []flows.Queued, upTo uint64, err error)
	Done(seqs ...uint64) error
	Fail(q flows.Queued, reason string, at time.Time) error
	Changed() <-chan struct{}
	// Stop drops what is queued for a chat that blocked the bot, and
	// queues nothing more for it until it writes again.
	Stop(channel, chat string, at time.Time) (dropped int, err error)
	// Migrate moves a group chat's queue to its new id.
	Migrate(channel, from, to string) error
	// Replace removes a row and queues others in its place, at once.
	Replace(seq uint64, out []flows.Outgoing) error
	// Queued reports whether a row is still in the outbox: a digest or an
	// announcement row read earlier may have been withdrawn since (the
	// recipient said /stop).
	Queued(seq uint64) (bool, error)
}

// Outcome is what became of one attempt at a row.
type Outcome int

// Outcomes.
const (
	Sent    Outcome = iota // delivered (or nothing left to do)
	Resend                 // the message to edit is gone: send it anew
	Moved                  // the chat has a new id (Verdict.MovedTo)
	Dropped                // the recipient blocked the bot or is gone
	Failed                 // refused for good: a dead letter
	Later                  // network, 5xx, 429: try again
)

// Verdict is a transport's account of one attempt.
type Verdict struct {
	Outcome Outcome
	Err     error
	MovedTo string // Moved: the chat's new id
	// Later: RetryAfter is the wait the API asked for (a 429); Throttled
	// marks a 429, and Blocked an error no message is to blame for (a
	// wrong token or endpoint): everything waits.
	RetryAfter time.Duration
	Throttled  bool
	Blocked    bool
}

// Transport makes one attempt at a row on a channel. Send is called for
// several chats at once (never twice at once for one chat's messages), so
// it must be safe for concurrent use.
type Transport interface {
	Send(ctx context.Context, q flows.Queued) Verdict
	// ChatLimiter is the rate one chat may be written at; nil means none
	// (acknowledgements are not messages).
	ChatLimiter(q flows.Queued) *rate.Limiter
}

// Coalescer is implemented by a transport that edits messages in place:
// Supersedes says whether sending newer, later in the same chat, makes
// sending older pointless (both set the whole of the same message). Such
// an older row is then marked sent without a request: a parent tapping
// faster than their chat may be written sees the newest state sooner.
type Coalescer interface {
	Supersedes(older, newer flows.Queued) bool
}

// Config configures a sender.
type Config struct {
	Channel   string
	Store     Store
	Transport Transport
	// Global is the rate of the whole channel.
	Global *rate.Limiter
	// MaxInFlight bounds the requests outstanding at once, at most one per
	// chat (and one per chat's acknowledgements); 0 means
	// DefaultMaxInFlight.
	MaxInFlight int
	// Reports builds the messages answering a report request (an
	// OutReport row); nil answers that reports are not available.
	Reports func(*flows.ReportRequest) ([]flows.Reply, error)
	// Retry bounds the backoff after a failure; zero means 1s…60s.
	RetryMin, RetryMax time.Duration
	Now                func() time.Time
	Log                *slog.Logger
	// Sent counts delivered messages, when set.
	Sent *atomic.Int64
}

// DefaultMaxInFlight is how many requests a sender keeps outstanding. By
// Little's law a channel that may send 30 messages a second, and as many
// acknowledgements beside them, has 60 × 0.25 = 15 requests in flight on
// average at a 250 ms round trip; 64 leaves room for bursts (a digest run
// beside a wave of taps) and for limits raised fourfold.
const DefaultMaxInFlight = 64

// window is how much of the outbox the sender plans over at once, and
// refresh how soon newly committed rows are looked at: an interactive
// reply committed behind a digest burst overtakes it within refresh.
const (
	window    = 5000
	aheadRoom = 100 // urgent rows held beyond the window
	refresh   = 50 * time.Millisecond
	reread    = 10 * time.Millisecond // the soonest new rows are read when nothing else can go
)

// Run drains the channel's outbox until ctx ends. It keeps the rows it
// knows of in memory and reads only newer ones from the store, so a long
// backlog costs nothing per commit. Up to MaxInFlight requests are
// outstanding at once, one per lane (a chat's messages, a chat's
// acknowledgements), so a chat's order holds while chats go in parallel:
// commit order, but for a more urgent row, and a row that does not yield,
// overtaking those waiting behind it (enqueue).
// When ctx ends, the requests in flight finish (the transport's own
// grace) and what they delivered is recorded before Run returns.
func Run(ctx context.Context, cfg Config) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Global == nil {
		cfg.Global = rate.NewLimiter(rate.Inf, 1)
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	s := &sender{cfg: cfg, log: cfg.Log, chats: map[string]*chatState{}, queues: map[string][]flows.Queued{},
		busy: map[string]bool{}, results: make(chan attempt, cfg.MaxInFlight)}
	s.coalescer, _ = cfg.Transport.(Coalescer)
	s.done = newCommits(ctx, s)
	defer s.finish()
	var last uint64            // the newest row read in order
	var lastUrgent uint64      // the newest urgent row read ahead of the order
	ahead := map[uint64]bool{} // urgent rows read ahead, not yet met in order
	for ctx.Err() == nil {
		wake := cfg.Store.Changed()
		if s.reload {
			// The store moved rows (a migrated group): read them again,
			// once nothing is in flight and every delivery is recorded.
			s.quiesce()
			s.queues, last, lastUrgent, ahead, s.held, s.reload = map[string][]flows.Queued{}, 0, 0, map[uint64]bool{}, 0, false
		}
		full := s.held >= window
		if !full {
			rows, upTo, err := cfg.Store.PendingAfter(cfg.Channel, last, window-s.held)
			if err != nil {
				s.log.Error("read the outbox", "err", err)
				s.pause(ctx, time.Second)
				continue
			}
			full = len(rows) == window-s.held // more may wait behind them
			for _, q := range rows {
				if ahead[q.Seq] {
					continue // read ahead, and still queued or in flight
				}
				s.enqueue(q)
			}
			last = max(last, upTo) // past the other channels' rows too
			for seq := range ahead {
				if seq <= last {
					delete(ahead, seq) // met in order, or sent and gone
				}
			}
		}
		if room := window + aheadRoom - s.held; full && room > 0 {
			// A backlog (an announcement to thousands, a week's digests)
			// fills the window: replies, acknowledgements and alerts
			// committed behind it are read ahead of it — a few at a time,
			// since a backlog of replies (a burst of surveys) would
			// otherwise be read into memory whole.
			// Read in short steps, past the other channel's rows too,
			// until the room is filled or nothing is left to look at.
			for room > 0 {
				from := max(last, lastUrgent)
				rows, upTo, err := cfg.Store.PendingUrgent(cfg.Channel, from, room)
				if err != nil {
					s.log.Error("read the outbox", "err", err)
					break
				}
				lastUrgent = max(lastUrgent, upTo)
				for _, q := range rows {
					ahead[q.Seq] = true
					s.enqueue(q)
				}
				room -= len(rows)
				if upTo <= from {
					break
				}
			}
		}
		if s.held == 0 {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			continue
		}
		s.drain(ctx, wake)
	}
}

// sender is the state the send loop keeps across outbox reads. Only the
// loop's goroutine touches it; requests run in goroutines of their own and
// report on results.
type sender struct {
	cfg         Config
	log         *slog.Logger
	coalescer   Coalescer // nil: the channel cannot edit in place
	chats       map[string]*chatState
	queues      map[string][]flows.Queued // lanes; a lane's head may be in flight
	held        int                       // rows in queues
	busy        map[string]bool           // lanes whose head is in flight
	acks        int                       // of them, acknowledgements
	results     chan attempt
	done        *commits
	globalUntil time.Time // no request at all before this (a global 429)
	globalNext  time.Time // no message before this (the channel's rate)
	lowNext     time.Time // no digest or broadcast before this (the reserve: lowReserve)
	last429     string    // the chat of the latest 429
	last429At   time.Time
	reload      bool // the store rewrote rows: read the outbox afresh
}

// chatState is one chat's pause after a failure, and its backoff.
type chatState struct {
	until time.Time
	bo    Backoff
}

func (s *sender) chat(c string) *chatState {
	st := s.chats[c]
	if st == nil {
		st = &chatState{bo: Backoff{Min: s.cfg.RetryMin, Max: s.cfg.RetryMax}}
		s.chats[c] = st
	}
	return st
}

// drain sends from the queues until they are empty, newer rows are
// waiting (looked at no sooner than refresh after starting, or at once
// when nothing here can go), or ctx ends.
func (s *sender) drain(ctx context.Context, wake <-chan struct{}) {
	read := time.Now()
	dirty := false // rows were committed since the read
	for s.held > 0 && ctx.Err() == nil && !s.reload {
		if dirty && time.Since(read) >= refresh {
			return
		}
		next, launched := s.launch(ctx)
		if dirty && !launched {
			// Nothing more here can go now; the new rows may (an
			// acknowledgement needs no token) — but they are read at
			// most every reread: under a burst of commits, reading after
			// each one would cost the bot the CPU it commits with.
			if time.Since(read) >= reread {
				return
			}
			if at := read.Add(reread); next.IsZero() || at.Before(next) {
				next = at
			}
		}
		var timer <-chan time.Time
		var t *time.Timer
		if !next.IsZero() {
			t = time.NewTimer(max(time.Until(next), time.Millisecond))
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case a := <-s.results:
			s.settle(ctx, a)
		case <-wake:
			dirty, wake = true, nil
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// launch starts requests for the most urgent lane heads that may go now,
// until MaxInFlight are outstanding. next is when a waiting head will be
// free (zero: none waits on time, only on requests in flight).
func (s *sender) launch(ctx context.Context) (next time.Time, launched bool) {
	for len(s.busy) < s.cfg.MaxInFlight {
		now := time.Now()
		best, at := s.pick(now, len(s.busy)-s.acks < s.cfg.MaxInFlight-ackRoom(s.cfg.MaxInFlight))
		next = at
		if best == nil {
			return next, launched
		}
		if best.Priority >= flows.PriorityDigest {
			if wait := lowReserve(s.cfg.Global, now); wait > 0 {
				s.lowNext = now.Add(wait)
				continue
			}
		}
		if best.Kind != flows.OutAck {
			g := s.cfg.Global.ReserveN(now, 1)
			if d := g.DelayFrom(now); !g.OK() || d > 0 {
				// The channel's rate is used up: only acknowledgements
				// may go until it refills.
				g.CancelAt(now)
				s.globalNext = now.Add(max(d, time.Millisecond))
				continue
			}
			// The chat's token is taken only now, just before the
			// request: two messages to a chat must not reach the API
			// closer together than allowed.
			if l := s.cfg.Transport.ChatLimiter(*best); l != nil && !l.AllowN(now, 1) {
				g.CancelAt(now)
				s.chat(lane(*best)).until = now.Add(time.Millisecond)
				continue
			}
		}
		k := lane(*best)
		s.busy[k] = true
		if best.Kind == flows.OutAck {
			s.acks++
		}
		launched = true
		go s.attempt(ctx, k, *best)
	}
	return time.Time{}, launched
}

// ackRoom is how many of max requests in flight only acknowledgements may
// take: a press is acknowledged at once even while messages fill the rest.
func ackRoom(max int) int {
	if max < 4 {
		return 0
	}
	return max / 8
}

// enqueue puts a row in its lane: after the rows that go before it — of a
// more urgent priority, or of the same one and not yielding — and before
// the others, but never before a head in flight. Rows come in commit
// order, so rows alike keep it.
func (s *sender) enqueue(q flows.Queued) {
	k := lane(q)
	l := append(s.queues[k], q)
	first := 0
	if s.busy[k] {
		first = 1
	}
	for i := len(l) - 1; i > first && before(q, l[i-1]); i-- {
		l[i], l[i-1] = l[i-1], l[i]
	}
	s.queues[k] = l
	s.held++
}

// before says whether a goes before b, committed earlier, in a chat.
func before(a, b flows.Queued) bool {
	if a.Priority != b.Priority {
		return a.Priority < b.Priority
	}
	return !a.Yield && b.Yield
}

// lane is the queue a row waits in: its chat's, but acknowledgements of
// button presses have a lane of their own per chat — they must go at once
// (Telegram refuses late ones) and need no order with the messages.
func lane(q flows.Queued) string {
	if q.Kind == flows.OutAck {
		return "ack:" + q.Chat
	}
	return q.Chat
}

// coalesceScan bounds how far behind a lane's head a superseding edit is
// looked for.
const coalesceScan = 64

// superseded says whether a later row of the lane makes its head pointless.
func (s *sender) superseded(q []flows.Queued) bool {
	if s.coalescer == nil || q[0].Kind != flows.OutMessage || q[0].EditRef == "" {
		return false
	}
	for _, later := range q[1:min(len(q), coalesceScan)] {
		if s.coalescer.Supersedes(q[0], later) {
			return true
		}
	}
	return false
}

// pick chooses the next row to send: the most urgent head of a lane that
// is neither in flight, nor paused, nor over its rate — an acknowledgement's
// only, unless messages; next is when one will be free. Heads that a later edit of the same message supersedes
// are marked sent on the way, without a request.
func (s *sender) pick(now time.Time, messages bool) (best *flows.Queued, next time.Time) {
	for key, q := range s.queues {
		if s.busy[key] || !messages && q[0].Kind != flows.OutAck {
			continue
		}
		for len(q) > 1 && s.superseded(q) {
			s.done.add(q[0].Seq)
			q = q[1:]
			s.queues[key] = q
			s.held--
		}
		st := s.chat(key)
		free := st.until
		if s.globalUntil.After(free) {
			free = s.globalUntil
		}
		if q[0].Kind != flows.OutAck {
			if s.globalNext.After(free) {
				free = s.globalNext
			}
			if q[0].Priority >= flows.PriorityDigest && s.lowNext.After(free) {
				free = s.lowNext
			}
			if l := s.cfg.Transport.ChatLimiter(q[0]); l != nil {
				r := l.ReserveN(now, 1)
				if at := now.Add(r.DelayFrom(now)); r.OK() && at.After(free) {
					free = at
				}
				r.CancelAt(now)
			}
		}
		if free.After(now) {
			if next.IsZero() || free.Before(next) {
				next = free
			}
			continue
		}
		if best == nil || q[0].Priority < best.Priority || (q[0].Priority == best.Priority && q[0].Seq < best.Seq) {
			h := q[0]
			best = &h
		}
	}
	return best, next
}

// attempt is one request's outcome, reported to the send loop.
type attempt struct {
	lane      string
	q         flows.Queued
	v         Verdict
	panicked  string // the request panicked: set the row aside
	withdrawn bool   // a digest or announcement withdrawn while it waited
	replaced  bool   // a report built and queued in the row's place
	failed    error  // a report that could not be queued
}

// attempt makes one request, in a goroutine of its own, and reports it.
func (s *sender) attempt(ctx context.Context, k string, q flows.Queued) {
	a := attempt{lane: k, q: q}
	defer func() {
		if r := recover(); r != nil {
			a.panicked = fmt.Sprint("panic: ", r)
		}
		s.results <- a
	}()
	if q.Kind == flows.OutReport {
		a.failed = s.report(q)
		a.replaced = a.failed == nil
		return
	}
	if q.Priority >= flows.PriorityDigest {
		if ok, err := s.cfg.Store.Queued(q.Seq); err == nil && !ok {
			a.withdrawn = true // the recipient said /stop meanwhile
			return
		}
	}
	a.v = s.cfg.Transport.Send(ctx, q)
}

// settle applies what became of a request to the lanes and the store.
func (s *sender) settle(ctx context.Context, a attempt) {
	s.landed(a)
	k := a.lane
	switch r, retry := s.outcome(ctx, a); r {
	case rowDone:
		s.queues[k] = s.queues[k][1:]
		s.held--
		if len(s.queues[k]) == 0 {
			delete(s.queues, k)
		}
	case rowRetry:
		s.queues[k][0] = retry
	case chatGone:
		s.held -= len(s.queues[k])
		delete(s.queues, k) // the store dropped them
	case chatPaused:
	}
}

// landed frees the lane of a request that has come back.
func (s *sender) landed(a attempt) {
	delete(s.busy, a.lane)
	if a.q.Kind == flows.OutAck {
		s.acks--
	}
}

// quiesce waits for every request in flight and records what they did.
func (s *sender) quiesce() {
	for len(s.busy) > 0 {
		s.settle(context.Background(), <-s.results)
	}
	s.done.flush()
}

// finish ends the loop: requests in flight end within the transport's
// grace; what they delivered is recorded.
func (s *sender) finish() {
	for len(s.busy) > 0 {
		a := <-s.results
		s.landed(a)
		if a.panicked == "" && !a.withdrawn && !a.replaced && a.failed == nil && a.v.Outcome == Sent {
			s.delivered(a.q)
		}
	}
	s.done.close()
}

// pause waits d, or less if ctx ends, settling requests that finish
// meanwhile.
func (s *sender) pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case a := <-s.results:
			s.settle(ctx, a)
		}
	}
}

// result says what became of a row after one attempt.
type result int

const (
	rowDone    result = iota // sent, or set aside
	rowRetry                 // try the changed row again now
	chatPaused               // the chat waits; the row stays at its head
	chatGone                 // the chat's queue was dropped or moved by the store
)

// ShutdownGrace is how long a request in flight at shutdown may take to
// finish: what the channel took is then marked sent, not sent again after
// the restart; what does not finish stays queued.
const ShutdownGrace = 3 * time.Second

// Grace returns the context a channel's requests use: it ends d after ctx
// does, or when cancel is called.
func Grace(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	g, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(d, cancel)
		context.AfterFunc(g, func() { t.Stop() })
	})
	return g, func() { stop(); cancel() }
}

// record retries a write that records what became of a row until it is
// committed: given up, the row would go again after a restart, and an
// announcement's would never be counted. Only shutdown stops it, after one
// attempt.
func (s *sender) record(ctx context.Context, what string, write func() error) {
	bo := Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	Retry(ctx, &bo, write, func(err error) {
		s.log.Error(what+"; trying again", "channel", s.cfg.Channel, "err", err)
	})
}

// delivered counts a row the channel took and has it marked sent.
func (s *sender) delivered(q flows.Queued) {
	if s.cfg.Sent != nil && q.Kind != flows.OutMenu {
		s.cfg.Sent.Add(1)
	}
	s.done.add(q.Seq)
}

// outcome decides what follows an attempt.
func (s *sender) outcome(ctx context.Context, a attempt) (res result, _ flows.Queued) {
	store, now, q, v := s.cfg.Store, s.cfg.Now, a.q, a.v
	st := s.chat(a.lane)
	pause := func(d time.Duration) (result, flows.Queued) {
		st.until = time.Now().Add(d)
		return chatPaused, q
	}
	switch {
	case a.panicked != "":
		// A row that panics would crash every restart: set it aside.
		s.log.Error("sending a row panicked; set aside in the dead letters", "failure", a.panicked)
		s.record(ctx, "dead-letter", func() error { return store.Fail(q, a.panicked, now()) })
		return rowDone, q
	case a.withdrawn, a.replaced:
		return rowDone, q
	case a.failed != nil:
		s.log.Error("queue a report", "err", a.failed)
		return pause(st.bo.Next())
	}
	switch v.Outcome {
	case Sent:
		st.bo.Reset()
		// Recorded in the background, many rows to a commit: a crash can
		// re-send at most the messages in flight and those not yet
		// recorded.
		s.delivered(q)
		return rowDone, q
	case Resend:
		q.EditRef = ""
		return rowRetry, q
	case Moved:
		s.log.Warn("a group chat has a new id; its messages now go there: put it in the config (offices[].chat_id)",
			"channel", s.cfg.Channel, "from", q.Chat, "to", v.MovedTo)
		if err := store.Migrate(s.cfg.Channel, q.Chat, v.MovedTo); err != nil {
			s.log.Error("migrate chat", "err", err)
			return pause(st.bo.Next())
		}
		s.reload = true
		return chatGone, q
	case Dropped:
		n, err := store.Stop(s.cfg.Channel, q.Chat, now())
		if err != nil {
			s.log.Error("stop a blocked chat", "err", err)
			return pause(st.bo.Next())
		}
		s.log.Warn("the recipient blocked the bot or is gone; their queued messages are dropped until they write again",
			"channel", s.cfg.Channel, "err", v.Err, "dropped", n)
		return chatGone, q
	case Failed:
		s.log.Error("the channel refused a message; set aside in the dead letters", "channel", s.cfg.Channel, "err", v.Err)
		reason := "refused"
		if v.Err != nil {
			reason = v.Err.Error()
		}
		s.record(ctx, "dead-letter", func() error { return store.Fail(q, reason, now()) })
		return rowDone, q
	}
	// Later. A 429 for a second chat while another is paused by one means
	// the bot as a whole is throttled: then nothing goes out until it ends.
	d := st.bo.Next()
	if v.Blocked {
		// The token or the endpoint is wrong: no message is to blame.
		s.globalUntil = time.Now().Add(d)
		s.log.Error("the channel rejects the bot's requests (check its token and API address); sending paused",
			"channel", s.cfg.Channel, "err", v.Err, "for", d)
		return pause(d)
	}
	if v.Throttled {
		d = max(v.RetryAfter, time.Second)
		t := time.Now()
		if s.last429 != "" && s.last429 != q.Chat && t.Sub(s.last429At) < d {
			s.globalUntil = t.Add(d)
		}
		s.last429, s.last429At = q.Chat, t
	}
	s.log.Warn("send failed; will retry", "channel", s.cfg.Channel, "err", v.Err, "in", d)
	return pause(d)
}

// report builds a requested report and queues its messages as ordinary
// rows in place of the request, so that they go out like any other — within
// the limits, retried, in order. A report that cannot be built is answered
// with the fixed apology; the error is one of queuing.
func (s *sender) report(q flows.Queued) error {
	var replies []flows.Reply
	var err error
	if s.cfg.Reports == nil || q.Report == nil {
		err = errors.New("reports are not configured")
	} else {
		replies, err = s.cfg.Reports(q.Report)
	}
	if err != nil {
		s.log.Error("build a report", "err", err)
		replies = []flows.Reply{{Text: flows.ErrorText()}}
	}
	var out []flows.Outgoing
	for _, r := range replies {
		out = append(out, flows.Outgoing{Kind: flows.OutMessage, Channel: q.Channel, Chat: q.Chat, Reply: r,
			Priority: q.Priority, Created: q.Created})
	}
	return s.cfg.Store.Replace(q.Seq, out)
}

// commits records delivered rows in the background, as many to a commit
// as have gathered while the previous one was written: one commit (and
// one fsync) per message would cap a channel at what the disk does.
type commits struct {
	s        *sender
	ctx      context.Context // once it ends, a failing write is tried once more, not until it succeeds
	in       chan uint64
	flushReq chan chan struct{}
	end      chan struct{}
}

func newCommits(ctx context.Context, s *sender) *commits {
	c := &commits{s: s, ctx: ctx, in: make(chan uint64, 4096), flushReq: make(chan chan struct{}), end: make(chan struct{})}
	go c.run()
	return c
}

func (c *commits) add(seq uint64) { c.in <- seq }

// flush returns once every row added before it is recorded.
func (c *commits) flush() {
	ch := make(chan struct{})
	c.flushReq <- ch
	<-ch
}

// close records what is left and stops.
func (c *commits) close() {
	c.flush()
	close(c.end)
}

func (c *commits) run() {
	var seqs []uint64
	write := func() {
		for {
			select {
			case seq := <-c.in:
				seqs = append(seqs, seq)
				continue
			default:
			}
			break
		}
		if len(seqs) == 0 {
			return
		}
		// Retried until committed, but only once more when the sender is
		// stopping: a row not recorded goes again after the restart.
		c.s.record(c.ctx, "mark sent", func() error { return c.s.cfg.Store.Done(seqs...) })
		seqs = seqs[:0]
	}
	for {
		select {
		case seq := <-c.in:
			seqs = append(seqs, seq)
			write()
		case ch := <-c.flushReq:
			write()
			close(ch)
		case <-c.end:
			return
		}
	}
}

// HTTPTransport is the connection pool a channel's API client uses: one
// kept-alive connection for each request that may be in flight (and the
// long poll beside them), so that a busy sender reuses connections instead
// of opening one — a TCP and TLS handshake, two or three round trips — for
// most of its requests, as the standard library's default of two idle
// connections per host would make it.
func HTTPTransport(maxInFlight int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxInFlight + 8
	t.MaxIdleConnsPerHost = maxInFlight + 8
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// lowReserve is how long a digest or a broadcast must wait so as to leave
// half of the channel's burst to replies: while parents' answers take most
// of Telegram's 30 a second, a Monday's digests taking every token left
// made each reply wait for the next one (tap → screen p50 236 → 321 ms,
// p99 443 → 573 ms, across a simulated 150 ms to our Telegram fake and its
// model of the limits: BENCHMARKS.md); the low rows still get all the rate
// the replies leave, a little later.
func lowReserve(l *rate.Limiter, now time.Time) time.Duration {
	if l.Limit() == rate.Inf || l.Limit() <= 0 {
		return 0
	}
	need := 1 + float64(l.Burst()/2) - l.TokensAt(now)
	if need <= 0 {
		return 0
	}
	return max(time.Millisecond, time.Duration(need/float64(l.Limit())*float64(time.Second)))
}

// GlobalLimiter is a channel's overall rate. Its burst is a third of a
// second's worth: a full second's at once is what makes Telegram answer
// 429, and what would let a broadcast crowd out a parent's reply between
// two reads of the outbox; a tenth's (3 at 30/s) spaced the edits answering
// one poll's taps 33 ms apart (tap → screen p99 511 → 445 ms across 150 ms,
// people-like taps).
func GlobalLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond/3)))
}

// ChatLimiter is the pace one chat is written at: a tenth under the
// platform's limit, since two requests sent a second apart may reach it
// closer together by the network's jitter, and a 429 costs the chat a
// whole retry_after. (The fake Telegram, which times arrivals exactly,
// refused 1 to 3 of a few hundred edits at the limit itself across 150 ms;
// the fake Zalo one of a wave's sends.)
func ChatLimiter(perSecond float64, burst int) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond*chatMargin), max(1, burst))
}

const chatMargin = 0.9

// Backoff is a capped exponential delay with jitter; zero bounds mean
// 1 s and 1 min.
type Backoff struct {
	Min, Max time.Duration
	n        int
}

// Next is the delay before the next attempt.
func (bo *Backoff) Next() time.Duration {
	lo, hi := cmp.Or(bo.Min, time.Second), cmp.Or(bo.Max, time.Minute)
	d := lo << min(bo.n, 16)
	if d > hi || d <= 0 {
		d = hi
	}
	bo.n++
	return d/2 + rand.N(d/2+1)
}

// Reset starts over after a success.
func (bo *Backoff) Reset() { bo.n = 0 }

// Retry calls write until it succeeds, backing off by bo after each
// failure (which failed is told of); false if ctx ended first, with
// nothing written. write is called at least once, even after ctx ended.
// The sender records what became of its rows with it, and the channels
// commit what they received (an update fetched is one to keep).
func Retry(ctx context.Context, bo *Backoff, write func() error, failed func(error)) bool {
	for {
		err := write()
		if err == nil {
			return true
		}
		failed(err)
		if !Sleep(ctx, bo.Next()) {
			return false
		}
	}
}

// Sleep waits d, or less if ctx ends first; it reports whether d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
