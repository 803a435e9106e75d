package telegramtest

import (
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

var alice = User{ID: 1001, FirstName: "Alice", Username: "alice", LanguageCode: "en"}

func newBot(t *testing.T) (*Server, *tgbotapi.BotAPI) {
	t.Helper()
	s := NewServer()
	tr := &http.Transport{}
	t.Cleanup(func() {
		s.Close()
		tr.CloseIdleConnections()
	})
	bot, err := tgbotapi.NewBotAPIWithClient(Token, s.Endpoint(), &http.Client{Transport: tr})
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return s, bot
}

func apiError(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *tgbotapi.Error, got %T %v", err, err)
	}
	return e
}

func updateIDs(ups []tgbotapi.Update) []int {
	var ids []int
	for _, u := range ups {
		ids = append(ids, u.UpdateID)
	}
	return ids
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGetMe(t *testing.T) {
	s, bot := newBot(t)
	if bot.Self.ID != 123456 || bot.Self.UserName != "hailong_test_bot" || !bot.Self.IsBot || !bot.Self.CanJoinGroups {
		t.Fatalf("self = %+v", bot.Self)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.Endpoint() != s.URL()+"/bot%s/%s" {
		t.Fatalf("URL %q Endpoint %q", s.URL(), s.Endpoint())
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].Method != "getMe" || calls[0].Status != 200 {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestWrongToken(t *testing.T) {
	s := NewServer()
	defer s.Close()
	_, err := tgbotapi.NewBotAPIWithClient("42:nope", s.Endpoint(), &http.Client{})
	if e := apiError(t, err); e.Code != 401 || e.Message != "Unauthorized" {
		t.Fatalf("err = %+v", e)
	}
	if c := s.Calls(); len(c) != 1 || c[0].Status != 401 {
		t.Fatalf("calls = %+v", c)
	}
}

func TestUnknownMethod(t *testing.T) {
	_, bot := newBot(t)
	_, err := bot.MakeRequest("frobnicate", nil)
	if e := apiError(t, err); e.Code != 404 || e.Message != "Not Found" {
		t.Fatalf("err = %+v", e)
	}
}

func TestOffsetConfirmation(t *testing.T) {
	s, bot := newBot(t)
	for _, text := range []string{"one", "two", "three"} {
		s.SendText(alice, text)
	}
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || !equalInts(updateIDs(ups), []int{1, 2, 3}) {
		t.Fatalf("updates %v err %v", updateIDs(ups), err)
	}
	if ups[0].Message.Text != "one" || ups[0].Message.Chat.ID != alice.ID || ups[0].Message.Chat.Type != "private" ||
		ups[0].Message.From.UserName != "alice" || ups[0].Message.From.LanguageCode != "en" {
		t.Fatalf("message = %+v", ups[0].Message)
	}
	if s.Pending() != 3 {
		t.Fatalf("pending = %d, nothing was confirmed yet", s.Pending())
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: 2})
	if !equalInts(updateIDs(ups), []int{2, 3}) || s.Pending() != 2 {
		t.Fatalf("offset 2: %v pending %d", updateIDs(ups), s.Pending())
	}
	// Update 1 is forgotten for good once confirmed.
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{})
	if !equalInts(updateIDs(ups), []int{2, 3}) {
		t.Fatalf("after confirm: %v", updateIDs(ups))
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: 4})
	if len(ups) != 0 || s.Pending() != 0 {
		t.Fatalf("offset 4: %v pending %d", updateIDs(ups), s.Pending())
	}
	if id := s.SendText(alice, "four"); id != 4 {
		t.Fatalf("next update id = %d", id)
	}
}

func TestLimit(t *testing.T) {
	s, bot := newBot(t)
	for range 5 {
		s.SendText(alice, "hi")
	}
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Limit: 2})
	if err != nil || !equalInts(updateIDs(ups), []int{1, 2}) {
		t.Fatalf("updates %v err %v", updateIDs(ups), err)
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: 3, Limit: 100})
	if !equalInts(updateIDs(ups), []int{3, 4, 5}) {
		t.Fatalf("updates %v", updateIDs(ups))
	}
}

