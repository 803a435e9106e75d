package zalo

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"hailong/flows"
	"hailong/internal/channel"
	"hailong/outbox"
)

// Store is what the Zalo channel needs of the database.
type Store interface {
	outbox.Store
	Apply(flows.Batch) error
}

// Limits are the sending rates kept to on Zalo, which publishes none; a
// group is paced as any chat (GroupPerMinute is not used).
type Limits = channel.Limits

// DefaultLimits are used when Config.Limits is zero. GUESS: Telegram's
// pace for one chat, and two thirds of its overall rate.
var DefaultLimits = Limits{PerSecond: 20, PerChatSecond: 1, PerChatBurst: 3}

// Modes of receiving updates.
const (
	Polling = "polling" // getUpdates, one update at a time
	Webhook = "webhook" // Zalo POSTs each update; durable
)

// Config configures the Zalo channel: the settings every channel has
// (channel.Common: logger, clock, poll timeout, limits, requests in
// flight, retry bounds, reports, flood guard), and Zalo's own.
type Config struct {
	channel.Common
	Client *Client
	Store  Store
	// Mode is Polling (default) or Webhook.
	Mode string
	// Webhook: Zalo POSTs to URL (set with setWebhook at start when not
	// empty), which a reverse proxy forwards to Listen + Path; Secret is
	// the X-Bot-Api-Secret-Token Zalo sends (8–256 characters).
	Listen, Path, URL, Secret string
	// Listener, when set, is used instead of listening on Listen (tests).
	Listener net.Listener
	// Fetch, in webhook mode with a URL, lets photos held by another
	// channel (a Telegram file_id) reach Zalo: each is given an address
	// under URL + "/media/" (served at Path + "/media/") for an hour.
	// Without it they go as a note.
	Fetch Fetch
}

// malformedEvent names an update handed out that is not a JSON object.
const malformedEvent = "hailong.malformed"

// MaxBody is the largest webhook body accepted; an update is a few
// hundred bytes.
const MaxBody = 64 << 10

// Bot serves one Zalo bot.
type Bot struct {
	cfg   Config
	log   *slog.Logger
	run   *channel.Runner // limiters, flood guard, the sender
	relay *relay          // photos by reference, for Zalo to fetch; nil without Fetch
	// refused counts webhook calls refused for their secret.
	refused atomic.Int64
}

// New checks the token (getMe) and returns the channel.
func New(ctx context.Context, cfg Config) (*Bot, string, error) {
	cfg.Common = cfg.Common.WithDefaults(DefaultLimits)
	if cfg.Mode == "" {
		cfg.Mode = Polling
	}
	if cfg.Path == "" {
		cfg.Path = "/zalo"
	}
	switch cfg.Mode {
	case Polling:
	case Webhook:
		if n := len(cfg.Secret); n < 8 || n > 256 {
			return nil, "", errors.New("zalo.mode is webhook but the secret token (ZALO_WEBHOOK_SECRET) is not 8–256 characters: export a random one (e.g. `head -c 24 /dev/urandom | base64`); Zalo sends it with every update")
		}
	default:
		return nil, "", fmt.Errorf("zalo.mode %q: want polling or webhook", cfg.Mode)
	}
	me, err := cfg.Client.GetMe(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("connect to the Zalo Bot API (getMe): %w", err)
	}
	log := cfg.Logger.With("channel", Channel)
	b := &Bot{cfg: cfg, log: log, run: channel.New(Channel, cfg.Common, log)}
	if cfg.Mode == Webhook && cfg.URL != "" && cfg.Fetch != nil {
		b.relay = newRelay(strings.TrimSuffix(cfg.URL, "/")+"/media/", cfg.Fetch, cfg.Now, b.log)
	}
	return b, me.AccountName, nil
}

// Sent is how many messages the channel has delivered.
func (b *Bot) Sent() int64 { return b.run.Sent() }

