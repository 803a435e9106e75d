// Package bot is hailong's Telegram channel: it long-polls the Bot API,
// turns updates into flows inputs applied by the store, and drains the
// outbox back to Telegram within its limits.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"hailong/flows"
	"hailong/internal/channel"
	"hailong/outbox"
)

// Channel is the name of the Telegram channel in envelopes and the outbox.
const Channel = "telegram"

// Store is what the bot needs of the database.
type Store interface {
	outbox.Store
	Apply(flows.Batch) error
	Cursor(channel string) (offset int64, at time.Time, err error)
}

// Limits are the sending rates the bot keeps to.
type Limits = channel.Limits

// DefaultLimits are Telegram's published limits: about 30 messages a
// second in all, 1 a second to one chat (with short bursts), 20 a minute
// to one group.
var DefaultLimits = Limits{PerSecond: 30, PerChatSecond: 1, PerChatBurst: 3, GroupPerMinute: 20}

// Config configures a Bot: the settings every channel has (channel.Common:
// logger, clock, poll timeout, limits, requests in flight, retry bounds,
// reports, flood guard), and Telegram's own.
type Config struct {
	channel.Common
	Token    string
	Endpoint string // format with %s for the token and the method; "" is Telegram's
	Store    Store
	// DeleteWebhook makes the poller delete a webhook that blocks
	// getUpdates (409), instead of only explaining it.
	DeleteWebhook bool
	// Menus lists the staff chats whose command menus differ from the
	// parents'; they are set at start.
	Menus func() []flows.Actor
}

// Bot serves one Telegram bot token.
type Bot struct {
	cfg      Config
	api      *tgbotapi.BotAPI // sends; its requests finish even while stopping
	pollHTTP *http.Client
	fileHTTP *http.Client // FetchFile's, apart from the API client Run sets up
	log      *slog.Logger
	redact   *strings.Replacer
	run      *channel.Runner // limiters, flood guard, the sender

	prompts prompts
	stats   stats
}

// New connects to the Bot API (getMe) and returns the bot.
func New(cfg Config) (*Bot, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = tgbotapi.APIEndpoint
	}
	cfg.Common = cfg.Common.WithDefaults(DefaultLimits)
	conns := outbox.HTTPTransport(cfg.MaxInFlight)
	b := &Bot{
		cfg: cfg, log: cfg.Logger,
		redact: strings.NewReplacer(cfg.Token, "<token>"),
		// The client must outlast the long poll, or every quiet poll
		// would end in a client timeout.
		pollHTTP: &http.Client{Timeout: cfg.PollTimeout + 15*time.Second, Transport: conns},
		fileHTTP: &http.Client{Timeout: time.Minute},
		run:      channel.New(Channel, cfg.Common, cfg.Logger),
		prompts:  prompts{ids: map[string]int{}},
	}
	api, err := tgbotapi.NewBotAPIWithClient(cfg.Token, cfg.Endpoint, &http.Client{Timeout: 60 * time.Second, Transport: conns})
	if err != nil {
		return nil, fmt.Errorf("connect to the Telegram Bot API (getMe): %w", b.clean(err))
	}
	b.api = api
	return b, nil
}

// Username is the bot's username, from getMe.
func (b *Bot) Username() string { return b.api.Self.UserName }

// clean removes the token from an error: network errors carry the URL.
func (b *Bot) clean(err error) error {
	if err == nil || b.cfg.Token == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, b.cfg.Token) {
		return err
	}
	var tg *tgbotapi.Error
	if errors.As(err, &tg) {
		return &tgbotapi.Error{Code: tg.Code, Message: b.redact.Replace(tg.Message), ResponseParameters: tg.ResponseParameters}
	}
	return errors.New(b.redact.Replace(msg))
}

// Sent is how many messages the bot has delivered since it started.
func (b *Bot) Sent() int64 { return b.run.Sent() }

