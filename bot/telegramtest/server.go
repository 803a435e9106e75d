// Package telegramtest is a fake Telegram Bot API server on loopback that lets
// end-to-end tests and the demo command drive the real bot code without
// reaching Telegram.
package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"hailong/internal/fakeapi"
)

// Token is the only bot token the fake accepts; requests with any other token
// get 401 like a revoked token on Telegram.
const Token = "123456:TEST-token-DO-NOT-LOG"

const (
	botID       = 123456
	botName     = "Hailong"
	botUsername = "hailong_test_bot"

	maxTextLen    = 4096
	maxCaptionLen = 1024
	maxUploadSize = 50 << 20 // Telegram's limit for multipart uploads
)

// User is a Telegram user the test acts as. The private chat with a user has
// the same id as the user, as on Telegram.
type User struct {
	ID           int64
	FirstName    string
	LastName     string
	Username     string
	LanguageCode string
}

// Button is one keyboard button as the bot sent it. Inline buttons carry Data
// (their callback_data); reply-keyboard buttons have Data == "" and may ask
// for the user's contact.
type Button struct {
	Text           string
	Data           string
	RequestContact bool
}

// Message is a snapshot of a message in a chat, as the user would see it now.
type Message struct {
	ID     int
	ChatID int64
	// Text is the text as the bot sent it, HTML tags included (the bot
	// itself gets the parsed text back, as from Telegram); for photos and
	// documents it holds the caption.
	Text          string
	Keyboard      [][]Button // inline keyboard, nil when none
	ReplyKeyboard [][]Button // reply keyboard the message was sent with, nil when none
	FromBot       bool
	Edits         int
	// Kind is "text", "photo" or "document" for bot messages; user messages
	// may also be "sticker", "voice" or "contact".
	Kind      string
	FileID    string // of a photo (its largest size), document, sticker or voice note
	FileName  string
	FileSize  int
	ParseMode string
}

// Call is one API request the bot made. Params holds the form fields; an
// uploaded file appears under its field name with the file name as value.
type Call = fakeapi.Call

// Fault replaces the normal handling of one call; see Server.Inject.
//
// Delay sleeps first (ending early if the client goes away or the server
// closes). Then Drop closes the connection without any answer; otherwise a
// non-zero Status, RetryAfter or MigrateTo answers with that error instead of
// handling the call (Status defaults to 429 with RetryAfter and to 400 with
// MigrateTo). A Fault with only Delay set handles the call normally after the
// delay. Faulted calls have no effect on the fake's state.
type Fault struct {
	Status      int
	Description string
	RetryAfter  int
	MigrateTo   int64
	Delay       time.Duration
	Drop        bool
}

// Server is the fake Bot API. All methods are safe for concurrent use.
// What it shares with the Zalo fake comes from fakeapi.Core: URL,
// Endpoint, Close, Calls, Wait, PeakInFlight, Conns and SetLatency
// (Telegram's Bot API is 100–250 ms from a server in Vietnam; users'
// own actions, SendText or PressButton, reach the fake at once, as they
// reach Telegram whatever the bot).
//
// Like Telegram, the bot can only write to chats that have written to it, and
// a getUpdates arriving while another one waits terminates the waiting one
// with 409 (the newer poller wins, so a restarted bot is not locked out by
// its predecessor's long poll). Texts with parse_mode HTML are checked the way
// Telegram parses them; Markdown texts are accepted as they are.
type Server struct {
	fakeapi.Core

	mu sync.Mutex // the fake's state; taken before Core's

	queue      []queuedUpdate
	nextUpdate int
	poller     chan struct{} // closed to terminate the running getUpdates

	chats      map[int64]*chat
	nextMsgID  int
	nextFileID int
	files      map[string]*fileInfo

	callbacks map[string]*callback
	cbOrder   []string
	nextCB    int
	activity  map[int64]int
	watchers  map[int64]chan struct{} // closed at the chat's next activity
	commands  map[string][]map[string]string

	limits     *limiter // nil when limits are not enforced
	violations fakeapi.Log[Violation]
}

type queuedUpdate struct {
	id  int
	raw json.RawMessage
}

type callback struct {
	answered bool
	text     string
}

type chat struct {
	id    int64
	typ   string // "private" or "supergroup"
	title string
	user  User
	msgs  []*message
}

func (c *chat) find(id int) (int, *message) {
	for i, m := range c.msgs {
		if m.id == id {
			return i, m
		}
	}
	return -1, nil
}

type fileInfo struct {
	kind         string // photo, document, sticker, voice
	id, uniqueID string
	name, mime   string
	size         int
}

