// Package zalo is hailong's Zalo channel: the Zalo Bot Platform's API
// (Client), its updates decoded into the engine's input (Decode) and the
// engine's replies rendered as Zalo messages (Render).
//
// The Bot Platform is shaped like Telegram's Bot API, with the differences
// that matter here: getUpdates hands out one update at a time without an
// offset, ids are strings, there are no buttons and no message editing, and
// a message holds at most 2000 characters (see MaxText for the unit).
package zalo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultBase is the Zalo Bot Platform's API base.
const DefaultBase = "https://bot-api.zaloplatforms.com"

const (
	// callTimeout bounds a call other than a long poll.
	callTimeout = 30 * time.Second
	// pollMargin is how much longer than its long-poll timeout a
	// getUpdates request may take before it is given up.
	pollMargin = 10 * time.Second
	// maxReply bounds the answer read from the API.
	maxReply = 4 << 20
)

// Client calls the Zalo Bot Platform's API. Its methods are safe for
// concurrent use. The token is never put in an error.
type Client struct {
	// Base is the API base without a trailing path, such as DefaultBase or
	// zalotest.Server.URL().
	Base string
	// Token is the bot token, "<bot id>:<secret>".
	Token string
	// HTTP is the client requests go through; nil means
	// http.DefaultClient. Its Timeout, if set, is lengthened for long polls.
	HTTP *http.Client
}

// Me is what getMe tells about the bot.
type Me struct {
	ID            string `json:"id"`
	AccountName   string `json:"account_name"`
	AccountType   string `json:"account_type"`
	CanJoinGroups bool   `json:"can_join_groups"`
}

