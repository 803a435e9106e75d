// Package zalotest is a fake Zalo Bot Platform server on loopback that lets
// the Zalo channel's tests and the demo command drive the real bot code
// without reaching Zalo.
//
// Faithful to the platform as documented (December 2025):
//
//   - Every method is POST https://…/bot<TOKEN>/<method> with a JSON body (an
//     empty body means no parameters) and answers {"ok":true,"result":…} or
//     {"ok":false,"error_code":n,"description":"…"}. A wrong token gets 401
//     "Unauthorized", an unknown method 404.
//   - getUpdates long-polls for timeout seconds (sent as a string; a number is
//     accepted too) and returns ONE update as the result object, without
//     update_id or offset. An update handed out is gone: there is no
//     confirmation, so a reply lost on the way loses the update.
//   - Updates have an event_name (message.text.received,
//     message.image.received, message.sticker.received,
//     message.voice.received, message.unsupported.received; public clients
//     also see message.link.received and message.reaction.received) and a
//     message whose ids are strings, whose date is in milliseconds (the
//     docs' samples: 1750316131602), whose chat has a chat_type of PRIVATE
//     or GROUP (groups: "sắp ra mắt", coming soon) and whose from has a
//     display_name. An image's address is in photo, with caption.
//   - setWebhook takes url and a secret_token of 8 to 256 characters; while a
//     webhook is set, updates are POSTed to it wrapped as the Webhook page
//     shows, {"ok":true,"result":{"event_name":…,"message":{…}}}, with the
//     header X-Bot-Api-Secret-Token, and getUpdates is refused.
//     getWebhookInfo answers {url, updated_at} (no word of the secret);
//     deleteWebhook answers {url:"", updated_at}.
//   - sendMessage takes 1 to 2000 characters ("1–2000 ký tự", no unit
//     given); sendPhoto takes a photo URL and an optional caption of at most
//     2000 characters; sendSticker and sendChatAction (typing, upload_photo)
//     exist. Sends return a string message_id and a date in milliseconds.
//     There are no buttons and no editing of messages. The bot can only
//     write to a chat a user opened.
//
// Forms public clients show instead, chosen with SetForms: the bare update
// posted to the webhook, an image's address in photo_url.
//
// Choices of the fake, where the platform's behaviour is not documented:
//
//   - An empty long poll answers HTTP 200 {"ok":true,"result":null}
//     (emptyPoll in methods.go is the one line to change; some public
//     clients expect {"ok":false,"error_code":408} instead, so the channel
//     should accept both).
//   - Error descriptions are short English sentences; clients must go by
//     error_code. Every error answers with the HTTP status equal to
//     error_code (a Fault can differ). secret_token is counted in code points
//     too and may hold any character.
//   - A non-empty body must have Content-Type application/json and be a JSON
//     object (or null, meaning no parameters); the parameters the platform
//     defines as strings (chat_id, text, photo, caption, sticker, action,
//     url, secret_token) must be JSON strings. Method names match case-insensitively; the HTTP verb is not
//     checked. A missing timeout means an immediate answer; fractions of a
//     second are accepted so tests can poll briefly.
//   - Several getUpdates may wait at once; each update goes to exactly one of
//     them. A poll whose client has gone away takes nothing.
//   - Webhook URLs may be http (the platform wants https); the fake only
//     ever connects to loopback addresses and fails any other delivery. An
//     update is delivered when the receiver answers 2xx; otherwise (other
//     status, network error, timeout) it is retried after
//     WebhookOptions.RetryDelay, in order, one update in flight at a time.
//     deleteWebhook abandons a delivery in flight and returns every
//     undelivered update to getUpdates before it answers true.
//   - GUESS: the 2000 characters are counted in UTF-16 code units, as
//     public clients count them (an emoji outside the BMP is two).
//   - GUESS: in a group the bot sees only the texts that mention it ("@"
//     and its name, BotDisplayName here), as public clients report; the
//     mention stays in the text. SetForms(Forms{GroupsSeeAll: true}) lets
//     every group text through.
//   - Rate limits are not published; EnforceLimits sets token buckets and a
//     refused send answers 429 "Too Many Requests: retry after N" with a
//     Retry-After header. By default nothing is limited.
//   - The update payload of message.voice.received and
//     message.unsupported.received carries no field beyond the common ones,
//     and message.sticker.received only a sticker id.
//
// Ids are deterministic: the same sequence of calls gives the same ids.
package zalotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"hailong/internal/fakeapi"
)

