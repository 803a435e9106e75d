package zalo

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/flows"
	"hailong/internal/channel"
	"hailong/outbox"
)

// What the Zalo Bot Platform sends, as its documentation and public clients
// show it. Each fixture is a fact with its source; none is ours.
var (
	// The Webhook page of the Zalo Bot docs (docs.zaloplatforms.com/docs/BOT/webhook,
	// "Stable v2.5.0"), its sample body quoted verbatim in a public
	// project's plan: the update is wrapped in {"ok":true,"result":…}, the
	// date is in milliseconds.
	docsWebhookText = `{ "ok": true, "result": {
    "message": {
      "from": { "id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": false },
      "chat": { "id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE" },
      "text": "Xin chào", "message_id": "2d758cb5e222177a4e35", "date": 1750316131602 },
    "event_name": "message.text.received" } }`

	// The getUpdates sample of a copy of the Zalo Bot docs ("Cập nhật lần
	// cuối: 10/12/2025"): no event_name, and the sender's name as
	// first_name.
	docsGetUpdatesResult = `{
    "message": {
      "chat": { "id": "e4ea2cd5189df1c3a88c", "chat_type": "PRIVATE" },
      "text": "Xin chào",
      "message_id": "16f6366b3f02645a3d15",
      "date": 1766619597466,
      "from": { "id": "e4ea2cd5189df1c3a88c", "first_name": "Nguyen Van A" }
    } }`

	// An image as the Webhook page lists its fields (photo, caption; the
	// docs give no image sample: built from the field list, in the
	// envelope).
	docsWebhookImage = `{"ok":true,"result":{"event_name":"message.image.received","message":{
    "from":{"id":"6ede9afa66b88fe6d6a9","display_name":"Ted","is_bot":false},
    "chat":{"id":"6ede9afa66b88fe6d6a9","chat_type":"PRIVATE"},
    "photo":"https://photo-stal.zadn.vn/a.jpg","caption":"Mái tôn bị dột",
    "message_id":"2d758cb5e222177a4e36","date":1750316131700}}}`

	// The bare form, which openclaw's Zalo channel (extensions/zalo) posts
	// in its webhook tests and reads photo_url from (its api.ts).
	clientBareImage = `{"event_name":"message.image.received","message":{
    "from":{"id":"u9","display_name":"Lan","is_bot":false},"chat":{"id":"u9","chat_type":"PRIVATE"},
    "photo_url":"https://photo-stal.zadn.vn/b.jpg","message_id":"m9","date":1750316131800}}`

	// Events other clients handle (openclaw's monitor.ts): a link, as text;
	// a reaction, only logged.
	clientLink = `{"ok":true,"result":{"event_name":"message.link.received","message":{
    "from":{"id":"u9","display_name":"Lan","is_bot":false},"chat":{"id":"u9","chat_type":"PRIVATE"},
    "text":"https://thcs-td.edu.vn/thong-bao","message_id":"m10","date":1750316131900}}}`
	clientReaction = `{"ok":true,"result":{"event_name":"message.reaction.received","message":{
    "from":{"id":"u9","display_name":"Lan","is_bot":false},"chat":{"id":"u9","chat_type":"PRIVATE"},
    "message_id":"m11","date":1750316132000}}}`

	// message.unsupported.received: what Zalo sends instead of the content
	// for some senders (a public project's notes on the docs); no content.
	docsUnsupported = `{"ok":true,"result":{"event_name":"message.unsupported.received","message":{
    "from":{"id":"u9","display_name":"Lan","is_bot":false},"chat":{"id":"u9","chat_type":"PRIVATE"},
    "message_id":"m12","date":1750316132100}}}`
)

