package flows

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata")

var hcm = func() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return l
}()

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, hcm)
	if err != nil {
		panic(err)
	}
	return t
}

// testEngine serves a province's department with one ward under it, the
// ward's schools of every level, more primary schools than fit on one page,
// and one wave.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	d := &Directory{
		Admins: []string{"test:999"},
		Offices: []Office{
			{ID: "sadec", Name: "UBND phường Sa Đéc", Parent: "dongthap", Chat: "test:-100", Staff: []string{"test:901"}},
			{ID: "dongthap", Name: "Sở GDĐT tỉnh Đồng Tháp", Tr: map[Lang]string{English: "Dong Thap Department of Education and Training"}},
		},
		Waves: []Wave{{ID: "w1", Title: "Học kì I, 2026–2027", Start: day("2026-09-01"), End: day("2027-01-16"),
			Tr: map[Lang]string{English: "Semester 1, 2026–2027"}}},
		Schools: []School{
			{Code: "MN-HN", Name: "Trường Mầm non Hồng Nhung", Level: Preschool, Office: "sadec"},
			{Code: "THCS-TD", Name: "Trường THCS Trần Hưng Đạo", Level: Lower, Office: "sadec"},
		},
	}
	for i := 1; i <= 10; i++ {
		d.Schools = append(d.Schools, School{Code: fmt.Sprintf("TH-%02d", i), Name: fmt.Sprintf("Trường Tiểu học số %d", i), Level: Primary, Office: "sadec"})
	}
	d.Schools[2+2].Principals = []string{"test:900"} // TH-03
	e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: d,
		ClassSizeCaps: map[Level]int{Preschool: 35, Primary: 35, Lower: 45},
		SessionExpiry: 72 * time.Hour, RetentionMonths: 12, Location: hcm,
		Holidays: []string{"2026-12-31", "2027-01-01"}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// unreachedEngine is testEngine with an office that has neither a chat nor
// staff, and, unless principals, no principal: nobody receives complaints.
func unreachedEngine(t testing.TB, principals bool) *Engine {
	t.Helper()
	base := testEngine(t)
	d := *base.Directory()
	d.Offices = slices.Clone(d.Offices)
	d.Offices[0].Chat, d.Offices[0].Staff = "", nil
	d.Schools = slices.Clone(d.Schools)
	for i := range d.Schools {
		if !principals {
			d.Schools[i].Principals = nil
		}
	}
	e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: &d,
		ClassSizeCaps: map[Level]int{Preschool: 35, Primary: 35, Lower: 45},
		SessionExpiry: 72 * time.Hour, RetentionMonths: 12, Location: hcm})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Unreached(func(string) []Principal { return nil }); !principals && len(got) != len(d.Schools) {
		t.Fatalf("Unreached = %v, want every school", got)
	}
	return e
}

// sim is a channel as its users would see it: one chat per user (and the
// office's group chat), each user's stored session, and the complaints.
type sim struct {
	t        testing.TB
	e        *Engine
	user     string            // who is typing
	chat     string            // where
	stored   map[string][]byte // user → session as stored, JSON
	now      time.Time
	numbered bool
	chats    map[string][]simMsg
	nextID   int
	callback int
	out      strings.Builder
	saved    []*Response
	look     *memRecords
	made     int // parents made up by @answered
}

// memRecords keeps complaints for the sim as the store would.
type memRecords struct {
	byID       map[uint64]*Complaint
	next       uint64
	principals map[string]Principal
	invites    map[string]Invite
	responses  []keyedResponse
	audit      []AuditEntry
	told       map[string]bool
	// parents lists the consented users and their sessions, for
	// announcements, as the store's audience would.
	parents func() map[string]*Session
	pre     map[Key]PreConsent
	links   []WebLink
}

func (m *memRecords) WebLinks(actor string, since time.Time) int {
	n := 0
	for _, l := range m.links {
		if l.Actor == actor && !l.Created.Before(since) {
			n++
		}
	}
	return n
}

func (m *memRecords) Pre(k Key) PreConsent { return m.pre[k] }

