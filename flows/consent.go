package flows

import "strings"

// beforeConsent answers a user who has not agreed yet: only the consent
// buttons lead anywhere, and nothing is stored before Đồng ý — except, on
// channels without buttons, the school and language the user picked for
// the prompt (Result.Pre), since the prompt cannot carry them.
func (t *turn) beforeConsent() {
	in := t.in
	pre := t.look.Pre(t.env.Key)
	if t.pre == "" {
		t.pre = pre.Lang.or()
	}
	school := pre.School
	remember := func() {
		if !in.Numbered {
			return // the prompt's buttons carry it
		}
		p := PreConsent{School: school}
		if t.pre == English {
			p.Lang = English
		}
		t.preSave = &p
	}
	if in.Kind == KindButton {
		p, ok := readData(in.Data)
		verb := p.verb
		if !ok || p.nonce != "" || verb != vAgree && verb != vRefuse && verb != vLang {
			verb, p = "", press{} // not the consent prompt's
		}
		// agreeData and refuseData answer the prompt; langData shows it
		// again in its language.
		arg, lang := p.arg(0), p.arg(1)
		if verb == vLang {
			lang, arg = arg, lang
		}
		if l, ok := ParseLang(lang); ok {
			t.pre = l
		}
		switch verb {
		case vAgree:
			t.s = &Session{Consent: &Consent{At: in.Now, Version: t.e.consentVersion}}
			if t.pre == English {
				t.s.Lang = English
			}
			t.changed = true
			t.preSave = &PreConsent{} // now in the session
			no := false
			t.optOut = &no
			t.send(Reply{Text: t.consentEcho() + t.T("consent.given", in.Now.In(t.e.loc).Format("15:04 02/01/2006"))})
			if s, ok := t.e.dir.School(arg); ok {
				t.chooseSchool(s, StepQuestion)
			} else {
				t.askLevel(StepQuestion)
			}
			return
		case vRefuse:
			t.send(Reply{Text: t.consentEcho() + t.T("consent.refused")})
			t.preSave = &PreConsent{} // "nothing is stored": not even these
			return
		case vLang:
			if arg != "" {
				school = arg
			}
			remember()
			t.consentPrompt(school)
			return
		}
	}
	if in.Kind == KindText {
		// Typed "1", "đồng ý", "dong y" or "agree" agrees too, with the
		// school picked before.
		for _, l := range append([]Lang{t.lang()}, other(t.lang())) {
			t.pre = l
			if b, ok := match(in.Text, t.consentButtons(school), in.Numbered); ok {
				t.in.Kind, t.in.Data = KindButton, b.Data
				t.beforeConsent()
				return
			}
		}
		t.pre = pre.Lang.or()
		if yes, ok := answers(in.Text); ok {
			// The notice asks "có đồng ý … không?": "có", "ok", "vâng ạ",
			// "không ạ" answer it as plainly as its buttons.
			b := t.consentButtons(school)
			t.in.Kind, t.in.Data = KindButton, b[1].Data
			if yes {
				t.in.Data = b[0].Data
			}
			t.beforeConsent()
			return
		}
		// A school code typed alone picks the school, as its QR code does.
		if sc, ok := t.e.dir.School(strings.TrimSpace(in.Text)); ok {
			school = sc.Code
			remember()
		}
	}
	if l, ok := t.langCommand(); ok && in.Kind == KindCommand {
		t.pre = l
		remember()
	}
	if in.Kind == KindCommand && in.Command == "help" {
		t.say(t.T("help"))
	}
	if in.Kind == KindCommand && (in.Command == "dulieu" || in.Command == "xoadulieu") {
		t.say(t.T("data.none"))
		if in.Command == "xoadulieu" && pre != (PreConsent{}) {
			t.preSave = &PreConsent{} // the school or language picked goes too
			school, t.pre = "", Vietnamese
		}
	}
	if in.Kind == KindCommand && in.Command == "start" && in.Arg != "" {
		if sc, ok := t.e.dir.School(in.Arg); ok && sc.Code != school {
			school = sc.Code
			remember()
		}
	}
	t.consentPrompt(school)
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
