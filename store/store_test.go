package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"hailong/flows"
)

// wave1 is open from 2026-09-01 to 2026-12-31; every test input falls in it.
var (
	waveStart = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	waveEnd   = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	testStart = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
)

const wave = "w1"

func testEngine(tb testing.TB) *flows.Engine {
	tb.Helper()
	dir := &flows.Directory{
		Offices: []flows.Office{{ID: "o1", Name: "Phòng GDĐT thử nghiệm"}},
		Schools: []flows.School{
			{Code: "MN1", Name: "Trường Mầm non Một", Level: flows.Preschool, Office: "o1"},
			{Code: "TH1", Name: "Trường Tiểu học Một", Level: flows.Primary, Office: "o1"},
			{Code: "THCS1", Name: "Trường THCS Một", Level: flows.Lower, Office: "o1"},
		},
		Waves: []flows.Wave{{ID: wave, Title: "Học kì I", Start: waveStart, End: waveEnd}},
	}
	eng, err := flows.New(flows.Settings{
		Questionnaire:   flows.DefaultQuestionnaire(),
		Directory:       dir,
		ClassSizeCaps:   map[flows.Level]int{flows.Preschool: 35, flows.Primary: 35, flows.Lower: 45},
		SessionExpiry:   72 * time.Hour,
		RetentionMonths: 12,
		Location:        time.UTC,
	})
	if err != nil {
		tb.Fatalf("flows.New: %v", err)
	}
	return eng
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// harness drives one database through the engine as a Telegram channel
// would: typed texts and presses of the buttons the bot last sent.
type harness struct {
	tb   testing.TB
	db   *DB
	path string
	now  time.Time
	n    int // numbers message refs, callback ids and raw updates
}

func newHarness(tb testing.TB, o Options) *harness {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "hailong.db")
	if o.Engine == nil {
		o.Engine = testEngine(tb)
	}
	if o.Secret == nil && !o.LocalSecret {
		o.Secret = []byte("test secret, 32 characters long!")
	}
	if o.Logger == nil {
		o.Logger = quietLog()
	}
	db, err := Open(path, o)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return &harness{tb: tb, db: db, path: path, now: testStart}
}

// tick moves the clock on, so every input has its own time.
func (h *harness) tick() time.Time {
	h.now = h.now.Add(time.Second)
	return h.now
}

// text is a typed message (or command) of a Telegram user in a private chat,
// whose chat id is the user id.
func (h *harness) text(user, text string) flows.Envelope {
	h.n++
	return flows.Envelope{Channel: "telegram", User: user, Chat: user, Input: flows.ParseText(text, h.tick()),
		Raw: fmt.Sprintf(`{"update_id":%d,"text":%q}`, h.n, text)}
}

func (h *harness) apply(envs ...flows.Envelope) {
	h.tb.Helper()
	if err := h.db.Apply(flows.Batch{Channel: "telegram", Envelopes: envs}); err != nil {
		h.tb.Fatalf("Apply: %v", err)
	}
}

// pending is every queued row of the channel.
func (h *harness) pending(channel string) []flows.Queued {
	h.tb.Helper()
	rows, err := h.db.Pending(channel, 1<<20)
	if err != nil {
		h.tb.Fatalf("Pending: %v", err)
	}
	return rows
}

// lastMessage is the last queued message (not acknowledgement) to chat.
func (h *harness) lastMessage(chat string) (flows.Queued, bool) {
	h.tb.Helper()
	rows := h.pending("telegram")
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Chat == chat && rows[i].Kind == flows.OutMessage {
			return rows[i], true
		}
	}
	return flows.Queued{}, false
}

// findButton looks for a button by its label; a "✓ " mark of an earlier
// answer is ignored.
func findButton(r flows.Reply, label string) (flows.Button, bool) {
	for _, row := range r.Buttons {
		for _, b := range row {
			if b.Label == label || strings.TrimPrefix(b.Label, "✓ ") == label {
				return b, true
			}
		}
	}
	return flows.Button{}, false
}

func (h *harness) hasButton(user, label string) bool {
	h.tb.Helper()
	m, ok := h.lastMessage(user)
	if !ok {
		return false
	}
	_, ok = findButton(m.Reply, label)
	return ok
}