// Token is the only bot token the fake accepts; requests with any other token
// get 401 like a revoked token. Its part before the colon is the bot id.
const Token = "3127644929483375101:zalotest-SECRET-do-not-log"

const (
	botAccountName = "bot.HailongTest"

	maxTextLen   = 2000 // sendMessage text and sendPhoto caption, in code points
	minSecretLen = 8
	maxSecretLen = 256
	maxBodySize  = 1 << 20
)

// botID is the id getMe reports, the part of Token before the colon.
var botID, _, _ = strings.Cut(Token, ":")

// User is a Zalo user the test acts as. The private chat with a user has the
// same id as the user.
type User struct {
	ID          string
	DisplayName string
}

// Message is one message the bot sent, as the user sees it.
type Message struct {
	ID     string
	ChatID string
	// Kind is "text", "photo" or "sticker".
	Kind string
	// Text is the text of a text message or the caption of a photo.
	Text     string
	PhotoURL string
	Sticker  string
	Date     int64 // milliseconds since the epoch, as returned to the bot
}

// Call is one API request the bot made. Params holds the JSON body's fields:
// strings as they are, other values as JSON.
type Call = fakeapi.Call

// Fault replaces the normal handling of one call; see Server.Inject.
//
// Delay sleeps first (ending early if the client goes away or the server
// closes). Then Drop closes the connection without any answer and without
// handling the call; otherwise a non-zero Status or RetryAfter answers with
// that error instead of handling the call (Status defaults to 429 with
// RetryAfter). DropReply handles the call normally — a send is delivered,
// getUpdates takes its update off the queue — and then closes the connection
// without an answer: the update or the message id is lost to the bot. A
// Fault with only Delay set handles the call normally after the delay.
// Faulted calls have no effect on the fake's state, except with DropReply.
type Fault struct {
	Status      int    // error_code, and the HTTP status unless HTTPStatus is set
	Description string // default: "Too Many Requests: retry after N" for 429, else the status text
	RetryAfter  int    // seconds, put in the description of a 429 and in a Retry-After header
	HTTPStatus  int    // HTTP status line when it should differ from Status, e.g. 200
	Delay       time.Duration
	Drop        bool
	DropReply   bool
}

// Delivery is one POST of an update to the webhook.
type Delivery struct {
	URL       string
	Secret    string // the X-Bot-Api-Secret-Token header sent
	EventName string
	MessageID string
	Body      string // the JSON posted: the update in its envelope, unless Forms.BareWebhook
	Attempt   int    // 1 for the first POST of this update, 2 for its first retry…
	// Status is the receiver's HTTP status, 0 when it did not answer (Err
	// says why). Only 2xx counts as delivered.
	Status int
	Err    string
	At     time.Time // when the POST finished
}

// WebhookOptions tune webhook delivery; see Server.SetWebhookOptions.
type WebhookOptions struct {
	RetryDelay time.Duration // pause after a failed POST before the retry; default 50ms
	Timeout    time.Duration // how long one POST may take before it fails; default 5s
}

const (
	defaultRetryDelay      = 50 * time.Millisecond
	defaultDeliveryTimeout = 5 * time.Second
)

