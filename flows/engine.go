package flows

import (
	"errors"
	"fmt"
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
	// Said is, for an input from the dashboard (Envelope.Web), what the
	// chat would have answered its sender — why an action was refused,
	// what a text was not — for the page to show (Batch.Handled).
	Said []string
}

// Handle runs one input of one user through the conversation. s is the
// stored session, nil when there is none; it is not modified. look reads
// other stored records in the same transaction.
func (e *Engine) Handle(s *Session, env Envelope, look Lookup) Result {
	if look == nil {
		look = &NoRecords{}
	}
	t := &turn{e: e, in: env.Input, env: env, look: look}
	if env.Input.Kind == KindButton {
		t.pressed = env.Input.Data
	}
	if s != nil {
		t.s = s.clone()
	}
	t.run()
	if t.offered != nil && t.s != nil && t.s.Draft == nil && t.s.Nonce == s.Nonce {
		// Nothing moved (a /help, an old button): the offer still stands.
		t.s.Draft = t.offered
	}
	if s != nil && s.Step == StepCContact && (t.s == nil || t.s.Step != StepCContact) {
		t.hideKeyboard()
	}
	if env.Input.Numbered {
		t.rememberOptions()
	}
	res := t.Result
	res.Session, res.Changed, res.Out = t.s, t.changed, nil
	if env.Web {
		// The dashboard shows the outcome on its page: nothing goes to the
		// staff member's chat, and their chat's step stays as it was.
		res.Session, res.Changed = s, false
		res.Out = append(res.Out, t.Out...)
		for _, r := range t.replies {
			res.Said = append(res.Said, r.Text)
		}
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
	res.Out = append(res.Out, t.Out...)
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
