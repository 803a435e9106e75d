package flows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEveryVerbRouted: every verb of the table is taken by a route of some
// table (a verb no route takes is a button that does nothing), and every
// verb a route names is in the table with the same shape.
func TestEveryVerbRouted(t *testing.T) {
	taken := map[string]bool{} // "plain:m", "nonced:a"
	for _, table := range [][]route{parentRoutes, staffRoutes, consentRoutes} {
		for _, r := range table {
			if r.on.kind != KindButton || r.on.any {
				continue
			}
			shape := "plain"
			if r.on.press != plain {
				shape = "nonced"
			}
			for _, v := range r.on.names {
				known := slices.ContainsFunc(verbs, func(x verb) bool { return x.name == v && x.nonced == (shape == "nonced") })
				if !known {
					t.Errorf("a route takes %s verb %q, which verbs.go does not declare", shape, v)
				}
				taken[shape+":"+v] = true
			}
		}
	}
	for _, v := range verbs {
		shape := "plain"
		if v.nonced {
			shape = "nonced"
		}
		if v.name == vKeep {
			continue // a wrapper: its data within is routed (unkept)
		}
		if !taken[shape+":"+v.name] {
			t.Errorf("%s verb %q (%s) is taken by no route", shape, v.name, v.means)
		}
	}
}

// TestButtonRoutesDisjoint: within a table, no two button routes take the
// same press at the same step, so that the order of the button rows never
// decides (typed text is read in order, on purpose).
func TestButtonRoutesDisjoint(t *testing.T) {
	overlap := func(a, b []Step) bool {
		return a == nil || b == nil || slices.ContainsFunc(a, func(s Step) bool { return slices.Contains(b, s) })
	}
	for name, table := range map[string][]route{"parent": parentRoutes, "staff": staffRoutes, "consent": consentRoutes} {
		for i, a := range table {
			for j := i + 1; j < len(table); j++ {
				b := table[j]
				if a.on.kind != KindButton || b.on.kind != KindButton || a.on.any || b.on.any || a.on.press != b.on.press {
					continue
				}
				for _, v := range a.on.names {
					if slices.Contains(b.on.names, v) && overlap(a.at, b.at) {
						t.Errorf("%s routes %d and %d both take %q at the same step", name, i, j, v)
					}
				}
			}
		}
	}
}

// TestStaffActsComplete: every action on a complaint has its handler, its
// button's label in both catalogs, and an action that asks for a text has
// its prompt in both and a step of its own.
func TestStaffActsComplete(t *testing.T) {
	steps := map[Step]string{}
	for _, a := range staffActs {
		if (a.press == nil) == (a.ask == "") {
			t.Errorf("action %q: want a press or an ask, one of them", a.name)
		}
		if a.ask != "" && a.text == nil {
			t.Errorf("action %q asks for a text and takes none", a.name)
		}
		for _, key := range []msg{a.label, a.ask} {
			if key == "" {
				continue
			}
			if vi[key] == "" || en[key] == "" {
				t.Errorf("action %q: %q is missing from a catalog", a.name, key)
			}
		}
		if a.ask != "" {
			if other, dup := steps[a.step()]; dup {
				t.Errorf("actions %q and %q share the step %q", a.name, other, a.step())
			}
			steps[a.step()] = a.name
		}
	}
	// The steps of reply and referral are stored in sessions: they must
	// keep their names.
	if steps[StepStaffReply] != staffReply || steps[StepStaffRefer] != staffRefer {
		t.Errorf("the reply and referral steps moved: %v", steps)
	}
}

// TestInputNeverRewritten: no handler rewrites the input it was given (a
// typed choice goes to the routes as the option's press, through choose;
// the input stays what it was).
func TestInputNeverRewritten(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for _, l := range as.Lhs {
				if sel, ok := l.(*ast.SelectorExpr); ok {
					if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "in" {
						t.Errorf("%s: the input is rewritten (%s.%s)", fset.Position(as.Pos()), "in", sel.Sel.Name)
					}
					if sel.Sel.Name == "in" {
						t.Errorf("%s: the input is replaced", fset.Position(as.Pos()))
					}
				}
			}
			return true
		})
	}
}

