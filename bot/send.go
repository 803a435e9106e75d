package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"hailong/flows"
	"hailong/outbox"
)

// maxText is Telegram's limit on a message's text.
const maxText = 4096

// transport sends outbox rows to Telegram for the shared sender.
type transport struct{ b *Bot }

// ChatLimiter is the chat's rate; acknowledgements are not messages.
func (t transport) ChatLimiter(q flows.Queued) *rate.Limiter {
	if q.Kind == flows.OutAck {
		return nil
	}
	return t.b.chatLimiter(q.Chat)
}

// Supersedes says whether newer sets the whole of the message older
// edits: two text edits of one message, each showing the step in
// progress (flows.Prompt) — a question, then the next. Telegram shows only
// the last state, so the older need not be sent. An edit that says
// something else (the survey saved, an intro, a complaint's code) always
// goes: a later edit does not say it again.
func (transport) Supersedes(older, newer flows.Queued) bool {
	stepEdit := func(q flows.Queued) bool {
		return q.Kind == flows.OutMessage && q.EditRef != "" && q.Reply.File == nil && q.Reply.Photo == "" && flows.Prompt(q.Reply)
	}
	return stepEdit(older) && stepEdit(newer) && older.Chat == newer.Chat && older.EditRef == newer.EditRef
}

// Send makes one attempt at a row and says what became of it.
func (t transport) Send(_ context.Context, q flows.Queued) outbox.Verdict {
	b := t.b
	if q.Kind == flows.OutMenu {
		role := map[string]flows.Role{"principal": flows.RolePrincipal, "office": flows.RoleOffice, "admin": flows.RoleAdmin}[q.Reply.Text]
		if err := b.setMenu(q.Chat, flows.Commands(role)); err != nil {
			b.log.Warn("set a command menu", "err", err)
		}
		return outbox.Verdict{Outcome: outbox.Sent}
	}
	aimed, stale := b.aim(q)
	id, err := b.send(aimed)
	err = b.clean(err)
	if err == nil && q.Kind == flows.OutMessage {
		b.shown(aimed, id)
		if stale != 0 {
			b.unbutton(q.Chat, stale)
		}
	}
	return verdict(err)
}

// verdict says what became of a call that returned err.
func verdict(err error) outbox.Verdict {
	v := outbox.Verdict{Err: err, Outcome: outbox.Failed}
	if err == nil {
		v.Outcome = outbox.Sent
		return v
	}
	var tg *tgbotapi.Error
	if !errors.As(err, &tg) || tg.Code == 0 {
		v.Outcome = outbox.Later // network, or a reply that is not the Bot API's
		return v
	}
	desc := strings.ToLower(tg.Message)
	switch {
	case tg.MigrateToChatID != 0:
		v.Outcome, v.MovedTo = outbox.Moved, strconv.FormatInt(tg.MigrateToChatID, 10)
	case tg.Code == http.StatusTooManyRequests, tg.Code >= 500,
		tg.Code == http.StatusUnauthorized, tg.Code == http.StatusNotFound:
		v.Outcome = outbox.Later
		// A wrong token or endpoint blames no message: everything waits.
		v.Blocked = tg.Code == http.StatusUnauthorized || tg.Code == http.StatusNotFound
		if tg.Code == http.StatusTooManyRequests {
			v.Throttled, v.RetryAfter = true, time.Duration(tg.RetryAfter)*time.Second
		}
	case strings.Contains(desc, "message is not modified"):
		v.Outcome = outbox.Sent
	case strings.Contains(desc, "query is too old"), strings.Contains(desc, "query id is invalid"):
		v.Outcome = outbox.Sent // a late acknowledgement has nothing left to do
	case strings.Contains(desc, "message to edit not found"), strings.Contains(desc, "message can't be edited"):
		v.Outcome = outbox.Resend // the message to edit is gone or too old
	case tg.Code == http.StatusForbidden:
		v.Outcome = outbox.Dropped
	}
	return v
}

// chatLimiter is the chat's pace; a group's (a negative id) is Telegram's
// per-group rate.
func (b *Bot) chatLimiter(chat string) *rate.Limiter {
	id, _ := strconv.ParseInt(chat, 10, 64)
	return b.run.ChatLimiter(chat, id < 0)
}

