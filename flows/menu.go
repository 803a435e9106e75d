package flows

// The menu: what a parent with nothing in progress sees, and the commands
// and buttons that work from any message.
//
//	menu ──▶ 📝 survey (survey.go) · 📣 complaint (intake.go) · 📋 mine
//	         (mine.go) · 🏫 school (onboarding.go) · 🔒 my data (rights.go)
//	         · ℹ️ information (info.go) · ❓ help · English
//	/start [CODE], /menu, /huy, /english…: from any step

import (
	"strings"
	"time"
)

func (t *turn) start() {
	if t.in.Arg != "" {
		s, ok := t.e.dir.School(t.in.Arg)
		switch {
		case !ok:
			t.say(t.T("school.unknown", clip(t.in.Arg, 64)))
		case t.surveying() && strings.EqualFold(s.Code, t.s.School):
			// Scanning the same school's QR again resumes.
		default:
			t.s.reset()
			t.chooseSchool(s, StepQuestion)
			return
		}
	}
	if t.surveying() {
		qs := t.questions()
		t.reprompt(t.T("survey.resume", min(t.s.Q+1, len(qs)), len(qs)))
		return
	}
	if t.s.Step == StepMenu {
		t.menu()
		return
	}
	t.prompt()
}

func (t *turn) menu() { t.send(t.menuReply()) }

func (t *turn) menuReply() Reply {
	s := t.s
	label := t.T("menu.survey")
	if s.Step == StepQuestion || s.Step == StepConfirm || s.paused() {
		label = t.T("menu.resume")
	} else if w, ok := t.e.dir.WaveAt(t.in.Now); ok && s.Done[w.ID+"/"+s.School] != (time.Time{}) {
		label = t.T("menu.resurvey")
	}
	text := t.T("menu.noschool")
	if sc, ok := t.e.dir.School(s.School); ok {
		text = t.T("menu", sc.Name)
	}
	return Reply{Text: text, Buttons: [][]Button{
		{{Label: label, Data: menuData(menuSurvey)}},
		{{Label: t.T("menu.complaint"), Data: menuData(menuComplaint)}, {Label: t.T("menu.mine"), Data: menuData(menuMine)}},
		{{Label: t.T("menu.school"), Data: menuData(menuSchool)}, {Label: t.T("menu.data"), Data: menuData(menuMyData)}},
		{{Label: t.T("menu.info"), Data: menuData(menuInfo)}, {Label: t.T("menu.help"), Data: menuData(menuHelp)}},
		{t.langButton("")},
	}}
}

// keptMenu is the menu under text, in one message that stays.
func (t *turn) keptMenu(text string) Reply {
	m := t.menuReply()
	m.Text = text + "\n\n" + m.Text
	for _, row := range m.Buttons {
		for i := range row {
			row[i].Data = keepData(row[i].Data)
		}
	}
	return m
}

// other is the language a parent reading l is offered to switch to.
func other(l Lang) Lang {
	if l.or() == English {
		return Vietnamese
	}
	return English
}

// langButton switches to the other language, named in that language;
// before consent it carries the deep link's school.
func (t *turn) langButton(school string) Button {
	to := other(t.lang())
	return Button{Label: tr(to, "lang.name"), Data: langData(to, school)}
}

// langCommand is the language a command asks for: /english, /tiengviet,
// or /lang (and /ngonngu) for the other one.
func (t *turn) langCommand() (Lang, bool) {
	switch t.in.Command {
	case "english", "en", "tienganh":
		return English, true
	case "tiengviet", "vi", "vietnamese":
		return Vietnamese, true
	case "lang", "language", "ngonngu":
		return other(t.lang()), true
	}
	return "", false
}

// setLang switches a consented user's language and shows where they were
// in it.
func (t *turn) setLang(l Lang) {
	if l == Vietnamese {
		l = "" // the default is not stored
	}
	t.s.Lang = l
	t.notice = t.T("lang.set")
	t.reprompt(t.T("lang.set"))
}

// formal explains that a formal khiếu nại or tố cáo has its own channel.
func (t *turn) formal() {
	t.send(Reply{Text: t.T("c.formal"), Buttons: [][]Button{{{Label: t.T("menu.complaint"), Data: menuData(menuComplaint)}}, {{Label: t.T("menu.back"), Data: menuData(menuMain)}}}})
}

// langCommands are the commands that switch language (langCommand).
var langCommands = []string{"english", "en", "tienganh", "tiengviet", "vi", "vietnamese", "lang", "language", "ngonngu"}

// cancel answers /huy: whatever was begun is left, with the menu.
func (t *turn) cancel() {
	note := t.T("nothing")
	if t.s.Step != StepMenu {
		if t.surveying() {
			t.s.dropSurvey()
		}
		t.s.reset()
		t.moved()
		note = t.T("cancelled")
		if t.s.paused() {
			// A complaint begun midway through the survey: the
			// complaint goes, the survey's answers stay.
			note = t.T("cancelled.kept", t.T("menu.resume"))
		}
	}
	m := t.menuReply()
	m.Text = note + "\n\n" + m.Text
	t.send(m)
}

// complain begins a complaint, with the text offered as one, if any.
func (t *turn) complain() { t.startComplaint(t.standingOffer()) }

// langCommanded switches to the language a command names.
func (t *turn) langCommanded() {
	l, _ := t.langCommand()
	t.setLang(l)
}

// langPressed switches to the language pressed.
func (t *turn) langPressed(p press) bool {
	l, ok := ParseLang(p.arg(0))
	if !ok {
		return false
	}
	t.setLang(l)
	return true
}

// menuItem takes a main-menu entry, from any message.
func (t *turn) menuItem(p press) bool {
	switch p.arg(0) {
	case menuSurvey:
		t.startSurvey()
	case menuSchool:
		t.s.reset()
		t.askLevel(StepMenu)
	case menuHelp:
		t.say(t.T("help"))
		t.menu()
	case menuComplaint:
		t.complain()
	case menuMine:
		t.myComplaints()
	case menuFormal:
		t.formal()
	case menuMain:
		t.menu()
	case menuMyData:
		t.myData()
	case menuInfo:
		t.information()
	case menuErase:
		t.askErase()
	default:
		return false
	}
	return true
}

// oldAnnouncement takes the survey button of announcements sent before
// kept menus ("n:s").
func (t *turn) oldAnnouncement(p press) bool {
	if p.arg(0) != menuSurvey {
		return false
	}
	t.startSurvey()
	return true
}

// consentAgain takes a press on a consent message sent before the parent
// agreed elsewhere; its school, if any, still counts.
func (t *turn) consentAgain(p press) bool {
	t.notice = t.T("consent.already")
	if sc, ok := t.e.dir.School(p.arg(0)); ok && p.verb == vAgree && !(t.surveying() && sc.Code == t.s.School) &&
		!(t.doubleTap() && sc.Code == t.s.School) {
		t.s.reset()
		t.chooseSchool(sc, StepQuestion)
		return true
	}
	if !t.doubleTap() {
		t.prompt()
	}
	return true
}
