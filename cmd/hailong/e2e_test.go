package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hailong"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/store"
	"hailong/zalo/zalotest"
)

// clock is a settable time source for the bot under test.
type clock struct {
	mu      sync.Mutex
	t       time.Time
	running time.Time // when set, the clock runs from t in real time since then
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running.IsZero() {
		return c.t.Add(time.Since(c.running))
	}
	return c.t
}

// run makes the clock tick in real time from where it stands.
func (c *clock) run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = time.Now()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const testSecret = "jTks4IB2KJFnmGwt4cIBE1l1FaUomqLRaxPtK4JbC4c="

// harness runs `hailong run` against the fake Telegram server.
type harness struct {
	t       *testing.T
	srv     *telegramtest.Server
	dir     string
	cfgPath string
	dbPath  string
	clock   *clock
	stderr  *syncBuffer

	cancel context.CancelFunc
	done   chan error

	// Zalo (zalo_e2e_test.go): the config with its zalo section, and the
	// webhook's listener.
	zaloConfig string
	listener   net.Listener
	noTelegram bool // run without TELEGRAM_BOT_TOKEN
	// webListener serves the dashboard (web_e2e_test.go).
	webListener net.Listener
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(endpoint string) string {
	return fmt.Sprintf(`
telegram:
  api_endpoint: %q
  poll_timeout: 5s
  limits: {per_second: 1000, per_chat_per_second: 1000, per_chat_burst: 100, group_per_minute: 6000}
  flood: {updates: 1000, window: 10s, pause: 1m}
admins: ["%d"]
complaints:
  check_schedule: "@every 1s"
  holidays: [2027-01-01]
waves:
  - {id: w1, title: "Học kì I, 2026–2027", start: 2026-09-01, end: 2027-01-15}
offices:
  - {id: so, name: "Sở GDĐT tỉnh Đồng Tháp"}
  - {id: sadec, name: "Phòng GDĐT thành phố Sa Đéc", parent: so, chat_id: "%d"}
schools:
  - {code: MN-HN, name: "Trường Mầm non Hồng Nhung", level: mn, office: sadec}
  - {code: TH-TV, name: "Trường Tiểu học Trưng Vương", level: th, office: sadec, principals: ["%d"]}
  - {code: THCS-TD, name: "Trường THCS Trần Hưng Đạo", level: thcs, office: sadec, principals: ["%d"]}
`, endpoint, adminUser.ID, officeChat, principalTV.ID, principalTD.ID)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	h := &harness{t: t, srv: srv, dir: dir, cfgPath: filepath.Join(dir, "config.yaml"), dbPath: filepath.Join(dir, "hailong.db"),
		clock: &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh"))}, stderr: &syncBuffer{}}
	if err := os.WriteFile(h.cfgPath, []byte(testConfig(srv.Endpoint())), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if h.cancel != nil {
			h.stop()
		}
	})
	return h
}

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func (h *harness) env(key string) string {
	switch key {
	case "TELEGRAM_BOT_TOKEN":
		if h.noTelegram {
			return ""
		}
		return telegramtest.Token
	case "HAILONG_SECRET":
		return testSecret
	case "ZALO_BOT_TOKEN":
		return zalotest.Token
	case "ZALO_WEBHOOK_SECRET":
		return zaloSecret
	case "GOMEMLIMIT":
		return "off" // the tests run the bot in their own process: leave its memory alone
	}
	return ""
}

func (h *harness) sys() *system {
	return &system{getenv: h.env, stdin: strings.NewReader(""), stdout: h.stderr, stderr: h.stderr, now: h.clock.Now, zaloListener: h.listener, webListener: h.webListener}
}

// start runs the bot in the background.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.sys().run(ctx, []string{"run", "--config", h.cfgPath, "--db", h.dbPath}) }()
}

// stop cancels the bot as SIGTERM would and checks it exits cleanly and
// promptly.
func (h *harness) stop() {
	h.t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("run returned %v\nlog:\n%s", err, h.stderr.String())
		}
	case <-time.After(5 * time.Second):
		h.t.Fatalf("run did not stop within 5s of its context being cancelled")
	}
	h.cancel = nil
}