// Run receives and sends until ctx ends.
func (b *Bot) Run(ctx context.Context) error {
	// Requests in flight at shutdown get a few seconds to finish, as on
	// Telegram.
	reqCtx, cancelRequests := outbox.Grace(ctx, outbox.ShutdownGrace)
	defer cancelRequests()
	receive := b.poll
	if b.cfg.Mode == Webhook {
		receive = b.serveWebhook
	}
	return b.run.Run(ctx, b.cfg.Store, transport{b, reqCtx}, receive)
}

// poll fetches updates one at a time and commits each one's effects
// before asking for the next: Zalo hands an update out once, so one
// fetched is one to keep. An update whose commit keeps failing is retried
// until it succeeds or the bot stops (then it is lost: the webhook mode
// does not have this hole).
func (b *Bot) poll(ctx context.Context) error {
	b.logWebhook(ctx, "")
	// getUpdates does not work while a webhook is set.
	if err := b.cfg.Client.DeleteWebhook(ctx); err != nil {
		b.log.Warn("delete the webhook before polling", "err", err)
	}
	b.log.Info("polling Zalo")
	bo := outbox.Backoff{Min: b.cfg.RetryMin, Max: b.cfg.RetryMax}
	for ctx.Err() == nil {
		u, err := b.cfg.Client.GetUpdates(ctx, b.cfg.PollTimeout)
		var bad *MalformedUpdateError
		if errors.As(err, &bad) {
			// Handed out and gone: kept for inspection.
			u, err = &Update{EventName: malformedEvent, Raw: bad.Raw}, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var api *APIError
			if errors.As(err, &api) && api.Code == http.StatusUnauthorized {
				b.log.Error("Zalo rejects the bot token (check ZALO_BOT_TOKEN)", "err", err)
			} else {
				b.log.Warn("getUpdates failed; will retry", "err", err)
			}
			outbox.Sleep(ctx, bo.Next())
			continue
		}
		bo.Reset()
		if u == nil {
			continue
		}
		// Decoded and screened once: a retry commits the same batch, so
		// a database outage does not count one update as many against
		// the flood guard.
		batch, ok := b.batch(u)
		if !ok {
			continue
		}
		if !outbox.Retry(ctx, &bo, func() error { return b.cfg.Store.Apply(batch) }, func(err error) {
			b.log.Error("commit an update; retrying (it cannot be fetched again)", "err", err)
		}) {
			b.log.Error("stopped before an update was committed: it is lost (use zalo.mode: webhook to avoid this)")
			return nil
		}
		bo.Reset()
	}
	return nil
}

// batch is what one update commits: its envelope past the flood guard,
// or a dead letter; false when nothing is to be committed. The guard
// counts an update once by its message id (ScreenOnce): the webhook's
// redeliveries of it are not counted again.
func (b *Bot) batch(u *Update) (flows.Batch, bool) {
	batch := flows.Batch{Channel: Channel, Once: true}
	switch env, ok := Decode(u, b.cfg.Now()); {
	case ok:
		if env, ok = b.run.ScreenOnce(env.MessageRef, env); !ok {
			return batch, false // a flooding user is ignored for a while; others are not
		}
		batch.Envelopes = []flows.Envelope{env}
	case u.EventName == malformedEvent:
		batch.Dead = []flows.Dead{{Channel: Channel, Raw: string(u.Raw), Reason: "not an update", At: b.cfg.Now()}}
	default:
		// Needs no answer (group chatter, a bot's message, an event that
		// is not a message): nothing about it is kept.
		b.log.Debug("an update that needs no answer", "event", u.EventName)
		return batch, false
	}
	return batch, true
}

