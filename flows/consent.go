package flows

import "strings"

// The consent conversation: a user who has not agreed yet sees the
// notice, and only its buttons lead anywhere. Nothing is stored before
// Đồng ý — except, on channels without buttons, the school and language
// the user picked for the prompt (Result.Pre), since the prompt cannot
// carry them.
//
//	(anything) ──▶ notice [Đồng ý] [Không đồng ý] [English]
//	   Đồng ý (or typed "1", "đồng ý", "có", "ok") ──▶ consented: the school's
//	                                 grade, or the levels (onboarding.go)
//	   Không đồng ý ──▶ nothing stored; the notice stays
//	   English / Tiếng Việt, /english ──▶ the notice in that language
//	   a school's code, /start CODE ──▶ the notice, the school kept for Đồng ý

// consentTable is consentRoutes, the edges before consent; what none takes
// is answered with the notice.
func consentTable() []route {
	return []route{
		{on: tap(vAgree), do: (*turn).agree},
		{on: tap(vRefuse), do: (*turn).refuse},
		{on: tap(vLang), do: (*turn).consentIn},
		{on: typed, do: (*turn).consentTyped},
		{on: cmd(langCommands...), do: (*turn).consentLangCommand},
		{on: cmd("help"), do: (*turn).consentHelp},
		{on: cmd("dulieu", "xoadulieu"), do: (*turn).consentNoData},
		{on: cmd("start"), do: (*turn).consentStart},
	}
}

// beforeConsent answers a user who has not agreed yet.
func (t *turn) beforeConsent() {
	pre := t.look.Pre(t.env.Key)
	if t.pre == "" {
		t.pre = pre.Lang.or()
	}
	t.before = pre
	p := t.input()
	if t.in.Kind == KindButton {
		p, _ = readData(t.in.Data) // a kept menu's button is not the prompt's
	}
	if !t.route(consentRoutes, t.in.Kind, p) {
		t.consentPrompt(t.before.School)
	}
}

// consentPress handles data of the consent prompt, tapped or typed.
func (t *turn) consentPress(data string) {
	t.pressed = data
	p, _ := readData(data)
	if !t.route(consentRoutes, KindButton, p) {
		t.consentPrompt(t.before.School)
	}
}

// remember keeps the school and language picked, on a channel whose
// prompt has no buttons to carry them.
func (t *turn) remember(school string) {
	if !t.in.Numbered {
		return // the prompt's buttons carry it
	}
	p := PreConsent{School: school}
	if t.pre == English {
		p.Lang = English
	}
	t.Pre = &p
}

// agree records the consent (agreeData: the deep link's school, the
// language read in) and goes on to the school's grade or the levels.
func (t *turn) agree(p press) bool {
	if l, ok := ParseLang(p.arg(1)); ok {
		t.pre = l
	}
	in := t.in
	t.s = &Session{Consent: &Consent{At: in.Now, Version: t.e.consentVersion}}
	if t.pre == English {
		t.s.Lang = English
	}
	t.changed = true
	t.Pre = &PreConsent{} // now in the session
	no := false
	t.OptOut = &no
	t.send(Reply{Text: t.consentEcho() + t.T("consent.given", in.Now.In(t.e.loc).Format("15:04 02/01/2006"))})
	if s, ok := t.e.dir.School(p.arg(0)); ok {
		t.chooseSchool(s, StepQuestion)
	} else {
		t.askLevel(StepQuestion)
	}
	return true
}

// refuse answers a refusal: nothing is stored, not even what was picked.
func (t *turn) refuse(p press) bool {
	if l, ok := ParseLang(p.arg(1)); ok {
		t.pre = l
	}
	t.send(Reply{Text: t.consentEcho() + t.T("consent.refused")})
	t.Pre = &PreConsent{} // "nothing is stored": not even these
	return true
}

// consentIn shows the notice again in the language pressed (langData,
// with the deep link's school).
func (t *turn) consentIn(p press) bool {
	if l, ok := ParseLang(p.arg(0)); ok {
		t.pre = l
	}
	school := t.before.School
	if p.arg(1) != "" {
		school = p.arg(1)
	}
	t.remember(school)
	t.consentPrompt(school)
	return true
}

