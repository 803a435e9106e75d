package flows

// My complaints and their follow-up: what a parent filed, and what they
// say after it is settled.
//
//	📋 Phản ánh của tôi, /phananhcuatoi ──▶ the ten newest, their status
//	   [➕ Bổ sung PA-…] (open ones) ──▶ the text typed ──▶ added to the
//	   complaint; its staff alerted (10 additions, 6,000 characters at most)
//	resolved by staff ──▶ "is it solved?" [Đã giải quyết] [Chưa] [Không biết] (also by
//	   typing the complaint's code) ──▶ Chưa reopens it: a new deadline,
//	   its units and principals alerted

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// myComplaints lists the parent's complaints with a button to add
// information to each open one.
func (t *turn) myComplaints() {
	list := t.look.ComplaintsBy(t.env.Key)
	if len(list) == 0 {
		m := t.menuReply()
		m.Text = t.T("c.mine.none") + "\n\n" + m.Text
		t.send(m)
		return
	}
	var b strings.Builder
	b.WriteString(t.T("c.mine"))
	var rows [][]Button
	for i, c := range list {
		if i == 10 {
			break
		}
		fmt.Fprintf(&b, "\n\n%s · %s\n%s · %s", c.Code(), c.Status.NameIn(t.lang()), t.e.categoryName(c.Category, t.lang()), t.e.day(c.Created))
		if c.Status.Open() {
			rows = append(rows, []Button{{Label: t.T("c.add.button", c.Code()), Data: addInfoData(c.ID)}})
		}
	}
	rows = append(rows, []Button{{Label: t.T("menu.back"), Data: menuData(menuMain)}})
	t.send(Reply{Text: b.String(), Buttons: rows})
}

// ownComplaint returns the complaint with id if the parent filed it.
func (t *turn) ownComplaint(arg string) (*Complaint, bool) {
	id, err := strconv.ParseUint(arg, 10, 64)
	if err != nil {
		return nil, false
	}
	c, ok := t.look.Complaint(id)
	if !ok || c.ReporterKey != t.env.Key || c.Reporter.Chat == "" {
		return nil, false
	}
	return c.clone(), true
}

func (t *turn) startAddInfo(c *Complaint) {
	if !c.Status.Open() {
		t.notice = t.T("c.closed")
		t.myComplaints()
		return
	}
	if c.additionsFull() {
		t.say(t.T("c.add.full", c.Code()))
		t.myComplaints()
		return
	}
	t.s.reset()
	t.s.Step, t.s.Target = StepCAdd, c.ID
	t.moved()
	t.send(t.promptReply())
}

func (t *turn) addInfoReply() Reply {
	return Reply{Text: t.T("c.add", ComplaintCode(t.s.Target)), Buttons: [][]Button{{{Label: t.T("c.cancel"), Data: t.nonced(vCancel)}}}, Typed: true}
}

func (t *turn) addInfo(text, photo string) {
	c, ok := t.look.Complaint(t.s.Target)
	if !ok || !c.Status.Open() {
		t.s.reset()
		t.moved()
		t.say(t.T("c.closed"))
		t.menu()
		return
	}
	if c.additionsFull() {
		t.s.reset()
		t.moved()
		t.say(t.T("c.add.full", c.Code()))
		t.myComplaints()
		return
	}
	text = strings.TrimSpace(text)
	if n := utf8.RuneCountInString(text); (n == 0 && photo == "") || n > MaxComplaintText {
		t.reprompt(t.T("c.text.long", n, MaxComplaintText))
		return
	} else if left := MaxAddedChars - c.addedChars(); n > left {
		t.reprompt(t.T("c.add.long", c.Code(), left, n))
		return
	}
	c = c.clone()
	note := text
	if photo != "" {
		c.Photos = append(c.Photos, photo)
		if note == "" {
			note = T("c.add.photo")
		}
	}
	c.Added = append(c.Added, Event{At: t.in.Now, Actor: "parent", Action: "info", Note: note})
	c.log(t.in.Now, "parent", "info", "")
	t.save(c)
	t.s.reset()
	t.moved()
	t.send(t.keptMenu(t.T("c.add.sent", c.Code())))
	for _, a := range dedupe(t.e.staffAddresses(c, false, t.look)) {
		t.Out = append(t.Out, Outgoing{Kind: OutMessage, Channel: a.Channel, Chat: a.Chat, Priority: PriorityAlert, Created: t.in.Now,
			Reply: Reply{Text: T("c.add.staff", c.Code(), clip(note, 3000)), Buttons: actions(c, nil), Detached: T("hint.complaint", c.Code())}})
		if photo != "" {
			t.Out = append(t.Out, Outgoing{Kind: OutMessage, Channel: a.Channel, Chat: a.Chat, Priority: PriorityAlert, Created: t.in.Now,
				Reply: Reply{Photo: photo, Text: T("c.photo.caption", c.Code(), len(c.Photos), len(c.Photos))}})
		}
	}
}

