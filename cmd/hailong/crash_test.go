package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/outbox"
	"hailong/store"
)

// The crash test's knobs. HAILONG_CRASH_SEED replays a run's random
// choices (kill moments, think times); the interleaving with the
// scheduler still varies.
const (
	crashParents  = 40
	crashMinKills = 20
	crashSecret   = "8W7q/0gux9EVvYmWDTaqJ6Ekof9j3uQeiHGyf1N8M0U="
	crashTimeout  = 120 * time.Second
	// crashStall is how long a parent waits for the bot's next message
	// before sending /start again, as a real parent would; after
	// crashGiveUp such retries the parent gives up (a bot that loses
	// nothing needs none).
	crashStall  = 4 * time.Second
	crashGiveUp = 5
)

// TestCrashKill9 runs the real binary against the fake Telegram while 40
// parents answer the survey at once, kills it with SIGKILL at 20 or more
// random moments and restarts it, then checks that every survey a parent
// was told was saved is stored exactly once, that the aggregates equal a
// recount and that the outbox was drained. It measures, without failing
// on them, the messages Telegram got twice (at-least-once delivery).
func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it 20 times")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the binary: %v", err)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("HAILONG_CRASH_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("HAILONG_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with HAILONG_CRASH_SEED=%d)", seed, seed)

	dir := t.TempDir()
	bin := filepath.Join(dir, "hailong")
	build := exec.Command(goCmd, "build", "-o", bin, ".")
	build.Env = os.Environ()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	srv := telegramtest.NewServer()
	t.Cleanup(srv.Close)
	cfgPath, dbPath, logPath := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "hailong.db"), filepath.Join(dir, "hailong.log")
	cfgText := crashConfig(srv.Endpoint(), time.Now())
	if !crashWave.MatchString(cfgText) {
		t.Fatalf("testConfig has no wave w1 to move around today:\n%s", cfgText)
	}
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logFile.Close()
		if t.Failed() {
			t.Logf("the bot's log (%s):\n%s", logPath, crashTail(logPath, 64<<10))
		}
	})
	proc := &crashProc{t: t, bin: bin, log: logFile,
		args: []string{"run", "--config", cfgPath, "--db", dbPath},
		env:  append(os.Environ(), "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "HAILONG_SECRET="+crashSecret)}
	t.Cleanup(proc.cleanup)

	parents := make([]*crashParent, crashParents)
	for i := range parents {
		a1 := "Có"
		if i%3 == 0 {
			a1 = "Không"
		}
		parents[i] = &crashParent{
			u:     telegramtest.User{ID: 8100001 + int64(i), FirstName: "Phụ huynh " + strconv.Itoa(i+1), LanguageCode: "vi"},
			grade: "Lớp " + strconv.Itoa(1+i%5), a1: a1, a4: 20 + i,
			rng: rand.New(rand.NewPCG(seed, uint64(i)+1)),
		}
	}
	totalActivity := func() int {
		n := 0
		for _, p := range parents {
			n += srv.Activity(p.u.ID)
		}
		return n
	}

	proc.start()
	// The principals and the office chat write first, as in production,
	// so that whatever the bot tells staff can be delivered.
	for _, p := range []telegramtest.User{principalTV, principalTD} {
		srv.SendText(p, "/start")
	}
	srv.SendGroupText(officeChat, "Phòng GDĐT Sa Đéc", staffMember, "/danhsach")
	for _, chat := range []int64{principalTV.ID, principalTD.ID, officeChat} {
		if !srv.Wait(10*time.Second, func() bool { return srv.Activity(chat) > 0 }) {
			t.Fatalf("the bot did not answer chat %d", chat)
		}
	}

	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), crashTimeout)
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	var remaining atomic.Int32
	remaining.Store(crashParents)
	allDone := make(chan struct{})
	for _, p := range parents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if remaining.Add(-1) == 0 {
					close(allDone)
				}
			}()
			// Parents arrive over the first seconds, as after a
			// poster goes up, so that the load outlasts the kills.
			if !outbox.Sleep(ctx, time.Duration(p.rng.IntN(4000))*time.Millisecond) {
				p.err = ctx.Err()
				return
			}
			p.err = p.run(ctx, srv)
		}()
	}
	finished := func() bool {
		select {
		case <-allDone:
			return true
		default:
			return false
		}
	}

	// Kill at random moments until the parents are done and at least
	// crashMinKills kills happened, each after the instance made progress.
	killRNG := rand.New(rand.NewPCG(seed, 0))
	kills, underLoad := 0, 0
	for kills < crashMinKills || !finished() {
		base := totalActivity()
		delay := time.Duration(100+killRNG.IntN(501)) * time.Millisecond
		select {
		case err := <-proc.done:
			t.Fatalf("instance %d exited by itself after %d kills: %v", proc.starts, kills, err)
		case <-ctx.Done():
			t.Fatalf("the parents were not done within %s (%d kills, %d parents left)", crashTimeout, kills, remaining.Load())
		case <-time.After(delay):
		}
		load := !finished()
		if load && !srv.Wait(20*time.Second, func() bool { return totalActivity() > base || finished() }) {
			t.Fatalf("instance %d delivered nothing in 20s after %d kills (%d parents left)", proc.starts, kills, remaining.Load())
		}
		proc.kill()
		kills++
		if load {
			underLoad++
		}
		proc.start()
	}
	wg.Wait()
	loadTime := time.Since(began)
	// A parent who gave up is a failure, but the database is still
	// checked: what they were told must hold all the same.
	for _, p := range parents {
		if p.err != nil {
			t.Errorf("parent %d: %v", p.u.ID, p.err)
		}
	}

	// Let the last instance drain: no update waiting and no call but
	// getUpdates for a moment (retries of a failing send count as calls).
	quiet, calls := time.Now(), -1
	for drainEnd := time.Now().Add(15 * time.Second); time.Now().Before(drainEnd); time.Sleep(100 * time.Millisecond) {
		n := 0
		for _, c := range srv.Calls() {
			if !strings.EqualFold(c.Method, "getUpdates") {
				n++
			}
		}
		if n != calls || srv.Pending() > 0 {
			quiet, calls = time.Now(), n
		} else if time.Since(quiet) > 700*time.Millisecond {
			break
		}
	}
	proc.terminate()

	// What the database holds.
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cfg.engine()
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dbPath, store.Options{Engine: eng, Secret: []byte(crashSecret)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	told := 0
	byA4 := map[string]*crashParent{} // A4 is each parent's own number
	for _, p := range parents {
		byA4[strconv.Itoa(p.a4)] = p
		if p.saved {
			told++
		}
	}
	var responses []flows.Response
	if err := db.Responses("w1", func(r flows.Response) error { responses = append(responses, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(responses) != told {
		t.Errorf("%d responses stored for %d parents told their answers were saved", len(responses), told)
	}
	stored := map[string]int{}
	for _, r := range responses {
		a4 := r.Answers["A4"]
		stored[a4]++
		p := byA4[a4]
		switch {
		case p == nil:
			t.Errorf("a stored response belongs to no parent: %+v", r)
		case !p.saved:
			t.Errorf("parent %d's response is stored, but the bot never told them so (the thank-you is committed with it)", p.u.ID)
		case r.School != "TH-TV" || "Lớp "+r.Grade != p.grade || len(r.Answers) != 16 || r.Answers["A1"] != crashA1[p.a1]:
			t.Errorf("parent %d's stored response does not match the answers given (grade %s, A1 %s): %+v", p.u.ID, p.grade, p.a1, r)
		}
	}
	for a4, p := range byA4 {
		if !p.saved {
			continue
		}
		if stored[a4] != 1 {
			t.Errorf("parent %d was told saved; responses stored with their answers: %d, want 1", p.u.ID, stored[a4])
		}
		s, err := db.Session("telegram", strconv.FormatInt(p.u.ID, 10))
		if err != nil || s == nil {
			t.Errorf("parent %d's session: %v, %v", p.u.ID, s, err)
		} else if _, ok := s.Done["w1/TH-TV"]; !ok {
			t.Errorf("parent %d was told saved but their session does not record the wave as done: %+v", p.u.ID, s.Done)
		}
	}
	agg := checkAggregates(t, db, "w1")
	if got := agg.Respondents["TH-TV"]; got != told {
		t.Errorf("respondents at TH-TV = %d, want %d", got, told)
	}
	if rows, err := db.Pending("telegram", 1000); err != nil || len(rows) != 0 {
		t.Errorf("outbox after the drain: %d rows (%v); every committed message should have been delivered or set aside", len(rows), err)
	}
	dead, err := db.DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dead {
		t.Logf("dead letter: %s: %.160s", d.Reason, d.Raw)
	}

	// Duplicates: what the fake got twice.
	inputs := map[int64][]time.Time{}
	retries := 0
	for _, p := range parents {
		inputs[p.u.ID] = p.inputs
		retries += p.retries
	}
	d := crashDuplicates(srv.Calls(), inputs)
	perMille := func(n int) float64 { return 1000 * float64(n) / float64(max(1, d.delivered)) }
	t.Logf("%d parents told saved in %s; %d kills (%d while parents were answering), %d instances; %d /start retries by parents (each an input left unanswered for %s); %d dead letters",
		told, loadTime.Round(time.Millisecond), kills, underLoad, proc.starts, retries, crashStall, len(dead))
	t.Logf("delivered %d messages (%d sendMessage, %d edits) and %d callback answers",
		d.delivered, d.sends, d.delivered-d.sends, d.acks)
	t.Logf("duplicates with no parent input in between: %d (%.2f per 1,000 delivered): %d messages shown twice, %d edits repeated (\"not modified\"), plus %d callback answers repeated",
		d.strictSends+d.strictEdits, perMille(d.strictSends+d.strictEdits), d.strictSends, d.strictEdits, d.ackRepeats)
	t.Logf("identical repeats whatever came in between: %d (%.2f per 1,000): %d messages, %d edits",
		d.looseSends+d.looseEdits, perMille(d.looseSends+d.looseEdits), d.looseSends, d.looseEdits)
}

// crashWave finds the dates of testConfig's wave w1.
var crashWave = regexp.MustCompile(`(id: w1,[^}\n]*)start: [0-9-]+, end: [0-9-]+`)

// crashConfig is testConfig with the survey wave w1 moved around today:
// the subprocess runs on the real clock.
func crashConfig(endpoint string, now time.Time) string {
	today := now.In(mustLoc("Asia/Ho_Chi_Minh"))
	return crashWave.ReplaceAllString(testConfig(endpoint), fmt.Sprintf("${1}start: %s, end: %s",
		today.AddDate(0, 0, -30).Format(time.DateOnly), today.AddDate(0, 0, 30).Format(time.DateOnly)))
}

// crashProc is the bot under test, one subprocess at a time.
type crashProc struct {
	t    *testing.T
	bin  string
	args []string
	env  []string
	log  *os.File

	cmd    *exec.Cmd
	done   chan error
	starts int
}

func (p *crashProc) start() {
	p.t.Helper()
	p.starts++
	fmt.Fprintf(p.log, "=== crash test: starting instance %d at %s\n", p.starts, time.Now().Format(time.StampMilli))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, p.log, p.log
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start instance %d: %v", p.starts, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	p.cmd, p.done = cmd, done
}

// kill sends SIGKILL and waits for the process to be gone, so that its
// lock on the database is released.
func (p *crashProc) kill() {
	p.t.Helper()
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("instance %d did not die within 10s of SIGKILL", p.starts)
	}
	fmt.Fprintf(p.log, "=== crash test: killed instance %d at %s\n", p.starts, time.Now().Format(time.StampMilli))
	p.cmd = nil
}

// terminate stops the instance as systemd would and requires a clean exit.
func (p *crashProc) terminate() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case err := <-p.done:
		p.cmd = nil
		if err != nil {
			p.t.Fatalf("instance %d exited with %v after SIGTERM, want a clean exit", p.starts, err)
		}
	case <-time.After(5 * time.Second):
		p.t.Fatalf("instance %d did not exit within 5s of SIGTERM", p.starts)
	}
}

