package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"hailong/bot"
	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/internal/channel"
	"hailong/internal/fakeapi"
	"hailong/outbox"
	"hailong/store"
	"hailong/zalo"
	"hailong/zalo/zalotest"
)

// netBench is `hailong bench --rtt`: the bot as parents meet it across a
// real network — every Bot API call answered a round trip later, Telegram's
// limits enforced — with simulated parents who tap what their screen shows.
type netBench struct {
	s        *system
	cfg      *Config
	eng      *flows.Engine
	lat      fakeapi.Latency
	annRTT   time.Duration
	tapFor   time.Duration
	zaloRTT  time.Duration
	fast     int // parents tapping as fast as they can
	human    int // parents tapping like people
	outbound int // chats an announcement goes to
}

// netRig is a bot on a database of its own against a fake Telegram with a
// network in between.
type netRig struct {
	srv  *telegramtest.Server
	db   *store.DB
	b    *bot.Bot
	dir  string
	stop func()
}

func (nb *netBench) rig(ctx context.Context, lat fakeapi.Latency, limits bot.Limits, enforce telegramtest.Limits, inFlight int) (*netRig, error) {
	return nb.rigFor(ctx, nb.eng, lat, limits, enforce, inFlight)
}

// rigFor is rig for another engine than the configuration's.
func (nb *netBench) rigFor(ctx context.Context, eng *flows.Engine, lat fakeapi.Latency, limits bot.Limits, enforce telegramtest.Limits, inFlight int) (*netRig, error) {
	dir, err := os.MkdirTemp("", "hailong-bench-net")
	if err != nil {
		return nil, err
	}
	r := &netRig{srv: telegramtest.NewServer(), dir: dir}
	r.srv.EnforceLimits(enforce)
	r.srv.SetLatency(lat)
	log := slog.New(slog.DiscardHandler)
	if r.db, err = store.Open(filepath.Join(dir, "net.db"), store.Options{Engine: eng, LocalSecret: true, Logger: log}); err != nil {
		r.close()
		return nil, err
	}
	fl := nb.cfg.Telegram.Flood
	r.b, err = bot.New(bot.Config{Token: telegramtest.Token, Endpoint: r.srv.Endpoint(), Store: r.db, Common: channel.Common{Logger: log, Now: nb.s.now,
		PollTimeout: nb.cfg.Telegram.PollTimeout, Limits: limits, MaxInFlight: inFlight,
		Flood: fl.Updates, FloodWindow: fl.Window, FloodPause: fl.Pause}})
	if err != nil {
		r.close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.b.Run(runCtx) }()
	r.stop = func() { cancel(); <-done }
	if !r.srv.Wait(10*time.Second, func() bool { return firstPoll(r.srv) }) {
		r.close()
		return nil, fmt.Errorf("the bot never polled")
	}
	return r, nil
}

func (r *netRig) close() {
	if r.stop != nil {
		r.stop()
	}
	if r.db != nil {
		r.db.Close()
	}
	r.srv.Close()
	os.RemoveAll(r.dir)
}

// tapRun is what a load of tapping parents measured.
type tapRun struct {
	parents, taps, answered, surveys, stale int
	took                                    time.Duration
	late                                    int // answered in the second half of the run
	lateP50, lateP99                        time.Duration
	p50, p99, max                           time.Duration
	calls                                   int // Bot API calls other than polling and start-up
	violations                              int
	peak                                    int
}