// openDB opens the stopped bot's database for inspection.
func (h *harness) openDB() *store.DB {
	h.t.Helper()
	cfg, err := loadConfig(h.cfgPath)
	if err != nil {
		h.t.Fatal(err)
	}
	eng, err := cfg.engine()
	if err != nil {
		h.t.Fatal(err)
	}
	db, err := store.Open(h.dbPath, store.Options{Engine: eng, Secret: []byte(testSecret)})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db
}

// expect waits until the bot's last message to u contains want.
func (h *harness) expect(u telegramtest.User, want string) telegramtest.Message {
	h.t.Helper()
	var last telegramtest.Message
	ok := h.srv.Wait(10*time.Second, func() bool {
		m, ok := h.srv.Last(u.ID)
		last = m
		return ok && strings.Contains(m.Text, want)
	})
	if !ok {
		h.t.Fatalf("the bot's last message to %d does not contain %q; it is:\n%s\nlog:\n%s", u.ID, want, last.Text, h.stderr.String())
	}
	return last
}

// expectSome is expect for a message that others may follow at once (an
// alert and its photos): the newest of the bot's messages to u that
// contains want, whichever came after it.
func (h *harness) expectSome(u telegramtest.User, want string) telegramtest.Message {
	h.t.Helper()
	var found telegramtest.Message
	ok := h.srv.Wait(10*time.Second, func() bool {
		ms := h.srv.Messages(u.ID)
		for i := len(ms) - 1; i >= 0; i-- {
			if strings.Contains(ms[i].Text, want) {
				found = ms[i]
				return true
			}
		}
		return false
	})
	if !ok {
		h.t.Fatalf("no message of the bot to %d contains %q\nlog:\n%s", u.ID, want, h.stderr.String())
	}
	return found
}

// acked fails the test unless every button press is acknowledged soon:
// acknowledgements go beside the messages, not before them, so the last
// press's may land just after its edit.
func (h *harness) acked() {
	h.t.Helper()
	if !h.srv.Wait(5*time.Second, func() bool { return len(h.srv.Unanswered()) == 0 }) {
		h.t.Errorf("callback queries never answered: %v", h.srv.Unanswered())
	}
}

// answered waits until the bot has reacted to an input: its activity in
// the chat has grown past since.
func (h *harness) answered(u telegramtest.User, since int) {
	h.t.Helper()
	if !h.srv.Wait(10*time.Second, func() bool { return h.srv.Activity(u.ID) > since }) {
		h.t.Fatalf("no answer to %d", u.ID)
	}
}

// press presses the button labelled label on the bot's newest message
// that has it, and returns the message id pressed.
func (h *harness) press(u telegramtest.User, label string) int {
	h.t.Helper()
	msgs := h.srv.Messages(u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if strings.TrimPrefix(b.Text, "✓ ") == label {
					h.srv.PressButton(u, msgs[i].ID, b.Data)
					return msgs[i].ID
				}
			}
		}
	}
	h.t.Fatalf("no button %q in the chat with %d", label, u.ID)
	return 0
}

// answerAll answers the primary-school survey from question from to
// the end, with the given A1 answer, and sends it.
func (h *harness) answerAll(u telegramtest.User, from int, a1 string) {
	h.t.Helper()
	h.answerAllSaying(u, from, a1, "")
}