func (p *crashProc) cleanup() {
	if p.cmd != nil {
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
		p.cmd = nil
	}
}

func crashTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(data) > n {
		data = data[len(data)-n:]
		if i := strings.IndexByte(string(data), '\n'); i >= 0 {
			data = data[i+1:]
		}
		return "…\n" + string(data)
	}
	return string(data)
}

// crashParent answers the primary-school survey by reading the bot's last
// message and acting on it, the way answerAll does, but without knowing
// when the bot is down.
type crashParent struct {
	u         telegramtest.User
	grade, a1 string
	a4        int
	rng       *rand.Rand

	inputs    []time.Time // when each input was sent
	consented bool        // the grade prompt or a question was seen
	saved     bool        // the bot said ✅ Đã ghi nhận
	retries   int
	err       error
}

var (
	crashQuestion = regexp.MustCompile(`Câu (\d+)/16`)
	crashChoices  = map[int]string{2: "Có", 3: "Không", 5: "Không", 6: "Không", 7: "Có", 8: "Có", 9: "Không biết",
		10: "4 · Hài lòng", 11: "5 · Rất hài lòng", 12: "3 · Bình thường", 13: "4 · Hài lòng", 14: "2 · Không hài lòng", 15: "5 · Rất hài lòng"}
	crashA1 = map[string]string{"Có": "yes", "Không": "no"}
)

