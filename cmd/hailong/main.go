// Command hailong is the parent satisfaction and feedback chatbot of an
// education office: it serves parents on Telegram and keeps everything in
// one bbolt file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh must load on a bare machine

	"github.com/robfig/cron/v3"

	"hailong/bot"
	"hailong/digest"
	"hailong/flows"
	"hailong/internal/channel"
	"hailong/outbox"
	"hailong/store"
	"hailong/web"
	"hailong/zalo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "hailong:", err)
		}
		os.Exit(1)
	}
}

// errUsage means the usage was printed; there is nothing more to say.
var errUsage = errors.New("usage")

// system is what the commands take from the operating system, so that tests
// can run them with their own.
type system struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
	// zaloListener, when set, serves the Zalo webhook instead of
	// zalo.webhook.listen (tests).
	zaloListener net.Listener
	// webListener, when set, serves the dashboard instead of web.listen
	// (tests, the demo).
	webListener net.Listener
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	sys := &system{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	return sys.run(ctx, args)
}

const usage = `hailong — parents' satisfaction survey and feedback bot for education offices

Usage:
  hailong demo [--db PATH] [--config FILE]   run the bot against a built-in fake Telegram with simulated parents
  hailong chat [--db PATH] [--config FILE]   talk to the bot in this terminal
  hailong run  [--config FILE] [--db PATH]   serve Telegram and/or Zalo (TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN, HAILONG_SECRET)
  hailong backup FILE [--config FILE] [--db PATH]   a consistent copy of the database, also while the bot runs
  hailong check [--config FILE] [--db PATH]  verify the database's invariants
  hailong compact [--config FILE] [--db PATH]  rewrite the database without its free pages (the bot stopped)
  hailong invite SCHOOL [--config FILE] [--db PATH]  a one-time invite binding a principal to a school
  hailong posters --out DIR [--bot USERNAME] [--config FILE]  a printable QR poster per school (PNG) and one PDF
  hailong bench [--parents N] [--rate R] [--seconds S] [--outbound N]  measure the bot against the fake Telegram
  hailong export --out FILE [--from DAY] [--to DAY] [--format xlsx|csv] [--unit ID] [--school CODE]
                                             the report of any days as a workbook or CSV
  hailong publish --wave ID --out DIR [--unit ID]   what an office may post: the open dataset (CSV,
                                             JSON) and a one-page PDF per school and for the unit
  hailong schools check FILE [--config FILE]   validate a schools file (CSV) without starting the bot
  hailong baseline import FILE.csv [--source TEXT] [--config FILE] [--db PATH]
                                             store earlier results that reports compare with
  hailong help                               this text

Without --config the built-in config.example.yaml is used.
`

func (s *system) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(s.stderr, usage)
		return errUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return s.serveCmd(ctx, rest)
	case "demo":
		return s.demoCmd(ctx, rest)
	case "chat":
		return s.chatCmd(ctx, rest)
	case "backup":
		return s.backupCmd(rest)
	case "check":
		return s.checkCmd(rest)
	case "compact":
		return s.compactCmd(rest)
	case "export":
		return s.exportCmd(rest)
	case "invite":
		return s.inviteCmd(rest)
	case "baseline":
		return s.baselineCmd(rest)
	case "bench":
		return s.benchCmd(ctx, rest)
	case "posters":
		return s.postersCmd(rest)
	case "publish":
		return s.publishCmd(rest)
	case "schools":
		return s.schoolsCmd(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(s.stdout, usage)
		return nil
	default:
		fmt.Fprintf(s.stderr, "hailong: unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}

// common are the flags every database command takes.
type common struct {
	config, db string
}

func (s *system) flags(name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet("hailong "+name, flag.ContinueOnError)
	fs.SetOutput(s.stderr)
	fs.StringVar(&c.config, "config", "", "configuration `file` (default: the built-in config.example.yaml)")
	fs.StringVar(&c.db, "db", "", "database `path` (default: the config's database)")
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

// parseOne parses flags with one argument among them (before or after the
// flags), which it returns: "" with errUsage, after printing usage, when
// there is not exactly one.
func (s *system) parseOne(fs *flag.FlagSet, args []string, usage string) (string, error) {
	err := fs.Parse(args)
	var arg string
	if err == nil && fs.NArg() > 0 {
		arg = fs.Arg(0)
		err = fs.Parse(fs.Args()[1:])
	}
	if err != nil || arg == "" || fs.NArg() != 0 {
		fmt.Fprintln(s.stderr, "usage: "+usage)
		return "", errUsage
	}
	return arg, nil
}

// load loads the configuration of c, its database as --db says.
func (c common) load() (*Config, error) {
	cfg, err := loadConfig(c.config)
	if err != nil {
		return nil, err
	}
	if c.db != "" {
		cfg.Database = c.db
	}
	return cfg, nil
}

func (s *system) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(s.stderr, &slog.HandlerOptions{Level: level}))
}

// open loads the configuration and opens its database with an engine.
func (s *system) open(c common, log *slog.Logger) (*Config, *store.DB, error) {
	cfg, err := loadConfig(c.config)
	if err != nil {
		return nil, nil, err
	}
	return s.openWith(cfg, c, log)
}

// openWith opens the database of a loaded configuration (--db wins) with
// the environment's secret.
func (s *system) openWith(cfg *Config, c common, log *slog.Logger) (*Config, *store.DB, error) {
	if c.db != "" {
		cfg.Database = c.db
	}
	eng, err := cfg.engine()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cfg.source, err)
	}
	if err := dbDir(cfg.Database); err != nil {
		return nil, nil, err
	}
	db, err := s.secret().open(cfg.Database, store.Options{Engine: eng, Logger: log}, log)
	if err != nil {
		return nil, nil, err
	}
	return cfg, db, nil
}