// Handler answers Zalo's webhook POSTs: 403 for a missing or wrong secret
// token, 413 for a body over MaxBody, 400 for a body that is not an
// update, 500 when the update could not be committed (Zalo sends it
// again; it is applied once, and counted once by the flood guard), and
// 200 only after its effects committed.
func (b *Bot) Handler() http.Handler {
	secret := []byte(b.cfg.Secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get("X-Bot-Api-Secret-Token"))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			if n := b.refused.Add(1); n == 1 || n%1000 == 0 {
				// Logged once, then every thousandth: a flood of forged
				// calls does not flood the log.
				b.log.Warn("webhook calls with a wrong or missing secret token", "remote", r.RemoteAddr, "count", n)
			}
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		u, err := ParseUpdate(body)
		if err == nil && u.EventName == "" {
			err = errors.New("no event_name")
		}
		if err != nil {
			// Not an update: kept for inspection, and Zalo need not retry.
			if err := b.cfg.Store.Apply(flows.Batch{Channel: Channel, Dead: []flows.Dead{{Channel: Channel,
				Raw: string(body), Reason: "webhook body: " + err.Error(), At: b.cfg.Now()}}}); err != nil {
				http.Error(w, "try again", http.StatusInternalServerError)
				return
			}
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		if batch, ok := b.batch(u); ok {
			if err := b.cfg.Store.Apply(batch); err != nil {
				b.log.Error("commit a webhook update; Zalo will send it again", "err", err)
				http.Error(w, "try again", http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
}

// serveWebhook serves Handler at Path until ctx ends, after telling Zalo
// where (when URL is set).
func (b *Bot) serveWebhook(ctx context.Context) error {
	ln := b.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", b.cfg.Listen); err != nil {
			return fmt.Errorf("zalo webhook: listen on %s: %w", b.cfg.Listen, err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle(b.cfg.Path, b.Handler())
	if b.relay != nil {
		mux.Handle(strings.TrimSuffix(b.cfg.Path, "/")+"/media/", b.relay)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if b.cfg.URL != "" {
		if err := b.cfg.Client.SetWebhook(ctx, b.cfg.URL, b.cfg.Secret); err != nil {
			srv.Close()
			return fmt.Errorf("zalo setWebhook %s: %w", b.cfg.URL, err)
		}
	}
	b.log.Info("serving the Zalo webhook", "listen", ln.Addr().String(), "path", b.cfg.Path)
	b.logWebhook(ctx, b.cfg.URL)
	select {
	case err := <-errc:
		return fmt.Errorf("zalo webhook: %w", err)
	case <-ctx.Done():
	}
	// Updates in hand finish (their 200 follows the commit); Zalo sends
	// any other again later.
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// logWebhook says what webhook Zalo has on file (getWebhookInfo): its URL
// and whether a secret is set. Zalo does not show the secret, but setWebhook
// takes none without one (secret_token is required), so a webhook on file
// has one. want is the URL this bot set ("" when it set none); in polling
// mode a webhook on file is about to be deleted.
func (b *Bot) logWebhook(ctx context.Context, want string) {
	info, err := b.cfg.Client.GetWebhookInfo(ctx)
	if err != nil {
		b.log.Warn("could not ask Zalo what webhook it has on file (getWebhookInfo)", "err", err)
		return
	}
	secret := "none"
	if info.URL != "" {
		secret = "set (required by setWebhook; Zalo does not show it)"
	}
	attrs := []any{"url", info.URL, "secret", secret}
	if !info.UpdatedAt.IsZero() {
		attrs = append(attrs, "updated_at", info.UpdatedAt.UTC().Format(time.RFC3339))
	}
	switch {
	case b.cfg.Mode == Polling && info.URL != "":
		b.log.Warn("Zalo has a webhook on file, which stops getUpdates; deleting it to poll", attrs...)
	case b.cfg.Mode == Polling:
		b.log.Info("Zalo has no webhook on file; polling", attrs...)
	case info.URL == "":
		b.log.Warn("Zalo has no webhook on file: no update will arrive until zalo.webhook.url is set (or setWebhook is called by hand)", attrs...)
	case want != "" && info.URL != want:
		b.log.Warn("Zalo has another webhook on file than the one just set", append(attrs, "want", want)...)
	default:
		b.log.Info("Zalo's webhook on file", attrs...)
	}
}

// transport sends outbox rows to Zalo for the shared sender; its requests
// use ctx, which outlives the sender's by outbox.ShutdownGrace.
type transport struct {
	b   *Bot
	ctx context.Context
}

func (t transport) ChatLimiter(q flows.Queued) *rate.Limiter {
	if q.Kind != flows.OutMessage {
		return nil
	}
	return t.b.run.ChatLimiter(q.Chat, false)
}

// Send delivers a row: Zalo has no acknowledgements, command menus or
// editing, so those are done at once and an edit is a new message. A
// reply longer than Zalo's 2000 characters goes as several messages; if
// one of them fails the row is tried again whole (a part may repeat).
func (t transport) Send(_ context.Context, q flows.Queued) outbox.Verdict {
	ctx := t.ctx
	if q.Kind != flows.OutMessage {
		return outbox.Verdict{Outcome: outbox.Sent}
	}
	r := q.Reply
	if p := r.Photo; p != "" && !isHTTPURL(p) && t.b.relay != nil {
		r.Photo = t.b.relay.url(p)
		v := t.send(ctx, q.Chat, r)
		if v.Outcome != outbox.Failed {
			return v
		}
		// Zalo would not take the photo from us (the proxy does not
		// forward /media/, say): the text goes with a note instead,
		// rather than not at all. The photo is the first part, so
		// nothing of this row has gone yet.
		t.b.log.Warn("Zalo refused a photo relayed from Telegram; sending the text with a note", "err", v.Err)
		r.Photo = q.Reply.Photo
	}
	return t.send(ctx, q.Chat, r)
}

// send sends a reply's parts, stopping at the first that fails.
func (t transport) send(ctx context.Context, chat string, r flows.Reply) outbox.Verdict {
	c := t.b.cfg.Client
	for _, m := range Render(r) {
		var err error
		if m.Photo != "" {
			_, err = c.SendPhoto(ctx, chat, m.Photo, m.Body)
		} else {
			_, err = c.SendMessage(ctx, chat, m.Body)
		}
		if err != nil {
			return verdict(err)
		}
	}
	return outbox.Verdict{Outcome: outbox.Sent}
}

// verdict classifies a failed call.
//
// The docs list no error codes; the answers are Telegram-shaped
// ({"ok":false,"error_code":…,"description":…}), so the codes are read as
// Telegram's, each by what it can blame (a guess, kept narrow):
//   - 401: the token is refused, so every call fails alike: everything
//     waits (Blocked), nothing is dropped.
//   - 404 naming a chat, user or recipient: that recipient is unknown to
//     Zalo (an id that never wrote to the bot): that message fails, a dead
//     letter, and the rest go on.
//   - any other 404: the endpoint or method is wrong (api_base): no
//     message is to blame, everything waits.
//   - 403, or a description saying blocked: the recipient refuses the bot
//     (Dropped: their queue is dropped until they write).
//   - 429 waits retry_after; 5xx and 408 retry; other 4xx fail the one
//     message.
func verdict(err error) outbox.Verdict {
	v := outbox.Verdict{Outcome: outbox.Later, Err: err}
	var api *APIError
	if !errors.As(err, &api) {
		return v // network, or a reply that is not the API's: retry
	}
	desc := strings.ToLower(api.Description)
	switch {
	case api.Code == http.StatusTooManyRequests:
		v.Throttled, v.RetryAfter = true, api.RetryAfter
	case api.Code == http.StatusUnauthorized:
		v.Blocked = true
	case api.Code == http.StatusNotFound && !aboutRecipient(desc):
		v.Blocked = true
	case api.Code >= 500 || api.Code == http.StatusRequestTimeout:
	case api.Code == http.StatusForbidden || strings.Contains(desc, "blocked"):
		v.Outcome = outbox.Dropped
	default:
		v.Outcome = outbox.Failed
	}
	return v
}

// aboutRecipient reports whether an error's description blames the
// message's chat or user rather than the call.
func aboutRecipient(desc string) bool {
	for _, w := range []string{"chat", "user", "recipient"} {
		if strings.Contains(desc, w) {
			return true
		}
	}
	return false
}