// Server is the fake Zalo Bot Platform for one bot. All methods are safe for
// concurrent use. What it shares with the Telegram fake comes from
// fakeapi.Core: URL (the channel's api_base), Endpoint, Close (which also
// ends webhook delivery), Calls, Wait, PeakInFlight, Conns and SetLatency
// (API calls only: webhook deliveries are not delayed).
type Server struct {
	fakeapi.Core
	ctx    context.Context // canceled by Close, for webhook POSTs
	cancel context.CancelFunc
	wg     sync.WaitGroup // the webhook delivery goroutine
	client *http.Client

	mu sync.Mutex // the fake's state; taken before Core's

	queue  []queuedUpdate
	nextID uint64
	chats  map[string]*chat

	webhook        *webhook // nil when none is set
	hookChanged    int64    // ms: when the webhook was last set or deleted
	inflight       *queuedUpdate
	inflightCancel context.CancelFunc
	deliveries     fakeapi.Log[Delivery]
	hookOpts       WebhookOptions

	forms Forms

	limits     *limiter // nil when limits are not enforced
	violations fakeapi.Log[Violation]
}

type queuedUpdate struct {
	raw       json.RawMessage
	event     string
	messageID string
	attempts  int // webhook POSTs so far
}

type webhook struct {
	url, secret string
	updatedAt   int64 // ms
}

type chat struct {
	id   string
	typ  string // "PRIVATE" or "GROUP"
	msgs []Message
}

// NewServer starts the fake on an ephemeral 127.0.0.1 port, with no webhook
// set and no limits enforced.
func NewServer() *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		ctx:    ctx,
		cancel: cancel,
		chats:  map[string]*chat{},
		client: newDeliveryClient(),
	}
	// Closing ends webhook delivery too: its POSTs are canceled, and the
	// delivery loop, which ends with the fake, is waited for.
	s.Start(fakeapi.Handler(&s.Core, fakeapi.API[*request]{Token: Token, LongPoll: "getUpdates",
		NotFound: reply{code: http.StatusNotFound, desc: "Not Found"}, Unauthorized: reply{code: http.StatusUnauthorized, desc: "Unauthorized"},
		Read: read, Dispatch: func(q *request) fakeapi.Answer { return s.dispatch(q) }}),
		func() { s.cancel(); s.wg.Wait() })
	s.wg.Add(1)
	go s.deliverLoop()
	return s
}

// Inject installs f, which is consulted before each call, including calls
// with a wrong token; returning nil handles the call normally. f runs without
// the server's lock and may be called concurrently. Passing nil removes it.
func (s *Server) Inject(f func(method string, params map[string]string) *Fault) {
	fakeapi.Inject(&s.Core, f, (*Fault).common)
}

// Forms choose shapes other than the documented ones, which are the
// default.
type Forms struct {
	// BareWebhook posts the bare update {"event_name":…,"message":…} to
	// the webhook instead of the documented {"ok":true,"result":…}.
	BareWebhook bool
	// PhotoURL puts an image's address in photo_url instead of the
	// documented photo.
	PhotoURL bool
	// GroupsSeeAll hands the bot every group text, not only those that
	// mention it (which is a guess).
	GroupsSeeAll bool
}

// SetForms chooses the shapes of updates queued and posted from now on.
func (s *Server) SetForms(f Forms) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forms = f
}

// SetWebhookOptions changes how updates are delivered to a webhook from the
// next POST on; zero fields take their defaults.
func (s *Server) SetWebhookOptions(o WebhookOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookOpts = o
}

// Messages returns what the bot sent to the chat, in order.
func (s *Server) Messages(chatID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	return append([]Message(nil), c.msgs...)
}

// Last returns the bot's most recent message in the chat.
func (s *Server) Last(chatID string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil || len(c.msgs) == 0 {
		return Message{}, false
	}
	return c.msgs[len(c.msgs)-1], true
}

// Pending counts updates neither handed out by getUpdates nor delivered to
// the webhook, including one whose delivery is in flight.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingLocked()
}

func (s *Server) pendingLocked() int {
	n := len(s.queue)
	if s.inflight != nil {
		n++
	}
	return n
}

// Deliveries returns every webhook POST that has finished, in order.
func (s *Server) Deliveries() []Delivery {
	return s.deliveries.All()
}

// reply is the outcome of one API call.
type reply struct {
	code       int // error_code; 0 means ok
	httpStatus int // 0: code, or 200 when ok
	desc       string
	result     any
	retryAfter int // seconds for a Retry-After header; 0 for none
}

