package flows

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

func (t *turn) run() {
	in := t.in
	if in.Kind == KindFlood {
		t.say(t.T("flood"))
		return
	}
	if in.Kind == KindIgnored {
		return // the press is acknowledged (Handle does), nothing more
	}
	if in.Kind == KindInline {
		// No chat to write to: the acknowledgement's notice is the answer.
		t.notice = t.T("inline.notice")
		return
	}
	if in.Kind == KindCommand && in.Command == "id" {
		// What an operator puts in the configuration for this user or
		// group chat; nothing is stored.
		if in.Group {
			t.say(T("id.group", t.env.Channel+":"+t.env.Chat))
		} else {
			t.say(t.T("id", t.env.Channel+":"+t.env.User))
		}
		return
	}
	if in.Group {
		if t.who.Role == RoleOffice {
			t.staff(t.who.Schools)
			return
		}
		// Another group: told once that the bot works in private chats,
		// then left alone.
		if in.Kind == KindCommand && !t.look.GroupTold(t.env.Channel+":"+t.env.Chat) {
			t.say(t.T("group.private"))
			t.groupTold = true
		}
		return
	}
	if in.Kind == KindCommand && in.Command == "start" && strings.HasPrefix(in.Arg, "inv_") {
		t.redeem(strings.TrimPrefix(in.Arg, "inv_"))
		return
	}
	if t.who.Role > RoleParent {
		t.staff(t.who.Schools)
		return
	}
	if p, ok := readData(in.Data); in.Kind == KindButton && ok && p.staffOnly() {
		// A staff button pressed by someone who is not (or no longer) staff.
		t.deny("staff.denied")
		return
	}
	// "dừng" stops; folding would also stop "Đúng" (yes), so the
	// diacritics must be there.
	if in.Kind == KindCommand && (in.Command == "stop" || in.Command == "dung") || in.Kind == KindText && isStop(in.Text) {
		t.stop()
		return
	}
	if t.s != nil && t.s.OptOut {
		if in.Kind == KindCommand && in.Command == "start" {
			t.resume()
		} else {
			t.say(t.T("optout.note"))
			return
		}
	} else if in.Kind == KindCommand && in.Command == "start" {
		// A /start lifts any stop recorded for the chat, even one made
		// before the parent consented or after their session was purged.
		no := false
		t.optOut = &no
	}
	if t.s == nil || t.s.Consent == nil {
		t.beforeConsent()
		return
	}
	t.changed = true // the session's Updated time moves with every input
	if t.s.offered() {
		// A text offered as a complaint stands until the conversation
		// moves: the offer's button (or its number) takes it; an answer,
		// a menu, anything that moves on lets it go (Handle puts it back
		// when nothing moved).
		t.offered, t.offerNonce, t.s.Draft = t.s.Draft.Text, t.s.Nonce, nil
	}
	if (t.s.Step != StepMenu || t.s.paused()) && t.e.expiry > 0 && in.Now.Sub(t.s.Updated) > t.e.expiry {
		key := msg("expired")
		if t.s.Draft != nil || t.s.Step == StepCAdd {
			key = "expired.complaint" // the survey's answers, if any, go too
		}
		t.s.reset()
		t.s.dropSurvey()
		t.moved()
		if in.Kind != KindCommand {
			t.reprompt(t.T(key, t.e.duration(t.e.expiry, t.lang())))
			return
		}
		t.say(t.T(key, t.e.duration(t.e.expiry, t.lang())))
	}
	switch in.Kind {
	case KindCommand:
		t.command()
	case KindButton:
		t.button()
	case KindText:
		t.text()
	case KindEdited:
		t.reprompt(t.T("edited"))
	case KindPhoto:
		switch t.s.Step {
		case StepCText:
			t.complaintText(in.Text, in.Photo)
		case StepCPhotos:
			t.addPhoto(in.Photo, in.Text)
		case StepCContact, StepCConfirm:
			t.reprompt(t.T("c.photos.full", MaxPhotos))
		default:
			t.reprompt(t.T("other", t.T("other.photo")))
		}
	case KindContact:
		if t.s.Step == StepCContact {
			t.contact()
			return
		}
		t.reprompt(t.T("other", t.T("other.contact")))
	default:
		what := "other." + in.What
		if _, ok := vi[msg(what)]; !ok {
			what = "other.other"
		}
		t.reprompt(t.T("other", t.T(msg(what))))
	}
}