// dbDir makes the directory a new database file goes in, as bbolt makes
// the file itself.
func dbDir(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	return nil
}

// existingDB says what to do when a tool that reads the database (invite,
// backup, check) is given one that does not exist.
func existingDB(path string) error {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no database at %s: start the bot once (hailong run) to create it, or give its path with --db (or database: in the config)", path)
	}
	if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	return nil
}

// defaultMemoryLimit is `hailong run`'s soft memory limit.
const defaultMemoryLimit = 48 << 20

func (s *system) serveCmd(ctx context.Context, args []string) error {
	var c common
	fs := s.flags("run", &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	if s.getenv("HAILONG_SECRET") == "" {
		return fmt.Errorf("HAILONG_SECRET must be set: it keys the pseudonymous ids under which answers are stored, so that the database never holds a parent's Telegram id, and seals complaints (%s and keep it: a new one makes every parent a new respondent)", makeSecret)
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	tokens := channelTokens{Telegram: strings.TrimSpace(s.getenv("TELEGRAM_BOT_TOKEN"))}
	if cfg.Zalo != nil {
		tokens.Zalo = strings.TrimSpace(s.getenv("ZALO_BOT_TOKEN"))
		tokens.ZaloSecret, tokens.ZaloListener = s.getenv("ZALO_WEBHOOK_SECRET"), s.zaloListener
		if tokens.Zalo == "" {
			return errors.New("the config has a zalo section but ZALO_BOT_TOKEN is not set: export the Zalo bot's token (or remove the section)")
		}
	}
	if tokens.Telegram == "" && tokens.Zalo == "" {
		return errors.New("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token, or configure a zalo section with ZALO_BOT_TOKEN (or try `hailong demo`, which needs none)")
	}
	if s.getenv("GOMEMLIMIT") == "" {
		// A soft limit: the collector works harder near it rather than let
		// a burst (a report's charts) grow the heap to twice what is live.
		// GOMEMLIMIT overrides it.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	log := s.logger(slog.LevelInfo)
	cfg, db, err := s.openWith(cfg, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("hailong starting", "config", cfg.source, "db", cfg.Database, "schools", len(cfg.directory.Schools))
	return s.serve(ctx, cfg, db, tokens, log)
}

// channelTokens are the channels' secrets, from the environment; an empty
// token leaves its channel out.
type channelTokens struct {
	Telegram   string
	Zalo       string
	ZaloSecret string // the webhook's secret token
	// ZaloListener, when set, serves the Zalo webhook (tests, demo).
	ZaloListener net.Listener
}

// digestJob is the digest job of the configuration over db.
func digestJob(cfg *Config, db *store.DB, log *slog.Logger) (*digest.Job, error) {
	sched, err := digest.ParseSchedule(cfg.Digest.Schedule)
	if err != nil {
		return nil, fmt.Errorf("digest.schedule: %w", err)
	}
	return &digest.Job{Store: db, Engine: db.Engine(), Schedule: sched, MinRespondents: cfg.Survey.MinRespondents, Rest: restAsLong,
		FlagBelow: cfg.Digest.FlagBelow, Log: log}, nil
}

// restAsLong rests as long as a digest took to build, at most 2 s: the
// digests of a Monday take half of one core, not all of it.
func restAsLong(built time.Duration) { time.Sleep(min(built, 2*time.Second)) }

// serve runs the configured channels until ctx ends, or until one of them
// fails (then the others stop too).
func (s *system) serve(ctx context.Context, cfg *Config, db *store.DB, tokens channelTokens, log *slog.Logger) error {
	job, err := digestJob(cfg, db, log)
	if err != nil {
		return err
	}
	job.Now = s.now
	if job.Since, err = db.FirstRun(s.now()); err != nil {
		return err
	}
	var channels []func(context.Context) error
	var fetch zalo.Fetch // Telegram's photos, for Zalo to fetch
	if tokens.Telegram != "" {
		tg, err := s.telegram(cfg, db, job, tokens.Telegram, log)
		if err != nil {
			return err
		}
		channels, fetch = append(channels, tg.Run), tg.FetchFile
	}
	if cfg.Zalo != nil && tokens.Zalo != "" {
		z := cfg.Zalo
		zb, name, err := zalo.New(ctx, zalo.Config{
			Client: &zalo.Client{Base: z.APIBase, Token: tokens.Zalo, HTTP: &http.Client{Timeout: z.PollTimeout + 15*time.Second,
				Transport: outbox.HTTPTransport(z.MaxInFlight)}},
			Store: db, Mode: z.Mode, Fetch: fetch,
			Listen: z.Webhook.Listen, Path: z.Webhook.Path, URL: z.Webhook.URL, Secret: tokens.ZaloSecret, Listener: tokens.ZaloListener,
			Common: cfg.common(log, s.now, job, z.PollTimeout, z.MaxInFlight,
				zalo.Limits{PerSecond: z.Limits.PerSecond, PerChatSecond: z.Limits.PerChatPerSecond, PerChatBurst: z.Limits.PerChatBurst}),
		})
		if err != nil {
			return err
		}
		log.Info("serving Zalo", "bot", name, "mode", z.Mode)
		channels = append(channels, zb.Run)
	}
	if cfg.Web.Listen != "" || s.webListener != nil {
		serveWeb, err := s.dashboard(cfg, db, job, fetch, tokens.Telegram, log)
		if err != nil {
			return err
		}
		channels = append(channels, serveWeb)
	}
	served := map[string]bool{bot.Channel: tokens.Telegram != "", zalo.Channel: cfg.Zalo != nil && tokens.Zalo != ""}
	warnUnserved(cfg.directory, served, log)
	if err := warnUnreached(db, log); err != nil {
		return err
	}
	if served[zalo.Channel] {
		warnZaloGroups(cfg.directory, log)
	}
	stop, err := s.schedule(cfg, db, job, log)
	if err != nil {
		return err
	}
	defer stop()
	stopAdmin, err := serveAdmin(ctx, db, job, log)
	if err != nil {
		return err
	}
	defer stopAdmin()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(channels))
	for _, run := range channels {
		go func() {
			err := run(ctx)
			if err != nil {
				cancel()
			}
			errs <- err
		}()
	}
	var first error
	for range channels {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// warnUnserved names the configured recipients on a channel this process
// does not serve: what is queued for them (alerts, digests) waits until it
// does.
func warnUnserved(d *flows.Directory, served map[string]bool, log *slog.Logger) {
	check := func(where, id string) {
		if ch, _, ok := strings.Cut(id, ":"); ok && !served[ch] {
			log.Warn("a recipient is on a channel this bot does not serve: what is sent to them waits in the outbox until it does (set its token, or change the id)",
				"where", where, "id", id)
		}
	}
	for _, o := range d.Offices {
		if o.Chat != "" {
			check("offices["+o.ID+"].chat_id", o.Chat)
		}
		for _, id := range o.Staff {
			check("offices["+o.ID+"].staff", id)
		}
	}
	for _, sc := range d.Schools {
		for _, id := range sc.Principals {
			check("schools["+sc.Code+"].principals", id)
		}
	}
	for _, id := range d.Admins {
		check("admins", id)
	}
}

// warnUnreached names each school whose complaints would reach nobody:
// the bot tells its parents so rather than promise a deadline.
func warnUnreached(db *store.DB, log *slog.Logger) error {
	schools, err := unreachedSchools(db, db.Engine())
	for _, sc := range schools {
		log.Warn("a school's complaints would reach nobody: it has no principal (schools[].principals, or /invite) and its office has neither chat_id nor staff; parents who file one are told that nobody receives it yet",
			"school", sc)
	}
	return err
}

// warnZaloGroups names the offices whose chat is a Zalo group: Zalo marks
// groups "coming soon", and where they work the bot is said to see only
// the messages that mention it. Such an office's digests and escalations
// go to the group alone, not to its staff.
func warnZaloGroups(d *flows.Directory, log *slog.Logger) {
	for _, o := range d.Offices {
		if strings.HasPrefix(o.Chat, zalo.Channel+":") {
			log.Warn("an office's chat is a Zalo group, but Zalo marks groups \"coming soon\" (sắp ra mắt): until they work, leave offices[].chat_id empty and list the staff one by one under offices[].staff (zalo:<id> each), so that digests and escalations reach each of them; in a group, staff mention the bot (@name) before a command, a code or a number",
				"office", o.ID, "chat_id", o.Chat)
		}
	}
}

// common are the settings of a channel served by run: the flood guard's
// (the telegram section's, for every channel), and the channel's own
// poll timeout, requests in flight and limits.
func (c *Config) common(log *slog.Logger, now func() time.Time, job *digest.Job, poll time.Duration, inFlight int, limits channel.Limits) channel.Common {
	fl := c.Telegram.Flood
	return channel.Common{Logger: log, Now: now, PollTimeout: poll, MaxInFlight: inFlight, Limits: limits, Reports: job.Answer,
		Flood: fl.Updates, FloodWindow: fl.Window, FloodPause: fl.Pause}
}

// telegram connects the Telegram bot.
func (s *system) telegram(cfg *Config, db *store.DB, job *digest.Job, token string, log *slog.Logger) (*bot.Bot, error) {
	b, err := bot.New(bot.Config{
		Token: token, Endpoint: cfg.Telegram.APIEndpoint, Store: db, DeleteWebhook: cfg.Telegram.DeleteWebhook,
		Common: cfg.common(log, s.now, job, cfg.Telegram.PollTimeout, cfg.Telegram.MaxInFlight, cfg.limits()),
		Menus: func() []flows.Actor {
			bound, err := db.Principals("")
			if err != nil {
				log.Error("read principals", "err", err)
			}
			return db.Engine().Menus(bound)
		},
	})
	if err != nil {
		return nil, err
	}
	db.Engine().SetBotUsername(b.Username())
	log.Info("polling Telegram", "bot", "@"+b.Username())
	return b, nil
}

// schedule checks complaint deadlines now — so one passed while the bot
// was down is escalated at once — and then on the configured schedule.
// stop waits for a check in progress.
func (s *system) schedule(cfg *Config, db *store.DB, job *digest.Job, log *slog.Logger) (stop func(), err error) {
	digests := func() {
		if _, err := job.Run(s.now()); err != nil {
			log.Error("weekly digests", "err", err)
		}
	}
	sweep := func() {
		n, err := db.Sweep(s.now())
		if err != nil {
			log.Error("check complaint deadlines", "err", err)
			return
		}
		if n > 0 {
			log.Info("escalated overdue complaints", "count", n)
		}
	}
	purge := func() {
		cutoff := s.now().AddDate(0, -cfg.Survey.RetentionMonths, 0)
		n, err := db.Purge(cutoff)
		if err != nil {
			log.Error("purge what is past the retention period", "err", err)
		}
		if n > 0 {
			log.Info("purged responses past the retention period", "count", n, "before", cutoff.Format(time.DateOnly))
		}
		if _, err := db.ForgetSeen(time.Now().Add(-store.SeenFor)); err != nil {
			log.Error("forget old update ids", "err", err)
		}
		if _, err := db.ForgetPre(s.now()); err != nil {
			log.Error("forget choices made before a consent that did not come", "err", err)
		}
	}
	sweep()
	// The purge reads every session: in the background, so that a large
	// database starts serving at once.
	var purging sync.WaitGroup
	purging.Go(purge)
	digests() // one missed while the bot was down goes now, once
	c := cron.New(cron.WithLocation(cfg.loc))
	if _, err := c.AddFunc(cfg.Complaints.CheckSchedule, sweep); err != nil {
		return nil, fmt.Errorf("complaints.check_schedule: %w", err)
	}
	if _, err := c.AddFunc(cfg.Digest.Schedule, digests); err != nil {
		return nil, fmt.Errorf("digest.schedule: %w", err)
	}
	if _, err := c.AddFunc(cfg.Survey.PurgeSchedule, purge); err != nil {
		return nil, fmt.Errorf("survey.purge_schedule: %w", err)
	}
	c.Start()
	return func() { <-c.Stop().Done(); purging.Wait() }, nil
}

var _ bot.Store = (*store.DB)(nil)
var _ web.Store = (*store.DB)(nil)

// chatChannel is the terminal's channel name.
const chatChannel = "chat"