// comments are the stored responses' free-text answers, newest first, as
// the store's comments index gives them.
func (m *memRecords) comments(wave, school string) []Comment {
	var out []Comment
	for _, r := range m.responses {
		if r.Wave != wave || r.School != school {
			continue
		}
		for _, id := range slices.Sorted(maps.Keys(r.Answers)) {
			if r.Buckets[id] == TextGiven && r.Answers[id] != "" {
				out = append(out, Comment{Wave: wave, School: school, At: r.At, Grade: r.Grade, Text: r.Answers[id]})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Comment) int { return b.At.Compare(a.At) })
	return out
}

func (m *memRecords) CommentCounts(wave string, schools []string) map[string]CommentCount {
	out := map[string]CommentCount{}
	for _, sc := range schools {
		c := CommentCount{Comments: len(m.comments(wave, sc))}
		for _, r := range m.responses {
			if r.Wave == wave && r.School == sc {
				c.Respondents++
			}
		}
		out[sc] = c
	}
	return out
}

func (m *memRecords) Comments(wave, school string, skip, limit int) []Comment {
	all := m.comments(wave, school)
	return all[min(skip, len(all)):min(skip+limit, len(all))]
}

func (m *memRecords) Audience(schools []string) int {
	n := 0
	for _, s := range m.parents() {
		if slices.Contains(schools, s.School) {
			n++
		}
	}
	return n
}

func (m *memRecords) Complaint(id uint64) (*Complaint, bool) {
	c, ok := m.byID[id]
	if !ok {
		return nil, false
	}
	return c.clone(), true
}

func (m *memRecords) ComplaintsBy(k Key) []*Complaint {
	var out []*Complaint
	for id := m.next; id > 0; id-- {
		if c, ok := m.byID[id]; ok && c.ReporterKey == k {
			out = append(out, c.clone())
		}
	}
	return out
}

func (m *memRecords) OpenComplaints(schools []string) []*Complaint {
	var out []*Complaint
	for id := uint64(1); id <= m.next; id++ {
		if c, ok := m.byID[id]; ok && c.Status.Open() {
			for _, s := range schools {
				if s == c.School {
					out = append(out, c.clone())
				}
			}
		}
	}
	return out
}

func (m *memRecords) NextComplaintID() uint64 { m.next++; return m.next }

func (m *memRecords) PrincipalOf(id string) (string, bool) {
	p, ok := m.principals[id]
	return p.School, ok
}

func (m *memRecords) Principals(school string) []Principal {
	var out []Principal
	for _, id := range slices.Sorted(maps.Keys(m.principals)) {
		if m.principals[id].School == school {
			out = append(out, m.principals[id])
		}
	}
	return out
}

func (m *memRecords) Invite(hash string) (*Invite, bool) {
	inv, ok := m.invites[hash]
	return &inv, ok
}

func (m *memRecords) ResponsesOf(k Key) []Response {
	var out []Response
	for _, r := range m.responses {
		if r.key == k {
			out = append(out, r.Response)
		}
	}
	return out
}

func (m *memRecords) GroupTold(id string) bool { return m.told[id] }

func (m *memRecords) Audit(limit int) []AuditEntry {
	var out []AuditEntry
	for i := len(m.audit) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, m.audit[i])
	}
	return out
}

type keyedResponse struct {
	key Key
	Response
}

// apply stores a result as the store would.
func (m *memRecords) apply(k Key, chat string, res Result) {
	for _, c := range res.Complaints {
		m.byID[c.ID] = c.clone()
	}
	for _, inv := range res.Invites {
		m.invites[inv.Hash] = inv
	}
	if res.Bind != nil {
		m.principals[res.Bind.ID] = *res.Bind
	}
	if res.Unbind != "" {
		delete(m.principals, res.Unbind)
	}
	m.audit = append(m.audit, res.Audit...)
	m.links = append(m.links, res.WebLinks...)
	if res.Pre != nil {
		if m.pre == nil {
			m.pre = map[Key]PreConsent{}
		}
		m.pre[k] = *res.Pre
	}
	if res.GroupTold {
		if m.told == nil {
			m.told = map[string]bool{}
		}
		m.told["test:"+chat] = true
	}
	if r := res.Response; r != nil {
		m.responses = slices.DeleteFunc(m.responses, func(x keyedResponse) bool {
			return x.key == k && x.Wave == r.Wave && x.School == r.School
		})
		m.responses = append(m.responses, keyedResponse{k, *r})
	}
	if res.Erase {
		m.responses = slices.DeleteFunc(m.responses, func(x keyedResponse) bool { return x.key == k })
		for _, c := range m.byID {
			if c.ReporterKey == k {
				c.ReporterKey, c.Reporter, c.Phone = Key{}, Address{}, ""
			}
		}
	}
}

