package flows

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// provinceDirectory is a department with two wards under it and a school
// in each; the department's chat is -300, the wards' -100 and -200.
func provinceDirectory() *Directory {
	return &Directory{
		Offices: []Office{
			{ID: "dongthap", Name: "Sở GDĐT tỉnh Đồng Tháp", Chat: "test:-300", Staff: []string{"test:906"}},
			{ID: "sadec", Name: "UBND phường Sa Đéc", Parent: "dongthap", Chat: "test:-100", Staff: []string{"test:901"}},
			{ID: "caolanh", Name: "UBND phường Cao Lãnh", Parent: "dongthap", Staff: []string{"test:907"}},
		},
		Schools: []School{
			{Code: "TH-SD", Name: "Trường Tiểu học Sa Đéc", Level: Primary, Office: "sadec", Enrolment: 400},
			{Code: "TH-CL", Name: "Trường Tiểu học Cao Lãnh", Level: Primary, Office: "caolanh"},
			{Code: "MN-SO", Name: "Trường Mầm non của Sở", Level: Preschool, Office: "dongthap"},
		},
		Waves: []Wave{{ID: "w1", Title: "Học kì I", Start: day("2026-09-01"), End: day("2027-01-16")}},
	}
}

func TestDirectoryTree(t *testing.T) {
	d := provinceDirectory()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	codes := func(ss []*School) (out []string) {
		for _, s := range ss {
			out = append(out, s.Code)
		}
		return out
	}
	if got := codes(d.Under("dongthap")); !reflect.DeepEqual(got, []string{"TH-SD", "TH-CL", "MN-SO"}) {
		t.Errorf("Under(dongthap) = %v, want every school", got)
	}
	if got := codes(d.Under("sadec")); !reflect.DeepEqual(got, []string{"TH-SD"}) {
		t.Errorf("Under(sadec) = %v", got)
	}
	var chain []string
	for _, o := range d.Chain("sadec") {
		chain = append(chain, o.ID)
	}
	if !reflect.DeepEqual(chain, []string{"sadec", "dongthap"}) {
		t.Errorf("Chain(sadec) = %v", chain)
	}
	if d.Top().ID != "dongthap" || len(d.Children("dongthap")) != 2 {
		t.Errorf("Top %s, children %d", d.Top().ID, len(d.Children("dongthap")))
	}
	for id, want := range map[string][]string{
		"test:906": {"TH-SD", "TH-CL", "MN-SO"}, // the department sees every school
		"test:901": {"TH-SD"},                   // a ward its own
		"test:907": {"TH-CL"},
		"test:42":  nil,
	} {
		if got, _ := d.Scope(id); !reflect.DeepEqual(got, want) {
			t.Errorf("Scope(%s) = %v, want %v", id, got, want)
		}
	}

	// A one-level configuration, as before the tree, works unchanged.
	flat := provinceDirectory()
	flat.Offices = flat.Offices[1:2]
	flat.Offices[0].Parent = ""
	flat.Schools = flat.Schools[:1]
	if err := flat.Validate(); err != nil {
		t.Fatal(err)
	}
	if flat.Top().ID != "sadec" || len(flat.Under("sadec")) != 1 {
		t.Errorf("flat: top %s, under %d", flat.Top().ID, len(flat.Under("sadec")))
	}

	for name, c := range map[string]struct {
		mutate func(*Directory)
		want   string
	}{
		"unknown parent": {func(d *Directory) { d.Offices[1].Parent = "nowhere" }, `parent "nowhere": no office`},
		"own parent":     {func(d *Directory) { d.Offices[1].Parent = "sadec" }, "parent is the office itself"},
		"circle": {func(d *Directory) { d.Offices[0].Parent = "caolanh" },
			"go round in a circle"},
		"template in a name": {func(d *Directory) { d.Offices[1].Name = "UBND {unit}" }, "are not allowed"},
	} {
		d := provinceDirectory()
		c.mutate(d)
		if err := d.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
}

// TestEscalationFollowsTree: a passed deadline goes to the school's ward;
// still overdue escalate_after working days later, to the department; each
// step once.
func TestEscalationFollowsTree(t *testing.T) {
	d := provinceDirectory()
	e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: d, Location: hcm, EscalateAfter: 3})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 12, 1, 17, 0, 0, 0, hcm) // a Tuesday
	c := &Complaint{ID: 7, School: "TH-SD", Office: "sadec", Category: "csvc", Status: StatusNew,
		Created: due.AddDate(0, 0, -1), AckDue: due, ResolveDue: due.AddDate(0, 0, 14)}
	chats := func(out []Outgoing) (got []string) {
		for _, o := range out {
			if !slices.Contains(got, o.Chat) {
				got = append(got, o.Chat)
			}
		}
		return got
	}
	if x, _ := e.Sweep(c, due.Add(-time.Minute)); x != nil {
		t.Fatal("escalated before the deadline")
	}
	x, out := e.Sweep(c, due.Add(time.Hour))
	if x == nil || !reflect.DeepEqual(chats(out), []string{"-100"}) || !x.escalated("ack") {
		t.Fatalf("at the deadline: to %v, escalated %v; want the ward's chat alone", chats(out), x)
	}
	c = x
	// Three working days later (Friday 17:00) it is not yet time.
	if x, _ := e.Sweep(c, time.Date(2026, 12, 4, 16, 0, 0, 0, hcm)); x != nil {
		t.Fatalf("went up early: %v", x.Escalated)
	}
	x, out = e.Sweep(c, time.Date(2026, 12, 7, 9, 0, 0, 0, hcm)) // past Friday 17:00, over the weekend
	if x == nil || !reflect.DeepEqual(chats(out), []string{"-300"}) || !x.escalated("up:dongthap") {
		t.Fatalf("3 working days overdue: to %v; want the department's chat", chats(out))
	}
	if !strings.Contains(out[0].Reply.Text, "quá hạn 3 ngày làm việc, đã báo UBND phường Sa Đéc") {
		t.Errorf("headline: %q", out[0].Reply.Text)
	}
	if again, _ := e.Sweep(x, time.Date(2026, 12, 8, 9, 0, 0, 0, hcm)); again != nil {
		t.Errorf("escalated twice: %v", again.Escalated)
	}

	// A ward nobody receives for: the first step reaches the department,
	// and only once.
	d2 := provinceDirectory()
	d2.Offices[1].Chat, d2.Offices[1].Staff = "", nil
	e2, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: d2, Location: hcm, EscalateAfter: 3})
	if err != nil {
		t.Fatal(err)
	}
	c.Escalated = nil
	x, out = e2.Sweep(c, time.Date(2026, 12, 10, 9, 0, 0, 0, hcm))
	if x == nil || !reflect.DeepEqual(chats(out), []string{"-300"}) || len(out) != 1 {
		t.Fatalf("ward unreached: %d messages to %v, want one to the department", len(out), chats(out))
	}
}

