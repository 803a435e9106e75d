package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"hailong/bot/telegramtest"
	"hailong/digest"
	"hailong/flows"
	"hailong/store"
	"hailong/web"
	"hailong/zalo"
	"hailong/zalo/zalotest"
)

func (s *system) demoCmd(ctx context.Context, args []string) error {
	var c common
	fs := s.flags("demo", &c)
	parents := fs.Int("parents", 60, "how many simulated parents answer the survey")
	seed := fs.Uint64("seed", 1, "seed of the simulated parents' choices")
	serveWeb := fs.Bool("web", false, "serve the staff dashboard over the demo's data until interrupted, and print a sign-in link")
	webListen := fs.String("web-listen", "localhost:8080", "where --web serves the dashboard")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *serveWeb {
		if h, _, err := net.SplitHostPort(*webListen); err != nil || !web.LoopbackHost(h) {
			return fmt.Errorf("--web-listen %q: the demo serves the dashboard over plain http, where browsers keep the sign-in's Secure cookie only from localhost, so it listens on this machine alone; give localhost:PORT (or 127.0.0.1:PORT), and to serve other machines run `hailong run` with web.url behind an https reverse proxy", *webListen)
		}
	}
	started := time.Now()
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	cfg.Database = c.db
	if c.db == "" {
		// The default demo database starts afresh each time; one named
		// with --db is kept and added to.
		cfg.Database = filepath.Join(os.TempDir(), "hailong-demo", "hailong.db")
		if err := os.MkdirAll(filepath.Dir(cfg.Database), 0o755); err != nil {
			return err
		}
		if err := os.Remove(cfg.Database); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	srv := telegramtest.NewServer()
	defer srv.Close()
	cfg.Telegram.APIEndpoint = srv.Endpoint()
	// The fake has no limits and the demo should take seconds, not the
	// minutes Telegram's per-chat limit would make it.
	cfg.Telegram.Limits.PerSecond, cfg.Telegram.Limits.PerChatPerSecond, cfg.Telegram.Limits.PerChatBurst = 10000, 1000, 100
	cfg.Telegram.Flood.Updates = 1000 // simulated parents answer faster than people
	// A fake Zalo too: one parent answers there, by typing.
	zsrv := zalotest.NewServer()
	defer zsrv.Close()
	cfg.Zalo = &zaloYAML{APIBase: zsrv.URL(), Mode: zalo.Polling, PollTimeout: time.Second}
	cfg.Zalo.defaults()
	cfg.Zalo.Limits.PerSecond, cfg.Zalo.Limits.PerChatPerSecond, cfg.Zalo.Limits.PerChatBurst = 10000, 1000, 100

	// The demo's first primary school gets a principal and the top unit (the
	// department, which sees every school) a chat, so that a complaint can
	// be followed from both sides.
	demoSchool := -1
	for i, sc := range cfg.directory.Schools {
		if sc.Level == flows.Primary && demoSchool < 0 {
			demoSchool = i
			cfg.directory.Schools[i].Principals = []string{"telegram:" + strconv.FormatInt(demoPrincipal.ID, 10)}
		}
	}
	if *serveWeb {
		// An office staff member, who asks for the dashboard's link.
		cfg.directory.Offices[0].Staff = append(cfg.directory.Offices[0].Staff, "telegram:"+strconv.FormatInt(demoStaff.ID, 10))
		if s.webListener == nil {
			l, err := net.Listen("tcp", *webListen)
			if err != nil {
				return fmt.Errorf("--web-listen: %w", err)
			}
			s.webListener = l
		}
		cfg.Web.Listen = s.webListener.Addr().String()
		cfg.Web.URL = "http://" + cfg.Web.Listen
		if h, p, err := net.SplitHostPort(cfg.Web.Listen); err == nil && (h == "127.0.0.1" || h == "::1") {
			// Browsers keep the Secure cookie over plain http on
			// "localhost" only.
			cfg.Web.URL = "http://localhost:" + p
		}
	}
	if cfg.directory.Offices[0].Chat == "" {
		cfg.directory.Offices[0].Chat = "telegram:" + strconv.FormatInt(demoOfficeChat, 10)
	}

	clock := s.now
	if _, ok := cfg.directory.WaveAt(clock()); !ok {
		w := cfg.directory.Waves[len(cfg.directory.Waves)-1]
		shift := w.Start.Add(14 * 24 * time.Hour).Sub(clock())
		clock = func() time.Time { return s.now().Add(shift) }
		fmt.Fprintf(s.stdout, "(No survey wave of the config is open today; the demo's clock is set to %s, inside «%s».)\n\n", clock().In(cfg.loc).Format("02/01/2006"), w.Title)
	}
	sys := *s
	sys.now = clock

	log := s.logger(slog.LevelWarn)
	eng, err := cfg.engine()
	if err != nil {
		return err
	}
	if err := dbDir(cfg.Database); err != nil {
		return err
	}
	db, err := s.secret().open(cfg.Database, store.Options{Engine: eng, Logger: log}, log)
	if err != nil {
		return err
	}
	defer db.Close()

	botCtx, stopBot := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- sys.serve(botCtx, cfg, db, channelTokens{Telegram: telegramtest.Token, Zalo: zalotest.Token}, log)
	}()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		stopBot()
		return <-served
	}
	defer stop()

	fmt.Fprintf(s.stdout, "hailong demo: the real bot against a fake Telegram Bot API on %s, with %d simulated parents.\n\n", srv.URL(), *parents)
	schools := cfg.directory.Schools
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		failures   []error
		transcript strings.Builder
		slots      = make(chan struct{}, 20)
	)
	for i := range *parents {
		i := i
		sc := &schools[i%len(schools)]
		p := &demoParent{
			srv:    srv,
			user:   telegramtest.User{ID: int64(100001 + i), FirstName: "Phụ huynh", LastName: strconv.Itoa(i + 1), LanguageCode: "vi"},
			school: sc,
			q:      cfg.questionnaire,
			caps:   cfg.Survey.ClassSizeCaps,
			rng:    rand.New(rand.NewPCG(*seed, uint64(i))),
			mood:   0.5 + 0.09*float64(i%len(schools)),
		}
		if i == 0 {
			p.log = &transcript
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if err := p.survey(); err != nil {
				mu.Lock()
				failures = append(failures, fmt.Errorf("parent %d (%s): %w", i+1, sc.Code, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Fprintf(s.stdout, "── One parent's conversation (%s) ──\n\n%s\n", schools[0].Name, transcript.String())
	if len(failures) > 0 {
		return fmt.Errorf("%d simulated parents did not finish: %w", len(failures), errors.Join(failures...))
	}
	if demoSchool >= 0 {
		var story strings.Builder
		if err := demoComplaint(srv, &schools[demoSchool], &story); err != nil {
			return fmt.Errorf("demo complaint: %w", err)
		}
		fmt.Fprintf(s.stdout, "── One complaint, from filing to resolution: the parent and the principal of %s ──\n\n%s\n", schools[demoSchool].Name, story.String())
	}
	var zstory strings.Builder
	if err := demoZalo(zsrv, &schools[len(schools)-1], &zstory); err != nil {
		return fmt.Errorf("demo Zalo parent: %w", err)
	}
	fmt.Fprintf(s.stdout, "── A parent on Zalo: no buttons, options numbered, answered by number or by words ──\n\n%s\n", zstory.String())
	if err := s.demoDigest(srv, cfg, db, clock()); err != nil {
		return fmt.Errorf("demo digest: %w", err)
	}
	if err := s.demoPublish(cfg, db, clock()); err != nil {
		return fmt.Errorf("demo publish: %w", err)
	}
	if *serveWeb {
		if err := demoOpenComplaints(srv, schools); err != nil {
			return fmt.Errorf("demo complaints: %w", err)
		}
		link, err := demoWebLink(srv)
		if err != nil {
			return fmt.Errorf("demo web link: %w", err)
		}
		fmt.Fprintf(s.stdout, "── The staff dashboard ──\n\nAn office staff member sent /web to the bot; open its one-time link (valid %d minutes):\n\n  %s\n\nServing %s until interrupted (Ctrl-C).\n", int(flows.WebLinkTTL/time.Minute), link, cfg.Web.URL)
		select {
		case <-ctx.Done():
		case err := <-served:
			stopped = true
			return fmt.Errorf("bot: %w", err)
		}
	}
	if err := stop(); err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	w, _ := cfg.directory.WaveAt(clock())
	agg, err := db.Aggregates(w.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.stdout, "── Tallies ──")
	fmt.Fprintln(s.stdout)
	printTallies(s.stdout, cfg, eng, w, agg)
	fmt.Fprintf(s.stdout, "\n%d parents finished in %.1fs. The database is at %s\n(try: go run ./cmd/hailong chat --db %s)\n",
		*parents, time.Since(started).Seconds(), cfg.Database, cfg.Database)
	return nil
}

// demoParent answers the survey through the fake Telegram, the way a parent
// would: reading the bot's last message and pressing its buttons.
type demoParent struct {
	srv    *telegramtest.Server
	user   telegramtest.User
	school *flows.School
	q      *flows.Questionnaire
	caps   map[string]int
	rng    *rand.Rand
	mood   float64 // the chance of a favourable answer
	log    *strings.Builder
}

func (p *demoParent) survey() error {
	if err := p.say("/start " + p.school.Code); err != nil {
		return err
	}
	for range 60 {
		m, ok := p.srv.Last(p.user.ID)
		if !ok {
			return errors.New("the bot said nothing")
		}
		text := m.Text
		if len(m.Keyboard) == 0 && !strings.Contains(text, "✅ Đã ghi nhận") {
			// The bot's answer comes in more than one message and the
			// rest is on its way.
			p.srv.Wait(5*time.Second, func() bool { n, _ := p.srv.Last(p.user.ID); return n.ID != m.ID || n.Edits != m.Edits })
			continue
		}
		switch {
		case strings.Contains(text, "✅ Đã ghi nhận"):
			return nil
		case strings.Contains(text, "Anh/chị có đồng ý"):
			err := p.press(m, "✅ Đồng ý")
			if err != nil {
				return err
			}
		case strings.Contains(text, "học lớp nào"):
			btns := buttons(m)
			if err := p.press(m, btns[p.rng.IntN(len(btns))].Text); err != nil {
				return err
			}
		case strings.HasPrefix(text, "Câu "):
			if err := p.answer(m); err != nil {
				return err
			}
		case strings.Contains(text, "xem lại câu trả lời"):
			if err := p.press(m, "✅ Gửi câu trả lời"); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected message %q", clipText(text))
		}
	}
	return errors.New("the survey did not end after 60 steps")
}

func (p *demoParent) answer(m telegramtest.Message) error {
	var q *flows.Question
	for _, x := range p.q.For(p.school.Level) {
		if strings.Contains(m.Text, x.TextAt(p.school.Level, flows.Vietnamese)) {
			q = x
		}
	}
	if q == nil {
		return fmt.Errorf("no question matches %q", clipText(m.Text))
	}
	good := p.rng.Float64() < p.mood
	switch q.Kind {
	case flows.Number:
		capacity := p.caps[string(p.school.Level)]
		n := capacity - 8 + p.rng.IntN(8)
		if !good {
			n = capacity + 1 + p.rng.IntN(10)
		}
		if p.rng.IntN(10) == 0 {
			return p.press(m, "Không biết")
		}
		return p.say(strconv.Itoa(n))
	case flows.Text:
		if p.rng.IntN(5) < 3 {
			return p.say(demoComments[p.rng.IntN(len(demoComments))])
		}
		return p.press(m, "Bỏ qua")
	case flows.Scale:
		v := 4 + p.rng.IntN(2)
		if !good {
			v = 1 + p.rng.IntN(3)
		}
		return p.press(m, flows.ScaleOptions[v-1].Label)
	}
	if p.rng.IntN(12) == 0 {
		return p.press(m, "Không biết")
	}
	want := q.Good[0]
	if !good {
		want = map[string]string{"yes": "no", "no": "yes"}[want]
	}
	o, _ := q.Option(want)
	return p.press(m, o.Label)
}

func buttons(m telegramtest.Message) []telegramtest.Button {
	var out []telegramtest.Button
	for _, row := range m.Keyboard {
		out = append(out, row...)
	}
	return out
}

func (p *demoParent) say(text string) error {
	p.note("👤 " + text)
	return p.await(func() { p.srv.SendText(p.user, text) })
}

func (p *demoParent) press(m telegramtest.Message, label string) error {
	for _, b := range buttons(m) {
		if strings.TrimPrefix(b.Text, "✓ ") == label {
			p.note("👤 [" + b.Text + "]")
			return p.await(func() { p.srv.PressButton(p.user, m.ID, b.Data) })
		}
	}
	return fmt.Errorf("no button %q on %q", label, clipText(m.Text))
}

// await does act and waits for the bot's answer in the parent's chat.
func (p *demoParent) await(act func()) error {
	sc := scene{srv: p.srv, log: p.log, chats: []sceneChat{{id: p.user.ID}}}
	return sc.do(act)
}

// scene watches chats of the fake Telegram and writes what the bot sends
// into them, as a transcript.
type scene struct {
	srv   *telegramtest.Server
	log   *strings.Builder // nil: watch without writing
	chats []sceneChat
}

type sceneChat struct {
	id  int64
	who string // "" for the only chat watched
}

func (sc *scene) activity() int {
	n := 0
	for _, c := range sc.chats {
		n += sc.srv.Activity(c.id)
	}
	return n
}

// do runs act and waits for the bot's answer: its messages to the watched
// chats, until a short quiet spell; the new and edited ones are written.
func (sc *scene) do(act func()) error {
	before := map[int]int{}
	for _, c := range sc.chats {
		for _, m := range sc.srv.Messages(c.id) {
			before[m.ID] = m.Edits
		}
	}
	start := sc.activity()
	act()
	if !sc.srv.Wait(10*time.Second, func() bool { return sc.activity() > start }) {
		return errors.New("no answer from the bot within 10s")
	}
	for last := sc.activity(); ; {
		time.Sleep(40 * time.Millisecond)
		now := sc.activity()
		if now == last {
			break
		}
		last = now
	}
	if sc.log == nil {
		return nil
	}
	for _, c := range sc.chats {
		for _, m := range sc.srv.Messages(c.id) {
			edits, seen := before[m.ID]
			if !m.FromBot || (seen && edits == m.Edits) {
				continue
			}
			prefix := "🤖 "
			if c.who != "" {
				prefix = "🤖 → " + c.who + " "
			}
			if seen {
				prefix += "(sửa) "
			}
			switch m.Kind {
			case "photo":
				prefix += "[ảnh] "
			case "document":
				prefix += "[tệp " + m.FileName + "] "
			}
			fmt.Fprintf(sc.log, "%s%s%s\n\n", prefix, strings.ReplaceAll(m.Text, "\n", "\n   "), keyboardText(m))
		}
	}
	return nil
}

// demoComments are what the simulated parents write at the last question.
var demoComments = []string{
	"Nhà vệ sinh của trường dơ quá, các cháu không dám đi.",
	"Mong nhà trường sửa lại quạt trong lớp và nhắc các cháu giữ vệ sinh.",
	"Nhà vệ sinh thiếu xà phòng rửa tay, đề nghị nhà trường bổ sung.",
	"Giáo viên cho học thêm nhiều quá, các cháu về nhà rất mệt.",
	"Các khoản thu chi đầu năm chưa được công khai rõ ràng.",
	"Cô giáo chủ nhiệm rất tận tâm, cảm ơn nhà trường.",
	"Sân trường ngập nước mỗi khi mưa to.",
	"Đề nghị công khai thu chi quỹ phụ huynh.",
	"Học thêm buổi tối làm các cháu thiếu ngủ.",
	"Nhà vệ sinh hôi, cần dọn thường xuyên hơn.",
}

// demoReadComments has the principal open the comments from their weekly
// digest's button and turn a page, as the chat shows it.
func demoReadComments(srv *telegramtest.Server, log *strings.Builder) error {
	sc := scene{srv: srv, log: log, chats: []sceneChat{{demoPrincipal.ID, ""}}}
	m, ok := lastWith(srv, demoPrincipal.ID, "💬 Góp ý của phụ huynh")
	if !ok {
		return errors.New("the principal's digest has no comments button")
	}
	// The digest's part on comments: how many, what parents talk about.
	if _, part, ok := strings.Cut(m.Text, "💬"); ok {
		log.WriteString("🤖 (the principal's weekly digest, its end) 💬" + strings.ReplaceAll(part, "\n", "\n   ") + "\n\n")
	}
	log.WriteString("🧑‍🏫 hiệu trưởng: [💬 Góp ý của phụ huynh]\n\n")
	if err := sc.do(func() { srv.PressButton(demoPrincipal, m.ID, buttonData(m, "💬 Góp ý của phụ huynh")) }); err != nil {
		return err
	}
	if m, ok := lastWith(srv, demoPrincipal.ID, "Cũ hơn ▶"); ok {
		log.WriteString("🧑‍🏫 hiệu trưởng: [Cũ hơn ▶]\n\n")
		return sc.do(func() { srv.PressButton(demoPrincipal, m.ID, buttonData(m, "Cũ hơn ▶")) })
	}
	return nil
}

// The demo's principal and office chat (made up ids on the fake Telegram).
var (
	demoPrincipal  = telegramtest.User{ID: 900001, FirstName: "Hiệu trưởng", LanguageCode: "vi"}
	demoStaff      = telegramtest.User{ID: 900002, FirstName: "Cán bộ", LastName: "Phòng", LanguageCode: "vi"}
	demoOfficeChat = int64(-1009000001)
)

// demoComplaint plays one anonymous complaint with a photo at school,
// from filing to the parent's confirmation that it was solved.
func demoComplaint(srv *telegramtest.Server, school *flows.School, log *strings.Builder) error {
	parent := telegramtest.User{ID: 200001, FirstName: "Phụ huynh", LanguageCode: "vi"}
	sc := scene{srv: srv, log: log, chats: []sceneChat{{parent.ID, "phụ huynh"}, {demoPrincipal.ID, "hiệu trưởng"}, {demoOfficeChat, "nhóm Sở GDĐT"}}}
	note := func(s string) { log.WriteString(s + "\n\n") }
	say := func(u telegramtest.User, who, text string) error {
		note(who + ": " + text)
		return sc.do(func() { srv.SendText(u, text) })
	}
	press := func(u telegramtest.User, who, label string) error {
		m, ok := lastWith(srv, u.ID, label)
		if !ok {
			return fmt.Errorf("%s sees no button %q", who, label)
		}
		note(who + ": [" + label + "]")
		return sc.do(func() { srv.PressButton(u, m.ID, buttonData(m, label)) })
	}
	// The principal has opened the bot once (when the office registered them);
	// the office chat has the bot in it.
	quiet := scene{srv: srv, chats: []sceneChat{{demoPrincipal.ID, ""}, {demoOfficeChat, ""}}}
	if err := quiet.do(func() { srv.SendText(demoPrincipal, "/start") }); err != nil {
		return err
	}
	if err := quiet.do(func() {
		srv.SendGroupText(demoOfficeChat, "Sở GDĐT", telegramtest.User{ID: 900002, FirstName: "Chuyên viên"}, "/danhsach")
	}); err != nil {
		return err
	}
	steps := []func() error{
		func() error { return say(parent, "👤 phụ huynh", "/start "+school.Code) },
		func() error { return press(parent, "👤 phụ huynh", "✅ Đồng ý") },
		func() error { return say(parent, "👤 phụ huynh", "/phananh") },
		func() error { return press(parent, "👤 phụ huynh", "Cơ sở vật chất") },
		func() error {
			return say(parent, "👤 phụ huynh", "Quạt trần lớp 3A bị hỏng gần một tháng nay, trời nóng các cháu rất mệt.")
		},
		func() error {
			note("👤 phụ huynh: (gửi một ảnh)")
			return sc.do(func() { srv.SendPhoto(parent, "quạt trần lớp 3A") })
		},
		func() error { return press(parent, "👤 phụ huynh", "Xong (1 ảnh), tiếp tục ▶") },
		func() error { return say(parent, "👤 phụ huynh", "🕶 Gửi ẩn danh") },
		func() error { return press(parent, "👤 phụ huynh", "✅ Gửi phản ánh") },
		func() error { return press(demoPrincipal, "🧑‍🏫 hiệu trưởng", "✅ Tiếp nhận") },
		func() error { return press(demoPrincipal, "🧑‍🏫 hiệu trưởng", "✍️ Trả lời") },
		func() error {
			return say(demoPrincipal, "🧑‍🏫 hiệu trưởng", "Cảm ơn phụ huynh. Nhà trường đã thay quạt mới cho lớp 3A chiều nay.")
		},
		func() error {
			return press(demoPrincipal, "🧑‍🏫 hiệu trưởng", "✔️ Đã giải quyết")
		},
		func() error { return press(parent, "👤 phụ huynh", "Đã giải quyết") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// lastWith is the bot's newest message in chat with a button labelled label.
func lastWith(srv *telegramtest.Server, chat int64, label string) (telegramtest.Message, bool) {
	msgs := srv.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		if buttonData(msgs[i], label) != "" {
			return msgs[i], true
		}
	}
	return telegramtest.Message{}, false
}

func buttonData(m telegramtest.Message, label string) string {
	for _, b := range buttons(m) {
		if strings.TrimPrefix(b.Text, "✓ ") == label {
			return b.Data
		}
	}
	return ""
}

func keyboardText(m telegramtest.Message) string {
	var b strings.Builder
	for _, row := range m.Keyboard {
		b.WriteString("\n  ")
		for _, btn := range row {
			b.WriteString(" [" + btn.Text + "]")
		}
	}
	// A reply keyboard replaces the phone's keyboard; its buttons send
	// their labels (or, for the phone button, the contact).
	for _, row := range m.ReplyKeyboard {
		b.WriteString("\n   ⌨")
		for _, btn := range row {
			b.WriteString(" [" + btn.Text + "]")
		}
	}
	return b.String()
}

func (p *demoParent) note(s string) {
	if p.log != nil {
		p.log.WriteString(s + "\n\n")
	}
}

func clipText(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}

// demoDigest sends the weekly digest due next Monday — the week of the
// demo's answers — to the office chat, prints it as the chat shows it,
// and writes its chart and workbook beside the database.
func (s *system) demoDigest(srv *telegramtest.Server, cfg *Config, db *store.DB, now time.Time) error {
	job, err := digestJob(cfg, db, nil)
	if err != nil {
		return err
	}
	job.Now = func() time.Time { return now }
	due := now
	for i := 0; i < 8 && !job.Due(due).After(now); i++ {
		due = due.AddDate(0, 0, 1)
	}
	due = job.Due(due)
	if due.IsZero() || !due.After(now) {
		return errors.New("no digest is scheduled in the coming week")
	}
	var story strings.Builder
	sc := scene{srv: srv, log: &story, chats: []sceneChat{{demoOfficeChat, "nhóm Sở GDĐT"}}}
	var runErr error
	if err := sc.do(func() { _, runErr = job.Run(due) }); err != nil {
		if runErr != nil {
			return runErr
		}
		return err
	}
	if runErr != nil {
		return runErr
	}
	fmt.Fprintf(s.stdout, "── The weekly digest, as the department's chat receives it on %s (each ward's chat gets its own schools'; its wards are summed here) ──\n\n%s\n", due.In(cfg.loc).Format("Monday 02/01/2006 15:04"), story.String())
	var read strings.Builder
	if err := demoReadComments(srv, &read); err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "── The principal reads parents' comments from their digest (no names; none shown below %d respondents) ──\n\n%s\n", cfg.Survey.MinRespondents, read.String())
	from, to := job.Period(due)
	var codes []string
	for _, sc := range cfg.directory.Schools {
		codes = append(codes, sc.Code)
	}
	r, err := job.Report(&flows.ReportRequest{Scope: cfg.directory.Offices[0].Name, Schools: codes, From: from, To: to})
	if err != nil {
		return err
	}
	png, err := digest.Chart(r)
	if err != nil {
		return err
	}
	xlsx, err := digest.Workbook(r)
	if err != nil {
		return err
	}
	// Saved under the names the office chat received them by.
	dir := filepath.Dir(cfg.Database)
	chart, book := filepath.Join(dir, r.FileName(digest.FileChart, ".png")), filepath.Join(dir, r.FileName(digest.FileReport, ".xlsx"))
	if err := writeReport(chart, png); err != nil {
		return err
	}
	if err := writeReport(book, xlsx); err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "The digest's chart is at %s and its workbook at %s.\n\n", chart, book)
	return nil
}

// demoZalo has one parent answer the survey on the fake Zalo the way a
// Zalo user does: the school by "TRUONG <code>", options by number or by
// words, and writes the conversation.
func demoZalo(z *zalotest.Server, sc *flows.School, log *strings.Builder) error {
	u := zalotest.User{ID: "7a10000000000001", DisplayName: "Phụ huynh Zalo"}
	say := func(text string) (string, error) {
		before := len(z.Messages(u.ID))
		fmt.Fprintf(log, "👤 %s\n", text)
		z.Text(u, text)
		if !z.Wait(10*time.Second, func() bool { return len(z.Messages(u.ID)) > before }) {
			return "", fmt.Errorf("no answer to %q", text)
		}
		// The answer may come in more than one message.
		for {
			n := len(z.Messages(u.ID))
			if !z.Wait(60*time.Millisecond, func() bool { return len(z.Messages(u.ID)) > n }) {
				break
			}
		}
		var last string
		for _, m := range z.Messages(u.ID)[before:] {
			fmt.Fprintf(log, "🤖 %s\n", strings.ReplaceAll(m.Text, "\n", "\n   "))
			last = m.Text
		}
		log.WriteString("\n")
		return last, nil
	}
	text, err := say("TRUONG " + sc.Code)
	for _, answer := range []string{"1", "1"} { // agree; the first grade
		if err != nil {
			return err
		}
		text, err = say(answer)
	}
	for i := 0; err == nil && i < 30 && !strings.Contains(text, "✅ Đã ghi nhận"); i++ {
		switch {
		case strings.Contains(text, "xem lại câu trả lời"):
			text, err = say("gửi câu trả lời")
		case strings.Contains(text, "(Gõ một số"):
			text, err = say("28")
		case strings.Contains(text, "(Gõ góp ý"):
			text, err = say("bo qua")
		case strings.Contains(text, "1 · Rất không hài lòng"):
			text, err = say("4")
		case i%2 == 0:
			text, err = say("co")
		default:
			text, err = say("1")
		}
	}
	if err == nil && !strings.Contains(text, "✅ Đã ghi nhận") {
		err = fmt.Errorf("the Zalo survey did not end: %q", clipText(text))
	}
	return err
}

// demoWebLink has the demo's office staff member send /web to the bot and
// returns the sign-in link of its answer.
func demoWebLink(srv *telegramtest.Server) (string, error) {
	srv.SendText(demoStaff, "/web")
	var link string
	srv.Wait(10*time.Second, func() bool {
		m, ok := srv.Last(demoStaff.ID)
		if !ok {
			return false
		}
		for _, f := range strings.Fields(m.Text) {
			if strings.Contains(f, "/login?t=") {
				link = f
			}
		}
		return link != ""
	})
	if link == "" {
		return "", errors.New("the bot sent no sign-in link")
	}
	return link, nil
}

// demoOpenComplaints has three more parents file complaints that stay open,
// so that the dashboard's queue has something to act on.
func demoOpenComplaints(srv *telegramtest.Server, schools []flows.School) error {
	filed := []struct{ category, text string }{
		{"Dạy thêm, học thêm", "Cô chủ nhiệm lớp 5B yêu cầu các cháu đi học thêm buổi tối ở nhà cô, 400 nghìn một tháng."},
		{"An toàn, bạo lực học đường, thực phẩm", "Bữa trưa hôm nay ở căng tin có cơm bị chua, vài cháu đau bụng."},
		{"Thu chi, công khai tài chính", "Nhà trường thu tiền quỹ lớp nhưng chưa công khai các khoản chi học kì trước."},
	}
	for i, f := range filed {
		sc := schools[(i+2)%len(schools)]
		parent := telegramtest.User{ID: int64(200101 + i), FirstName: "Phụ huynh", LanguageCode: "vi"}
		quiet := scene{srv: srv, chats: []sceneChat{{parent.ID, ""}}}
		press := func(label string) error {
			m, ok := lastWith(srv, parent.ID, label)
			if !ok {
				return fmt.Errorf("parent %d sees no button %q", parent.ID, label)
			}
			return quiet.do(func() { srv.PressButton(parent, m.ID, buttonData(m, label)) })
		}
		say := func(text string) error { return quiet.do(func() { srv.SendText(parent, text) }) }
		for _, step := range []func() error{
			func() error { return say("/start " + sc.Code) }, func() error { return press("✅ Đồng ý") },
			func() error { return say("/phananh") }, func() error { return press(f.category) },
			func() error { return say(f.text) }, func() error { return press("Không có ảnh, tiếp tục ▶") },
			func() error { return say("🕶 Gửi ẩn danh") }, func() error { return press("✅ Gửi phản ánh") },
		} {
			if err := step(); err != nil {
				return err
			}
		}
	}
	return nil
}