type simMsg struct {
	id      int
	text    string
	buttons [][]Button
	typed   bool // a reply keyboard: pressing sends the label as text
}

func newSim(t testing.TB, e *Engine) *sim {
	s := &sim{t: t, e: e, now: time.Date(2026, 11, 26, 9, 0, 0, 0, hcm), user: "42", chat: "42",
		stored: map[string][]byte{}, chats: map[string][]simMsg{}, look: &memRecords{byID: map[uint64]*Complaint{}, principals: map[string]Principal{}, invites: map[string]Invite{}}}
	s.look.parents = s.parents
	return s
}

// parents are the stored sessions of users who consented.
func (s *sim) parents() map[string]*Session {
	out := map[string]*Session{}
	for user, v := range s.stored {
		var sess Session
		if err := json.Unmarshal(v, &sess); err != nil {
			s.t.Fatal(err)
		}
		if sess.Consent != nil {
			out[user] = &sess
		}
	}
	return out
}

// announce delivers an announcement as the store and sender would: to
// every parent of its schools in their language, except those who said
// /stop, then the counts to its author.
func (s *sim) announce(a *Announcement) {
	a = a.clone()
	a.ID = 1
	parents := s.parents()
	for _, user := range slices.Sorted(maps.Keys(parents)) {
		p := parents[user]
		if !slices.Contains(a.Schools, p.School) {
			continue
		}
		if p.OptOut {
			a.Stopped++
			continue
		}
		a.Queued++
		a.Delivered++
		r := s.e.AnnouncementFor(a, p.Lang)
		s.nextID++
		s.chats[user] = append(s.chats[user], simMsg{id: s.nextID, text: r.Text, buttons: r.Buttons})
		s.print(fmt.Sprintf("→ %s #%d", user, s.nextID), r)
	}
	r := s.e.AnnouncementReport(a)
	s.nextID++
	s.chats[a.Author.Chat] = append(s.chats[a.Author.Chat], simMsg{id: s.nextID, text: r.Text})
	s.print(fmt.Sprintf("→ %s #%d", a.Author.Chat, s.nextID), r)
}

// lastWith is the newest message of the current chat with a button
// labelled label (or the newest with buttons, to report its absence).
func (s *sim) lastWith(label string) *simMsg {
	msgs := s.chats[s.chat]
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, b := range flat(msgs[i].buttons) {
			if strings.TrimPrefix(b.Label, "✓ ") == label {
				return &msgs[i]
			}
		}
	}
	return s.lastWithButtons()
}

// lastWithButtons is the newest message of the current chat that has
// buttons.
func (s *sim) lastWithButtons() *simMsg {
	msgs := s.chats[s.chat]
	for i := len(msgs) - 1; i >= 0; i-- {
		if len(msgs[i].buttons) > 0 {
			return &msgs[i]
		}
	}
	return nil
}

