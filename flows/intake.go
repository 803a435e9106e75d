package flows

// Complaint intake: a parent's phản ánh, from the category to its code.
//
//	📣 (menu, /phananh, a sentence offered) ──▶ category [ …categories ]
//	   [khiếu nại, tố cáo: elsewhere] [Huỷ] ──▶ the school: the parent's,
//	   [another school] (onboarding.go) ──▶ the description (20–2000
//	   characters, or a photo's caption) ──▶ photos, up to 5 [done] ──▶
//	   contact: share the phone, or [anonymous] ──▶ review [Gửi] [write
//	   again] [Huỷ] ──▶ filed: its code and deadlines; the school alerted
//	   (alerts.go), and every unit above for an urgent category
//	A sentence typed anywhere it answers nothing is heard: offered as a
//	complaint, or added to the one being written.

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Complaint text limits: long enough to say what happened, short enough
// to read on a phone.
const (
	MinComplaintText = 20
	MaxComplaintText = 2000
	MaxPhotos        = 5
	// A parent may add information to a complaint this many times, and
	// this many characters in all: each addition is written into the
	// complaint and alerts its staff, so an endless series would grow the
	// record and bury them.
	MaxAdditions  = 10
	MaxAddedChars = 6000
	// DefaultPerParentDaily is how many complaints a parent may file in
	// a day unless configured (complaints.per_parent_per_day).
	DefaultPerParentDaily = 5
	// BurstWindow is how soon after their previous complaint a parent's
	// next one counts as part of a burst: its alert is folded into one
	// short message (see alertFolded).
	BurstWindow = 30 * time.Minute
)

func (e *Engine) category(id string) (*Category, bool) {
	for i := range e.categories {
		if e.categories[i].ID == id {
			return &e.categories[i], true
		}
	}
	return nil, false
}

// categoryName is a category's name, or its id if it left the configuration.
func (e *Engine) categoryName(id string, l Lang) string {
	if c, ok := e.category(id); ok {
		return c.NameIn(l)
	}
	return id
}

// startComplaint begins a complaint: the category first. offer is what the
// parent already sent (see offerComplaint), or nil. A parent who has filed
// as many as a day allows is told so kindly, before writing one in vain.
func (t *turn) startComplaint(offer *Draft) {
	if t.filedToday() >= t.e.perDay {
		// Told where they are: a survey or an offered sentence in hand
		// stays as it was.
		t.reprompt(t.T("c.limit", t.e.perDay))
		return
	}
	d := &Draft{}
	if offer != nil {
		d.Text, d.Photos = offer.Text, slices.Clone(offer.Photos)
	}
	t.s.reset()
	t.s.Step, t.s.Draft = StepCategory, d
	t.moved()
	t.send(t.promptReply())
}

// typing says whether the step takes free text: a complaint's description
// or addition, a comment question.
func (t *turn) typing() bool {
	if t.s.Step == StepCText || t.s.Step == StepCAdd {
		return true
	}
	q := t.current()
	return t.s.Step == StepQuestion && q != nil && q.Kind == Text
}

// meant says whether a typed text that answers nothing on screen looks
// like something the parent wants heard: a sentence (four words or more,
// long enough to stand as a complaint's description), not a stray word.
func meant(text string) bool {
	text = strings.TrimSpace(text)
	n := utf8.RuneCountInString(text)
	return len(strings.Fields(text)) >= 4 && n >= MinComplaintText && n <= MaxComplaintText
}

// heard answers such a text, so that it never vanishes: outside a
// complaint it is offered as one (kept for the next input, the survey in
// progress kept too); choosing a complaint's category, it becomes the
// description; later in a complaint, it is added to the description. A
// photo it came with as the caption goes with it.
func (t *turn) heard(text, photo string) {
	s := t.s
	text = strings.TrimSpace(text)
	switch s.Step {
	case StepCategory, StepCPhotos, StepCContact, StepCConfirm:
		d := s.Draft
		if photo != "" && len(d.Photos) < MaxPhotos {
			d.Photos = append(d.Photos, photo)
			t.moved()
		}
		if d.Text == "" {
			d.Text = text // shown above the categories
			t.prompt()
			return
		}
		if utf8.RuneCountInString(d.Text)+1+utf8.RuneCountInString(text) > MaxComplaintText {
			t.reprompt(t.T("c.text.full", MaxComplaintText))
			return
		}
		d.Text += "\n" + text
		t.moved() // the review shows the longer text
		t.reprompt(t.T("c.text.added"))
	default:
		t.offerComplaint(text, photo)
	}
}

