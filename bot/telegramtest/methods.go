package telegramtest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hailong/internal/fakeapi"
)

// methods are matched case-insensitively, as Telegram does; a counted
// method the fake does not implement is still limited, as on Telegram.
var methods = fakeapi.Methods[*Server, *request, reply]{
	Waiting:  map[string]func(*Server, *request) reply{"getupdates": (*Server).getUpdates},
	Locked:   locked,
	Limited:  limitedMethods,
	Limit:    (*Server).limitLocked,
	NotFound: reply{code: http.StatusNotFound, desc: "Not Found"},
}

var locked = map[string]func(*Server, *request) reply{
	"getme":                  (*Server).getMe,
	"getfile":                (*Server).getFile,
	"sendmessage":            (*Server).sendMessage,
	"editmessagetext":        (*Server).editMessageText,
	"editmessagereplymarkup": (*Server).editMessageReplyMarkup,
	"answercallbackquery":    (*Server).answerCallbackQuery,
	"setmycommands":          (*Server).setMyCommands,
	"getmycommands":          (*Server).getMyCommands,
	"deletemycommands":       (*Server).deleteMyCommands,
	"deletewebhook":          (*Server).deleteWebhook,
	"getwebhookinfo":         (*Server).getWebhookInfo,
	"deletemessage":          (*Server).deleteMessage,
	"sendphoto":              func(s *Server, q *request) reply { return s.sendFile(q, "photo") },
	"senddocument":           func(s *Server, q *request) reply { return s.sendFile(q, "document") },
	"sendchataction":         (*Server).sendChatAction,
}

func (s *Server) dispatch(q *request) reply { return methods.Dispatch(s, &s.mu, q.method, q) }

func botJSON() map[string]any {
	return map[string]any{"id": botID, "is_bot": true, "first_name": botName, "username": botUsername}
}

func (s *Server) getMe(*request) reply {
	me := botJSON()
	me["can_join_groups"] = true
	me["can_read_all_group_messages"] = false
	me["supports_inline_queries"] = false
	return ok(me)
}

func intParam(p map[string]string, key string) int {
	n, _ := strconv.Atoi(p[key])
	return n
}

