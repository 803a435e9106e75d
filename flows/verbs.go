package flows

import (
	"strconv"
	"strings"
)

// Button data: every verb a button carries, declared once. The data is
// fields joined by ":" and comes in two shapes:
//
//	VERB[:ARG…]        plain: works from any message (menu, staff console, …)
//	NONCE:VERB[:ARG…]  nonced: belongs to the step prompt shown under the
//	                   session's nonce; a press on an older prompt is stale
//
// The shape decides, in readData alone: "a:12" adds information to
// complaint 12, "7:a:yes:A1" answers question A1. A plain menu button may
// also be wrapped as "y:" + data (keepData): the message it sits on stays.
//
// The wire format is fixed: stored sessions, sent messages and the golden
// transcripts hold it. A new verb is one row of verbs and, where it has
// arguments, one constructor below; what a press of it does is a row of
// the route tables (routes.go).

// Plain verbs.
const (
	vMenu     = "m"  // m:ITEM — a main-menu entry (menuSurvey, …)
	vOldAnn   = "n"  // n:s — the survey button of announcements of before "y:"
	vKeep     = "y"  // y:DATA — a kept menu's button (keepData)
	vInfo     = "i"  // i:f:PAGE, i:q:N, i:p, i:c, i:h, i:s — information pages
	vLang     = "lg" // lg:LANG[:SCHOOL] — switch language (before consent: with the school)
	vAgree    = "cy" // cy:SCHOOL[:LANG] — consent given
	vRefuse   = "cn" // cn[::LANG] — consent refused
	vAddInfo  = "a"  // a:ID — add information to one's complaint ID
	vFollowup = "f"  // f:ID:ANSWER — is resolved complaint ID solved (yes, no, dk)
	vStaff    = "k"  // k:ACTION:ID — a staff action on complaint ID (staffView, …)
	vList     = "s"  // s:list — the staff's list of open complaints
	vRevoke   = "rv" // rv:CHANNEL:USER — revoke a principal's invite
	vComments = "gy" // gy:WAVE:SCHOOL:SKIP — a school's comments of a wave
	vSchools  = "gl" // gl:WAVE:SKIP — the schools with comments in a wave
	vDigest   = "gd" // gd:WAVE[:SCHOOL] — either, from a digest
)

// Nonced verbs (after "NONCE:").
const (
	vLevel    = "l"      // l:LEVEL — list a level's schools
	vPage     = "p"      // p:PAGE — a page of schools
	vLevels   = "lv"     // back to the levels
	vSchool   = "s"      // s:CODE — pick a school
	vGrade    = "g"      // g:GRADE — pick a grade
	vAnswer   = "a"      // a:VALUE[:QID] — answer the current question
	vSkip     = "skip"   // skip an optional question
	vBack     = "back"   // the previous question
	vEdit     = "e"      // e:I — change answer I at the review
	vOK       = "ok"     // send the survey
	vOffer    = "cp"     // file the offered text as a complaint
	vRedo     = "redo"   // start the survey again
	vErase    = "erase"  // erase everything stored
	vCategory = "c"      // c:ID — a complaint's category
	vCancel   = "cancel" // leave the complaint
	vOther    = "cs"     // the complaint's school is another one
	vDone     = "done"   // no more photos
	vAnon     = "anon"   // stay anonymous
	vSend     = "send"   // send the complaint
	vRewrite  = "edit"   // write the complaint again
	vAnnounce = "n"      // n:ACTION — an announcement's (annSurvey, annSend, annEdit)
)

// Arguments that are words.
const (
	menuSurvey    = "s"
	menuSchool    = "c"
	menuHelp      = "h"
	menuComplaint = "p"
	menuMine      = "l"
	menuFormal    = "f"
	menuMain      = "m"
	menuMyData    = "d"
	menuInfo      = "i"
	menuErase     = "x"

	staffView  = "view"
	staffAck   = "ack"
	staffReply = "reply"
	staffRefer = "refer"
	staffDone  = "done"
	staffDup   = "dup"
	staffMove  = "move"

	annSurvey = "survey"
	annSend   = "send"
	annEdit   = "edit"

	infoFAQ      = "f"
	infoQuestion = "q"
	infoPlan     = "p"
	infoPolicies = "c"
	infoHotline  = "h"
	infoServices = "s"

	listArg = "list"

	followupYes = "yes"
	followupNo  = "no"
	followupDK  = "dk"
)