// offerComplaint offers a typed text that answers nothing as a complaint,
// carried into the intake so that it is not typed twice; the current step
// is shown again below the offer.
func (t *turn) offerComplaint(text, photo string) {
	s := t.s
	if s.Draft != nil && s.Draft.Category != "" {
		// A complaint being written (its school still to pick): the
		// sentence is its description, not a new complaint's.
		s.Draft.Text = text
		if photo != "" && len(s.Draft.Photos) < MaxPhotos {
			s.Draft.Photos = append(s.Draft.Photos, photo)
		}
		t.reprompt(t.T("c.text.kept", clip(text, 300)))
		return
	}
	s.Draft = &Draft{Text: text}
	if photo != "" {
		s.Draft.Photos = []string{photo}
	}
	key := msg("offer")
	if t.surveying() || s.paused() {
		key = "offer.survey"
	}
	p := t.promptReply()
	p.Text = t.T(key, clip(text, 300)) + "\n\n" + p.Text // its button too
	t.replies = append(t.replies, p)
}

// describe goes on to the complaint's description, or past it to the
// photos when the text came with the complaint (offerComplaint).
func (t *turn) describe(note string) {
	s := t.s
	s.Step = StepCText
	if s.Draft.Text != "" {
		s.Step = StepCPhotos
		note += "\n\n" + t.T("c.text.kept", clip(s.Draft.Text, 300))
	}
	t.moved()
	p := t.promptReply()
	p.Text = note + "\n\n" + p.Text
	t.send(p)
}

func (t *turn) categoryReply() Reply {
	var rows [][]Button
	for _, c := range t.e.categories {
		rows = append(rows, []Button{{Label: c.NameIn(t.lang()), Data: t.nonced(categoryAct(c.ID))}})
	}
	rows = append(rows, []Button{{Label: t.T("c.formal.button"), Data: menuData(menuFormal)}}, []Button{{Label: t.T("c.cancel"), Data: t.nonced(vCancel)}})
	text := t.T("c.category")
	if d := t.s.Draft; d != nil && d.Text != "" {
		text = t.T("c.text.kept", clip(d.Text, 300)) + "\n\n" + text
	}
	return Reply{Text: text, Buttons: rows}
}

// complaintSchool asks to confirm the known school, or to pick one.
func (t *turn) complaintSchool() {
	if sc, ok := t.e.dir.School(t.s.School); ok {
		t.describe(t.T("c.school", sc.Name))
		return
	}
	t.askLevel(StepCText)
}

func (t *turn) draftSchool() string {
	sc, ok := t.e.dir.School(t.s.School)
	if !ok {
		return ""
	}
	return sc.Name
}

func (t *turn) complaintTextReply() Reply {
	var rows [][]Button
	if _, ok := t.e.dir.School(t.s.School); ok && t.s.Draft != nil && t.s.Draft.Text == "" {
		// Until the description is written the school may still change;
		// offered again with every re-prompt, so that typing its words
		// works where there are no buttons.
		rows = append(rows, []Button{{Label: t.T("c.school.other"), Data: t.nonced(vOther)}})
	}
	rows = append(rows, []Button{{Label: t.T("c.cancel"), Data: t.nonced(vCancel)}})
	return Reply{Text: t.T("c.text", MinComplaintText, MaxComplaintText), Buttons: rows, Typed: true}
}

// complaintText takes the description, from a text or a photo's caption.
func (t *turn) complaintText(text, photo string) {
	text = strings.TrimSpace(text)
	n := utf8.RuneCountInString(text)
	if photo != "" && n < MinComplaintText {
		// Keep the photo; its caption is too short to stand as the text.
		if len(t.s.Draft.Photos) < MaxPhotos {
			t.s.Draft.Photos = append(t.s.Draft.Photos, photo)
			t.moved()
		}
		t.reprompt(t.T("c.text.photo"))
		return
	}
	if n < MinComplaintText {
		t.reprompt(t.T("c.text.short", n, MinComplaintText))
		return
	}
	if n > MaxComplaintText {
		t.reprompt(t.T("c.text.long", n, MaxComplaintText))
		return
	}
	t.s.Draft.Text = text
	if photo != "" && len(t.s.Draft.Photos) < MaxPhotos {
		t.s.Draft.Photos = append(t.s.Draft.Photos, photo)
	}
	t.s.Step = StepCPhotos
	t.moved()
	t.replies = append(t.replies, t.promptReply())
}

func (t *turn) photosReply() Reply {
	n := len(t.s.Draft.Photos)
	label := t.T("c.photos.none")
	if n > 0 {
		label = t.T("c.photos.done", n)
	}
	return Reply{Text: t.T("c.photos", MaxPhotos), Buttons: [][]Button{{{Label: label, Data: t.nonced(vDone)}}, {{Label: t.T("c.cancel"), Data: t.nonced(vCancel)}}}}
}