// press finds the button labelled label in the last message sent to user,
// marks that user's queued rows sent, and returns the press.
func (h *harness) press(user, label string) flows.Envelope {
	h.tb.Helper()
	m, ok := h.lastMessage(user)
	if !ok {
		h.tb.Fatalf("press %q: nothing was sent to %s", label, user)
	}
	b, ok := findButton(m.Reply, label)
	if !ok {
		h.tb.Fatalf("press %q: no such button in the last message to %s:\n%s\nbuttons: %v", label, user, m.Reply.Text, m.Reply.Buttons)
	}
	var seqs []uint64
	for _, q := range h.pending("telegram") {
		if q.Chat == user {
			seqs = append(seqs, q.Seq)
		}
	}
	if err := h.db.Done(seqs...); err != nil {
		h.tb.Fatalf("Done: %v", err)
	}
	h.n++
	return flows.Envelope{Channel: "telegram", User: user, Chat: user,
		MessageRef: "m" + strconv.FormatUint(m.Seq, 10), CallbackID: "cb" + strconv.Itoa(h.n),
		Input: flows.Input{Kind: flows.KindButton, Data: b.Data, Now: h.tick()},
		Raw:   fmt.Sprintf(`{"update_id":%d,"data":%q}`, h.n, b.Data)}
}

// answers says how a parent answers each question, by id: a button label,
// or for a number or text question a typed text ("" skips an optional
// one). A question left out gets defaultAnswer.
type answers map[string]string

func defaultAnswer(q *flows.Question) string {
	switch q.Kind {
	case flows.Choice:
		return "Có"
	case flows.Scale:
		return "4 · Hài lòng"
	case flows.Number:
		return "30"
	}
	return ""
}

// survey runs a whole survey of user at school: /start with the school's
// code, consent if asked, the grade if asked, every question, and Gửi.
func (h *harness) survey(user, school, grade string, a answers) {
	h.tb.Helper()
	h.apply(h.text(user, "/start "+school))
	if h.hasButton(user, "✅ Đồng ý") {
		h.apply(h.press(user, "✅ Đồng ý"))
	}
	if h.hasButton(user, grade) {
		h.apply(h.press(user, grade))
	}
	sc, ok := h.db.eng.Directory().School(school)
	if !ok {
		h.tb.Fatalf("no school %s", school)
	}
	for _, q := range h.db.eng.Questionnaire().For(sc.Level) {
		v, ok := a[q.ID]
		if !ok {
			v = defaultAnswer(q)
		}
		switch {
		case q.Kind == flows.Text && v == "":
			h.apply(h.press(user, "Bỏ qua"))
		case q.Kind == flows.Number || q.Kind == flows.Text:
			h.apply(h.text(user, v))
		default:
			h.apply(h.press(user, v))
		}
	}
	h.apply(h.press(user, "✅ Gửi câu trả lời"))
	m, _ := h.lastMessage(user)
	if !strings.Contains(m.Reply.Text, "Đã ghi nhận") {
		h.tb.Fatalf("survey of %s at %s was not saved; last message:\n%s", user, school, m.Reply.Text)
	}
}

func (h *harness) responses() []flows.Response {
	h.tb.Helper()
	var out []flows.Response
	if err := h.db.Responses(wave, func(r flows.Response) error { out = append(out, r); return nil }); err != nil {
		h.tb.Fatalf("Responses: %v", err)
	}
	return out
}

// tally reads the aggregates and checks they equal a recount.
func (h *harness) tally() Tally {
	h.tb.Helper()
	agg, err := h.db.Aggregates(wave)
	if err != nil {
		h.tb.Fatalf("Aggregates: %v", err)
	}
	re, err := h.db.Recount(wave)
	if err != nil {
		h.tb.Fatalf("Recount: %v", err)
	}
	if !reflect.DeepEqual(agg, re) {
		h.tb.Fatalf("Aggregates differ from Recount:\naggregates %v\nrecount    %v", agg, re)
	}
	return agg
}

// bucketLen counts the keys of a bucket.
func (h *harness) bucketLen(name []byte) int {
	h.tb.Helper()
	n := 0
	err := h.db.b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(name).ForEach(func(_, _ []byte) error { n++; return nil })
	})
	if err != nil {
		h.tb.Fatalf("count %s: %v", name, err)
	}
	return n
}