// followupButtons ask whether a resolved complaint's problem is solved.
func followupButtons(id uint64, l Lang) [][]Button {
	return [][]Button{{
		{Label: tr(l, "c.followup.yes"), Data: followupData(id, followupYes)}, {Label: tr(l, "c.followup.no"), Data: followupData(id, followupNo)},
		{Label: tr(l, "c.followup.dk"), Data: followupData(id, followupDK)},
	}}
}

// followup records the parent's answer to "Vấn đề đã được giải quyết
// chưa?"; "Chưa" reopens the complaint and tells the office.
func (t *turn) followup(p press) bool {
	answer := p.arg(1)
	c, ok := t.ownComplaint(p.arg(0))
	if !ok || c.Status != StatusResolved || (answer != followupYes && answer != followupNo && answer != followupDK) {
		t.notice = t.T("stale.notice")
		t.prompt()
		return true
	}
	now := t.in.Now
	c.Followup = answer
	c.log(now, "parent", "followup:"+answer, "")
	if t.s.Step != StepMenu {
		// Answered in the middle of something: its prompt again, so that
		// what is typed next (a number) answers that, not this.
		defer t.prompt()
	}
	if answer != "no" {
		t.save(c)
		t.send(Reply{Text: t.T("c.followup.thanks", c.Code())})
		return true
	}
	cat, _ := t.e.category(c.Category)
	days := 10
	if cat != nil {
		days = cat.Days
	}
	// Asked again when it is next resolved.
	c.Status, c.ResolvedAt, c.Reopened, c.Followup = StatusWorking, time.Time{}, c.Reopened+1, ""
	c.ResolveDue = t.e.cal.AddWorkingDays(now, days)
	c.Escalated = slices.DeleteFunc(c.Escalated, func(s string) bool { return s == "resolve" || strings.HasPrefix(s, "up:") })
	c.log(now, "parent", "reopened", "")
	t.save(c)
	units, reached := t.e.reach(c.Office)
	told := t.T("c.reopened.school", c.Code(), t.e.deadline(c.ResolveDue, t.lang())) // no unit has a chat or staff to tell
	if reached != nil {
		told = t.T("c.reopened.parent", c.Code(), reached.NameIn(t.lang()), t.e.deadline(c.ResolveDue, t.lang()))
	}
	t.send(Reply{Text: told})
	t.Out = append(t.Out, t.e.alertTo(append(units, t.e.staffAddresses(c, false, t.look)...), c, T("c.alert.reopened"), now)...)
	return true
}

// addInfoPressed takes "add information" on one of the parent's open
// complaints.
func (t *turn) addInfoPressed(p press) bool {
	if c, ok := t.ownComplaint(p.arg(0)); ok {
		t.startAddInfo(c)
		return true
	}
	t.stale()
	return true
}

// codeTyped takes a complaint's code typed where no text is being written:
// its follow-up question if one awaits an answer (how channels without
// buttons answer it, at whatever step the parent is); at the menu, the
// parent's complaints.
func (t *turn) codeTyped(press) bool {
	id, ok := ParseComplaintCode(t.in.Text)
	if !ok || t.typing() {
		return false
	}
	if c, mine := t.ownComplaint(id10(id)); mine && c.Status == StatusResolved && c.Followup == "" {
		t.send(Reply{Text: t.T("c.followup.ask", c.Code()), Buttons: followupButtons(c.ID, t.lang())})
		return true
	}
	if t.s.Step == StepMenu {
		t.myComplaints()
		return true
	}
	return false
}

// photoAddedInfo takes a photo sent as information added to a complaint:
// the photo joins it, its caption is the words added.
func (t *turn) photoAddedInfo() { t.addInfo(t.in.Text, t.in.Photo) }