// TestTypedChoiceIsNotATap: a number typed on a channel without buttons is
// the option's press, but not a tap: its reply is a new message (never an
// edit of the parent's own message), and an option shown under an older
// nonce, typed within seconds of the previous input, is answered (a tap
// again would only be acknowledged — silence where there is nothing to
// acknowledge).
func TestTypedChoiceIsNotATap(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	at := func(nonce uint32) *Session {
		return &Session{Consent: &Consent{At: now}, School: "TH-03", Grade: "3", Step: StepQuestion, Wave: "w1",
			Answers: map[string]string{}, Nonce: nonce, Updated: now.Add(-3 * time.Second),
			Options: []string{"7:" + answerAct("yes", "A1"), "7:" + answerAct("no", "A1")}}
	}
	typed := func(s *Session, text string) Result {
		return e.Handle(s, Envelope{Channel: "zalo", User: "1", Chat: "1", MessageRef: "msg-1",
			Input: Input{Kind: KindText, Text: text, Numbered: true, Now: now}}, nil)
	}
	res := typed(at(7), "1")
	if res.Session == nil || res.Session.Answers["A1"] != "yes" {
		t.Fatalf("«1» did not answer question 1: %+v", res.Session)
	}
	for _, o := range res.Out {
		if o.EditRef != "" || o.Reply.Edit {
			t.Errorf("a typed choice's reply edits message %q: %+v", o.EditRef, o.Reply)
		}
	}
	// The options remembered are of an older screen (nonce 7, now 9: the
	// levels' list), and the last input was 3 s ago.
	old := at(9)
	old.Options = []string{"7:" + levelAct(Primary)}
	res = typed(old, "1")
	if len(res.Out) == 0 || res.Out[0].Kind != OutMessage {
		t.Fatalf("a typed option of an older screen got no message: %+v", res.Out)
	}
}

// TestSchoolsNamed: a school typed by its name for a move names the
// scope's schools with those words, whole: "số 1" is not "số 10".
func TestSchoolsNamed(t *testing.T) {
	e := testEngine(t)
	scope, _ := e.dir.Scope("test:901")
	tn := &turn{e: e, who: Actor{Schools: scope}}
	for text, want := range map[string]string{
		"so 1":               "TH-01",
		"Tiểu học SỐ 10":     "TH-10",
		"hồng nhung":         "MN-HN",
		"tieu hoc so":        "TH-01 TH-02 TH-03 TH-04 TH-05 TH-06 TH-07 TH-08 TH-09 TH-10",
		"so":                 "", // too short to name anything
		"Trường THCS Lê Lợi": "",
	} {
		if got := strings.Join(tn.schoolsNamed(text), " "); got != want {
			t.Errorf("%q names %q, want %q", text, got, want)
		}
	}
}

// TestStaffTypingExpired: a reply typed after the session's expiry is not
// sent, and the principal is told so — not shown the help as if nothing
// had been begun.
func TestStaffTypingExpired(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	c := &Complaint{ID: 1, School: "TH-03", Office: "sadec", Category: "csvc", Text: "Cửa sổ lớp 2A bị vỡ kính.", Anonymous: true,
		Reporter: Address{"test", "42"}, Status: StatusNew, Created: now, AckDue: now.Add(24 * time.Hour), ResolveDue: now.AddDate(0, 0, 14)}
	look := &memRecords{byID: map[uint64]*Complaint{1: c}, next: 1}
	s := &Session{Staff: true, Step: StepStaffReply, Target: 1, Updated: now}
	later := now.Add(73 * time.Hour)
	res := e.Handle(s, Envelope{Channel: "test", User: "900", Chat: "900", Input: ParseText("Nhà trường đã thay kính.", later)}, look)
	if len(res.Complaints) > 0 {
		t.Errorf("a reply typed after the expiry changed the complaint: %+v", res.Complaints)
	}
	if len(res.Out) == 0 || !strings.Contains(res.Out[0].Reply.Text, "PA-000001") || !strings.Contains(res.Out[0].Reply.Text, "chưa gửi gì") {
		t.Errorf("the principal was not told their reply was not sent: %+v", res.Out)
	}
}

