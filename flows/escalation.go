package flows

// Escalation: a complaint past its deadline goes up the tree, each step
// once, by Sweep (the store runs it on every open complaint).
//
//	not acknowledged by AckDue, or not settled by ResolveDue ──▶ the
//	   school's unit (or the nearest above with a chat or staff)
//	   still overdue escalate_after working days later ──▶ the unit above,
//	   and so on to the top

import "time"

// Sweep escalates a complaint's passed deadlines up the tree, each step
// once: a passed deadline to the unit that runs the school (or the nearest
// unit above it that anyone receives for), and a complaint still overdue
// escalate_after working days later to the unit above that, and so on to
// the top. It returns the changed complaint, or nil.
func (e *Engine) Sweep(c *Complaint, now time.Time) (*Complaint, []Outgoing) {
	// Escalations go to the units alone: no Lookup is needed.
	if !c.Status.Open() {
		return nil, nil
	}
	var since time.Time // when the complaint became overdue
	switch {
	case c.Status == StatusNew && now.After(c.AckDue):
		since = c.AckDue
	case now.After(c.ResolveDue):
		since = c.ResolveDue
	default:
		return nil, nil
	}
	var out []Outgoing
	var x *Complaint
	step := func(which, headline string, to []Address) {
		if x == nil {
			x = c.clone()
		}
		x.Escalated = append(x.Escalated, which)
		x.log(now, "system", "escalated:"+which, "")
		out = append(out, e.alertTo(to, x, headline, now)...)
	}
	switch {
	case c.Status == StatusNew && now.After(c.AckDue) && !c.escalated("ack"):
		to, _ := e.reach(c.Office)
		step("ack", T("c.alert.late.ack"), to)
	case now.After(c.ResolveDue) && !c.escalated("resolve"):
		to, _ := e.reach(c.Office)
		step("resolve", T("c.alert.late.resolve"), to)
	}
	// Up the tree from the unit the first step reached, one unit with a
	// chat or staff each escalate_after working days; a unit nobody
	// receives for is passed over, not recorded as told.
	_, told := e.reach(c.Office)
	if told == nil {
		return x, out // nobody up the tree receives anything
	}
	n := 0
	for o, ok := e.dir.Office(told.Parent); ok; o, ok = e.dir.Office(o.Parent) {
		to := e.OfficeAddresses(o.ID)
		if len(to) == 0 {
			continue
		}
		n++
		days := n * e.escalateAfter
		if !now.After(e.cal.AddWorkingDays(since, days)) {
			break
		}
		if !c.escalated("up:" + o.ID) {
			step("up:"+o.ID, T("c.alert.late.up", days, told.Name), to)
		}
		told = o
	}
	if x == nil {
		return nil, nil
	}
	return x, out
}

// reach is where the alerts of a unit go: its chat or staff, or, when it
// has neither, those of the nearest unit above it that has; with the unit
// reached (nil when nobody is).
func (e *Engine) reach(office string) ([]Address, *Office) {
	for _, o := range e.dir.Chain(office) {
		if to := e.OfficeAddresses(o.ID); len(to) > 0 {
			return to, o
		}
	}
	return nil, nil
}