// tap runs n parents (ids from first) with run until each returns or d
// passes.
func (nb *netBench) tap(ctx context.Context, r *netRig, first int64, n int, d time.Duration, run func(context.Context, *tapper)) tapRun {
	calls0 := len(r.srv.Calls())
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	schools := nb.cfg.directory.Schools
	ps := make([]*tapper, n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range n {
		ps[i] = newTapper(r.srv, first+int64(i), schools[i%len(schools)].Code)
		wg.Go(func() { run(ctx, ps[i]) })
	}
	wg.Wait()
	res := tapRun{parents: n, took: time.Since(t0), violations: len(r.srv.Violations()), peak: r.srv.PeakInFlight()}
	var lat []time.Duration
	half := t0.Add(res.took / 2)
	var late []time.Duration
	for _, p := range ps {
		for i, at := range p.at {
			if at.After(half) {
				res.late++
				late = append(late, p.answered[i])
			}
		}
		res.taps += p.taps
		res.answered += len(p.answered)
		res.surveys += p.surveys
		res.stale += p.stale
		lat = append(lat, p.answered...)
	}
	res.p50, res.p99, res.max = percentiles(lat)
	res.lateP50, res.lateP99, _ = percentiles(late)
	for _, c := range r.srv.Calls()[calls0:] {
		switch c.Method {
		case "getUpdates", "getMe", "setMyCommands", "deleteWebhook":
		default:
			res.calls++
		}
	}
	return res
}

// percentiles are the median, 99th percentile and maximum of ds.
func percentiles(ds []time.Duration) (p50, p99, top time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99), s[len(s)-1]
}

// raisedInFlight is max_in_flight beside limits raised tenfold.
const raisedInFlight = 256

// netRuns names the loads of `hailong bench --rtt`, in the order they run.
var netRuns = []string{"fast", "raised", "human", "fast10", "one", "announce", "digests", "zalo"}

// run measures the network loads named in only (all when empty) and
// prints them, each line as soon as it is measured.
func (nb *netBench) run(ctx context.Context, w io.Writer, only []string) error {
	fmt.Fprintf(w, "hailong bench --rtt %s (jitter %s) — every Bot API call a round trip away, Telegram's limits enforced by the fake\n\n", nb.lat.RTT, nb.lat.Jitter)
	def := nb.cfg.limits()
	raised := bot.Limits{PerSecond: 1000, PerChatSecond: 100, PerChatBurst: 100, GroupPerMinute: 6000}
	// Each line is printed as soon as it is measured: the label, then
	// what was measured (a tab in the format).
	line := func(format string, args ...any) {
		fmt.Fprintf(w, strings.Replace(format, "\t", ": ", 1), args...)
	}
	row := func(what string, t tapRun) {
		line("%s\t%.1f answered taps/s (%d of %d taps in %s); tap → screen changed p50 %s, p99 %s, max %s; second half: %.1f taps/s, p50 %s, p99 %s; %d surveys sent; %d Bot API calls, at most %d in flight; %d refused with 429\n",
			what, float64(t.answered)/t.took.Seconds(), t.answered, t.taps, t.took.Round(100*time.Millisecond),
			t.p50.Round(time.Millisecond), t.p99.Round(time.Millisecond), t.max.Round(time.Millisecond),
			float64(t.late)/(t.took.Seconds()/2), t.lateP50.Round(time.Millisecond), t.lateP99.Round(time.Millisecond),
			t.surveys, t.calls, t.peak, t.violations)
	}
	// load runs parents on a fresh bot and database.
	load := func(limits bot.Limits, enforce telegramtest.Limits, inFlight int, first int64, n int, d time.Duration,
		tap func(context.Context, *tapper)) (tapRun, bot.Stats, error) {
		r, err := nb.rig(ctx, nb.lat, limits, enforce, inFlight)
		if err != nil {
			return tapRun{}, bot.Stats{}, err
		}
		defer r.close()
		r.b.ResetStats()
		t := nb.tap(ctx, r, first, n, d, tap)
		return t, r.b.Stats(), nil
	}
	fast := func(ctx context.Context, p *tapper) { p.asFastAsPossible(ctx, 0) }
	for _, name := range netRuns {
		if len(only) > 0 && !slices.Contains(only, name) {
			continue
		}
		var err error
		switch name {
		case "fast":
			// Three times as long: the first taps of a survey (consent,
			// grade) cost two messages each, the answers one; the second
			// half shows the answers alone.
			var t tapRun
			if t, _, err = load(def, telegramtest.TelegramLimits, nb.cfg.Telegram.MaxInFlight, 8_000_000, nb.fast, 3*nb.tapFor, fast); err == nil {
				row(fmt.Sprintf("%d parents tapping as fast as they can, the default limits", nb.fast), t)
			}
		case "raised":
			// A self-hosted Bot API server, and max_in_flight raised with
			// the limits: 400 requests/s × 0.15 s is 60 in flight on
			// average.
			var t tapRun
			if t, _, err = load(raised, telegramtest.Limits{}, raisedInFlight, 8_100_000, nb.fast, nb.tapFor, fast); err == nil {
				row(fmt.Sprintf("%d parents as fast as they can, limits raised (1,000/s, 100/s a chat, max_in_flight %d)", nb.fast, raisedInFlight), t)
			}
		case "human":
			var t tapRun
			var st bot.Stats
			if t, st, err = load(def, telegramtest.TelegramLimits, nb.cfg.Telegram.MaxInFlight, 8_200_000, nb.human, 2*nb.tapFor,
				func(ctx context.Context, p *tapper) { p.paced(ctx, 1500*time.Millisecond, 4500*time.Millisecond, 0) }); err == nil {
				row(fmt.Sprintf("%d parents tapping like people (every 1.5–4.5 s, the QR code scanned within the first 4.5 s), the default limits", nb.human), t)
				line("  the poll cycle under that load: fetched → committed\tp50 %s, p99 %s, max %s (%d updates); the rest of tap → screen is the wait for the next poll and two network legs\n",
					st.P50.Round(10*time.Microsecond), st.P99.Round(10*time.Microsecond), st.Max.Round(10*time.Microsecond), st.Updates)
			}
		case "fast10":
			var t tapRun
			if t, _, err = load(def, telegramtest.TelegramLimits, nb.cfg.Telegram.MaxInFlight, 8_300_000, 10, 3*time.Minute,
				func(ctx context.Context, p *tapper) { p.paced(ctx, 500*time.Millisecond, 500*time.Millisecond, 1) }); err == nil {
				row("10 parents tapping every 0.5 s until their survey is sent", t)
				line("  of them\t%d of 10 sent their survey, in %s; %d stale-button notices; %.1f Bot API calls per survey sent (acknowledgements included)\n",
					t.surveys, t.took.Round(100*time.Millisecond), t.stale, float64(t.calls)/float64(max(1, t.surveys)))
			}
		case "one":
			var t tapRun
			if t, _, err = load(def, telegramtest.TelegramLimits, nb.cfg.Telegram.MaxInFlight, 8_400_000, 1, time.Minute,
				func(ctx context.Context, p *tapper) { p.asFastAsPossible(ctx, 1) }); err == nil {
				line("one parent's whole survey, from the QR code to sent\t%d taps, %d Bot API calls (acknowledgements included), in %s\n",
					t.taps, t.calls, t.took.Round(100*time.Millisecond))
			}
		case "announce":
			err = nb.announce(ctx, line)
		case "digests":
			err = nb.digests(ctx, line)
		case "zalo":
			err = nb.zaloCeiling(ctx, line)
		}
		if err != nil {
			return fmt.Errorf("bench --rtt, %s: %w", name, err)
		}
	}
	return nil
}