type message struct {
	id        int
	chatID    int64
	fromBot   bool
	from      User
	date      int64
	editDate  int64
	kind      string
	text      string // as sent
	visible   string // after entity parsing, for bot messages with a parse mode
	parseMode string
	entities  []map[string]any
	markup    markup
	file      *fileInfo
	extra     map[string]any // sticker, voice or contact payload, keyed by field name
	edits     int
}

// NewServer starts the fake on an ephemeral 127.0.0.1 port.
func NewServer() *Server {
	s := &Server{
		chats:     map[int64]*chat{},
		files:     map[string]*fileInfo{},
		callbacks: map[string]*callback{},
		activity:  map[int64]int{},
		watchers:  map[int64]chan struct{}{},
		commands:  map[string][]map[string]string{},
	}
	api := fakeapi.Handler(&s.Core, fakeapi.API[*request]{Token: Token, LongPoll: "getUpdates",
		NotFound: reply{code: http.StatusNotFound, desc: "Not Found"}, Unauthorized: reply{code: http.StatusUnauthorized, desc: "Unauthorized"},
		Read: read, Dispatch: func(q *request) fakeapi.Answer { return s.dispatch(q) }})
	s.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/file/bot") {
			s.download(w, r)
			return
		}
		api(w, r)
	}), nil)
	return s
}

// Inject installs f, which is consulted before each call, including calls
// with a wrong token; returning nil handles the call normally. f runs without
// the server's lock and may be called concurrently. Passing nil removes it.
func (s *Server) Inject(f func(method string, params map[string]string) *Fault) {
	fakeapi.Inject(&s.Core, f, (*Fault).common)
}

// Messages returns the chat's messages, the bot's and the users', ordered by
// id and with edits and deletions applied.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]Message, 0, len(c.msgs))
	for _, m := range c.msgs {
		out = append(out, m.export())
	}
	return out
}

// Last returns the bot's most recent message in the chat.
func (s *Server) Last(chatID int64) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return Message{}, false
	}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		if c.msgs[i].fromBot {
			return c.msgs[i].export(), true
		}
	}
	return Message{}, false
}

// CallbackAnswers maps each answered callback query id to the answer text.
func (s *Server) CallbackAnswers() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for id, cb := range s.callbacks {
		if cb.answered {
			out[id] = cb.text
		}
	}
	return out
}

// Unanswered lists, in press order, callback queries the bot never answered;
// on Telegram those leave the user's button spinning.
func (s *Server) Unanswered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.cbOrder {
		if !s.callbacks[id].answered {
			out = append(out, id)
		}
	}
	return out
}

// Pending counts updates the bot has not yet confirmed with an offset.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Activity counts the bot's successful sends and edits into the chat; it only
// grows, so tests can wait for "something happened" even when the content is
// unchanged.
func (s *Server) Activity(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activity[chatID]
}

// touchLocked counts the bot's activity in a chat and wakes its watchers.
func (s *Server) touchLocked(chat int64) {
	s.activity[chat]++
	if ch := s.watchers[chat]; ch != nil {
		close(ch)
		delete(s.watchers, chat)
	}
}

// WaitActivity waits until the bot's activity in the chat (Activity) has
// grown past since, and reports whether it did within timeout. Unlike
// Wait it is woken only by that chat's changes, so that many simulated
// users can wait at once without each looking at every change.
func (s *Server) WaitActivity(chatID int64, since int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.activity[chatID] > since {
			s.mu.Unlock()
			return true
		}
		ch := s.watchers[chatID]
		if ch == nil {
			ch = make(chan struct{})
			s.watchers[chatID] = ch
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		case <-s.Done():
			return false
		}
	}
}

// SetCommands returns the last setMyCommands list per scope, keyed by the
// scope parameter as sent ("" when no scope was given). language_code is not
// part of the key.
func (s *Server) SetCommands() map[string][]map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]map[string]string, len(s.commands))
	for k, list := range s.commands {
		cp := make([]map[string]string, len(list))
		for i, c := range list {
			cp[i] = fakeapi.CopyParams(c)
		}
		out[k] = cp
	}
	return out
}

// reply is the outcome of one API call.
type reply struct {
	code       int // 0 means ok
	desc       string
	result     any
	retryAfter int
	migrateTo  int64
}

func ok(result any) reply { return reply{result: result} }

func badRequest(desc string) reply {
	return reply{code: http.StatusBadRequest, desc: "Bad Request: " + desc}
}

