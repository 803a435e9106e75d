package telegramtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// enqueueLocked queues one update and returns its update_id.
func (s *Server) enqueueLocked(update map[string]any) int {
	s.nextUpdate++
	update["update_id"] = s.nextUpdate
	s.queue = append(s.queue, queuedUpdate{id: s.nextUpdate, raw: marshal(update)})
	s.notifyLocked()
	return s.nextUpdate
}

// privateChatLocked registers u's private chat; from now on the bot may
// write to it, as after a user presses Start on Telegram.
func (s *Server) privateChatLocked(u User) *chat {
	c := s.chats[u.ID]
	if c == nil {
		c = &chat{id: u.ID, typ: "private"}
		s.chats[u.ID] = c
	}
	c.user = u
	return c
}

func (s *Server) userMessageLocked(c *chat, u User, kind string) *message {
	s.nextMsgID++
	m := &message{id: s.nextMsgID, chatID: c.id, from: u, date: time.Now().Unix(), kind: kind}
	c.msgs = append(c.msgs, m)
	return m
}

func (s *Server) postLocked(m *message) int {
	return s.enqueueLocked(map[string]any{"message": s.messageJSONLocked(m)})
}

// Meet makes u a user who wrote to the bot before, whose updates the
// bot has already had: the bot may write to them, and no update waits.
func (s *Server) Meet(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.privateChatLocked(u)
}

// MeetGroup makes chatID (negative) a group the bot is in, which it may
// write to, with no update waiting.
func (s *Server) MeetGroup(chatID int64, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chats[chatID] == nil {
		s.chats[chatID] = &chat{id: chatID, typ: chatType(chatID), title: title}
	}
}

// SendText delivers a text message from u in u's private chat and returns the
// update_id.
func (s *Server) SendText(u User, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.userMessageLocked(s.privateChatLocked(u), u, "text")
	m.text, m.entities = text, commandEntities(text)
	return s.postLocked(m)
}

// SendGroupText delivers a text message from u in the supergroup chatID
// (negative, as on Telegram), which the bot may then write to.
func (s *Server) SendGroupText(chatID int64, title string, u User, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		c = &chat{id: chatID, typ: chatType(chatID)}
		s.chats[chatID] = c
	}
	c.title = title
	m := s.userMessageLocked(c, u, "text")
	m.text, m.entities = text, commandEntities(text)
	return s.postLocked(m)
}

// PressInline sends a callback_query from u for a button of a message sent
// inline (through another chat): it carries inline_message_id and no
// message, and u need not have a private chat with the bot.
func (s *Server) PressInline(u User, inlineMessageID, data string) (updateID int, callbackID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextCB++
	callbackID = strconv.FormatInt(4_000_000_000_000_000_000+int64(s.nextCB), 10)
	cq := map[string]any{
		"id":                callbackID,
		"from":              userJSON(u),
		"chat_instance":     "-1",
		"inline_message_id": inlineMessageID,
		"data":              data,
	}
	s.callbacks[callbackID] = &callback{}
	s.cbOrder = append(s.cbOrder, callbackID)
	return s.enqueueLocked(map[string]any{"callback_query": cq}), callbackID
}

// PressButton sends a callback_query from u for an inline button with data
// on message messageID of u's private chat. The message is attached as it is
// now (omitted if it does not exist); data is not checked against the
// keyboard so tests can replay stale or forged buttons.
func (s *Server) PressButton(u User, messageID int, data string) (updateID int, callbackID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.privateChatLocked(u)
	s.nextCB++
	callbackID = strconv.FormatInt(4_000_000_000_000_000_000+int64(s.nextCB), 10)
	cq := map[string]any{
		"id":            callbackID,
		"from":          userJSON(u),
		"chat_instance": strconv.FormatInt(-7_000_000_000_000_000_000+c.id, 10),
		"data":          data,
	}
	if _, m := c.find(messageID); m != nil {
		cq["message"] = s.messageJSONLocked(m)
	}
	s.callbacks[callbackID] = &callback{}
	s.cbOrder = append(s.cbOrder, callbackID)
	return s.enqueueLocked(map[string]any{"callback_query": cq}), callbackID
}