// TestPressInGroupNotAUnits: a press in a group that is no unit's (its chat
// id changed, the unit left the configuration) is answered with a notice,
// not an empty acknowledgement.
func TestPressInGroupNotAUnits(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	res := e.Handle(nil, Envelope{Channel: "test", User: "901", Chat: "-999", CallbackID: "cb", MessageRef: "5",
		Input: Input{Kind: KindButton, Data: staffData(staffAck, 1), Group: true, Now: now}}, nil)
	if len(res.Out) != 1 || res.Out[0].Kind != OutAck || res.Out[0].Reply.Text == "" {
		t.Errorf("a press in a group that is no unit's: %+v", res.Out)
	}
}

// TestDefaultPeriod: /baocao without days covers the wave open now up to
// today; between waves the latest wave, whole (not the week since, which
// has nothing in it); before any wave the last week. The dashboard and
// `hailong export` ask the same function.
func TestDefaultPeriod(t *testing.T) {
	e := testEngine(t) // w1: 2026-09-01 to 2027-01-16
	for _, c := range []struct{ now, from, to string }{
		{"2026-11-26", "2026-09-01", "2026-11-27"},
		{"2027-02-10", "2026-09-01", "2027-01-16"},
		{"2026-08-20", "2026-08-13", "2026-08-21"},
	} {
		now, _ := time.ParseInLocation(time.DateOnly, c.now, hcm)
		now = now.Add(10 * time.Hour)
		res := e.Handle(nil, Envelope{Channel: "test", User: "901", Chat: "901", Input: ParseText("/baocao", now)}, nil)
		var req *ReportRequest
		for _, o := range res.Out {
			if o.Report != nil {
				req = o.Report
			}
		}
		if req == nil {
			t.Fatalf("%s: no report queued", c.now)
		}
		if got := req.From.In(hcm).Format(time.DateOnly) + " " + req.To.In(hcm).Format(time.DateOnly); got != c.from+" "+c.to {
			t.Errorf("/baocao on %s covers %s, want %s %s", c.now, got, c.from, c.to)
		}
	}
}

// TestOverdueAt: the one rule of "overdue" — open at the time, and past
// the acknowledgement's deadline unacknowledged or past the resolution's.
func TestOverdueAt(t *testing.T) {
	d := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	base := Complaint{Status: StatusNew, Created: d, AckDue: d.Add(24 * time.Hour), ResolveDue: d.AddDate(0, 0, 14)}
	acked := base
	acked.Status, acked.AckedAt = StatusAcked, d.Add(time.Hour)
	closedLate := base
	closedLate.Status, closedLate.AckedAt, closedLate.ResolvedAt = StatusResolved, d.Add(time.Hour), d.AddDate(0, 0, 20)
	for _, c := range []struct {
		name string
		c    Complaint
		at   time.Time
		want bool
	}{
		{"new, within a day", base, d.Add(2 * time.Hour), false},
		{"new, past the acknowledgement", base, d.Add(25 * time.Hour), true},
		{"acknowledged, within the resolution", acked, d.Add(25 * time.Hour), false},
		{"acknowledged, past the resolution", acked, d.AddDate(0, 0, 15), true},
		{"closed late, judged while still open", closedLate, d.AddDate(0, 0, 15), true},
		{"closed late, judged after it closed", closedLate, d.AddDate(0, 0, 21), false},
	} {
		if got := c.c.OverdueAt(c.at); got != c.want {
			t.Errorf("%s: overdue %v, want %v", c.name, got, c.want)
		}
	}
}