func TestLongPollAndCommandEntity(t *testing.T) {
	s, bot := newBot(t)
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.SendText(alice, "/start abc")
	}()
	start := time.Now()
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 10})
	if err != nil || len(ups) != 1 {
		t.Fatalf("updates %v err %v", updateIDs(ups), err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("long poll took %v", d)
	}
	m := ups[0].Message
	if !m.IsCommand() || m.Command() != "start" || m.CommandArguments() != "abc" {
		t.Fatalf("command not recognised: %+v %+v", m, m.Entities)
	}

	// An empty long poll times out with [].
	start = time.Now()
	ups, err = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: 2, Timeout: 1})
	if err != nil || len(ups) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("empty poll: %v err %v after %v", updateIDs(ups), err, time.Since(start))
	}
}

func TestInlineKeyboardAndCallback(t *testing.T) {
	s, bot := newBot(t)
	s.SendText(alice, "/menu")
	msg := tgbotapi.NewMessage(alice.ID, "Pick one")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Yes", "pick:yes"),
		tgbotapi.NewInlineKeyboardButtonURL("Docs", "https://example.com"),
	))
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if sent.MessageID == 0 || sent.From.ID != 123456 || sent.ReplyMarkup == nil || len(sent.ReplyMarkup.InlineKeyboard[0]) != 2 {
		t.Fatalf("sent = %+v", sent)
	}
	last, found := s.Last(alice.ID)
	if !found || last.ID != sent.MessageID || last.Text != "Pick one" || len(last.Keyboard) != 1 ||
		last.Keyboard[0][0] != (Button{Text: "Yes", Data: "pick:yes"}) || last.Keyboard[0][1].Data != "" || !last.FromBot {
		t.Fatalf("last = %+v", last)
	}
	if msgs := s.Messages(alice.ID); len(msgs) != 2 || msgs[0].FromBot || msgs[0].Text != "/menu" {
		t.Fatalf("messages = %+v", msgs)
	}
	if s.Activity(alice.ID) != 1 {
		t.Fatalf("activity = %d", s.Activity(alice.ID))
	}

	upID, cbID := s.PressButton(alice, sent.MessageID, "pick:yes")
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: upID})
	if err != nil || len(ups) != 1 {
		t.Fatalf("updates %v err %v", updateIDs(ups), err)
	}
	cq := ups[0].CallbackQuery
	if cq == nil || cq.ID != cbID || cq.Data != "pick:yes" || cq.From.ID != alice.ID ||
		cq.Message == nil || cq.Message.MessageID != sent.MessageID || cq.Message.ReplyMarkup == nil {
		t.Fatalf("callback = %+v", cq)
	}
	if u := s.Unanswered(); len(u) != 1 || u[0] != cbID {
		t.Fatalf("unanswered = %v", u)
	}
	if _, err := bot.Request(tgbotapi.NewCallback(cbID, "Done")); err != nil {
		t.Fatal(err)
	}
	if got := s.CallbackAnswers(); got[cbID] != "Done" || len(s.Unanswered()) != 0 {
		t.Fatalf("answers %v unanswered %v", got, s.Unanswered())
	}
	_, err = bot.Request(tgbotapi.NewCallback(cbID, "again"))
	if e := apiError(t, err); e.Code != 400 || !strings.Contains(e.Message, "query is too old") {
		t.Fatalf("double answer: %+v", e)
	}
	_, err = bot.Request(tgbotapi.NewCallback("nope", ""))
	if e := apiError(t, err); e.Code != 400 {
		t.Fatalf("unknown id: %+v", e)
	}
}