func (t *turn) addPhoto(photo, caption string) {
	if !t.keepPhoto(photo, caption) {
		return
	}
	if len(t.s.Draft.Photos) == MaxPhotos {
		t.askContact()
		return
	}
	t.reprompt(t.T("c.photos.got", len(t.s.Draft.Photos)))
}

// keepPhoto adds a photo, and its caption to the description, to the
// complaint being written; false, the parent told, when it has its
// MaxPhotos already.
func (t *turn) keepPhoto(photo, caption string) bool {
	d := t.s.Draft
	if len(d.Photos) >= MaxPhotos {
		t.reprompt(t.T("c.photos.full", MaxPhotos))
		return false
	}
	d.Photos = append(d.Photos, photo)
	if c := strings.TrimSpace(caption); c != "" && utf8.RuneCountInString(d.Text)+utf8.RuneCountInString(c)+1 <= MaxComplaintText {
		d.Text += "\n" + c
	}
	t.moved()
	return true
}

func (t *turn) askContact() {
	t.s.Step = StepCContact
	t.moved()
	t.replies = append(t.replies, t.promptReply())
}

func (t *turn) contactReply() Reply {
	if t.in.Numbered {
		// No share-contact button on this channel: the number is typed.
		return Reply{Text: t.T("c.contact.numbered"), Buttons: [][]Button{{{Label: t.T("c.anonymous"), Data: t.nonced(vAnon)}}, {{Label: t.T("c.cancel"), Data: t.nonced(vCancel)}}}}
	}
	return Reply{Text: t.T("c.contact"), Buttons: [][]Button{{{Label: t.T("c.anonymous"), Data: t.nonced(vAnon)}}, {{Label: t.T("c.cancel"), Data: t.nonced(vCancel)}}}, AskContact: t.T("c.share.phone")}
}

var phoneRe = regexp.MustCompile(`^\+?[0-9]{9,15}$`)

// contact takes a shared phone number: only the parent's own.
func (t *turn) contact() {
	in := t.in
	if in.ContactUser != t.env.User {
		t.reprompt(t.T("c.contact.other"))
		return
	}
	phone, ok := phoneNumber(in.Phone)
	if !ok {
		t.reprompt(t.T("c.contact.bad"))
		return
	}
	t.s.Draft.Anonymous, t.s.Draft.Phone = false, phone
	t.confirmComplaint()
}

// phoneNumber reads a phone number, written with spaces, dots or dashes
// or not.
func phoneNumber(s string) (string, bool) {
	phone := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '.' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	return phone, phoneRe.MatchString(phone)
}

// confirmComplaint shows the draft for review. The note before it takes
// away the phone keyboard: a message cannot carry both kinds of keyboard.
func (t *turn) confirmComplaint() {
	d := t.s.Draft
	t.s.Step = StepCConfirm
	t.moved()
	note := t.T("c.got.anonymous")
	if !d.Anonymous {
		note = t.T("c.got.phone", d.Phone)
	}
	t.replies = append(t.replies, Reply{Text: note, HideKeyboard: true}, t.promptReply())
}

func (t *turn) complaintConfirmReply() Reply {
	d := t.s.Draft
	who := t.T("c.who.anonymous")
	if !d.Anonymous {
		who = t.T("c.who.phone", d.Phone)
	}
	text := t.T("c.confirm", t.e.categoryName(d.Category, t.lang()), t.draftSchool(), clip(d.Text, 1500), len(d.Photos), who)
	return Reply{Text: text, Buttons: [][]Button{
		{{Label: t.T("c.send"), Data: t.nonced(vSend)}},
		{{Label: t.T("c.edit"), Data: t.nonced(vRewrite)}, {Label: t.T("c.cancel"), Data: t.nonced(vCancel)}},
	}}
}

// filedToday counts the complaints the parent filed today.
func (t *turn) filedToday() int {
	y, m, d := t.in.Now.In(t.e.loc).Date()
	n := 0
	for _, c := range t.look.ComplaintsBy(t.env.Key) { // newest first
		if cy, cm, cd := c.Created.In(t.e.loc).Date(); cy != y || cm != m || cd != d {
			break
		}
		n++
	}
	return n
}

