package flows

// Alerts: who hears of a complaint, and what they read. A complaint's card
// never names the parent; only a phone they chose to share is shown.
//
//	filed ──▶ its school's principals (configured or bound by invite);
//	   none: its unit, or the nearest unit above with a chat or staff
//	   urgent category ──▶ also its unit (every unit above with
//	   complaints.urgent_all_levels)
//	   in a burst (BurstWindow) ──▶ one short message, the card on opening
//	a staff action ──▶ the parent told (tell), in their language

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// alert sends the complaint's card with its buttons and photos to its
// principals, and to the office when urgent.
func (t *turn) alert(c *Complaint, headline string) {
	cat, _ := t.e.category(c.Category)
	t.Out = append(t.Out, t.e.alertTo(t.e.staffAddresses(c, cat != nil && cat.Urgent, t.look), c, headline, t.in.Now)...)
}

func (e *Engine) alertTo(to []Address, c *Complaint, headline string, now time.Time) []Outgoing {
	var out []Outgoing
	for _, a := range dedupe(to) {
		out = append(out, Outgoing{Kind: OutMessage, Channel: a.Channel, Chat: a.Chat, Priority: PriorityAlert, Created: now,
			Reply: Reply{Text: e.card(c, headline), Buttons: actions(c, nil), Detached: T("hint.complaint", c.Code())}})
		for i, p := range c.Photos {
			out = append(out, Outgoing{Kind: OutMessage, Channel: a.Channel, Chat: a.Chat, Priority: PriorityAlert, Created: now,
				Reply: Reply{Photo: p, Text: T("c.photo.caption", c.Code(), i+1, len(c.Photos))}})
		}
	}
	return out
}

// alertFolded tells staff of a complaint filed in a burst in one message:
// its text in short and how many photos, with its buttons; its card and
// photos come when they open it. The first complaint of the burst had the
// whole alert.
func (e *Engine) alertFolded(to []Address, c *Complaint, now time.Time) []Outgoing {
	var out []Outgoing
	// Not which complaint came before: one with a phone number would name
	// the parent of an anonymous one.
	who := T("c.who.anonymous")
	if !c.Anonymous && c.Phone != "" {
		who = T("c.who.phone", c.Phone)
	}
	text := T("c.alert.burst", c.Code(), e.schoolName(c.School), e.categoryName(c.Category, Vietnamese), len(c.Photos), who, clip(c.Text, 300))
	view := []Button{{Label: T("c.alert.view") + " " + c.Code(), Data: staffData(staffView, c.ID)}}
	for _, a := range dedupe(to) {
		out = append(out, Outgoing{Kind: OutMessage, Channel: a.Channel, Chat: a.Chat, Priority: PriorityAlert, Yield: true, Created: now,
			Reply: Reply{Text: text, Buttons: append([][]Button{view}, actions(c, nil)...), Detached: T("hint.complaint", c.Code())}})
	}
	return out
}

// photos are a complaint's photos, for staff opening a complaint whose
// alert was folded (the others had them with the alert).
func (t *turn) photos(c *Complaint) {
	if !c.Folded {
		return
	}
	for i, p := range c.Photos {
		t.send(Reply{Photo: p, Text: T("c.photo.caption", c.Code(), i+1, len(c.Photos))})
	}
}

