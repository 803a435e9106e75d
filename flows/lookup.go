package flows

import "time"

// Lookup gives the engine read access to stored records in the
// transaction it runs in.
type Lookup interface {
	// Complaint returns a complaint by id.
	Complaint(id uint64) (*Complaint, bool)
	// Complaints returns the complaints filed under a respondent key,
	// newest first.
	ComplaintsBy(key Key) []*Complaint
	// OpenComplaints returns the open complaints of the given schools,
	// oldest first.
	OpenComplaints(schools []string) []*Complaint
	// NextComplaintID reserves the id of a new complaint.
	NextComplaintID() uint64
	// PrincipalOf returns the school a user ("channel:user") is bound to
	// by an invite.
	PrincipalOf(id string) (string, bool)
	// Principals returns the principals bound to a school by invites.
	Principals(school string) []Principal
	// Invite returns an invite by the hash of its code.
	Invite(hash string) (*Invite, bool)
	// ResponsesOf returns the stored survey responses of a respondent.
	ResponsesOf(key Key) []Response
	// Audit returns the latest staff actions, newest first.
	Audit(limit int) []AuditEntry
	// GroupTold reports whether a group chat ("channel:chat") that is no
	// office's was already told the bot works in private chats.
	GroupTold(id string) bool
	// Audience counts the parents who have used the bot for any of the
	// schools: those an announcement to them would reach.
	Audience(schools []string) int
	// Pre is what a user who has not consented chose (see Result.Pre).
	Pre(key Key) PreConsent
	// CommentCounts gives, for each of the schools, its respondents in a
	// wave and how many of them wrote a comment.
	CommentCounts(wave string, schools []string) map[string]CommentCount
	// Comments returns comments of a wave at a school, newest first: the
	// skip newest passed over, at most limit.
	Comments(wave, school string, skip, limit int) []Comment
	// WebLinks counts the dashboard sign-in links a user ("channel:user")
	// asked for since a time.
	WebLinks(actor string, since time.Time) int
}

// NoRecords is a Lookup with nothing stored, for tools and tests.
type NoRecords struct{ next uint64 }

// Complaint implements Lookup.
func (*NoRecords) Complaint(uint64) (*Complaint, bool) { return nil, false }

// ComplaintsBy implements Lookup.
func (*NoRecords) ComplaintsBy(Key) []*Complaint { return nil }

// OpenComplaints implements Lookup.
func (*NoRecords) OpenComplaints([]string) []*Complaint { return nil }

// NextComplaintID implements Lookup.
func (n *NoRecords) NextComplaintID() uint64 { n.next++; return n.next }

// PrincipalOf implements Lookup.
func (*NoRecords) PrincipalOf(string) (string, bool) { return "", false }

// Principals implements Lookup.
func (*NoRecords) Principals(string) []Principal { return nil }

// Invite implements Lookup.
func (*NoRecords) Invite(string) (*Invite, bool) { return nil, false }

// ResponsesOf implements Lookup.
func (*NoRecords) ResponsesOf(Key) []Response { return nil }

// Audit implements Lookup.
func (*NoRecords) Audit(int) []AuditEntry { return nil }

// GroupTold implements Lookup.
func (*NoRecords) GroupTold(string) bool { return false }

// Audience implements Lookup.
func (*NoRecords) Audience([]string) int { return 0 }

// CommentCounts implements Lookup.
func (*NoRecords) CommentCounts(string, []string) map[string]CommentCount { return nil }

// Comments implements Lookup.
func (*NoRecords) Comments(string, string, int, int) []Comment { return nil }

// Pre implements Lookup.
func (*NoRecords) Pre(Key) PreConsent { return PreConsent{} }

// WebLinks implements Lookup.
func (*NoRecords) WebLinks(string, time.Time) int { return 0 }
