package flows

// Comments: what parents wrote in the survey's free-text question, read by
// the staff of their school's scope, never with who wrote it, and only
// where enough parents answered (survey.min_respondents).
//
//	/gopy ──▶ their school's comments, newest first, 5 a page [◀ Mới hơn]
//	   [Cũ hơn]; a wider scope: its schools with comments, most first
//	/gopy CODE|UNIT ──▶ that school's, or that unit's schools
//	a digest's [Góp ý] ──▶ the same, below the digest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultMinRespondents is survey.min_respondents when none is set.
const DefaultMinRespondents = 5

// Comment is one parent's free-text answer (question C), as staff read it:
// never with who wrote it.
type Comment struct {
	Wave   string
	School string
	At     time.Time // when the response was last submitted
	Grade  string
	Text   string
}

// CommentCount is what a school has in a wave: its respondents, and how
// many of them wrote a comment.
type CommentCount struct {
	Respondents int
	Comments    int
}

// CommentsShown reports whether a school's comments of a wave may be shown:
// with fewer respondents than min, a comment may point at its writer.
func CommentsShown(respondents, min int) bool { return respondents >= min }

// CommentPage is how many comments one message shows.
const CommentPage = 5

// commentClip is the most of one comment a page shows (a comment may be
// 1,000 characters; five of them must fit one message).
const commentClip = 600

// Button data of the comments (no nonce: they work from any message, like
// a complaint's buttons, and the scope is checked at every press):
//
//	gy:<wave>:<school>:<skip>  a school's comments of a wave, from the skip-th newest
//	gl:<wave>:<skip>           the schools of the reader's scope that have comments
//	gd:<wave>[:<school>]       either, from a digest: in a message of its own,
//	                           where the others replace the page they were on
//
// A wave id is at most 16 characters and a school code 32: at most 59 bytes.
// CommentsButton is the button that opens a school's comments of a wave,
// for the principal's weekly digest.
func CommentsButton(wave, school string) Button {
	return Button{Label: T("gy.open"), Data: digestSchoolData(wave, school)}
}

// CommentSchoolsButton is the button that lists the schools of a scope
// with comments in a wave, for an office's weekly digest.
func CommentSchoolsButton(wave string) Button {
	return Button{Label: T("gy.open"), Data: digestData(wave)}
}

// GradeName is a grade as staff read it: "Lớp 3", "Lớp Lá (5–6 tuổi)".
func GradeName(g string) string {
	if g == "" {
		return ""
	}
	return gradeName(g, Vietnamese)
}

// CommentsHint is the line a channel without buttons shows under a digest
// instead of its comments button.
func CommentsHint() string { return T("gy.hint") }

// commentsCommand answers /gopy (or /comments): "/gopy" shows the comments
// of the reader's school, or the schools of their scope that have some;
// "/gopy CODE" a school's of their scope, "/gopy UNIT" those of a unit
// within it.
func (t *turn) commentsCommand() {
	schools := t.who.Schools
	w, ok := t.e.dir.LatestWave(t.in.Now) // open now, or else the latest started
	if !ok {
		t.say(T("gy.nowave"))
		return
	}
	if arg := strings.TrimSpace(t.in.Arg); arg != "" {
		// A school or a unit within the scope, as /baocao takes them.
		in, _, _, ok := t.narrow(schools, arg)
		if !ok {
			t.deny("gy.denied")
			return
		}
		if len(in) == 1 {
			t.comments(w, in[0], 0, len(schools) > 1)
			return
		}
		schools = in
	}
	if len(schools) == 1 {
		t.comments(w, schools[0], 0, false)
		return
	}
	t.commentSchools(w, schools, 0)
}

// commentsButton handles a press on gy:, gl: or gd: buttons.
func (t *turn) commentsButton(p press) bool {
	schools := t.who.Schools
	w, okw := t.e.dir.Wave(p.arg(0))
	switch p.verb {
	case vDigest:
		// From a digest: the digest stays (its verb stays), the comments
		// come below it.
		if school := p.arg(1); school != "" {
			return t.commentsButton(press{verb: vComments, args: []string{p.arg(0), school, "0"}})
		}
		return t.commentsButton(press{verb: vSchools, args: []string{p.arg(0), "0"}})
	case vSchools:
		n, err := strconv.Atoi(p.arg(1))
		if !okw || err != nil || n < 0 {
			t.deny("gy.stale")
			return true
		}
		t.commentSchools(w, schools, n)
		return true
	}
	n, err := strconv.Atoi(p.arg(2))
	if !okw || err != nil || n < 0 {
		t.deny("gy.stale")
		return true
	}
	sc, ok := t.e.dir.School(p.arg(1))
	if !ok || !slices.Contains(schools, sc.Code) {
		t.deny("gy.denied")
		return true
	}
	t.comments(w, sc.Code, n, len(schools) > 1)
	return true
}