// Run polls and sends until ctx is cancelled. On cancel it stops polling,
// finishes the batch in hand and the send in flight, and returns nil.
func (b *Bot) Run(ctx context.Context) error {
	// Requests in flight at shutdown get a few seconds to finish, not the
	// client's minute.
	reqCtx, cancelRequests := outbox.Grace(ctx, outbox.ShutdownGrace)
	defer cancelRequests()
	// Set once, before anything else sends: Run is called once per Bot.
	b.api.Client = ctxDoer{reqCtx, b.api.Client.(*http.Client)}
	// Staff menus are many calls; polling need not wait for them.
	go b.setCommands()
	if b.cfg.DeleteWebhook {
		if _, err := b.api.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
			b.log.Warn("delete the webhook", "err", b.clean(err))
		}
	}
	err := b.run.Run(ctx, b.cfg.Store, transport{b}, b.pollLoop)
	st := b.Stats()
	b.log.Info("stopped serving Telegram", "updates", st.Updates, "sent", st.Sent,
		"fetched_to_committed_p50", st.P50, "p99", st.P99, "max", st.Max)
	if err != nil {
		return fmt.Errorf("poll Telegram: %w", err)
	}
	return nil
}

// setCommands gives parents their command menu, and each staff chat the
// menu of its role.
func (b *Bot) setCommands() {
	if err := b.setMenu("", flows.Commands(flows.RoleParent)); err != nil {
		b.log.Warn("set the command menu", "err", err)
	}
	if b.cfg.Menus == nil {
		return
	}
	for _, a := range b.cfg.Menus() {
		ch, chat, _ := strings.Cut(a.ID, ":")
		if ch != Channel {
			continue
		}
		cmds := flows.Commands(a.Role)
		if a.Group {
			cmds = flows.GroupCommands()
		}
		if err := b.setMenu(chat, cmds); err != nil {
			b.log.Warn("set a staff command menu", "chat", chat, "err", err)
		}
	}
}

// setMenu sets the commands shown in chat ("" for everyone).
func (b *Bot) setMenu(chat string, cmds [][2]string) error {
	var list []tgbotapi.BotCommand
	for _, c := range cmds {
		list = append(list, tgbotapi.BotCommand{Command: c[0], Description: c[1]})
	}
	cfg := tgbotapi.NewSetMyCommands(list...)
	if chat != "" {
		id, err := strconv.ParseInt(chat, 10, 64)
		if err != nil {
			return err
		}
		cfg = tgbotapi.NewSetMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(id), list...)
	}
	return b.clean(b.request(cfg))
}

// ctxDoer ties each request to ctx, so a long poll ends at shutdown.
type ctxDoer struct {
	ctx context.Context
	c   *http.Client
}

func (d ctxDoer) Do(r *http.Request) (*http.Response, error) { return d.c.Do(r.WithContext(d.ctx)) }

// idleReset is how long a running poller waits without updates before it
// polls from offset 0 again (Telegram renumbers after 7 quiet days).
const idleReset = 6 * 24 * time.Hour

// staleCursor is how old a stored offset may be; Telegram keeps updates
// for 24 hours, so an older offset points at nothing it still has.
const staleCursor = 7 * 24 * time.Hour