// answerAllSaying is answerAll with a comment at the last question ("":
// skipped).
func (h *harness) answerAllSaying(u telegramtest.User, from int, a1, comment string) {
	h.t.Helper()
	choices := map[int]string{1: a1, 2: "Có", 3: "Không", 5: "Không", 6: "Không", 7: "Có", 8: "Có", 9: "Không biết",
		10: "4 · Hài lòng", 11: "5 · Rất hài lòng", 12: "3 · Bình thường", 13: "4 · Hài lòng", 14: "2 · Không hài lòng", 15: "5 · Rất hài lòng"}
	for i := from; i <= 16; i++ {
		h.expect(u, fmt.Sprintf("Câu %d/16", i))
		switch i {
		case 4:
			h.srv.SendText(u, "32")
		case 16:
			if comment != "" {
				h.srv.SendText(u, comment)
			} else {
				h.press(u, "Bỏ qua")
			}
		default:
			h.press(u, choices[i])
		}
	}
	h.expect(u, "xem lại câu trả lời")
	h.press(u, "✅ Gửi câu trả lời")
	h.expect(u, "✅ Đã ghi nhận")
}

func (h *harness) begin(u telegramtest.User, school, grade string) {
	h.t.Helper()
	h.srv.SendText(u, "/start "+school)
	h.expect(u, "Anh/chị có đồng ý")
	h.press(u, "✅ Đồng ý")
	h.expect(u, "học lớp nào")
	h.press(u, grade)
}

func checkAggregates(t *testing.T, db *store.DB, wave string) store.Tally {
	t.Helper()
	agg, err := db.Aggregates(wave)
	if err != nil {
		t.Fatal(err)
	}
	re, err := db.Recount(wave)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(agg, re) {
		t.Errorf("aggregates differ from a recount of the responses:\naggregates %+v\nrecount    %+v", agg, re)
	}
	return agg
}

var parent = telegramtest.User{ID: 5550001, FirstName: "Lan", LastName: "Nguyễn", Username: "lan_nguyen", LanguageCode: "vi"}

