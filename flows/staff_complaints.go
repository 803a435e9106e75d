package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A complaint's actions, as staff take them from its card: each is a row
// of staffActs — its name in the button's data (k:NAME:ID), its button,
// and its handler. An action that needs words from staff (a reply, where
// to refer the parent) asks for them: its press sets the step "s_NAME"
// and its text handler takes what is typed next.
//
//	alert or card ──▶ Tiếp nhận ──▶ acked; the parent told
//	              ──▶ Trả lời ──▶ the reply typed ──▶ the parent told; working
//	              ──▶ Đã giải quyết ──▶ resolved; the parent asked if it is
//	                  (mine.go's follow-up; "Chưa" reopens it)
//	              ──▶ Không thuộc thẩm quyền ──▶ where to turn, typed ──▶ referred
//	              ──▶ Trùng ──▶ closed as a duplicate
//	              ──▶ Chuyển trường khác (unit staff) ──▶ the school's code
//	                  typed ──▶ moved; the new school alerted, the parent told
//
// A new action is one handler, one row, and its texts in both catalogs.

// staffAct is one action on a complaint.
type staffAct struct {
	name  string
	label msg // its button on a card; "": none (view is the code's button)
	row   int // the row of the card's buttons it sits in
	// may says whether staff whose scope is schools may take it on c (a
	// scope nil: an alert's readers, several, who are not shown it); nil:
	// anyone whose scope has c. shown says whether its button shows (nil:
	// always). Only open complaints have buttons.
	may   func(c *Complaint, schools []string) bool
	shown func(c *Complaint) bool
	open  bool // acts on an open complaint only
	// settles: it closes the complaint as solved; closes: as not the
	// school's to solve (referred, a duplicate). The dashboard colours
	// their buttons so.
	settles, closes bool
	// press acts; or, when ask is set, the step asks staff to type ask
	// (with the complaint's code) and text takes what they type.
	press func(t *turn, c *Complaint)
	ask   msg
	// text takes the text typed; false: it is not what was asked for
	// (the handler said why), and the step stays for another try.
	text func(t *turn, c *Complaint, text string) bool
}

// staffActTable is staffActs, the actions, in the order of their buttons.
func staffActTable() []staffAct {
	return []staffAct{
		{name: staffView, press: (*turn).viewComplaint},
		{name: staffAck, label: "k.ack", row: 0, open: true, press: (*turn).ack,
			shown: func(c *Complaint) bool { return c.Status == StatusNew }},
		{name: staffReply, label: "k.reply", row: 0, open: true, ask: "staff.reply", text: (*turn).reply},
		{name: staffDone, label: "k.done", row: 1, open: true, settles: true, press: (*turn).resolve},
		{name: staffRefer, label: "k.refer", row: 2, open: true, closes: true, ask: "staff.refer", text: (*turn).refer},
		{name: staffDup, label: "k.dup", row: 2, open: true, closes: true, press: (*turn).duplicate},
		{name: staffMove, label: "k.move", row: 3, open: true, ask: "staff.move", text: (*turn).moveTo,
			may: func(_ *Complaint, schools []string) bool { return len(schools) > 1 }},
	}
}

func staffActNamed(name string) (*staffAct, bool) {
	for i := range staffActs {
		if staffActs[i].name == name {
			return &staffActs[i], true
		}
	}
	return nil, false
}

// step is where staff type the action's text.
func (a *staffAct) step() Step { return Step("s_" + a.name) }

// staffActTyping is the action whose text staff are typing at step.
func staffActTyping(step Step) (*staffAct, bool) {
	for i := range staffActs {
		if a := &staffActs[i]; a.ask != "" && a.step() == step {
			return a, true
		}
	}
	return nil, false
}

// typingSteps are the steps where staff type an action's text.
func typingStepsOf(acts []staffAct) []Step {
	var out []Step
	for i := range acts {
		if a := &acts[i]; a.ask != "" {
			out = append(out, a.step())
		}
	}
	return out
}

// actions are the buttons of a complaint's card, for the status it is in
// and the reader's scope (nil: an alert's).
func actions(c *Complaint, schools []string) [][]Button {
	if !c.Status.Open() {
		return nil
	}
	var rows [][]Button
	for _, a := range staffActs {
		if a.label == "" || a.shown != nil && !a.shown(c) || a.may != nil && !a.may(c, schools) {
			continue
		}
		for len(rows) <= a.row {
			rows = append(rows, nil)
		}
		rows[a.row] = append(rows[a.row], Button{Label: T(a.label), Data: staffData(a.name, c.ID)})
	}
	return slices.DeleteFunc(rows, func(r []Button) bool { return len(r) == 0 })
}

