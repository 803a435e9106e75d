package bot

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"hailong/flows"
)

// maxText is Telegram's limit on a message's text.
const maxText = 4096

func (b *Bot) sendLoop(ctx context.Context) {
	bo := backoff{min: b.cfg.RetryMin, max: b.cfg.RetryMax}
	for ctx.Err() == nil {
		wake := b.cfg.Store.Changed()
		rows, err := b.cfg.Store.Pending(Channel, 100)
		if err != nil {
			b.log.Error("read the outbox", "err", err)
			sleep(ctx, bo.next())
			continue
		}
		if len(rows) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			continue
		}
		for _, q := range rows {
			if !b.deliver(ctx, q, &bo) {
				return
			}
		}
	}
}

// deliver sends one row until it is sent or set aside; false when ctx
// ended first (the row stays queued).
func (b *Bot) deliver(ctx context.Context, q flows.Queued, bo *backoff) bool {
	for {
		if !b.wait(ctx, q) {
			return false
		}
		err := b.clean(b.send(q))
		switch b.classify(err) {
		case sent:
			bo.reset()
			if err := b.cfg.Store.Done(q.Seq); err != nil {
				b.log.Error("mark sent", "err", err)
			}
			return true
		case resend:
			// The message to edit is gone or too old: send it anew.
			q.EditRef = ""
			continue
		case dropped:
			b.log.Warn("recipient unreachable; message dropped", "chat", q.Chat, "err", err)
			if err := b.cfg.Store.Done(q.Seq); err != nil {
				b.log.Error("drop outbox row", "err", err)
			}
			return true
		case failed:
			b.log.Error("Telegram refused a message; set aside in the dead letters", "chat", q.Chat, "err", err)
			if err := b.cfg.Store.Fail(q, err.Error(), b.cfg.Now()); err != nil {
				b.log.Error("dead-letter", "err", err)
			}
			return true
		case later:
			d := bo.next()
			var tg *tgbotapi.Error
			if errors.As(err, &tg) && tg.RetryAfter > 0 {
				d = time.Duration(tg.RetryAfter) * time.Second
			}
			b.log.Warn("send failed; retrying", "err", err, "in", d)
			if !sleep(ctx, d) {
				return false
			}
		}
	}
}

type outcome int

const (
	sent outcome = iota
	resend
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
	case tg.Code == http.StatusTooManyRequests, tg.Code >= 500:
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

// wait keeps to the rate limits; acknowledgements are not messages and
// are not limited.
func (b *Bot) wait(ctx context.Context, q flows.Queued) bool {
	if q.Kind == flows.OutAck {
		return ctx.Err() == nil
	}
	chat, _ := strconv.ParseInt(q.Chat, 10, 64)
	if err := b.chatLimiter(chat).Wait(ctx); err != nil {
		return false
	}
	return b.global.Wait(ctx) == nil
}

func (b *Bot) chatLimiter(chat int64) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.perChat[chat]
	if l == nil {
		if chat < 0 {
			l = rate.NewLimiter(rate.Limit(b.cfg.Limits.GroupPerMinute/60), max(1, b.cfg.Limits.PerChatBurst))
		} else {
			l = rate.NewLimiter(rate.Limit(b.cfg.Limits.PerChatSecond), max(1, b.cfg.Limits.PerChatBurst))
		}
		b.perChat[chat] = l
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
		_, err := b.api.Request(tgbotapi.NewCallback(q.CallbackID, q.Reply.Text))
		return err
	}
	text := clipRunes(q.Reply.Text, maxText)
	markup := keyboard(q.Reply.Buttons)
	if q.Reply.Photo != "" {
		p := tgbotapi.NewPhoto(chat, tgbotapi.FileID(q.Reply.Photo))
		p.Caption = clipRunes(q.Reply.Text, maxCaption)
		if markup != nil {
			p.ReplyMarkup = *markup
		}
		_, err := b.api.Request(p)
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
		_, err := b.api.Request(edit)
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
	_, err = b.api.Request(m)
	return err
}

// maxCaption is Telegram's limit on a photo's caption.
const maxCaption = 1024

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
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