// fileComplaint creates the complaint, gives the parent its code and
// alerts the principal — and the office too when it is urgent. A
// complaint the parent files within BurstWindow of their previous one is
// part of a burst: its alert is one short message, so that one parent's
// series cannot bury the alerts of others.
func (t *turn) fileComplaint() {
	s, d, now := t.s, t.s.Draft, t.in.Now
	sc, ok := t.e.dir.School(s.School)
	cat, ok2 := t.e.category(d.Category)
	if !ok || !ok2 {
		t.stale()
		return
	}
	c := &Complaint{
		ID: t.look.NextComplaintID(), School: sc.Code, Office: sc.Office, Category: cat.ID, Text: d.Text,
		Photos: d.Photos, Anonymous: d.Anonymous, Phone: d.Phone, Lang: s.Lang,
		Reporter: Address{Channel: t.env.Channel, Chat: t.env.Chat}, ReporterKey: t.env.Key,
		Status: StatusNew, Created: now,
		AckDue: t.e.cal.AddWorkingDays(now, t.e.ackDays), ResolveDue: t.e.cal.AddWorkingDays(now, cat.Days),
	}
	// Folded only after one sent the same way (both anonymous, or with
	// the same phone): a short alert after one with a phone number must
	// not hint whose an anonymous complaint is.
	if mine := t.look.ComplaintsBy(t.env.Key); len(mine) > 0 && now.Sub(mine[0].Created) < BurstWindow &&
		mine[0].Anonymous == c.Anonymous && mine[0].Phone == c.Phone {
		c.Folded = true
	}
	c.log(now, "parent", "filed", "")
	t.save(c)
	s.reset()
	t.moved()
	// Promise only what the configuration delivers: the school's
	// principals receive it, else its office, else nobody yet.
	filed := t.about(sc.Code, "c.filed.nobody", c.Code(), sc.Name)
	if who, ok := t.e.receiver(sc, t.look.Principals(sc.Code)); ok {
		filed = t.T("c.filed", c.Code(), who, t.e.deadline(c.AckDue, t.lang()), t.e.deadline(c.ResolveDue, t.lang()))
	}
	t.send(t.keptMenu(filed))
	if !c.Folded {
		t.alert(c, T("c.alert.new"))
		return
	}
	t.Out = append(t.Out, t.e.alertFolded(t.e.staffAddresses(c, cat.Urgent, t.look), c, now)...)
}

// leaveComplaint takes Huỷ while writing a complaint or an addition.
func (t *turn) leaveComplaint() {
	// Only the contact step shows the phone keyboard to take away.
	hide := t.s.Step == StepCContact
	t.s.reset()
	t.moved()
	t.send(Reply{Text: t.T("c.cancelled"), HideKeyboard: hide})
	t.replies = append(t.replies, t.menuReply())
}

func (t *turn) categoryPicked(p press) bool {
	if _, ok := t.e.category(p.arg(0)); !ok {
		return false
	}
	t.s.Draft.Category = p.arg(0)
	t.complaintSchool()
	return true
}

// otherSchool lets the parent pick another school than theirs.
func (t *turn) otherSchool() { t.askLevel(StepCText) }

func (t *turn) anonymous() {
	t.s.Draft.Anonymous, t.s.Draft.Phone = true, ""
	t.confirmComplaint()
}

// rewrite starts the description again, photos too.
func (t *turn) rewrite() {
	t.s.Draft.Text, t.s.Draft.Photos = "", nil
	t.s.Step = StepCText
	t.moved()
	t.send(t.promptReply())
}

// phoneTyped takes a phone number typed at the contact step on a channel
// that cannot share a contact (a phone number is never an option's number:
// it has 9 digits or more).
func (t *turn) phoneTyped(press) bool {
	phone, ok := phoneNumber(t.in.Text)
	if !ok || !t.in.Numbered {
		return false
	}
	t.s.Draft.Anonymous, t.s.Draft.Phone = false, phone
	t.confirmComplaint()
	return true
}

// descriptionTyped takes the description or an addition. Options go by
// their words here, never by number ("1" is a (too short) description,
// not option 1).
func (t *turn) descriptionTyped(press) bool {
	if t.choose(flat(t.promptReply().Buttons), false, (*turn).press) {
		return true
	}
	if t.s.Step == StepCAdd {
		t.addInfo(t.in.Text, "")
	} else {
		t.complaintText(t.in.Text, "")
	}
	return true
}

// photoDescribed takes a photo sent for the description: its caption is
// the description.
func (t *turn) photoDescribed() { t.complaintText(t.in.Text, t.in.Photo) }

func (t *turn) photoAdded() { t.addPhoto(t.in.Photo, t.in.Text) }

// photoLate takes a photo sent past the photos' step (at the contact step,
// at the review): kept while the complaint has room, the step shown again.
func (t *turn) photoLate(press) bool {
	if t.keepPhoto(t.in.Photo, t.in.Text) {
		t.reprompt(t.T("c.photos.got", len(t.s.Draft.Photos)))
	}
	return true
}

// photoHeard takes a photo whose caption is a sentence, where no photo is
// asked for: heard as the caption typed alone would be, the photo with it.
func (t *turn) photoHeard(press) bool {
	if !meant(t.in.Text) {
		return false
	}
	t.heard(t.in.Text, t.in.Photo)
	return true
}
