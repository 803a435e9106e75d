package flows

// A turn is the handling of one input: the session as it was, the reply
// being written, and what is to be stored (its Result). The helpers here
// are every conversation's: say and send a reply, move the conversation
// on (a new nonce: older buttons go stale), show the step on screen again.

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// turn is the work of handling one input.
type turn struct {
	// Result gathers what the input changed, as it goes: its Out holds
	// the messages to others than the sender (principals, units, the
	// parent of a complaint); Handle puts the sender's replies before
	// them, and the session, when the turn is done.
	Result
	e    *Engine
	in   Input
	env  Envelope
	look Lookup
	who  Actor
	s    *Session
	// changed: the session is to be stored.
	changed bool
	replies []Reply
	notice  string
	// pre is the language of a user who has not consented yet: it lives
	// only in the buttons of the consent prompt, since nothing is stored.
	pre    Lang
	before PreConsent // what was kept before consent, as read
	// pressed is the data of the press being handled: the button tapped,
	// or the option a typed text named (choose); "" for other input.
	pressed string
	// offered is what the parent sent that was offered to them as a
	// complaint on their previous input (see offerComplaint): a text, and
	// the photo it came with.
	offered    *Draft
	offerNonce uint32 // the nonce the offer was made under

}

func (t *turn) say(text string) { t.replies = append(t.replies, Reply{Text: text}) }

// deny refuses an action: as the button's notice too when it was a press.
func (t *turn) deny(key msg) {
	if t.pressed != "" {
		t.notice = t.T(key)
	}
	t.say(t.T(key))
}

func (t *turn) send(r Reply) {
	// A reply to a button press replaces the message the button was on
	// (not an announcement's, nor a confirmation's: they stay to be read
	// again; "n:s" is the survey button of announcements of before). A
	// typed choice's reply is a new message: there is none to replace.
	if t.in.Kind == KindButton && len(t.replies) == 0 && !stays(t.in.Data) {
		r.Edit = true
	}
	t.replies = append(t.replies, r)
}

// hideKeyboard takes away the share-contact keyboard of the contact step,
// left however the step was left (/cancel, a menu button, a QR code, the
// time-out): a message that is not an edit must carry it.
func (t *turn) hideKeyboard() {
	for _, r := range t.replies {
		if r.HideKeyboard || r.AskContact != "" {
			return
		}
	}
	for i := range t.replies {
		if r := &t.replies[i]; len(r.Buttons) == 0 && !r.Edit && r.Photo == "" && r.File == nil {
			r.HideKeyboard = true
			return
		}
	}
	if len(t.replies) == 0 {
		return
	}
	// A message cannot both take the reply keyboard away and show inline
	// buttons: its first paragraph goes on its own.
	i := len(t.replies) - 1
	r := t.replies[i]
	head, rest, ok := strings.Cut(r.Text, "\n\n")
	if !ok || r.Photo != "" || r.File != nil {
		return
	}
	r.Text, r.Edit = rest, false
	t.replies = append(t.replies[:i], Reply{Text: head, HideKeyboard: true, Lang: r.Lang}, r)
}

// moved records a change of conversation state; older buttons go stale.
func (t *turn) moved() {
	t.changed = true
	t.s.Nonce++
}

// prompt re-sends the current step's message as a new message.
func (t *turn) prompt() {
	t.replies = append(t.replies, t.promptReply())
}

// reprompt answers an input that did not fit with a note and the current
// step's message again, in one message.
func (t *turn) reprompt(note string) {
	p := t.promptReply()
	p.Text = note + "\n\n" + p.Text
	t.replies = append(t.replies, p)
}

func (t *turn) nonced(action string) string {
	return strconv.FormatUint(uint64(t.s.Nonce), 10) + ":" + action
}

// promptReply renders the current step, with the offer to file what the
// parent typed as a complaint while it stands (offerComplaint).
func (t *turn) promptReply() Reply {
	p := t.stepReply()
	if t.s.offered() || t.standingOffer() != nil {
		p.Buttons = append(slices.Clone(p.Buttons), []Button{{Label: t.T("offer.button"), Data: t.nonced(vOffer)}})
	}
	return p
}