func ok(result any) reply { return reply{result: result} }

func badRequest(desc string) reply { return reply{code: http.StatusBadRequest, desc: desc} }

func (r reply) Status() int {
	switch {
	case r.httpStatus != 0:
		return r.httpStatus
	case r.code != 0:
		return r.code
	default:
		return http.StatusOK
	}
}

type okResponse struct {
	OK     bool `json:"ok"`
	Result any  `json:"result"` // null is written out, as for an empty poll
}

type errorResponse struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
}

func (r reply) Write(w http.ResponseWriter) {
	var body []byte
	if r.code == 0 {
		body = marshal(okResponse{OK: true, Result: r.result})
	} else {
		body = marshal(errorResponse{ErrorCode: r.code, Description: r.desc})
	}
	w.Header().Set("Content-Type", "application/json")
	if r.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(r.retryAfter))
	}
	w.WriteHeader(r.Status())
	_, _ = w.Write(body)
}

var marshal = fakeapi.Marshal

// request is one parsed API call.
type request struct {
	ctx    context.Context
	method string
	p      map[string]string // every field, strings as they are and other values as JSON
	raw    map[string]any    // the decoded body, numbers as json.Number
}

// str returns the string parameter key, "" when absent; a present value that
// is not a JSON string is a 400.
func (q *request) str(key string) (string, *reply) {
	v, has := q.raw[key]
	if !has || v == nil {
		return "", nil
	}
	str, isStr := v.(string)
	if !isStr {
		r := badRequest(key + " must be a string")
		return "", &r
	}
	return str, nil
}

// read reads a call, its parameters as parseParams does.
func read(w http.ResponseWriter, r *http.Request, method string) (*request, map[string]string, fakeapi.Answer) {
	q := &request{ctx: r.Context(), method: method}
	bad := parseParams(w, r, q)
	return q, q.p, bad
}

// common is what the fault does, in fakeapi's terms.
func (f *Fault) common() *fakeapi.Fault {
	return &fakeapi.Fault{Delay: f.Delay, Drop: f.Drop, DropReply: f.DropReply, Answer: f.answer()}
}

// answer is the error the fault answers with; nil when it answers none.
func (f *Fault) answer() fakeapi.Answer {
	code := f.Status
	if code == 0 {
		if f.RetryAfter == 0 {
			return nil
		}
		code = http.StatusTooManyRequests
	}
	desc := f.Description
	if desc == "" {
		switch {
		case code == http.StatusTooManyRequests && f.RetryAfter > 0:
			desc = retryDesc(f.RetryAfter)
		case http.StatusText(code) != "":
			desc = http.StatusText(code)
		default:
			desc = "Error " + strconv.Itoa(code)
		}
	}
	return reply{code: code, httpStatus: f.HTTPStatus, desc: desc, retryAfter: f.RetryAfter}
}

func retryDesc(secs int) string { return fmt.Sprintf("Too Many Requests: retry after %d", secs) }

// parseParams reads the JSON body and returns the error answer on failure.
func parseParams(w http.ResponseWriter, r *http.Request, q *request) fakeapi.Answer {
	q.p, q.raw = map[string]string{}, map[string]any{}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodySize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &reply{code: http.StatusRequestEntityTooLarge, desc: "Request Entity Too Large"}
		}
		rep := badRequest("can't read the request body")
		return &rep
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		rep := badRequest("Content-Type must be application/json")
		return &rep
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keeps numbers as sent
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		rep := badRequest("the request body must be a JSON object")
		return &rep
	}
	if _, err := dec.Token(); err != io.EOF {
		rep := badRequest("the request body must be a single JSON object")
		return &rep
	}
	if obj == nil {
		return nil // null, as a client marshalling a nil map sends
	}
	q.raw = obj
	for k, v := range obj {
		if str, isStr := v.(string); isStr {
			q.p[k] = str
		} else {
			q.p[k] = string(marshal(v))
		}
	}
	return nil
}
