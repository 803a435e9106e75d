package zalotest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"hailong/internal/fakeapi"
)

// emptyPoll answers a getUpdates whose timeout passed with nothing queued.
// The platform does not document this answer; to answer as some public
// clients expect, change it to
// reply{code: http.StatusRequestTimeout, httpStatus: http.StatusOK, desc: "Request Timeout"}.
var emptyPoll = ok(nil)

// webhookActive answers getUpdates while a webhook is set.
var webhookActive = badRequest("can't use getUpdates while a webhook is active; use deleteWebhook to delete the webhook first")

// methods are matched case-insensitively. getUpdates and deleteWebhook
// (for a delivery in flight) wait without the lock; a refused send is
// refused whatever it holds.
var methods = fakeapi.Methods[*Server, *request, reply]{
	Waiting: map[string]func(*Server, *request) reply{
		"getupdates":    (*Server).getUpdates,
		"deletewebhook": (*Server).deleteWebhook,
	},
	Locked:   locked,
	Limited:  limitedMethods,
	Limit:    (*Server).limitLocked,
	NotFound: reply{code: http.StatusNotFound, desc: "Not Found"},
}

var locked = map[string]func(*Server, *request) reply{
	"getme":          (*Server).getMe,
	"sendmessage":    (*Server).sendMessage,
	"sendphoto":      (*Server).sendPhoto,
	"sendsticker":    (*Server).sendSticker,
	"sendchataction": (*Server).sendChatAction,
	"setwebhook":     (*Server).setWebhook,
	"getwebhookinfo": (*Server).getWebhookInfo,
}

func (s *Server) dispatch(q *request) reply { return methods.Dispatch(s, &s.mu, q.method, q) }

func (s *Server) getMe(*request) reply {
	return ok(map[string]any{
		"id":              botID,
		"account_name":    botAccountName,
		"account_type":    "BASIC",
		"can_join_groups": true,
	})
}

// pollTimeout reads getUpdates' timeout: seconds as a string or a number.
func pollTimeout(q *request) (time.Duration, *reply) {
	raw := q.p["timeout"]
	if raw == "" || raw == "null" {
		return 0, nil
	}
	secs, err := strconv.ParseFloat(raw, 64)
	if err != nil || secs < 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
		r := badRequest("timeout must be a number of seconds")
		return 0, &r
	}
	return time.Duration(math.Min(secs, 24*3600) * float64(time.Second)), nil
}

// getUpdates hands out the oldest queued update, waiting up to timeout for
// one. The update leaves the queue as the answer is written: if that answer
// is lost, so is the update, as on the platform.
func (s *Server) getUpdates(q *request) reply {
	timeout, r := pollTimeout(q)
	if r != nil {
		return *r
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	expired := timeout <= 0

	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.webhook != nil {
			return webhookActive
		}
		// A poll whose client is gone takes nothing.
		if len(s.queue) > 0 && q.ctx.Err() == nil {
			u := s.queue[0]
			s.queue = append([]queuedUpdate(nil), s.queue[1:]...)
			s.Notify()
			return ok(u.raw)
		}
		if expired {
			return emptyPoll
		}
		ch := s.Changes()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			expired = true
		case <-q.ctx.Done():
			expired = true
		case <-s.Done():
			expired = true
		}
		s.mu.Lock()
	}
}

// chatLocked resolves chat_id; the bot can only write to chats a user opened.
func (s *Server) chatLocked(q *request) (*chat, *reply) {
	id, r := q.str("chat_id")
	if r != nil {
		return nil, r
	}
	if id == "" {
		r := badRequest("chat_id is required")
		return nil, &r
	}
	c := s.chats[id]
	if c == nil {
		r := badRequest("chat not found")
		return nil, &r
	}
	return c, nil
}

// checkLen enforces the 2000 character limit on a text or caption, counted
// in UTF-16 code units (a guess: the docs give no unit).
func checkLen(field, text string) *reply {
	if n := len(utf16.Encode([]rune(text))); n > maxTextLen {
		r := badRequest(fmt.Sprintf("%s is too long: %d characters, at most %d", field, n, maxTextLen))
		return &r
	}
	return nil
}