const announcement = "📢 Thông báo: họp phụ huynh lúc 8 giờ sáng thứ Bảy."

// announce measures an announcement to nb.outbound distinct chats at
// nb.annRTT, while a parent taps through the survey like a person.
func (nb *netBench) announce(ctx context.Context, line func(string, ...any)) error {
	r, err := nb.rig(ctx, fakeapi.Latency{RTT: nb.annRTT, Jitter: nb.lat.Jitter}, nb.cfg.limits(), telegramtest.TelegramLimits, nb.cfg.Telegram.MaxInFlight)
	if err != nil {
		return err
	}
	defer r.close()
	var rows []flows.Outgoing
	for i := range nb.outbound {
		u := telegramtest.User{ID: 9_000_000 + int64(i), FirstName: "R"}
		r.srv.Meet(u)
		rows = append(rows, flows.Outgoing{Kind: flows.OutMessage, Channel: bot.Channel, Chat: strconv.FormatInt(u.ID, 10),
			Reply: flows.Reply{Text: announcement}, Priority: flows.PriorityBroadcast, Created: nb.s.now()})
	}
	if _, err := r.db.SendDigest("bench-announcement", []byte{1}, rows); err != nil {
		return err
	}
	var parent tapRun
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(2 * time.Second) // once the announcement is under way
		parent = nb.tap(ctx, r, 8_500_000, 1, 20*time.Second, func(ctx context.Context, p *tapper) {
			p.paced(ctx, 1500*time.Millisecond, 3000*time.Millisecond, 1)
		})
	})
	rate, err := sendRate(ctx, r.srv, nb.outbound, time.Duration(nb.outbound/20+60)*time.Second,
		func(c telegramtest.Call) bool { return c.Method == "sendMessage" && c.Params["text"] == announcement })
	wg.Wait()
	if err != nil {
		return err
	}
	line("an announcement to %d distinct chats at %s a round trip\t%.1f messages/s, %d refused with 429; meanwhile a parent's tap → screen changed p50 %s, max %s (%d taps)\n",
		nb.outbound, nb.annRTT, rate, len(r.srv.Violations()), parent.p50.Round(time.Millisecond), parent.max.Round(time.Millisecond), parent.answered)
	return nil
}