const crashSaved = "✅ Đã ghi nhận"

// crashKey identifies what a parent sees as the bot's last message.
type crashKey struct {
	id, edits int
	text      string
}

func crashKeyOf(m telegramtest.Message) crashKey { return crashKey{m.ID, m.Edits, m.Text} }

func (p *crashParent) run(ctx context.Context, srv *telegramtest.Server) error {
	p.send(srv, "/start TH-TV")
	var acted crashKey
	for {
		if ctx.Err() != nil || p.retries >= crashGiveUp {
			m, _ := srv.Last(p.u.ID)
			return fmt.Errorf("never told saved (gave up after %d times %s without an answer, each followed by /start); the bot's last message:\n%s", p.retries, crashStall, m.Text)
		}
		m, ok := srv.Last(p.u.ID)
		if ok && strings.Contains(m.Text, crashSaved) {
			p.saved = true
			return nil
		}
		k := crashKeyOf(m)
		if ok && k != acted && p.act(ctx, srv, m) {
			acted = k
		}
		changed := srv.Wait(crashStall, func() bool {
			m, _ := srv.Last(p.u.ID)
			return crashKeyOf(m) != k || ctx.Err() != nil
		})
		if changed || ctx.Err() != nil {
			continue
		}
		// Nothing came: the bot was told saved earlier, or is slow, or
		// lost something. A real parent sends /start, which resumes.
		for _, m := range srv.Messages(p.u.ID) {
			if m.FromBot && strings.Contains(m.Text, crashSaved) {
				p.saved = true
				return nil
			}
		}
		p.retries++
		if p.consented {
			p.send(srv, "/start")
		} else {
			p.send(srv, "/start TH-TV")
		}
	}
}