func TestSurveyEndToEnd(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 3")
	h.answerAll(parent, 1, "Có")
	h.acked()
	if cmds := h.srv.SetCommands()[""]; len(cmds) == 0 {
		t.Errorf("the command menu was not set")
	}
	// Questions were edited in place: one message carried all sixteen.
	edits := 0
	for _, m := range h.srv.Messages(parent.ID) {
		edits = max(edits, m.Edits)
	}
	if edits < 10 {
		t.Errorf("the most edited message was edited %d times; questions should be edited in place", edits)
	}
	h.stop()

	db := h.openDB()
	agg := checkAggregates(t, db, "w1")
	if got := agg.Respondents["TH-TV"]; got != 1 {
		t.Errorf("respondents at TH-TV = %d, want 1", got)
	}
	if got := agg.Counts["TH-TV"]["A4"]["32"]; got != 1 {
		t.Errorf("A4=32 counted %d times, want 1", got)
	}
	var responses []flows.Response
	if err := db.Responses("w1", func(r flows.Response) error { responses = append(responses, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(responses) != 1 || responses[0].Grade != "3" || responses[0].Answers["B6"] != "5" || len(responses[0].Answers) != 16 {
		t.Errorf("stored responses = %+v", responses)
	}
	if rows, _ := db.Pending("telegram", 10); len(rows) != 0 {
		t.Errorf("%d messages left in the outbox", len(rows))
	}
}

func TestResumeAfterRestart(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 1")
	h.expect(parent, "Câu 1/16")
	h.press(parent, "Có")
	h.expect(parent, "Câu 2/16")
	h.press(parent, "Không")
	h.expect(parent, "Câu 3/16")
	h.stop()

	h.clock.Advance(20 * time.Hour)
	h.start()
	h.srv.SendText(parent, "/start")
	if m := h.expect(parent, "hỏi tiếp từ câu 3/16"); !strings.Contains(m.Text, "Câu 3/16") {
		t.Errorf("the resumed question is not shown: %q", m.Text)
	}
	h.answerAll(parent, 3, "Có")
	h.stop()
	agg := checkAggregates(t, h.openDB(), "w1")
	if agg.Counts["TH-TV"]["A2"]["no"] != 1 || agg.Respondents["TH-TV"] != 1 {
		t.Errorf("answers from before the restart were lost: %+v", agg)
	}
}

func TestReanswerReplaces(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "TH-TV", "Lớp 2")
	h.answerAll(parent, 1, "Có")
	h.press(parent, "📝 Trả lời lại khảo sát")
	h.expect(parent, "Câu 1/16")
	msgs := h.srv.Messages(parent.ID)
	if intro := msgs[len(msgs)-2].Text; !strings.Contains(intro, "thay thế lần trước") {
		t.Errorf("answering again is not announced as replacing; intro:\n%s", intro)
	}
	h.answerAll(parent, 1, "Không")
	other := telegramtest.User{ID: 5550002, FirstName: "Minh"}
	h.begin(other, "TH-TV", "Lớp 2")
	h.answerAll(other, 1, "Có")
	h.stop()
	agg := checkAggregates(t, h.openDB(), "w1")
	if agg.Respondents["TH-TV"] != 2 {
		t.Errorf("respondents = %d, want 2 unique parents", agg.Respondents["TH-TV"])
	}
	if a1 := agg.Counts["TH-TV"]["A1"]; a1["yes"] != 1 || a1["no"] != 1 {
		t.Errorf("A1 counts = %v, want the replaced answer gone: yes 1, no 1", a1)
	}
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "MN-HN", "Nhà trẻ")
	h.expect(parent, "Câu 1/14")
	h.press(parent, "Có")
	h.expect(parent, "Câu 2/14")
	h.clock.Advance(73 * time.Hour)
	h.press(parent, "Có")
	h.expect(parent, "đã hết hạn")
	h.press(parent, "📝 Làm khảo sát")
	h.expect(parent, "Câu 1/14")
	h.stop()
}

// TestInlinePressAnsweredAlone: a press on a button of a message sent
// inline, by a user who never wrote to the bot, is answered by its
// callback alone: no message is sent to that user (Telegram would answer
// 403, or "chat not found"), and nothing is set aside as a dead letter.
func TestInlinePressAnsweredAlone(t *testing.T) {
	h := newHarness(t)
	h.start()
	stranger := telegramtest.User{ID: 5550999, FirstName: "Khách"}
	_, cb := h.srv.PressInline(stranger, "AAECAwQ", "m:s")
	if !h.srv.Wait(10*time.Second, func() bool { _, ok := h.srv.CallbackAnswers()[cb]; return ok }) {
		t.Fatal("the inline press was not answered")
	}
	if notice := h.srv.CallbackAnswers()[cb]; !strings.Contains(notice, "nhắn riêng") {
		t.Errorf("notice %q does not say to write in private", notice)
	}
	// The parent's next input is handled after the press: wait for it,
	// so that anything the press queued would have been sent by then.
	h.begin(parent, "THCS-TD", "Lớp 7")
	h.expect(parent, "Câu 1/16")
	for _, c := range h.srv.Calls() {
		if c.Params["chat_id"] == strconv.FormatInt(stranger.ID, 10) {
			t.Errorf("%s to the user of the inline press: %v", c.Method, c.Params)
		}
	}
	h.stop()
	db := h.openDB()
	defer db.Close()
	dead, err := db.DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) > 0 {
		t.Errorf("dead letters: %+v", dead)
	}
}