// provinceUnits is how many communes the digests run's province has.
const provinceUnits = 120

// digests measures a province's Monday morning: the weekly digests of its
// department and its 120 communes, each to its group chat (text, chart,
// workbook), built and queued at once while parents tap like people.
func (nb *netBench) digests(ctx context.Context, line func(string, ...any)) error {
	pc := *nb.cfg
	d := *nb.cfg.directory
	d.Offices = []flows.Office{{ID: "so", Name: "Sở GDĐT tỉnh Đồng Tháp", Chat: "telegram:-1009000000"}}
	for u := range provinceUnits {
		d.Offices = append(d.Offices, flows.Office{ID: fmt.Sprintf("c%03d", u+1), Name: fmt.Sprintf("UBND xã số %d", u+1), Parent: "so",
			Chat: fmt.Sprintf("telegram:-100900%04d", u+1)})
	}
	d.Schools = slices.Clone(d.Schools)
	for i := range d.Schools {
		d.Schools[i].Office = "c001"
	}
	levels := []flows.Level{flows.Preschool, flows.Primary, flows.Lower}
	for i := len(d.Schools); i < 2000; i++ {
		d.Schools = append(d.Schools, flows.School{Code: fmt.Sprintf("S%04d", i), Name: fmt.Sprintf("Trường số %d", i),
			Level: levels[i%3], Office: fmt.Sprintf("c%03d", i%provinceUnits+1), Enrolment: 300 + i%500})
	}
	if err := d.Validate(); err != nil {
		return err
	}
	pc.directory = &d
	eng, err := pc.engine()
	if err != nil {
		return err
	}
	r, err := nb.rigFor(ctx, eng, nb.lat, nb.cfg.limits(), telegramtest.TelegramLimits, nb.cfg.Telegram.MaxInFlight)
	if err != nil {
		return err
	}
	defer r.close()
	groups := map[string]bool{}
	for _, o := range d.Offices {
		id, _ := strconv.ParseInt(strings.TrimPrefix(o.Chat, "telegram:"), 10, 64)
		r.srv.MeetGroup(id, o.Name)
		groups[strconv.FormatInt(id, 10)] = true
	}
	job, err := digestJob(&pc, r.db, nil)
	if err != nil {
		return err
	}
	counted := &countingStore{DB: r.db}
	job.Store = counted
	var parents tapRun
	var wg sync.WaitGroup
	wg.Go(func() {
		parents = nb.tap(ctx, r, 8_600_000, nb.human, 2*nb.tapFor, func(ctx context.Context, p *tapper) {
			p.paced(ctx, 1500*time.Millisecond, 4500*time.Millisecond, 0)
		})
	})
	// Halfway: the parents' start (each a QR code scan and a consent) is
	// behind them, and the second half of their run is the digests'.
	time.Sleep(nb.tapFor)
	built := time.Now()
	due := job.Due(nb.s.now())
	if due.IsZero() {
		return errors.New("no digest is due in the last eight days")
	}
	job.Since = time.Time{}
	n, err := job.Run(due)
	if err != nil {
		return err
	}
	took := time.Since(built)
	rate, err := sendRate(ctx, r.srv, counted.rows, time.Duration(counted.rows/20+120)*time.Second,
		func(c telegramtest.Call) bool {
			return groups[c.Params["chat_id"]] && c.Method != "answerCallbackQuery"
		})
	wg.Wait()
	if err != nil {
		return err
	}
	line("the weekly digests of a department and its %d communes (%d digests, %d messages: texts, charts, workbooks) at %s a round trip\tbuilt and queued in %s; sent at %.1f messages/s, %d refused with 429; meanwhile %d parents tapping like people: tap → screen changed, in the half of their run the digests were built and sent in, p50 %s, p99 %s (%d taps; over the whole run p50 %s, p99 %s)\n",
		provinceUnits, n, counted.rows, nb.lat.RTT, took.Round(10*time.Millisecond), rate, len(r.srv.Violations()), nb.human,
		parents.lateP50.Round(time.Millisecond), parents.lateP99.Round(time.Millisecond), parents.late, parents.p50.Round(time.Millisecond), parents.p99.Round(time.Millisecond))
	return nil
}