func (b *Bot) pollLoop(ctx context.Context) error {
	offset, at, err := b.cfg.Store.Cursor(Channel)
	if err != nil {
		return err
	}
	if offset != 0 && b.cfg.Now().Sub(at) > staleCursor {
		b.log.Info("the stored update offset is over 7 days old; starting from Telegram's oldest update", "offset", offset)
		offset = 0
	}
	poll := *b.api
	poll.Client = ctxDoer{ctx, b.pollHTTP}
	bo := outbox.Backoff{Min: b.cfg.RetryMin, Max: b.cfg.RetryMax}
	// The quiet stretch began with the last update committed, maybe
	// before a restart.
	lastUpdate := time.Now()
	if offset != 0 && !at.IsZero() && at.Before(lastUpdate) {
		lastUpdate = at
	}
	for ctx.Err() == nil {
		if offset != 0 && time.Since(lastUpdate) > idleReset {
			// After a week without updates Telegram may number the next
			// one below our offset; everything before is confirmed, so
			// polling from 0 loses nothing.
			offset, lastUpdate = 0, time.Now()
		}
		asked := time.Now()
		resp, err := poll.Request(tgbotapi.UpdateConfig{
			Offset: int(offset), Limit: 100, Timeout: int(b.cfg.PollTimeout / time.Second),
			AllowedUpdates: []string{"message", "edited_message", "callback_query"},
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.pollFailed(err)
			outbox.Sleep(ctx, bo.Next())
			continue
		}
		fetched := time.Now()
		batch, next, err := b.decodeBatch(resp.Result)
		if err != nil {
			b.log.Error("decode getUpdates result", "err", err)
			outbox.Sleep(ctx, bo.Next())
			continue
		}
		bo.Reset()
		if next == 0 {
			if time.Since(asked) < b.cfg.PollTimeout/2 {
				// An empty answer long before the timeout: a server that
				// does not hold the poll (an emulator, a proxy) would have
				// the bot ask again without pause.
				outbox.Sleep(ctx, earlyEmpty)
			}
			continue
		}
		lastUpdate = time.Now()
		batch.Cursor = next
		// Not confirmed to Telegram, so nothing is lost while it fails:
		// the batch is applied again, or fetched again after a restart.
		if !outbox.Retry(ctx, &bo, func() error { return b.cfg.Store.Apply(batch) }, func(err error) {
			b.log.Error("apply updates", "err", err, "updates", len(batch.Envelopes))
		}) {
			return nil
		}
		b.stats.record(len(batch.Envelopes)+len(batch.Dead), time.Since(fetched))
		bo.Reset()
		offset = next
	}
	return nil
}

// earlyEmpty is the pause after a long poll answered empty too soon.
const earlyEmpty = 250 * time.Millisecond

func (b *Bot) pollFailed(err error) {
	err = b.clean(err)
	var tg *tgbotapi.Error
	if errors.As(err, &tg) && tg.Code == http.StatusConflict {
		if b.cfg.DeleteWebhook && strings.Contains(strings.ToLower(tg.Message), "webhook") {
			b.log.Warn("a webhook blocks getUpdates (409); deleting it, as telegram.delete_webhook says", "err", err)
			if _, derr := b.api.Request(tgbotapi.DeleteWebhookConfig{}); derr != nil {
				b.log.Error("delete the webhook", "err", b.clean(derr))
			}
			return
		}
		b.log.Error("Telegram refuses to hand out updates (409 Conflict): another process is polling with this token, or a webhook is set; stop the other instance, or delete the webhook (telegram.delete_webhook: true does it at start)", "err", err)
		return
	}
	if errors.As(err, &tg) && tg.Code == http.StatusUnauthorized {
		b.log.Error("Telegram rejects the bot token (401); check TELEGRAM_BOT_TOKEN", "err", err)
		return
	}
	b.log.Warn("getUpdates failed; retrying", "err", err)
}

// decodeBatch turns a getUpdates result into envelopes; next is the offset
// that confirms them all (0 when there were none). An update that does not
// decode is set aside, never retried forever.
func (b *Bot) decodeBatch(result json.RawMessage) (flows.Batch, int64, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(result, &raws); err != nil {
		return flows.Batch{}, 0, err
	}
	batch := flows.Batch{Channel: Channel}
	var next int64
	now := b.cfg.Now()
	for _, raw := range raws {
		var u tgbotapi.Update
		if err := json.Unmarshal(raw, &u); err != nil {
			var id struct {
				UpdateID int64 `json:"update_id"`
			}
			if json.Unmarshal(raw, &id) != nil || id.UpdateID == 0 {
				// Not the update itself: it may carry a parent's words.
				return flows.Batch{}, 0, fmt.Errorf("an update without an update_id (%d bytes)", len(raw))
			}
			next = max(next, id.UpdateID+1)
			batch.Dead = append(batch.Dead, flows.Dead{Channel: Channel, Raw: string(raw), Reason: "decode: " + err.Error(), At: now})
			continue
		}
		next = max(next, int64(u.UpdateID)+1)
		if env, ok := Decode(u, now); ok {
			if env, ok = b.run.Screen(env); !ok {
				continue // a flooding user is ignored for a while; others are not
			}
			env.Raw = string(raw)
			env.Name = name(u)
			batch.Envelopes = append(batch.Envelopes, env)
		}
	}
	return batch, next, nil
}

// Decode turns an update into an envelope; false for updates that need no
// answer (channel posts, service updates).
func Decode(u tgbotapi.Update, now time.Time) (flows.Envelope, bool) {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	switch {
	case u.CallbackQuery != nil:
		cq := u.CallbackQuery
		if cq.From == nil {
			return flows.Envelope{}, false
		}
		env := flows.Envelope{Channel: Channel, User: id(cq.From.ID), Chat: id(cq.From.ID), CallbackID: cq.ID,
			Input: flows.Input{Kind: flows.KindButton, Data: cq.Data, Now: now}}
		if cq.InlineMessageID != "" {
			// A button of a message sent inline, through another chat:
			// there is no chat of ours to answer in, and the user may
			// never have written to the bot (a message would get 403).
			// The callback alone is answered.
			env.Input = flows.Input{Kind: flows.KindInline, Data: cq.Data, Now: now}
			return env, true
		}
		// A press whose message is not attached has no message to edit;
		// the answer then goes to the private chat.
		if m := cq.Message; m != nil && m.Chat != nil {
			env.Chat = id(m.Chat.ID)
			env.MessageRef = strconv.Itoa(m.MessageID)
			env.Input.Group = !m.Chat.IsPrivate()
		}
		return env, true
	case u.Message != nil:
		return decodeMessage(u.Message, now, false)
	case u.EditedMessage != nil:
		return decodeMessage(u.EditedMessage, now, true)
	}
	return flows.Envelope{}, false
}

// name is the sender's display name, kept only when they redeem an
// invite as a principal.
func name(u tgbotapi.Update) string {
	var from *tgbotapi.User
	switch {
	case u.Message != nil:
		from = u.Message.From
	case u.CallbackQuery != nil:
		from = u.CallbackQuery.From
	}
	if from == nil {
		return ""
	}
	return strings.TrimSpace(from.FirstName + " " + from.LastName)
}

func decodeMessage(m *tgbotapi.Message, now time.Time, edited bool) (flows.Envelope, bool) {
	if m.From == nil || m.Chat == nil || m.From.IsBot {
		return flows.Envelope{}, false
	}
	env := flows.Envelope{Channel: Channel, User: strconv.FormatInt(m.From.ID, 10), Chat: strconv.FormatInt(m.Chat.ID, 10)}
	var in flows.Input
	switch {
	case edited:
		in = flows.Input{Kind: flows.KindEdited, Text: m.Text}
	case m.Text != "":
		in = flows.ParseText(m.Text, now)
	case len(m.Photo) > 0:
		// The largest size is the last; its file_id re-sends the photo.
		in = flows.Input{Kind: flows.KindPhoto, Photo: m.Photo[len(m.Photo)-1].FileID, Text: m.Caption}
	case m.Contact != nil:
		in = flows.Input{Kind: flows.KindContact, Phone: m.Contact.PhoneNumber}
		if m.Contact.UserID != 0 {
			in.ContactUser = strconv.FormatInt(m.Contact.UserID, 10)
		}
	default:
		in = flows.Input{Kind: flows.KindOther, What: what(m)}
	}
	in.Now = now
	in.Group = !m.Chat.IsPrivate()
	if in.Group && in.Kind != flows.KindCommand {
		// Group chatter is not for the bot; only commands get an answer.
		return flows.Envelope{}, false
	}
	env.Input = in
	return env, true
}

// what names a message decodeMessage has no input kind for; text,
// photos and contacts never reach it.
func what(m *tgbotapi.Message) string {
	switch {
	case m.Sticker != nil:
		return "sticker"
	case m.Voice != nil, m.Audio != nil, m.VideoNote != nil:
		return "voice"
	case m.Video != nil, m.Animation != nil:
		return "video"
	case m.Document != nil:
		return "document"
	case m.Location != nil, m.Venue != nil:
		return "location"
	}
	return "other"
}