// SendSticker delivers a sticker from u in u's private chat.
func (s *Server) SendSticker(u User) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.userMessageLocked(s.privateChatLocked(u), u, "sticker")
	f := s.newFileLocked("sticker", "", "image/webp", 23_000)
	m.extra = map[string]any{"sticker": map[string]any{
		"file_id": f.id, "file_unique_id": f.uniqueID, "width": 512, "height": 512,
		"is_animated": false, "is_video": false, "type": "regular", "emoji": "👍",
		"set_name": "HailongTestPack", "file_size": f.size,
	}}
	return s.postLocked(m)
}

// SendPhoto delivers a photo (two sizes, fresh file ids) with caption from u
// in u's private chat.
func (s *Server) SendPhoto(u User, caption string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.userMessageLocked(s.privateChatLocked(u), u, "photo")
	m.text = caption
	m.file = s.newFileLocked("photo", "", "image/jpeg", 120_000)
	// The small size is a file of its own on Telegram; registering it lets
	// the bot re-send either id.
	small := *m.file
	small.id, small.uniqueID, small.size = small.id+"-s", small.uniqueID+"-s", small.size/10
	s.files[small.id] = &small
	return s.postLocked(m)
}

// SendVoice delivers a voice note from u in u's private chat.
func (s *Server) SendVoice(u User) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.userMessageLocked(s.privateChatLocked(u), u, "voice")
	f := s.newFileLocked("voice", "", "audio/ogg", 16_000)
	m.extra = map[string]any{"voice": map[string]any{
		"file_id": f.id, "file_unique_id": f.uniqueID, "duration": 3, "mime_type": f.mime, "file_size": f.size,
	}}
	return s.postLocked(m)
}

// SendContact delivers a shared contact from u, as a request_contact button
// does when contactUserID == u.ID.
func (s *Server) SendContact(u User, phone string, contactUserID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.userMessageLocked(s.privateChatLocked(u), u, "contact")
	contact := map[string]any{"phone_number": phone, "first_name": u.FirstName, "user_id": contactUserID}
	if u.LastName != "" {
		contact["last_name"] = u.LastName
	}
	m.extra = map[string]any{"contact": contact}
	return s.postLocked(m)
}

// SendEdited delivers an edited_message update: u changed the text of their
// message messageID in the private chat. If no such user message exists the
// update still carries a message with that id.
func (s *Server) SendEdited(u User, messageID int, newText string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.privateChatLocked(u)
	_, m := c.find(messageID)
	if m == nil || m.fromBot {
		m = &message{id: messageID, chatID: c.id, from: u, date: time.Now().Unix(), kind: "text"}
	}
	m.text, m.entities = newText, commandEntities(newText)
	m.edits++
	m.editDate = time.Now().Unix()
	return s.enqueueLocked(map[string]any{"edited_message": s.messageJSONLocked(m)})
}

// SendRaw queues an arbitrary update object, setting its update_id, so tests
// can feed updates tgbotapi cannot decode. It panics unless rawUpdateJSON is
// a JSON object. Chats found in it become known, so the bot may answer.
func (s *Server) SendRaw(rawUpdateJSON string) int {
	dec := json.NewDecoder(strings.NewReader(rawUpdateJSON))
	dec.UseNumber() // keeps 64-bit ids exact on re-encoding
	var update map[string]any
	if err := dec.Decode(&update); err != nil || update == nil {
		panic(fmt.Sprintf("telegramtest: SendRaw needs a JSON object: %v", err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{"message", "edited_message", "channel_post", "edited_channel_post"} {
		s.learnChatLocked(update[key])
	}
	if cq, isObj := update["callback_query"].(map[string]any); isObj {
		s.learnChatLocked(cq["message"])
	}
	return s.enqueueLocked(update)
}

func (s *Server) learnChatLocked(msg any) {
	obj, isObj := msg.(map[string]any)
	if !isObj {
		return
	}
	ch, isObj := obj["chat"].(map[string]any)
	if !isObj {
		return
	}
	num, isNum := ch["id"].(json.Number)
	if !isNum {
		return
	}
	id, err := num.Int64()
	if err != nil || s.chats[id] != nil {
		return
	}
	c := &chat{id: id, typ: chatType(id)}
	if typ, _ := ch["type"].(string); typ != "" {
		c.typ = typ
	}
	c.title, _ = ch["title"].(string)
	c.user.ID = id
	c.user.FirstName, _ = ch["first_name"].(string)
	c.user.LastName, _ = ch["last_name"].(string)
	c.user.Username, _ = ch["username"].(string)
	s.chats[id] = c
}
