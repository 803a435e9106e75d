package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
	"hailong/store"
)

func (s *system) demoCmd(ctx context.Context, args []string) error {
	var c common
	fs := s.flags("demo", &c)
	parents := fs.Int("parents", 60, "how many simulated parents answer the survey")
	seed := fs.Uint64("seed", 1, "seed of the simulated parents' choices")
	if err := parse(fs, args); err != nil {
		return err
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

	clock := s.now
	if _, ok := cfg.directory.WaveAt(clock()); !ok {
		w := cfg.directory.Waves[len(cfg.directory.Waves)-1]
		shift := w.Start.Add(14 * 24 * time.Hour).Sub(clock())
		clock = func() time.Time { return s.now().Add(shift) }
		fmt.Fprintf(s.stdout, "(No survey wave of the config is open today; the demo's clock is set to %s, inside «%s».)\n\n", clock().In(cfg.loc).Format("02/01/2006"), w.Title)
	}
	sys := *s
	sys.now = clock

	var secret []byte
	if v := s.getenv("HAILONG_SECRET"); v != "" {
		secret = []byte(v)
	}
	log := s.logger(slog.LevelWarn)
	eng, err := cfg.engine()
	if err != nil {
		return err
	}
	db, err := store.Open(cfg.Database, store.Options{Engine: eng, Secret: secret, LocalSecret: secret == nil, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()

	botCtx, stopBot := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- sys.serve(botCtx, cfg, db, telegramtest.Token, log) }()

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
	stopBot()
	if err := <-served; err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	fmt.Fprintf(s.stdout, "── One parent's conversation (%s) ──\n\n%s\n", schools[0].Name, transcript.String())
	if len(failures) > 0 {
		return fmt.Errorf("%d simulated parents did not finish: %w", len(failures), errors.Join(failures...))
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
	for range 40 {
		m, ok := p.srv.Last(p.user.ID)
		if !ok {
			return errors.New("the bot said nothing")
		}
		text := m.Text
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
	return errors.New("the survey did not end after 40 steps")
}

func (p *demoParent) answer(m telegramtest.Message) error {
	var q *flows.Question
	for _, x := range p.q.For(p.school.Level) {
		if strings.Contains(m.Text, x.Text) {
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
		if p.rng.IntN(4) == 0 {
			return p.say("Mong nhà trường sửa lại quạt trong lớp và nhắc các cháu giữ vệ sinh.")
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

// await does act and waits for the bot's answer: its messages to this chat,
// until a short quiet spell; the new and edited ones go to the transcript.
func (p *demoParent) await(act func()) error {
	before := map[int]int{}
	for _, m := range p.srv.Messages(p.user.ID) {
		before[m.ID] = m.Edits
	}
	start := p.srv.Activity(p.user.ID)
	act()
	if !p.srv.Wait(10*time.Second, func() bool { return p.srv.Activity(p.user.ID) > start }) {
		return errors.New("no answer from the bot within 10s")
	}
	for last := p.srv.Activity(p.user.ID); ; {
		time.Sleep(40 * time.Millisecond)
		now := p.srv.Activity(p.user.ID)
		if now == last {
			break
		}
		last = now
	}
	for _, m := range p.srv.Messages(p.user.ID) {
		edits, seen := before[m.ID]
		if !m.FromBot || (seen && edits == m.Edits) {
			continue
		}
		prefix := "🤖 "
		if seen {
			prefix = "🤖 (sửa) "
		}
		p.note(prefix + strings.ReplaceAll(m.Text, "\n", "\n   ") + keyboardText(m))
	}
	return nil
}

func keyboardText(m telegramtest.Message) string {
	var b strings.Builder
	for _, row := range m.Keyboard {
		b.WriteString("\n  ")
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