func TestDocumentedUpdates(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, raw          string
		event, user, chat  string
		date               int64
		ok                 bool
		kind               flows.InputKind
		text, photo, named string
	}{
		{"webhook text", docsWebhookText, EventText, "6ede9afa66b88fe6d6a9", "6ede9afa66b88fe6d6a9", 1750316131602, true, flows.KindText, "Xin chào", "", "Ted"},
		{"getUpdates result", docsGetUpdatesResult, EventText, "e4ea2cd5189df1c3a88c", "e4ea2cd5189df1c3a88c", 1766619597466, true, flows.KindText, "Xin chào", "", "Nguyen Van A"},
		{"webhook image", docsWebhookImage, EventImage, "6ede9afa66b88fe6d6a9", "6ede9afa66b88fe6d6a9", 1750316131700, true, flows.KindPhoto, "Mái tôn bị dột", "https://photo-stal.zadn.vn/a.jpg", "Ted"},
		{"bare image", clientBareImage, EventImage, "u9", "u9", 1750316131800, true, flows.KindPhoto, "", "https://photo-stal.zadn.vn/b.jpg", "Lan"},
		{"link", clientLink, EventLink, "u9", "u9", 1750316131900, true, flows.KindText, "https://thcs-td.edu.vn/thong-bao", "", "Lan"},
		{"reaction", clientReaction, EventReaction, "u9", "u9", 1750316132000, false, 0, "", "", ""},
		{"unsupported", docsUnsupported, EventUnsupported, "u9", "u9", 1750316132100, true, flows.KindOther, "", "", "Lan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ParseUpdate([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if u.EventName != tc.event || u.Message == nil || u.Message.Date != tc.date || string(u.Raw) != tc.raw {
				t.Fatalf("parsed %q %+v", u.EventName, u.Message)
			}
			// The date is in milliseconds: 2025 or 2026, not 57,000 years on.
			if y := time.UnixMilli(u.Message.Date).Year(); y < 2025 || y > 2026 {
				t.Errorf("date %d is year %d in milliseconds", u.Message.Date, y)
			}
			env, ok := Decode(u, now)
			if ok != tc.ok {
				t.Fatalf("Decode ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if env.User != tc.user || env.Chat != tc.chat || env.Name != tc.named || env.Input.Kind != tc.kind ||
				env.Input.Text != tc.text || env.Input.Photo != tc.photo || env.Raw != tc.raw {
				t.Errorf("envelope %+v", env)
			}
		})
	}
}

// applyStore records what the webhook commits; the sender's methods are
// not used here.
type applyStore struct {
	outbox.Store
	mu      sync.Mutex
	batches []flows.Batch
}

func (s *applyStore) Apply(b flows.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, b)
	return nil
}

// webhookBot is a Bot serving only its Handler, over st.
func webhookBot(st Store) *Bot {
	cfg := Config{Store: st, Secret: "secret-token-1", Common: channel.Common{Logger: slog.New(slog.DiscardHandler)}.WithDefaults(DefaultLimits)}
	return &Bot{cfg: cfg, log: cfg.Logger, run: channel.New(Channel, cfg.Common, cfg.Logger)}
}

// TestWebhookTakesTheEnvelope: the body the docs show Zalo posting, and
// the bare form some clients post, are both updates: applied, 200. Before,
// the envelope was a dead letter answered 400, so Zalo would not retry it.
func TestWebhookTakesTheEnvelope(t *testing.T) {
	for name, body := range map[string]string{"docs' envelope": docsWebhookText, "bare": clientBareImage, "link": clientLink} {
		t.Run(name, func(t *testing.T) {
			st := &applyStore{}
			h := webhookBot(st).Handler()
			req := httptest.NewRequest(http.MethodPost, "/zalo", strings.NewReader(body))
			req.Header.Set("X-Bot-Api-Secret-Token", "secret-token-1")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("answered %d %s", w.Code, w.Body)
			}
			if len(st.batches) != 1 || len(st.batches[0].Envelopes) != 1 || len(st.batches[0].Dead) != 0 {
				t.Fatalf("committed %+v", st.batches)
			}
			if env := st.batches[0].Envelopes[0]; env.Raw != body || env.MessageRef == "" {
				t.Errorf("envelope %+v", env)
			}
		})
	}
	// A reaction is taken (200, so Zalo does not retry) and nothing is
	// kept or answered.
	st := &applyStore{}
	req := httptest.NewRequest(http.MethodPost, "/zalo", strings.NewReader(clientReaction))
	req.Header.Set("X-Bot-Api-Secret-Token", "secret-token-1")
	w := httptest.NewRecorder()
	webhookBot(st).Handler().ServeHTTP(w, req)
	if w.Code != http.StatusOK || len(st.batches) != 0 {
		t.Errorf("a reaction: %d, committed %+v", w.Code, st.batches)
	}
	// An envelope with nothing in it is not an update.
	for _, body := range []string{`{"ok":true,"result":{}}`, `{"ok":true,"result":null}`, `{"ok":true}`} {
		st := &applyStore{}
		req := httptest.NewRequest(http.MethodPost, "/zalo", strings.NewReader(body))
		req.Header.Set("X-Bot-Api-Secret-Token", "secret-token-1")
		w := httptest.NewRecorder()
		webhookBot(st).Handler().ServeHTTP(w, req)
		if w.Code != http.StatusBadRequest || len(st.batches) != 1 || len(st.batches[0].Dead) != 1 {
			t.Errorf("%s: %d, committed %+v", body, w.Code, st.batches)
		}
	}
}