// consentTyped reads a typed answer to the notice: "1", "đồng ý", "dong
// y" or "agree" (its buttons' words, in either language), or a plain
// "có", "ok", "vâng ạ", "không ạ"; a school's code typed alone picks the
// school, as its QR code does.
func (t *turn) consentTyped(press) bool {
	school := t.before.School
	for _, l := range append([]Lang{t.lang()}, other(t.lang())) {
		t.pre = l
		if t.choose(t.consentButtons(school), t.in.Numbered, (*turn).consentPress) {
			return true
		}
	}
	t.pre = t.before.Lang.or()
	if yes, ok := answers(t.in.Text); ok {
		// The notice asks "có đồng ý … không?": a plain yes or no answers
		// it as plainly as its buttons.
		b := t.consentButtons(school)
		if yes {
			t.consentPress(b[0].Data)
		} else {
			t.consentPress(b[1].Data)
		}
		return true
	}
	if sc, ok := t.e.dir.School(strings.TrimSpace(t.in.Text)); ok {
		school = sc.Code
		t.remember(school)
	}
	t.consentPrompt(school)
	return true
}

// consentLangCommand shows the notice in the language a command asks for.
func (t *turn) consentLangCommand(press) bool {
	t.pre, _ = t.langCommand()
	t.remember(t.before.School)
	t.consentPrompt(t.before.School)
	return true
}

func (t *turn) consentHelp(press) bool {
	t.say(t.T("help"))
	t.consentPrompt(t.before.School)
	return true
}

// consentNoData answers /dulieu and /xoadulieu: nothing is stored; what
// was picked for the prompt goes with /xoadulieu.
func (t *turn) consentNoData(press) bool {
	t.say(t.T("data.none"))
	school := t.before.School
	if t.in.Command == "xoadulieu" && t.before != (PreConsent{}) {
		t.Pre = &PreConsent{} // the school or language picked goes too
		school, t.pre = "", Vietnamese
	}
	t.consentPrompt(school)
	return true
}

// consentStart answers /start, with a school's code from its QR code.
func (t *turn) consentStart(press) bool {
	school := t.before.School
	if t.in.Arg != "" {
		if sc, ok := t.e.dir.School(t.in.Arg); ok && sc.Code != school {
			school = sc.Code
			t.remember(school)
		}
	}
	t.consentPrompt(school)
	return true
}

// answers reads a text typed at the consent notice as a plain yes or no.
func answers(text string) (yes, ok bool) {
	f := strings.TrimSuffix(strings.TrimSuffix(Fold(text), " a"), " ah")
	switch f {
	case "co", "ok", "oke", "okay", "yes", "vang", "da", "dong y", "toi dong y", "co dong y", "i agree":
		return true, true
	case "khong", "no", "khong dong y", "toi khong dong y", "i do not agree":
		return false, true
	}
	return false, false
}

// consentButtons are the consent prompt's buttons: agree and refuse carry
// the deep link's school and the language chosen, the last offers the
// other language.
func (t *turn) consentButtons(school string) []Button {
	yes, no := agreeData(school, t.pre), refuseData(t.pre)
	return []Button{{Label: t.T("consent.yes"), Data: yes}, {Label: t.T("consent.no"), Data: no}, t.langButton(school)}
}

func (t *turn) consentPrompt(school string) {
	b := t.consentButtons(school)
	t.replies = append(t.replies, Reply{Text: t.consentText(), Buttons: [][]Button{b[:2], b[2:]}})
}

// consentEcho is the notice again above the answer to it, where the
// answer replaces the prompt's message (it keeps the notice on screen);
// a channel that cannot edit shows the answer alone below the prompt.
func (t *turn) consentEcho() string {
	if t.in.Numbered {
		return ""
	}
	return t.consentText() + "\n\n"
}

func (t *turn) consentText() string {
	months := t.e.retention
	if months <= 0 {
		months = 12
	}
	return t.T("consent", t.e.ownerIn(t.lang()), months)
}
