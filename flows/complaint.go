package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Category is a kind of complaint (phản ánh, kiến nghị), with who must act
// and how fast.
type Category struct {
	ID     string
	Name   string
	Days   int             // working days to resolve
	Urgent bool            // the office chat is alerted at once, not only the principal
	Tr     map[Lang]string // the name in other languages than Vietnamese
}

// DefaultCategories are the categories of PRODUCT.md.
func DefaultCategories() []Category {
	cats := []Category{
		{ID: "csvc", Name: "Cơ sở vật chất", Days: 10},
		{ID: "siso", Name: "Sĩ số, ca học", Days: 10},
		{ID: "daythem", Name: "Dạy thêm, học thêm", Days: 10},
		{ID: "thuchi", Name: "Thu chi, công khai tài chính", Days: 10},
		{ID: "giangday", Name: "Chất lượng giảng dạy, thái độ giáo viên", Days: 10},
		{ID: "lienlac", Name: "Thông tin, liên lạc với nhà trường", Days: 10},
		{ID: "antoan", Name: "An toàn, bạo lực học đường, thực phẩm", Days: 5, Urgent: true},
		{ID: "thutuc", Name: "Thủ tục hành chính (tuyển sinh, chuyển trường)", Days: 10},
		{ID: "khac", Name: "Khác", Days: 10},
	}
	for i := range cats {
		cats[i].Tr = map[Lang]string{English: categoryNamesEn[cats[i].ID]}
	}
	return cats
}

// Status is where a complaint stands.
type Status string

// Complaint statuses.
const (
	StatusNew       Status = "new"       // Mới
	StatusAcked     Status = "acked"     // Đã tiếp nhận
	StatusWorking   Status = "working"   // Đang xử lý
	StatusResolved  Status = "resolved"  // Đã giải quyết
	StatusReferred  Status = "referred"  // Không thuộc thẩm quyền (with a referral)
	StatusDuplicate Status = "duplicate" // Trùng
)

// Open reports whether the complaint still needs action.
func (s Status) Open() bool { return s == StatusNew || s == StatusAcked || s == StatusWorking }

// Name is the status as parents and staff read it.
func (s Status) Name() string { return s.NameIn(Vietnamese) }

// Address is where a party of a complaint is reached.
type Address struct {
	Channel string `json:"ch"`
	Chat    string `json:"chat"`
}

// Event is one entry of a complaint's history.
type Event struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // "parent", "principal:<school>", "office:<id>", "system"
	Action string    `json:"action"`
	Note   string    `json:"note,omitempty"`
}

// Complaint is one parent's complaint about a school.
type Complaint struct {
	ID       uint64   `json:"id"`
	School   string   `json:"school"`
	Office   string   `json:"office"`
	Category string   `json:"category"`
	Text     string   `json:"text"`
	Photos   []string `json:"photos,omitempty"` // channel file references

	Anonymous bool   `json:"anonymous"`
	Phone     string `json:"phone,omitempty"`
	// Lang is the language the parent reads; what they are told of the
	// complaint is written in it.
	Lang Lang `json:"lang,omitempty"`
	// Reporter is where the parent is told of every change; the bot alone
	// keeps it. ReporterKey ties the complaint to the parent's session.
	Reporter    Address `json:"reporter"`
	ReporterKey Key     `json:"reporter_key"`

	Status     Status    `json:"status"`
	Created    time.Time `json:"created"`
	AckDue     time.Time `json:"ack_due"`
	ResolveDue time.Time `json:"resolve_due"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Escalated records the deadlines already escalated to the office,
	// so each is escalated once.
	Escalated []string `json:"escalated,omitempty"`
	Reopened  int      `json:"reopened,omitempty"`
	Followup  string   `json:"followup,omitempty"` // the parent's answer after resolution
	// Folded says the complaint was filed in a burst of its parent's, so
	// its alert was one short message: its photos go with its card when
	// staff open it.
	Folded bool `json:"folded,omitempty"`
	// Added is the information the parent added after filing (at most
	// MaxAdditions, MaxAddedChars in all), shown on the complaint's card.
	Added []Event `json:"added,omitempty"`
	// History is what happened to the complaint that is not stored yet:
	// the store keeps a complaint's history apart, appending each event
	// once, so a complaint read from it carries none (one written before
	// that, its whole history until it is next saved). The engine only
	// appends to it.
	History []Event `json:"history,omitempty"`
}

// CountedIn reports whether a report of the period [from, to) counts the
// complaint at all: filed before to, and filed in the period, still open,
// or closed on or after from. A report (digest.complaintStats) and the
// store that reads complaints for it (store.ComplaintFacts) hold to it.
func (c *Complaint) CountedIn(from, to time.Time) bool {
	if !c.Created.Before(to) {
		return false
	}
	return c.Status.Open() || !c.Created.Before(from) || (!c.ResolvedAt.IsZero() && !c.ResolvedAt.Before(from))
}

// OpenAt says whether the complaint was open at t: open now, or closed at
// t or later.
func (c *Complaint) OpenAt(t time.Time) bool {
	return c.Status.Open() || (!c.ResolvedAt.IsZero() && !c.ResolvedAt.Before(t))
}

// OverdueAt says whether the complaint, open at t, was past a deadline
// then: not acknowledged before t with AckDue gone, or ResolveDue gone.
// The one rule of the staff's list, the dashboard, reports (t their end)
// and the publication (t when made).
func (c *Complaint) OverdueAt(t time.Time) bool {
	if !c.OpenAt(t) {
		return false
	}
	acked := !c.AckedAt.IsZero() && c.AckedAt.Before(t)
	return t.After(c.ResolveDue) || (!acked && t.After(c.AckDue))
}

// AckedOnTime says whether the complaint was acknowledged by its deadline.
func (c *Complaint) AckedOnTime() bool { return !c.AckedAt.IsZero() && !c.AckedAt.After(c.AckDue) }

// ResolvedOnTime says whether the complaint was resolved by its deadline.
func (c *Complaint) ResolvedOnTime() bool {
	return c.Status == StatusResolved && !c.ResolvedAt.IsZero() && !c.ResolvedAt.After(c.ResolveDue)
}

// additionsFull says the complaint takes no more additions.
func (c *Complaint) additionsFull() bool {
	return len(c.Added) >= MaxAdditions || c.addedChars() >= MaxAddedChars
}

// addedChars is how many characters the parent has added in all.
func (c *Complaint) addedChars() int {
	n := 0
	for _, ev := range c.Added {
		n += utf8.RuneCountInString(ev.Note)
	}
	return n
}

// Code is the ticket code the parent is given.
func (c *Complaint) Code() string { return ComplaintCode(c.ID) }

// ParseComplaintCode reads a ticket code such as "PA-000123" (any case).
func ParseComplaintCode(s string) (uint64, bool) {
	rest, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(s)), "PA-")
	if !ok || rest == "" || len(rest) > 12 {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	return id, err == nil && id > 0
}

// ComplaintCode formats a complaint id as its ticket code.
func ComplaintCode(id uint64) string { return fmt.Sprintf("PA-%06d", id) }

func (c *Complaint) escalated(which string) bool { return slices.Contains(c.Escalated, which) }

func (c *Complaint) log(at time.Time, actor, action, note string) {
	c.History = append(c.History, Event{At: at, Actor: actor, Action: action, Note: note})
}

func (c *Complaint) clone() *Complaint {
	x := *c
	x.Photos = append([]string(nil), c.Photos...)
	x.Escalated = append([]string(nil), c.Escalated...)
	x.History = append([]Event(nil), c.History...)
	x.Added = append([]Event(nil), c.Added...)
	return &x
}