func TestSurveyStoresOneResponse(t *testing.T) {
	h := newHarness(t, Options{})
	h.survey("1001", "TH1", "Lớp 3", nil)

	rs := h.responses()
	if len(rs) != 1 {
		t.Fatalf("got %d responses, want 1", len(rs))
	}
	r := rs[0]
	if r.Wave != wave || r.School != "TH1" || r.Level != flows.Primary || r.Grade != "3" {
		t.Errorf("response is %s/%s/%s/%s, want w1/TH1/th/3", r.Wave, r.School, r.Level, r.Grade)
	}
	if r.Answers["A1"] != "yes" || r.Answers["A4"] != "30" || r.Answers["B6"] != "4" {
		t.Errorf("answers %v: want A1=yes A4=30 B6=4", r.Answers)
	}
	if _, ok := r.Buckets["C"]; ok {
		t.Errorf("a skipped comment is counted: buckets %v", r.Buckets)
	}

	tally := h.tally()
	if got := tally.Respondents; !reflect.DeepEqual(got, map[string]int{"TH1": 1}) {
		t.Errorf("respondents %v, want TH1: 1", got)
	}
	c := tally.Counts["TH1"]
	if !reflect.DeepEqual(c["A1"], map[string]int{"yes": 1}) || !reflect.DeepEqual(c["B6"], map[string]int{"4": 1}) ||
		!reflect.DeepEqual(c["A4"], map[string]int{"30": 1}) {
		t.Errorf("counts %v: want A1 yes:1, A4 30:1, B6 4:1", c)
	}
	// Primary schools are asked A5 (no third shift); 15 questions have a
	// bucket (A1-A9, B1-B6) and the skipped comment has none.
	if len(c) != 15 {
		t.Errorf("counts of %d questions, want 15: %v", len(c), c)
	}
	if n := h.bucketLen(bSessions); n != 1 {
		t.Errorf("%d sessions stored, want 1", n)
	}
}

func TestAnsweringAgainReplaces(t *testing.T) {
	h := newHarness(t, Options{})
	h.survey("1001", "TH1", "Lớp 3", nil)
	before := h.tally()
	if before.Counts["TH1"]["A1"]["yes"] != 1 {
		t.Fatalf("first survey counted A1 %v", before.Counts["TH1"]["A1"])
	}

	// The same parent, same wave and school: the school and grade are known,
	// so /start goes straight to the questions.
	h.survey("1001", "TH1", "Lớp 3", answers{"A1": "Không", "B6": "5 · Rất hài lòng", "A4": "40", "C": "Trường rất tốt"})
	if rs := h.responses(); len(rs) != 1 {
		t.Fatalf("got %d responses after answering again, want 1", len(rs))
	}
	after := h.tally()
	if got := after.Respondents["TH1"]; got != 1 {
		t.Errorf("respondents %d after answering again, want 1", got)
	}
	c := after.Counts["TH1"]
	for _, tc := range []struct {
		q    string
		want map[string]int
	}{
		{"A1", map[string]int{"no": 1}},   // yes decremented to 0 and gone
		{"B6", map[string]int{"5": 1}},    // 4 → 5
		{"A4", map[string]int{"40": 1}},   // 30 → 40
		{"C", map[string]int{"given": 1}}, // skipped → a comment, counted but not its text
		{"A2", map[string]int{"yes": 1}},  // unchanged
		{"B1", map[string]int{"4": 1}},    // unchanged
	} {
		if !reflect.DeepEqual(c[tc.q], tc.want) {
			t.Errorf("%s counts %v, want %v", tc.q, c[tc.q], tc.want)
		}
	}

	// A second parent is a second respondent.
	h.survey("1002", "TH1", "Lớp 5", nil)
	if rs := h.responses(); len(rs) != 2 {
		t.Fatalf("got %d responses with a second parent, want 2", len(rs))
	}
	two := h.tally()
	if got := two.Respondents["TH1"]; got != 2 {
		t.Errorf("respondents %d with a second parent, want 2", got)
	}
	if got := two.Counts["TH1"]["A1"]; !reflect.DeepEqual(got, map[string]int{"no": 1, "yes": 1}) {
		t.Errorf("A1 counts %v, want no:1 yes:1", got)
	}
}

