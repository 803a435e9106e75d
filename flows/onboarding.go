package flows

import "strconv"

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