// send makes the Bot API call for one outbox row; id is the message
// sent or edited.
func (b *Bot) send(q flows.Queued) (id int, err error) {
	chat, err := strconv.ParseInt(q.Chat, 10, 64)
	if err != nil {
		return 0, &tgbotapi.Error{Code: http.StatusBadRequest, Message: "bad chat id " + q.Chat}
	}
	if q.Kind == flows.OutAck {
		return 0, b.request(tgbotapi.NewCallback(q.CallbackID, q.Reply.Text))
	}
	text := clipRunes(q.Reply.Text, maxText)
	markup := keyboard(q.Reply.Buttons)
	if f := q.Reply.File; f != nil {
		data := tgbotapi.FileBytes{Name: f.Name, Bytes: f.Data}
		if f.Image {
			p := tgbotapi.NewPhoto(chat, data)
			p.Caption = clipRunes(q.Reply.Text, maxCaption)
			return b.message(p)
		}
		d := tgbotapi.NewDocument(chat, data)
		d.Caption = clipRunes(q.Reply.Text, maxCaption)
		return b.message(d)
	}
	if q.Reply.Photo != "" {
		p := tgbotapi.NewPhoto(chat, tgbotapi.FileID(q.Reply.Photo))
		p.Caption = clipRunes(q.Reply.Text, maxCaption)
		if markup != nil {
			p.ReplyMarkup = *markup
		}
		return b.message(p)
	}
	if q.EditRef != "" {
		id, _ := strconv.Atoi(q.EditRef)
		var edit tgbotapi.EditMessageTextConfig
		if markup != nil {
			edit = tgbotapi.NewEditMessageTextAndMarkup(chat, id, text, *markup)
		} else {
			// Without reply_markup Telegram removes the keyboard,
			// which is what a reply without buttons means.
			edit = tgbotapi.NewEditMessageText(chat, id, text)
		}
		edit.DisableWebPagePreview = true
		return id, b.request(edit)
	}
	m := tgbotapi.NewMessage(chat, text)
	m.DisableWebPagePreview = true
	switch {
	case q.Reply.AskContact != "":
		// Telegram asks for a phone number only from a reply keyboard,
		// so the options go there too, sending their labels as text.
		rows := [][]tgbotapi.KeyboardButton{{tgbotapi.NewKeyboardButtonContact(q.Reply.AskContact)}}
		for _, r := range q.Reply.Buttons {
			var row []tgbotapi.KeyboardButton
			for _, btn := range r {
				row = append(row, tgbotapi.NewKeyboardButton(btn.Label))
			}
			rows = append(rows, row)
		}
		kb := tgbotapi.NewReplyKeyboard(rows...)
		kb.OneTimeKeyboard = true
		m.ReplyMarkup = kb
	case markup != nil:
		m.ReplyMarkup = *markup
	case q.Reply.HideKeyboard:
		m.ReplyMarkup = tgbotapi.NewRemoveKeyboard(true)
	}
	return b.message(m)
}

// message sends a new message and returns its id.
func (b *Bot) message(c tgbotapi.Chattable) (int, error) {
	resp, err := b.call(c)
	if err != nil || resp == nil {
		return 0, err
	}
	var m struct {
		ID int `json:"message_id"`
	}
	_ = json.Unmarshal(resp.Result, &m) // an id not read only means an older prompt keeps its buttons
	return m.ID, nil
}

// request makes a Bot API call. The library leaves the error code out of
// errors of uploads; it is taken from the response, so that a refused
// upload is not retried as if the network had failed.
func (b *Bot) request(c tgbotapi.Chattable) error {
	_, err := b.call(c)
	return err
}

func (b *Bot) call(c tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	resp, err := b.api.Request(c)
	var tg *tgbotapi.Error
	if errors.As(err, &tg) && tg.Code == 0 && resp != nil && resp.ErrorCode != 0 {
		return resp, &tgbotapi.Error{Code: resp.ErrorCode, Message: tg.Message, ResponseParameters: tg.ResponseParameters}
	}
	return resp, err
}

