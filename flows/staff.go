package flows

import (
	"fmt"
	"strconv"
	"strings"
)

// staffList lists the open complaints of the staff member's schools.
func (t *turn) staffList(schools []string) {
	open := t.look.OpenComplaints(schools)
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
		if t.in.Now.After(c.ResolveDue) || (c.Status == StatusNew && t.in.Now.After(c.AckDue)) {
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
	t.auditLog = append(t.auditLog, AuditEntry{At: t.in.Now, Actor: t.who.ID, Role: t.who.Role.String(), Action: action, Record: record, Via: via})
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