// act answers the message m shows, after a moment's thought; false when m
// asks for nothing this parent can do.
func (p *crashParent) act(ctx context.Context, srv *telegramtest.Server, m telegramtest.Message) bool {
	var label, typed string
	own := false // the button must be on m itself
	switch {
	case strings.Contains(m.Text, "xem lại câu trả lời"):
		label, own = "✅ Gửi câu trả lời", true
	case crashQuestion.MatchString(m.Text):
		p.consented = true
		n, _ := strconv.Atoi(crashQuestion.FindStringSubmatch(m.Text)[1])
		switch n {
		case 1:
			label = p.a1
		case 4:
			typed = strconv.Itoa(p.a4)
		case 16:
			label = "Bỏ qua"
		default:
			label = crashChoices[n]
		}
	case strings.Contains(m.Text, "học lớp nào"):
		p.consented = true
		label = p.grade
	case strings.Contains(m.Text, "Anh/chị có đồng ý"):
		// Once agreed, the notice stays with its buttons removed.
		label, own = "✅ Đồng ý", true
	default:
		return false
	}
	if typed != "" {
		p.think(ctx)
		p.send(srv, typed)
		return true
	}
	msgs := []telegramtest.Message{m}
	if !own {
		all := srv.Messages(p.u.ID)
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].FromBot {
				msgs = append(msgs, all[i])
			}
		}
	}
	for _, msg := range msgs {
		for _, row := range msg.Keyboard {
			for _, b := range row {
				if strings.TrimPrefix(b.Text, "✓ ") == label {
					p.think(ctx)
					p.inputs = append(p.inputs, time.Now())
					srv.PressButton(p.u, msg.ID, b.Data)
					return true
				}
			}
		}
	}
	return false
}