// step runs one script line and writes what the parent saw.
func (s *sim) step(line string) {
	t := s.t
	fmt.Fprintf(&s.out, "> %s\n", line)
	s.now = s.now.Add(5 * time.Second)
	env := Envelope{Channel: "test", User: s.user, Chat: s.chat, Key: RespondentKey([]byte("test"), "test", s.user),
		Random: []byte(fmt.Sprintf("%06d-random", s.nextID)), Name: "User " + s.user}
	var in Input
	switch {
	case strings.HasPrefix(line, "["):
		label, at, _ := strings.Cut(strings.TrimPrefix(line, "["), "]")
		m := s.lastWith(label)
		if at != "" {
			id, _ := strconv.Atoi(strings.TrimPrefix(at, "@"))
			m = nil
			for i, x := range s.chats[s.chat] {
				if x.id == id {
					m = &s.chats[s.chat][i]
				}
			}
		}
		if m == nil {
			t.Errorf("%q: no message with buttons", line)
			fmt.Fprintf(&s.out, "  (no message with buttons)\n\n")
			return
		}
		var b *Button
		for _, row := range m.buttons {
			for i := range row {
				if strings.TrimPrefix(row[i].Label, "✓ ") == label || row[i].Label == label {
					b = &row[i]
				}
			}
		}
		if b == nil {
			t.Errorf("%q: no such button on message #%d", line, m.id)
			fmt.Fprintf(&s.out, "  (no such button on #%d)\n\n", m.id)
			return
		}
		if m.typed {
			in = ParseText(b.Label, s.now)
			break
		}
		s.callback++
		env.CallbackID = "cb" + strconv.Itoa(s.callback)
		env.MessageRef = strconv.Itoa(m.id)
		in = Input{Kind: KindButton, Data: b.Data}
	case strings.HasPrefix(line, "!inline "):
		// A press on a button of a message sent inline (through another
		// chat), by its data: as bot.Decode makes it.
		s.callback++
		env.CallbackID = "cb" + strconv.Itoa(s.callback)
		in = Input{Kind: KindInline, Data: strings.TrimPrefix(line, "!inline ")}
	case strings.HasPrefix(line, "!edited "):
		in = Input{Kind: KindEdited, Text: strings.TrimPrefix(line, "!edited ")}
	case strings.HasPrefix(line, "!group "):
		in = ParseText(strings.TrimPrefix(line, "!group "), s.now)
		in.Group = true
	case strings.HasPrefix(line, "!photo "):
		in = Input{Kind: KindPhoto, Photo: "photo-" + strconv.Itoa(s.nextID), Text: strings.TrimPrefix(line, "!photo ")}
	case line == "!photo":
		in = Input{Kind: KindPhoto, Photo: "photo-" + strconv.Itoa(s.nextID)}
	case strings.HasPrefix(line, "!contact "):
		phone, owner, _ := strings.Cut(strings.TrimPrefix(line, "!contact "), " ")
		if owner == "" {
			owner = s.user
		}
		in = Input{Kind: KindContact, Phone: phone, ContactUser: owner}
	case strings.HasPrefix(line, "!long "):
		n, _ := strconv.Atoi(strings.TrimPrefix(line, "!long "))
		in = ParseText(strings.Repeat("ạ", n), s.now)
	case strings.HasPrefix(line, "!"):
		in = Input{Kind: KindOther, What: strings.TrimPrefix(line, "!")}
	default:
		in = ParseText(line, s.now)
	}
	in.Now = s.now
	in.Numbered = s.numbered
	in.Group = in.Group || strings.HasPrefix(s.chat, "-")
	env.Input = in

	var before *Session
	if v := s.stored[s.user]; v != nil {
		before = new(Session)
		if err := json.Unmarshal(v, before); err != nil {
			t.Fatal(err)
		}
	}
	var snapshot *Session
	if before != nil {
		snapshot = before.clone()
	}
	res := s.e.Handle(before, env, s.look)
	if before != nil && !reflect.DeepEqual(before, snapshot) {
		t.Errorf("%q: Handle modified the session it was given", line)
	}
	s.check(line, env, res)
	if res.Changed {
		if res.Session == nil {
			delete(s.stored, s.user)
		} else {
			v, err := json.Marshal(res.Session)
			if err != nil {
				t.Fatal(err)
			}
			s.stored[s.user] = v
		}
	}
	s.look.apply(env.Key, env.Chat, res)
	for _, o := range res.Out {
		where := ""
		if o.Chat != s.chat {
			where = "→ " + o.Chat + " "
		}
		switch {
		case o.Kind == OutAck:
			if o.Reply.Text != "" {
				fmt.Fprintf(&s.out, "  (notice: %s)\n", o.Reply.Text)
			}
		case o.Kind == OutMenu:
			fmt.Fprintf(&s.out, "  %s(command menu of a %s)\n", where, o.Reply.Text)
		case o.Kind == OutReport:
			fmt.Fprintf(&s.out, "  %s(report %s, %s – %s)\n", where, o.Report.Scope, o.Report.From.Format(time.DateOnly), o.Report.To.Format(time.DateOnly))
		case o.EditRef != "":
			id, _ := strconv.Atoi(o.EditRef)
			for i, m := range s.chats[o.Chat] {
				if m.id == id {
					s.chats[o.Chat][i].text, s.chats[o.Chat][i].buttons = o.Reply.Text, o.Reply.Buttons
				}
			}
			s.print(fmt.Sprintf("%s#%d edited", where, id), o.Reply)
		default:
			s.nextID++
			s.chats[o.Chat] = append(s.chats[o.Chat], simMsg{id: s.nextID, text: o.Reply.Text, buttons: o.Reply.Buttons, typed: o.Reply.AskContact != ""})
			s.print(fmt.Sprintf("%s#%d", where, s.nextID), o.Reply)
		}
	}
	if res.Announce != nil {
		s.announce(res.Announce)
	}
	// As the store does: a message not asked for makes its recipient's
	// typed numbers no longer pick from what they saw before it.
	for _, o := range res.Out {
		if v := s.stored[o.Chat]; o.Reply.Detached != "" && len(o.Reply.Buttons) > 0 && v != nil {
			var other Session
			if err := json.Unmarshal(v, &other); err != nil {
				t.Fatal(err)
			}
			other.Options = nil
			s.stored[o.Chat], _ = json.Marshal(&other)
		}
	}
	if r := res.Response; r != nil {
		s.saved = append(s.saved, r)
		fmt.Fprintf(&s.out, "  == saved %s/%s grade %s:", r.Wave, r.School, r.Grade)
		for _, k := range slices.Sorted(maps.Keys(r.Answers)) {
			fmt.Fprintf(&s.out, " %s=%s", k, r.Answers[k])
		}
		fmt.Fprintln(&s.out)
	}
	if s.stored[s.user] == nil {
		fmt.Fprintln(&s.out, "  (nothing stored)")
	}
	fmt.Fprintln(&s.out)
}

