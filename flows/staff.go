package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The staff console: a principal or a unit's staff, in their private
// chat or their unit's group, act on the complaints of the schools in
// their scope (Actor.Schools, decided at every input).
//
//	/danhsach, /start ──▶ the open complaints ──▶ a complaint's card
//	   (its buttons: staffActs in staff_complaints.go) ──▶ acked, resolved,
//	   duplicate; reply or refer ──▶ the text typed ──▶ sent to the parent
//	/thongbao ──▶ the text typed ──▶ preview ──▶ sent (announce.go)
//	/baocao, /xuat ──▶ a report queued (staff_reports.go)
//	/gopy ──▶ the comments of a school, or the schools with some (comments.go)
//	/invite, /hieutruong, /nhatky ──▶ the team (staff_team.go)
//	/web ──▶ a sign-in link to the dashboard (web.go)
//
// On a channel without buttons a complaint's code opens its card and a
// number picks an option of the last message with options.

// staffTable is the console's edges (staffRoutes); what none takes is
// answered with the list (staffDefault).
func staffTable() []route {
	return []route{
		{on: tap(vStaff), do: (*turn).staffPressed},
		{on: cmd("web"), do: always((*turn).webLink)},
		// An action's text being typed (staff_complaints.go).
		{on: typed, at: typingSteps, private: true, do: (*turn).replyCancelled},
		{on: typed, at: typingSteps, private: true, do: (*turn).replyStray},
		{on: typed, at: typingSteps, private: true, do: (*turn).replyTyped},
		// Announcements (announce.go).
		{on: cmd("thongbao", "announce"), do: always((*turn).announceStart)},
		{on: tapNow(vAnnounce), do: (*turn).announcePressed},
		{on: tapOlder(vAnnounce), do: (*turn).announceStale},
		{on: typed, at: announcing, private: true, do: (*turn).announceCancelled},
		{on: typed, at: []Step{StepStaffAnnounce}, private: true, do: (*turn).templateTyped},
		{on: typed, at: announcing, private: true, do: always((*turn).announceTyped)},
		{on: photo, at: announcing, private: true, do: always((*turn).announceTyped)},
		// The list, reports, comments, the team.
		{on: tap(vList), do: (*turn).listPressed},
		{on: cmd("danhsach", "start", "menu"), do: always((*turn).staffHome)},
		{on: cmd("baocao"), do: always(func(t *turn) { t.reportRequest(false) })},
		{on: cmd("xuat"), do: always(func(t *turn) { t.reportRequest(true) })},
		{on: cmd("gopy", "comments"), do: always((*turn).commentsCommand)},
		{on: tap(vComments, vSchools, vDigest), do: (*turn).commentsButton},
		{on: cmd("invite"), do: always((*turn).invite)},
		{on: cmd("hieutruong"), do: always((*turn).principals)},
		{on: cmd("nhatky"), do: always((*turn).auditTrail)},
		{on: tap(vRevoke), do: (*turn).revokePressed},
		{on: cmd("cancel", "huy"), do: always((*turn).staffCancel)},
		{on: anything, do: always((*turn).staffDefault)},
	}
}

// announcing are the steps of writing an announcement.
var announcing = []Step{StepStaffAnnounce, StepStaffAnnConfirm}

// staff handles a principal or unit staff member's input.
func (t *turn) staff() {
	in := t.in
	if t.s == nil {
		t.s = &Session{}
	}
	if t.s.Step != StepMenu && t.e.expiry > 0 && in.Now.Sub(t.s.Updated) > t.e.expiry {
		// A reply or announcement started days ago must not take
		// whatever is typed now; they are told it went, and that nothing
		// was sent.
		idle := t.e.duration(t.e.expiry, Vietnamese)
		if slices.Contains(announcing, t.s.Step) {
			t.say(T("staff.expired.ann", idle))
		} else {
			t.say(T("staff.expired", ComplaintCode(t.s.Target), idle))
		}
		t.s.Step, t.s.Target, t.s.Announce = StepMenu, 0, nil
	}
	t.s.Staff = true
	t.changed = true
	if in.Numbered && in.Kind == KindText && !slices.Contains(typingSteps, t.s.Step) && t.s.Step != StepStaffAnnounce {
		// No buttons on this channel: a complaint's code opens its card,
		// a number picks an option of the last message with options.
		if id, ok := ParseComplaintCode(strings.TrimSpace(in.Text)); ok {
			t.staffPress(staffData(staffView, id))
			return
		}
		data, number := t.numberedOption()
		switch {
		case !number:
		case len(t.s.Options) == 0:
			t.say(T("staff.numbered.none"))
			return
		case data == "":
			t.say(T("staff.numbered", len(t.s.Options)))
			return
		default:
			t.staffPress(data)
			return
		}
	}
	if in.Kind == KindButton {
		t.staffPress(in.Data)
		return
	}
	t.route(staffRoutes, in.Kind, t.input())
}

// staffPress handles a staff member's press on data, tapped or chosen by
// typing.
func (t *turn) staffPress(data string) {
	t.pressed = data
	p, _ := readData(data)
	t.route(staffRoutes, KindButton, p)
}