// TestEscalationPassesOverSilentUnits: a unit between the ward and the top
// with neither chat nor staff is passed over, not recorded as told, and the
// top hears of it after one step, naming the ward that was told.
func TestEscalationPassesOverSilentUnits(t *testing.T) {
	d := provinceDirectory()
	d.Offices = append(d.Offices, Office{ID: "mid", Name: "Cụm giữa", Parent: "dongthap"})
	d.Offices[1].Parent = "mid" // sadec → mid (nobody) → dongthap
	e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: d, Location: hcm, EscalateAfter: 3})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 12, 1, 17, 0, 0, 0, hcm)
	c := &Complaint{ID: 7, School: "TH-SD", Office: "sadec", Category: "csvc", Status: StatusNew,
		Created: due.AddDate(0, 0, -1), AckDue: due, ResolveDue: due.AddDate(0, 0, 14)}
	x, _ := e.Sweep(c, due.Add(time.Hour))
	x, out := e.Sweep(x, time.Date(2026, 12, 7, 9, 0, 0, 0, hcm))
	if x == nil || len(out) != 1 || out[0].Chat != "-300" {
		t.Fatalf("3 working days overdue: %d messages %v; want one to the department", len(out), out)
	}
	if x.escalated("up:mid") || !x.escalated("up:dongthap") {
		t.Errorf("escalated %v: want the department, not the silent unit", x.Escalated)
	}
	if !strings.Contains(out[0].Reply.Text, "đã báo UBND phường Sa Đéc") {
		t.Errorf("headline names %q", out[0].Reply.Text)
	}
}