func (t *turn) command() {
	switch t.in.Command {
	case "start":
		t.start()
	case "help", "huongdan":
		t.reprompt(t.T("help"))
	case "cancel", "huy":
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
	case "menu":
		t.menu()
	case "khaosat", "survey":
		t.startSurvey()
	case "phananh", "gopy":
		t.startComplaint(t.standingOffer())
	case "phananhcuatoi", "cuatoi":
		t.myComplaints()
	case "khieunai", "tocao":
		t.formal()
	case "thongtin", "hoidap":
		t.information()
	case "duongdaynong", "hotline":
		t.send(Reply{Text: t.hotline(), Buttons: [][]Button{{{Label: t.T("menu.back"), Data: menuData(menuMain)}}}})
	case "english", "en", "tienganh", "tiengviet", "vi", "vietnamese", "lang", "language", "ngonngu":
		l, _ := t.langCommand()
		t.setLang(l)
	case "dulieu":
		t.myData()
	case "xoadulieu":
		t.askErase()
	default:
		t.reprompt(t.T("unknown.command", t.in.Command))
	}
}

// button handles a press. Menu buttons work from any message; the others
// carry the nonce of the prompt they belong to.
func (t *turn) button() {
	data := unkept(t.in.Data)
	p, known := readData(data)
	if known && p.nonce == "" {
		if t.plainButton(p) {
			return
		}
	}
	if p, ok := readNonced(data, vErase); ok && p.nonce == strconv.FormatUint(uint64(t.s.Nonce), 10) {
		t.eraseAll()
		return
	}
	nonce, rest, _ := strings.Cut(data, ":")
	if nonce == strconv.FormatUint(uint64(t.s.Nonce), 10) {
		if !t.act(rest) {
			t.staleHere()
		}
		return
	}
	switch {
	case t.lateAnswer(rest):
	case t.doubleTap():
		// A tap again on a screen the reply to the first has not changed
		// yet: the notice says so; the screen is about to show the step.
		t.notice = t.T("stale.notice")
	default:
		t.staleHere()
	}
}

