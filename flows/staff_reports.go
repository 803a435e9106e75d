package flows

// Reports for staff, asked for in the chat: the figures of their scope,
// or a part of it, for the wave so far or any days.
//
//	/baocao [UNIT|SCHOOL] [FROM TO] ──▶ "building…" ──▶ OutReport: the
//	   channel builds the report (digest) and sends its text and chart
//	/xuat … ──▶ the same as a workbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// reportRequest queues a report for staff: "/baocao" for the current wave
// so far, "/baocao 01/09/2026 15/01/2027" for any days (end inclusive);
// "/xuat" the same as a workbook. A unit's id or a school's code first
// ("/baocao sadec", "/baocao TH-01 01/09/2026 15/01/2027") narrows it to
// that part of the sender's scope.
func (t *turn) reportRequest(export bool) {
	schools := t.who.Schools
	now := t.in.Now.In(t.e.loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, t.e.loc)
	from, to := time.Time{}, today.AddDate(0, 0, 1)
	args := strings.Fields(t.in.Arg)
	scope, office := t.scopeName(), t.e.ScopeUnit(t.who)
	if len(args) == 1 || len(args) == 3 {
		var ok bool
		if schools, scope, office, ok = t.narrow(schools, args[0]); !ok {
			t.say(T("report.usage"))
			return
		}
		args = args[1:]
	}
	switch len(args) {
	case 0:
		from, to = t.e.DefaultPeriod(now)
	case 2:
		a, err1 := parseDay(args[0], t.e.loc)
		b, err2 := parseDay(args[1], t.e.loc)
		if err1 != nil || err2 != nil || b.Before(a) {
			t.say(T("report.usage"))
			return
		}
		from, to = a, b.AddDate(0, 0, 1)
	default:
		t.say(T("report.usage"))
		return
	}
	t.audit(map[bool]string{false: "report", true: "export"}[export], scope)
	t.say(T("report.building", scope, from.Format("02/01/2006"), to.AddDate(0, 0, -1).Format("02/01/2006")))
	t.Out = append(t.Out, Outgoing{Kind: OutReport, Channel: t.env.Channel, Chat: t.env.Chat, Priority: PriorityInteractive,
		Created: t.in.Now, Report: &ReportRequest{Scope: scope, Schools: schools, Office: office, From: from, To: to, Export: export}})
}

// narrow is the part of schools that arg names: a unit whose subtree is
// within them, or a school among them.
func (t *turn) narrow(schools []string, arg string) (in []string, scope, office string, ok bool) {
	if sc, found := t.e.dir.School(arg); found && slices.Contains(schools, sc.Code) {
		return []string{sc.Code}, sc.Name, "", true
	}
	o, found := t.e.dir.Office(arg)
	if !found {
		return nil, "", "", false
	}
	for _, sc := range t.e.dir.Under(o.ID) {
		if !slices.Contains(schools, sc.Code) {
			return nil, "", "", false // a unit above the sender's, or beside it
		}
		in = append(in, sc.Code)
	}
	return in, o.Name, o.ID, len(in) > 0
}

// scopeName names what the sender's reports and announcements cover.
func (t *turn) scopeName() string { return t.e.ScopeName(t.who) }

func parseDay(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"02/01/2006", "2/1/2006", time.DateOnly} {
		if d, err := time.ParseInLocation(layout, s, loc); err == nil {
			return d, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}