// countingStore counts the rows the digests queue.
type countingStore struct {
	*store.DB
	rows int
}

func (c *countingStore) SendDigest(key string, snap []byte, out []flows.Outgoing) (bool, error) {
	ok, err := c.DB.SendDigest(key, snap, out)
	if ok {
		c.rows += len(out)
	}
	return ok, err
}

// zaloCeiling measures how many updates Zalo's getUpdates hands the bot a
// second across nb.zaloRTT: one update a call, and the next call only once
// it is committed (there is no offset to confirm it by), so the ceiling is
// about one update per round trip and commit.
func (nb *netBench) zaloCeiling(ctx context.Context, line func(string, ...any)) error {
	const n = 200
	dir, err := os.MkdirTemp("", "hailong-bench-zalo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv := zalotest.NewServer()
	defer srv.Close()
	srv.SetLatency(fakeapi.Latency{RTT: nb.zaloRTT})
	log := slog.New(slog.DiscardHandler)
	db, err := store.Open(filepath.Join(dir, "zalo.db"), store.Options{Engine: nb.eng, LocalSecret: true, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	for i := range n {
		srv.Text(srv.NewUser(fmt.Sprintf("P%d", i)), "/start")
	}
	zb, _, err := zalo.New(ctx, zalo.Config{Client: &zalo.Client{Base: srv.URL(), Token: zalotest.Token,
		HTTP: &http.Client{Timeout: time.Minute, Transport: outbox.HTTPTransport(outbox.DefaultMaxInFlight)}},
		Store: db, Common: channel.Common{Logger: log, Now: nb.s.now, PollTimeout: time.Second, Flood: 1 << 30}})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	t0 := time.Now()
	go func() { done <- zb.Run(runCtx) }()
	ok := srv.Wait(time.Duration(n)*(nb.zaloRTT+50*time.Millisecond)+30*time.Second, func() bool { return ctx.Err() != nil || srv.Pending() == 0 })
	took := time.Since(t0)
	cancel()
	<-done
	if !ok || ctx.Err() != nil {
		return fmt.Errorf("zalo: %d of %d updates left at the fake", srv.Pending(), n)
	}
	line("Zalo getUpdates across %s a round trip (one update a call)\t%.1f updates/s (%d in %s)\n",
		nb.zaloRTT, float64(n)/took.Seconds(), n, took.Round(10*time.Millisecond))
	return nil
}

// sendRate waits, at most d, for n calls matching want to be answered 200
// and returns their rate, first to last.
func sendRate(ctx context.Context, srv *telegramtest.Server, n int, d time.Duration, want func(telegramtest.Call) bool) (float64, error) {
	var times []time.Time
	srv.Wait(d, func() bool {
		if ctx.Err() != nil {
			return true
		}
		times = times[:0]
		for _, c := range srv.Calls() {
			if c.Status == 200 && want(c) {
				times = append(times, c.At)
			}
		}
		return len(times) >= n
	})
	if len(times) < 2 {
		return 0, fmt.Errorf("only %d of %d messages were sent", len(times), n)
	}
	return float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds(), nil
}