func TestNothingStoredBeforeConsent(t *testing.T) {
	h := newHarness(t, Options{})
	h.apply(h.text("2001", "/start TH1"))
	h.apply(h.press("2001", "Không đồng ý"))
	h.apply(h.text("2001", "xin chào"))

	if n := h.bucketLen(bSessions); n != 0 {
		t.Errorf("%d sessions stored before consent, want 0", n)
	}
	if n := h.bucketLen(bResponses); n != 0 {
		t.Errorf("%d responses stored before consent, want 0", n)
	}
	if n := h.bucketLen(bAggs); n != 0 {
		t.Errorf("%d aggregates stored before consent, want 0", n)
	}
	if s, err := h.db.Session("telegram", "2001"); err != nil || s != nil {
		t.Errorf("Session = %v, %v; want nil, nil", s, err)
	}
	rows := h.pending("telegram")
	if len(rows) == 0 {
		t.Fatal("no outbox rows: the refusal and the prompts must still be sent")
	}
	refused := false
	for _, r := range rows {
		refused = refused || strings.Contains(r.Reply.Text, "Anh/chị đã không đồng ý")
	}
	if !refused {
		t.Errorf("no refusal message queued; rows: %+v", rows)
	}
}

func TestOutboxOrderDoneFail(t *testing.T) {
	h := newHarness(t, Options{})
	// Several batches from different users and a second channel.
	var chats []string
	for i := range 5 {
		user := strconv.Itoa(3001 + i)
		h.apply(h.text(user, "/start"))
		chats = append(chats, user)
		other := h.text(user, "/start")
		other.Channel = "chat"
		if err := h.db.Apply(flows.Batch{Channel: "chat", Envelopes: []flows.Envelope{other}}); err != nil {
			t.Fatalf("Apply chat: %v", err)
		}
	}
	rows := h.pending("telegram")
	if len(rows) != 5 {
		t.Fatalf("%d telegram rows, want 5 (one consent prompt each)", len(rows))
	}
	for i, r := range rows {
		if r.Channel != "telegram" {
			t.Errorf("Pending(telegram) returned a row of %q", r.Channel)
		}
		if r.Chat != chats[i] {
			t.Errorf("row %d is to %s, want %s: rows out of commit order", i, r.Chat, chats[i])
		}
		if i > 0 && r.Seq <= rows[i-1].Seq {
			t.Errorf("row %d seq %d after seq %d", i, r.Seq, rows[i-1].Seq)
		}
	}
	if got := h.pending("chat"); len(got) != 5 || got[0].Channel != "chat" {
		t.Errorf("Pending(chat) = %d rows, want 5 of channel chat", len(got))
	}
	if got, err := h.db.Pending("telegram", 2); err != nil || len(got) != 2 || got[0].Seq != rows[0].Seq {
		t.Errorf("Pending with limit 2 = %v, %v; want the first 2 rows", got, err)
	}

	if err := h.db.Done(rows[0].Seq, rows[1].Seq); err != nil {
		t.Fatalf("Done: %v", err)
	}
	left := h.pending("telegram")
	if len(left) != 3 || left[0].Seq != rows[2].Seq {
		t.Fatalf("after Done of 2: %d rows starting at %d, want 3 starting at %d", len(left), left[0].Seq, rows[2].Seq)
	}

	failedAt := h.tick()
	if err := h.db.Fail(left[0], "chat not found (400)", failedAt); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	if got := h.pending("telegram"); len(got) != 2 || got[0].Seq != rows[3].Seq {
		t.Errorf("after Fail: %d rows, want 2 starting at %d", len(got), rows[3].Seq)
	}
	dead, err := h.db.DeadLetters()
	if err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	d := dead[0]
	if d.Reason != "chat not found (400)" || d.Channel != "telegram" || !d.At.Equal(failedAt) {
		t.Errorf("dead letter %+v: want reason, channel telegram and the time of failure", d)
	}
	var raw flows.Outgoing
	if err := json.Unmarshal([]byte(d.Raw), &raw); err != nil || raw.Chat != rows[2].Chat || raw.Reply.Text != rows[2].Reply.Text {
		t.Errorf("dead letter raw %q (%v): want the failed row as JSON", d.Raw, err)
	}
	// Nothing else moved.
	if got := h.pending("chat"); len(got) != 5 {
		t.Errorf("Pending(chat) = %d rows after telegram Done/Fail, want 5", len(got))
	}
}

