package flows

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The routes: where each input goes. A turn passes the gates of run (a
// flood, a group, an invite, staff, /stop, consent, a time-out), then
// one table of edges decides:
//
//	consentRoutes  a user who has not agreed yet (consent.go)
//	parentRoutes   a parent: commands, buttons that work from any message,
//	               the buttons of the step on screen, typed text, photos
//	staffRoutes    a principal or unit staff member (staff.go); their
//	               actions on a complaint are the rows of staffActs
//
// A route names the input it takes (a button's verb, a command, typed
// text, a photo), the steps it applies at, and its handler. The first
// route whose input and step fit runs; a handler that finds the input is
// not its after all (an argument no longer valid, a text it does not
// read) returns false and the next route that fits is tried. So "at step
// X, what does input Y do?" is answered by reading down one table.
//
// A typed text that names an option on screen (its words, or its number
// on a channel without buttons, fold.go's match) is handled as that
// option's press: choose passes the option's data to the same table, and
// the input itself stays what it was.

// The tables. Their handlers route again (a typed choice is a press), so
// they are built here, once, in this order: an action's typing step
// before the console's routes that name it.
var (
	staffActs     []staffAct
	typingSteps   []Step
	staffRoutes   []route
	consentRoutes []route
	parentRoutes  []route
)

func init() {
	staffActs = staffActTable()
	typingSteps = typingStepsOf(staffActs)
	staffRoutes = staffTable()
	consentRoutes = consentTable()
	parentRoutes = parentTable()
}

// route is one edge of a conversation.
type route struct {
	on trigger
	// at are the steps the route applies at; nil: every step.
	at []Step
	// private: only in a private chat (an office's group chat only shows
	// staff their complaints and reports).
	private bool
	do      func(t *turn, p press) bool
}

// trigger is what input a route takes.
type trigger struct {
	kind   InputKind
	any    bool     // any input at all…
	notTap bool     // …but a button's press
	press  presses  // for a button: which data
	names  []string // a button's verbs, a command's names; none: any command
}

// presses says which of a verb's presses a button route takes.
type presses int

const (
	plain presses = iota // plain data: from any message
	now                  // nonced data of the prompt on screen (the session's nonce)
	older                // nonced data of a prompt since replaced
)

// tap takes a press on plain data with one of verbs.
func tap(verbs ...string) trigger { return trigger{kind: KindButton, press: plain, names: verbs} }

// tapNow takes a press on the step prompt on screen with verb.
func tapNow(verb string) trigger { return trigger{kind: KindButton, press: now, names: []string{verb}} }

// tapOlder takes a press with verb on a prompt the conversation has left.
func tapOlder(verb string) trigger {
	return trigger{kind: KindButton, press: older, names: []string{verb}}
}

// cmd takes one of the commands; with none, any command.
func cmd(names ...string) trigger { return trigger{kind: KindCommand, names: names} }

var (
	typed    = trigger{kind: KindText}
	photo    = trigger{kind: KindPhoto}
	shared   = trigger{kind: KindContact}
	edited   = trigger{kind: KindEdited}
	anything = trigger{any: true}
	// anyOther is any input but a press: a press no route takes is
	// stale (see press).
	anyOther = trigger{any: true, notTap: true}
)

// takes says whether the trigger takes the input of kind, read as p.
func (o trigger) takes(t *turn, kind InputKind, p press) bool {
	if o.any {
		return !o.notTap || kind != KindButton
	}
	if o.kind != kind {
		return false
	}
	switch kind {
	case KindButton:
		switch o.press {
		case plain:
			if p.nonce != "" {
				return false
			}
		case now:
			if p.nonce == "" || p.nonce != t.nonce() {
				return false
			}
		case older:
			if p.nonce == "" || p.nonce == t.nonce() {
				return false
			}
		}
		return slices.Contains(o.names, p.verb)
	case KindCommand:
		return len(o.names) == 0 || slices.Contains(o.names, p.verb)
	}
	return true
}

// route runs the first route of routes that takes the input and whose
// handler takes it; false when none does.
func (t *turn) route(routes []route, kind InputKind, p press) bool {
	for _, r := range routes {
		if !r.on.takes(t, kind, p) || r.private && t.in.Group {
			continue
		}
		if r.at != nil && (t.s == nil || !slices.Contains(r.at, t.s.Step)) {
			continue
		}
		if r.do(t, p) {
			return true
		}
	}
	return false
}

// input is the input as the routes read it: a button's data read, or a
// command's name.
func (t *turn) input() press {
	switch t.in.Kind {
	case KindButton:
		p, _ := readData(unkept(t.in.Data))
		return p
	case KindCommand:
		return press{verb: t.in.Command, args: []string{t.in.Arg}}
	}
	return press{}
}

// nonce is the session's nonce as button data carries it.
func (t *turn) nonce() string { return strconv.FormatUint(uint64(t.s.Nonce), 10) }

// Handlers are func(*turn, press) bool; these adapt what has no use for
// either.

// always runs f and takes the input.
func always(f func(*turn)) func(*turn, press) bool {
	return func(t *turn, _ press) bool { f(t); return true }
}

// reprompting answers with a note above the step on screen.
func reprompting(key msg) func(*turn, press) bool {
	return func(t *turn, _ press) bool { t.reprompt(t.T(key)); return true }
}

// parentTable is parentRoutes, a consented parent's edges (see the file's
// comment).
func parentTable() []route {
	return []route{
		// Commands, at any step.
		{on: cmd("start"), do: always((*turn).start)},
		{on: cmd("help", "huongdan"), do: reprompting("help")},
		{on: cmd("cancel", "huy"), do: always((*turn).cancel)},
		{on: cmd("menu"), do: always((*turn).menu)},
		{on: cmd("khaosat", "survey"), do: always((*turn).startSurvey)},
		{on: cmd("phananh", "gopy"), do: always((*turn).complain)},
		{on: cmd("phananhcuatoi", "cuatoi"), do: always((*turn).myComplaints)},
		{on: cmd("khieunai", "tocao"), do: always((*turn).formal)},
		{on: cmd("thongtin", "hoidap"), do: always((*turn).information)},
		{on: cmd("duongdaynong", "hotline"), do: always((*turn).showHotline)},
		{on: cmd(langCommands...), do: always((*turn).langCommanded)},
		{on: cmd("dulieu"), do: always((*turn).myData)},
		{on: cmd("xoadulieu"), do: always((*turn).askErase)},
		{on: cmd(), do: (*turn).unknownCommand},

		// Buttons that work from any message (menu.go, info.go, mine.go).
		{on: tap(vMenu), do: (*turn).menuItem},
		{on: tap(vOldAnn), do: (*turn).oldAnnouncement},
		{on: tap(vInfo), do: (*turn).infoPage},
		{on: tap(vLang), do: (*turn).langPressed},
		{on: tap(vFollowup), do: (*turn).followup},
		{on: tap(vAddInfo), do: (*turn).addInfoPressed},
		{on: tap(vAgree, vRefuse), do: (*turn).consentAgain},

		// Buttons of the step on screen. A press on an older screen is
		// stale (press), or an answer tapped late (lateAnswer).
		{on: tapNow(vErase), do: always((*turn).eraseAll)},
		{on: tapNow(vOffer), do: always((*turn).complain)},
		// onboarding.go
		{on: tapNow(vLevel), at: []Step{StepLevel, StepSchool}, do: (*turn).levelPicked},
		{on: tapNow(vPage), at: []Step{StepSchool}, do: (*turn).pageTurned},
		{on: tapNow(vLevels), at: []Step{StepSchool}, do: always((*turn).levelsAgain)},
		{on: tapNow(vSchool), at: []Step{StepSchool, StepLevel}, do: (*turn).schoolPicked},
		{on: tapNow(vGrade), at: []Step{StepGrade}, do: (*turn).gradePicked},
		// survey.go
		{on: tapNow(vAnswer), at: []Step{StepQuestion}, do: (*turn).answerPressed},
		{on: tapNow(vSkip), at: []Step{StepQuestion}, do: (*turn).skipped},
		{on: tapNow(vBack), at: []Step{StepQuestion, StepConfirm}, do: (*turn).back},
		{on: tapNow(vEdit), at: []Step{StepConfirm}, do: (*turn).editAnswer},
		{on: tapNow(vOK), at: []Step{StepConfirm}, do: always((*turn).submit)},
		{on: tapNow(vRedo), at: []Step{StepConfirm}, do: always((*turn).redo)},
		// intake.go, mine.go
		{on: tapNow(vCancel), at: complaintSteps, do: always((*turn).leaveComplaint)},
		{on: tapNow(vCategory), at: []Step{StepCategory}, do: (*turn).categoryPicked},
		{on: tapNow(vOther), at: []Step{StepCText}, do: always((*turn).otherSchool)},
		{on: tapNow(vDone), at: []Step{StepCPhotos}, do: always((*turn).askContact)},
		{on: tapNow(vAnon), at: []Step{StepCContact}, do: always((*turn).anonymous)},
		{on: tapNow(vSend), at: []Step{StepCConfirm}, do: always((*turn).fileComplaint)},
		{on: tapNow(vRewrite), at: []Step{StepCConfirm}, do: always((*turn).rewrite)},

		// Typed text: the first route that reads it.
		{on: typed, do: (*turn).tooLong},
		{on: typed, do: (*turn).codeTyped},
		{on: typed, at: []Step{StepCContact}, do: (*turn).phoneTyped},
		{on: typed, do: (*turn).numberTyped},
		{on: typed, at: []Step{StepQuestion}, do: (*turn).answerTyped},
		{on: typed, at: []Step{StepCText, StepCAdd}, do: (*turn).descriptionTyped},
		{on: typed, at: []Step{StepLevel, StepSchool, StepMenu}, do: (*turn).schoolTyped},
		{on: typed, do: (*turn).optionTyped},
		{on: typed, at: []Step{StepLevel, StepSchool}, do: (*turn).unknownSchoolTyped},
		{on: typed, do: (*turn).sentenceTyped},
		{on: typed, do: always((*turn).notUnderstood)},

		// Photos, a shared contact, an edit, anything else.
		{on: photo, at: []Step{StepCText}, do: always((*turn).photoDescribed)},
		{on: photo, at: []Step{StepCPhotos}, do: always((*turn).photoAdded)},
		{on: photo, at: []Step{StepCContact, StepCConfirm}, do: (*turn).photoLate},
		{on: photo, at: []Step{StepCAdd}, do: always((*turn).photoAddedInfo)},
		{on: photo, do: (*turn).photoHeard},
		{on: photo, do: (*turn).other},
		{on: shared, at: []Step{StepCContact}, do: always((*turn).contact)},
		{on: shared, do: (*turn).other},
		{on: edited, do: reprompting("edited")},
		{on: anyOther, do: (*turn).other},
	}
}

// complaintSteps are the steps of writing a complaint or an addition.
var complaintSteps = []Step{StepCategory, StepCText, StepCPhotos, StepCContact, StepCConfirm, StepCAdd}

// run takes the input through the gates, then to its table.
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
	// Who the sender is, once nothing above needs to know.
	t.who = t.e.actor(t.env, t.look)
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
			t.staff()
			return
		}
		// Another group: told once that the bot works in private chats,
		// then left alone. A press there is on a message sent when the
		// group was a unit's (its chat id changed, or the unit left the
		// configuration): its notice says so.
		if in.Kind == KindButton {
			t.notice = T("group.notunit")
			return
		}
		if in.Kind == KindCommand && !t.look.GroupTold(t.env.Channel+":"+t.env.Chat) {
			t.say(t.T("group.private"))
			t.GroupTold = true
		}
		return
	}
	if in.Kind == KindCommand && in.Command == "start" && strings.HasPrefix(in.Arg, "inv_") {
		t.redeem(strings.TrimPrefix(in.Arg, "inv_"))
		return
	}
	if t.who.Role > RoleParent {
		t.staff()
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
		t.OptOut = &no
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
		t.offered, t.offerNonce, t.s.Draft = t.s.Draft, t.s.Nonce, nil
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
	if in.Kind == KindButton {
		t.press(in.Data)
		return
	}
	t.route(parentRoutes, in.Kind, t.input())
}

