package zalotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Salts keep the kinds of ids apart.
const (
	saltUser    = 0x75736572 // "user"
	saltGroup   = 0x67727570 // "grup"
	saltMessage = 0x6d736773 // "msgs"
	saltSticker = 0x7374636b // "stck"
)

// splitmix64 scrambles a counter into a random-looking but fixed value.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// newIDLocked returns a fresh id of 16 hex digits per word.
func (s *Server) newIDLocked(salt uint64, words int) string {
	s.nextID++
	var b strings.Builder
	for i := range words {
		fmt.Fprintf(&b, "%016x", splitmix64(salt<<32^s.nextID<<4^uint64(i)))
	}
	return b.String()
}

// NewUser returns a user with a fresh hex id. It does not open a chat: the
// bot may write to the user once the user has sent something.
func (s *Server) NewUser(displayName string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return User{ID: s.newIDLocked(saltUser, 1), DisplayName: displayName}
}

// NewGroup returns a fresh group chat id. The bot may write to the group once
// a user has sent something there with GroupText.
func (s *Server) NewGroup() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newIDLocked(saltGroup, 1)
}

// openChatLocked registers a chat; from now on the bot may write to it.
func (s *Server) openChatLocked(id, typ string) *chat {
	c := s.chats[id]
	if c == nil {
		c = &chat{id: id, typ: typ}
		s.chats[id] = c
	}
	return c
}

// userUpdateLocked queues event from u in c, with the fields of extra added
// to the message, and returns the message_id.
func (s *Server) userUpdateLocked(c *chat, u User, event string, extra map[string]any) string {
	if u.ID == "" {
		panic("zalotest: a User needs an ID")
	}
	id := s.newIDLocked(saltMessage, 2)
	msg := map[string]any{
		"message_id": id,
		"date":       time.Now().UnixMilli(),
		"chat":       map[string]any{"id": c.id, "chat_type": c.typ},
		"from":       map[string]any{"id": u.ID, "display_name": u.DisplayName, "is_bot": false},
	}
	for k, v := range extra {
		msg[k] = v
	}
	s.enqueueLocked(queuedUpdate{raw: updateJSON(event, msg), event: event, messageID: id})
	return id
}

func (s *Server) enqueueLocked(u queuedUpdate) {
	s.queue = append(s.queue, u)
	s.Notify()
}

func (s *Server) private(u User, event string, extra map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userUpdateLocked(s.openChatLocked(u.ID, "PRIVATE"), u, event, extra)
}

// Text queues a message.text.received from u in u's private chat and returns
// its message_id.
func (s *Server) Text(u User, text string) string {
	return s.private(u, "message.text.received", map[string]any{"text": text})
}

// BotDisplayName is the name a group mentions the bot by. GUESS: the
// platform documents neither groups' mentions nor the bot's display name.
const BotDisplayName = "Bot Hải Long"

// GroupText is u saying text in the group chat groupID (see NewGroup),
// which the bot may then write to. The bot gets it as a
// message.text.received only when the text mentions it ("@" +
// BotDisplayName; a guess, see Forms.GroupsSeeAll); GroupText returns its
// message_id, or "" when the bot does not see it.
func (s *Server) GroupText(groupID string, u User, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.openChatLocked(groupID, "GROUP")
	if !s.forms.GroupsSeeAll && !strings.Contains(text, "@"+BotDisplayName) {
		return ""
	}
	return s.userUpdateLocked(c, u, "message.text.received", map[string]any{"text": text})
}

// GroupMention is GroupText with the bot mentioned first, as a member
// addresses it: "@Bot Hải Long " + text.
func (s *Server) GroupMention(groupID string, u User, text string) string {
	return s.GroupText(groupID, u, "@"+BotDisplayName+" "+text)
}

// Image queues a message.image.received with photoURL, and caption unless it
// is empty, from u in u's private chat and returns its message_id. The
// address is in photo, as documented (in photo_url with Forms.PhotoURL).
func (s *Server) Image(u User, photoURL, caption string) string {
	s.mu.Lock()
	field := "photo"
	if s.forms.PhotoURL {
		field = "photo_url"
	}
	s.mu.Unlock()
	extra := map[string]any{field: photoURL}
	if caption != "" {
		extra["caption"] = caption
	}
	return s.private(u, "message.image.received", extra)
}

// Link queues a message.link.received with the link as its text (what
// public clients read) from u in u's private chat and returns its
// message_id.
func (s *Server) Link(u User, link string) string {
	return s.private(u, "message.link.received", map[string]any{"text": link})
}

// Reaction queues a message.reaction.received from u in u's private chat
// and returns its message_id. No public source shows its fields beyond the
// common ones: it has none here.
func (s *Server) Reaction(u User) string {
	return s.private(u, "message.reaction.received", nil)
}

// Sticker queues a message.sticker.received with a fresh sticker id from u in
// u's private chat and returns its message_id.
func (s *Server) Sticker(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sticker := s.newIDLocked(saltSticker, 1)
	return s.userUpdateLocked(s.openChatLocked(u.ID, "PRIVATE"), u, "message.sticker.received", map[string]any{"sticker": sticker})
}

// Voice queues a message.voice.received from u in u's private chat and
// returns its message_id.
func (s *Server) Voice(u User) string {
	return s.private(u, "message.voice.received", nil)
}

// Unsupported queues a message.unsupported.received (a message kind bots do
// not get, such as a file or a location) from u in u's private chat and
// returns its message_id.
func (s *Server) Unsupported(u User) string {
	return s.private(u, "message.unsupported.received", nil)
}

// Raw queues rawUpdateJSON exactly as given, so tests can feed updates the
// channel must survive (unknown events, missing fields, wrong types). It
// panics unless rawUpdateJSON is a JSON object. A chat found in it (a string
// message.chat.id) becomes known, so the bot may answer.
func (s *Server) Raw(rawUpdateJSON string) {
	dec := json.NewDecoder(strings.NewReader(rawUpdateJSON))
	dec.UseNumber()
	var update map[string]any
	if err := dec.Decode(&update); err != nil || update == nil {
		panic(fmt.Sprintf("zalotest: Raw needs a JSON object: %v", err))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(rawUpdateJSON)); err != nil {
		panic(fmt.Sprintf("zalotest: Raw needs a JSON object: %v", err))
	}
	u := queuedUpdate{raw: compact.Bytes()}
	u.event, _ = update["event_name"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg, isObj := update["message"].(map[string]any); isObj {
		u.messageID, _ = msg["message_id"].(string)
		if ch, isObj := msg["chat"].(map[string]any); isObj {
			if id, _ := ch["id"].(string); id != "" {
				typ, _ := ch["chat_type"].(string)
				if typ != "GROUP" {
					typ = "PRIVATE"
				}
				s.openChatLocked(id, typ)
			}
		}
	}
	s.enqueueLocked(u)
}