// buttons are a complaint's card's buttons for this staff member.
func (t *turn) buttons(c *Complaint) [][]Button { return actions(c, t.who.Schools) }

// staffAction applies a complaint button pressed by staff, after checking
// at the moment of use that the complaint is theirs to act on.
func (t *turn) staffAction(verb, idStr string) {
	id, err := strconv.ParseUint(idStr, 10, 64)
	c, ok := t.look.Complaint(id)
	if err != nil || !ok || !slices.Contains(t.who.Schools, c.School) {
		t.deny("staff.denied")
		return
	}
	c = c.clone()
	a, known := staffActNamed(verb)
	if known && a.may != nil && !a.may(c, t.who.Schools) {
		t.deny("staff.denied")
		return
	}
	if (!known || a.open) && !c.Status.Open() {
		t.notice = T("staff.closed", c.Status.Name())
		t.send(Reply{Text: t.e.card(c, T("c.alert.view"))})
		return
	}
	if !known {
		t.deny("staff.denied")
		return
	}
	t.audit(a.name, c.Code())
	if a.ask != "" {
		t.askText(a, c)
		return
	}
	a.press(t, c)
}

// viewComplaint shows the card, and the photos of a folded alert.
func (t *turn) viewComplaint(c *Complaint) {
	t.send(Reply{Text: t.e.card(c, T("c.alert.view")), Buttons: t.buttons(c)})
	t.photos(c)
}

func (t *turn) ack(c *Complaint) {
	now := t.in.Now
	if c.Status == StatusNew {
		c.Status, c.AckedAt = StatusAcked, now
		c.log(now, t.actor(), "acked", "")
		t.save(c)
		t.tell(c, Reply{Text: tr(c.Lang, "c.told.acked", c.Code())})
	}
	t.notice = T("staff.acked")
	t.send(Reply{Text: t.e.card(c, T("c.alert.view")), Buttons: t.buttons(c)})
}

func (t *turn) resolve(c *Complaint) {
	now := t.in.Now
	c.Status, c.ResolvedAt = StatusResolved, now
	if c.AckedAt.IsZero() {
		c.AckedAt = now
	}
	c.log(now, t.actor(), "resolved", "")
	t.save(c)
	t.notice = T("staff.resolved")
	t.send(Reply{Text: t.e.card(c, T("c.alert.view"))})
	t.tell(c, Reply{Text: tr(c.Lang, "c.told.resolved", c.Code()) + "\n\n" + tr(c.Lang, "c.followup"), Buttons: followupButtons(c.ID, c.Lang)})
}

func (t *turn) duplicate(c *Complaint) {
	now := t.in.Now
	c.Status, c.ResolvedAt = StatusDuplicate, now
	c.log(now, t.actor(), "duplicate", "")
	t.save(c)
	t.notice = T("staff.closed.done")
	t.send(Reply{Text: t.e.card(c, T("c.alert.view"))})
	t.tell(c, Reply{Text: tr(c.Lang, "c.told.duplicate", c.Code())})
}

// askText asks staff to type the action's text: in the private chat they
// pressed in, or, pressed in a group, in their private chat, where only
// someone who is staff in person may act on the school.
func (t *turn) askText(a *staffAct, c *Complaint) {
	t.s.Step, t.s.Target = a.step(), c.ID
	t.s.Nonce++
	r := Reply{Text: T(a.ask, c.Code()), Buttons: [][]Button{{{Label: T("c.cancel"), Data: listData()}}}, Typed: true}
	if !t.in.Group {
		t.replies = append(t.replies, r)
		return
	}
	personal := t.e.actor(Envelope{Channel: t.env.Channel, User: t.env.User, Chat: t.env.User}, t.look)
	if !slices.Contains(personal.Schools, c.School) {
		t.s.Step, t.s.Target = StepMenu, 0
		t.notice = T("staff.private.denied")
		t.say(T("staff.private.denied"))
		return
	}
	// Texts are typed in private: a group only shows the bot commands.
	t.notice = T("staff.private")
	t.Out = append(t.Out, Outgoing{Kind: OutMessage, Channel: t.env.Channel, Chat: t.env.User, Reply: r, Priority: PriorityInteractive, Created: t.in.Now})
}