// TestUrgentAllLevels: an urgent complaint goes to the school's ward, and,
// when the configuration says so, to the department too.
func TestUrgentAllLevels(t *testing.T) {
	for _, all := range []bool{false, true} {
		e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: provinceDirectory(), Location: hcm, UrgentAllLevels: all})
		if err != nil {
			t.Fatal(err)
		}
		c := &Complaint{ID: 1, School: "TH-SD", Office: "sadec", Category: "antoan"}
		var got []string
		for _, a := range e.staffAddresses(c, true, &memRecords{}) {
			got = append(got, a.Chat)
		}
		want := []string{"-100"}
		if all {
			want = []string{"-100", "-300"}
		}
		if !reflect.DeepEqual(dedupeChats(got), want) {
			t.Errorf("urgent_all_levels %v: to %v, want %v", all, got, want)
		}
	}
}

func dedupeChats(in []string) (out []string) {
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestNoLevelNamedInTexts: the bodies that run schools are named from the
// configuration; no catalog text or built-in information text names one.
func TestNoLevelNamedInTexts(t *testing.T) {
	banned := []string{"Phòng GD", "Sở GD", "UBND", "Education Office", "Department of", "People's Committee of"}
	check := func(where, s string) {
		for _, b := range banned {
			if strings.Contains(s, b) {
				t.Errorf("%s names %q: %q", where, b, s)
			}
		}
	}
	for l, cat := range catalogs {
		for k, s := range cat {
			check(string(l)+":"+string(k), s)
		}
	}
	for _, info := range []Info{DefaultInfo(), defaultInfoEn()} {
		check("info plan", info.Plan)
		check("info policies", info.Policies)
		check("info services", info.Services)
		for _, f := range info.FAQ {
			check("info faq", f.Q+" "+f.A)
		}
	}
}

// TestTextsNameTheSchoolsBodies: what a parent reads names who runs their
// school and who oversees it, as configured, in their language.
func TestTextsNameTheSchoolsBodies(t *testing.T) {
	d := provinceDirectory()
	d.Offices[0].Tr = map[Lang]string{English: "Dong Thap Department of Education and Training"}
	e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: d, Location: hcm})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang         Lang
		school, want string
	}{
		{Vietnamese, "TH-SD", "tiếp công dân của UBND phường Sa Đéc hoặc Sở GDĐT tỉnh Đồng Tháp;"},
		{English, "TH-SD", "citizen reception office of UBND phường Sa Đéc or Dong Thap Department of Education and Training;"},
		{Vietnamese, "", "tiếp công dân của Sở GDĐT tỉnh Đồng Tháp;"},
		{Vietnamese, "MN-SO", "tiếp công dân của Sở GDĐT tỉnh Đồng Tháp;"},
	} {
		if got := e.named(c.lang, c.school, template(c.lang, "c.formal")); !strings.Contains(got, c.want) {
			t.Errorf("%s %q: %q, want %q in it", c.lang, c.school, got, c.want)
		}
	}
	if got := e.ownerIn(English); got != "Dong Thap Department of Education and Training" {
		t.Errorf("owner in English: %q", got)
	}
}

// TestReportAtEveryLevel: /baocao covers the sender's subtree and names
// the unit, so the report sums its units; a unit or school id first
// narrows it within the scope, and one outside the scope is refused.
func TestReportAtEveryLevel(t *testing.T) {
	e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: provinceDirectory(), Location: hcm})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	report := func(user, text string) *ReportRequest {
		env := Envelope{Channel: "test", User: user, Chat: user, Key: RespondentKey([]byte("k"), "test", user), Input: ParseText(text, now)}
		res := e.Handle(nil, env, &memRecords{})
		for _, o := range res.Out {
			if o.Report != nil {
				return o.Report
			}
		}
		return nil
	}
	for _, c := range []struct {
		user, text, office string
		schools            []string
	}{
		{"906", "/baocao", "dongthap", []string{"TH-SD", "TH-CL", "MN-SO"}},
		{"906", "/baocao sadec", "sadec", []string{"TH-SD"}},
		{"906", "/baocao TH-CL 01/09/2026 15/11/2026", "", []string{"TH-CL"}},
		{"901", "/baocao", "sadec", []string{"TH-SD"}},
		{"901", "/xuat TH-SD", "", []string{"TH-SD"}},
	} {
		r := report(c.user, c.text)
		if r == nil {
			t.Errorf("%s %q: no report", c.user, c.text)
			continue
		}
		if r.Office != c.office || !slices.Equal(r.Schools, c.schools) {
			t.Errorf("%s %q: office %q, schools %v; want %q, %v", c.user, c.text, r.Office, r.Schools, c.office, c.schools)
		}
	}
	for _, text := range []string{"/baocao caolanh", "/baocao TH-CL", "/baocao dongthap", "/baocao nowhere"} {
		if r := report("901", text); r != nil {
			t.Errorf("the ward's staff %q: a report of %v", text, r.Schools)
		}
	}
}