// card is a complaint as staff see it: never the parent's identity, only
// the phone they chose to share.
func (e *Engine) card(c *Complaint, headline string) string {
	cat, _ := e.category(c.Category)
	catName := c.Category
	if cat != nil {
		catName = cat.Name
		if cat.Urgent {
			catName += " ⚠️"
		}
	}
	who := T("c.who.anonymous")
	if !c.Anonymous && c.Phone != "" {
		who = T("c.who.phone", c.Phone)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", headline, c.Code())
	fmt.Fprintf(&b, T("c.card.meta")+"\n", e.schoolName(c.School), catName, c.Status.Name(), e.when(c.Created))
	if c.Status.Open() {
		if c.Status == StatusNew {
			fmt.Fprintf(&b, T("c.card.due.ack")+"\n", e.deadline(c.AckDue, Vietnamese))
		}
		fmt.Fprintf(&b, T("c.card.due")+"\n", e.deadline(c.ResolveDue, Vietnamese))
	}
	fmt.Fprintf(&b, T("c.card.who")+"\n\n", who)
	b.WriteString(clip(c.Text, 2500))
	if n := len(c.Photos); n > 0 {
		b.WriteString("\n\n" + T("c.card.photos", n))
	}
	for _, ev := range c.Added {
		b.WriteString("\n\n" + T("c.card.info", e.when(ev.At), clip(ev.Note, 500)))
	}
	return clip(b.String(), 4000)
}

// staffAddresses are the chats of those who act on a school's complaints:
// its principals (configured and bound), and the office chat when office
// is set.
func (e *Engine) staffAddresses(c *Complaint, office bool, look Lookup) []Address {
	out := e.PrincipalAddresses(c.School, look.Principals(c.School))
	if office || len(out) == 0 {
		// A school without a principal on the bot: its unit receives
		// what the principal would have (or the nearest unit above it
		// that anyone receives for).
		to, _ := e.reach(c.Office)
		out = append(out, to...)
	}
	if office && e.urgentAll {
		for _, o := range e.dir.Chain(c.Office) {
			out = append(out, e.OfficeAddresses(o.ID)...)
		}
	}
	return out
}

// receiver names who receives a new complaint about sc at once: the
// school when it has principals (bound lists those bound by invites), else
// its office when the office has a chat or staff; false when nobody does.
func (e *Engine) receiver(sc *School, bound []Principal) (string, bool) {
	if len(e.PrincipalAddresses(sc.Code, bound)) > 0 {
		return sc.Name, true
	}
	if _, o := e.reach(sc.Office); o != nil {
		return o.Name, true
	}
	return "", false
}

// Unreached lists the codes of the schools whose complaints would reach
// nobody: no principal, in the configuration or bound by an invite
// (bound), and an office with neither a chat nor staff.
func (e *Engine) Unreached(bound func(school string) []Principal) []string {
	var out []string
	for i := range e.dir.Schools {
		sc := &e.dir.Schools[i]
		if _, ok := e.receiver(sc, bound(sc.Code)); !ok {
			out = append(out, sc.Code)
		}
	}
	return out
}

// PrincipalAddresses are the chats of a school's principals: those in
// the configuration and those bound by invites.
func (e *Engine) PrincipalAddresses(school string, bound []Principal) []Address {
	sc, ok := e.dir.School(school)
	if !ok {
		return nil
	}
	var out []Address
	ids := append([]string(nil), sc.Principals...)
	for _, p := range bound {
		ids = append(ids, p.ID)
	}
	for _, p := range ids {
		ch, user, _ := strings.Cut(p, ":")
		out = append(out, Address{Channel: ch, Chat: user})
	}
	return dedupe(out)
}

// OfficeAddresses are where an office's alerts, escalations and digests
// go: its chat, or its staff when it has none.
func (e *Engine) OfficeAddresses(id string) []Address {
	o, ok := e.dir.Office(id)
	if !ok {
		return nil
	}
	if o.Chat != "" {
		ch, chat, _ := strings.Cut(o.Chat, ":")
		return []Address{{Channel: ch, Chat: chat}}
	}
	var out []Address
	for _, s := range o.Staff {
		ch, user, _ := strings.Cut(s, ":")
		out = append(out, Address{Channel: ch, Chat: user})
	}
	return out
}

func dedupe(as []Address) []Address {
	var out []Address
	for _, a := range as {
		if a.Chat != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// tell sends the parent of a complaint a message.
func (t *turn) tell(c *Complaint, r Reply) {
	if c.Reporter.Chat == "" {
		return // the parent deleted their data; the office's record stays
	}
	r.Lang = c.Lang
	if len(r.Buttons) > 0 {
		r.Detached = tr(c.Lang, "hint.followup", c.Code())
	}
	t.Out = append(t.Out, Outgoing{Kind: OutMessage, Channel: c.Reporter.Channel, Chat: c.Reporter.Chat, Reply: r,
		Priority: PriorityAlert, Created: t.in.Now})
}
