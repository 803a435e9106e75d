package flows

// Announcements: a message from a school or a unit to the parents who
// have used the bot for its schools.
//
//	/thongbao [CODE] ──▶ "type the text" [Khảo sát đang mở] [Huỷ]
//	   text or photo ──▶ preview [Gửi] [Viết lại] [Huỷ]
//	      Gửi ──▶ Result.Announce: queued to the parents, counted, the author
//	              told the counts when the last is settled (store)
//	      Viết lại ──▶ "type the text"; typed over the preview: a new preview
//	   Khảo sát đang mở ──▶ preview of the ready-made survey announcement

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Announcement is a message from a school or an office to the parents who
// have used the bot for its schools (seed plan III.2.d: publicise the plan,
// the survey, the policies). Staff write it, see a preview and confirm; the
// store then queues one row per parent at the lowest priority and counts
// what became of them, and the author is told the counts when the last row
// is settled.
type Announcement struct {
	ID      uint64   `json:"id,omitempty"`
	Scope   string   `json:"scope"` // who sends it, as parents read it: the school's or office's name
	Schools []string `json:"schools"`
	Text    string   `json:"text,omitempty"`
	Photo   string   `json:"photo,omitempty"`
	// Wave makes it the ready-made "the survey is open" announcement,
	// written in each parent's language, with the survey button.
	Wave    string    `json:"wave,omitempty"`
	Author  Address   `json:"author"`
	Created time.Time `json:"created"`

	// Kept by the store: rows queued, then what became of them. Stopped
	// parents (/stop) are counted and not sent to.
	Queued    int       `json:"queued"`
	Delivered int       `json:"delivered"`
	Blocked   int       `json:"blocked"`
	Failed    int       `json:"failed"`
	Stopped   int       `json:"stopped"`
	Finished  time.Time `json:"finished,omitzero"`
}

// Code is the announcement's reference, e.g. TB-000012.
func (a *Announcement) Code() string { return fmt.Sprintf("TB-%06d", a.ID) }

// Settled reports whether every queued row has been delivered or given up.
func (a *Announcement) Settled() bool { return a.Delivered+a.Blocked+a.Failed >= a.Queued }

func (a *Announcement) clone() *Announcement {
	c := *a
	c.Schools = slices.Clone(a.Schools)
	return &c
}

// Most an announcement may say: a message's text, or a photo's caption,
// with the header and footer around it.
const (
	MaxAnnouncementText    = 3500
	MaxAnnouncementCaption = 800
)

// AnnouncementFor is the announcement as a parent reading l receives it.
func (e *Engine) AnnouncementFor(a *Announcement, l Lang) Reply {
	if a.Wave != "" {
		title, end := a.Wave, ""
		if w, ok := e.dir.Wave(a.Wave); ok {
			title, end = w.TitleIn(l), e.day(w.End.Add(-time.Minute))
		}
		return Reply{Text: tr(l, "ann.survey", a.Scope, title, end) + "\n\n" + tr(l, "ann.footer"),
			Buttons: [][]Button{{{Label: tr(l, "menu.survey"), Data: keepData(menuData(menuSurvey))}}}, Lang: l, Detached: tr(l, "hint.survey")}
	}
	return Reply{Text: tr(l, "ann.header", a.Scope) + "\n\n" + a.Text + "\n\n" + tr(l, "ann.footer"), Photo: a.Photo, Lang: l}
}

// AnnouncementReport tells the author what became of the announcement.
func (e *Engine) AnnouncementReport(a *Announcement) Reply {
	return Reply{Text: T("ann.report", a.Code(), a.Scope, a.Delivered, a.Queued, a.Blocked, a.Failed, a.Stopped)}
}

// announceStart begins an announcement: "/thongbao" for every school the
// staff member covers, "/thongbao CODE" for one of them.
func (t *turn) announceStart() {
	schools := t.who.Schools
	if t.in.Group {
		t.say(T("ann.private"))
		return
	}
	scope := schools
	name := t.scopeName()
	if code := strings.TrimSpace(t.in.Arg); code != "" {
		sc, ok := t.e.dir.School(code)
		if !ok || !slices.Contains(schools, sc.Code) {
			t.say(T("ann.school.denied", clip(code, 32)))
			return
		}
		scope, name = []string{sc.Code}, sc.Name
	}
	t.s.Step, t.s.Target = StepStaffAnnounce, 0
	t.s.Announce = &Announcement{Scope: name, Schools: scope}
	t.s.Nonce++
	t.send(t.announceAsk())
}

