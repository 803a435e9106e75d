package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"hailong"
	"hailong/bot"
	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/internal/fakeapi"
	"hailong/store"
)

// benchCmd drives the real bot against the fake Telegram on loopback and
// prints what BENCHMARKS.md records.
func (s *system) benchCmd(ctx context.Context, args []string) error {
	var c common
	fs := s.flags("bench", &c)
	parents := fs.Int("parents", 2000, "parents answering the whole survey in the throughput run")
	rate := fs.Int("rate", 1000, "updates per second offered in the latency run")
	seconds := fs.Int("seconds", 5, "length of the latency run")
	outbound := fs.Int("outbound", 300, "distinct chats written to in the outbound run")
	rssParents := fs.Int("rss-parents", 2000, "parents whose surveys wait at once when `hailong run` runs as a process of its own, for its memory (0: none; the latency run on it follows either way)")
	rtt := fs.Duration("rtt", 0, "instead: the loads of parents tapping, across a network this far away (every Bot API call answered a round trip later; Telegram is 100–250 ms from Vietnam), e.g. 150ms")
	jitter := fs.Duration("jitter", 0, "with --rtt: each way's delay spread by up to ± half this")
	annRTT := fs.Duration("ann-rtt", 250*time.Millisecond, "with --rtt: the round trip of the announcement run")
	zaloRTT := fs.Duration("zalo-rtt", 30*time.Millisecond, "with --rtt: the round trip to Zalo's servers (in Vietnam) for its polling ceiling")
	tapSeconds := fs.Int("tap-seconds", 40, "with --rtt: length of the as-fast-as-they-can runs (the people-like run takes twice)")
	fast := fs.Int("fast", 200, "with --rtt: parents tapping as fast as they can")
	human := fs.Int("human", 60, "with --rtt: parents tapping like people, every 1.5–4.5 s")
	only := fs.String("only", "", "with --rtt: only these runs, comma-separated: "+strings.Join(netRuns, ","))
	big := fs.String("big", "", "instead: time `hailong run`'s start-up on this large database, and its memory while it builds the report of all its responses (make one with HAILONG_BENCH_KEEP=PATH go test -run x -bench BenchmarkDigestAt1M ./store)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *big != "" {
		return s.benchBig(ctx, *big)
	}
	if c.db != "" {
		return errors.New("bench fills a database of its own with thousands of made-up parents; it takes no --db")
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	eng, err := cfg.engine()
	if err != nil {
		return err
	}
	if *rtt > 0 {
		if *fast < 1 || *human < 1 || *tapSeconds < 1 || *outbound < 2 {
			return errors.New("bench --rtt: --fast, --human and --tap-seconds ≥ 1, --outbound ≥ 2")
		}
		n := 1000 // an announcement to a school's parents, unless --outbound says
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "outbound" {
				n = *outbound
			}
		})
		nb := &netBench{s: s, cfg: cfg, eng: eng, lat: fakeapi.Latency{RTT: *rtt, Jitter: *jitter}, annRTT: *annRTT, zaloRTT: *zaloRTT,
			tapFor: time.Duration(*tapSeconds) * time.Second, fast: *fast, human: *human, outbound: n}
		var runs []string
		if *only != "" {
			runs = strings.Split(*only, ",")
			for _, r := range runs {
				if !slices.Contains(netRuns, r) {
					return fmt.Errorf("bench --only %q: want some of %s", r, strings.Join(netRuns, ","))
				}
			}
		}
		return nb.run(ctx, s.stdout, runs)
	}
	if *parents < 1 || *rate < 100 || *seconds < 1 || *outbound < 2 {
		return errors.New("bench: --parents ≥ 1, --rate ≥ 100, --seconds ≥ 1 and --outbound ≥ 2")
	}
	dir, err := os.MkdirTemp("", "hailong-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.Database = filepath.Join(dir, "bench.db")
	srv := telegramtest.NewServer()
	defer srv.Close()
	w, ok := cfg.directory.WaveAt(s.now())
	if !ok {
		return errors.New("no survey wave of the config is open today")
	}
	log := slog.New(slog.DiscardHandler)

	start := time.Now()
	db, err := store.Open(cfg.Database, store.Options{Engine: eng, LocalSecret: true, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := bot.New(bot.Config{Token: telegramtest.Token, Endpoint: srv.Endpoint(), Store: db, Logger: log, Now: s.now,
		PollTimeout: time.Second, Limits: cfg.limits(), Flood: 1 << 30})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	defer func() { stop(); <-done }()
	if !srv.Wait(5*time.Second, func() bool { return firstPoll(srv) }) {
		return errors.New("the bot never polled")
	}
	startup := firstPollAt(srv).Sub(start)

	// Throughput: every parent's whole survey is waiting at Telegram.
	total := sendSurveys(srv, cfg, eng, 3_000_000, *parents)
	cpu0, t0 := cpuTime(), time.Now()
	if !srv.Wait(10*time.Minute, func() bool { return ctx.Err() != nil || b.Stats().Updates >= total }) || ctx.Err() != nil {
		return fmt.Errorf("only %d of %d updates were handled", b.Stats().Updates, total)
	}
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	agg, err := db.Aggregates(w.ID)
	if err != nil {
		return err
	}
	stored := 0
	for _, n := range agg.Respondents {
		stored += n
	}
	fi, err := os.Stat(cfg.Database)
	if err != nil {
		return err
	}
	sizes, err := db.Sizes()
	if err != nil {
		return err
	}
	kept := 0 // what stays once the outbox has drained
	for _, name := range []string{"responses", "sessions", "aggregates", "daily"} {
		kept += sizes[name]
	}

	// Latency: updates offered at a steady rate.
	b.ResetStats()
	paced := pacedSurveys(cfg, eng, 4_000_000, *rate**seconds)
	offer(ctx, srv, paced, *rate)
	srv.Wait(time.Minute, func() bool { return ctx.Err() != nil || b.Stats().Updates >= len(paced) })
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ls := b.Stats()

	// Outbound: a fresh bot and fake, Telegram's limits enforced from the
	// start, many distinct chats each owed one message.
	outRate, violations, err := s.benchOutbound(ctx, cfg, eng, *outbound)
	if err != nil {
		return err
	}

	a, err := s.benchAlone(ctx, cfg, eng, *rssParents, pacedSurveys(cfg, eng, 7_000_000, *rate**seconds), *rate)
	if err != nil {
		return err
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tw := tabwriter.NewWriter(s.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "hailong bench — %d parents, Go fake Telegram on loopback answering at once (zero latency: see --rtt for a real network), this machine\n\n", *parents)
	fmt.Fprintf(tw, "start-up (open the database, getMe, first getUpdates)\t%s\n", startup.Round(time.Millisecond))
	fmt.Fprintf(tw, "updates handled durably (batches of ≤100, one fsync each)\t%d in %s = %.0f updates/s\n", total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
	fmt.Fprintf(tw, "CPU per update (bot and fake together)\t%s\n", (cpu / time.Duration(total)).Round(time.Microsecond))
	fmt.Fprintf(tw, "responses stored\t%d (%d parents)\n", stored, *parents)
	fmt.Fprintf(tw, "bytes per stored response (responses, sessions, aggregates, day counts in use)\t%d (responses %d, sessions %d)\n",
		kept/max(1, stored), sizes["responses"]/max(1, stored), sizes["sessions"]/max(1, stored))
	fmt.Fprintf(tw, "database file, with the unsent replies still queued\t%d bytes (outbox %d bytes in use)\n", fi.Size(), sizes["outbox"])
	fmt.Fprintf(tw, "fetched→committed at %d updates/s offered, bot, fake and load in this process\tp50 %s, p99 %s, max %s (%d updates)\n", *rate,
		ls.P50.Round(10*time.Microsecond), ls.P99.Round(10*time.Microsecond), ls.Max.Round(10*time.Microsecond), ls.Updates)
	fmt.Fprintf(tw, "outbound to %d distinct chats, Telegram's limits enforced\t%.1f messages/s, %d refused with 429\n", *outbound, outRate, violations)
	fmt.Fprintf(tw, "peak RSS of this process (bot, fake Telegram and load together)\t%d MB\n", ru.Maxrss/1024)
	fmt.Fprintf(tw, "\n`hailong run` as a process of its own (the fake Telegram and the load in this one)\n")
	if a.burst > 0 {
		fmt.Fprintf(tw, "peak RSS, %d parents' whole surveys waiting at once\t%d MB (largest Go heap %d MB)\n", a.burst, a.rssKB/1024, a.heapMB)
		fmt.Fprintf(tw, "  of which, at the end: its own memory (RssAnon), database pages mapped (RssFile)\t%d MB, %d MB\n", a.anonKB/1024, a.fileKB/1024)
	}
	restart := "start-up"
	if a.burst > 0 {
		restart += ", on that database with its replies still queued"
	}
	fmt.Fprintf(tw, "%s\t%s\n", restart, a.startup.Round(time.Millisecond))
	fmt.Fprintf(tw, "fetched→committed at %d updates/s offered\tp50 %s, p99 %s, max %s (%d updates)\n", *rate,
		a.lat.P50.Round(10*time.Microsecond), a.lat.P99.Round(10*time.Microsecond), a.lat.Max.Round(10*time.Microsecond), a.lat.Updates)
	fmt.Fprintf(tw, "CPU per update, first poll to last commit (the kernel's fsync work and sending queued replies included)\t%s\n", a.cpuPerUpdate.Round(time.Microsecond))
	return tw.Flush()
}

func firstPoll(srv *telegramtest.Server) bool { return !firstPollAt(srv).IsZero() }

func firstPollAt(srv *telegramtest.Server) time.Time {
	for _, c := range srv.Calls() {
		if c.Method == "getUpdates" {
			return c.At
		}
	}
	return time.Time{}
}

// surveyScript is a parent's whole survey as typed messages — no waiting
// for the bot's buttons, so a whole load can wait at Telegram at once.
func surveyScript(cfg *Config, eng *flows.Engine, i int) []string {
	sc := cfg.directory.Schools[i%len(cfg.directory.Schools)]
	grade := map[flows.Level]string{flows.Preschool: "nhà trẻ", flows.Primary: "lớp 3", flows.Lower: "lớp 7"}[sc.Level]
	// Typed consent cannot carry the QR code's school: the code is typed.
	lines := []string{"/start " + sc.Code, "đồng ý", sc.Code, grade}
	for _, q := range eng.Questionnaire().For(sc.Level) {
		switch q.Kind {
		case flows.Scale:
			lines = append(lines, strconv.Itoa(3+i%3))
		case flows.Number:
			lines = append(lines, strconv.Itoa(25+i%20))
		case flows.Text:
			lines = append(lines, "bỏ qua")
		default:
			lines = append(lines, []string{"có", "không", "không biết"}[i%3])
		}
	}
	return append(lines, "gửi câu trả lời")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchOutbound measures the sending rate to n distinct chats against a
// fake that refuses, as Telegram does, whatever exceeds its limits.
func (s *system) benchOutbound(ctx context.Context, cfg *Config, eng *flows.Engine, n int) (float64, int, error) {
	dir, err := os.MkdirTemp("", "hailong-bench-out")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	srv := telegramtest.NewServer()
	defer srv.Close()
	srv.EnforceLimits(telegramtest.TelegramLimits)
	log := slog.New(slog.DiscardHandler)
	db, err := store.Open(filepath.Join(dir, "out.db"), store.Options{Engine: eng, LocalSecret: true, Logger: log})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	for i := range n {
		srv.SendText(telegramtest.User{ID: int64(5_000_000 + i), FirstName: "R"}, "/start")
	}
	b, err := bot.New(bot.Config{Token: telegramtest.Token, Endpoint: srv.Endpoint(), Store: db, Logger: log, Now: s.now,
		PollTimeout: time.Second, Limits: cfg.limits(), Flood: 1 << 30})
	if err != nil {
		return 0, 0, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	defer func() { stop(); <-done }()
	rate, err := sendRate(ctx, srv, n, time.Duration(n/20+30)*time.Second, func(c telegramtest.Call) bool { return c.Method == "sendMessage" })
	return rate, len(srv.Violations()), err
}

// child is `hailong run` as a process of its own, against a fake Telegram
// on loopback, with the Go collector's trace (it tells the Go heap from the
// rest of the resident set).
type child struct {
	srv    *telegramtest.Server
	dir    string
	cmd    *exec.Cmd
	trace  bytes.Buffer
	start  time.Time
	secret string // HAILONG_SECRET; a made-up one when empty
}

// bigSecret is the secret BenchmarkDigestAt1M's database is written with
// (the store tests' harness): the bot refuses it under another.
const bigSecret = "test secret, 32 characters long!"

// newChild makes the fake and a directory for the child's configuration,
// written by config from the fake's endpoint.
func newChild(config func(endpoint string) string) (*child, error) {
	dir, err := os.MkdirTemp("", "hailong-bench-child")
	if err != nil {
		return nil, err
	}
	c := &child{srv: telegramtest.NewServer(), dir: dir}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(config(c.srv.Endpoint())), 0o600); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// run starts `hailong run` on the database at db.
func (c *child) run(ctx context.Context, db string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	c.cmd = exec.CommandContext(ctx, exe, "run", "--config", filepath.Join(c.dir, "config.yaml"), "--db", db)
	secret := c.secret
	if secret == "" {
		secret = "qHS8MPOwhVEdh6JzZCLgg3S/ia/IUHtCTgJLXAIJpY0=" // made up for the bench, strong enough
	}
	c.cmd.Env = append(os.Environ(), "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "HAILONG_SECRET="+secret, "GODEBUG=gctrace=1")
	c.trace.Reset()
	c.cmd.Stderr = &c.trace
	// Interrupted, it stops as under systemd rather than being killed.
	c.cmd.Cancel = func() error { return c.cmd.Process.Signal(syscall.SIGTERM) }
	c.cmd.WaitDelay = 30 * time.Second
	c.start = time.Now()
	return c.cmd.Start()
}

// stop ends it as SIGTERM would and returns its peak resident set (KiB)
// and largest Go heap (MB). The peak is the kernel's high-water mark of the
// process's own memory map (VmHWM), read just before: the rusage maximum
// of a child also counts, from the fork to the exec, the parent's.
func (c *child) stop() (rssKB int64, heapMB int, err error) {
	rssKB = procStatus(c.cmd.Process.Pid, "VmHWM")
	c.cmd.Process.Signal(syscall.SIGTERM)
	hung := time.AfterFunc(30*time.Second, func() { c.cmd.Process.Kill() })
	defer hung.Stop()
	if err := c.cmd.Wait(); err != nil {
		return 0, 0, fmt.Errorf("hailong run: %w\n%s", err, c.trace.String())
	}
	if rssKB == 0 {
		return 0, 0, errors.New("no peak resident set for the child (no /proc?)")
	}
	return rssKB, peakHeap(c.trace.String()), nil
}

// kill ends a child that went wrong and says what it logged — or, when
// the bench was interrupted, only that.
func (c *child) kill(ctx context.Context, why string) error {
	c.cmd.Process.Kill()
	c.cmd.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%s:\n%s", why, c.trace.String())
}

func (c *child) close() {
	c.srv.Close()
	os.RemoveAll(c.dir)
}

// alone is what `hailong run`, as a process of its own with the fake
// Telegram and the load in this one, measured.
type alone struct {
	burst         int   // parents whose whole surveys waited at once
	rssKB, anonKB int64 // peak resident set through the burst; its own memory at the end
	fileKB        int64 // database pages mapped at the end
	heapMB        int   // largest Go heap through the burst
	startup       time.Duration
	lat           bot.Stats
	cpuPerUpdate  time.Duration // the restarted bot's CPU (sending included) per update
}

// benchAlone runs `hailong run` as a process of its own: first with burst
// parents' whole surveys waiting at once (its memory), then restarted on
// that database with the paced updates offered at rate a second (its
// fetched-to-committed times, from the summary it logs when it stops).
func (s *system) benchAlone(ctx context.Context, cfg *Config, eng *flows.Engine, burst int, paced []pacedUpdate, rate int) (a alone, err error) {
	c, err := newChild(func(endpoint string) string {
		text := strings.Replace(string(hailong.ExampleConfig), `api_endpoint: "https://api.telegram.org/bot%s/%s"`,
			fmt.Sprintf("api_endpoint: %q", endpoint), 1)
		return strings.Replace(text, "    updates: 40\n", "    updates: 1000000\n", 1)
	})
	if err != nil {
		return a, err
	}
	defer c.close()
	db := filepath.Join(c.dir, "run.db")
	a.burst = burst
	if burst > 0 {
		total := sendSurveys(c.srv, cfg, eng, 6_000_000, burst)
		if err := c.run(ctx, db); err != nil {
			return a, err
		}
		// Every update confirmed means every one was committed.
		if !c.srv.Wait(10*time.Minute, func() bool {
			return ctx.Err() != nil || c.srv.Pending() == 0 && len(c.srv.Calls()) > total/50
		}) || ctx.Err() != nil {
			return a, c.kill(ctx, "the burst was not all committed")
		}
		time.Sleep(2 * time.Second) // let it send for a while, as it would
		a.anonKB, a.fileKB = procStatus(c.cmd.Process.Pid, "RssAnon"), procStatus(c.cmd.Process.Pid, "RssFile")
		if a.rssKB, a.heapMB, err = c.stop(); err != nil {
			return a, err
		}
	}
	if len(paced) == 0 {
		return a, nil
	}
	calls := len(c.srv.Calls())
	if err := c.run(ctx, db); err != nil {
		return a, err
	}
	polled := func() bool {
		for _, call := range c.srv.Calls()[calls:] {
			if call.Method == "getUpdates" {
				a.startup = call.At.Sub(c.start)
				return true
			}
		}
		return false
	}
	if !c.srv.Wait(30*time.Second, func() bool { return ctx.Err() != nil || polled() }) || ctx.Err() != nil {
		return a, c.kill(ctx, "hailong run never polled")
	}
	cpu0 := procCPU(c.cmd.Process.Pid)
	offer(ctx, c.srv, paced, rate)
	if !c.srv.Wait(time.Minute, func() bool { return ctx.Err() != nil || c.srv.Pending() == 0 }) || ctx.Err() != nil {
		return a, c.kill(ctx, "the paced updates were not all committed")
	}
	cpu := procCPU(c.cmd.Process.Pid) - cpu0
	if _, _, err = c.stop(); err != nil {
		return a, err
	}
	if a.lat, err = stoppedStats(c.trace.String()); err != nil {
		return a, err
	}
	if a.lat.Updates > 0 {
		a.cpuPerUpdate = cpu / time.Duration(a.lat.Updates)
	}
	return a, nil
}

// pacedUpdate is one message of the latency run.
type pacedUpdate struct {
	from telegramtest.User
	text string
}

// sendSurveys puts n parents' whole surveys (users numbered from first)
// waiting at the fake at once, and returns how many updates that is.
func sendSurveys(srv *telegramtest.Server, cfg *Config, eng *flows.Engine, first int64, n int) (total int) {
	for i := range n {
		u := telegramtest.User{ID: first + int64(i), FirstName: "P"}
		for _, text := range surveyScript(cfg, eng, i) {
			srv.SendText(u, text)
			total++
		}
	}
	return total
}

// pacedSurveys is n messages of whole surveys, from users numbered from
// first.
func pacedSurveys(cfg *Config, eng *flows.Engine, first int64, n int) []pacedUpdate {
	var out []pacedUpdate
	for i := 0; len(out) < n; i++ {
		u := telegramtest.User{ID: first + int64(i), FirstName: "Q"}
		for _, text := range surveyScript(cfg, eng, i) {
			out = append(out, pacedUpdate{u, text})
		}
	}
	return out[:n]
}

// offer hands the updates to the fake at rate a second, a hundredth of a
// second's worth at a time.
func offer(ctx context.Context, srv *telegramtest.Server, updates []pacedUpdate, rate int) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	per := max(1, rate/100)
	for i := 0; i < len(updates); {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for j := 0; j < per && i < len(updates); j++ {
			srv.SendText(updates[i].from, updates[i].text)
			i++
		}
	}
}

var stoppedLine = regexp.MustCompile(`msg="stopped serving Telegram" updates=(\d+) sent=\d+ fetched_to_committed_p50=(\S+) p99=(\S+) max=(\S+)`)

// stoppedStats reads the measurements `hailong run` logs when it stops.
func stoppedStats(log string) (bot.Stats, error) {
	m := stoppedLine.FindStringSubmatch(log)
	if m == nil {
		return bot.Stats{}, fmt.Errorf("hailong run logged no summary when it stopped:\n%s", log)
	}
	var st bot.Stats
	st.Updates, _ = strconv.Atoi(m[1])
	for i, d := range []*time.Duration{&st.P50, &st.P99, &st.Max} {
		v, err := time.ParseDuration(m[2+i])
		if err != nil {
			return st, fmt.Errorf("the summary %q: %w", m[0], err)
		}
		*d = v
	}
	return st, nil
}

var gcLine = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB`)

// peakHeap is the largest Go heap (MB, before collection) in a gctrace.
func peakHeap(trace string) int {
	peak := 0
	for _, m := range gcLine.FindAllStringSubmatch(trace, -1) {
		if n, _ := strconv.Atoi(m[1]); n > peak {
			peak = n
		}
	}
	return peak
}

// bigSchools is the directory of BenchmarkDigestAt1M's database: 200
// schools of one office, one wave.
func bigConfig(endpoint string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "timezone: UTC\ntelegram:\n  api_endpoint: %q\n  poll_timeout: 1s\n", endpoint)
	// Unlimited: the report's time is its building, not Telegram's pace.
	b.WriteString("  limits: {per_second: 1000, per_chat_per_second: 1000, per_chat_burst: 100, group_per_minute: 60000}\n")
	b.WriteString("waves:\n  - {id: w1, title: \"Học kì I\", start: 2026-08-01, end: 2026-12-31}\n")
	b.WriteString("offices:\n  - {id: so, name: \"Sở GDĐT\", chat_id: \"-1009\"}\nschools:\n")
	levels := []string{"mn", "th", "thcs"}
	for i := range 200 {
		fmt.Fprintf(&b, "  - {code: S%03d, name: \"Trường số %d\", level: %s, office: so}\n", i, i, levels[i%3])
	}
	return b.String()
}

// benchBig starts `hailong run` on a large database, as a process of its
// own, times its start-up (to the first getUpdates), has the office ask
// for the report of every response, and reads the process's peak memory.
func (s *system) benchBig(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	c, err := newChild(bigConfig)
	if err != nil {
		return err
	}
	defer c.close()
	c.secret = bigSecret
	if v := s.getenv("HAILONG_SECRET"); v != "" {
		c.secret = v // a database of one's own
	}
	srv := c.srv
	if err := c.run(ctx, path); err != nil {
		return err
	}
	if !srv.Wait(30*time.Second, func() bool { return ctx.Err() != nil || firstPoll(srv) }) || ctx.Err() != nil {
		return c.kill(ctx, "hailong run never polled")
	}
	startup := firstPollAt(srv).Sub(c.start)
	time.Sleep(time.Second) // the start-up's background work (the purge) ends
	idle := vmRSS(c.cmd.Process.Pid)
	asked := time.Now()
	const office = -1009
	srv.SendGroupText(office, "Sở GDĐT", telegramtest.User{ID: 77, FirstName: "Chuyên viên"}, "/baocao 01/08/2026 31/12/2026")
	if !srv.Wait(2*time.Minute, func() bool {
		if ctx.Err() != nil {
			return true
		}
		for _, m := range srv.Messages(office) {
			if m.Kind == "document" {
				return true
			}
		}
		return false
	}) || ctx.Err() != nil {
		return c.kill(ctx, "no report came")
	}
	report := time.Since(asked)
	total := ""
	for _, m := range srv.Messages(office) {
		for _, line := range strings.Split(m.Text, "\n") {
			if strings.Contains(line, "Phiếu khảo sát") && total == "" {
				total = strings.TrimSpace(line)
			}
		}
	}
	rssKB, heapMB, err := c.stop()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(s.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "hailong bench --big — `hailong run` on %s (%d bytes)\n\n", path, fi.Size())
	fmt.Fprintf(tw, "start-up (process start, config, open the database, getMe, first getUpdates)\t%s\n", startup.Round(time.Millisecond))
	fmt.Fprintf(tw, "the office's report over every response (text, chart, workbook), asked → delivered\t%s\n", report.Round(time.Millisecond))
	fmt.Fprintf(tw, "the report says\t%s\n", total)
	fmt.Fprintf(tw, "RSS of `hailong run` a second after start-up\t%d MB\n", idle/1024)
	fmt.Fprintf(tw, "peak RSS of `hailong run`, report included\t%d MB (largest Go heap %d MB)\n", rssKB/1024, heapMB)
	return tw.Flush()
}

// procCPU is the CPU time a process has used so far (Linux), or 0.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis, from the third:
	// utime and stime are the 14th and 15th, in clock ticks of 1/100 s.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * 10 * time.Millisecond
}

// vmRSS is a process's resident set now, in KiB (Linux), or 0.
func vmRSS(pid int) int64 { return procStatus(pid, "VmRSS") }

// procStatus is a KiB field of a process's /proc status (Linux): VmRSS,
// RssAnon (its own memory), RssFile (file pages mapped, here the
// database's, which the kernel may take back), or 0.
func procStatus(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