func (s *sim) print(head string, r Reply) {
	var flags []string
	if r.Photo != "" {
		flags = append(flags, "photo "+r.Photo)
	}
	if r.AskContact != "" {
		flags = append(flags, "asks for contact: "+r.AskContact)
	}
	if r.HideKeyboard {
		flags = append(flags, "hides keyboard")
	}
	if len(flags) > 0 {
		head += " (" + strings.Join(flags, ", ") + ")"
	}
	fmt.Fprintf(&s.out, "  %s: %s\n", head, strings.ReplaceAll(r.Text, "\n", "\n    | "))
	if s.numbered && r.Detached != "" {
		fmt.Fprintf(&s.out, "    %s\n", r.Detached)
		return
	}
	if s.numbered && !r.Typed {
		// As flows.Numbered shows them, in the rows they came in: options
		// numbered, the survey's moves as words to type.
		_, words := numberedParts(r)
		n := 0
		for _, row := range r.Buttons {
			var labels []string
			for _, b := range row {
				if !slices.Contains(words, b) {
					n++
					labels = append(labels, NumberedLabel(n, b.Label))
				}
			}
			if len(labels) > 0 {
				fmt.Fprintf(&s.out, "    %s\n", strings.Join(labels, " "))
			}
		}
		if len(words) > 0 {
			var quoted []string
			for _, b := range words {
				quoted = append(quoted, "«"+Word(b.Label)+"»")
			}
			fmt.Fprintf(&s.out, "    %s\n", tr(r.Lang, "numbered.typed", strings.Join(quoted, " · ")))
		}
		return
	}
	for _, row := range r.Buttons {
		var labels []string
		for _, b := range row {
			labels = append(labels, "["+b.Label+"]")
		}
		fmt.Fprintf(&s.out, "    %s\n", strings.Join(labels, " "))
	}
}

// check asserts what must hold for every input, whatever the script.
func (s *sim) check(line string, env Envelope, res Result) {
	t := s.t
	acks, edits := 0, 0
	for _, o := range res.Out {
		if o.Kind == OutAck {
			acks++
			if o.CallbackID != env.CallbackID {
				t.Errorf("%q: ack of %q, want %q", line, o.CallbackID, env.CallbackID)
			}
			continue
		}
		if o.EditRef != "" {
			edits++
			if o.Reply.AskContact != "" || o.Reply.HideKeyboard {
				t.Errorf("%q: an edit cannot show or hide the phone keyboard", line)
			}
		}
		if o.Reply.HideKeyboard && len(o.Reply.Buttons) > 0 {
			t.Errorf("%q: a message cannot hide the phone keyboard and show buttons", line)
		}
		if o.Reply.Text == "" {
			t.Errorf("%q: an empty message", line)
		}
		if n := utf8.RuneCountInString(o.Reply.Text); n > 4096 {
			t.Errorf("%q: a message of %d characters", line, n)
		}
		for _, row := range o.Reply.Buttons {
			for _, b := range row {
				if len(b.Data) > 64 || b.Data == "" {
					t.Errorf("%q: button %q has data %q (1-64 bytes allowed)", line, b.Label, b.Data)
				}
			}
		}
	}
	if env.Input.Numbered {
		// A channel without buttons: no text may ask to tap one.
		for _, o := range res.Out {
			if o.Kind == OutMessage && o.Chat == env.Chat {
				if w := buttonWords.FindString(Numbered(o.Reply)); w != "" {
					t.Errorf("%q: %q on a channel without buttons: %s", line, w, clip(o.Reply.Text, 200))
				}
			}
		}
	}
	if env.CallbackID != "" && acks != 1 {
		t.Errorf("%q: %d acknowledgements of the press, want 1", line, acks)
	}
	if edits > 1 {
		t.Errorf("%q: %d edits of one message", line, edits)
	}
	// A press may be answered by its acknowledgement's notice alone
	// (Telegram shows it over the chat).
	noticed := false
	for _, o := range res.Out {
		noticed = noticed || o.Kind == OutAck && o.Reply.Text != ""
	}
	if !env.Input.Group && len(res.Out)-acks == 0 && !noticed {
		t.Errorf("%q: the parent got no answer", line)
	}
	if res.Changed && res.Session != nil && res.Session.Consent == nil && !res.Session.Staff {
		t.Errorf("%q: a session without consent would be stored", line)
	}
}