type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      any             `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *responseParams `json:"parameters,omitempty"`
}

type responseParams struct {
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
	RetryAfter      int   `json:"retry_after,omitempty"`
}

func (r reply) Status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

func (r reply) Write(w http.ResponseWriter) {
	resp := apiResponse{OK: r.code == 0, Result: r.result, ErrorCode: r.code, Description: r.desc}
	if r.retryAfter != 0 || r.migrateTo != 0 {
		resp.Parameters = &responseParams{MigrateToChatID: r.migrateTo, RetryAfter: r.retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.Status())
	_, _ = w.Write(marshal(resp))
}

// marshal encodes without HTML escaping, as Telegram does.
var marshal = fakeapi.Marshal

// request is one parsed API call.
type request struct {
	ctx    context.Context
	method string
	p      map[string]string
	files  map[string]*multipart.FileHeader
}

// read reads a call, its parameters as parseParams does.
func read(w http.ResponseWriter, r *http.Request, method string) (*request, map[string]string, fakeapi.Answer) {
	q := &request{ctx: r.Context(), method: method}
	bad := parseParams(w, r, q)
	return q, q.p, bad
}

// common is what the fault does, in fakeapi's terms.
func (f *Fault) common() *fakeapi.Fault {
	return &fakeapi.Fault{Delay: f.Delay, Drop: f.Drop, Answer: f.answer()}
}

// answer is the error the fault answers with; nil when it answers none.
func (f *Fault) answer() fakeapi.Answer {
	code := f.Status
	if code == 0 {
		switch {
		case f.RetryAfter != 0:
			code = http.StatusTooManyRequests
		case f.MigrateTo != 0:
			code = http.StatusBadRequest
		default:
			return nil
		}
	}
	desc := f.Description
	if desc == "" {
		switch {
		case code == http.StatusTooManyRequests:
			desc = fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
		case f.MigrateTo != 0:
			desc = "Bad Request: group chat was upgraded to a supergroup chat"
		case code == http.StatusBadRequest:
			desc = "Bad Request"
		case code == http.StatusForbidden:
			desc = "Forbidden: bot was blocked by the user"
		default:
			desc = http.StatusText(code)
		}
	}
	return reply{code: code, desc: desc, retryAfter: f.RetryAfter, migrateTo: f.MigrateTo}
}

// parseParams accepts the three encodings Telegram does (query/urlencoded,
// multipart and JSON) and returns the error answer on failure.
func parseParams(w http.ResponseWriter, r *http.Request, q *request) fakeapi.Answer {
	q.p = map[string]string{}
	for k, v := range r.URL.Query() {
		q.p[k] = v[0]
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadSize)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return bodyError("can't parse multipart body", err)
		}
		for k, v := range r.MultipartForm.Value {
			if len(v) > 0 {
				q.p[k] = v[0]
			}
		}
		q.files = map[string]*multipart.FileHeader{}
		for k, v := range r.MultipartForm.File {
			if len(v) > 0 {
				q.files[k] = v[0]
				q.p[k] = v[0].Filename
			}
		}
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		var body map[string]any
		if err := dec.Decode(&body); err != nil {
			return bodyError("can't parse JSON object", err)
		}
		for k, v := range body {
			if str, isStr := v.(string); isStr {
				q.p[k] = str
			} else {
				q.p[k] = string(marshal(v))
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return bodyError("can't parse request body", err)
		}
		for k, v := range r.PostForm {
			if len(v) > 0 {
				q.p[k] = v[0]
			}
		}
	}
	return nil
}

func bodyError(desc string, err error) *reply {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &reply{code: http.StatusRequestEntityTooLarge, desc: "Request Entity Too Large"}
	}
	r := badRequest(desc)
	return &r
}

// shown is the text the bot gets back: Telegram returns markup already parsed.
func (m *message) shown() string {
	if m.fromBot {
		return m.visible
	}
	return m.text
}

func (m *message) export() Message {
	out := Message{
		ID:            m.id,
		ChatID:        m.chatID,
		Text:          m.text,
		Keyboard:      copyRows(m.markup.keyboard),
		ReplyKeyboard: copyRows(m.markup.reply),
		FromBot:       m.fromBot,
		Edits:         m.edits,
		Kind:          m.kind,
		ParseMode:     m.parseMode,
	}
	if m.file != nil {
		out.FileID = m.file.id
		out.FileName = m.file.name
		out.FileSize = m.file.size
	}
	return out
}

func copyRows(rows [][]Button) [][]Button {
	if rows == nil {
		return nil
	}
	out := make([][]Button, len(rows))
	for i, row := range rows {
		out[i] = append([]Button(nil), row...)
	}
	return out
}