// TestEveryInputIsAnswered sends what parents really send, mid-survey:
// each gets an answer and the survey goes on where it was.
func TestEveryInputIsAnswered(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.begin(parent, "THCS-TD", "Lớp 7")
	h.expect(parent, "Câu 1/16")
	h.press(parent, "Có")
	q2 := h.expect(parent, "Câu 2/16")
	// Each answer differs from the one before it, so that waiting for it
	// cannot be satisfied by the previous input's.
	inputs := []struct {
		name string
		send func()
		want string
	}{
		{"text instead of a button", func() { h.srv.SendText(parent, "trường tốt lắm") }, "bấm một nút"},
		{"sticker", func() { h.srv.SendSticker(parent) }, "nhãn dán"},
		{"photo", func() { h.srv.SendPhoto(parent, "ảnh lớp học") }, "ảnh"},
		{"voice note", func() { h.srv.SendVoice(parent) }, "tin nhắn thoại"},
		{"edited message", func() { h.srv.SendEdited(parent, h.lastUserMessage(), "sửa") }, "tin nhắn đã sửa"},
		{"very long text", func() { h.srv.SendText(parent, strings.Repeat("rất dài ", 600)) }, "dài quá"},
		{"emoji", func() { h.srv.SendText(parent, "👍🏻🙏") }, "bấm một nút"},
		{"unknown command", func() { h.srv.SendText(parent, "/xyz") }, "/xyz"},
		// A press on an old message, a while after the parent's last input
		// (within seconds it is a tap again on a screen not yet changed, and
		// its notice says so), is answered in the newest copy of the
		// question, the one with buttons, at the bottom of the chat.
		{"old button", func() { h.clock.Advance(time.Minute); h.srv.PressButton(parent, q2.ID-1, "0:a:yes") }, "tin nhắn cũ"},
		{"contact", func() { h.srv.SendContact(parent, "+84900000000", parent.ID) }, "danh bạ"},
		{"forged button", func() { h.clock.Advance(time.Minute); h.srv.PressButton(parent, q2.ID, "zz:a:yes") }, "tin nhắn cũ"},
	}
	for _, in := range inputs {
		in.send()
		var got string
		if !h.srv.Wait(10*time.Second, func() bool {
			got = ""
			for _, m := range h.srv.Messages(parent.ID) {
				if m.FromBot {
					got = m.Text
				}
			}
			return strings.Contains(got, in.want) && strings.Contains(got, "Câu 2/16")
		}) {
			t.Errorf("%s: answer %q does not contain %q and the question", in.name, got, in.want)
		}
	}
	h.press(parent, "Có")
	h.expect(parent, "Câu 3/16")
	h.press(parent, "Có")
	h.expect(parent, "Câu 4/16")
	for _, bad := range []string{"0", "150", "ba mươi", "30 hay 40"} {
		h.srv.SendText(parent, bad)
		h.expect(parent, "gõ một số từ 1 đến 100")
	}
	h.srv.SendText(parent, "khoảng 38 em")
	h.expect(parent, "Câu 5/16")
	h.acked()
	// A group chat never starts a parent flow; a command there is told
	// to come to a private chat.
	h.srv.SendGroupText(-100777, "Phụ huynh lớp 7A", parent, "/start")
	h.srv.Wait(10*time.Second, func() bool { return h.srv.Activity(-100777) > 0 })
	if m, _ := h.srv.Last(-100777); !strings.Contains(m.Text, "tin nhắn riêng") {
		t.Errorf("group /start answered with %q", m.Text)
	}
	h.stop()
}

func (h *harness) lastUserMessage() int {
	msgs := h.srv.Messages(parent.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if !msgs[i].FromBot {
			return msgs[i].ID
		}
	}
	return 1
}

// TestUndecodableUpdate: an update the library cannot decode is set aside
// and the updates behind it are served.
func TestUndecodableUpdate(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.srv.SendRaw(`{"message": {"message_id": "not a number", "chat": []}}`)
	h.srv.SendText(parent, "/start TH-TV")
	h.expect(parent, "Anh/chị có đồng ý")
	h.stop()
	dead, err := h.openDB().DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || !strings.Contains(dead[0].Raw, "not a number") {
		t.Errorf("dead letters = %+v, want the undecodable update", dead)
	}
}

func TestSecondInstanceFailsFast(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.srv.SendText(parent, "/start")
	h.expect(parent, "Anh/chị có đồng ý")
	began := time.Now()
	err := h.sys().run(context.Background(), []string{"run", "--config", h.cfgPath, "--db", h.dbPath})
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("second instance: err = %v, want ErrLocked", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("second instance took %s to fail", d)
	}
	h.stop()
}

