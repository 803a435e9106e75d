package telegramtest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"hailong/internal/fakeapi"
)

// Limits are the sending limits the fake enforces when set with
// EnforceLimits. A zero or negative rate leaves that scope unlimited.
type Limits struct {
	PerSecond      float64 // all chats together (Telegram: about 30), burst ceil(PerSecond)
	PerChatSecond  float64 // one private chat (about 1), with PerChatBurst
	PerChatBurst   int     // burst of one private or group chat; at least 1
	GroupPerMinute float64 // one group chat (20)
	RetryAfter     int     // seconds put in the 429's retry_after (default 1)
}

// TelegramLimits approximates the limits Telegram documents for bots.
var TelegramLimits = Limits{PerSecond: 30, PerChatSecond: 1, PerChatBurst: 3, GroupPerMinute: 20, RetryAfter: 1}

// Violation is one call refused for exceeding a limit.
type Violation struct {
	Method string // as the bot spelled it
	ChatID int64  // 0 when the chat_id was missing or a @username
	At     time.Time
	// Scope is "global" (all chats together), "chat" (one private chat) or
	// "group" (one group chat, negative id or @username). Calls refused
	// because they came before an earlier 429's retry_after had passed
	// carry the scope of that 429.
	Scope string
}

// limitedMethods send or edit messages in a chat and so count against the
// limits; keys are lower case since methods match case-insensitively.
var limitedMethods = map[string]bool{
	"sendmessage":            true,
	"editmessagetext":        true,
	"editmessagereplymarkup": true,
	"editmessagecaption":     true,
	"editmessagemedia":       true,
	"sendphoto":              true,
	"senddocument":           true,
	"sendmediagroup":         true,
	"copymessage":            true,
	"forwardmessage":         true,
	"sendaudio":              true,
	"sendvideo":              true,
	"sendanimation":          true,
	"sendvoice":              true,
	"sendvideonote":          true,
	"sendsticker":            true,
	"sendlocation":           true,
	"sendvenue":              true,
	"sendcontact":            true,
	"sendpoll":               true,
	"senddice":               true,
}

// chatKey identifies a chat by numeric id or, for "@username", by name.
type chatKey struct {
	id   int64
	name string
}

// limiter is the enforcement state; it lives under Server.mu.
type limiter struct {
	l           Limits
	buckets     *fakeapi.Limiter[chatKey]
	globalUntil time.Time
	chatUntil   map[chatKey]time.Time
}

// EnforceLimits makes the fake refuse, with 429 Too Many Requests, calls
// that send or edit messages (sendMessage, editMessageText,
// editMessageReplyMarkup, sendPhoto, sendDocument, sendMediaGroup,
// copyMessage, forwardMessage and the other send* and editMessage* methods)
// beyond l, measured in real time. getUpdates, answerCallbackQuery,
// sendChatAction, getMe and the other methods are never limited.
//
// Private chats get PerChatSecond with a burst of PerChatBurst, group chats
// (negative ids or @usernames) GroupPerMinute/60 per second with a burst of
// max(1, PerChatBurst), and all counted calls together PerSecond with a burst
// of ceil(PerSecond). After a 429, like Telegram, further calls to that chat
// (or to any chat, after a global 429) are refused until retry_after has
// passed, and count as violations too. Refused calls change nothing, appear in
// Calls with Status 429 and in Violations. Faults from Inject apply first and
// do not use up the limits; calls that get past the limits use them up even
// when they then fail, say with 400.
//
// Every call starts over with full buckets and no pending retry_after;
// Violations are kept. The zero Limits turns enforcement off.
func (s *Server) EnforceLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l == (Limits{}) {
		s.limits = nil
		return
	}
	if l.RetryAfter <= 0 {
		l.RetryAfter = 1
	}
	s.limits = &limiter{l: l, chatUntil: map[chatKey]time.Time{},
		buckets: fakeapi.NewLimiter[chatKey](l.PerSecond, math.Max(1, math.Ceil(l.PerSecond)), time.Now())}
}

// Violations returns every call refused for exceeding a limit, in order.
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
	key, group, hasChat := limitChat(q.p["chat_id"])
	scope := "chat"
	if group {
		scope = "group"
	}

	if now.Before(lim.globalUntil) {
		return s.refuseLocked(q, key, "global", lim.globalUntil.Sub(now), now)
	}
	if until := lim.chatUntil[key]; hasChat && now.Before(until) {
		return s.refuseLocked(q, key, scope, until.Sub(now), now)
	}

	var cb *fakeapi.Bucket
	if hasChat {
		rate := lim.l.PerChatSecond
		if group {
			rate = lim.l.GroupPerMinute / 60
		}
		cb = lim.buckets.Chat(key, rate, float64(max(1, lim.l.PerChatBurst)), now)
	}
	// Refused, a scope waits retry_after, as on Telegram.
	wait := time.Duration(lim.l.RetryAfter) * time.Second
	switch refused, _ := lim.buckets.Take(cb, now); refused {
	case "chat":
		lim.chatUntil[key] = now.Add(wait)
		return s.refuseLocked(q, key, scope, wait, now)
	case "global":
		lim.globalUntil = now.Add(wait)
		return s.refuseLocked(q, key, "global", wait, now)
	}
	return nil
}

// refuseLocked records the violation and builds the 429; retry_after is the
// time left, in whole seconds rounded up.
func (s *Server) refuseLocked(q *request, key chatKey, scope string, left time.Duration, now time.Time) *reply {
	s.violations.Add(Violation{Method: q.method, ChatID: key.id, At: now, Scope: scope})
	secs := max(1, int(math.Ceil(left.Seconds())))
	return &reply{
		code:       http.StatusTooManyRequests,
		desc:       fmt.Sprintf("Too Many Requests: retry after %d", secs),
		retryAfter: secs,
	}
}

// limitChat parses chat_id: a number (negative for groups) or a @username,
// which on Telegram names a channel or public group.
func limitChat(raw string) (key chatKey, group, found bool) {
	if raw == "" {
		return chatKey{}, false, false
	}
	if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return chatKey{id: id}, id < 0, true
	}
	return chatKey{name: raw}, true, true
}
