package flows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Engine runs the parents' conversations. Its configuration is fixed at
// New; only the bot's username comes later (SetBotUsername, atomic). It is
// safe for concurrent use.
type Engine struct {
	q              *Questionnaire
	byLevel        map[Level][]*Question // q.For of each level in dir, worked out once
	dir            *Directory
	caps           map[Level]int
	gradeCaps      map[string]int
	expiry         time.Duration
	retention      int
	loc            *time.Location
	consentVersion string
	owner          string
	categories     []Category
	cal            Calendar
	ackDays        int
	perDay         int // complaints a parent may file a day
	minResp        int // respondents a school needs in a wave before its comments are shown
	escalateAfter  int // working days overdue at one unit before the next one up
	urgentAll      bool
	info           map[Lang]Info
	botUsername    atomic.Value // string; known only once the channel has asked
	webURL         string
}

// SetBotUsername tells the engine the bot's username, for invite links.
func (e *Engine) SetBotUsername(name string) { e.botUsername.Store(name) }

// BotUsername is the bot's username, or "" before it is known.
func (e *Engine) BotUsername() string {
	s, _ := e.botUsername.Load().(string)
	return s
}

// DefaultEscalateAfter is the working days a complaint stays overdue at
// one unit before it goes to the unit above.
const DefaultEscalateAfter = 5

// Settings configure an Engine.
type Settings struct {
	Questionnaire *Questionnaire
	Directory     *Directory
	ClassSizeCaps map[Level]int
	// GradeCaps are class-size caps by grade where they differ within a
	// level: a preschool's age groups ("nt", "mam", "choi", "la"). An
	// answer to a GoodCap question is judged by its grade's cap, else by
	// its level's.
	GradeCaps       map[string]int
	SessionExpiry   time.Duration // an unfinished survey idle this long starts over
	RetentionMonths int           // told to parents in the consent notice
	Location        *time.Location
	// Owner names who runs the survey in the consent notice, e.g. "Phòng
	// GDĐT Sa Đéc"; empty means the first office.
	Owner string
	// Categories of complaints; nil means DefaultCategories.
	Categories []Category
	// Holidays are the public holidays ("2027-02-17") that deadlines skip
	// besides weekends.
	Holidays []string
	// AckDays is the working days a school has to acknowledge a complaint;
	// 0 means 1.
	AckDays int
	// EscalateAfter is the working days a complaint escalated to the unit
	// that runs its school may stay overdue before it goes to the unit
	// above, and so on up the tree; 0 means DefaultEscalateAfter.
	EscalateAfter int
	// UrgentAllLevels sends an urgent category's complaint to every unit
	// above its school at once, not only to the school's own.
	UrgentAllLevels bool
	// PerParentDaily is how many complaints a parent may file in a day (in
	// Location); 0 means DefaultPerParentDaily.
	PerParentDaily int
	// MinRespondents is how many respondents a school needs in a wave
	// before anything of theirs is shown (survey.min_respondents); 0
	// means DefaultMinRespondents.
	MinRespondents int
	// Info is the information menu's content; empty parts take
	// DefaultInfo's.
	Info Info
	// InfoTr is the information menu in other languages; what it leaves
	// empty is shown as configured in Info, or else as the language's
	// default.
	InfoTr map[Lang]Info
	// WebURL is the staff dashboard's public address (web.url), for the
	// sign-in links of /web; empty: the dashboard is not served.
	WebURL string
}

// ConsentVersion identifies the wording of the consent notice; a parent's
// consent records the version they saw.
const ConsentVersion = "2026-12-v1"

// New validates the settings and returns an engine.
func New(s Settings) (*Engine, error) {
	if s.Questionnaire == nil || s.Directory == nil {
		return nil, errors.New("flows: questionnaire and directory are required")
	}
	if err := s.Questionnaire.Validate(); err != nil {
		return nil, err
	}
	if err := s.Directory.Validate(); err != nil {
		return nil, err
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	owner := s.Owner // empty: the top unit's name, in the reader's language (ownerIn)
	cats := s.Categories
	if cats == nil {
		cats = DefaultCategories()
	}
	if err := validCategories(cats); err != nil {
		return nil, err
	}
	cal := Calendar{Location: loc, Holidays: map[string]bool{}}
	for _, h := range s.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return nil, fmt.Errorf("holidays: %q is not a date like 2027-02-17", h)
		}
		cal.Holidays[h] = true
	}
	ack := s.AckDays
	if ack <= 0 {
		ack = 1
	}
	perDay := s.PerParentDaily
	if perDay <= 0 {
		perDay = DefaultPerParentDaily
	}
	minResp := s.MinRespondents
	if minResp <= 0 {
		minResp = DefaultMinRespondents
	}
	up := s.EscalateAfter
	if up <= 0 {
		up = DefaultEscalateAfter
	}
	byLevel := map[Level][]*Question{}
	for _, sc := range s.Directory.Schools {
		if _, ok := byLevel[sc.Level]; !ok {
			byLevel[sc.Level] = s.Questionnaire.For(sc.Level)
		}
	}
	return &Engine{
		q: s.Questionnaire, byLevel: byLevel, dir: s.Directory, caps: s.ClassSizeCaps, gradeCaps: s.GradeCaps, expiry: s.SessionExpiry,
		retention: s.RetentionMonths, loc: loc, consentVersion: ConsentVersion, owner: owner,
		categories: cats, cal: cal, ackDays: ack, perDay: perDay, minResp: minResp, escalateAfter: up, urgentAll: s.UrgentAllLevels, info: infos(s.Info, s.InfoTr),
		webURL: strings.TrimSpace(s.WebURL),
	}, nil
}

func validCategories(cats []Category) error {
	if len(cats) == 0 {
		return errors.New("complaints.categories: at least one category is needed")
	}
	seen := map[string]bool{}
	var errs []error
	for i, c := range cats {
		switch {
		case !valueRe.MatchString(c.ID):
			errs = append(errs, fmt.Errorf("complaints.categories[%d].id %q: want 1-16 of a-z, 0-9, _", i, c.ID))
		case seen[c.ID]:
			errs = append(errs, fmt.Errorf("complaints.categories[%d].id %q is used twice", i, c.ID))
		}
		seen[c.ID] = true
		if n := utf8.RuneCountInString(c.Name); n == 0 || n > 60 {
			errs = append(errs, fmt.Errorf("complaints.categories[%d] (%s).name must be 1-60 characters", i, c.ID))
		}
		for l, name := range c.Tr {
			if n := utf8.RuneCountInString(name); n > 60 {
				errs = append(errs, fmt.Errorf("complaints.categories[%d] (%s).%s must be at most 60 characters", i, c.ID, l))
			}
		}
		if c.Days < 1 || c.Days > 90 {
			errs = append(errs, fmt.Errorf("complaints.categories[%d] (%s).days %d: want 1-90 working days", i, c.ID, c.Days))
		}
	}
	return errors.Join(errs...)
}

// Questionnaire returns the engine's questionnaire.
func (e *Engine) Questionnaire() *Questionnaire { return e.q }