func TestRunRefusesWithoutTokenOrSecret(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HAILONG_SECRET": testSecret}, "TELEGRAM_BOT_TOKEN"},
		{map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token}, "HAILONG_SECRET"},
		{map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "HAILONG_SECRET": "short"}, "HAILONG_SECRET"},
	} {
		s := h.sys()
		s.getenv = func(k string) string { return tc.env[k] }
		err := s.run(context.Background(), []string{"run", "--config", h.cfgPath, "--db", h.dbPath})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: err = %v, want one naming %s", tc.env, err, tc.want)
		}
	}
	s := h.sys()
	s.getenv = func(k string) string {
		if k == "TELEGRAM_BOT_TOKEN" {
			return "999:wrong-token"
		}
		return testSecret
	}
	err := s.run(context.Background(), []string{"run", "--config", h.cfgPath, "--db", h.dbPath})
	if err == nil || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("a rejected token: err = %v; want an error that does not show the token", err)
	}
}

// TestDemoWebListensOnLoopbackOnly: `demo --web` serves plain http, where
// browsers keep the Secure session cookie only from localhost; another
// address is refused with why, before anything is set up.
func TestDemoWebListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.10:8080", "[::]:0", "khaosat.example:8080", "8080"} {
		var out, errs syncBuffer
		db := filepath.Join(t.TempDir(), "demo.db")
		s := &system{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errs,
			now: func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh")) }}
		// (Were it not refused, it would serve until this times out.)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := s.run(ctx, []string{"demo", "--web", "--web-listen", addr, "--db", db})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "--web-listen") || !strings.Contains(err.Error(), "only from localhost") {
			t.Errorf("--web-listen %s: %v", addr, err)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("--web-listen %s: the demo ran", addr)
		}
	}
}

func TestDemo(t *testing.T) {
	var out, errs syncBuffer
	// In a directory that does not exist yet: demo makes it.
	db := filepath.Join(t.TempDir(), "new", "demo.db")
	s := &system{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errs,
		now: func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh")) }}
	if err := s.run(context.Background(), []string{"demo", "--parents", "12", "--db", db}); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errs.String())
	}
	text := out.String()
	for _, want := range []string{"👤 /start MN-HONGNHUNG", "🤖 Câu 1/14", "✅ Đã ghi nhận", "Tất cả các trường", "13 phụ huynh đã trả lời", db,
		"👤 TRUONG THCS-", "1. ✅ Đồng ý", "👤 bo qua",
		"🤖 → hiệu trưởng 🔔 Phản ánh mới PA-000001", "⌨ [📱 Chia sẻ số điện thoại]", "🧑‍🏫 hiệu trưởng: [✔️ Đã giải quyết]",
		"🤖 → phụ huynh ✅ Phản ánh PA-000001 đã được nhà trường báo là đã giải quyết",
		// The principal opens the comments from the digest; with two parents
		// at the school none is shown (the default 60 show them and their
		// words: cmd/hailong/demo.go).
		"🧑‍🏫 hiệu trưởng: [💬 Góp ý của phụ huynh]", "Góp ý chỉ hiện khi trường có từ 5 phiếu trở lên"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("demo database: %v", err)
	}
	// It publishes the wave: twelve parents are too few for any
	// school, so every school's survey figures are withheld.
	if want := "6 schools, 6 withheld"; !strings.Contains(text, want) || !strings.Contains(text, filepath.Join(filepath.Dir(db), "cong-bo", "ket-qua-2026-2027-hk1.json")) {
		t.Errorf("the demo does not publish the wave (%q)", want)
	}
	// The digest is saved under the names the office chat gets its files
	// by (Report.FileName, TestFileNames), with the mode of every report
	// file. (Whether the chat has it yet when the demo prints depends on
	// the machine's speed: not checked here.)
	for _, name := range []string{"bao-cao-2026-11-23_2026-11-29.xlsx", "bieu-do-2026-11-23_2026-11-29.png"} {
		p := filepath.Join(filepath.Dir(db), name)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != reportMode || !strings.Contains(text, p) {
			t.Errorf("demo digest file %s: %v (%v), want it saved with mode %v and named in the output", p, fi, err, os.FileMode(reportMode))
		}
	}
}