// prompts remembers, per chat, the message that shows the step in
// progress with its buttons (flows.Prompt). When another message comes to
// show it — the step asked again as a new message after a typed sentence,
// or a tap on an older copy — the earlier one loses its buttons, so that
// one message in the chat can be tapped and it is the one the bot edits.
// It lives in memory: after a restart an older copy may keep its buttons,
// and a tap on it is answered as a stale press is. At most maxPrompts
// chats are remembered; beyond, the list starts over.
type prompts struct {
	mu  sync.Mutex
	ids map[string]int
}

const maxPrompts = 100_000

// swap records id as the chat's prompt (0: the chat has none now) and
// returns the one it replaces.
func (p *prompts) swap(chat string, id int) (old int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old = p.ids[chat]
	if id == 0 {
		delete(p.ids, chat)
		return old
	}
	if len(p.ids) >= maxPrompts && old == 0 {
		clear(p.ids)
	}
	p.ids[chat] = id
	return old
}

// aim points an edit that shows the step at the message that shows it
// now, when that one is newer than the message pressed (a tap on an older
// copy): the newest copy is the one the parent reads at the bottom of the
// chat, and it stays the only one with the step's buttons. stale is the
// copy pressed, whose buttons then go; 0 when the edit goes where it was
// aimed.
func (b *Bot) aim(q flows.Queued) (_ flows.Queued, stale int) {
	if q.Kind != flows.OutMessage || q.EditRef == "" || q.Reply.File != nil || q.Reply.Photo != "" || !flows.Prompt(q.Reply) ||
		!private(q.Chat) {
		return q, 0
	}
	pressed, err := strconv.Atoi(q.EditRef)
	if live := b.prompts.peek(q.Chat); err == nil && live > pressed {
		q.EditRef = strconv.Itoa(live)
		return q, pressed
	}
	return q, 0
}

// shown notes that message id of the chat now shows q's reply, and takes
// the buttons off the message that showed the step before, if another.
func (b *Bot) shown(q flows.Queued, id int) {
	if id == 0 || !private(q.Chat) {
		return
	}
	if !flows.Prompt(q.Reply) {
		if q.EditRef != "" && b.prompts.peek(q.Chat) == id {
			b.prompts.swap(q.Chat, 0) // its buttons are gone
		}
		return
	}
	if old := b.prompts.swap(q.Chat, id); old != 0 && old != id {
		b.unbutton(q.Chat, old)
	}
}

// private says whether a chat is a user's own: only there is one person's
// step shown, so that a newer copy makes an older one stale (in a group
// each staff member has a step of their own).
func private(chat string) bool {
	id, err := strconv.ParseInt(chat, 10, 64)
	return err == nil && id > 0
}

// unbutton takes the buttons off an older copy of the step. It is a
// message in the chat like any other, within the same limits; if they
// allow none soon, the copy keeps its buttons (a tap on them is then
// answered as a late or stale press).
func (b *Bot) unbutton(chat string, id int) {
	c, err := strconv.ParseInt(chat, 10, 64)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if b.run.Global().Wait(ctx) != nil || b.chatLimiter(chat).Wait(ctx) != nil {
		return
	}
	err = b.request(tgbotapi.NewEditMessageReplyMarkup(c, id, tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}))
	if err != nil {
		b.log.Debug("take the buttons off an older copy of the step", "err", b.clean(err))
	}
}

func (p *prompts) peek(chat string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ids[chat]
}

// maxCaption is Telegram's limit on a photo's caption.
const maxCaption = 1024

// clipRunes shortens s to n UTF-16 units, as Telegram counts its limits.
func clipRunes(s string, n int) string {
	if flows.Units(s) <= n {
		return s
	}
	count := 0
	for i, r := range s {
		if count+flows.RuneUnits(r) > n-1 {
			return s[:i] + "…"
		}
		count += flows.RuneUnits(r)
	}
	return s
}

func keyboard(rows [][]flows.Button) *tgbotapi.InlineKeyboardMarkup {
	if len(rows) == 0 {
		return nil
	}
	var kb [][]tgbotapi.InlineKeyboardButton
	for _, r := range rows {
		var row []tgbotapi.InlineKeyboardButton
		for _, btn := range r {
			row = append(row, tgbotapi.NewInlineKeyboardButtonData(btn.Label, btn.Data))
		}
		kb = append(kb, row)
	}
	m := tgbotapi.NewInlineKeyboardMarkup(kb...)
	return &m
}
