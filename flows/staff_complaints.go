package flows

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// staffAction applies a complaint button pressed by staff, after checking
// at the moment of use that the complaint is theirs to act on.
func (t *turn) staffAction(schools []string, verb, idStr string) {
	id, err := strconv.ParseUint(idStr, 10, 64)
	c, ok := t.look.Complaint(id)
	if err != nil || !ok || !slices.Contains(schools, c.School) {
		t.deny("staff.denied")
		return
	}
	c = c.clone()
	now := t.in.Now
	actor := t.actor()
	if verb == staffView {
		t.audit("view", c.Code())
		t.send(Reply{Text: t.e.card(c, T("c.alert.view")), Buttons: actions(c)})
		t.photos(c)
		return
	}
	if !c.Status.Open() {
		t.notice = T("staff.closed", c.Status.Name())
		t.send(Reply{Text: t.e.card(c, T("c.alert.view"))})
		return
	}
	switch verb {
	case staffAck, staffReply, staffRefer, staffDone, staffDup:
		t.audit(verb, c.Code())
	}
	switch verb {
	case staffAck:
		if c.Status == StatusNew {
			c.Status, c.AckedAt = StatusAcked, now
			c.log(now, actor, "acked", "")
			t.save(c)
			t.tell(c, Reply{Text: tr(c.Lang, "c.told.acked", c.Code())})
		}
		t.notice = T("staff.acked")
		t.send(Reply{Text: t.e.card(c, T("c.alert.view")), Buttons: actions(c)})
	case staffReply, staffRefer:
		t.s.Step, t.s.Target = StepStaffReply, c.ID
		prompt := T("staff.reply", c.Code())
		if verb == staffRefer {
			t.s.Step, prompt = StepStaffRefer, T("staff.refer", c.Code())
		}
		t.s.Nonce++
		r := Reply{Text: prompt, Buttons: [][]Button{{{Label: T("c.cancel"), Data: listData()}}}, Typed: true}
		if t.in.Group {
			// The reply is typed in private, where only someone who is
			// staff in person may act on the school.
			personal := t.e.actor(Envelope{Channel: t.env.Channel, User: t.env.User, Chat: t.env.User}, t.look)
			if !slices.Contains(personal.Schools, c.School) {
				t.s.Step, t.s.Target = StepMenu, 0
				t.notice = T("staff.private.denied")
				t.say(T("staff.private.denied"))
				return
			}
			// Replies are typed in private: a group only shows the bot commands.
			t.notice = T("staff.private")
			t.out = append(t.out, Outgoing{Kind: OutMessage, Channel: t.env.Channel, Chat: t.env.User, Reply: r, Priority: PriorityInteractive, Created: now})
			return
		}
		t.replies = append(t.replies, r)
	case staffDone:
		c.Status, c.ResolvedAt = StatusResolved, now
		if c.AckedAt.IsZero() {
			c.AckedAt = now
		}
		c.log(now, actor, "resolved", "")
		t.save(c)
		t.notice = T("staff.resolved")
		t.send(Reply{Text: t.e.card(c, T("c.alert.view"))})
		t.tell(c, Reply{Text: tr(c.Lang, "c.told.resolved", c.Code()) + "\n\n" + tr(c.Lang, "c.followup"), Buttons: followupButtons(c.ID, c.Lang)})
	case staffDup:
		c.Status, c.ResolvedAt = StatusDuplicate, now
		c.log(now, actor, "duplicate", "")
		t.save(c)
		t.notice = T("staff.closed.done")
		t.send(Reply{Text: t.e.card(c, T("c.alert.view"))})
		t.tell(c, Reply{Text: tr(c.Lang, "c.told.duplicate", c.Code())})
	default:
		t.deny("staff.denied")
	}
}

// staffText takes a reply or a referral note typed by staff.
func (t *turn) staffText(schools []string, text string) {
	text = strings.TrimSpace(text)
	c, ok := t.look.Complaint(t.s.Target)
	step := t.s.Step
	t.s.Step, t.s.Target = StepMenu, 0
	if !ok || !slices.Contains(schools, c.School) {
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
	c = c.clone()
	now := t.in.Now
	t.audit(map[Step]string{StepStaffRefer: "refer.text", StepStaffReply: "reply.text"}[step], c.Code())
	if step == StepStaffRefer {
		c.Status, c.ResolvedAt = StatusReferred, now
		c.log(now, t.actor(), "referred", text)
		t.save(c)
		t.tell(c, Reply{Text: tr(c.Lang, "c.told.referred", c.Code(), text)})
		t.say(T("staff.referred.ok", c.Code()))
		return
	}
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
	t.send(Reply{Text: told + "\n\n" + t.e.card(c, T("c.alert.view")), Buttons: actions(c)})
}