// APIError is an error answer of the API: {"ok":false,"error_code":…,
// "description":…}. Clients go by Code; Description is for people.
type APIError struct {
	Code        int
	Description string
	// RetryAfter is how long to wait before trying again, from a
	// Retry-After header or a description such as "Too Many Requests:
	// retry after 5"; 0 when the answer gave none.
	RetryAfter time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("zalo: error %d: %s", e.Code, e.Description)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// MalformedUpdateError is returned by GetUpdates when the update handed out
// is not a JSON object. The update is gone from Zalo all the same: Raw is
// all there is of it, to be kept as a dead letter.
type MalformedUpdateError struct {
	Raw []byte
}

// Error implements error.
func (e *MalformedUpdateError) Error() string {
	return fmt.Sprintf("zalo: an update that is not a JSON object (%d bytes)", len(e.Raw))
}

// GetMe returns the bot's own account.
func (c *Client) GetMe(ctx context.Context) (Me, error) {
	var me Me
	err := c.call(ctx, "getMe", nil, callTimeout, false, &me)
	return me, err
}

// GetUpdates long-polls for up to timeout (sent in whole seconds, rounded
// up) and returns the one update Zalo hands out, or nil, nil when none came.
// Both {"ok":true,"result":null} and the error 408 mean none. An update
// handed out is not handed out again, so the caller must record it whatever
// happens next; an update that is not even a JSON object comes back as a
// *MalformedUpdateError holding its bytes.
func (c *Client) GetUpdates(ctx context.Context, timeout time.Duration) (*Update, error) {
	secs := int64(math.Ceil(max(timeout, 0).Seconds()))
	params := map[string]string{"timeout": strconv.FormatInt(secs, 10)}
	var raw json.RawMessage
	err := c.call(ctx, "getUpdates", params, time.Duration(secs)*time.Second+pollMargin, true, &raw)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Code == http.StatusRequestTimeout {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if isNull(raw) {
		return nil, nil
	}
	u, err := ParseUpdate(raw)
	if err != nil {
		return nil, &MalformedUpdateError{Raw: append([]byte(nil), raw...)}
	}
	return u, nil
}

// SetWebhook makes Zalo POST updates to url with the header
// X-Bot-Api-Secret-Token: secret (8 to 256 characters). getUpdates does not
// work while a webhook is set.
func (c *Client) SetWebhook(ctx context.Context, url, secret string) error {
	return c.call(ctx, "setWebhook", map[string]string{"url": url, "secret_token": secret}, callTimeout, false, nil)
}

// WebhookInfo is what getWebhookInfo tells: the docs show {url,
// updated_at}, the URL empty when none is set. It says nothing of the
// secret token.
type WebhookInfo struct {
	URL       string
	UpdatedAt time.Time // zero when not given
}

// UnmarshalJSON reads the info leniently: a field of another type is left
// empty.
func (w *WebhookInfo) UnmarshalJSON(b []byte) error {
	o := object(b)
	w.URL = str(o["url"])
	if ms := integer(o["updated_at"]); ms > 0 {
		w.UpdatedAt = time.UnixMilli(ms)
	}
	return nil
}

// GetWebhookInfo asks what webhook Zalo has on file for the bot.
func (c *Client) GetWebhookInfo(ctx context.Context) (WebhookInfo, error) {
	var w WebhookInfo
	err := c.call(ctx, "getWebhookInfo", nil, callTimeout, false, &w)
	return w, err
}

// DeleteWebhook removes the webhook, so that getUpdates works again.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	return c.call(ctx, "deleteWebhook", nil, callTimeout, false, nil)
}

// sent is the result of the send methods.
type sent struct {
	MessageID string
}

// UnmarshalJSON never fails: the message is sent whatever the result
// looks like, and sending it again would show it twice.
func (s *sent) UnmarshalJSON(b []byte) error {
	s.MessageID = str(object(b)["message_id"])
	return nil
}

// SendMessage sends text (1 to 2000 characters) to chatID and returns the
// new message's id.
func (c *Client) SendMessage(ctx context.Context, chatID, text string) (string, error) {
	var r sent
	err := c.call(ctx, "sendMessage", map[string]string{"chat_id": chatID, "text": text}, callTimeout, false, &r)
	return r.MessageID, err
}

// SendPhoto sends the photo at photoURL (an http or https URL) with caption
// (at most 2000 characters; empty for none) to chatID and returns the new
// message's id.
func (c *Client) SendPhoto(ctx context.Context, chatID, photoURL, caption string) (string, error) {
	params := map[string]string{"chat_id": chatID, "photo": photoURL}
	if caption != "" {
		params["caption"] = caption
	}
	var r sent
	err := c.call(ctx, "sendPhoto", params, callTimeout, false, &r)
	return r.MessageID, err
}

// SendChatAction shows action ("typing", "upload_photo") in chatID.
func (c *Client) SendChatAction(ctx context.Context, chatID, action string) error {
	return c.call(ctx, "sendChatAction", map[string]string{"chat_id": chatID, "action": action}, callTimeout, false, nil)
}

// envelope is every answer of the API. Only ok must have its type; the
// error's fields are read leniently.
type envelope struct {
	OK          *bool           `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   json.RawMessage `json:"error_code"`
	Description json.RawMessage `json:"description"`
	Parameters  json.RawMessage `json:"parameters"` // as Telegram's: retry_after
}

// call POSTs params as JSON to method and decodes the result into result
// (unless it is nil). The request is given up after limit; a long poll's
// (poll) also lengthens the HTTP client's own Timeout to limit.
func (c *Client) call(ctx context.Context, method string, params any, limit time.Duration, poll bool, result any) error {
	body := []byte("{}")
	if params != nil {
		var err error
		if body, err = json.Marshal(params); err != nil {
			return fmt.Errorf("zalo %s: %w", method, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(method, c.Token), bytes.NewReader(body))
	if err != nil {
		// The message may quote the URL: keep only the redacted text.
		return c.fail(method, err, false)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	if poll {
		hc = lengthen(hc, limit)
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = c.endpoint(method, "<token>")
		}
		return c.fail(method, err, true)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return c.fail(method, fmt.Errorf("reading the answer (HTTP %d): %w", resp.StatusCode, err), true)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.OK == nil {
		ct := resp.Header.Get("Content-Type")
		if ct == "" {
			ct = "no content type"
		}
		return c.fail(method, fmt.Errorf("HTTP %s with %d bytes (%s) that are not a Bot API answer", resp.Status, len(data), ct), false)
	}
	if !*env.OK {
		desc := str(env.Description)
		e := &APIError{Code: int(integer(env.ErrorCode)), Description: c.redact(desc)}
		if e.Code == 0 {
			e.Code = resp.StatusCode
		}
		param := integer(object(env.Parameters)["retry_after"])
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), desc, int(min(max(param, 0), 86400)), time.Now())
		return e
	}
	if result != nil && !isNull(env.Result) {
		if err := json.Unmarshal(env.Result, result); err != nil {
			return c.fail(method, fmt.Errorf("decoding the result: %w", err), false)
		}
	}
	return nil
}

// endpoint is method's URL with token in it.
func (c *Client) endpoint(method, token string) string {
	return strings.TrimRight(c.Base, "/") + "/bot" + token + "/" + method
}

// lengthen returns hc, or a copy of it whose own Timeout does not end a
// request before limit.
func lengthen(hc *http.Client, limit time.Duration) *http.Client {
	if hc.Timeout > 0 && hc.Timeout < limit {
		cp := *hc
		cp.Timeout = limit
		hc = &cp
	}
	return hc
}

// redact takes the token out of s.
func (c *Client) redact(s string) string {
	if c.Token == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.Token, "<token>")
	if esc := url.PathEscape(c.Token); esc != c.Token {
		s = strings.ReplaceAll(s, esc, "<token>")
	}
	return s
}

// fail wraps err, with the token taken out of its text. With unwrap the
// cause stays reachable for errors.Is (a canceled context, a timeout).
func (c *Client) fail(method string, err error, unwrap bool) error {
	e := &callError{msg: c.redact(fmt.Sprintf("zalo %s: %v", method, err))}
	if unwrap {
		e.err = err
	}
	return e
}

// callError is a failure other than an API error: the network, or an answer
// that is not the API's. Whoever calls retries those.
type callError struct {
	msg string
	err error
}

func (e *callError) Error() string { return e.msg }
func (e *callError) Unwrap() error { return e.err }

var retryRe = regexp.MustCompile(`(?i)retry after (\d+)`)

// retryAfter reads how long to wait: the Retry-After header (seconds or an
// HTTP date), else the parameters' retry_after, else "retry after N" in the
// description. GUESS: the docs show no 429; these are the places Telegram
// (whose shape the API copies) puts the wait.
func retryAfter(header, desc string, param int, now time.Time) time.Duration {
	if header = strings.TrimSpace(header); header != "" {
		if n, err := strconv.Atoi(header); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
		if t, err := http.ParseTime(header); err == nil && t.After(now) {
			return t.Sub(now).Round(time.Second)
		}
	}
	if param > 0 {
		return time.Duration(param) * time.Second
	}
	if m := retryRe.FindStringSubmatch(desc); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// Events Zalo sends. The Webhook page of the Zalo Bot docs (December
// 2025) names text, image, sticker and unsupported; copies of the docs and
// public clients add voice; public clients (openclaw's Zalo channel) also
// handle link, as text, and reaction, which they only log.
const (
	EventText        = "message.text.received"
	EventImage       = "message.image.received"
	EventSticker     = "message.sticker.received"
	EventVoice       = "message.voice.received"
	EventUnsupported = "message.unsupported.received"
	EventLink        = "message.link.received"
	EventReaction    = "message.reaction.received"
)

// Update is one update as getUpdates returns it and the webhook receives it.
// Decoding it is lenient: ids may come as strings or numbers and a field of
// an unexpected type is left empty, so that Decode can decide.
type Update struct {
	EventName string   `json:"event_name"`
	Message   *Message `json:"message,omitempty"`
	// Raw is the update's JSON as received, for dead letters: for a
	// webhook call, the whole body with its envelope.
	Raw json.RawMessage `json:"-"`
}

// Message is an update's message.
type Message struct {
	MessageID string `json:"message_id"`
	// Date is in milliseconds since the epoch, as in the docs' samples
	// (1750316131602, 1766619597466). Nothing reads it: Decode uses the
	// local clock.
	Date int64  `json:"date"`
	Chat Chat   `json:"chat"`
	From From   `json:"from"`
	Text string `json:"text,omitempty"`
	// PhotoURL is an image's address: the docs name the field photo;
	// some public clients read photo_url. Either is read (photo first),
	// as a string or as an object or array holding a url.
	PhotoURL string `json:"photo,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Sticker  string `json:"sticker,omitempty"`
	// URL is the url field the docs list (a sticker's picture, a link's
	// address).
	URL string `json:"url,omitempty"`
}

// Chat is where a message was sent.
type Chat struct {
	ID string `json:"id"`
	// ChatType is "PRIVATE" or "GROUP"; the docs mark groups "sắp ra mắt"
	// (coming soon).
	ChatType string `json:"chat_type"`
}

// From is who sent a message.
type From struct {
	ID string `json:"id"`
	// DisplayName: display_name in the docs' Webhook sample, first_name
	// in a copy of their getUpdates sample; either is read, and name, which
	// other clients of the API read (GUESS: not in a sample of the docs we
	// have). Kept only for a principal who redeems an invite.
	DisplayName string `json:"display_name"`
	IsBot       bool   `json:"is_bot"`
}

// ParseUpdate reads an update's JSON and keeps raw in it. It fails only
// when raw is not a JSON object.
//
// Both forms are read: the bare update {"event_name":…,"message":{…}} that
// getUpdates' result is and that some public clients' tests post, and the
// envelope {"ok":true,"result":{"event_name":…}} that the docs' Webhook
// page shows Zalo posting.
func ParseUpdate(raw []byte) (*Update, error) {
	var u Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UnmarshalJSON reads an update leniently and keeps a copy of b as Raw.
func (u *Update) UnmarshalJSON(b []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil || top == nil {
		return errors.New("zalo: an update must be a JSON object")
	}
	*u = Update{Raw: append(json.RawMessage(nil), b...)}
	if _, bare := top["event_name"]; !bare && top["message"] == nil {
		// The webhook's envelope: the update is its result.
		if r := object(top["result"]); r != nil {
			top = r
		}
	}
	u.EventName = str(top["event_name"])
	m := object(top["message"])
	if m == nil {
		return nil
	}
	chat, from := object(m["chat"]), object(m["from"])
	u.Message = &Message{
		MessageID: str(m["message_id"]),
		Date:      integer(m["date"]),
		Chat:      Chat{ID: str(chat["id"]), ChatType: str(chat["chat_type"])},
		From:      From{ID: str(from["id"]), DisplayName: first(str(from["display_name"]), str(from["first_name"]), str(from["name"])), IsBot: boolean(from["is_bot"])},
		Text:      str(m["text"]),
		PhotoURL:  first(address(m["photo"]), address(m["photo_url"])),
		Caption:   str(m["caption"]),
		Sticker:   str(m["sticker"]),
		URL:       str(m["url"]),
	}
	if u.EventName == "" {
		// A copy of the docs' getUpdates sample has no event_name: the
		// message's fields tell what it is.
		u.EventName = u.Message.event()
	}
	return nil
}

// event is the event a message without event_name is: text, image or
// sticker by its fields, else unsupported.
func (m *Message) event() string {
	switch {
	case m.Text != "":
		return EventText
	case m.PhotoURL != "":
		return EventImage
	case m.Sticker != "":
		return EventSticker
	default:
		return EventUnsupported
	}
}

// address reads an image's address: a string, or the url of an object, or
// the first such in an array.
func address(raw json.RawMessage) string {
	if s := str(raw); s != "" {
		return s
	}
	if o := object(raw); o != nil {
		return first(str(o["url"]), str(o["photo_url"]))
	}
	var list []json.RawMessage
	if len(raw) > 0 && json.Unmarshal(raw, &list) == nil {
		for _, e := range list {
			if a := address(e); a != "" {
				return a
			}
		}
	}
	return ""
}

// first is the first of its arguments that is not empty.
func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// object reads a JSON object's fields; nil for anything else.
func object(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// str reads a JSON string, or a number as its digits; "" for anything else.
func str(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 {
		return ""
	}
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// integer reads a JSON number or a string of digits; 0 for anything else.
func integer(raw json.RawMessage) int64 {
	s := str(raw)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 1<<62 {
		return int64(f)
	}
	return 0
}

// boolean reads true, or the string "true"; false for anything else.
func boolean(raw json.RawMessage) bool {
	var b bool
	if len(raw) > 0 && json.Unmarshal(raw, &b) == nil {
		return b
	}
	return strings.EqualFold(str(raw), "true")
}