// sentLocked records a bot message in c and returns what the platform
// answers for it.
func (s *Server) sentLocked(c *chat, m Message) reply {
	m.ID = s.newIDLocked(saltMessage, 2)
	m.ChatID = c.id
	m.Date = time.Now().UnixMilli()
	c.msgs = append(c.msgs, m)
	s.Notify()
	return ok(map[string]any{"message_id": m.ID, "date": m.Date})
}

func (s *Server) sendMessage(q *request) reply {
	c, r := s.chatLocked(q)
	if r != nil {
		return *r
	}
	text, r := q.str("text")
	if r != nil {
		return *r
	}
	if text == "" {
		return badRequest("text is empty")
	}
	if r := checkLen("text", text); r != nil {
		return *r
	}
	return s.sentLocked(c, Message{Kind: "text", Text: text})
}

func (s *Server) sendPhoto(q *request) reply {
	c, r := s.chatLocked(q)
	if r != nil {
		return *r
	}
	photo, r := q.str("photo")
	if r != nil {
		return *r
	}
	caption, r := q.str("caption")
	if r != nil {
		return *r
	}
	if photo == "" {
		return badRequest("photo is required")
	}
	if !isHTTPURL(photo) {
		return badRequest("photo must be an http or https URL")
	}
	if r := checkLen("caption", caption); r != nil {
		return *r
	}
	return s.sentLocked(c, Message{Kind: "photo", Text: caption, PhotoURL: photo})
}

func (s *Server) sendSticker(q *request) reply {
	c, r := s.chatLocked(q)
	if r != nil {
		return *r
	}
	sticker, r := q.str("sticker")
	if r != nil {
		return *r
	}
	if sticker == "" {
		return badRequest("sticker is required")
	}
	return s.sentLocked(c, Message{Kind: "sticker", Sticker: sticker})
}

func (s *Server) sendChatAction(q *request) reply {
	if _, r := s.chatLocked(q); r != nil {
		return *r
	}
	action, r := q.str("action")
	if r != nil {
		return *r
	}
	switch action {
	case "typing", "upload_photo":
		return ok(true)
	case "":
		return badRequest("action is required")
	default:
		return badRequest("action must be typing or upload_photo")
	}
}

func isHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (s *Server) setWebhook(q *request) reply {
	hookURL, r := q.str("url")
	if r != nil {
		return *r
	}
	secret, r := q.str("secret_token")
	if r != nil {
		return *r
	}
	if hookURL == "" {
		return badRequest("url is required")
	}
	if !isHTTPURL(hookURL) {
		return badRequest("url must be an http or https URL")
	}
	if n := utf8.RuneCountInString(secret); n < minSecretLen || n > maxSecretLen {
		return badRequest(fmt.Sprintf("secret_token must be %d to %d characters", minSecretLen, maxSecretLen))
	}
	s.webhook = &webhook{url: hookURL, secret: secret, updatedAt: time.Now().UnixMilli()}
	s.hookChanged = s.webhook.updatedAt
	s.Notify()
	return ok(map[string]any{"url": hookURL, "updated_at": s.webhook.updatedAt})
}

// getWebhookInfo answers as the docs show: the URL ("" when none) and when
// it was last changed; nothing about the secret.
func (s *Server) getWebhookInfo(*request) reply {
	info := map[string]any{"url": "", "updated_at": s.hookChanged}
	if s.webhook != nil {
		info["url"] = s.webhook.url
	}
	return ok(info)
}

// deleteWebhook stops delivery. A POST in flight is abandoned and waited
// for, so that when the bot sees true every undelivered update is back in
// the queue for getUpdates, in order.
func (s *Server) deleteWebhook(q *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook != nil {
		s.webhook = nil
		s.hookChanged = time.Now().UnixMilli()
		s.Notify()
	}
	if s.inflightCancel != nil {
		s.inflightCancel()
	}
	for s.inflight != nil {
		ch := s.Changes()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-q.ctx.Done():
		case <-s.Done():
		}
		s.mu.Lock()
		if q.ctx.Err() != nil || isClosed(s.Done()) {
			break
		}
	}
	// As the docs show it.
	return ok(map[string]any{"url": "", "updated_at": s.hookChanged})
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// updateJSON renders an update the way getUpdates returns it and the webhook
// receives it.
func updateJSON(event string, msg map[string]any) json.RawMessage {
	return marshal(map[string]any{"event_name": event, "message": msg})
}