func TestEdits(t *testing.T) {
	s, bot := newBot(t)
	s.SendText(alice, "hi")
	msg := tgbotapi.NewMessage(alice.ID, "Question?")
	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("A", "a")))
	msg.ReplyMarkup = kb
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}

	_, err = bot.Send(tgbotapi.NewEditMessageTextAndMarkup(alice.ID, sent.MessageID, "Question?", kb))
	if e := apiError(t, err); e.Code != 400 || !strings.Contains(e.Message, "message is not modified") {
		t.Fatalf("identical edit: %+v", e)
	}

	// Same text without markup is a change: it drops the keyboard.
	edited, err := bot.Send(tgbotapi.NewEditMessageText(alice.ID, sent.MessageID, "Question?"))
	if err != nil {
		t.Fatal(err)
	}
	if edited.ReplyMarkup != nil || edited.EditDate == 0 {
		t.Fatalf("edited = %+v", edited)
	}
	last, _ := s.Last(alice.ID)
	if last.Keyboard != nil || last.Edits != 1 || s.Activity(alice.ID) != 2 {
		t.Fatalf("last = %+v activity %d", last, s.Activity(alice.ID))
	}

	if _, err := bot.Send(tgbotapi.NewEditMessageReplyMarkup(alice.ID, sent.MessageID, kb)); err != nil {
		t.Fatal(err)
	}
	_, err = bot.Send(tgbotapi.NewEditMessageReplyMarkup(alice.ID, sent.MessageID, kb))
	if e := apiError(t, err); !strings.Contains(e.Message, "message is not modified") {
		t.Fatalf("identical markup edit: %+v", e)
	}
	edited, err = bot.Send(tgbotapi.NewEditMessageText(alice.ID, sent.MessageID, "Answered"))
	if err != nil || edited.Text != "Answered" {
		t.Fatalf("edited %+v err %v", edited, err)
	}

	html := tgbotapi.NewEditMessageText(alice.ID, sent.MessageID, "<b>Answered</b> &amp; done")
	html.ParseMode = tgbotapi.ModeHTML
	edited, err = bot.Send(html)
	if err != nil || edited.Text != "Answered & done" {
		t.Fatalf("Telegram returns parsed text: %+v err %v", edited, err)
	}
	if last, _ := s.Last(alice.ID); last.Text != "<b>Answered</b> &amp; done" || last.ParseMode != "HTML" || last.Edits != 4 {
		t.Fatalf("last keeps the text as sent: %+v", last)
	}

	_, err = bot.Send(tgbotapi.NewEditMessageText(alice.ID, 9999, "x"))
	if e := apiError(t, err); e.Message != "Bad Request: message to edit not found" {
		t.Fatalf("missing: %+v", e)
	}

	if _, err := bot.Request(tgbotapi.NewDeleteMessage(alice.ID, sent.MessageID)); err != nil {
		t.Fatal(err)
	}
	if _, found := s.Last(alice.ID); found {
		t.Fatal("deleted message still there")
	}
	_, err = bot.Request(tgbotapi.NewDeleteMessage(alice.ID, sent.MessageID))
	if e := apiError(t, err); e.Message != "Bad Request: message to delete not found" {
		t.Fatalf("double delete: %+v", e)
	}
}