// getUpdates follows Telegram: a newer getUpdates terminates the one already
// waiting with 409, so a restarted bot takes over from a stale poller instead
// of being locked out until the old long poll times out.
func (s *Server) getUpdates(q *request) reply {
	offset := intParam(q.p, "offset")
	limit := intParam(q.p, "limit")
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout := time.Duration(intParam(q.p, "timeout")) * time.Second
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poller != nil {
		close(s.poller)
	}
	me := make(chan struct{})
	s.poller = me
	defer func() {
		if s.poller == me {
			s.poller = nil
		}
	}()
	s.confirmLocked(offset)

	for len(s.queue) == 0 && timeout > 0 {
		ch := s.Changes()
		s.mu.Unlock()
		stop := false
		select {
		case <-ch:
		case <-me:
		case <-timer.C:
			stop = true
		case <-q.ctx.Done():
			stop = true
		case <-s.Done():
			stop = true
		}
		s.mu.Lock()
		select {
		case <-me:
			return reply{code: http.StatusConflict, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		default:
		}
		if stop {
			break
		}
	}
	n := min(limit, len(s.queue))
	out := make([]json.RawMessage, n)
	for i := range n {
		out[i] = s.queue[i].raw
	}
	return ok(out)
}

// confirmLocked forgets updates before offset; a negative offset keeps only
// the last -offset updates, as documented for getUpdates.
func (s *Server) confirmLocked(offset int) {
	drop := 0
	switch {
	case offset > 0:
		for drop < len(s.queue) && s.queue[drop].id < offset {
			drop++
		}
	case offset < 0:
		drop = max(0, len(s.queue)+offset)
	}
	if drop > 0 {
		s.queue = append([]queuedUpdate(nil), s.queue[drop:]...)
		s.Notify()
	}
}

// chatLocked resolves chat_id; the bot can only write to chats it has heard from.
func (s *Server) chatLocked(p map[string]string) (*chat, *reply) {
	raw := p["chat_id"]
	if raw == "" {
		r := badRequest("chat_id is empty")
		return nil, &r
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	c := s.chats[id]
	if err != nil || c == nil {
		r := badRequest("chat not found")
		return nil, &r
	}
	return c, nil
}

func (s *Server) newBotMessageLocked(c *chat, kind string) *message {
	s.nextMsgID++
	m := &message{id: s.nextMsgID, chatID: c.id, fromBot: true, date: time.Now().Unix(), kind: kind}
	c.msgs = append(c.msgs, m)
	s.touchLocked(c.id)
	return m
}

func checkReplyTo(c *chat, p map[string]string) *reply {
	id := intParam(p, "reply_to_message_id")
	if id == 0 || p["allow_sending_without_reply"] == "true" {
		return nil
	}
	if _, m := c.find(id); m == nil {
		r := badRequest("message to be replied not found")
		return &r
	}
	return nil
}

func (s *Server) sendMessage(q *request) reply {
	c, r := s.chatLocked(q.p)
	if r != nil {
		return *r
	}
	text, pm := q.p["text"], q.p["parse_mode"]
	visible, r := checkText(text, pm, maxTextLen, true)
	if r != nil {
		return *r
	}
	mk, r := parseMarkup(q.p["reply_markup"], false)
	if r != nil {
		return *r
	}
	if r := checkReplyTo(c, q.p); r != nil {
		return *r
	}
	m := s.newBotMessageLocked(c, "text")
	m.text, m.visible, m.parseMode, m.markup = text, visible, pm, mk
	return ok(s.messageJSONLocked(m))
}

// editTargetLocked finds the bot message an edit refers to.
func (s *Server) editTargetLocked(q *request) (*chat, *message, *reply) {
	if q.p["inline_message_id"] != "" {
		// The fake never sends inline messages, so no id can be valid.
		r := badRequest("MESSAGE_ID_INVALID")
		return nil, nil, &r
	}
	c, r := s.chatLocked(q.p)
	if r != nil {
		return nil, nil, r
	}
	_, m := c.find(intParam(q.p, "message_id"))
	if m == nil {
		r := badRequest("message to edit not found")
		return nil, nil, &r
	}
	if !m.fromBot {
		r := badRequest("message can't be edited")
		return nil, nil, &r
	}
	return c, m, nil
}

var notModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

func (s *Server) editMessageText(q *request) reply {
	c, m, r := s.editTargetLocked(q)
	if r != nil {
		return *r
	}
	if m.kind != "text" {
		return badRequest("there is no text in the message to edit")
	}
	text, pm := q.p["text"], q.p["parse_mode"]
	visible, r := checkText(text, pm, maxTextLen, true)
	if r != nil {
		return *r
	}
	// A missing reply_markup yields an empty markup, which is exactly how
	// Telegram drops the inline keyboard on a plain text edit.
	mk, r := parseMarkup(q.p["reply_markup"], true)
	if r != nil {
		return *r
	}
	// Telegram compares the parsed result, so a parse mode that changes
	// nothing does not count as a modification.
	sameText := text == m.text && (pm == m.parseMode || visible == text && m.visible == m.text)
	if sameText && mk.key == m.markup.key {
		return notModified
	}
	m.text, m.visible, m.parseMode, m.markup = text, visible, pm, mk
	s.editedLocked(c, m)
	return ok(s.messageJSONLocked(m))
}

func (s *Server) editMessageReplyMarkup(q *request) reply {
	c, m, r := s.editTargetLocked(q)
	if r != nil {
		return *r
	}
	mk, r := parseMarkup(q.p["reply_markup"], true)
	if r != nil {
		return *r
	}
	if mk.key == m.markup.key {
		return notModified
	}
	m.markup.inline, m.markup.key, m.markup.keyboard = mk.inline, mk.key, mk.keyboard
	s.editedLocked(c, m)
	return ok(s.messageJSONLocked(m))
}

func (s *Server) editedLocked(c *chat, m *message) {
	m.edits++
	m.editDate = time.Now().Unix()
	s.touchLocked(c.id)
}

func (s *Server) deleteMessage(q *request) reply {
	c, r := s.chatLocked(q.p)
	if r != nil {
		return *r
	}
	i, m := c.find(intParam(q.p, "message_id"))
	if m == nil {
		return badRequest("message to delete not found")
	}
	c.msgs = append(c.msgs[:i:i], c.msgs[i+1:]...)
	return ok(true)
}

func (s *Server) answerCallbackQuery(q *request) reply {
	cb := s.callbacks[q.p["callback_query_id"]]
	if cb == nil || cb.answered {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	cb.answered, cb.text = true, q.p["text"]
	return ok(true)
}

var commandRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommands(q *request) reply {
	var cmds []map[string]any
	if err := json.Unmarshal([]byte(q.p["commands"]), &cmds); err != nil {
		return badRequest("can't parse commands JSON object")
	}
	list := make([]map[string]string, 0, len(cmds))
	for _, c := range cmds {
		name, _ := c["command"].(string)
		desc, _ := c["description"].(string)
		if !commandRE.MatchString(name) {
			return badRequest("BOT_COMMAND_INVALID")
		}
		list = append(list, map[string]string{"command": name, "description": desc})
	}
	s.commands[q.p["scope"]] = list
	return ok(true)
}

func (s *Server) getMyCommands(q *request) reply {
	out := []map[string]string{}
	out = append(out, s.commands[q.p["scope"]]...)
	return ok(out)
}

func (s *Server) deleteMyCommands(q *request) reply {
	delete(s.commands, q.p["scope"])
	return ok(true)
}

func (s *Server) deleteWebhook(*request) reply {
	r := ok(true)
	r.desc = "Webhook is already deleted"
	return r
}

func (s *Server) getWebhookInfo(*request) reply {
	return ok(map[string]any{"url": "", "has_custom_certificate": false, "pending_update_count": len(s.queue)})
}

func (s *Server) sendChatAction(q *request) reply {
	if _, r := s.chatLocked(q.p); r != nil {
		return *r
	}
	if q.p["action"] == "" {
		return badRequest("action is empty")
	}
	return ok(true)
}

var fileIDPrefix = map[string]string{
	"photo":    "AgACAgIAAxkBAAI",
	"document": "BQACAgIAAxkBAAI",
	"sticker":  "CAACAgIAAxkBAAI",
	"voice":    "AwACAgIAAxkBAAI",
}

func (s *Server) newFileLocked(kind, name, mimeType string, size int) *fileInfo {
	s.nextFileID++
	f := &fileInfo{
		kind:     kind,
		id:       fmt.Sprintf("%s%06d", fileIDPrefix[kind], s.nextFileID),
		uniqueID: fmt.Sprintf("AQAD%06d", s.nextFileID),
		name:     name,
		mime:     mimeType,
		size:     size,
	}
	s.files[f.id] = f
	return f
}

// sendFile handles sendPhoto and sendDocument; field is also the message kind.
func (s *Server) sendFile(q *request, field string) reply {
	c, r := s.chatLocked(q.p)
	if r != nil {
		return *r
	}
	caption, pm := q.p["caption"], q.p["parse_mode"]
	visible, r := checkText(caption, pm, maxCaptionLen, false)
	if r != nil {
		return *r
	}
	mk, r := parseMarkup(q.p["reply_markup"], false)
	if r != nil {
		return *r
	}
	if r := checkReplyTo(c, q.p); r != nil {
		return *r
	}
	var f *fileInfo
	if fh := q.files[field]; fh != nil {
		f = s.newFileLocked(field, fh.Filename, guessMime(fh.Filename, fh.Header.Get("Content-Type")), int(fh.Size))
	} else if v := q.p[field]; v != "" {
		if known := s.files[v]; known != nil {
			f = known
		} else if u, err := url.Parse(v); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			name := path.Base(u.Path)
			if name == "/" || name == "." {
				name = ""
			}
			f = s.newFileLocked(field, name, guessMime(name, ""), 0)
		} else {
			return badRequest("wrong file identifier/HTTP URL specified")
		}
	} else {
		return badRequest("there is no " + field + " in the request")
	}
	m := s.newBotMessageLocked(c, field)
	m.text, m.visible, m.parseMode, m.markup, m.file = caption, visible, pm, mk, f
	return ok(s.messageJSONLocked(m))
}

func guessMime(name, header string) string {
	if header != "" && header != "application/octet-stream" {
		return header
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	return "application/octet-stream"
}

func userJSON(u User) map[string]any {
	out := map[string]any{"id": u.ID, "is_bot": false, "first_name": u.FirstName}
	if u.LastName != "" {
		out["last_name"] = u.LastName
	}
	if u.Username != "" {
		out["username"] = u.Username
	}
	if u.LanguageCode != "" {
		out["language_code"] = u.LanguageCode
	}
	return out
}

func (c *chat) json() map[string]any {
	out := map[string]any{"id": c.id, "type": c.typ}
	if c.typ == "private" {
		out["first_name"] = c.user.FirstName
		if c.user.LastName != "" {
			out["last_name"] = c.user.LastName
		}
		if c.user.Username != "" {
			out["username"] = c.user.Username
		}
	} else {
		out["title"] = c.title
	}
	return out
}

func photoSizes(f *fileInfo) []map[string]any {
	return []map[string]any{
		{"file_id": f.id + "-s", "file_unique_id": f.uniqueID + "-s", "width": 90, "height": 67, "file_size": f.size / 10},
		{"file_id": f.id, "file_unique_id": f.uniqueID, "width": 1280, "height": 960, "file_size": f.size},
	}
}

// messageJSONLocked renders m the way Telegram returns and delivers it.
func (s *Server) messageJSONLocked(m *message) map[string]any {
	out := map[string]any{"message_id": m.id, "date": m.date}
	if c := s.chats[m.chatID]; c != nil {
		out["chat"] = c.json()
	} else {
		out["chat"] = map[string]any{"id": m.chatID, "type": chatType(m.chatID)}
	}
	if m.fromBot {
		out["from"] = botJSON()
	} else {
		out["from"] = userJSON(m.from)
	}
	if m.editDate != 0 {
		out["edit_date"] = m.editDate
	}
	textKey, entKey := "caption", "caption_entities"
	switch m.kind {
	case "text":
		textKey, entKey = "text", "entities"
	case "photo":
		out["photo"] = photoSizes(m.file)
	case "document":
		doc := map[string]any{"file_id": m.file.id, "file_unique_id": m.file.uniqueID, "mime_type": m.file.mime}
		if m.file.name != "" {
			doc["file_name"] = m.file.name
		}
		if m.file.size != 0 {
			doc["file_size"] = m.file.size
		}
		out["document"] = doc
	}
	if shown := m.shown(); shown != "" || m.kind == "text" {
		out[textKey] = shown
	}
	if len(m.entities) > 0 {
		out[entKey] = m.entities
	}
	for k, v := range m.extra {
		out[k] = v
	}
	if m.markup.inline != nil {
		out["reply_markup"] = m.markup.inline
	}
	return out
}

func chatType(id int64) string {
	if id > 0 {
		return "private"
	}
	return "supergroup"
}

// getFile answers as Telegram does: the file's path for the download URL
// (/file/bot<token>/<path>), or 400 for an id it never gave out.
func (s *Server) getFile(q *request) reply {
	f := s.files[q.p["file_id"]]
	if f == nil {
		return reply{code: http.StatusBadRequest, desc: "Bad Request: invalid file_id"}
	}
	return ok(map[string]any{"file_id": f.id, "file_unique_id": f.uniqueID, "file_size": len(fileData(f)), "file_path": filePath(f)})
}

func filePath(f *fileInfo) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/webp": ".webp", "audio/ogg": ".oga"}[f.mime]
	return f.kind + "s/file_" + f.uniqueID + ext
}

// fileData is a file's content: made up, the same every time, starting as
// its type does (so a JPEG is recognised as one) and naming the file.
func fileData(f *fileInfo) []byte {
	magic := map[string]string{"image/jpeg": "\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/webp": "RIFF\x00\x00\x00\x00WEBPVP8 ", "audio/ogg": "OggS\x00"}[f.mime]
	return []byte(magic + "hailong test file " + f.id)
}

// FileData is the content the fake serves for a file id, as the bot
// downloads it; false for an id it never gave out.
func (s *Server) FileData(fileID string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[fileID]
	if f == nil {
		return nil, false
	}
	return fileData(f), true
}

// download serves GET /file/bot<token>/<path>, as Telegram's file server.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	token, path, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/file/bot"), "/")
	s.mu.Lock()
	var data []byte
	if token == Token {
		for _, f := range s.files {
			if filePath(f) == path {
				data = fileData(f)
			}
		}
	}
	s.mu.Unlock()
	s.Record(Call{Method: "file", Params: map[string]string{"path": path}, At: time.Now(), Status: map[bool]int{true: 200, false: 404}[data != nil]})
	if data == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}