// comments shows a page of a school's comments of a wave, newest first;
// list offers the way back to the scope's schools.
func (t *turn) comments(w *Wave, school string, skip int, list bool) {
	sc, _ := t.e.dir.School(school)
	count := t.look.CommentCounts(w.ID, []string{school})[school]
	switch {
	case !CommentsShown(count.Respondents, t.e.minResp):
		t.say(T("gy.few", sc.Name, w.Title, count.Respondents, t.e.minResp))
		return
	case count.Comments == 0:
		t.say(T("gy.none", sc.Name, w.Title, count.Respondents))
		return
	}
	skip = min(skip, (count.Comments-1)/CommentPage*CommentPage)
	page := t.look.Comments(w.ID, school, skip, CommentPage)
	t.audit("comments", school+" "+w.ID)
	var b strings.Builder
	b.WriteString(T("gy.head", sc.Name, w.Title, count.Comments, count.Respondents, skip+1, skip+len(page)))
	for _, c := range page {
		grade := ""
		if c.Grade != "" {
			grade = " · " + GradeName(c.Grade)
		}
		fmt.Fprintf(&b, "\n\n🗨 %s%s\n%s", c.At.In(t.e.loc).Format("02/01/2006"), grade, clip(c.Text, commentClip))
	}
	var nav []Button
	if skip > 0 {
		nav = append(nav, Button{Label: T("gy.newer"), Data: commentsData(w.ID, school, max(0, skip-CommentPage))})
	}
	if skip+len(page) < count.Comments {
		nav = append(nav, Button{Label: T("gy.older"), Data: commentsData(w.ID, school, skip+CommentPage)})
	}
	r := Reply{Text: clip(b.String(), 4000)}
	if len(nav) > 0 {
		r.Buttons = [][]Button{nav}
	}
	if list {
		r.Buttons = append(r.Buttons, []Button{{Label: T("gy.list"), Data: schoolsData(w.ID, 0)}})
	}
	t.send(r)
}

// schoolsPage is how many schools one message of the list shows.
const schoolsPage = 8

// commentSchools lists the schools of a scope with comments in a wave, most
// comments first; those with too few respondents are counted, not listed.
func (t *turn) commentSchools(w *Wave, schools []string, skip int) {
	counts := t.look.CommentCounts(w.ID, schools)
	type entry struct {
		code, name string
		n          int
	}
	var list []entry
	few := 0
	for _, code := range schools {
		c := counts[code]
		switch {
		case c.Comments == 0:
		case !CommentsShown(c.Respondents, t.e.minResp):
			few++
		default:
			sc, _ := t.e.dir.School(code)
			list = append(list, entry{code, sc.Name, c.Comments})
		}
	}
	slices.SortFunc(list, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.name, b.name))
	})
	text := T("gy.schools", w.Title, len(list))
	if few > 0 {
		text += "\n" + T("gy.schools.few", few, t.e.minResp)
	}
	if len(list) == 0 {
		t.say(text)
		return
	}
	skip = min(skip, (len(list)-1)/schoolsPage*schoolsPage)
	var rows [][]Button
	for _, e := range list[skip:min(len(list), skip+schoolsPage)] {
		rows = append(rows, []Button{{Label: fmt.Sprintf("%s (%d)", clip(e.name, 40), e.n), Data: commentsData(w.ID, e.code, 0)}})
	}
	var nav []Button
	if skip > 0 {
		nav = append(nav, Button{Label: T("gy.newer.schools"), Data: schoolsData(w.ID, max(0, skip-schoolsPage))})
	}
	if skip+schoolsPage < len(list) {
		nav = append(nav, Button{Label: T("gy.more.schools"), Data: schoolsData(w.ID, skip+schoolsPage)})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	t.send(Reply{Text: text, Buttons: rows})
}
