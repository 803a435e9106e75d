package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"hailong/bot/telegramtest"
	"hailong/flows"
)

// tapper is a simulated parent on the fake Telegram who answers the survey
// as a person does: by looking at the newest message with buttons and
// tapping one of them — never by typing what the bench knows the bot
// expects. The bench and the tests of real-network behaviour use it.
type tapper struct {
	srv  *telegramtest.Server
	u    telegramtest.User
	code string // the school's code, as its QR poster carries it
	rnd  *rand.Rand

	last struct {
		id         int
		text, data string
	} // the last tap: a screen unchanged is tapped the same
	taps     int             // buttons tapped
	answered []time.Duration // tap → the screen changed, for each tap that changed it
	at       []time.Time     // when each of those changes was seen
	surveys  int             // surveys sent (the bot said it saved them)
	stale    int             // taps answered with the stale-button notice
}

func newTapper(srv *telegramtest.Server, id int64, code string) *tapper {
	return &tapper{srv: srv, u: telegramtest.User{ID: id, FirstName: "P"}, code: code,
		rnd: rand.New(rand.NewPCG(uint64(id), 7))}
}

// savedPrefix begins the bot's message that a survey was saved.
var savedPrefix = strings.SplitN(flows.T("saved", "\x00", "\x00"), "\x00", 2)[0]

// screen is what the parent sees: the newest bot message with buttons,
// and how often the bot has written or edited in the chat.
type screen struct {
	msg      telegramtest.Message
	ok       bool
	activity int
	saved    int // messages saying a survey was saved
}

func (p *tapper) look() screen {
	var sc screen
	sc.activity = p.srv.Activity(p.u.ID)
	for _, m := range p.srv.Messages(p.u.ID) {
		if !m.FromBot {
			continue
		}
		if strings.HasPrefix(m.Text, savedPrefix) {
			sc.saved++
		}
		if len(m.Keyboard) > 0 {
			sc.msg, sc.ok = m, true
		}
	}
	return sc
}

// changed says whether the screen shows something else than before.
func (sc screen) changed(before screen) bool {
	return sc.ok != before.ok || sc.msg.ID != before.msg.ID || sc.msg.Text != before.msg.Text ||
		sc.msg.Edits != before.msg.Edits
}

// choose picks what a parent going through the survey taps: agree, send
// the answers, start the survey again, else one of the answers at random;
// never back, start over, refuse or another language. Skipping is for the
// comment question, which has nothing else to tap.
func (p *tapper) choose(m telegramtest.Message) (telegramtest.Button, bool) {
	avoid := []string{flows.T("back"), flows.T("confirm.redo"), flows.T("consent.no"), flows.T("skip")}
	first := []string{flows.T("consent.yes"), flows.T("confirm.send"), flows.T("menu.survey"), flows.T("menu.resurvey"), flows.T("menu.resume")}
	var answers []telegramtest.Button
	var skip *telegramtest.Button
	for _, row := range m.Keyboard {
		for _, b := range row {
			label := strings.TrimPrefix(b.Text, "✓ ")
			switch {
			case slices.Contains(first, label):
				return b, true
			case label == flows.T("skip"):
				skip = &b
			case slices.Contains(avoid, label), strings.HasPrefix(label, "🌐"), strings.HasPrefix(b.Data, "m:"):
			default:
				answers = append(answers, b)
			}
		}
	}
	if len(answers) > 0 {
		return answers[p.rnd.IntN(len(answers))], true
	}
	if skip != nil {
		return *skip, true
	}
	return telegramtest.Button{}, false
}

// begin scans the school's QR code.
func (p *tapper) begin() { p.srv.SendText(p.u, "/start "+p.code) }

// tap taps what the screen shows now and returns the screen it tapped on.
func (p *tapper) tap() (screen, bool) {
	sc := p.look()
	if !sc.ok {
		return sc, false
	}
	b, ok := p.choose(sc.msg)
	if !ok {
		return sc, false
	}
	if p.last.id == sc.msg.ID && p.last.text == sc.msg.Text {
		// The screen has not changed: a person taps what they tapped.
		b.Data = p.last.data
	}
	p.last.id, p.last.text, p.last.data = sc.msg.ID, sc.msg.Text, b.Data
	p.srv.PressButton(p.u, sc.msg.ID, b.Data)
	p.taps++
	return sc, true
}

// waitChange waits until the screen differs from before, for at most d;
// false if it did not change.
func (p *tapper) waitChange(before screen, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		now := p.look()
		if now.changed(before) {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 || !p.srv.WaitActivity(p.u.ID, now.activity, left) {
			return p.look().changed(before)
		}
	}
}

// staleShown counts the bot's messages showing the stale-button notice.
func (p *tapper) staleShown() int {
	n := 0
	note := flows.T("stale")
	for _, m := range p.srv.Messages(p.u.ID) {
		if m.FromBot && strings.HasPrefix(m.Text, note) {
			n++
		}
	}
	return n
}

// asFastAsPossible taps, waits for the screen to change, and taps again at
// once, until ctx ends or the parent has sent surveys surveys (0: no end).
func (p *tapper) asFastAsPossible(ctx context.Context, surveys int) {
	p.begin()
	p.waitChange(screen{}, 30*time.Second)
	for ctx.Err() == nil && (surveys == 0 || p.look().saved < surveys) {
		t0 := time.Now()
		before, ok := p.tap()
		if !ok {
			p.waitChange(before, time.Second)
			continue
		}
		if p.waitChange(before, 30*time.Second) {
			p.answered, p.at = append(p.answered, time.Since(t0)), append(p.at, time.Now())
		}
	}
	p.surveys = p.look().saved
	p.stale = p.staleShown()
}

// paced taps every interval (drawn from [lo, hi]), looking at the screen
// only when tapping, as a person reading along does, until ctx ends or the
// parent has sent surveys surveys (0: no end). A tap whose screen changes
// before the next one counts as answered. Parents scan the QR code at
// moments spread over the first interval, not all at once.
func (p *tapper) paced(ctx context.Context, lo, hi time.Duration, surveys int) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Duration(p.rnd.Int64N(int64(hi) + 1))):
	}
	p.begin()
	p.waitChange(screen{}, 30*time.Second)
	for ctx.Err() == nil && (surveys == 0 || p.look().saved < surveys) {
		wait := lo
		if hi > lo {
			wait += time.Duration(p.rnd.Int64N(int64(hi - lo)))
		}
		t0 := time.Now()
		before, ok := p.tap()
		if ok && p.waitChange(before, wait) {
			p.answered, p.at = append(p.answered, time.Since(t0)), append(p.at, time.Now())
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(t0.Add(wait))):
		}
	}
	p.surveys = p.look().saved
	p.stale = p.staleShown()
}