func TestApplyCursorAndDead(t *testing.T) {
	h := newHarness(t, Options{})
	if off, at, err := h.db.Cursor("telegram"); err != nil || off != 0 || !at.IsZero() {
		t.Fatalf("Cursor of a new database = %d, %v, %v; want 0, zero time, nil", off, at, err)
	}
	before := time.Now()
	undecodable := flows.Dead{Channel: "telegram", Raw: `{"update_id":7,"weird":`, Reason: "decode update: unexpected EOF", At: h.tick()}
	err := h.db.Apply(flows.Batch{Channel: "telegram", Envelopes: []flows.Envelope{h.text("4001", "/start")},
		Dead: []flows.Dead{undecodable}, Cursor: 8})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	off, at, err := h.db.Cursor("telegram")
	if err != nil || off != 8 {
		t.Fatalf("Cursor = %d, %v; want 8", off, err)
	}
	if at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("cursor stored at %v, want about now (%v)", at, before)
	}
	// A batch with no cursor leaves it; another channel's is its own.
	h.apply(h.text("4001", "hello"))
	if off, _, _ := h.db.Cursor("telegram"); off != 8 {
		t.Errorf("cursor %d after a batch without one, want 8", off)
	}
	if off, _, _ := h.db.Cursor("zalo"); off != 0 {
		t.Errorf("cursor of another channel %d, want 0", off)
	}
	dead, err := h.db.DeadLetters()
	if err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	if len(dead) != 1 || dead[0].Raw != undecodable.Raw || dead[0].Reason != undecodable.Reason ||
		!dead[0].At.Equal(undecodable.At) {
		t.Errorf("dead letters %+v, want %+v", dead, undecodable)
	}
}

// TestApplyCorruptSession checks that a stored session that no longer
// decodes costs only its own input: it becomes a dead letter, its sender
// gets the apology, and the rest of the batch is applied.
func TestApplyCorruptSession(t *testing.T) {
	h := newHarness(t, Options{})
	h.apply(h.text("5001", "/start TH1"))
	h.apply(h.press("5001", "✅ Đồng ý")) // 5001 now waits at the grade prompt

	key := flows.RespondentKey(h.db.secret, "telegram", "5002")
	err := h.db.b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bSessions).Put(key[:], []byte(`{"consent": {"at": 12`))
	})
	if err != nil {
		t.Fatalf("write garbage session: %v", err)
	}

	good := h.press("5001", "Lớp 2")
	broken := flows.Envelope{Channel: "telegram", User: "5002", Chat: "5002", MessageRef: "m77", CallbackID: "cb-broken",
		Input: flows.Input{Kind: flows.KindButton, Data: "3:a:yes", Now: h.tick()},
		Raw:   `{"update_id":4242,"callback_query":{"id":"cb-broken","data":"3:a:yes"}}`}
	other := h.text("5003", "/start")
	if err := h.db.Apply(flows.Batch{Channel: "telegram", Envelopes: []flows.Envelope{good, broken, other}, Cursor: 4243}); err != nil {
		t.Fatalf("Apply: %v (one bad session must not fail the batch)", err)
	}

	// The other envelopes are applied, and so is the cursor.
	s, err := h.db.Session("telegram", "5001")
	if err != nil || s == nil || s.Grade != "2" || s.Step != flows.StepQuestion {
		t.Errorf("session of 5001 = %+v, %v; want grade 2 at the questions", s, err)
	}
	to := map[string][]flows.Queued{}
	for _, q := range h.pending("telegram") {
		to[q.Chat] = append(to[q.Chat], q)
	}
	if len(to["5001"]) == 0 || len(to["5003"]) == 0 {
		t.Errorf("rows to 5001: %d, to 5003: %d; want both answered", len(to["5001"]), len(to["5003"]))
	}
	if off, _, _ := h.db.Cursor("telegram"); off != 4243 {
		t.Errorf("cursor %d, want 4243", off)
	}
	// The damaged record is gone, so the parent's next message starts
	// afresh instead of failing forever; the dead letter says why.
	err = h.db.b.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bSessions).Get(key[:]); v != nil {
			t.Errorf("damaged session is still there: %q", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	dead, err := h.db.DeadLetters()
	if err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1 for the corrupt session", len(dead))
	}
	if dead[0].Raw != broken.Raw || dead[0].Channel != "telegram" || !strings.Contains(dead[0].Reason, "does not decode") {
		t.Errorf("dead letter %+v: want the raw update and a reason saying the session does not decode", dead[0])
	}
	var ack, apology bool
	for _, q := range to["5002"] {
		ack = ack || (q.Kind == flows.OutAck && q.CallbackID == "cb-broken")
		apology = apology || (q.Kind == flows.OutMessage && q.Reply.Text == flows.ErrorText())
	}
	if !ack || !apology {
		t.Errorf("rows to 5002 %+v: want the press acknowledged and the apology", to["5002"])
	}
}

