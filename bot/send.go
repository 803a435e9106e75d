package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"hailong/flows"
)

// maxText is Telegram's limit on a message's text.
const maxText = 4096

// window is how much of the outbox the sender plans over at once, and
// refresh how soon newly committed rows are looked at: an interactive
// reply committed behind a digest burst overtakes it within refresh.
const (
	window  = 5000
	refresh = 50 * time.Millisecond
)

// sendLoop drains the outbox: within a chat in commit order; across chats
// the most urgent waiting message first (acknowledgements and replies to
// parents, then alerts, then digests and broadcasts), each chat at its own
// pace so that one slow or throttled chat holds up no other. It keeps the
// rows it knows of in memory and reads only newer ones from the store, so a
// long backlog costs nothing per commit.
func (b *Bot) sendLoop(ctx context.Context) {
	s := &sender{b: b, chats: map[string]*chatState{}}
	queues := map[string][]flows.Queued{}
	var last uint64 // the newest row read
	held := 0       // rows in queues
	for ctx.Err() == nil {
		wake := b.cfg.Store.Changed()
		if s.reload {
			// The store moved rows (a migrated group): read them again.
			queues, last, held, s.reload = map[string][]flows.Queued{}, 0, 0, false
		}
		if held < window {
			rows, err := b.cfg.Store.PendingAfter(Channel, last, window-held)
			if err != nil {
				b.log.Error("read the outbox", "err", err)
				sleep(ctx, time.Second)
				continue
			}
			for _, q := range rows {
				queues[lane(q)] = append(queues[lane(q)], q)
				last = q.Seq
			}
			held += len(rows)
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
	b           *Bot
	chats       map[string]*chatState
	globalUntil time.Time // no request at all before this (a global 429)
	last429     string    // the chat of the latest 429
	last429At   time.Time
	reload      bool // the store rewrote rows: read the outbox afresh
}

// chatState is one chat's pause after a failure, and its backoff.
type chatState struct {
	until time.Time
	bo    backoff
}

func (s *sender) chat(c string) *chatState {
	st := s.chats[c]
	if st == nil {
		st = &chatState{bo: backoff{min: s.b.cfg.RetryMin, max: s.b.cfg.RetryMax}}
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
			if err := s.b.global.Wait(ctx); err != nil {
				return gone
			}
			// The chat's token is taken only now, just before the request:
			// taken before the wait for the global limit, two messages to
			// a chat could reach Telegram closer together than allowed.
			if !s.b.chatLimiter(best.Chat).Allow() {
				continue
			}
		}
		k := lane(*best)
		switch r, retry := s.deliver(*best); r {
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
		chat := q[0].Chat
		st := s.chat(key)
		free := st.until
		if s.globalUntil.After(free) {
			free = s.globalUntil
		}
		if q[0].Kind != flows.OutAck {
			// Acknowledgements are not messages: no chat limit.
			r := s.b.chatLimiter(chat).ReserveN(now, 1)
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

// deliver makes one attempt at a row.
func (s *sender) deliver(q flows.Queued) (res result, _ flows.Queued) {
	b := s.b
	defer func() {
		if r := recover(); r != nil {
			// A row that panics would crash every restart: set it aside.
			b.log.Error("sending a row panicked; set aside in the dead letters", "failure", r)
			if err := b.cfg.Store.Fail(q, fmt.Sprint("panic: ", r), b.cfg.Now()); err != nil {
				b.log.Error("dead-letter", "err", err)
			}
			res = rowDone
		}
	}()
	if q.Kind == flows.OutReport {
		return s.report(q)
	}
	if q.Kind == flows.OutMenu {
		role := map[string]flows.Role{"principal": flows.RolePrincipal, "office": flows.RoleOffice, "admin": flows.RoleAdmin}[q.Reply.Text]
		if err := b.setMenu(q.Chat, flows.Commands(role)); err != nil {
			b.log.Warn("set a command menu", "err", err)
		}
		if err := b.cfg.Store.Done(q.Seq); err != nil {
			b.log.Error("mark sent", "err", err)
		}
		return rowDone, q
	}
	err := b.clean(b.send(q))
	st := s.chat(lane(q))
	pause := func(d time.Duration) (result, flows.Queued) {
		st.until = time.Now().Add(d)
		return chatPaused, q
	}
	switch b.classify(err) {
	case sent:
		st.bo.reset()
		b.sent.Add(1)
		// One commit per message: at Telegram's 30 a second that is
		// cheap, and a crash can re-send at most the message in flight.
		if err := b.cfg.Store.Done(q.Seq); err != nil {
			b.log.Error("mark sent", "err", err)
		}
		return rowDone, q
	case resend:
		// The message to edit is gone or too old: send it anew.
		q.EditRef = ""
		return rowRetry, q
	case moved:
		var tg *tgbotapi.Error
		errors.As(err, &tg)
		to := strconv.FormatInt(tg.MigrateToChatID, 10)
		b.log.Warn("a group chat became a supergroup; its messages now go to the new id: put it in the config (offices[].chat_id)", "from", q.Chat, "to", to)
		if err := b.cfg.Store.Migrate(Channel, q.Chat, to); err != nil {
			b.log.Error("migrate chat", "err", err)
			return pause(st.bo.next())
		}
		s.reload = true
		return chatGone, q
	case dropped:
		n, serr := b.cfg.Store.Stop(Channel, q.Chat, b.cfg.Now())
		if serr != nil {
			b.log.Error("stop a blocked chat", "err", serr)
			return pause(st.bo.next())
		}
		b.log.Warn("the recipient blocked the bot or is gone; their queued messages are dropped until they write again", "err", err, "dropped", n)
		return chatGone, q
	case failed:
		b.log.Error("Telegram refused a message; set aside in the dead letters", "err", err)
		if err := b.cfg.Store.Fail(q, err.Error(), b.cfg.Now()); err != nil {
			b.log.Error("dead-letter", "err", err)
		}
		return rowDone, q
	}
	// Later. A 429 for a second chat while another is paused by one means
	// the bot as a whole is throttled: then nothing goes out until it ends.
	d := st.bo.next()
	var tg *tgbotapi.Error
	if errors.As(err, &tg) && (tg.Code == http.StatusUnauthorized || tg.Code == http.StatusNotFound) {
		// The token or the endpoint is wrong: no message is to blame.
		s.globalUntil = time.Now().Add(d)
		b.log.Error("Telegram rejects the bot's requests (check TELEGRAM_BOT_TOKEN and telegram.api_endpoint); sending paused", "err", err, "for", d)
		return pause(d)
	}
	if errors.As(err, &tg) && tg.Code == http.StatusTooManyRequests {
		d = time.Duration(max(tg.RetryAfter, 1)) * time.Second
		now := time.Now()
		if s.last429 != "" && s.last429 != q.Chat && now.Sub(s.last429At) < d {
			s.globalUntil = now.Add(d)
		}
		s.last429, s.last429At = q.Chat, now
	}
	b.log.Warn("send failed; will retry", "err", err, "in", d)
	return pause(d)
}

// report builds a requested report and queues its messages as ordinary
// rows in place of the request, so that they go out like any other — within
// the limits, retried, in order. A report that cannot be built is answered
// with the fixed apology.
func (s *sender) report(q flows.Queued) (result, flows.Queued) {
	b := s.b
	var replies []flows.Reply
	var err error
	if b.cfg.Reports == nil || q.Report == nil {
		err = errors.New("reports are not configured")
	} else {
		replies, err = b.cfg.Reports(q.Report)
	}
	if err != nil {
		b.log.Error("build a report", "err", err)
		replies = []flows.Reply{{Text: flows.ErrorText()}}
	}
	var out []flows.Outgoing
	for _, r := range replies {
		out = append(out, flows.Outgoing{Kind: flows.OutMessage, Channel: q.Channel, Chat: q.Chat, Reply: r,
			Priority: q.Priority, Created: q.Created})
	}
	if err := b.cfg.Store.Replace(q.Seq, out); err != nil {
		b.log.Error("queue a report", "err", err)
		return s.pauseChat(q, s.chat(lane(q)).bo.next())
	}
	return rowDone, q
}

func (s *sender) pauseChat(q flows.Queued, d time.Duration) (result, flows.Queued) {
	s.chat(lane(q)).until = time.Now().Add(d)
	return chatPaused, q
}

type outcome int

const (
	sent outcome = iota
	resend
	moved
	dropped
	failed
	later
)

func (b *Bot) classify(err error) outcome {
	if err == nil {
		return sent
	}
	var tg *tgbotapi.Error
	if !errors.As(err, &tg) || tg.Code == 0 {
		return later // network, or a reply that is not the Bot API's
	}
	desc := strings.ToLower(tg.Message)
	switch {
	case tg.MigrateToChatID != 0:
		return moved
	case tg.Code == http.StatusTooManyRequests, tg.Code >= 500,
		tg.Code == http.StatusUnauthorized, tg.Code == http.StatusNotFound:
		return later
	case strings.Contains(desc, "message is not modified"):
		return sent
	case strings.Contains(desc, "query is too old"), strings.Contains(desc, "query id is invalid"):
		return sent // a late acknowledgement has nothing left to do
	case strings.Contains(desc, "message to edit not found"), strings.Contains(desc, "message can't be edited"):
		return resend
	case tg.Code == http.StatusForbidden:
		return dropped
	}
	return failed
}

func (b *Bot) chatLimiter(chat string) *rate.Limiter {
	id, _ := strconv.ParseInt(chat, 10, 64)
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.perChat[id]
	if l == nil {
		if id < 0 {
			l = rate.NewLimiter(rate.Limit(b.cfg.Limits.GroupPerMinute/60), max(1, b.cfg.Limits.PerChatBurst))
		} else {
			l = rate.NewLimiter(rate.Limit(b.cfg.Limits.PerChatSecond), max(1, b.cfg.Limits.PerChatBurst))
		}
		b.perChat[id] = l
	}
	return l
}

// send makes the Bot API call for one outbox row.
func (b *Bot) send(q flows.Queued) error {
	chat, err := strconv.ParseInt(q.Chat, 10, 64)
	if err != nil {
		return &tgbotapi.Error{Code: http.StatusBadRequest, Message: "bad chat id " + q.Chat}
	}
	if q.Kind == flows.OutAck {
		err := b.request(tgbotapi.NewCallback(q.CallbackID, q.Reply.Text))
		return err
	}
	text := clipRunes(q.Reply.Text, maxText)
	markup := keyboard(q.Reply.Buttons)
	if f := q.Reply.File; f != nil {
		data := tgbotapi.FileBytes{Name: f.Name, Bytes: f.Data}
		if f.Image {
			p := tgbotapi.NewPhoto(chat, data)
			p.Caption = clipRunes(q.Reply.Text, maxCaption)
			err := b.request(p)
			return err
		}
		d := tgbotapi.NewDocument(chat, data)
		d.Caption = clipRunes(q.Reply.Text, maxCaption)
		err := b.request(d)
		return err
	}
	if q.Reply.Photo != "" {
		p := tgbotapi.NewPhoto(chat, tgbotapi.FileID(q.Reply.Photo))
		p.Caption = clipRunes(q.Reply.Text, maxCaption)
		if markup != nil {
			p.ReplyMarkup = *markup
		}
		err := b.request(p)
		return err
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
		err := b.request(edit)
		return err
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
	err = b.request(m)
	return err
}

// request makes a Bot API call. The library leaves the error code out of
// errors of uploads; it is taken from the response, so that a refused
// upload is not retried as if the network had failed.
func (b *Bot) request(c tgbotapi.Chattable) error {
	resp, err := b.api.Request(c)
	var tg *tgbotapi.Error
	if errors.As(err, &tg) && tg.Code == 0 && resp != nil && resp.ErrorCode != 0 {
		return &tgbotapi.Error{Code: resp.ErrorCode, Message: tg.Message, ResponseParameters: tg.ResponseParameters}
	}
	return err
}

// maxCaption is Telegram's limit on a photo's caption.
const maxCaption = 1024

// clipRunes shortens s to n UTF-16 units, as Telegram counts its limits.
func clipRunes(s string, n int) string {
	total := 0
	for _, r := range s {
		total += utf16.RuneLen(r)
	}
	if total <= n {
		return s
	}
	count := 0
	for i, r := range s {
		if count+utf16.RuneLen(r) > n-1 {
			return s[:i] + "…"
		}
		count += utf16.RuneLen(r)
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
