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

// Transport makes one attempt at a row on a channel.
type Transport interface {
	Send(ctx context.Context, q flows.Queued) Verdict
	// ChatLimiter is the rate one chat may be written at; nil means none
	// (acknowledgements are not messages).
	ChatLimiter(q flows.Queued) *rate.Limiter
}

// Config configures a sender.
type Config struct {
	Channel   string
	Store     Store
	Transport Transport
	// Global is the rate of the whole channel.
	Global *rate.Limiter
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

// window is how much of the outbox the sender plans over at once, and
// refresh how soon newly committed rows are looked at: an interactive
// reply committed behind a digest burst overtakes it within refresh.
const (
	window    = 5000
	aheadRoom = 100 // urgent rows held beyond the window
	refresh   = 50 * time.Millisecond
)

// Run drains the channel's outbox until ctx ends. It keeps the rows it
// knows of in memory and reads only newer ones from the store, so a long
// backlog costs nothing per commit.
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
	s := &sender{cfg: cfg, log: cfg.Log, chats: map[string]*chatState{}}
	queues := map[string][]flows.Queued{}
	var last uint64            // the newest row read in order
	var lastUrgent uint64      // the newest urgent row read ahead of the order
	ahead := map[uint64]bool{} // urgent rows read ahead, not yet met in order
	held := 0                  // rows in queues
	for ctx.Err() == nil {
		wake := cfg.Store.Changed()
		if s.reload {
			// The store moved rows (a migrated group): read them again.
			queues, last, lastUrgent, ahead, held, s.reload = map[string][]flows.Queued{}, 0, 0, map[uint64]bool{}, 0, false
		}
		full := held >= window
		if !full {
			rows, upTo, err := cfg.Store.PendingAfter(cfg.Channel, last, window-held)
			if err != nil {
				s.log.Error("read the outbox", "err", err)
				Sleep(ctx, time.Second)
				continue
			}
			full = len(rows) == window-held // more may wait behind them
			for _, q := range rows {
				if ahead[q.Seq] {
					continue // read ahead, and still queued or in flight
				}
				queues[lane(q)] = append(queues[lane(q)], q)
				held++
			}
			last = max(last, upTo) // past the other channels' rows too
			for seq := range ahead {
				if seq <= last {
					delete(ahead, seq) // met in order, or sent and gone
				}
			}
		}
		if room := window + aheadRoom - held; full && room > 0 {
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
					queues[lane(q)] = append(queues[lane(q)], q)
					held++
				}
				room -= len(rows)
				if upTo <= from {
					break
				}
			}
		}
		if held == 0 {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			continue
		}
		held -= s.drain(ctx, queues, wake)
	}
}

// sender is the state the send loop keeps across outbox reads.
type sender struct {
	cfg         Config
	log         *slog.Logger
	chats       map[string]*chatState
	globalUntil time.Time // no request at all before this (a global 429)
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

// drain sends from queues until they are empty, newer rows are waiting
// (looked at no sooner than refresh after starting), or ctx ends. It
// returns how many rows left the queues.
func (s *sender) drain(ctx context.Context, queues map[string][]flows.Queued, wake <-chan struct{}) (gone int) {
	read := time.Now()
	dirty := false // rows were committed since the read
	for len(queues) > 0 && ctx.Err() == nil && !s.reload {
		if dirty && time.Since(read) >= refresh {
			return gone
		}
		best, next := s.pick(queues)
		if best == nil {
			if dirty {
				return gone // nothing here can go now; the new rows may
			}
			t := time.NewTimer(max(time.Until(next), time.Millisecond))
			select {
			case <-ctx.Done():
			case <-wake:
				dirty, wake = true, nil
			case <-t.C:
			}
			t.Stop()
			continue
		}
		if best.Kind != flows.OutAck {
			if err := s.cfg.Global.Wait(ctx); err != nil {
				return gone
			}
			// The chat's token is taken only now, just before the request:
			// taken before the wait for the global limit, two messages to
			// a chat could reach the API closer together than allowed.
			if l := s.cfg.Transport.ChatLimiter(*best); l != nil && !l.Allow() {
				continue
			}
		}
		k := lane(*best)
		switch r, retry := s.deliver(ctx, *best); r {
		case rowDone:
			queues[k] = queues[k][1:]
			gone++
			if len(queues[k]) == 0 {
				delete(queues, k)
			}
		case rowRetry:
			queues[k][0] = retry
		case chatGone:
			gone += len(queues[k])
			delete(queues, k) // the store dropped them
		case chatPaused:
		}
		select {
		case <-wake:
			dirty, wake = true, nil
		default:
		}
	}
	return gone
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

// pick chooses the next row to send: the most urgent head of a lane that
// is neither paused nor over its rate; next is when one will be free.
func (s *sender) pick(queues map[string][]flows.Queued) (best *flows.Queued, next time.Time) {
	now := time.Now()
	for key, q := range queues {
		st := s.chat(key)
		free := st.until
		if s.globalUntil.After(free) {
			free = s.globalUntil
		}
		if l := s.cfg.Transport.ChatLimiter(q[0]); l != nil && q[0].Kind != flows.OutAck {
			r := l.ReserveN(now, 1)
			if at := now.Add(r.DelayFrom(now)); r.OK() && at.After(free) {
				free = at
			}
			r.CancelAt(now)
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
	for {
		err := write()
		if err == nil {
			return
		}
		s.log.Error(what+"; trying again", "channel", s.cfg.Channel, "err", err)
		if !Sleep(ctx, bo.Next()) {
			return
		}
	}
}

// deliver makes one attempt at a row.
func (s *sender) deliver(ctx context.Context, q flows.Queued) (res result, _ flows.Queued) {
	store, now := s.cfg.Store, s.cfg.Now
	defer func() {
		if r := recover(); r != nil {
			// A row that panics would crash every restart: set it aside.
			s.log.Error("sending a row panicked; set aside in the dead letters", "failure", r)
			s.record(ctx, "dead-letter", func() error { return store.Fail(q, fmt.Sprint("panic: ", r), now()) })
			res = rowDone
		}
	}()
	if q.Kind == flows.OutReport {
		return s.report(q)
	}
	if q.Priority >= flows.PriorityDigest {
		if ok, err := store.Queued(q.Seq); err == nil && !ok {
			return rowDone, q // withdrawn while it waited
		}
	}
	v := s.cfg.Transport.Send(ctx, q)
	st := s.chat(lane(q))
	pause := func(d time.Duration) (result, flows.Queued) {
		st.until = time.Now().Add(d)
		return chatPaused, q
	}
	switch v.Outcome {
	case Sent:
		st.bo.Reset()
		if s.cfg.Sent != nil && q.Kind != flows.OutMenu {
			s.cfg.Sent.Add(1)
		}
		// One commit per message: at the channel's 30 a second that is
		// cheap, and a crash can re-send at most the message in flight.
		s.record(ctx, "mark sent", func() error { return store.Done(q.Seq) })
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
// with the fixed apology.
func (s *sender) report(q flows.Queued) (result, flows.Queued) {
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
	if err := s.cfg.Store.Replace(q.Seq, out); err != nil {
		s.log.Error("queue a report", "err", err)
		s.chat(lane(q)).until = time.Now().Add(s.chat(lane(q)).bo.Next())
		return chatPaused, q
	}
	return rowDone, q
}

// GlobalLimiter is a channel's overall rate. Its burst is a tenth of a
// second's worth: a full second's at once is what makes Telegram answer
// 429, and what would let a broadcast crowd out a parent's reply between
// two reads of the outbox.
func GlobalLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond/10)))
}

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