// Directory returns the engine's offices, schools and waves.
func (e *Engine) Directory() *Directory { return e.dir }

// Location is the time zone dates are shown and days counted in.
func (e *Engine) Location() *time.Location { return e.loc }

// Cap returns the class-size cap for level l (0 when none is set).
func (e *Engine) Cap(l Level) int { return e.caps[l] }

// Categories returns the complaint categories.
func (e *Engine) Categories() []Category { return e.categories }

// Result is what handling one input produced.
type Result struct {
	// Session is the state to store; nil with Changed means delete it.
	Session *Session
	// Changed is false when the stored session must stay as it is.
	Changed bool
	// Response is a submitted survey, to store replacing any earlier one
	// of the same respondent, wave and school.
	Response *Response
	// Complaints are new or changed complaints to store.
	Complaints []*Complaint
	Out        []Outgoing

	// Invites are new or used invites to store; Bind binds a principal,
	// Unbind revokes one ("channel:user"); Audit records staff actions.
	Invites []Invite
	Bind    *Principal
	Unbind  string
	Audit   []AuditEntry
	// Erase deletes everything stored under the sender's key (responses,
	// with the aggregates adjusted; the session; their identity in their
	// complaints). OptOut, when set, records or lifts the sender's /stop.
	Erase  bool
	OptOut *bool
	// GroupTold records that the group chat of the input was told the bot
	// works in private chats.
	GroupTold bool
	// Announce is an announcement to send to the parents of its schools.
	Announce *Announcement
	// Pre is what a user chose before consenting, to keep under their key
	// until they answer (channels without buttons cannot carry it in the
	// prompt's buttons); the zero value deletes it.
	Pre *PreConsent
	// WebLinks are sign-in links to the dashboard to store (their hashes).
	WebLinks []WebLink
}

// Handle runs one input of one user through the conversation. s is the
// stored session, nil when there is none; it is not modified. look reads
// other stored records in the same transaction.
func (e *Engine) Handle(s *Session, env Envelope, look Lookup) Result {
	if look == nil {
		look = &NoRecords{}
	}
	t := &turn{e: e, in: env.Input, env: env, look: look}
	t.who = e.actor(env, look)
	if s != nil {
		t.s = s.clone()
	}
	t.run()
	if t.offered != "" && t.s != nil && t.s.Draft == nil && t.s.Nonce == s.Nonce {
		// Nothing moved (a /help, an old button): the offer still stands.
		t.s.Draft = &Draft{Text: t.offered}
	}
	if s != nil && s.Step == StepCContact && (t.s == nil || t.s.Step != StepCContact) {
		t.hideKeyboard()
	}
	if env.Input.Numbered {
		t.rememberOptions()
	}
	res := Result{Session: t.s, Changed: t.changed, Response: t.resp, Complaints: t.complaints,
		Invites: t.invites, Bind: t.bind, Unbind: t.unbind, Audit: t.auditLog, Erase: t.erase, OptOut: t.optOut,
		GroupTold: t.groupTold, Announce: t.announce, Pre: t.preSave, WebLinks: t.webLinks}
	if env.Web {
		// The dashboard shows the outcome on its page: nothing goes to the
		// staff member's chat, and their chat's step stays as it was.
		res.Session, res.Changed = s, false
		res.Out = append(res.Out, t.out...)
		return res
	}
	if res.Changed && res.Session != nil {
		res.Session.Updated = env.Input.Now
	}
	if env.CallbackID != "" {
		prio := PriorityAck
		if env.Input.Kind == KindIgnored {
			// A flooding user's presses: acknowledged, but after everyone
			// else's messages, so that they cost others nothing.
			prio = PriorityBroadcast
		}
		res.Out = append(res.Out, Outgoing{Kind: OutAck, Channel: env.Channel, Chat: env.Chat,
			CallbackID: env.CallbackID, Reply: Reply{Text: t.notice}, Priority: prio, Created: env.Input.Now})
	}
	edited := false
	for _, r := range t.replies {
		o := Outgoing{Kind: OutMessage, Channel: env.Channel, Chat: env.Chat, Reply: r,
			Priority: PriorityInteractive, Created: env.Input.Now}
		if r.Edit && !edited && env.MessageRef != "" {
			o.EditRef = env.MessageRef
			edited = true
		}
		o.Reply.Edit = o.EditRef != ""
		if l := t.lang(); l != Vietnamese {
			o.Reply.Lang = l
		}
		res.Out = append(res.Out, o)
	}
	res.Out = append(res.Out, t.out...)
	return res
}

// Fallback is what a user is sent when handling their input failed.
func Fallback(env Envelope) []Outgoing {
	var out []Outgoing
	if env.CallbackID != "" {
		out = append(out, Outgoing{Kind: OutAck, Channel: env.Channel, Chat: env.Chat, CallbackID: env.CallbackID,
			Priority: PriorityAck, Created: env.Input.Now})
	}
	if env.Input.Group {
		return out
	}
	return append(out, Outgoing{Kind: OutMessage, Channel: env.Channel, Chat: env.Chat,
		Reply: Reply{Text: ErrorText()}, Priority: PriorityInteractive, Created: env.Input.Now})
}

// turn is the work of handling one input.
type turn struct {
	e    *Engine
	in   Input
	env  Envelope
	look Lookup
	// complaints are the complaints this input created or changed; out
	// are messages to others than the sender (principals, the office,
	// the parent of a complaint).
	complaints []*Complaint
	out        []Outgoing
	who        Actor
	invites    []Invite
	bind       *Principal
	unbind     string
	auditLog   []AuditEntry
	erase      bool
	optOut     *bool
	groupTold  bool
	s          *Session
	changed    bool
	replies    []Reply
	notice     string
	resp       *Response
	// pre is the language of a user who has not consented yet: it lives
	// only in the buttons of the consent prompt, since nothing is stored.
	pre     Lang
	preSave *PreConsent // what to keep before consent (see Result.Pre)
	// offered is the text the parent typed that was offered to them as a
	// complaint on their previous input (see offerComplaint).
	offered    string
	offerNonce uint32 // the nonce the offer was made under
	announce   *Announcement
	webLinks   []WebLink
}

func (t *turn) say(text string) { t.replies = append(t.replies, Reply{Text: text}) }

// deny refuses an action: as the button's notice too when it was a press.
func (t *turn) deny(key msg) {
	if t.in.Kind == KindButton {
		t.notice = t.T(key)
	}
	t.say(t.T(key))
}