// staffPressed takes a complaint's button (staffActs); on the dashboard an
// action that asks for a text comes with it, in one.
func (t *turn) staffPressed(p press) bool {
	action := p.arg(0)
	t.staffAction(action, p.arg(1))
	if a, ok := staffActNamed(action); ok && a.ask != "" && t.env.Web && t.in.Kind == KindButton && t.in.Text != "" &&
		slices.Contains(typingSteps, t.s.Step) {
		t.staffText(t.in.Text)
	}
	return true
}

// replyCancelled takes "Huỷ" typed instead of an action's text.
func (t *turn) replyCancelled(press) bool {
	if !isCancel(t.in.Text) {
		return false
	}
	t.staffLeave("cancelled.staff")
	return true
}

// replyStray takes a complaint's code or an option's number — what an
// alert says to type — typed where an action's text is expected: it is no
// reply to the parent, and nothing is sent.
func (t *turn) replyStray(press) bool {
	if !strayText(t.in.Text) {
		return false
	}
	code := ComplaintCode(t.s.Target)
	if id, ok := ParseComplaintCode(t.in.Text); ok {
		t.s.Step, t.s.Target = StepMenu, 0
		t.say(T("staff.reply.dropped", code))
		t.staffAction(staffView, id10(id))
		return true
	}
	t.say(T("staff.typing", code))
	return true
}

// replyTyped takes the action's text: the reply, the referral's note.
func (t *turn) replyTyped(press) bool {
	t.staffText(t.in.Text)
	return true
}

// listPressed takes the list's button (and a reply's Huỷ).
func (t *turn) listPressed(p press) bool {
	if p.arg(0) != listArg {
		return false
	}
	t.staffHome()
	return true
}

// staffHome leaves whatever was begun and lists the open complaints.
func (t *turn) staffHome() { t.staffLeave("") }

// staffCancel answers /huy.
func (t *turn) staffCancel() { t.staffLeave("cancelled.staff") }

// staffLeave leaves whatever was begun (a reply, an announcement), says
// note if any, and lists the open complaints.
func (t *turn) staffLeave(note msg) {
	t.s.Step, t.s.Target, t.s.Announce = StepMenu, 0, nil
	if note != "" {
		t.say(T(note))
	}
	t.staffList()
}

// staffDefault answers what no route takes: the step being typed, or the
// help and the list.
func (t *turn) staffDefault() {
	if slices.Contains(typingSteps, t.s.Step) {
		t.say(T("staff.typing", ComplaintCode(t.s.Target)))
		return
	}
	if slices.Contains(announcing, t.s.Step) {
		t.say(T("ann.typing"))
		return
	}
	t.say(T("staff.help"))
	t.staffList()
}

// revokePressed takes a principal's Thu hồi button.
func (t *turn) revokePressed(p press) bool {
	t.revoke(p.arg(0))
	return true
}

// staffList lists the open complaints of the staff member's schools.
func (t *turn) staffList() {
	open := t.look.OpenComplaints(t.who.Schools)
	if len(open) == 0 {
		t.send(Reply{Text: T("staff.none"), Buttons: [][]Button{{{Label: T("staff.refresh"), Data: listData()}}}})
		return
	}
	var b strings.Builder
	b.WriteString(T("staff.list", len(open)))
	var rows [][]Button
	for i, c := range open {
		if i == 20 {
			b.WriteString("\n\n" + T("staff.more", len(open)-20))
			break
		}
		late := ""
		if c.OverdueAt(t.in.Now) {
			late = " ⏰"
		}
		fmt.Fprintf(&b, "\n\n%s · %s%s\n%s · %s · %s", c.Code(), c.Status.Name(), late, t.e.schoolName(c.School),
			T("staff.age", int(t.in.Now.Sub(c.Created).Hours()/24)), T("staff.due", t.e.deadline(c.ResolveDue, Vietnamese)))
		rows = append(rows, []Button{{Label: c.Code(), Data: staffData(staffView, c.ID)}})
	}
	rows = append(rows, []Button{{Label: T("staff.refresh"), Data: listData()}})
	t.send(Reply{Text: b.String(), Buttons: rows})
}

func (t *turn) audit(action, record string) {
	via := ""
	if t.env.Web {
		via = "web"
	}
	t.Audit = append(t.Audit, AuditEntry{At: t.in.Now, Actor: t.who.ID, Role: t.who.Role.String(), Action: action, Record: record, Via: via})
}

// actor names who acted in a complaint's history: their role and scope,
// never their person.
func (t *turn) actor() string {
	switch {
	case t.who.Role == RoleAdmin:
		return "admin"
	case t.who.Role == RoleOffice && len(t.who.Offices) > 0:
		return "office:" + t.who.Offices[0]
	case len(t.who.Schools) > 0:
		return "principal:" + t.who.Schools[0]
	}
	return "staff"
}

// isCancel reports whether a typed text is the cancel option ("Huỷ",
// "huy"): where staff type a reply, only the whole word cancels.
func isCancel(text string) bool { return isLabel(text, T("c.cancel")) }

// strayText says whether a text typed where a reply to a parent is
// expected is rather a complaint's code or a bare number (an option picked
// on a channel without buttons).
func strayText(text string) bool {
	text = strings.TrimSpace(text)
	if _, ok := ParseComplaintCode(text); ok {
		return true
	}
	_, err := strconv.Atoi(text)
	return err == nil && len(text) <= 3
}