// staffText takes the text an action asked for, checking again that the
// complaint is the sender's and still open.
func (t *turn) staffText(text string) {
	text = strings.TrimSpace(text)
	c, ok := t.look.Complaint(t.s.Target)
	step := t.s.Step
	t.s.Step, t.s.Target = StepMenu, 0
	a, asked := staffActTyping(step)
	if !ok || !asked || !slices.Contains(t.who.Schools, c.School) {
		t.deny("staff.denied")
		return
	}
	if !c.Status.Open() {
		t.say(T("staff.closed", c.Status.Name()))
		return
	}
	if n := utf8.RuneCountInString(text); n == 0 || n > 3000 {
		t.s.Step, t.s.Target = step, c.ID
		t.say(T("staff.text.bad", n))
		return
	}
	if !a.text(t, c.clone(), text) {
		t.s.Step, t.s.Target = step, c.ID
		return
	}
	t.audit(a.name+".text", c.Code())
}

// refer closes the complaint as not the school's to settle, telling the
// parent where to turn.
func (t *turn) refer(c *Complaint, text string) bool {
	now := t.in.Now
	c.Status, c.ResolvedAt = StatusReferred, now
	c.log(now, t.actor(), "referred", text)
	t.save(c)
	t.tell(c, Reply{Text: tr(c.Lang, "c.told.referred", c.Code(), text)})
	t.say(T("staff.referred.ok", c.Code()))
	return true
}

// reply passes staff's reply to the parent, word for word.
func (t *turn) reply(c *Complaint, text string) bool {
	now := t.in.Now
	if c.Status == StatusNew {
		c.AckedAt = now
	}
	c.Status = StatusWorking
	c.log(now, t.actor(), "reply", text)
	t.save(c)
	t.tell(c, Reply{Text: tr(c.Lang, "c.told.reply", c.Code(), text)})
	told := T("staff.replied", c.Code())
	if c.Reporter.Chat == "" {
		told = T("staff.replied.erased", c.Code())
	}
	t.send(Reply{Text: told + "\n\n" + t.e.card(c, T("c.alert.view")), Buttons: t.buttons(c)})
	return true
}

// moveTo moves a complaint filed about the wrong school to the school
// whose code staff typed, one of their scope's: the new school is alerted
// as of a new complaint, the parent told where it went; its deadlines
// stay (the parent waited no less for the mistake).
func (t *turn) moveTo(c *Complaint, code string) bool {
	sc, ok := t.e.dir.School(code)
	if !ok || !slices.Contains(t.who.Schools, sc.Code) {
		// Its name, or a part of it, typed: the one school of the scope
		// it names, or those it might mean.
		named := t.schoolsNamed(code)
		if len(named) != 1 {
			t.sayMatches(code, named)
			return false
		}
		sc, _ = t.e.dir.School(named[0])
	}
	switch {
	case sc.Code == c.School:
		t.say(T("staff.move.same", c.Code(), sc.Name))
		return false
	}
	from := t.e.schoolName(c.School)
	c.log(t.in.Now, t.actor(), "moved", c.School+" → "+sc.Code)
	c.School, c.Office = sc.Code, sc.Office
	t.save(c)
	t.alert(c, T("c.alert.moved"))
	t.tell(c, Reply{Text: tr(c.Lang, "c.told.moved", c.Code(), sc.Name)})
	t.send(Reply{Text: T("staff.moved", c.Code(), from, sc.Name) + "\n\n" + t.e.card(c, T("c.alert.view")), Buttons: t.buttons(c)})
	return true
}

// schoolsNamed are the codes of the schools of the sender's scope whose
// name holds text, word for word (folded: case and diacritics aside), as
// typed for one.
func (t *turn) schoolsNamed(text string) []string {
	f := Fold(text)
	if len([]rune(f)) < 3 {
		return nil
	}
	var out []string
	for _, code := range t.who.Schools {
		// Whole words: "số 1" is not "Số 10".
		if sc, ok := t.e.dir.School(code); ok && strings.Contains(" "+Fold(sc.Name)+" ", " "+f+" ") {
			out = append(out, sc.Code)
		}
	}
	return out
}

// sayMatches answers a school typed that names none of the scope's, or
// several: the first few, with their codes.
func (t *turn) sayMatches(text string, codes []string) {
	if len(codes) == 0 {
		t.say(T("staff.move.bad", clip(text, 32)))
		return
	}
	var b strings.Builder
	for i, code := range codes {
		if i == 8 {
			fmt.Fprintf(&b, "\n…")
			break
		}
		fmt.Fprintf(&b, "\n%s · %s", code, t.e.schoolName(code))
	}
	t.say(T("staff.move.which", clip(text, 32), len(codes)) + b.String())
}