// buttonWords are words that ask for a button: on a channel without
// buttons the text says to type instead.
var buttonWords = regexp.MustCompile(`(?i)\b(bấm|nhấn|nút|press|tap|button)`)

// TestNumberedWording plays every transcript on a channel without buttons,
// whatever its own channel: no text sent there asks to tap a button (sim.check).
// Presses in the scripts still go in as presses; what is checked is what
// the parent reads.
func TestNumberedWording(t *testing.T) {
	scripts, _ := filepath.Glob("testdata/*.txt")
	for _, path := range scripts {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			script, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := newSim(wordingOnly{t}, testEngine(t))
			s.numbered = true
			s.run(string(script))
		})
	}
}

// wordingOnly reports only the wording errors of a script played on a
// channel it was not written for (its presses may not fit there).
type wordingOnly struct{ testing.TB }

func (w wordingOnly) Errorf(format string, args ...any) {
	if m := fmt.Sprintf(format, args...); strings.Contains(m, "on a channel without buttons") {
		w.TB.Error(m)
	}
}

// run plays a script (testdata/NAME.txt; TestTranscripts compares what it
// writes with testdata/NAME.golden). The script syntax, one line each,
// surrounding spaces ignored:
//
//	(empty)              nothing
//	# TEXT               a comment, copied to the transcript
//	@as USER             the following inputs are USER's, in their private
//	                     chat (whose id is USER's); the first user is 42
//	@as USER in CHAT     USER writing in CHAT: a chat id starting with "-"
//	                     is a group (Input.Group)
//	@at YYYY-MM-DD HH:MM sets the clock (Asia/Ho_Chi_Minh); it starts at
//	                     2026-11-26 09:00, and every input moves it 5 s
//	@wait DURATION       moves the clock on (time.ParseDuration: 72h, 90m)
//	@sweep               runs Engine.Sweep over every complaint, as the
//	                     scheduler does; the alerts it sends are printed
//	@answered SCHOOL GRADE [COMMENT]
//	                     a response to wave w1 stored for a made-up parent,
//	                     as if they had taken the survey, COMMENT its
//	                     free-text answer; the clock moves a minute
//	@numbered            the channel numbers its options from here on
//	                     (Input.Numbered, as Zalo and the terminal)
//	@noreceivers         (anywhere in the script, on a line of its own)
//	                     TestTranscripts plays it on unreachedEngine: an
//	                     office with neither chat nor staff, no principal
//	@nooffice            the same, with the principals kept
//	[LABEL]              presses the button labelled LABEL (a leading "✓ "
//	                     ignored) on the newest message of the chat that
//	                     has it; on a reply keyboard the label is typed
//	[LABEL]@N            presses it on message #N, an older one (late and
//	                     stale presses)
//	!inline DATA         a press on a button of a message sent inline,
//	                     by its callback data (KindInline)
//	!edited TEXT         an edit of an earlier message (KindEdited)
//	!group TEXT          TEXT typed in a group (Input.Group)
//	!photo [CAPTION]     a photo, with its caption
//	!contact PHONE [USER] a shared contact, the sender's own unless USER
//	!long N              a text of N letters "ạ" (limits)
//	!WHAT                anything else sent: a sticker, a voice note…
//	                     (KindOther with What = WHAT)
//	TEXT                 typed text (ParseText: a command when it starts
//	                     with "/"); "$CODE" in it is replaced by the last
//	                     invite code the transcript shows
//
// The transcript writes "> LINE" for each input, then what it caused:
// "#N: TEXT" for message N sent to the chat, "→ CHAT #N: TEXT" for one
// sent elsewhere, "#N edited: TEXT" for an edit, a text's further lines
// after "|", its buttons in brackets under it (on a numbered channel the
// numbered options instead), "(notice: …)" for a press's
// acknowledgement, "== saved …" for a survey response, and what else the
// engine stored or returned in parentheses. Every step is checked for the
// invariants of sim.check. TestNumberedWording plays every script again
// on a channel that numbers its options; TestScriptSyntaxDocumented holds
// the scripts to the directives above.
func (s *sim) run(script string) {
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			fmt.Fprintf(&s.out, "%s\n\n", line)
		case strings.HasPrefix(line, "@at "):
			at, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimPrefix(line, "@at "), hcm)
			if err != nil {
				s.t.Fatal(err)
			}
			s.now = at
			fmt.Fprintf(&s.out, "%s\n\n", line)
		case strings.HasPrefix(line, "@wait "):
			d, err := time.ParseDuration(strings.TrimPrefix(line, "@wait "))
			if err != nil {
				s.t.Fatal(err)
			}
			s.now = s.now.Add(d)
			fmt.Fprintf(&s.out, "%s\n\n", line)
		case line == "@noreceivers", line == "@nooffice": // TestTranscripts plays the script on unreachedEngine
			fmt.Fprintf(&s.out, "%s\n\n", line)
		case line == "@numbered":
			s.numbered = true
			fmt.Fprintf(&s.out, "%s\n\n", line)
		case strings.HasPrefix(line, "@as "):
			// "@as USER" or "@as USER in CHAT" (a group's chat id is negative).
			who, in, _ := strings.Cut(strings.TrimPrefix(line, "@as "), " in ")
			s.user, s.chat = who, who
			if in != "" {
				s.chat = in
			}
			fmt.Fprintf(&s.out, "%s\n\n", line)
		case strings.HasPrefix(line, "@answered "):
			// "@answered SCHOOL GRADE [COMMENT]": a response stored for a
			// made-up parent, as if they had taken the survey, a minute on.
			f := strings.SplitN(strings.TrimPrefix(line, "@answered "), " ", 3)
			s.made++
			r := Response{Wave: "w1", School: f[0], Grade: f[1], At: s.now, Answers: map[string]string{}, Buckets: map[string]string{}}
			if len(f) == 3 {
				r.Answers["C"], r.Buckets["C"] = f[2], TextGiven
			}
			s.look.responses = append(s.look.responses, keyedResponse{Key{0xee, byte(s.made)}, r})
			s.now = s.now.Add(time.Minute)
			fmt.Fprintf(&s.out, "%s\n\n", line)
		case strings.HasPrefix(line, "@sweep"):
			fmt.Fprintf(&s.out, "%s\n", line)
			s.sweep()
			fmt.Fprintln(&s.out)
		default:
			s.step(strings.ReplaceAll(line, "$CODE", s.lastCode()))
		}
	}
}

