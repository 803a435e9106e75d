package flows

// The team: who is staff, by invite, and what they did.
//
//	/invite CODE (unit staff, admins) ──▶ a one-time link ──▶ its redeemer
//	   (/start inv_…) is bound as the school's principal; their command
//	   menu set
//	/hieutruong ──▶ the principals bound in the scope [Thu hồi] ──▶ revoked
//	/nhatky (admins) ──▶ the audit log's newest entries

import (
	"fmt"
	"strings"
)

// invite issues a one-time invite for a school: "/invite TH-01".
func (t *turn) invite() {
	sc, ok := t.e.dir.School(t.in.Arg)
	if !ok {
		t.say(T("invite.usage"))
		return
	}
	if !t.e.mayInvite(t.who, sc) || t.who.Group {
		t.deny("denied")
		return
	}
	if len(t.env.Random) < 8 {
		t.say(ErrorText())
		return
	}
	code := NewInviteCode(t.env.Random)
	inv := Invite{Hash: InviteHash(code), School: sc.Code, Issuer: t.who.ID, Expires: t.in.Now.AddDate(0, 0, InviteDays)}
	t.Invites = append(t.Invites, inv)
	t.audit("invite", sc.Code)
	link := ""
	if u := t.e.BotUsername(); u != "" {
		link = "\n" + T("invite.link", u, strings.ReplaceAll(code, "-", ""))
	}
	t.say(T("invite.made", sc.Name, code, t.e.day(inv.Expires)) + link)
}

// redeem binds the sender to the school of an invite code.
func (t *turn) redeem(code string) {
	inv, ok := t.look.Invite(InviteHash(code))
	switch {
	case !ok:
		t.say(T("invite.unknown"))
		return
	case inv.Used:
		t.say(T("invite.used"))
		return
	case t.in.Now.After(inv.Expires):
		t.say(T("invite.expired"))
		return
	}
	sc, ok := t.e.dir.School(inv.School)
	if !ok {
		t.say(T("invite.unknown"))
		return
	}
	inv.Used = true
	t.Invites = append(t.Invites, *inv)
	wider := t.who.Role > RolePrincipal
	t.Bind = &Principal{ID: t.who.ID, School: sc.Code, Name: t.env.Name, Since: t.in.Now, Issuer: inv.Issuer}
	no := false
	t.OptOut = &no // alerts must reach them, whatever they said as a parent
	if !wider {
		t.who.Role = RolePrincipal
	}
	t.who.Schools = append(t.who.Schools, sc.Code)
	t.audit("redeem", sc.Code)
	if !wider {
		t.menuFor(t.who.ID, RolePrincipal) // an admin or office keeps their wider menu
	}
	t.s = &Session{Staff: true}
	t.changed = true
	t.say(T("invite.bound", sc.Name))
	t.staffList()
}

// principals lists the principals an admin or office may revoke.
func (t *turn) principals() {
	if t.who.Role < RoleOffice || t.who.Group {
		t.deny("denied")
		return
	}
	var b strings.Builder
	b.WriteString(T("principals.title"))
	var rows [][]Button
	for _, code := range t.who.Schools {
		sc, ok := t.e.dir.School(code)
		if !ok {
			continue
		}
		for _, p := range sc.Principals {
			fmt.Fprintf(&b, "\n• %s: %s %s", sc.Name, p, T("principals.config"))
		}
		for _, p := range t.look.Principals(code) {
			name := p.Name
			if name == "" {
				name = p.ID
			}
			fmt.Fprintf(&b, "\n• %s: %s (%s)", sc.Name, name, t.e.day(p.Since))
			rows = append(rows, []Button{{Label: T("principals.revoke", clip(name, 30), sc.Code), Data: revokeData(p.ID)}})
		}
	}
	if len(rows) == 0 && !strings.Contains(b.String(), "•") {
		b.WriteString("\n" + T("principals.none"))
	}
	t.send(Reply{Text: b.String(), Buttons: rows})
}

// revoke removes a principal's binding; their old buttons stop working
// because every action checks the binding when it is used.
func (t *turn) revoke(id string) {
	school, ok := t.look.PrincipalOf(id)
	sc, found := t.e.dir.School(school)
	if !ok || !found || t.who.Group || !t.e.mayInvite(t.who, sc) {
		t.deny("denied")
		return
	}
	t.Unbind = id
	t.audit("revoke", id+"@"+sc.Code)
	t.menuFor(id, RoleParent)
	t.notice = T("principals.revoked")
	t.say(T("principals.revoked.text", sc.Name))
}

// auditTrail shows an admin the latest staff actions.
func (t *turn) auditTrail() {
	if t.who.Role != RoleAdmin {
		t.deny("denied")
		return
	}
	entries := t.look.Audit(30)
	if len(entries) == 0 {
		t.say(T("audit.none"))
		return
	}
	var b strings.Builder
	b.WriteString(T("audit.title", len(entries)))
	for _, a := range entries {
		fmt.Fprintf(&b, "\n%s · %s (%s) · %s · %s", t.e.when(a.At), a.Actor, a.Role, a.Action, a.Record)
		if a.Via != "" {
			b.WriteString(" · " + a.Via) // done on the dashboard
		}
	}
	t.say(clip(b.String(), 4000))
}

// menuFor queues the command menu of a role for a user's private chat.
func (t *turn) menuFor(id string, r Role) {
	ch, user, _ := strings.Cut(id, ":")
	t.Out = append(t.Out, Outgoing{Kind: OutMenu, Channel: ch, Chat: user, Reply: Reply{Text: r.String()},
		Priority: PriorityInteractive, Created: t.in.Now})
}
