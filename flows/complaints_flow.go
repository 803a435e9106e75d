package flows

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
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

// startComplaint begins a complaint: the category first. text is what the
// parent already typed (see offerComplaint), or "". A parent who has filed
// as many as a day allows is told so kindly, before writing one in vain.
func (t *turn) startComplaint(text string) {
	if t.filedToday() >= t.e.perDay {
		// Told where they are: a survey or an offered sentence in hand
		// stays as it was.
		t.reprompt(t.T("c.limit", t.e.perDay))
		return
	}
	t.s.reset()
	t.s.Step, t.s.Draft = StepCategory, &Draft{Text: text}
	t.moved()
	t.send(t.promptReply())
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
// description; later in a complaint, it is added to the description.
func (t *turn) heard(text string) {
	s := t.s
	text = strings.TrimSpace(text)
	switch s.Step {
	case StepCategory, StepCPhotos, StepCContact, StepCConfirm:
		d := s.Draft
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
		t.offerComplaint(text)
	}
}

// offerComplaint offers a typed text that answers nothing as a complaint,
// carried into the intake so that it is not typed twice; the current step
// is shown again below the offer.
func (t *turn) offerComplaint(text string) {
	s := t.s
	if s.Draft != nil && s.Draft.Category != "" {
		// A complaint being written (its school still to pick): the
		// sentence is its description, not a new complaint's.
		s.Draft.Text = text
		t.reprompt(t.T("c.text.kept", clip(text, 300)))
		return
	}
	s.Draft = &Draft{Text: text}
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

// complaintAct applies a complaint step's button; false if it does not
// belong to the current step.
func (t *turn) complaintAct(verb, arg string) bool {
	s := t.s
	switch {
	case verb == vCancel && (s.Step == StepCategory || s.Step == StepCText || s.Step == StepCPhotos || s.Step == StepCContact || s.Step == StepCConfirm || s.Step == StepCAdd):
		// Only the contact step shows the phone keyboard to take away.
		hide := s.Step == StepCContact
		s.reset()
		t.moved()
		t.send(Reply{Text: t.T("c.cancelled"), HideKeyboard: hide})
		t.replies = append(t.replies, t.menuReply())
	case verb == vCategory && s.Step == StepCategory:
		if _, ok := t.e.category(arg); !ok {
			return false
		}
		s.Draft.Category = arg
		t.complaintSchool()
	case verb == vOther && s.Step == StepCText:
		t.askLevel(StepCText)
	case verb == vDone && s.Step == StepCPhotos:
		t.askContact()
	case verb == vAnon && s.Step == StepCContact:
		s.Draft.Anonymous, s.Draft.Phone = true, ""
		t.confirmComplaint()
	case verb == vSend && s.Step == StepCConfirm:
		t.fileComplaint()
	case verb == vRewrite && s.Step == StepCConfirm:
		s.Draft.Text, s.Draft.Photos = "", nil
		s.Step = StepCText
		t.moved()
		t.send(t.promptReply())
	default:
		return false
	}
	return true
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
	d := t.s.Draft
	if len(d.Photos) >= MaxPhotos {
		t.reprompt(t.T("c.photos.full", MaxPhotos))
		return
	}
	d.Photos = append(d.Photos, photo)
	if c := strings.TrimSpace(caption); c != "" && utf8.RuneCountInString(d.Text)+utf8.RuneCountInString(c)+1 <= MaxComplaintText {
		d.Text += "\n" + c
	}
	t.moved()
	if len(d.Photos) == MaxPhotos {
		t.askContact()
		return
	}
	t.reprompt(t.T("c.photos.got", len(d.Photos)))
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
	t.out = append(t.out, t.e.alertFolded(t.e.staffAddresses(c, cat.Urgent, t.look), c, now)...)
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
			Reply: Reply{Text: text, Buttons: append([][]Button{view}, actions(c)...), Detached: T("hint.complaint", c.Code())}})
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

// save records a new or changed complaint to store.
func (t *turn) save(c *Complaint) {
	for i, x := range t.complaints {
		if x.ID == c.ID {
			t.complaints[i] = c
			return
		}
	}
	t.complaints = append(t.complaints, c)
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

// actions are the buttons staff act with, for the complaint's status.
func actions(c *Complaint) [][]Button {
	if !c.Status.Open() {
		return nil
	}
	var first []Button
	if c.Status == StatusNew {
		first = append(first, Button{Label: T("k.ack"), Data: staffData(staffAck, c.ID)})
	}
	first = append(first, Button{Label: T("k.reply"), Data: staffData(staffReply, c.ID)})
	return [][]Button{first,
		{{Label: T("k.done"), Data: staffData(staffDone, c.ID)}},
		{{Label: T("k.refer"), Data: staffData(staffRefer, c.ID)}, {Label: T("k.dup"), Data: staffData(staffDup, c.ID)}},
	}
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

// alert sends the complaint's card with its buttons and photos to its
// principals, and to the office when urgent.
func (t *turn) alert(c *Complaint, headline string) {
	cat, _ := t.e.category(c.Category)
	t.out = append(t.out, t.e.alertTo(t.e.staffAddresses(c, cat != nil && cat.Urgent, t.look), c, headline, t.in.Now)...)
}

func (e *Engine) alertTo(to []Address, c *Complaint, headline string, now time.Time) []Outgoing {
	var out []Outgoing
	for _, a := range dedupe(to) {
		out = append(out, Outgoing{Kind: OutMessage, Channel: a.Channel, Chat: a.Chat, Priority: PriorityAlert, Created: now,
			Reply: Reply{Text: e.card(c, headline), Buttons: actions(c), Detached: T("hint.complaint", c.Code())}})
		for i, p := range c.Photos {
			out = append(out, Outgoing{Kind: OutMessage, Channel: a.Channel, Chat: a.Chat, Priority: PriorityAlert, Created: now,
				Reply: Reply{Photo: p, Text: T("c.photo.caption", c.Code(), i+1, len(c.Photos))}})
		}
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
	t.out = append(t.out, Outgoing{Kind: OutMessage, Channel: c.Reporter.Channel, Chat: c.Reporter.Chat, Reply: r,
		Priority: PriorityAlert, Created: t.in.Now})
}

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

func (t *turn) addInfo(text string) {
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
	if n := utf8.RuneCountInString(text); n == 0 || n > MaxComplaintText {
		t.reprompt(t.T("c.text.long", n, MaxComplaintText))
		return
	} else if left := MaxAddedChars - c.addedChars(); n > left {
		t.reprompt(t.T("c.add.long", c.Code(), left, n))
		return
	}
	c = c.clone()
	c.Added = append(c.Added, Event{At: t.in.Now, Actor: "parent", Action: "info", Note: text})
	c.log(t.in.Now, "parent", "info", "")
	t.save(c)
	t.s.reset()
	t.moved()
	t.send(t.keptMenu(t.T("c.add.sent", c.Code())))
	for _, a := range dedupe(t.e.staffAddresses(c, false, t.look)) {
		t.out = append(t.out, Outgoing{Kind: OutMessage, Channel: a.Channel, Chat: a.Chat, Priority: PriorityAlert, Created: t.in.Now,
			Reply: Reply{Text: T("c.add.staff", c.Code(), clip(text, 3000)), Buttons: actions(c), Detached: T("hint.complaint", c.Code())}})
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
func (t *turn) followup(idStr, answer string) {
	c, ok := t.ownComplaint(idStr)
	if !ok || c.Status != StatusResolved || (answer != followupYes && answer != followupNo && answer != followupDK) {
		t.notice = t.T("stale.notice")
		t.prompt()
		return
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
		return
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
	t.out = append(t.out, t.e.alertTo(append(units, t.e.staffAddresses(c, false, t.look)...), c, T("c.alert.reopened"), now)...)
}

// formal explains that a formal khiếu nại or tố cáo has its own channel.
func (t *turn) formal() {
	t.send(Reply{Text: t.T("c.formal"), Buttons: [][]Button{{{Label: t.T("menu.complaint"), Data: menuData(menuComplaint)}}, {{Label: t.T("menu.back"), Data: menuData(menuMain)}}}})
}

// staff handles a principal or office staff member; schools is what they
// may act on.
func (t *turn) staff(schools []string) {
	in := t.in
	if t.s == nil {
		t.s = &Session{}
	}
	if t.s.Step != StepMenu && t.e.expiry > 0 && in.Now.Sub(t.s.Updated) > t.e.expiry {
		// A reply or announcement started days ago must not take
		// whatever is typed now.
		t.s.Step, t.s.Target, t.s.Announce = StepMenu, 0, nil
	}
	announcing := t.s.Step == StepStaffAnnounce || t.s.Step == StepStaffAnnConfirm
	t.s.Staff = true
	t.changed = true
	if in.Numbered {
		if !t.staffNumbered() {
			return
		}
		in = t.in
	}
	k, staffPress := readPlain(in.Data, vStaff)
	_, annPress := readNonced(in.Data, vAnnounce)
	rv, revokePress := readPlain(in.Data, vRevoke)
	l, listPress := readPlain(in.Data, vList)
	listPress = listPress && l.arg(0) == listArg
	switch {
	case t.env.Web && in.Kind == KindButton && in.Text != "" && staffPress && (k.arg(0) == staffReply || k.arg(0) == staffRefer):
		// A reply or referral written on the dashboard: the press and the
		// text it asks for, in one.
		t.staffAction(schools, k.arg(0), k.arg(1))
		if t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer {
			t.staffText(schools, in.Text)
		}
	case in.Kind == KindButton && staffPress:
		t.staffAction(schools, k.arg(0), k.arg(1))
	case in.Kind == KindCommand && in.Command == "web":
		t.webLink()
	case in.Kind == KindText && !in.Group && (t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer) && isCancel(in.Text):
		t.s.Step, t.s.Target = StepMenu, 0
		t.say(T("cancelled.staff"))
		t.staffList(schools)
	case in.Kind == KindText && !in.Group && (t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer) && strayText(in.Text):
		// A complaint's code or an option's number — what an alert says to
		// type — is no reply to the parent: nothing is sent.
		code := ComplaintCode(t.s.Target)
		if id, ok := ParseComplaintCode(in.Text); ok {
			t.s.Step, t.s.Target = StepMenu, 0
			t.say(T("staff.reply.dropped", code))
			t.staffAction(schools, staffView, id10(id))
			return
		}
		t.say(T("staff.typing", code))
	case in.Kind == KindText && !in.Group && (t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer):
		t.staffText(schools, in.Text)
	case in.Kind == KindCommand && (in.Command == "thongbao" || in.Command == "announce"):
		t.announceStart(schools)
	case in.Kind == KindButton && annPress:
		t.announceAct(schools, in.Data)
	case !in.Group && announcing && in.Kind == KindText && isCancel(in.Text):
		t.s.Step, t.s.Announce = StepMenu, nil
		t.say(T("cancelled.staff"))
		t.staffList(schools)
	case !in.Group && t.s.Step == StepStaffAnnounce && in.Kind == KindText && isLabel(in.Text, T("ann.template")):
		t.announceAct(schools, t.nonced(annAct(annSurvey)))
	case !in.Group && t.s.Step == StepStaffAnnounce && (in.Kind == KindText || in.Kind == KindPhoto):
		t.announceText(in.Text, in.Photo)
	case !in.Group && announcing && (in.Kind == KindText || in.Kind == KindPhoto):
		// Typed over a preview: the new text replaces the old.
		t.s.Step = StepStaffAnnounce
		t.announceText(in.Text, in.Photo)
	case in.Kind == KindButton && listPress, in.Kind == KindCommand && (in.Command == "danhsach" || in.Command == "start" || in.Command == "menu"):
		t.s.Step, t.s.Target, t.s.Announce = StepMenu, 0, nil
		t.staffList(schools)
	case in.Kind == KindCommand && (in.Command == "baocao" || in.Command == "xuat"):
		t.reportRequest(schools, in.Command == "xuat")
	case in.Kind == KindCommand && (in.Command == "gopy" || in.Command == "comments"):
		t.commentsCommand(schools)
	case in.Kind == KindButton && commentsPress(in.Data):
		t.commentsButton(schools, in.Data)
	case in.Kind == KindCommand && in.Command == "invite":
		t.invite()
	case in.Kind == KindCommand && in.Command == "hieutruong":
		t.principals()
	case in.Kind == KindCommand && in.Command == "nhatky":
		t.auditTrail()
	case in.Kind == KindButton && revokePress:
		t.revoke(rv.arg(0))
	case in.Kind == KindCommand && (in.Command == "cancel" || in.Command == "huy"):
		t.s.Step, t.s.Target, t.s.Announce = StepMenu, 0, nil
		t.say(T("cancelled.staff"))
		t.staffList(schools)
	default:
		if t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer {
			t.say(T("staff.typing", ComplaintCode(t.s.Target)))
			return
		}
		if announcing {
			t.say(T("ann.typing"))
			return
		}
		t.say(T("staff.help"))
		t.staffList(schools)
	}
}

// staffNumbered turns what staff type on a channel without buttons into
// the press it stands for: a number picks from the options of the last
// message with options they were sent (kept in their session), a complaint
// code opens its card. It reports whether to go on handling the input.
func (t *turn) staffNumbered() bool {
	in := t.in
	if in.Kind != KindText || t.s.Step == StepStaffReply || t.s.Step == StepStaffRefer || t.s.Step == StepStaffAnnounce {
		return true
	}
	text := strings.TrimSpace(in.Text)
	if id, ok := ParseComplaintCode(text); ok {
		t.in.Kind, t.in.Data = KindButton, staffData(staffView, id)
		return true
	}
	data, number := t.numberedOption()
	switch {
	case !number:
		return true
	case len(t.s.Options) == 0:
		t.say(T("staff.numbered.none"))
		return false
	case data == "":
		t.say(T("staff.numbered", len(t.s.Options)))
		return false
	}
	t.in.Kind, t.in.Data = KindButton, data
	return true
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

// isCancel reports whether a typed text is the cancel option ("Huỷ",
// "huy"): where staff type a reply, only the whole word cancels.
func isCancel(text string) bool { return isLabel(text, T("c.cancel")) }

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

func (e *Engine) when(t time.Time) string { return t.In(e.loc).Format("15:04 02/01/2006") }

// deadline is a due time as a reader of l reads it: one at midnight is
// the end of the day before, any other a time and a day.
func (e *Engine) deadline(t time.Time, l Lang) string {
	t = t.In(e.loc)
	if t.Hour() == 0 && t.Minute() == 0 {
		return tr(l, "c.end.of.day", e.day(t.Add(-time.Minute)))
	}
	return e.when(t)
}
func (e *Engine) day(t time.Time) string { return t.In(e.loc).Format("02/01/2006") }

// reportRequest queues a report for staff: "/baocao" for the current wave
// so far, "/baocao 01/09/2026 15/01/2027" for any days (end inclusive);
// "/xuat" the same as a workbook. A unit's id or a school's code first
// ("/baocao sadec", "/baocao TH-01 01/09/2026 15/01/2027") narrows it to
// that part of the sender's scope.
func (t *turn) reportRequest(schools []string, export bool) {
	now := t.in.Now.In(t.e.loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, t.e.loc)
	from, to := time.Time{}, today.AddDate(0, 0, 1)
	args := strings.Fields(t.in.Arg)
	scope, office := t.scopeName(schools), t.scopeOffice()
	if len(args) == 1 || len(args) == 3 {
		var ok bool
		if schools, scope, office, ok = t.narrow(schools, args[0]); !ok {
			t.say(T("report.usage"))
			return
		}
		args = args[1:]
	}
	switch len(args) {
	case 0:
		if w, ok := t.e.dir.WaveAt(now); ok {
			from = w.Start
		} else {
			from = today.AddDate(0, 0, -7)
		}
	case 2:
		a, err1 := parseDay(args[0], t.e.loc)
		b, err2 := parseDay(args[1], t.e.loc)
		if err1 != nil || err2 != nil || b.Before(a) {
			t.say(T("report.usage"))
			return
		}
		from, to = a, b.AddDate(0, 0, 1)
	default:
		t.say(T("report.usage"))
		return
	}
	t.audit(map[bool]string{false: "report", true: "export"}[export], scope)
	t.say(T("report.building", scope, from.Format("02/01/2006"), to.AddDate(0, 0, -1).Format("02/01/2006")))
	t.out = append(t.out, Outgoing{Kind: OutReport, Channel: t.env.Channel, Chat: t.env.Chat, Priority: PriorityInteractive,
		Created: t.in.Now, Report: &ReportRequest{Scope: scope, Schools: schools, Office: office, From: from, To: to, Export: export}})
}

// narrow is the part of schools that arg names: a unit whose subtree is
// within them, or a school among them.
func (t *turn) narrow(schools []string, arg string) (in []string, scope, office string, ok bool) {
	if sc, found := t.e.dir.School(arg); found && slices.Contains(schools, sc.Code) {
		return []string{sc.Code}, sc.Name, "", true
	}
	o, found := t.e.dir.Office(arg)
	if !found {
		return nil, "", "", false
	}
	for _, sc := range t.e.dir.Under(o.ID) {
		if !slices.Contains(schools, sc.Code) {
			return nil, "", "", false // a unit above the sender's, or beside it
		}
		in = append(in, sc.Code)
	}
	return in, o.Name, o.ID, len(in) > 0
}

// scopeOffice is the unit whose subtree the sender's reports cover: their
// group's unit, the unit they are staff of, for an admin the top unit; ""
// for a principal.
func (t *turn) scopeOffice() string { return t.e.ScopeUnit(t.who) }

func parseDay(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"02/01/2006", "2/1/2006", time.DateOnly} {
		if d, err := time.ParseInLocation(layout, s, loc); err == nil {
			return d, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}

// scopeName names what a staff member's reports cover: their office, or
// their school.
func (t *turn) scopeName(schools []string) string {
	if t.in.Group {
		if o, ok := t.e.dir.OfficeByChat(t.env.Channel, t.env.Chat); ok {
			return o.Name
		}
	}
	if t.who.Role == RoleAdmin {
		return T("report.all")
	}
	if len(t.who.Offices) > 0 {
		if o, ok := t.e.dir.Office(t.who.Offices[0]); ok {
			return o.Name
		}
	}
	if len(schools) == 1 {
		if sc, ok := t.e.dir.School(schools[0]); ok {
			return sc.Name
		}
	}
	return strings.Join(schools, ", ")
}