func TestChat(t *testing.T) {
	var out syncBuffer
	db := filepath.Join(t.TempDir(), "chat.db")
	// The deep link's school is kept for the typed consent: no level or
	// school list follows.
	script := "/start TH-TRUNGVUONG\n1\n2\n1\n1\n1\n"
	s := &system{getenv: func(string) string { return "" }, stdin: strings.NewReader(script), stdout: &out, stderr: &out,
		now: func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh")) }}
	if err := s.run(context.Background(), []string{"chat", "--db", db}); err != nil {
		t.Fatalf("chat: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"1. ✅ Đồng ý", "Con anh/chị học lớp nào ở Trường Tiểu học Trưng Vương?", "Câu 2/16", "Câu 4/16", "Hoặc gõ: «Không biết» · «Quay lại»"} {
		if !strings.Contains(text, want) {
			t.Errorf("chat output lacks %q:\n%s", want, text)
		}
	}
	// The survey goes on in a later chat on the same database.
	out = syncBuffer{}
	s.stdin = strings.NewReader("/start\n")
	if err := s.run(context.Background(), []string{"chat", "--db", db}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "hỏi tiếp từ câu") {
		t.Errorf("a second chat did not resume:\n%s", out.String())
	}
}

// telegramLimits makes the next start keep the bot's default limits (the
// test config lifts them) and the fake enforce Telegram's.
func (h *harness) telegramLimits() {
	h.t.Helper()
	cfg, err := os.ReadFile(h.cfgPath)
	if err != nil {
		h.t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "  limits: {per_second: 1000, per_chat_per_second: 1000, per_chat_burst: 100, group_per_minute: 6000}\n", "", 1))
	if err := os.WriteFile(h.cfgPath, cfg, 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.srv.EnforceLimits(telegramtest.TelegramLimits)
}

// TestChatAsStaff: the terminal tries the staff's side too. A principal
// configured as chat:<name> gets a parent's complaint when they open the
// chat with that --user (not in the parent's terminal), and acts on it
// there; the parent hears of it in theirs.
func TestChatAsStaff(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.Replace(string(hailong.ExampleConfig), "    office: sadec\n    enrolment: 620\n",
		"    office: sadec\n    enrolment: 620\n    principals: [\"chat:hieutruong\"]\n", 1)
	if !strings.Contains(cfg, "chat:hieutruong") {
		t.Fatal("the example config changed: no TH-TRUNGVUONG with enrolment 620 to give a principal")
	}
	cfgPath := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, mustLoc("Asia/Ho_Chi_Minh"))
	chat := func(user, script string) string {
		var out syncBuffer
		s := &system{getenv: func(string) string { return "" }, stdin: strings.NewReader(script), stdout: &out, stderr: &out,
			now: func() time.Time { return at }}
		if err := s.run(context.Background(), []string{"chat", "--config", cfgPath, "--db", filepath.Join(dir, "h.db"), "--user", user}); err != nil {
			t.Fatalf("chat as %s: %v\n%s", user, err, out.String())
		}
		return out.String()
	}
	parent := chat("ph", "/start TH-TRUNGVUONG\n1\n2\n/phananh\n1\nCửa sổ lớp 2A bị vỡ kính từ tuần trước, rất nguy hiểm cho các cháu.\n1\n1\n1\n")
	if !strings.Contains(parent, "PA-000001") || strings.Contains(parent, "🔔 Phản ánh mới") {
		t.Fatalf("the parent's terminal:\n%s", parent)
	}
	principal := chat("hieutruong", "PA-000001\n1\n")
	if !strings.Contains(principal, "🔔 Phản ánh mới PA-000001") || !strings.Contains(principal, "Trạng thái: Đã tiếp nhận") {
		t.Errorf("the principal's terminal:\n%s", principal)
	}
	if again := chat("ph", ""); !strings.Contains(again, "nhà trường đã tiếp nhận") {
		t.Errorf("the parent was not told in their terminal:\n%s", again)
	}
}