func (p *crashParent) think(ctx context.Context) {
	outbox.Sleep(ctx, time.Duration(80+p.rng.IntN(220))*time.Millisecond)
}

func (p *crashParent) send(srv *telegramtest.Server, text string) {
	p.inputs = append(p.inputs, time.Now())
	srv.SendText(p.u, text)
}

// crashDupes counts what the fake Telegram received.
type crashDupes struct {
	delivered, sends, acks   int // accepted messages and edits; of them new messages; callback answers
	strictSends, strictEdits int // repeated with no input to the chat since the accepted copy
	looseSends, looseEdits   int // repeated, whatever came in between
	ackRepeats               int
}

// crashDuplicates finds messages and edits the fake received again,
// identical in chat, target, text and keyboard, after it had accepted the
// first copy. Those with no parent input to the chat in between can only
// be the outbox re-sending a row whose delivery the killed bot had not
// recorded; the loose count also includes identical replies to new inputs
// (a re-sent /start, a press on an older copy).
func crashDuplicates(calls []telegramtest.Call, inputs map[int64][]time.Time) crashDupes {
	var d crashDupes
	accepted := map[string]time.Time{}
	acked := map[string]bool{}
	for _, c := range calls {
		method := strings.ToLower(c.Method)
		if method == "answercallbackquery" {
			id := c.Params["callback_query_id"]
			if acked[id] {
				d.ackRepeats++
			}
			if c.Status == 200 {
				d.acks++
				acked[id] = true
			}
			continue
		}
		if method != "sendmessage" && method != "editmessagetext" && method != "editmessagereplymarkup" {
			continue
		}
		chat, _ := strconv.ParseInt(c.Params["chat_id"], 10, 64)
		key := strings.Join([]string{method, c.Params["chat_id"], c.Params["message_id"], c.Params["text"], c.Params["reply_markup"]}, "\x00")
		if first, ok := accepted[key]; ok {
			quiet := true
			for _, at := range inputs[chat] {
				if at.After(first) && at.Before(c.At) {
					quiet = false
					break
				}
			}
			if method == "sendmessage" {
				d.looseSends++
				if quiet {
					d.strictSends++
				}
			} else {
				d.looseEdits++
				if quiet {
					d.strictEdits++
				}
			}
		}
		if c.Status == 200 {
			d.delivered++
			if method == "sendmessage" {
				d.sends++
			}
			accepted[key] = c.At
		}
	}
	return d
}