// plainButton handles a press on plain data (see verbs.go); false when
// it is none it takes, for the stale answers.
func (t *turn) plainButton(p press) bool {
	switch p.verb {
	case vMenu, vOldAnn:
		item := p.arg(0)
		if p.verb == vOldAnn { // announcements sent before the keep prefix
			if item != menuSurvey {
				return false
			}
		}
		switch item {
		case menuSurvey:
			t.startSurvey()
		case menuSchool:
			t.s.reset()
			t.askLevel(StepMenu)
		case menuHelp:
			t.say(t.T("help"))
			t.menu()
		case menuComplaint:
			t.startComplaint(t.standingOffer())
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
	case vInfo:
		t.infoPage(p)
	case vLang:
		l, ok := ParseLang(p.arg(0))
		if !ok {
			return false
		}
		t.setLang(l)
	case vFollowup:
		t.followup(p.arg(0), p.arg(1))
	case vAddInfo:
		if c, ok := t.ownComplaint(p.arg(0)); ok {
			t.startAddInfo(c)
			return true
		}
		t.stale()
	case vAgree, vRefuse:
		// A consent message sent before the parent agreed elsewhere;
		// its school, if any, still counts.
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
	default:
		return false
	}
	return true
}

// act applies a stateful button's action; false means it does not belong
// to the current step.
func (t *turn) act(action string) bool {
	verb, arg, _ := strings.Cut(action, ":")
	s := t.s
	switch {
	case verb == vLevel && (s.Step == StepLevel || s.Step == StepSchool):
		l := Level(arg)
		if !l.Valid() {
			return false
		}
		t.listSchools(l, 0)
	case verb == vPage && s.Step == StepSchool:
		p, err := strconv.Atoi(arg)
		if err != nil {
			return false
		}
		t.listSchools(s.Level, p)
	case verb == vLevels && s.Step == StepSchool:
		t.askLevel(s.Intent)
	case verb == vSchool && (s.Step == StepSchool || s.Step == StepLevel):
		sc, ok := t.e.dir.School(arg)
		if !ok {
			return false
		}
		t.chooseSchool(sc, s.Intent)
	case verb == vGrade && s.Step == StepGrade:
		if !t.validGrade(arg) {
			return false
		}
		t.setGrade(arg)
	case verb == vAnswer && s.Step == StepQuestion:
		q := t.current()
		if q == nil {
			return false
		}
		// "yes:A1": the answer and the question it answers (buttons sent
		// before the question was named carry the answer alone).
		value, id, tagged := strings.Cut(arg, ":")
		if _, ok := optionOf(q, value, t.lang()); !ok || tagged && id != q.ID {
			return false
		}
		t.answer(q, value)
	case verb == vSkip && s.Step == StepQuestion:
		q := t.current()
		if q == nil || !q.Optional {
			return false
		}
		t.answer(q, "")
	case verb == vBack && s.Step == StepQuestion && s.Q > 0:
		s.Q--
		t.moved()
		t.send(t.promptReply())
	case verb == vBack && s.Step == StepConfirm:
		s.Step = StepQuestion
		s.Q = len(t.questions()) - 1
		t.moved()
		t.send(t.promptReply())
	case verb == vEdit && s.Step == StepConfirm:
		i, err := strconv.Atoi(arg)
		if err != nil || i < 0 || i >= len(t.questions()) {
			return false
		}
		s.Step, s.Q, s.Intent = StepQuestion, i, StepConfirm
		t.moved()
		t.send(t.promptReply())
	case verb == vOK && s.Step == StepConfirm:
		t.submit()
	case verb == vOffer:
		t.startComplaint(t.standingOffer())
	case verb == vRedo && s.Step == StepConfirm:
		s.Step, s.Q, s.Answers = StepQuestion, 0, map[string]string{}
		t.moved()
		t.send(t.promptReply())
	default:
		return t.complaintAct(verb, arg)
	}
	return true
}

// complaintAct applies a complaint step's button; false if it does not
// belong to the current step.
func (t *turn) complaintAct(verb, arg string) bool {
	s := t.s
	switch {
	case verb == vCancel && (s.Step == StepCategory || s.Step == StepCText || s.Step == StepCPhotos || s.Step == StepCContact || s.Step == StepCConfirm || s.Step == StepCAdd):
		// Only the contact step shows the phone keyboard to take away.
		hide := s.Step == StepCContact
		s.reset()
		t.moved()
		t.send(Reply{Text: t.T("c.cancelled"), HideKeyboard: hide})
		t.replies = append(t.replies, t.menuReply())
	case verb == vCategory && s.Step == StepCategory:
		if _, ok := t.e.category(arg); !ok {
			return false
		}
		s.Draft.Category = arg
		t.complaintSchool()
	case verb == vOther && s.Step == StepCText:
		t.askLevel(StepCText)
	case verb == vDone && s.Step == StepCPhotos:
		t.askContact()
	case verb == vAnon && s.Step == StepCContact:
		s.Draft.Anonymous, s.Draft.Phone = true, ""
		t.confirmComplaint()
	case verb == vSend && s.Step == StepCConfirm:
		t.fileComplaint()
	case verb == vRewrite && s.Step == StepCConfirm:
		s.Draft.Text, s.Draft.Photos = "", nil
		s.Step = StepCText
		t.moved()
		t.send(t.promptReply())
	default:
		return false
	}
	return true
}

// text handles a typed message.
func (t *turn) text() {
	in := t.in
	if utf8.RuneCountInString(in.Text) > MaxInputRunes {
		t.reprompt(t.T("too.long"))
		return
	}
	s := t.s
	if id, ok := ParseComplaintCode(in.Text); ok && !t.typing() {
		// A complaint's code opens it: its follow-up question if one
		// awaits an answer (how channels without buttons answer it, at
		// whatever step the parent is); at the menu, their complaints.
		if c, mine := t.ownComplaint(strconv.FormatUint(id, 10)); mine && c.Status == StatusResolved && c.Followup == "" {
			t.send(Reply{Text: t.T("c.followup.ask", c.Code()), Buttons: followupButtons(c.ID, t.lang())})
			return
		}
		if s.Step == StepMenu {
			t.myComplaints()
			return
		}
	}
	if phone, ok := phoneNumber(in.Text); ok && in.Numbered && s.Step == StepCContact {
		// Typed, since such a channel cannot share a contact (a phone
		// number is never an option's number: it has 9 digits or more).
		s.Draft.Anonymous, s.Draft.Phone = false, phone
		t.confirmComplaint()
		return
	}
	if data, number := t.numberedOption(); number && s.Options != nil {
		// A number picks from the options the parent was last shown.
		if data == "" {
			t.reprompt(t.T("press.numbered"))
			return
		}
		t.in.Kind, t.in.Data = KindButton, data
		t.button()
		return
	}
	if s.Step == StepQuestion {
		if q := t.current(); q != nil && (q.Kind == Number || q.Kind == Text) {
			t.typed(q)
			return
		}
	}
	if s.Step == StepCText || s.Step == StepCAdd {
		// The text is typed here: options go by their words, never by
		// number ("1" is a (too short) description, not option 1).
		if b, ok := match(in.Text, flat(t.promptReply().Buttons), false); ok {
			t.in.Kind, t.in.Data = KindButton, b.Data
			t.button()
			return
		}
		if s.Step == StepCAdd {
			t.addInfo(in.Text)
		} else {
			t.complaintText(in.Text, "")
		}
		return
	}
	if s.Step == StepLevel || s.Step == StepSchool || s.Step == StepMenu {
		// A school code typed picks the school, as its QR code does.
		if sc, ok := t.e.dir.School(strings.TrimSpace(in.Text)); ok {
			intent := s.Intent
			if s.Step == StepMenu {
				intent = StepQuestion
				s.reset()
			}
			t.chooseSchool(sc, intent)
			return
		}
	}
	p := t.promptReply()
	if b, ok := match(in.Text, flat(p.Buttons), in.Numbered); ok {
		t.in.Kind, t.in.Data = KindButton, b.Data
		t.button()
		return
	}
	if s.Step == StepLevel || s.Step == StepSchool {
		if code := strings.TrimSpace(in.Text); ValidCode(code) && strings.ContainsAny(code, "-_0123456789") {
			t.reprompt(t.T("school.unknown", clip(in.Text, 32)))
			return
		}
	}
	if meant(in.Text) {
		t.heard(in.Text)
		return
	}
	switch {
	case s.Step == StepCPhotos:
		t.reprompt(t.T("c.photos.text"))
	case s.Step == StepCContact && in.Numbered:
		t.reprompt(t.T("c.contact.typed"))
	case s.Step == StepCContact:
		t.reprompt(t.T("c.contact.text"))
	case in.Numbered:
		t.reprompt(t.T("press.numbered"))
	default:
		t.reprompt(t.T("press"))
	}
}

// staff handles a principal or office staff member; schools is what they
// may act on.
func (t *turn) staff(schools []string) {
	in := t.in
	if t.s == nil {
		t.s = &Session{}
	}
	if t.s.Step != StepMenu && t.e.expiry > 0 && in.Now.Sub(t.s.Updated) > t.e.expiry {
		// A reply or announcement started days ago must not take
		// whatever is typed now.
		t.s.Step, t.s.Target, t.s.Announce = StepMenu, 0, nil
	}
	announcing := t.s.Step == StepStaffAnnounce || t.s.Step == StepStaffAnnConfirm
	t.s.Staff = true
	t.changed = true
	if in.Numbered {
		if !t.staffNumbered() {
			return
		}
		in = t.in
	}
	k, staffPress := readPlain(in.Data, vStaff)
	_, annPress := readNonced(in.Data, vAnnounce)
	rv, revokePress := readPlain(in.Data, vRevoke)
	l, listPress := readPlain(in.Data, vList)
	listPress = listPress && l.arg(0) == listArg
	switch {
	case t.env.Web && in.Kind == KindButton && in.Text != "" && staffPress && (k.arg(0) == staffReply || k.arg(0) == staffRefer):
		// A reply or referral written on the dashboard: the press and the
		// text it asks for, in one.
		t.staffAction(schools, k.arg(0), k.arg(1))
		if t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer {
			t.staffText(schools, in.Text)
		}
	case in.Kind == KindButton && staffPress:
		t.staffAction(schools, k.arg(0), k.arg(1))
	case in.Kind == KindCommand && in.Command == "web":
		t.webLink()
	case in.Kind == KindText && !in.Group && (t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer) && isCancel(in.Text):
		t.s.Step, t.s.Target = StepMenu, 0
		t.say(T("cancelled.staff"))
		t.staffList(schools)
	case in.Kind == KindText && !in.Group && (t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer) && strayText(in.Text):
		// A complaint's code or an option's number — what an alert says to
		// type — is no reply to the parent: nothing is sent.
		code := ComplaintCode(t.s.Target)
		if id, ok := ParseComplaintCode(in.Text); ok {
			t.s.Step, t.s.Target = StepMenu, 0
			t.say(T("staff.reply.dropped", code))
			t.staffAction(schools, staffView, id10(id))
			return
		}
		t.say(T("staff.typing", code))
	case in.Kind == KindText && !in.Group && (t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer):
		t.staffText(schools, in.Text)
	case in.Kind == KindCommand && (in.Command == "thongbao" || in.Command == "announce"):
		t.announceStart(schools)
	case in.Kind == KindButton && annPress:
		t.announceAct(schools, in.Data)
	case !in.Group && announcing && in.Kind == KindText && isCancel(in.Text):
		t.s.Step, t.s.Announce = StepMenu, nil
		t.say(T("cancelled.staff"))
		t.staffList(schools)
	case !in.Group && t.s.Step == StepStaffAnnounce && in.Kind == KindText && isLabel(in.Text, T("ann.template")):
		t.announceAct(schools, t.nonced(annAct(annSurvey)))
	case !in.Group && t.s.Step == StepStaffAnnounce && (in.Kind == KindText || in.Kind == KindPhoto):
		t.announceText(in.Text, in.Photo)
	case !in.Group && announcing && (in.Kind == KindText || in.Kind == KindPhoto):
		// Typed over a preview: the new text replaces the old.
		t.s.Step = StepStaffAnnounce
		t.announceText(in.Text, in.Photo)
	case in.Kind == KindButton && listPress, in.Kind == KindCommand && (in.Command == "danhsach" || in.Command == "start" || in.Command == "menu"):
		t.s.Step, t.s.Target, t.s.Announce = StepMenu, 0, nil
		t.staffList(schools)
	case in.Kind == KindCommand && (in.Command == "baocao" || in.Command == "xuat"):
		t.reportRequest(schools, in.Command == "xuat")
	case in.Kind == KindCommand && (in.Command == "gopy" || in.Command == "comments"):
		t.commentsCommand(schools)
	case in.Kind == KindButton && commentsPress(in.Data):
		t.commentsButton(schools, in.Data)
	case in.Kind == KindCommand && in.Command == "invite":
		t.invite()
	case in.Kind == KindCommand && in.Command == "hieutruong":
		t.principals()
	case in.Kind == KindCommand && in.Command == "nhatky":
		t.auditTrail()
	case in.Kind == KindButton && revokePress:
		t.revoke(rv.arg(0))
	case in.Kind == KindCommand && (in.Command == "cancel" || in.Command == "huy"):
		t.s.Step, t.s.Target, t.s.Announce = StepMenu, 0, nil
		t.say(T("cancelled.staff"))
		t.staffList(schools)
	default:
		if t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer {
			t.say(T("staff.typing", ComplaintCode(t.s.Target)))
			return
		}
		if announcing {
			t.say(T("ann.typing"))
			return
		}
		t.say(T("staff.help"))
		t.staffList(schools)
	}
}

// staffNumbered turns what staff type on a channel without buttons into
// the press it stands for: a number picks from the options of the last
// message with options they were sent (kept in their session), a complaint
// code opens its card. It reports whether to go on handling the input.
func (t *turn) staffNumbered() bool {
	in := t.in
	if in.Kind != KindText || t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer || t.s.Step == StepStaffAnnounce {
		return true
	}
	text := strings.TrimSpace(in.Text)
	if id, ok := ParseComplaintCode(text); ok {
		t.in.Kind, t.in.Data = KindButton, staffData(staffView, id)
		return true
	}
	data, number := t.numberedOption()
	switch {
	case !number:
		return true
	case len(t.s.Options) == 0:
		t.say(T("staff.numbered.none"))
		return false
	case data == "":
		t.say(T("staff.numbered", len(t.s.Options)))
		return false
	}
	t.in.Kind, t.in.Data = KindButton, data
	return true
}