func (t *turn) send(r Reply) {
	// A reply to a button press replaces the message the button was on
	// (not an announcement's, nor a confirmation's: they stay to be read
	// again; "n:s" is the survey button of announcements of before).
	if t.in.Kind == KindButton && len(t.replies) == 0 && t.in.Data != oldAnnounceData() && !kept(t.in.Data) {
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

func (t *turn) run() {
	in := t.in
	if in.Kind == KindFlood {
		t.say(t.T("flood"))
		return
	}
	if in.Kind == KindIgnored {
		return // the press is acknowledged (Handle does), nothing more
	}
	if in.Kind == KindInline {
		// No chat to write to: the acknowledgement's notice is the answer.
		t.notice = t.T("inline.notice")
		return
	}
	if in.Kind == KindCommand && in.Command == "id" {
		// What an operator puts in the configuration for this user or
		// group chat; nothing is stored.
		if in.Group {
			t.say(T("id.group", t.env.Channel+":"+t.env.Chat))
		} else {
			t.say(t.T("id", t.env.Channel+":"+t.env.User))
		}
		return
	}
	if in.Group {
		if t.who.Role == RoleOffice {
			t.staff(t.who.Schools)
			return
		}
		// Another group: told once that the bot works in private chats,
		// then left alone.
		if in.Kind == KindCommand && !t.look.GroupTold(t.env.Channel+":"+t.env.Chat) {
			t.say(t.T("group.private"))
			t.groupTold = true
		}
		return
	}
	if in.Kind == KindCommand && in.Command == "start" && strings.HasPrefix(in.Arg, "inv_") {
		t.redeem(strings.TrimPrefix(in.Arg, "inv_"))
		return
	}
	if t.who.Role > RoleParent {
		t.staff(t.who.Schools)
		return
	}
	if p, ok := readData(in.Data); in.Kind == KindButton && ok && p.staffOnly() {
		// A staff button pressed by someone who is not (or no longer) staff.
		t.deny("staff.denied")
		return
	}
	// "dừng" stops; folding would also stop "Đúng" (yes), so the
	// diacritics must be there.
	if in.Kind == KindCommand && (in.Command == "stop" || in.Command == "dung") || in.Kind == KindText && isStop(in.Text) {
		t.stop()
		return
	}
	if t.s != nil && t.s.OptOut {
		if in.Kind == KindCommand && in.Command == "start" {
			t.resume()
		} else {
			t.say(t.T("optout.note"))
			return
		}
	} else if in.Kind == KindCommand && in.Command == "start" {
		// A /start lifts any stop recorded for the chat, even one made
		// before the parent consented or after their session was purged.
		no := false
		t.optOut = &no
	}
	if t.s == nil || t.s.Consent == nil {
		t.beforeConsent()
		return
	}
	t.changed = true // the session's Updated time moves with every input
	if t.s.offered() {
		// A text offered as a complaint stands until the conversation
		// moves: the offer's button (or its number) takes it; an answer,
		// a menu, anything that moves on lets it go (Handle puts it back
		// when nothing moved).
		t.offered, t.offerNonce, t.s.Draft = t.s.Draft.Text, t.s.Nonce, nil
	}
	if (t.s.Step != StepMenu || t.s.paused()) && t.e.expiry > 0 && in.Now.Sub(t.s.Updated) > t.e.expiry {
		key := msg("expired")
		if t.s.Draft != nil || t.s.Step == StepCAdd {
			key = "expired.complaint" // the survey's answers, if any, go too
		}
		t.s.reset()
		t.s.dropSurvey()
		t.moved()
		if in.Kind != KindCommand {
			t.reprompt(t.T(key, t.e.duration(t.e.expiry, t.lang())))
			return
		}
		t.say(t.T(key, t.e.duration(t.e.expiry, t.lang())))
	}
	switch in.Kind {
	case KindCommand:
		t.command()
	case KindButton:
		t.button()
	case KindText:
		t.text()
	case KindEdited:
		t.reprompt(t.T("edited"))
	case KindPhoto:
		switch t.s.Step {
		case StepCText:
			t.complaintText(in.Text, in.Photo)
		case StepCPhotos:
			t.addPhoto(in.Photo, in.Text)
		case StepCContact, StepCConfirm:
			t.reprompt(t.T("c.photos.full", MaxPhotos))
		default:
			t.reprompt(t.T("other", t.T("other.photo")))
		}
	case KindContact:
		if t.s.Step == StepCContact {
			t.contact()
			return
		}
		t.reprompt(t.T("other", t.T("other.contact")))
	default:
		what := "other." + in.What
		if _, ok := vi[msg(what)]; !ok {
			what = "other.other"
		}
		t.reprompt(t.T("other", t.T(msg(what))))
	}
}

// beforeConsent answers a user who has not agreed yet: only the consent
// buttons lead anywhere, and nothing is stored before Đồng ý — except, on
// channels without buttons, the school and language the user picked for
// the prompt (Result.Pre), since the prompt cannot carry them.
func (t *turn) beforeConsent() {
	in := t.in
	pre := t.look.Pre(t.env.Key)
	if t.pre == "" {
		t.pre = pre.Lang.or()
	}
	school := pre.School
	remember := func() {
		if !in.Numbered {
			return // the prompt's buttons carry it
		}
		p := PreConsent{School: school}
		if t.pre == English {
			p.Lang = English
		}
		t.preSave = &p
	}
	if in.Kind == KindButton {
		p, ok := readData(in.Data)
		verb := p.verb
		if !ok || p.nonce != "" || verb != vAgree && verb != vRefuse && verb != vLang {
			verb, p = "", press{} // not the consent prompt's
		}
		// agreeData and refuseData answer the prompt; langData shows it
		// again in its language.
		arg, lang := p.arg(0), p.arg(1)
		if verb == vLang {
			lang, arg = arg, lang
		}
		if l, ok := ParseLang(lang); ok {
			t.pre = l
		}
		switch verb {
		case vAgree:
			t.s = &Session{Consent: &Consent{At: in.Now, Version: t.e.consentVersion}}
			if t.pre == English {
				t.s.Lang = English
			}
			t.changed = true
			t.preSave = &PreConsent{} // now in the session
			no := false
			t.optOut = &no
			t.send(Reply{Text: t.consentEcho() + t.T("consent.given", in.Now.In(t.e.loc).Format("15:04 02/01/2006"))})
			if s, ok := t.e.dir.School(arg); ok {
				t.chooseSchool(s, StepQuestion)
			} else {
				t.askLevel(StepQuestion)
			}
			return
		case vRefuse:
			t.send(Reply{Text: t.consentEcho() + t.T("consent.refused")})
			t.preSave = &PreConsent{} // "nothing is stored": not even these
			return
		case vLang:
			if arg != "" {
				school = arg
			}
			remember()
			t.consentPrompt(school)
			return
		}
	}
	if in.Kind == KindText {
		// Typed "1", "đồng ý", "dong y" or "agree" agrees too, with the
		// school picked before.
		for _, l := range append([]Lang{t.lang()}, other(t.lang())) {
			t.pre = l
			if b, ok := match(in.Text, t.consentButtons(school), in.Numbered); ok {
				t.in.Kind, t.in.Data = KindButton, b.Data
				t.beforeConsent()
				return
			}
		}
		t.pre = pre.Lang.or()
		if yes, ok := answers(in.Text); ok {
			// The notice asks "có đồng ý … không?": "có", "ok", "vâng ạ",
			// "không ạ" answer it as plainly as its buttons.
			b := t.consentButtons(school)
			t.in.Kind, t.in.Data = KindButton, b[1].Data
			if yes {
				t.in.Data = b[0].Data
			}
			t.beforeConsent()
			return
		}
		// A school code typed alone picks the school, as its QR code does.
		if sc, ok := t.e.dir.School(strings.TrimSpace(in.Text)); ok {
			school = sc.Code
			remember()
		}
	}
	if l, ok := t.langCommand(); ok && in.Kind == KindCommand {
		t.pre = l
		remember()
	}
	if in.Kind == KindCommand && in.Command == "help" {
		t.say(t.T("help"))
	}
	if in.Kind == KindCommand && (in.Command == "dulieu" || in.Command == "xoadulieu") {
		t.say(t.T("data.none"))
		if in.Command == "xoadulieu" && pre != (PreConsent{}) {
			t.preSave = &PreConsent{} // the school or language picked goes too
			school, t.pre = "", Vietnamese
		}
	}
	if in.Kind == KindCommand && in.Command == "start" && in.Arg != "" {
		if sc, ok := t.e.dir.School(in.Arg); ok && sc.Code != school {
			school = sc.Code
			remember()
		}
	}
	t.consentPrompt(school)
}

// answers reads a text typed at the consent notice as a plain yes or no.
func answers(text string) (yes, ok bool) {
	f := strings.TrimSuffix(strings.TrimSuffix(Fold(text), " a"), " ah")
	switch f {
	case "co", "ok", "oke", "okay", "yes", "vang", "da", "dong y", "toi dong y", "co dong y", "i agree":
		return true, true
	case "khong", "no", "khong dong y", "toi khong dong y", "i do not agree":
		return false, true
	}
	return false, false
}

// consentButtons are the consent prompt's buttons: agree and refuse carry
// the deep link's school and the language chosen, the last offers the
// other language.
func (t *turn) consentButtons(school string) []Button {
	yes, no := agreeData(school, t.pre), refuseData(t.pre)
	return []Button{{Label: t.T("consent.yes"), Data: yes}, {Label: t.T("consent.no"), Data: no}, t.langButton(school)}
}

func (t *turn) consentPrompt(school string) {
	b := t.consentButtons(school)
	t.replies = append(t.replies, Reply{Text: t.consentText(), Buttons: [][]Button{b[:2], b[2:]}})
}

// consentEcho is the notice again above the answer to it, where the
// answer replaces the prompt's message (it keeps the notice on screen);
// a channel that cannot edit shows the answer alone below the prompt.
func (t *turn) consentEcho() string {
	if t.in.Numbered {
		return ""
	}
	return t.consentText() + "\n\n"
}

func (t *turn) consentText() string {
	months := t.e.retention
	if months <= 0 {
		months = 12
	}
	return t.T("consent", t.e.ownerIn(t.lang()), months)
}

func (t *turn) command() {
	switch t.in.Command {
	case "start":
		t.start()
	case "help", "huongdan":
		t.reprompt(t.T("help"))
	case "cancel", "huy":
		note := t.T("nothing")
		if t.s.Step != StepMenu {
			if t.surveying() {
				t.s.dropSurvey()
			}
			t.s.reset()
			t.moved()
			note = t.T("cancelled")
			if t.s.paused() {
				// A complaint begun midway through the survey: the
				// complaint goes, the survey's answers stay.
				note = t.T("cancelled.kept", t.T("menu.resume"))
			}
		}
		m := t.menuReply()
		m.Text = note + "\n\n" + m.Text
		t.send(m)
	case "menu":
		t.menu()
	case "khaosat", "survey":
		t.startSurvey()
	case "phananh", "gopy":
		t.startComplaint(t.standingOffer())
	case "phananhcuatoi", "cuatoi":
		t.myComplaints()
	case "khieunai", "tocao":
		t.formal()
	case "thongtin", "hoidap":
		t.information()
	case "duongdaynong", "hotline":
		t.send(Reply{Text: t.hotline(), Buttons: [][]Button{{{Label: t.T("menu.back"), Data: menuData(menuMain)}}}})
	case "english", "en", "tienganh", "tiengviet", "vi", "vietnamese", "lang", "language", "ngonngu":
		l, _ := t.langCommand()
		t.setLang(l)
	case "dulieu":
		t.myData()
	case "xoadulieu":
		t.askErase()
	default:
		t.reprompt(t.T("unknown.command", t.in.Command))
	}
}

func (t *turn) start() {
	if t.in.Arg != "" {
		s, ok := t.e.dir.School(t.in.Arg)
		switch {
		case !ok:
			t.say(t.T("school.unknown", clip(t.in.Arg, 64)))
		case t.surveying() && strings.EqualFold(s.Code, t.s.School):
			// Scanning the same school's QR again resumes.
		default:
			t.s.reset()
			t.chooseSchool(s, StepQuestion)
			return
		}
	}
	if t.surveying() {
		qs := t.questions()
		t.reprompt(t.T("survey.resume", min(t.s.Q+1, len(qs)), len(qs)))
		return
	}
	if t.s.Step == StepMenu {
		t.menu()
		return
	}
	t.prompt()
}

func (t *turn) surveying() bool { return t.s.Step == StepQuestion || t.s.Step == StepConfirm }

// typing says whether the step takes free text: a complaint's description
// or addition, a comment question.
func (t *turn) typing() bool {
	if t.s.Step == StepCText || t.s.Step == StepCAdd {
		return true
	}
	q := t.current()
	return t.s.Step == StepQuestion && q != nil && q.Kind == Text
}

// button handles a press. Menu buttons work from any message; the others
// carry the nonce of the prompt they belong to.
func (t *turn) button() {
	data := unkept(t.in.Data)
	p, known := readData(data)
	if known && p.nonce == "" {
		if t.plainButton(p) {
			return
		}
	}
	if p, ok := readNonced(data, vErase); ok && p.nonce == strconv.FormatUint(uint64(t.s.Nonce), 10) {
		t.eraseAll()
		return
	}
	nonce, rest, _ := strings.Cut(data, ":")
	if nonce == strconv.FormatUint(uint64(t.s.Nonce), 10) {
		if !t.act(rest) {
			t.staleHere()
		}
		return
	}
	switch {
	case t.lateAnswer(rest):
	case t.doubleTap():
		// A tap again on a screen the reply to the first has not changed
		// yet: the notice says so; the screen is about to show the step.
		t.notice = t.T("stale.notice")
	default:
		t.staleHere()
	}
}

// plainButton handles a press on plain data (see verbs.go); false when
// it is none it takes, for the stale answers.
func (t *turn) plainButton(p press) bool {
	switch p.verb {
	case vMenu, vOldAnn:
		item := p.arg(0)
		if p.verb == vOldAnn { // announcements sent before the keep prefix
			if item != menuSurvey {
				return false
			}
		}
		switch item {
		case menuSurvey:
			t.startSurvey()
		case menuSchool:
			t.s.reset()
			t.askLevel(StepMenu)
		case menuHelp:
			t.say(t.T("help"))
			t.menu()
		case menuComplaint:
			t.startComplaint(t.standingOffer())
		case menuMine:
			t.myComplaints()
		case menuFormal:
			t.formal()
		case menuMain:
			t.menu()
		case menuMyData:
			t.myData()
		case menuInfo:
			t.information()
		case menuErase:
			t.askErase()
		default:
			return false
		}
	case vInfo:
		t.infoPage(p)
	case vLang:
		l, ok := ParseLang(p.arg(0))
		if !ok {
			return false
		}
		t.setLang(l)
	case vFollowup:
		t.followup(p.arg(0), p.arg(1))
	case vAddInfo:
		if c, ok := t.ownComplaint(p.arg(0)); ok {
			t.startAddInfo(c)
			return true
		}
		t.stale()
	case vAgree, vRefuse:
		// A consent message sent before the parent agreed elsewhere;
		// its school, if any, still counts.
		t.notice = t.T("consent.already")
		if sc, ok := t.e.dir.School(p.arg(0)); ok && p.verb == vAgree && !(t.surveying() && sc.Code == t.s.School) &&
			!(t.doubleTap() && sc.Code == t.s.School) {
			t.s.reset()
			t.chooseSchool(sc, StepQuestion)
			return true
		}
		if !t.doubleTap() {
			t.prompt()
		}
	default:
		return false
	}
	return true
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

// lateAnswer takes a press on a button of a step the conversation has
// already passed — a parent tapping faster than the screen changes — as
// what the parent meant where that is clear: an answer button names its
// question, which is one of this survey's; the answer is recorded (the
// same one again, or a change). A button of the question still current
// applies as if it were new. The grade or school already chosen, tapped
// again, changes nothing. false: the press is stale.
//
// Nothing is sent for a tap again within seconds (doubleTap) but the
// button's notice: the screen is about to show the current step, edited
// in place by the reply to the first tap, and a further copy of it would
// only cost the parent's chat its pace. Later, the message pressed shows
// the current step.
func (t *turn) lateAnswer(action string) bool {
	verb, arg, _ := strings.Cut(action, ":")
	s := t.s
	if (verb == vGrade && arg == s.Grade || verb == vSchool && strings.EqualFold(arg, s.School)) && s.Step != StepGrade && s.School != "" {
		t.notice = t.T("tap.kept")
		if !t.doubleTap() {
			t.send(t.promptReply())
		}
		return true
	}
	value, id, tagged := strings.Cut(arg, ":")
	if verb != vAnswer || !tagged || !t.surveying() {
		return false
	}
	qs := t.questions()
	at := slices.IndexFunc(qs, func(q *Question) bool { return q.ID == id })
	if at < 0 {
		return false
	}
	q := qs[at]
	o, ok := optionOf(q, value, t.lang())
	if !ok {
		return false
	}
	if s.Step == StepQuestion && at == s.Q {
		t.answer(q, value)
		return true
	}
	if s.Step == StepQuestion && at > s.Q {
		return false // a later question's, after going back: not clear
	}
	changed := s.Answers[q.ID] != value
	t.notice = t.T("answer.kept", at+1)
	if changed {
		s.Answers[q.ID] = value
		t.notice = t.T("answer.changed", at+1, clip(o.Label, 40))
	}
	switch {
	case changed && s.Step == StepConfirm:
		t.moved() // the summary shows the change
		t.send(t.promptReply())
	case !t.doubleTap():
		t.send(t.promptReply())
	}
	return true
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

// act applies a stateful button's action; false means it does not belong
// to the current step.
func (t *turn) act(action string) bool {
	verb, arg, _ := strings.Cut(action, ":")
	s := t.s
	switch {
	case verb == vLevel && (s.Step == StepLevel || s.Step == StepSchool):
		l := Level(arg)
		if !l.Valid() {
			return false
		}
		t.listSchools(l, 0)
	case verb == vPage && s.Step == StepSchool:
		p, err := strconv.Atoi(arg)
		if err != nil {
			return false
		}
		t.listSchools(s.Level, p)
	case verb == vLevels && s.Step == StepSchool:
		t.askLevel(s.Intent)
	case verb == vSchool && (s.Step == StepSchool || s.Step == StepLevel):
		sc, ok := t.e.dir.School(arg)
		if !ok {
			return false
		}
		t.chooseSchool(sc, s.Intent)
	case verb == vGrade && s.Step == StepGrade:
		if !t.validGrade(arg) {
			return false
		}
		t.setGrade(arg)
	case verb == vAnswer && s.Step == StepQuestion:
		q := t.current()
		if q == nil {
			return false
		}
		// "yes:A1": the answer and the question it answers (buttons sent
		// before the question was named carry the answer alone).
		value, id, tagged := strings.Cut(arg, ":")
		if _, ok := optionOf(q, value, t.lang()); !ok || tagged && id != q.ID {
			return false
		}
		t.answer(q, value)
	case verb == vSkip && s.Step == StepQuestion:
		q := t.current()
		if q == nil || !q.Optional {
			return false
		}
		t.answer(q, "")
	case verb == vBack && s.Step == StepQuestion && s.Q > 0:
		s.Q--
		t.moved()
		t.send(t.promptReply())
	case verb == vBack && s.Step == StepConfirm:
		s.Step = StepQuestion
		s.Q = len(t.questions()) - 1
		t.moved()
		t.send(t.promptReply())
	case verb == vEdit && s.Step == StepConfirm:
		i, err := strconv.Atoi(arg)
		if err != nil || i < 0 || i >= len(t.questions()) {
			return false
		}
		s.Step, s.Q, s.Intent = StepQuestion, i, StepConfirm
		t.moved()
		t.send(t.promptReply())
	case verb == vOK && s.Step == StepConfirm:
		t.submit()
	case verb == vOffer:
		t.startComplaint(t.standingOffer())
	case verb == vRedo && s.Step == StepConfirm:
		s.Step, s.Q, s.Answers = StepQuestion, 0, map[string]string{}
		t.moved()
		t.send(t.promptReply())
	default:
		return t.complaintAct(verb, arg)
	}
	return true
}

func optionOf(q *Question, value string, l Lang) (Option, bool) {
	for _, o := range q.ChoicesIn(l) {
		if o.Value == value {
			return o, true
		}
	}
	return Option{}, false
}

// text handles a typed message.
func (t *turn) text() {
	in := t.in
	if utf8.RuneCountInString(in.Text) > MaxInputRunes {
		t.reprompt(t.T("too.long"))
		return
	}
	s := t.s
	if id, ok := ParseComplaintCode(in.Text); ok && !t.typing() {
		// A complaint's code opens it: its follow-up question if one
		// awaits an answer (how channels without buttons answer it, at
		// whatever step the parent is); at the menu, their complaints.
		if c, mine := t.ownComplaint(strconv.FormatUint(id, 10)); mine && c.Status == StatusResolved && c.Followup == "" {
			t.send(Reply{Text: t.T("c.followup.ask", c.Code()), Buttons: followupButtons(c.ID, t.lang())})
			return
		}
		if s.Step == StepMenu {
			t.myComplaints()
			return
		}
	}
	if phone, ok := phoneNumber(in.Text); ok && in.Numbered && s.Step == StepCContact {
		// Typed, since such a channel cannot share a contact (a phone
		// number is never an option's number: it has 9 digits or more).
		s.Draft.Anonymous, s.Draft.Phone = false, phone
		t.confirmComplaint()
		return
	}
	if data, number := t.numberedOption(); number && s.Options != nil {
		// A number picks from the options the parent was last shown.
		if data == "" {
			t.reprompt(t.T("press.numbered"))
			return
		}
		t.in.Kind, t.in.Data = KindButton, data
		t.button()
		return
	}
	if s.Step == StepQuestion {
		if q := t.current(); q != nil && (q.Kind == Number || q.Kind == Text) {
			t.typed(q)
			return
		}
	}
	if s.Step == StepCText || s.Step == StepCAdd {
		// The text is typed here: options go by their words, never by
		// number ("1" is a (too short) description, not option 1).
		if b, ok := match(in.Text, flat(t.promptReply().Buttons), false); ok {
			t.in.Kind, t.in.Data = KindButton, b.Data
			t.button()
			return
		}
		if s.Step == StepCAdd {
			t.addInfo(in.Text)
		} else {
			t.complaintText(in.Text, "")
		}
		return
	}
	if s.Step == StepLevel || s.Step == StepSchool || s.Step == StepMenu {
		// A school code typed picks the school, as its QR code does.
		if sc, ok := t.e.dir.School(strings.TrimSpace(in.Text)); ok {
			intent := s.Intent
			if s.Step == StepMenu {
				intent = StepQuestion
				s.reset()
			}
			t.chooseSchool(sc, intent)
			return
		}
	}
	p := t.promptReply()
	if b, ok := match(in.Text, flat(p.Buttons), in.Numbered); ok {
		t.in.Kind, t.in.Data = KindButton, b.Data
		t.button()
		return
	}
	if s.Step == StepLevel || s.Step == StepSchool {
		if code := strings.TrimSpace(in.Text); ValidCode(code) && strings.ContainsAny(code, "-_0123456789") {
			t.reprompt(t.T("school.unknown", clip(in.Text, 32)))
			return
		}
	}
	if meant(in.Text) {
		t.heard(in.Text)
		return
	}
	switch {
	case s.Step == StepCPhotos:
		t.reprompt(t.T("c.photos.text"))
	case s.Step == StepCContact && in.Numbered:
		t.reprompt(t.T("c.contact.typed"))
	case s.Step == StepCContact:
		t.reprompt(t.T("c.contact.text"))
	case in.Numbered:
		t.reprompt(t.T("press.numbered"))
	default:
		t.reprompt(t.T("press"))
	}
}

// typed handles a typed answer to a number or text question.
func (t *turn) typed(q *Question) {
	text := strings.TrimSpace(t.in.Text)
	p := t.promptReply()
	if b, ok := match(text, flat(p.Buttons), false); ok {
		t.in.Kind, t.in.Data = KindButton, b.Data
		t.button()
		return
	}
	switch q.Kind {
	case Number:
		n, ok := leadingNumber(text)
		if !ok && meant(text) {
			t.heard(text)
			return
		}
		if !ok || n < q.Min || n > q.Max {
			t.reprompt(t.T("number.bad", q.Min, q.Max, (q.Min+q.Max)/3))
			return
		}
		t.answer(q, strconv.Itoa(n))
	case Text:
		limit := q.textLimit()
		if n := utf8.RuneCountInString(text); n > limit {
			t.reprompt(t.T("text.long", n, limit))
			return
		}
		if text == "" {
			t.reprompt(t.T("text.empty"))
			return
		}
		t.answer(q, text)
	}
}

// leadingNumber reads "35", "35 học sinh" or "khoảng 35 em"; a text with
// two numbers ("30 hay 40") is not a clear answer.
func leadingNumber(s string) (int, bool) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if len(fields) != 1 || len(fields[0]) > 6 {
		return 0, false
	}
	n, err := strconv.Atoi(fields[0])
	return n, err == nil
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
	if t.s.offered() || t.standingOffer() != "" {
		p.Buttons = append(slices.Clone(p.Buttons), []Button{{Label: t.T("offer.button"), Data: t.nonced(vOffer)}})
	}
	return p
}

// standingOffer is the text offered as a complaint on the parent's previous
// input while the conversation has not moved since, else "": the offer's
// button takes it, and so does starting a complaint any other way
// (/phananh, the menu's 📣 Gửi phản ánh).
func (t *turn) standingOffer() string {
	if t.offered != "" && t.s.Nonce == t.offerNonce {
		return t.offered
	}
	return ""
}

// stepReply renders the current step.
func (t *turn) stepReply() Reply {
	s := t.s
	switch s.Step {
	case StepLevel:
		var row []Button
		for _, l := range Levels {
			if len(t.e.dir.SchoolsAt(l)) > 0 {
				row = append(row, Button{Label: l.NameIn(t.lang()), Data: t.nonced(levelAct(l))})
			}
		}
		return Reply{Text: t.T("level"), Buttons: [][]Button{row}}
	case StepSchool:
		return t.schoolPage()
	case StepGrade:
		sc, ok := t.e.dir.School(s.School)
		if !ok {
			// The school left the configuration mid-way: pick again.
			s.Step = StepLevel
			return t.stepReply()
		}
		var row []Button
		for _, g := range grades(sc.Level) {
			row = append(row, Button{Label: gradeName(g, t.lang()), Data: t.nonced(gradeAct(g))})
		}
		rows := [][]Button{row}
		if sc.Level == Preschool {
			rows = [][]Button{row[:2], row[2:]}
		}
		return Reply{Text: t.T("grade", sc.Name), Buttons: rows}
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

func (t *turn) menuReply() Reply {
	s := t.s
	label := t.T("menu.survey")
	if s.Step == StepQuestion || s.Step == StepConfirm || s.paused() {
		label = t.T("menu.resume")
	} else if w, ok := t.e.dir.WaveAt(t.in.Now); ok && s.Done[w.ID+"/"+s.School] != (time.Time{}) {
		label = t.T("menu.resurvey")
	}
	text := t.T("menu.noschool")
	if sc, ok := t.e.dir.School(s.School); ok {
		text = t.T("menu", sc.Name)
	}
	return Reply{Text: text, Buttons: [][]Button{
		{{Label: label, Data: menuData(menuSurvey)}},
		{{Label: t.T("menu.complaint"), Data: menuData(menuComplaint)}, {Label: t.T("menu.mine"), Data: menuData(menuMine)}},
		{{Label: t.T("menu.school"), Data: menuData(menuSchool)}, {Label: t.T("menu.data"), Data: menuData(menuMyData)}},
		{{Label: t.T("menu.info"), Data: menuData(menuInfo)}, {Label: t.T("menu.help"), Data: menuData(menuHelp)}},
		{t.langButton("")},
	}}
}

// other is the language a parent reading l is offered to switch to.
func other(l Lang) Lang {
	if l.or() == English {
		return Vietnamese
	}
	return English
}

// langButton switches to the other language, named in that language;
// before consent it carries the deep link's school.
func (t *turn) langButton(school string) Button {
	to := other(t.lang())
	return Button{Label: tr(to, "lang.name"), Data: langData(to, school)}
}

// langCommand is the language a command asks for: /english, /tiengviet,
// or /lang (and /ngonngu) for the other one.
func (t *turn) langCommand() (Lang, bool) {
	switch t.in.Command {
	case "english", "en", "tienganh":
		return English, true
	case "tiengviet", "vi", "vietnamese":
		return Vietnamese, true
	case "lang", "language", "ngonngu":
		return other(t.lang()), true
	}
	return "", false
}

// setLang switches a consented user's language and shows where they were
// in it.
func (t *turn) setLang(l Lang) {
	if l == Vietnamese {
		l = "" // the default is not stored
	}
	t.s.Lang = l
	t.notice = t.T("lang.set")
	t.reprompt(t.T("lang.set"))
}

func (t *turn) menu() { t.send(t.menuReply()) }

// keptMenu is the menu under text, in one message that stays.
func (t *turn) keptMenu(text string) Reply {
	m := t.menuReply()
	m.Text = text + "\n\n" + m.Text
	for _, row := range m.Buttons {
		for i := range row {
			row[i].Data = keepData(row[i].Data)
		}
	}
	return m
}

const schoolsPerPage = 8

func (t *turn) schoolPage() Reply {
	s := t.s
	list := t.e.dir.SchoolsAt(s.Level)
	pages := max(1, (len(list)+schoolsPerPage-1)/schoolsPerPage)
	page := min(max(s.Page, 0), pages-1)
	var rows [][]Button
	for _, sc := range list[page*schoolsPerPage : min(len(list), (page+1)*schoolsPerPage)] {
		rows = append(rows, []Button{{Label: clip(sc.Name, 60), Data: t.nonced(schoolAct(sc.Code))}})
	}
	var nav []Button
	if page > 0 {
		nav = append(nav, Button{Label: t.T("school.prev"), Data: t.nonced(pageAct(page - 1))})
	}
	if page < pages-1 {
		nav = append(nav, Button{Label: t.T("school.next"), Data: t.nonced(pageAct(page + 1))})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	rows = append(rows, []Button{{Label: t.T("school.levels"), Data: t.nonced(vLevels)}})
	return Reply{Text: t.T("school", s.Level.NameIn(t.lang()), page+1, pages), Buttons: rows}
}

func (t *turn) askLevel(intent Step) {
	t.s.Step, t.s.Intent = StepLevel, intent
	t.moved()
	t.send(t.promptReply())
}

func (t *turn) listSchools(l Level, page int) {
	if len(t.e.dir.SchoolsAt(l)) == 0 {
		t.notice = t.T("school.none", l.NameIn(t.lang()))
		t.s.Step = StepLevel
		t.moved()
		t.send(t.promptReply())
		return
	}
	t.s.Step, t.s.Level, t.s.Page = StepSchool, l, page
	t.moved()
	t.send(t.promptReply())
}

// chooseSchool sets the parent's school and goes on to the grade, unless
// it is known for this level, and then to intent.
func (t *turn) chooseSchool(sc *School, intent Step) {
	s := t.s
	if sc.Code != s.School {
		s.dropSurvey() // its answers were about the other school
	}
	s.School, s.Intent = sc.Code, intent
	if !t.validGrade(s.Grade) {
		s.Grade = ""
	}
	if s.Grade == "" && intent == StepQuestion {
		s.Step = StepGrade
		t.moved()
		t.send(t.promptReply())
		return
	}
	t.afterSchool()
}

func (t *turn) setGrade(g string) {
	t.s.Grade = g
	t.afterSchool()
}

func (t *turn) afterSchool() {
	s := t.s
	intent := s.Intent
	s.Step, s.Intent, s.Level, s.Page = StepMenu, StepMenu, "", 0
	t.moved()
	if intent == StepQuestion {
		t.startSurvey()
		return
	}
	if intent == StepCText && s.Draft != nil {
		t.describe(t.T("c.school", t.draftSchool()))
		return
	}
	t.say(t.T("school.set", t.e.schoolName(s.School)))
	t.menu()
}

// schoolName is a school's name, or its code if it left the configuration.
func (e *Engine) schoolName(code string) string {
	if sc, ok := e.dir.School(code); ok {
		return sc.Name
	}
	return code
}

// categoryName is a category's name, or its id if it left the configuration.
func (e *Engine) categoryName(id string, l Lang) string {
	if c, ok := e.category(id); ok {
		return c.NameIn(l)
	}
	return id
}

func (t *turn) validGrade(g string) bool {
	sc, ok := t.e.dir.School(t.s.School)
	if !ok {
		return false
	}
	for _, x := range grades(sc.Level) {
		if x == g {
			return true
		}
	}
	return false
}

// Grades are the grades a parent picks from at a school of level l: a
// preschool's age groups, else the grade numbers.
func Grades(l Level) []string { return grades(l) }

func grades(l Level) []string {
	switch l {
	case Preschool:
		return []string{"nt", "mam", "choi", "la"}
	case Primary:
		return []string{"1", "2", "3", "4", "5"}
	}
	return []string{"6", "7", "8", "9"}
}

func gradeName(g string, l Lang) string {
	if _, err := strconv.Atoi(g); err == nil {
		return tr(l, "grade.n", g)
	}
	return tr(l, msg("grade.mn."+g))
}

// startSurvey begins the survey of the open wave, after making sure the
// school and grade are known.
func (t *turn) startSurvey() {
	s := t.s
	if t.surveying() {
		t.send(t.promptReply())
		return
	}
	sc, ok := t.e.dir.School(s.School)
	if !ok {
		t.askLevel(StepQuestion)
		return
	}
	if !t.validGrade(s.Grade) {
		s.Grade = ""
		t.chooseSchool(sc, StepQuestion)
		return
	}
	w, ok := t.e.dir.WaveAt(t.in.Now)
	if !ok {
		text := t.T("survey.closed")
		if next, ok := t.e.dir.NextWave(t.in.Now); ok {
			text += " " + t.T("survey.next", next.TitleIn(t.lang()), next.Start.In(t.e.loc).Format("02/01/2006"))
		}
		t.send(Reply{Text: text})
		t.menu()
		return
	}
	if s.paused() && s.Wave == w.ID {
		s.reset()
		s.Step = StepQuestion
		qs := t.questions()
		s.Q = max(0, min(s.Q, len(qs)-1))
		t.moved()
		t.send(Reply{Text: t.T("survey.resume", s.Q+1, len(qs))})
		t.prompt()
		return
	}
	s.reset()
	s.Step, s.Wave, s.Q, s.Answers = StepQuestion, w.ID, 0, map[string]string{}
	t.moved()
	intro := t.T("survey.intro", w.TitleIn(t.lang()), sc.Name, gradeName(s.Grade, t.lang()), len(t.questions()))
	if at, ok := s.Done[w.ID+"/"+sc.Code]; ok {
		intro += "\n\n" + t.T("survey.again", at.In(t.e.loc).Format("02/01/2006"))
	}
	t.send(Reply{Text: intro})
	t.prompt() // the question is a message of its own, edited in place as it goes

}

// level is the level of the parent's school ("" when none is known).
func (t *turn) level() Level {
	if sc, ok := t.e.dir.School(t.s.School); ok {
		return sc.Level
	}
	return ""
}

func (t *turn) questions() []*Question {
	sc, ok := t.e.dir.School(t.s.School)
	if !ok {
		return nil
	}
	if qs, ok := t.e.byLevel[sc.Level]; ok {
		return qs
	}
	return t.e.q.For(sc.Level)
}

func (t *turn) current() *Question {
	qs := t.questions()
	if t.s.Q < 0 || t.s.Q >= len(qs) {
		return nil
	}
	return qs[t.s.Q]
}

func (t *turn) questionReply() Reply {
	qs := t.questions()
	q := t.current()
	if q == nil {
		// The questionnaire changed under a running survey: review what
		// there is.
		t.s.Step = StepConfirm
		return t.confirmReply()
	}
	text := t.T("question", t.s.Q+1, len(qs), q.TextAt(t.level(), t.lang()))
	prev, answered := t.s.Answers[q.ID]
	var rows [][]Button
	mark := func(o Option) string {
		if answered && o.Value == prev {
			return "✓ " + o.Label
		}
		return o.Label
	}
	switch q.Kind {
	case Scale:
		for _, o := range q.ChoicesIn(t.lang()) {
			rows = append(rows, []Button{{Label: mark(o), Data: t.nonced(answerAct(o.Value, q.ID))}})
		}
	default:
		var row []Button
		for _, o := range q.ChoicesIn(t.lang()) {
			row = append(row, Button{Label: mark(o), Data: t.nonced(answerAct(o.Value, q.ID))})
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	switch q.Kind {
	case Number:
		text += t.T("question.number", q.Min, q.Max)
		if answered && prev != DontKnow {
			text += " ✓ " + prev
		}
	case Text:
		text += t.T("question.text", q.textLimit())
	}
	var nav []Button
	if t.s.Q > 0 {
		nav = append(nav, Button{Label: t.T("back"), Data: t.nonced(vBack)})
	}
	if q.Optional {
		nav = append(nav, Button{Label: t.T("skip"), Data: t.nonced(vSkip)})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	return Reply{Text: text, Buttons: rows, Typed: q.Kind == Number || q.Kind == Text}
}

func (t *turn) answer(q *Question, value string) {
	s := t.s
	if s.Answers == nil {
		s.Answers = map[string]string{}
	}
	s.Answers[q.ID] = value
	s.Q++
	if s.Q >= len(t.questions()) || s.Intent == StepConfirm {
		// The last question, or one reached from the review to change
		// it: back to the review.
		s.Step, s.Intent = StepConfirm, StepMenu
	}
	t.moved()
	t.send(t.promptReply())
}

// confirmReply shows the answers for review. Each can be reached in one
// step: on Telegram by its number's button, on a channel without buttons
// by typing its number (the answers are the numbered options there; send,
// back and start over are words, so that no number means two things).
func (t *turn) confirmReply() Reply {
	qs := t.questions()
	nav := [][]Button{
		{{Label: t.T("confirm.send"), Data: t.nonced(vOK)}},
		{{Label: t.T("back"), Data: t.nonced(vBack)}, {Label: t.T("confirm.redo"), Data: t.nonced(vRedo)}},
	}
	if t.in.Numbered {
		var rows [][]Button
		for i, q := range qs {
			line := strings.ReplaceAll(t.answered(q, t.level(), t.s.Answers[q.ID]), "\n    →", " →")
			rows = append(rows, []Button{{Label: line, Data: t.nonced(editAct(i))}})
		}
		return Reply{Text: t.T("confirm.pick"), Buttons: append(rows, nav...)}
	}
	var b strings.Builder
	var edit [][]Button
	for i, q := range qs {
		fmt.Fprintf(&b, "%d. %s\n", i+1, t.answered(q, t.level(), t.s.Answers[q.ID]))
		if i%8 == 0 {
			edit = append(edit, nil)
		}
		edit[len(edit)-1] = append(edit[len(edit)-1], Button{Label: strconv.Itoa(i + 1), Data: t.nonced(editAct(i))})
	}
	rows := append([][]Button{nav[0]}, edit...)
	return Reply{Text: t.T("confirm", strings.TrimSpace(b.String())), Buttons: append(rows, nav[1])}
}

// answered shows a question with its answer as the parent reads it: the
// question's own words, then the answer's label. The question's Short
// names the good outcome ("Không học ca ba"), for reports; beside a
// parent's "Có" it would read as the opposite of what they said.
func (t *turn) answered(q *Question, lv Level, value string) string {
	shown := t.T("skipped")
	if o, ok := optionOf(q, value, t.lang()); ok {
		shown = o.Label
	} else if value != "" {
		shown = clip(value, 80)
	}
	return q.TextAt(lv, t.lang()) + "\n    → " + shown
}

func (t *turn) submit() {
	s := t.s
	sc, known := t.e.dir.School(s.School)
	w, ok := t.e.dir.Wave(s.Wave)
	if !known {
		ok = false
	}
	if !ok || !w.Contains(t.in.Now) {
		title := s.Wave
		if ok {
			title = w.TitleIn(t.lang())
		}
		s.reset()
		s.dropSurvey()
		t.moved()
		t.send(Reply{Text: t.T("wave.ended", title)})
		t.menu()
		return
	}
	r := &Response{Wave: w.ID, School: sc.Code, Level: sc.Level, Grade: s.Grade,
		Answers: map[string]string{}, Buckets: map[string]string{}, At: t.in.Now}
	for _, q := range t.questions() {
		v, ok := s.Answers[q.ID]
		if !ok {
			continue
		}
		r.Answers[q.ID] = v
		if b := q.Bucket(v); b != "" {
			r.Buckets[q.ID] = t.e.bucketAt(q, b, s.Grade)
		}
	}
	t.resp = r
	if s.Done == nil {
		s.Done = map[string]time.Time{}
	}
	s.Done[w.ID+"/"+sc.Code] = t.in.Now
	s.reset()
	s.dropSurvey()
	t.moved()
	t.send(t.keptMenu(t.T("saved", w.TitleIn(t.lang()), sc.Name)))
}

// gradeMark joins a class size and the grade it is judged by in an
// aggregate's bucket ("32@la").
const gradeMark = "@"

// bucketAt is the bucket an answer is counted under: a class size at a
// grade with a cap of its own (a preschool's age group) carries the grade,
// so that it is judged by that grade's cap — the aggregates hold no grade.
func (e *Engine) bucketAt(q *Question, bucket, grade string) string {
	if q.Kind == Number && len(q.Good) == 1 && q.Good[0] == GoodCap && bucket != DontKnow && e.gradeCaps[grade] > 0 {
		return bucket + gradeMark + grade
	}
	return bucket
}

func (e *Engine) duration(d time.Duration, l Lang) string {
	if d >= time.Hour {
		return tr(l, "duration.hours", int(d/time.Hour))
	}
	return tr(l, "duration.minutes", int(d/time.Minute))
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// isStop reports whether a typed text asks to stop all messages.
func isStop(text string) bool {
	t := strings.ToLower(strings.TrimSpace(strings.Trim(text, ".! ")))
	return t == "dừng" || t == "dừng lại" || t == "stop"
}