func TestChangedClosedWhenRowsQueued(t *testing.T) {
	h := newHarness(t, Options{})
	ch := h.db.Changed()

	// A group message that is not a command gets no answer.
	quiet := h.text("6001", "chào cả nhà")
	quiet.Chat, quiet.Input.Group = "-1006001", true
	h.apply(quiet)
	select {
	case <-ch:
		t.Fatal("Changed closed by a commit that queued nothing")
	default:
	}

	h.apply(h.text("6001", "/start"))
	select {
	case <-ch:
	default:
		t.Fatal("Changed not closed after a commit that queued rows")
	}
	next := h.db.Changed()
	select {
	case <-next:
		t.Fatal("the next Changed channel is already closed")
	default:
	}
}

func TestOpenLocked(t *testing.T) {
	h := newHarness(t, Options{})
	start := time.Now()
	db2, err := Open(h.path, Options{LockTimeout: 100 * time.Millisecond, Secret: []byte("x"), Logger: quietLog()})
	took := time.Since(start)
	if err == nil {
		db2.Close()
		t.Fatal("a second Open of a database in use succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("second Open: %v; want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), h.path) {
		t.Errorf("error %q does not name the file", err)
	}
	if took > 3*time.Second {
		t.Errorf("second Open took %v with a 100ms lock timeout", took)
	}

	// Once the first lets go, the file opens.
	h.db.Close()
	db3, err := Open(h.path, Options{LockTimeout: 100 * time.Millisecond, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	db3.Close()
}

func TestLocalSecretKeptAcrossOpens(t *testing.T) {
	h := newHarness(t, Options{LocalSecret: true})
	secret := append([]byte(nil), h.db.secret...)
	if len(secret) != 32 {
		t.Fatalf("local secret of %d bytes, want 32", len(secret))
	}
	h.apply(h.text("7001", "/start TH1"))
	h.apply(h.press("7001", "✅ Đồng ý"))
	h.apply(h.press("7001", "Lớp 4"))
	before, err := h.db.Session("telegram", "7001")
	if err != nil || before == nil || before.School != "TH1" || before.Grade != "4" {
		t.Fatalf("Session before reopen = %+v, %v; want TH1, grade 4", before, err)
	}
	eng := h.db.eng
	if err := h.db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db, err := Open(h.path, Options{Engine: eng, LocalSecret: true, Logger: quietLog()})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	h.db = db
	if !bytes.Equal(db.secret, secret) {
		t.Fatal("the local secret changed on reopen: every parent would become a new respondent")
	}
	after, err := db.Session("telegram", "7001")
	if err != nil || !reflect.DeepEqual(before, after) {
		t.Fatalf("Session after reopen = %+v, %v; want %+v", after, err, before)
	}
	if s, err := db.Session("telegram", "7002"); err != nil || s != nil {
		t.Errorf("Session of a stranger = %+v, %v; want nil", s, err)
	}
	if s, err := db.Session("chat", "7001"); err != nil || s != nil {
		t.Errorf("Session of the same id on another channel = %+v, %v; want nil", s, err)
	}

	// The parent carries on where they were, without consenting again.
	h.apply(h.text("7001", "/start"))
	resumed := false
	for _, q := range h.pending("telegram") {
		if q.Chat != "7001" {
			continue
		}
		if _, ok := findButton(q.Reply, "✅ Đồng ý"); ok {
			t.Error("asked for consent again after reopen")
		}
		resumed = resumed || strings.Contains(q.Reply.Text, "Chào mừng anh/chị trở lại")
	}
	if !resumed {
		t.Error("the survey did not resume after reopen")
	}
}

func TestFileHoldsNoTelegramID(t *testing.T) {
	const id = "987654321"
	h := newHarness(t, Options{})
	h.survey(id, "THCS1", "Lớp 7", answers{"C": "Con tôi rất thích trường"})
	h.survey(id, "THCS1", "Lớp 7", answers{"A1": "Không"})
	// Outbox rows do carry the chat id, which for a private chat is the
	// user id: the sender needs it to deliver them, and removes each row
	// once sent. Mark them all sent, as the sender would, before looking.
	var seqs []uint64
	for _, q := range h.pending("telegram") {
		seqs = append(seqs, q.Seq)
	}
	if err := h.db.Done(seqs...); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if dead, _ := h.db.DeadLetters(); len(dead) != 0 {
		t.Fatalf("unexpected dead letters: %+v", dead)
	}
	// What the database holds, every key and value of every bucket.
	err := h.db.b.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if bytes.Contains(k, []byte(id)) || bytes.Contains(v, []byte(id)) {
					t.Errorf("bucket %s holds the raw Telegram id: key %q value %q", name, k, v)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	data, err := os.ReadFile(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("THCS1")) {
		t.Fatal("the file does not hold the response: the test is reading the wrong file")
	}
	if i := bytes.Index(data, []byte(id)); i >= 0 {
		lo, hi := max(0, i-80), min(len(data), i+80)
		t.Errorf("the database file holds the raw Telegram id at offset %d: %q", i, data[lo:hi])
	}
}

// BenchmarkApplyBatch100 applies batches of 100 inputs, one each from 100
// parents in the middle of a survey, each batch in one transaction (with
// its fsync). The parents alternate between answering question 1 ("Có")
// and going back to it ("Quay lại"), so every input loads and saves a
// session and queues a message.
func BenchmarkApplyBatch100(b *testing.B) {
	h := newHarness(b, Options{})
	users := make([]string, 100)
	for i := range users {
		users[i] = strconv.Itoa(800000 + i)
	}
	step := func(f func(user string) flows.Envelope) {
		envs := make([]flows.Envelope, len(users))
		for i, u := range users {
			envs[i] = f(u)
		}
		h.apply(envs...)
	}
	step(func(u string) flows.Envelope { return h.text(u, "/start TH1") })
	step(func(u string) flows.Envelope { return h.press(u, "✅ Đồng ý") })
	step(func(u string) flows.Envelope { return h.press(u, "Lớp 1") })
	var seqs []uint64
	for _, q := range h.pending("telegram") {
		seqs = append(seqs, q.Seq)
	}
	if err := h.db.Done(seqs...); err != nil {
		b.Fatal(err)
	}

	var batches [2]flows.Batch
	for k, text := range []string{"Có", "Quay lại"} {
		batches[k].Channel = "telegram"
		for _, u := range users {
			batches[k].Envelopes = append(batches[k].Envelopes, h.text(u, text))
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := h.db.Apply(batches[n%2]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n*len(users))/b.Elapsed().Seconds(), "updates/s")

	s, err := h.db.Session("telegram", users[0])
	if err != nil || s == nil || s.Step != flows.StepQuestion || s.Q != n%2 {
		b.Fatalf("after %d batches the parent is at %+v, %v; want question %d", n, s, err, n%2+1)
	}
}

// TestWrongSecretRefused: opened with another secret the database refuses,
// naming the cause, and changes nothing: with the right one the queued
// replies are all there.
func TestWrongSecretRefused(t *testing.T) {
	h := newHarness(t, Options{})
	h.apply(h.text("77", "/start"))
	before := len(h.pending("telegram"))
	if before == 0 {
		t.Fatal("nothing queued")
	}
	h.db.Close()
	db, err := Open(h.path, Options{Secret: []byte("another secret of 32 characters!"), Logger: quietLog()})
	if err == nil {
		db.Close()
		t.Fatal("a database opened with another secret")
	}
	if !errors.Is(err, ErrWrongSecret) || !strings.Contains(err.Error(), "HAILONG_SECRET") {
		t.Errorf("error %q", err)
	}
	h.db, err = Open(h.path, Options{Engine: h.db.eng, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(h.pending("telegram")); got != before {
		t.Errorf("%d rows queued after the refused open; want %d", got, before)
	}
	// A tool run without the secret is told to set it, and writes no
	// local secret into the file.
	h.db.Close()
	for _, ro := range []bool{false, true} {
		if db, err := Open(h.path, Options{LocalSecret: true, ReadOnly: ro, Logger: quietLog()}); !errors.Is(err, ErrNoSecret) {
			if err == nil {
				db.Close()
			}
			t.Errorf("opened without the secret (read-only %v): %v, want ErrNoSecret", ro, err)
		}
	}
	h.db, err = Open(h.path, Options{Engine: h.db.eng, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	// A database of before the check value: the first secret to open it
	// must open what it sealed before it is recorded; none at all writes
	// no local secret.
	if err := h.db.b.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bMeta).Delete([]byte("secret_check")) }); err != nil {
		t.Fatal(err)
	}
	eng := h.db.eng
	h.db.Close()
	if db, err := Open(h.path, Options{Secret: []byte("another secret of 32 characters!"), Logger: quietLog()}); !errors.Is(err, ErrWrongSecret) {
		if err == nil {
			db.Close()
		}
		t.Errorf("a database of before the check opened with another secret: %v", err)
	}
	if db, err := Open(h.path, Options{LocalSecret: true, Logger: quietLog()}); !errors.Is(err, ErrNoSecret) {
		if err == nil {
			db.Close()
		}
		t.Errorf("a database of before the check opened without a secret: %v", err)
	}
	h.db, err = Open(h.path, Options{Engine: eng, Secret: []byte("test secret, 32 characters long!"), Logger: quietLog()})
	if err != nil {
		t.Fatalf("the right secret: %v", err)
	}
	var local []byte
	h.db.b.View(func(tx *bbolt.Tx) error { local = tx.Bucket(bMeta).Get([]byte("local_secret")); return nil })
	if local != nil {
		t.Error("a local secret was written into a database of HAILONG_SECRET")
	}
}

// TestWeakSecretOpensOnlyItsDatabase: a secret marked weak opens a
// database already written with it (its check value, or sealed records
// of before the check) and no other: not an empty one, where it would
// become the secret of a new database.
func TestWeakSecretOpensOnlyItsDatabase(t *testing.T) {
	weak := []byte("test secret, 32 characters long!")
	h := newHarness(t, Options{Secret: weak})
	h.apply(h.text("77", "/start"))
	eng := h.db.eng
	h.db.Close()
	db, err := Open(h.path, Options{Engine: eng, Secret: weak, Weak: true, Logger: quietLog()})
	if err != nil {
		t.Fatalf("the database written with the weak secret: %v", err)
	}
	// Before the check value: what it sealed must open.
	if err := db.b.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bMeta).Delete([]byte("secret_check")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(h.path, Options{Engine: eng, Secret: weak, Weak: true, Logger: quietLog()}); err != nil {
		t.Fatalf("a database of before the check written with the weak secret: %v", err)
	}
	db.Close()
	empty := filepath.Join(t.TempDir(), "empty.db")
	if db, err := Open(empty, Options{Secret: weak, Weak: true, Logger: quietLog()}); !errors.Is(err, ErrWeakSecret) {
		if err == nil {
			db.Close()
		}
		t.Errorf("a new database with a weak secret: %v, want ErrWeakSecret", err)
	}
}

// TestOpenMissingDirNamesThePathOnce: bbolt's error names the file
// already; Open does not wrap it in a second "open …" (issue 18, item 10).
func TestOpenMissingDirNamesThePathOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none", "x.db")
	_, err := Open(path, Options{LocalSecret: true})
	if err == nil || strings.Count(err.Error(), path) != 1 {
		t.Errorf("Open in a missing directory: %v", err)
	}
}