// standingOffer is what was offered as a complaint on the parent's
// previous input while the conversation has not moved since, else nil: the
// offer's button takes it, and so does starting a complaint any other way
// (/phananh, the menu's 📣 Gửi phản ánh).
func (t *turn) standingOffer() *Draft {
	if t.offered != nil && t.s.Nonce == t.offerNonce {
		return t.offered
	}
	return nil
}

// stepReply renders the current step.
func (t *turn) stepReply() Reply {
	s := t.s
	switch s.Step {
	case StepLevel:
		return t.levelReply()
	case StepSchool:
		return t.schoolPage()
	case StepGrade:
		return t.gradeReply()
	case StepQuestion:
		return t.questionReply()
	case StepConfirm:
		return t.confirmReply()
	case StepCategory:
		return t.categoryReply()
	case StepCText:
		return t.complaintTextReply()
	case StepCPhotos:
		return t.photosReply()
	case StepCContact:
		return t.contactReply()
	case StepCConfirm:
		return t.complaintConfirmReply()
	case StepCAdd:
		return t.addInfoReply()
	}
	return t.menuReply()
}

func (t *turn) stale() {
	t.notice = t.T("stale.notice")
	t.reprompt(t.T("stale"))
}

// staleHere answers a press on a step's button that no longer applies: the
// message pressed is edited to show the current step, so the parent taps
// where the conversation is, and no further copy of the question is made
// (the channel takes the buttons off the copy that showed it before).
func (t *turn) staleHere() {
	t.notice = t.T("stale.notice")
	p := t.promptReply()
	p.Text = t.T("stale") + "\n\n" + p.Text
	t.send(p)
}

// tapAgain is how soon after the parent's previous input a press counts
// as a tap again on a screen not yet changed, rather than a return to an
// older message.
const tapAgain = 15 * time.Second

// doubleTap says whether a press came within tapAgain of the parent's
// previous input.
func (t *turn) doubleTap() bool {
	return t.in.Kind == KindButton && t.s != nil && !t.in.Now.Before(t.s.Updated) && t.in.Now.Sub(t.s.Updated) < tapAgain
}

// numberedOption reads a text typed on a channel without buttons as the
// number of an option of the last message with options the user was sent
// (Session.Options): number reports whether it is a number at all, data is
// the option's button data, "" when the number is past them.
func (t *turn) numberedOption() (data string, number bool) {
	if !t.in.Numbered || t.s == nil {
		return "", false
	}
	n, err := strconv.Atoi(strings.TrimSpace(t.in.Text))
	if err != nil {
		return "", false
	}
	if n < 1 || n > len(t.s.Options) {
		return "", true
	}
	return t.s.Options[n-1], true
}

// isLabel reports whether a typed text is an option's label (folded).
func isLabel(text, label string) bool {
	_, ok := match(text, []Button{{Label: label, Data: "x"}}, false)
	return ok
}

// rememberOptions keeps, on a channel without buttons, the options of the
// last message with options sent to the user: a number they type next picks
// from what they see, be it the current step or a side menu (information,
// their data, a complaint's card). A message that asks for a typed value
// (a class size) keeps none: a number there is the value.
func (t *turn) rememberOptions() {
	if t.s == nil || !t.changed || (t.s.Consent == nil && !t.s.Staff) {
		return
	}
	for i := len(t.replies) - 1; i >= 0; i-- {
		r := t.replies[i]
		if len(r.Buttons) == 0 {
			continue
		}
		t.s.Options = nil
		options, _ := numberedParts(r)
		for _, b := range options {
			t.s.Options = append(t.s.Options, b.Data)
		}
		return
	}
}

// save records a new or changed complaint to store.
func (t *turn) save(c *Complaint) {
	for i, x := range t.Complaints {
		if x.ID == c.ID {
			t.Complaints[i] = c
			return
		}
	}
	t.Complaints = append(t.Complaints, c)
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
