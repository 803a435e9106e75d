package flows

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
