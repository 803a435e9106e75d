package zalotest

import (
	"math"
	"net/http"
	"time"

	"hailong/internal/fakeapi"
)

// Limits are the sending limits the fake enforces when set with
// EnforceLimits. GUESS: Zalo publishes no figures, so these are whatever the
// test wants to hold the sender to. A zero or negative rate leaves that scope
// unlimited.
type Limits struct {
	PerChat      float64 // sends per second into one chat, private or group
	PerChatBurst int     // sends one chat may take at once; at least 1
	Global       float64 // sends per second into all chats together
	GlobalBurst  int     // sends all chats may take at once; default ceil(Global)
}

// Violation is one send refused for exceeding a limit.
type Violation struct {
	Method string // as the bot spelled it
	ChatID string // as sent, "" when missing
	Scope  string // "chat" (one chat's limit) or "global" (all chats together)
	At     time.Time
}

// limitedMethods put a message into a chat and so count against the limits;
// keys are lower case since methods match case-insensitively.
var limitedMethods = map[string]bool{
	"sendmessage": true,
	"sendphoto":   true,
	"sendsticker": true,
}

// limiter is the enforcement state; it lives under Server.mu.
type limiter struct {
	l       Limits
	buckets *fakeapi.Limiter[string] // by chat_id as sent
}

// EnforceLimits makes the fake refuse sends (sendMessage, sendPhoto,
// sendSticker) beyond l, measured in real time, with (GUESS: the answer's
// shape is Telegram's; the docs show no 429) HTTP 429 and
// {"ok":false,"error_code":429,"description":"Too Many Requests: retry
// after N"} plus a Retry-After: N header, N being the whole seconds, rounded
// up, until the refusing bucket has a token again. getUpdates,
// sendChatAction, getMe and the webhook methods are never limited.
//
// Each chat (by chat_id as sent) gets PerChat with a burst of
// max(1, PerChatBurst); all sends together get Global with a burst of
// GlobalBurst, or ceil(Global) when that is not set. Refused sends change
// nothing, appear in Calls with Status 429 and in Violations, and do not use
// up tokens. Faults from Inject apply first and do not use up the limits;
// sends that get past the limits use them up even when they then fail, say
// with 400.
//
// Every call starts over with full buckets; Violations are kept. The zero
// Limits turns enforcement off.
func (s *Server) EnforceLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l == (Limits{}) {
		s.limits = nil
		return
	}
	burst := float64(l.GlobalBurst)
	if burst < 1 {
		burst = math.Max(1, math.Ceil(l.Global))
	}
	s.limits = &limiter{l: l, buckets: fakeapi.NewLimiter[string](l.Global, burst, time.Now())}
}

// Violations returns every send refused for exceeding a limit, in order.
func (s *Server) Violations() []Violation {
	return s.violations.All()
}

// limitLocked returns the 429 answer when a call of a limited method must
// be refused, taking the tokens otherwise.
func (s *Server) limitLocked(_ string, q *request) *reply {
	lim := s.limits
	if lim == nil {
		return nil
	}
	now := time.Now()
	chatID := q.p["chat_id"]
	var cb *fakeapi.Bucket
	if chatID != "" {
		cb = lim.buckets.Chat(chatID, lim.l.PerChat, float64(max(1, lim.l.PerChatBurst)), now)
	}
	// Refused until the refusing bucket has a token again.
	if refused, b := lim.buckets.Take(cb, now); refused != "" {
		return s.refuseLocked(q, chatID, refused, b.Wait(), now)
	}
	return nil
}

// refuseLocked records the violation and builds the 429.
func (s *Server) refuseLocked(q *request, chatID, scope string, left time.Duration, now time.Time) *reply {
	s.violations.Add(Violation{Method: q.method, ChatID: chatID, Scope: scope, At: now})
	secs := int(math.Min(math.Max(1, math.Ceil(left.Seconds())), 24*3600))
	return &reply{code: http.StatusTooManyRequests, desc: retryDesc(secs), retryAfter: secs}
}