var inviteRe = regexp.MustCompile(`: ([A-Z2-7]{5})-([A-Z2-7]{5}) \(dùng một lần`)

// lastCode is the latest invite code the transcript shows, for "$CODE".
func (s *sim) lastCode() string {
	m := inviteRe.FindAllStringSubmatch(s.out.String(), -1)
	if len(m) == 0 {
		return "NOCODE"
	}
	return m[len(m)-1][1] + m[len(m)-1][2]
}

// sweep runs the deadline check over every complaint, as the scheduler does.
func (s *sim) sweep() {
	for id := uint64(1); id <= s.look.next; id++ {
		c, ok := s.look.byID[id]
		if !ok {
			continue
		}
		changed, out := s.e.Sweep(c, s.now)
		if changed != nil {
			s.look.byID[id] = changed
		}
		for _, o := range out {
			s.nextID++
			s.chats[o.Chat] = append(s.chats[o.Chat], simMsg{id: s.nextID, text: o.Reply.Text, buttons: o.Reply.Buttons})
			s.print(fmt.Sprintf("→ %s #%d", o.Chat, s.nextID), o.Reply)
		}
	}
}

// TestTranscripts plays every testdata/*.txt script and compares what the
// parent saw with the .golden file beside it (go test ./flows -update
// rewrites them; review the diff).
func TestTranscripts(t *testing.T) {
	scripts, _ := filepath.Glob("testdata/*.txt")
	if len(scripts) == 0 {
		t.Fatal("no transcripts in testdata")
	}
	for _, path := range scripts {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			script, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			e := testEngine(t)
			switch {
			case strings.Contains(string(script), "\n@noreceivers\n"):
				e = unreachedEngine(t, false)
			case strings.Contains(string(script), "\n@nooffice\n"):
				e = unreachedEngine(t, true)
			}
			s := newSim(t, e)
			s.run(string(script))
			golden := strings.TrimSuffix(path, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(s.out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./flows -update to create it)", err)
			}
			if got := s.out.String(); got != string(want) {
				t.Errorf("transcript differs from %s (go test ./flows -update, then review the diff):\n%s", golden, diff(string(want), got))
			}
		})
	}
}