// press handles a parent's press on data, tapped or chosen by typing
// (choose). A press the table does not take is stale, or an answer tapped
// late.
func (t *turn) press(data string) {
	t.pressed = data
	p, _ := readData(unkept(data))
	if t.route(parentRoutes, KindButton, p) {
		return
	}
	if n, ok := nonceOf(data); ok && n == t.nonce() {
		t.staleHere() // the step on screen, but not its step's
		return
	}
	switch {
	case t.lateAnswer(p):
	case t.doubleTap():
		// A tap again on a screen the reply to the first has not changed
		// yet: the notice says so; the screen is about to show the step.
		t.notice = t.T("stale.notice")
	default:
		t.staleHere()
	}
}

// choose reads the typed text as the option of options it names (fold.go's
// match: by its words, or by its number where byNumber), and handles it as
// that option's press, through press (a parent's) or staffPress.
func (t *turn) choose(options []Button, byNumber bool, then func(*turn, string)) bool {
	b, ok := match(t.in.Text, options, byNumber)
	if ok {
		then(t, b.Data)
	}
	return ok
}

// unknownCommand answers a command no route takes.
func (t *turn) unknownCommand(press) bool {
	t.reprompt(t.T("unknown.command", t.in.Command))
	return true
}

// other answers what a step does not take: a photo, a contact, a
// sticker…, named.
func (t *turn) other(press) bool {
	what := "other." + t.in.What
	switch t.in.Kind {
	case KindPhoto:
		what = "other.photo"
	case KindContact:
		what = "other.contact"
	}
	if _, ok := vi[msg(what)]; !ok {
		what = "other.other"
	}
	t.reprompt(t.T("other", t.T(msg(what))))
	return true
}

// tooLong answers a text longer than the engine reads.
func (t *turn) tooLong(press) bool {
	if utf8.RuneCountInString(t.in.Text) <= MaxInputRunes {
		return false
	}
	t.reprompt(t.T("too.long"))
	return true
}

// numberTyped takes a number typed on a channel without buttons: it picks
// from the options the parent was last shown (Session.Options).
func (t *turn) numberTyped(press) bool {
	data, number := t.numberedOption()
	if !number || t.s.Options == nil {
		return false
	}
	if data == "" {
		t.reprompt(t.T("press.numbered"))
		return true
	}
	t.press(data)
	return true
}

// optionTyped takes a text that names an option of the step on screen.
func (t *turn) optionTyped(press) bool {
	return t.choose(flat(t.promptReply().Buttons), t.in.Numbered, (*turn).press)
}

// sentenceTyped takes a sentence that answers nothing on screen: it is
// heard (offered as a complaint, or added to the one being written).
func (t *turn) sentenceTyped(press) bool {
	if !meant(t.in.Text) {
		return false
	}
	t.heard(t.in.Text, "")
	return true
}

// notUnderstood answers a text nothing took, with the step again.
func (t *turn) notUnderstood() {
	s, in := t.s, t.in
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