// verb is one row of the table: its name (the data's first field after
// any nonce), whether it carries the nonce, how many arguments it takes,
// and what it means.
type verb struct {
	name     string
	nonced   bool
	min, max int // arguments after the name
	means    string
	tail     bool // the last argument is the rest of the data, ":" and all
	staff    bool // staff's alone: pressed by anyone else, refused
	// stays: the message it sits on stays as it is (a kept menu, an
	// announcement, a digest); the reply to it is a new message.
	stays bool
}

var verbs = []verb{
	{vMenu, false, 1, 1, "a main-menu entry", false, false, false},
	{vOldAnn, false, 1, 1, "an old announcement's survey button", false, false, true},
	{vKeep, false, 2, 2, "a kept menu's button", false, false, true},
	{vInfo, false, 1, 2, "an information page", false, false, false},
	{vLang, false, 1, 2, "switch language", false, false, false},
	{vAgree, false, 1, 2, "consent given", false, false, false},
	{vRefuse, false, 0, 2, "consent refused", false, false, false},
	{vAddInfo, false, 1, 1, "add information to one's complaint", false, false, false},
	{vFollowup, false, 2, 2, "answer the follow-up of a resolved complaint", false, false, false},
	{vStaff, false, 2, 2, "a staff action on a complaint", false, true, false},
	{vList, false, 1, 1, "the staff's list", false, true, false},
	{vRevoke, false, 1, 1, "revoke a principal's invite (CHANNEL:USER)", true, true, false},
	{vComments, false, 3, 3, "a school's comments", false, true, false},
	{vSchools, false, 2, 2, "the schools with comments", false, true, false},
	{vDigest, false, 1, 2, "comments from a digest", false, true, true},

	{vLevel, true, 1, 1, "list a level's schools", false, false, false},
	{vPage, true, 1, 1, "a page of schools", false, false, false},
	{vLevels, true, 0, 0, "back to the levels", false, false, false},
	{vSchool, true, 1, 1, "pick a school", false, false, false},
	{vGrade, true, 1, 1, "pick a grade", false, false, false},
	{vAnswer, true, 1, 2, "answer the question", false, false, false},
	{vSkip, true, 0, 0, "skip the question", false, false, false},
	{vBack, true, 0, 0, "the previous question", false, false, false},
	{vEdit, true, 1, 1, "change an answer", false, false, false},
	{vOK, true, 0, 0, "send the survey", false, false, false},
	{vOffer, true, 0, 0, "file the offered text as a complaint", false, false, false},
	{vRedo, true, 0, 0, "start the survey again", false, false, false},
	{vErase, true, 0, 0, "erase everything stored", false, false, false},
	{vCategory, true, 1, 1, "a complaint's category", false, false, false},
	{vCancel, true, 0, 0, "leave the complaint", false, false, false},
	{vOther, true, 0, 0, "another school", false, false, false},
	{vDone, true, 0, 0, "no more photos", false, false, false},
	{vAnon, true, 0, 0, "stay anonymous", false, false, false},
	{vSend, true, 0, 0, "send the complaint", false, false, false},
	{vRewrite, true, 0, 0, "write the complaint again", false, false, false},
	{vAnnounce, true, 1, 1, "an announcement's action", false, false, false},
}

// stays says the message a press on data sits on stays as it is (see
// verb.stays).
func stays(data string) bool {
	p, ok := readData(data)
	if !ok {
		return false
	}
	for _, v := range verbs {
		if v.name == p.verb && v.nonced == (p.nonce != "") {
			return v.stays
		}
	}
	return false
}

// staffOnly says the data is a staff verb's (a complaint's action, the
// list, a revocation, the comments): someone no longer staff who presses an
// old one is told so, not shown a parent's screen.
func (p press) staffOnly() bool {
	for _, v := range verbs {
		if v.name == p.verb && v.nonced == (p.nonce != "") {
			return v.staff
		}
	}
	return false
}