func TestSendMessageValidation(t *testing.T) {
	s, bot := newBot(t)
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "hello"))
	if e := apiError(t, err); e.Code != 400 || e.Message != "Bad Request: chat not found" {
		t.Fatalf("unknown chat: %+v", e)
	}
	s.SendText(alice, "hi")

	cases := map[string]struct {
		msg  tgbotapi.MessageConfig
		want string
	}{
		"empty":    {tgbotapi.NewMessage(alice.ID, ""), "Bad Request: message text is empty"},
		"too long": {tgbotapi.NewMessage(alice.ID, strings.Repeat("x", 4097)), "Bad Request: message is too long"},
		// Telegram counts UTF-16 units: 2049 emoji are 4098 units.
		"emoji too long": {tgbotapi.NewMessage(alice.ID, strings.Repeat("😀", 2049)), "Bad Request: message is too long"},
		"button data": {func() tgbotapi.MessageConfig {
			m := tgbotapi.NewMessage(alice.ID, "x")
			m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData("big", strings.Repeat("d", 65))))
			return m
		}(), "Bad Request: BUTTON_DATA_INVALID"},
		"bad html": {func() tgbotapi.MessageConfig {
			m := tgbotapi.NewMessage(alice.ID, "1 < 2")
			m.ParseMode = tgbotapi.ModeHTML
			return m
		}(), `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`},
		"unclosed html": {func() tgbotapi.MessageConfig {
			m := tgbotapi.NewMessage(alice.ID, "<b>bold")
			m.ParseMode = tgbotapi.ModeHTML
			return m
		}(), `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
	}
	for name, c := range cases {
		_, err := bot.Send(c.msg)
		if e := apiError(t, err); e.Code != 400 || e.Message != c.want {
			t.Errorf("%s: got %d %q, want %q", name, e.Code, e.Message, c.want)
		}
	}

	ok := []tgbotapi.MessageConfig{
		tgbotapi.NewMessage(alice.ID, strings.Repeat("x", 4096)),
		func() tgbotapi.MessageConfig {
			// Markup does not count towards the limit.
			m := tgbotapi.NewMessage(alice.ID, "<b>"+strings.Repeat("x", 4090)+"</b> &lt;3")
			m.ParseMode = tgbotapi.ModeHTML
			return m
		}(),
	}
	for i, m := range ok {
		if _, err := bot.Send(m); err != nil {
			t.Errorf("ok[%d]: %v", i, err)
		}
	}
	if last, _ := s.Last(alice.ID); last.ParseMode != "HTML" || !strings.HasPrefix(last.Text, "<b>") {
		t.Fatalf("last = %.40q %q", last.Text, last.ParseMode)
	}
}

func TestReplyKeyboardAndContact(t *testing.T) {
	s, bot := newBot(t)
	s.SendText(alice, "/start")
	msg := tgbotapi.NewMessage(alice.ID, "Share your number")
	msg.ReplyMarkup = tgbotapi.NewOneTimeReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact("Share")))
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if sent.ReplyMarkup != nil {
		t.Fatal("reply keyboards are not echoed back by Telegram")
	}
	last, _ := s.Last(alice.ID)
	if last.Keyboard != nil || len(last.ReplyKeyboard) != 1 || last.ReplyKeyboard[0][0] != (Button{Text: "Share", RequestContact: true}) {
		t.Fatalf("last = %+v", last)
	}
	id := s.SendContact(alice, "+15550001", alice.ID)
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: id})
	if len(ups) != 1 || ups[0].Message.Contact == nil || ups[0].Message.Contact.PhoneNumber != "+15550001" || ups[0].Message.Contact.UserID != alice.ID {
		t.Fatalf("contact update = %+v", ups)
	}
}

func TestUserMedia(t *testing.T) {
	s, bot := newBot(t)
	s.SendSticker(alice)
	s.SendPhoto(alice, "look")
	s.SendVoice(alice)
	s.SendText(alice, "typo")
	edit := s.SendEdited(alice, 4, "fixed")
	s.SendGroupText(-100777, "Team", alice, "/help@hailong_test_bot")
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 6 {
		t.Fatalf("updates %v err %v", updateIDs(ups), err)
	}
	if ups[0].Message.Sticker == nil || ups[0].Message.Sticker.FileID == "" {
		t.Fatalf("sticker = %+v", ups[0].Message)
	}
	p := ups[1].Message.Photo
	if len(p) != 2 || p[0].FileID == p[1].FileID || ups[1].Message.Caption != "look" {
		t.Fatalf("photo = %+v", ups[1].Message)
	}
	if ups[2].Message.Voice == nil {
		t.Fatalf("voice = %+v", ups[2].Message)
	}
	if e := ups[4].EditedMessage; ups[4].UpdateID != edit || e == nil || e.MessageID != 4 || e.Text != "fixed" || e.EditDate == 0 {
		t.Fatalf("edited = %+v", ups[4])
	}
	g := ups[5].Message
	if g.Chat.ID != -100777 || g.Chat.Type != "supergroup" || g.Chat.Title != "Team" || g.Command() != "help" {
		t.Fatalf("group = %+v", g)
	}
	if msgs := s.Messages(alice.ID); len(msgs) != 4 || msgs[3].Text != "fixed" || msgs[3].Edits != 1 || msgs[1].Kind != "photo" {
		t.Fatalf("messages = %+v", msgs)
	}
	// The bot may answer in the group, and re-send the user's photo by file id.
	if _, err := bot.Send(tgbotapi.NewMessage(-100777, "hello team")); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Send(tgbotapi.NewPhoto(alice.ID, tgbotapi.FileID(p[1].FileID))); err != nil {
		t.Fatal(err)
	}
}

func TestSendRawUndecodable(t *testing.T) {
	s, bot := newBot(t)
	id := s.SendRaw(`{"update_id": 77, "message": {"message_id": "not a number", "chat": {"id": 5, "type": "private"}}}`)
	if id != 1 {
		t.Fatalf("update id = %d", id)
	}
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err == nil {
		t.Fatal("tgbotapi decoded a broken update")
	}
	if s.Pending() != 1 {
		t.Fatalf("pending = %d", s.Pending())
	}
	// The chat in the raw update becomes known.
	if _, err := bot.Send(tgbotapi.NewMessage(5, "hi")); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentGetUpdatesConflict(t *testing.T) {
	s, bot := newBot(t)
	errc := make(chan error, 1)
	go func() {
		_, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 10})
		errc <- err
	}()
	if !s.Wait(2*time.Second, func() bool {
		c := s.Calls()
		return c[len(c)-1].Method == "getUpdates"
	}) {
		t.Fatal("first poll never arrived")
	}
	time.Sleep(50 * time.Millisecond) // let it register as the running poll

	// Like Telegram, the newer request wins and the waiting one is terminated.
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Fatalf("second poll: %v", err)
	}
	select {
	case err := <-errc:
		e := apiError(t, err)
		if e.Code != 409 || e.Message != "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" {
			t.Fatalf("first poll: %+v", e)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("first poll was not terminated")
	}
}

func TestMultipartDocumentAndPhoto(t *testing.T) {
	s, bot := newBot(t)
	s.SendText(alice, "/report")
	doc := tgbotapi.NewDocument(alice.ID, tgbotapi.FileBytes{Name: "report.csv", Bytes: []byte("a,b\n1,2\n")})
	doc.Caption = "Your report"
	sent, err := bot.Send(doc)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Document == nil || sent.Document.FileName != "report.csv" || sent.Document.FileSize != 8 || sent.Caption != "Your report" {
		t.Fatalf("sent = %+v doc %+v", sent, sent.Document)
	}
	last, _ := s.Last(alice.ID)
	if last.Kind != "document" || last.FileName != "report.csv" || last.FileSize != 8 || last.Text != "Your report" {
		t.Fatalf("last = %+v", last)
	}
	calls := s.Calls()
	if c := calls[len(calls)-1]; c.Method != "sendDocument" || c.Params["document"] != "report.csv" || c.Params["caption"] != "Your report" {
		t.Fatalf("call = %+v", c)
	}

	photo := tgbotapi.NewPhoto(alice.ID, tgbotapi.FileReader{Name: "chart.png", Reader: strings.NewReader("PNGDATA")})
	sent, err = bot.Send(photo)
	if err != nil || len(sent.Photo) != 2 {
		t.Fatalf("photo %+v err %v", sent, err)
	}
	if last, _ := s.Last(alice.ID); last.Kind != "photo" || last.FileName != "chart.png" || last.FileSize != 7 {
		t.Fatalf("last = %+v", last)
	}

	// Re-sending by file id keeps the original file.
	if _, err := bot.Send(tgbotapi.NewDocument(alice.ID, tgbotapi.FileID(sent.Photo[1].FileID))); err != nil {
		t.Fatal(err)
	}
	_, err = bot.Send(tgbotapi.NewDocument(alice.ID, tgbotapi.FileID("bogus")))
	if e := apiError(t, err); !strings.Contains(e.Message, "wrong file identifier") {
		t.Fatalf("bogus id: %+v", e)
	}
	if _, err := bot.Request(tgbotapi.NewChatAction(alice.ID, tgbotapi.ChatUploadDocument)); err != nil {
		t.Fatal(err)
	}
}

func TestSetMyCommands(t *testing.T) {
	s, bot := newBot(t)
	cmds := []tgbotapi.BotCommand{{Command: "start", Description: "Start"}, {Command: "help", Description: "Help"}}
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		t.Fatal(err)
	}
	scope := tgbotapi.NewBotCommandScopeAllPrivateChats()
	if _, err := bot.Request(tgbotapi.NewSetMyCommandsWithScope(scope, cmds[:1]...)); err != nil {
		t.Fatal(err)
	}
	got := s.SetCommands()
	if len(got[""]) != 2 || got[""][1]["command"] != "help" || got[""][1]["description"] != "Help" {
		t.Fatalf("default = %v", got[""])
	}
	if l := got[`{"type":"all_private_chats"}`]; len(l) != 1 || l[0]["command"] != "start" {
		t.Fatalf("scoped = %v", got)
	}
	mine, err := bot.GetMyCommands()
	if err != nil || len(mine) != 2 {
		t.Fatalf("getMyCommands %v err %v", mine, err)
	}
	_, err = bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Bad-Name", Description: "x"}))
	if e := apiError(t, err); e.Message != "Bad Request: BOT_COMMAND_INVALID" {
		t.Fatalf("bad command: %+v", e)
	}
	if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatal(err)
	}
}

func TestInjectRetryAfter(t *testing.T) {
	s, bot := newBot(t)
	s.SendText(alice, "hi")
	s.Inject(func(method string, params map[string]string) *Fault {
		if method == "sendMessage" && params["text"] == "flood" {
			return &Fault{Status: 429, RetryAfter: 7}
		}
		return nil
	})
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "flood"))
	e := apiError(t, err)
	if e.Code != 429 || e.RetryAfter != 7 || e.Message != "Too Many Requests: retry after 7" {
		t.Fatalf("err = %+v", e)
	}
	calls := s.Calls()
	if c := calls[len(calls)-1]; c.Status != 429 || c.Params["text"] != "flood" {
		t.Fatalf("call = %+v", c)
	}
	if _, found := s.Last(alice.ID); found {
		t.Fatal("a faulted send must not deliver")
	}
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "fine")); err != nil {
		t.Fatal(err)
	}

	s.Inject(func(string, map[string]string) *Fault { return &Fault{MigrateTo: -100123} })
	_, err = bot.Send(tgbotapi.NewMessage(alice.ID, "x"))
	if e := apiError(t, err); e.Code != 400 || e.MigrateToChatID != -100123 {
		t.Fatalf("migrate: %+v", e)
	}
}

func TestInjectDropAndDelay(t *testing.T) {
	s, bot := newBot(t)
	s.SendText(alice, "hi")
	s.Inject(func(method string, _ map[string]string) *Fault {
		if method == "sendMessage" {
			return &Fault{Drop: true}
		}
		return nil
	})
	_, err := bot.Send(tgbotapi.NewMessage(alice.ID, "lost"))
	if err == nil {
		t.Fatal("dropped call succeeded")
	}
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		t.Fatalf("want a transport error, got API error %+v", apiErr)
	}
	calls := s.Calls()
	if c := calls[len(calls)-1]; c.Method != "sendMessage" || c.Status != 0 {
		t.Fatalf("call = %+v", c)
	}

	// A delay is cut short when the client gives up.
	s.Inject(func(string, map[string]string) *Fault { return &Fault{Delay: 10 * time.Second} })
	impatient, err := tgbotapi.NewBotAPIWithClient(Token, s.Endpoint(), &http.Client{Timeout: 200 * time.Millisecond})
	if err == nil || impatient != nil {
		t.Fatalf("impatient client: %v", err)
	}
	// A delay alone handles the call normally afterwards.
	s.Inject(func(string, map[string]string) *Fault { return &Fault{Delay: 50 * time.Millisecond} })
	start := time.Now()
	if _, err := bot.Send(tgbotapi.NewMessage(alice.ID, "slow")); err != nil || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("delayed send: %v after %v", err, time.Since(start))
	}
}

func TestCloseEndsLongPoll(t *testing.T) {
	before := runtime.NumGoroutine()
	s := NewServer()
	tr := &http.Transport{}
	bot, err := tgbotapi.NewBotAPIWithClient(Token, s.Endpoint(), &http.Client{Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
	}()
	s.Wait(time.Second, func() bool { return len(s.Calls()) == 2 })
	time.Sleep(50 * time.Millisecond)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	for _, ch := range []chan struct{}{closed, done} {
		select {
		case <-ch:
		case <-time.After(3 * time.Second):
			t.Fatal("Close did not end the long poll")
		}
	}
	s.Close() // idempotent
	tr.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("goroutines: %d before, %d after Close", before, n)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, bot := newBot(t)
	var wg sync.WaitGroup
	for i := range 8 {
		u := User{ID: int64(2000 + i), FirstName: "U"}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.SendText(u, "hi")
			for range 5 {
				if _, err := bot.Send(tgbotapi.NewMessage(u.ID, "yo")); err != nil {
					t.Error(err)
				}
				_ = s.Messages(u.ID)
				_ = s.Calls()
			}
		}()
	}
	wg.Wait()
	if s.Pending() != 8 {
		t.Fatalf("pending = %d", s.Pending())
	}
}