// TestOldStaffButtonsRefused: a staff button of an old message, pressed by
// someone no longer staff, is refused as such — not answered with a
// parent's consent screen.
func TestOldStaffButtonsRefused(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	for _, data := range []string{"s:list", "gd:w1:TH-03", "gy:w1:TH-03:0", "gl:w1:0", "k:view:1", "rv:test:778"} {
		env := Envelope{Channel: "test", User: "777", Chat: "777", Key: RespondentKey([]byte("k"), "test", "777"),
			Input: Input{Kind: KindButton, Data: data, Now: now}, CallbackID: "cb", MessageRef: "5"}
		res := e.Handle(nil, env, &memRecords{byID: map[uint64]*Complaint{}, invites: map[string]Invite{}, principals: map[string]Principal{}})
		var all []string
		for _, o := range res.Out {
			all = append(all, o.Reply.Text)
		}
		if got := strings.Join(all, "\n"); !strings.Contains(got, T("staff.denied")) {
			t.Errorf("%s pressed by someone not staff: %q", data, got)
		}
	}
}

// TestCommentsOfAUnit: /gopy takes a unit within the scope, as /baocao
// does, and refuses one above it.
func TestCommentsOfAUnit(t *testing.T) {
	e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: provinceDirectory(), Location: hcm})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	say := func(user, text string) string {
		env := Envelope{Channel: "test", User: user, Chat: user, Key: RespondentKey([]byte("k"), "test", user), Input: ParseText(text, now)}
		var all []string
		for _, o := range e.Handle(nil, env, &memRecords{}).Out {
			all = append(all, o.Reply.Text)
		}
		return strings.Join(all, "\n")
	}
	if got := say("906", "/gopy sadec"); got == "" || strings.Contains(got, T("gy.denied")) {
		t.Errorf("the department's /gopy sadec: %q", got)
	}
	if got := say("901", "/gopy dongthap"); !strings.Contains(got, T("gy.denied")) {
		t.Errorf("a ward's /gopy of the department: %q", got)
	}
}

// TestScopeIndexedAsWalked: the indexed Scope gives what walking the
// directory gives, order included, for every kind of user: a parent, a
// principal of one school and of two, staff of one unit, of two, of a
// unit and of the one above it, staff who are principal too.
func TestScopeIndexedAsWalked(t *testing.T) {
	d := &Directory{
		Offices: []Office{
			{ID: "so", Name: "Sở", Staff: []string{"t:20", "t:23"}},
			{ID: "a", Name: "Xã A", Parent: "so", Staff: []string{"t:21", "t:22", "t:23"}},
			{ID: "b", Name: "Xã B", Parent: "so", Staff: []string{"t:22", "t:24"}},
		},
		Schools: []School{
			{Code: "S1", Name: "Một", Level: Primary, Office: "a", Principals: []string{"t:10", "t:11"}},
			{Code: "S2", Name: "Hai", Level: Primary, Office: "b", Principals: []string{"t:11", "t:24"}},
			{Code: "S3", Name: "Ba", Level: Primary, Office: "a"},
			{Code: "S4", Name: "Bốn", Level: Primary, Office: "so", Principals: []string{"t:21"}},
		},
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	walk := *d
	walk.staffOf = nil
	for _, id := range []string{"t:1", "t:10", "t:11", "t:20", "t:21", "t:22", "t:23", "t:24"} {
		s1, o1 := d.Scope(id)
		s2, o2 := walk.Scope(id)
		if !slices.Equal(s1, s2) || !slices.Equal(o1, o2) {
			t.Errorf("%s: indexed %v %v, walked %v %v", id, s1, o1, s2, o2)
		}
		// A caller's append must not write into the directory's slices.
		if len(s1) > 0 {
			_ = append(s1, "X")
			if s3, _ := d.Scope(id); !slices.Equal(s3, s2) {
				t.Errorf("%s: an append to the scope changed the directory's: %v", id, s3)
			}
		}
	}
}