func (t *turn) announceAsk() Reply {
	a := t.s.Announce
	return Reply{Text: T("ann.ask", a.Scope, t.look.Audience(a.Schools)), Typed: true, Buttons: [][]Button{
		{{Label: T("ann.template"), Data: t.nonced(annAct(annSurvey))}},
		{{Label: T("c.cancel"), Data: listData()}},
	}}
}

// announceText takes the announcement typed (or a photo with its caption).
func (t *turn) announceText(text, photo string) {
	text = strings.TrimSpace(text)
	limit := MaxAnnouncementText
	if photo != "" {
		limit = MaxAnnouncementCaption
	}
	n := utf8.RuneCountInString(text)
	switch {
	case n == 0 && photo != "":
		t.say(T("ann.caption"))
		return
	case n == 0:
		t.send(t.announceAsk())
		return
	case n > limit:
		t.say(T("ann.long", n, limit))
		return
	}
	a := t.s.Announce
	a.Text, a.Photo, a.Wave = text, photo, ""
	t.announcePreview()
}

func (t *turn) announcePreview() {
	a := t.s.Announce
	t.s.Step = StepStaffAnnConfirm
	t.s.Nonce++
	p := t.e.AnnouncementFor(a, Vietnamese)
	p.Text = T("ann.preview", a.Scope, t.look.Audience(a.Schools)) + "\n\n— — —\n" + p.Text
	p.Buttons = [][]Button{
		{{Label: T("ann.send"), Data: t.nonced(annAct(annSend))}},
		{{Label: T("ann.edit"), Data: t.nonced(annAct(annEdit))}, {Label: T("c.cancel"), Data: listData()}},
	}
	t.send(p)
}

// announcePressed takes an announcement prompt's button: the ready-made
// survey text, write again, or send.
func (t *turn) announcePressed(p press) bool {
	a := t.s.Announce
	verb := p.arg(0)
	switch {
	case a == nil:
		return t.announceStale(p)
	case verb == annSurvey && slices.Contains(announcing, t.s.Step):
		t.announceSurvey()
	case verb == annEdit && t.s.Step == StepStaffAnnConfirm:
		t.s.Step = StepStaffAnnounce
		t.s.Nonce++
		t.send(t.announceAsk())
	case verb == annSend && t.s.Step == StepStaffAnnConfirm:
		t.announceSend()
	default:
		return t.announceStale(p)
	}
	return true
}

// announceStale answers a press on an announcement's prompt since left.
func (t *turn) announceStale(press) bool {
	t.notice = T("stale.notice")
	t.say(t.T("ann.stale"))
	return true
}

// announceCancelled takes "Huỷ" typed while an announcement is written.
func (t *turn) announceCancelled(press) bool {
	if !isCancel(t.in.Text) {
		return false
	}
	t.staffLeave("cancelled.staff")
	return true
}

// templateTyped takes the ready-made announcement's label typed.
func (t *turn) templateTyped(press) bool {
	switch {
	case !isLabel(t.in.Text, T("ann.template")):
		return false
	case t.s.Announce == nil:
		return t.announceStale(press{})
	}
	t.announceSurvey()
	return true
}

// announceTyped takes the text (or photo) typed; typed over a preview,
// the new text replaces the old.
func (t *turn) announceTyped() {
	t.s.Step = StepStaffAnnounce
	t.announceText(t.in.Text, t.in.Photo)
}

// announceSurvey previews the ready-made "the survey is open" text.
func (t *turn) announceSurvey() {
	w, ok := t.e.dir.WaveAt(t.in.Now)
	if !ok {
		t.notice = T("ann.nowave")
		t.say(T("ann.nowave"))
		return
	}
	a := t.s.Announce
	a.Text, a.Photo, a.Wave = "", "", w.ID
	t.announcePreview()
}

// announceSend queues the announcement, to the schools still in the
// sender's scope: a principal whose invite was revoked since the preview
// sends nothing.
func (t *turn) announceSend() {
	a := t.s.Announce
	var scope []string
	for _, s := range a.Schools {
		if slices.Contains(t.who.Schools, s) {
			scope = append(scope, s)
		}
	}
	if len(scope) == 0 {
		t.s.Step, t.s.Announce = StepMenu, nil
		t.deny("staff.denied")
		return
	}
	a = a.clone()
	a.Schools, a.Author, a.Created = scope, Address{Channel: t.env.Channel, Chat: t.env.Chat}, t.in.Now
	t.Announce = a
	t.s.Step, t.s.Announce = StepMenu, nil
	t.audit("announce", a.Scope)
	t.notice = T("ann.queued.notice")
	t.say(T("ann.queued", a.Scope))
}