// diff shows the first lines where two texts part.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, a, b)
		}
	}
	return "(equal)"
}

// FuzzConversation runs arbitrary input sequences through the engine,
// with the session stored as JSON between inputs: every input gets an
// answer, buttons stay within Telegram's limits, and nothing panics.
// A line "#N" presses the N-th button of the newest message with buttons,
// "!x" sends a non-text message of kind x, "~" moves the clock a day.
func FuzzConversation(f *testing.F) {
	for _, seed := range []string{
		"/start TH-03\n#0\n#2\n#0\n#1\n32\n#0\n#5\n#4\n#9\nok",
		"xin chào\n#1\n/start\n#0\n#1\n#0\n#8\nth-07\n#3\n/cancel\n#0",
		"/start MN-HN\n1\n#0\n~\n~\n~\n~\n#0\n!sticker\n/help\n/start abc",
		"/start THCS-TD\ndong y\n#2\n#0\n#0\n#1\n#3\n150\nkb\n#3\n#3\n#0",
		"/start TH-03\n#0\n/phananh\n#0\nPhòng học bị dột nước khi mưa to.\n!photo\n#0\n#0\n#0\n/phananhcuatoi\n#0\nthêm\n",
		"/start TH-03\n#0\n/phananh\n#6\n#0\nngắn\nBếp ăn có vấn đề về vệ sinh thực phẩm.\n#0\n!contact 0901234567\n#1\n#0",
		"/start TH-03\n#0\n/dulieu\n#0\n/stop\nabc\n/start\n/xoadulieu\n#0\n#0\ndừng\n/start inv_ABCDEFGHIJ",
	} {
		f.Add(seed)
	}
	e := testEngine(f)
	f.Fuzz(func(t *testing.T, script string) {
		s := newSim(t, e)
		lines := strings.Split(script, "\n")
		if len(lines) > 300 {
			lines = lines[:300]
		}
		for _, line := range lines {
			switch {
			case line == "~":
				s.now = s.now.Add(24 * time.Hour)
				continue
			case strings.HasPrefix(line, "#"):
				m := s.lastWithButtons()
				n, err := strconv.Atoi(line[1:])
				if m == nil || err != nil || n < 0 {
					break
				}
				bs := flat(m.buttons)
				line = "[" + strings.TrimPrefix(bs[n%len(bs)].Label, "✓ ") + "]@" + strconv.Itoa(m.id)
			case strings.HasPrefix(line, "!long"), strings.HasPrefix(line, "["):
				line = " " + line // plain text, not the transcript's syntax
			}
			s.step(line)
		}
	})
}

// TestScriptSyntaxDocumented holds the transcript scripts to the syntax
// documented above sim.run: every directive ("@…") and every kind of
// input ("!…") a script uses is named there.
func TestScriptSyntaxDocumented(t *testing.T) {
	src, err := os.ReadFile("transcript_test.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, ok := strings.Cut(string(src), "\nfunc (s *sim) run(")
	if !ok {
		t.Fatal("sim.run not found")
	}
	doc = doc[strings.LastIndex(doc, "\n\n")+2:]
	scripts, _ := filepath.Glob("testdata/*.txt")
	word := regexp.MustCompile(`^[@!][a-z]+`)
	for _, path := range scripts {
		script, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(script), "\n") {
			w := word.FindString(strings.TrimSpace(line))
			if w == "" || strings.Contains(doc, "//\t"+w+" ") {
				continue
			}
			if w[0] == '!' && strings.Contains(doc, "//\t!WHAT ") && !slices.Contains([]string{"!inline", "!edited", "!group", "!photo", "!contact", "!long"}, w) {
				continue // anything else sent: KindOther
			}
			t.Errorf("%s: %q is not in the script syntax documented above sim.run", path, w)
		}
	}
}