// press is button data read: its verb, its nonce (nonced verbs) and its
// arguments.
type press struct {
	verb  string
	nonce string
	args  []string
}

// arg is the i-th argument, "" when absent.
func (p press) arg(i int) string {
	if i < len(p.args) {
		return p.args[i]
	}
	return ""
}

// rest is the data after the verb.
func (p press) rest() string { return strings.Join(p.args, ":") }

// nonceOf is the nonce nonced data starts with.
func nonceOf(data string) (string, bool) {
	n, _, ok := strings.Cut(data, ":")
	return n, ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// readData reads button data by its shape: nonced when it starts with a
// number, plain otherwise; ok is false for data no verb takes.
func readData(data string) (press, bool) {
	var p press
	fields := strings.Split(data, ":")
	nonced := false
	if n, ok := nonceOf(data); ok {
		p.nonce, fields, nonced = n, fields[1:], true
	}
	for _, v := range verbs {
		args := fields[1:]
		if v.tail && len(args) > v.max {
			args = append(args[:v.max-1:v.max-1], strings.Join(args[v.max-1:], ":"))
		}
		if v.nonced == nonced && v.name == fields[0] && len(args) >= v.min && len(args) <= v.max {
			p.verb, p.args = v.name, args
			return p, true
		}
	}
	return press{}, false
}

func join(fields ...string) string { return strings.Join(fields, ":") }

func id10(id uint64) string { return strconv.FormatUint(id, 10) }

// Constructors of plain data.

func menuData(item string) string             { return join(vMenu, item) }
func keepData(data string) string             { return join(vKeep, data) }
func infoData(page string) string             { return join(vInfo, page) }
func infoNData(page string, n int) string     { return join(vInfo, page, strconv.Itoa(n)) }
func addInfoData(id uint64) string            { return join(vAddInfo, id10(id)) }
func followupData(id uint64, a string) string { return join(vFollowup, id10(id), a) }
func staffData(action string, id uint64) string {
	return join(vStaff, action, id10(id))
}
func listData() string              { return join(vList, listArg) }
func revokeData(id string) string   { return join(vRevoke, id) }
func oldAnnounceData() string       { return join(vOldAnn, menuSurvey) }
func digestData(wave string) string { return join(vDigest, wave) }
func digestSchoolData(wave, school string) string {
	return join(vDigest, wave, school)
}
func commentsData(wave, school string, skip int) string {
	return join(vComments, wave, school, strconv.Itoa(skip))
}
func schoolsData(wave string, skip int) string {
	return join(vSchools, wave, strconv.Itoa(skip))
}

// langData switches to lang; before consent it carries the school.
func langData(to Lang, school string) string {
	if school == "" {
		return join(vLang, string(to))
	}
	return join(vLang, string(to), school)
}

// agreeData and refuseData answer the consent prompt; in English they
// carry the language.
func agreeData(school string, l Lang) string {
	if l == English {
		return join(vAgree, school, string(l))
	}
	return join(vAgree, school)
}

func refuseData(l Lang) string {
	if l == English {
		return join(vRefuse, "", string(l))
	}
	return vRefuse
}

// Constructors of nonced actions (turn.nonced puts the nonce in front).

func levelAct(l Level) string            { return join(vLevel, string(l)) }
func pageAct(page int) string            { return join(vPage, strconv.Itoa(page)) }
func schoolAct(code string) string       { return join(vSchool, code) }
func gradeAct(g string) string           { return join(vGrade, g) }
func answerAct(value, qid string) string { return join(vAnswer, value, qid) }
func editAct(i int) string               { return join(vEdit, strconv.Itoa(i)) }
func categoryAct(id string) string       { return join(vCategory, id) }
func annAct(action string) string        { return join(vAnnounce, action) }

// navigation says whether a button's data is one of the survey's moves
// ("12:back", "12:skip", "12:ok", "12:redo") rather than an answer.
func navigation(data string) bool {
	p, ok := readData(data)
	if !ok || p.nonce == "" {
		return false
	}
	switch p.verb {
	case vBack, vSkip, vOK, vRedo:
		return true
	}
	return false
}

// unkept is the data within a kept menu's (keepData).
func unkept(data string) string { return strings.TrimPrefix(data, vKeep+":") }
