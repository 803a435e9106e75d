package flows

// The survey: the open wave's questions for the school's level, one at a
// time, edited in place, then a review, then the response stored.
//
//	intro ──▶ question 1/N [options…] [‹ back] [skip] ──▶ … ──▶ question N
//	   ──▶ review: the answers [Gửi] [1] [2]… [‹ back] [làm lại]
//	      a number ──▶ that question, then back to the review
//	      Gửi ──▶ Result.Response; the menu, kept
//	A number or text question takes what is typed; an answer tapped on a
//	question already passed is recorded (lateAnswer); /huy drops the
//	answers, a complaint begun midway keeps them (the survey paused).

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

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

func (t *turn) surveying() bool { return t.s.Step == StepQuestion || t.s.Step == StepConfirm }

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

func optionOf(q *Question, value string, l Lang) (Option, bool) {
	for _, o := range q.ChoicesIn(l) {
		if o.Value == value {
			return o, true
		}
	}
	return Option{}, false
}

// typed handles a typed answer to a number or text question.
func (t *turn) typed(q *Question) {
	text := strings.TrimSpace(t.in.Text)
	if t.choose(flat(t.promptReply().Buttons), false, (*turn).press) {
		return // "không biết", "bỏ qua": an option's words
	}
	switch q.Kind {
	case Number:
		n, ok := leadingNumber(text)
		if !ok && meant(text) {
			t.heard(text, "")
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
func (t *turn) lateAnswer(p press) bool {
	if p.nonce == "" {
		return false
	}
	verb, arg := p.verb, p.rest()
	s := t.s
	if (verb == vGrade && arg == s.Grade || verb == vSchool && strings.EqualFold(arg, s.School)) && s.Step != StepGrade && s.School != "" {
		t.notice = t.T("tap.kept")
		if !t.doubleTap() {
			t.send(t.promptReply())
		}
		return true
	}
	value, id, tagged := p.arg(0), p.arg(1), len(p.args) == 2
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
	t.Response = r
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

// answerPressed takes an answer's button of the current question ("yes:A1":
// the answer and the question it answers; buttons sent before questions
// were named carry the answer alone).
func (t *turn) answerPressed(p press) bool {
	q := t.current()
	if q == nil {
		return false
	}
	value, id := p.arg(0), p.arg(1)
	if _, ok := optionOf(q, value, t.lang()); !ok || len(p.args) == 2 && id != q.ID {
		return false
	}
	t.answer(q, value)
	return true
}

// skipped takes "skip" on an optional question.
func (t *turn) skipped(press) bool {
	q := t.current()
	if q == nil || !q.Optional {
		return false
	}
	t.answer(q, "")
	return true
}

// back goes to the previous question, or from the review to the last.
func (t *turn) back(press) bool {
	s := t.s
	switch {
	case s.Step == StepConfirm:
		s.Step = StepQuestion
		s.Q = len(t.questions()) - 1
	case s.Q > 0:
		s.Q--
	default:
		return false
	}
	t.moved()
	t.send(t.promptReply())
	return true
}

// editAnswer takes a question's number at the review: that question, then
// back to the review.
func (t *turn) editAnswer(p press) bool {
	i, err := strconv.Atoi(p.arg(0))
	if err != nil || i < 0 || i >= len(t.questions()) {
		return false
	}
	t.s.Step, t.s.Q, t.s.Intent = StepQuestion, i, StepConfirm
	t.moved()
	t.send(t.promptReply())
	return true
}

// redo starts the survey's answers again.
func (t *turn) redo() {
	t.s.Step, t.s.Q, t.s.Answers = StepQuestion, 0, map[string]string{}
	t.moved()
	t.send(t.promptReply())
}

// answerTyped takes a typed answer to a number or text question.
func (t *turn) answerTyped(press) bool {
	q := t.current()
	if q == nil || q.Kind != Number && q.Kind != Text {
		return false
	}
	t.typed(q)
	return true
}
