package flows

// Onboarding: which school, and the child's grade. A school's QR code or
// its code typed skips the list; the grade is asked only for the survey,
// and kept for the next.
//
//	levels [Mầm non] [Tiểu học] [THCS] ──▶ the level's schools, 8 a page
//	   [‹ Trước] [Sau ›] [↩ levels] ──▶ a school ──▶ grade [Lớp 1]… ──▶
//	   the intent: the survey (survey.go), a complaint's description
//	   (intake.go), or the menu (school changed)

import (
	"strconv"
	"strings"
)

const schoolsPerPage = 8

func (t *turn) askLevel(intent Step) {
	t.s.Step, t.s.Intent = StepLevel, intent
	t.moved()
	t.send(t.promptReply())
}

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

// schoolName is a school's name, or its code if it left the configuration.
func (e *Engine) schoolName(code string) string {
	if sc, ok := e.dir.School(code); ok {
		return sc.Name
	}
	return code
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

func (t *turn) levelReply() Reply {
	var row []Button
	for _, l := range Levels {
		if len(t.e.dir.SchoolsAt(l)) > 0 {
			row = append(row, Button{Label: l.NameIn(t.lang()), Data: t.nonced(levelAct(l))})
		}
	}
	return Reply{Text: t.T("level"), Buttons: [][]Button{row}}
}

func (t *turn) gradeReply() Reply {
	sc, ok := t.e.dir.School(t.s.School)
	if !ok {
		// The school left the configuration mid-way: pick again.
		t.s.Step = StepLevel
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
}

func (t *turn) levelPicked(p press) bool {
	l := Level(p.arg(0))
	if !l.Valid() {
		return false
	}
	t.listSchools(l, 0)
	return true
}

func (t *turn) pageTurned(p press) bool {
	page, err := strconv.Atoi(p.arg(0))
	if err != nil {
		return false
	}
	t.listSchools(t.s.Level, page)
	return true
}

func (t *turn) levelsAgain() { t.askLevel(t.s.Intent) }

func (t *turn) schoolPicked(p press) bool {
	sc, ok := t.e.dir.School(p.arg(0))
	if !ok {
		return false
	}
	t.chooseSchool(sc, t.s.Intent)
	return true
}

func (t *turn) gradePicked(p press) bool {
	if !t.validGrade(p.arg(0)) {
		return false
	}
	t.setGrade(p.arg(0))
	return true
}

// schoolTyped takes a school's code typed, as its QR code: from the menu
// it starts the survey there.
func (t *turn) schoolTyped(press) bool {
	sc, ok := t.e.dir.School(strings.TrimSpace(t.in.Text))
	if !ok {
		return false
	}
	intent := t.s.Intent
	if t.s.Step == StepMenu {
		intent = StepQuestion
		t.s.reset()
	}
	t.chooseSchool(sc, intent)
	return true
}

// unknownSchoolTyped answers what looks like a school's code but is none.
func (t *turn) unknownSchoolTyped(press) bool {
	code := strings.TrimSpace(t.in.Text)
	if !ValidCode(code) || !strings.ContainsAny(code, "-_0123456789") {
		return false
	}
	t.reprompt(t.T("school.unknown", clip(t.in.Text, 32)))
	return true
}
