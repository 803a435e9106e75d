package flows

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Step is where a conversation stands.
type Step string

// Conversation steps.
const (
	StepMenu     Step = ""         // nothing in progress
	StepLevel    Step = "level"    // choosing a school: the level
	StepSchool   Step = "school"   // choosing a school: the list of a level
	StepGrade    Step = "grade"    // choosing the child's grade
	StepQuestion Step = "question" // answering question Q
	StepConfirm  Step = "confirm"  // reviewing the answers before sending

	StepCategory   Step = "c_cat"     // complaint: choosing the category
	StepCText      Step = "c_text"    // complaint: describing the problem
	StepCPhotos    Step = "c_photos"  // complaint: adding photos
	StepCContact   Step = "c_contact" // complaint: anonymous or phone
	StepCConfirm   Step = "c_confirm" // complaint: reviewing before sending
	StepCAdd       Step = "c_add"     // adding information to complaint Target
	StepStaffReply Step = "s_reply"   // staff: writing the reply to complaint Target
	StepStaffRefer Step = "s_refer"   // staff: writing where complaint Target is referred
	// staff: writing an announcement, then reviewing its preview
	StepStaffAnnounce   Step = "s_ann"
	StepStaffAnnConfirm Step = "s_ann_ok"
)

// Draft is a complaint being written.
type Draft struct {
	Category  string   `json:"category,omitempty"`
	Text      string   `json:"text,omitempty"`
	Photos    []string `json:"photos,omitempty"`
	Anonymous bool     `json:"anonymous,omitempty"`
	Phone     string   `json:"phone,omitempty"`
}

// Consent records what the parent agreed to and when.
type Consent struct {
	At      time.Time `json:"at"`
	Version string    `json:"version"`
}

// Session is everything hailong keeps about one parent on one channel,
// stored under their respondent key. Nothing is stored before Consent.
type Session struct {
	Consent *Consent             `json:"consent,omitempty"`
	School  string               `json:"school,omitempty"`
	Grade   string               `json:"grade,omitempty"`
	Done    map[string]time.Time `json:"done,omitempty"` // wave/school → when answered

	Step    Step              `json:"step,omitempty"`
	Intent  Step              `json:"intent,omitempty"` // after choosing school and grade: StepQuestion or StepMenu
	Level   Level             `json:"level,omitempty"`
	Page    int               `json:"page,omitempty"`
	Wave    string            `json:"wave,omitempty"`
	Q       int               `json:"q,omitempty"`
	Answers map[string]string `json:"answers,omitempty"`
	// Nonce changes with every prompt; buttons carry it, so a press on an
	// older message is recognised and cannot change the current answer.
	Nonce   uint32    `json:"nonce"`
	Updated time.Time `json:"updated"`

	Draft  *Draft `json:"draft,omitempty"`
	Target uint64 `json:"target,omitempty"` // the complaint a step is about
	// Staff marks the session of a principal or office staff member,
	// kept without the parents' consent: they act in office.
	Staff bool `json:"staff,omitempty"`
	// OptOut is set by /stop: nothing but answers to their own messages
	// is sent until they /start again.
	OptOut bool `json:"opt_out,omitempty"`
	// Options are the button data of the last message with options sent
	// to a staff member on a channel without buttons: what a typed number
	// picks.
	Options []string `json:"options,omitempty"`
	// Announce is the announcement staff are writing.
	Announce *Announcement `json:"announce,omitempty"`
	// Lang is the language the user chose; empty is Vietnamese.
	Lang Lang `json:"lang,omitempty"`
}

func (s *Session) clone() *Session {
	c := *s
	if s.Consent != nil {
		cc := *s.Consent
		c.Consent = &cc
	}
	c.Done = maps.Clone(s.Done)
	c.Answers = maps.Clone(s.Answers)
	if s.Draft != nil {
		d := *s.Draft
		d.Photos = append([]string(nil), s.Draft.Photos...)
		c.Draft = &d
	}
	if s.Announce != nil {
		c.Announce = s.Announce.clone()
	}
	c.Options = slices.Clone(s.Options)
	return &c
}

// reset ends the step in progress, keeping consent, school and grade —
// and a survey's answers so far: a parent who files a complaint or reads
// the information pages midway comes back to the question they were at.
func (s *Session) reset() {
	s.Step, s.Intent, s.Level, s.Page = StepMenu, StepMenu, "", 0
	s.Draft, s.Target, s.Announce = nil, 0, nil
}

// dropSurvey forgets a survey's answers so far: it was sent, cancelled,
// left too long, its wave ended, or the parent turned to another school.
func (s *Session) dropSurvey() { s.Wave, s.Q, s.Answers = "", 0, nil }

// offered says whether Draft holds a text the parent typed outside a
// complaint and was offered to file as one, rather than a complaint being
// written (its steps, or choosing its school).
func (s *Session) offered() bool {
	return s.Draft != nil && s.Intent != StepCText && !strings.HasPrefix(string(s.Step), "c_")
}

// paused says whether a survey was left midway for something else.
func (s *Session) paused() bool {
	return s.Answers != nil && s.Step != StepQuestion && s.Step != StepConfirm
}

// Response is one parent's submitted answers for a school in a wave.
type Response struct {
	Wave    string            `json:"w"`
	School  string            `json:"s"`
	Level   Level             `json:"l"`
	Grade   string            `json:"g"`
	Answers map[string]string `json:"a"`
	// Buckets are what the answers were counted under in the aggregates,
	// so that replacing the response subtracts exactly what was added.
	Buckets map[string]string `json:"b"`
	At      time.Time         `json:"t"`
}

// Key is a respondent's pseudonymous key: an HMAC of the channel and the
// channel's user id, so the stored data never holds the raw id.
type Key [16]byte

// RespondentKey derives the key of user on channel under secret. A
// Keyer does it faster for many users.
func RespondentKey(secret []byte, channel, user string) Key {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(channel + ":" + user))
	return Key(m.Sum(nil)[:len(Key{})])
}

// Keyer computes HMAC-SHA256 under one secret, reusing its states: a new
// one hashes the secret twice before the message, a kept one is only
// reset. It is safe for concurrent use.
type Keyer struct{ pool sync.Pool }

type macState struct {
	h   hash.Hash
	buf []byte
}

// NewKeyer returns a Keyer for secret.
func NewKeyer(secret []byte) *Keyer {
	secret = bytes.Clone(secret)
	return &Keyer{pool: sync.Pool{New: func() any { return &macState{h: hmac.New(sha256.New, secret)} }}}
}

// Sum is the HMAC of the parts, concatenated.
func (k *Keyer) Sum(parts ...string) [sha256.Size]byte {
	st := k.pool.Get().(*macState)
	st.h.Reset()
	st.buf = st.buf[:0]
	for _, p := range parts {
		st.buf = append(st.buf, p...)
	}
	st.h.Write(st.buf)
	st.buf = st.h.Sum(st.buf[:0])
	var out [sha256.Size]byte
	copy(out[:], st.buf)
	k.pool.Put(st)
	return out
}

// Key derives the key of user on channel, as RespondentKey does.
func (k *Keyer) Key(channel, user string) Key {
	sum := k.Sum(channel, ":", user)
	return Key(sum[:len(Key{})])
}
