package flows

import (
	"strings"
	"testing"
	"time"
)

// TestAccessMatrix: every staff command and every callback kind, by every
// role — admin, the ward's staff and group chat, the province department's
// staff and group chat (the ward's unit above), another ward's staff and
// group chat, the school's principal, another school's principal, a revoked
// principal, a parent, an unknown group — is allowed or refused as the roles
// say, whatever the callback data claims.
func TestAccessMatrix(t *testing.T) {
	e := testEngine(t)
	e.dir.Schools[6].Principals = []string{"test:905"} // TH-05: another school's principal
	e.webURL = "https://hailong.example"
	for i := range e.dir.Offices {
		if e.dir.Offices[i].ID == "dongthap" {
			e.dir.Offices[i].Staff, e.dir.Offices[i].Chat = []string{"test:906"}, "test:-300"
		}
	}
	e.dir.Offices = append(e.dir.Offices, Office{ID: "caolanh", Name: "UBND phường Cao Lãnh", Parent: "dongthap", Chat: "test:-200", Staff: []string{"test:907"}})
	e.dir.Schools = append(e.dir.Schools, School{Code: "TH-CL", Name: "Trường Tiểu học Cao Lãnh", Level: Primary, Office: "caolanh"})
	if err := e.dir.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	complaint := func() *Complaint {
		return &Complaint{ID: 1, School: "TH-03", Office: "sadec", Category: "csvc", Text: "Cửa sổ lớp 2A bị vỡ kính.",
			Anonymous: true, Reporter: Address{"test", "42"}, Status: StatusNew, Created: now.Add(-time.Hour),
			AckDue: now.Add(23 * time.Hour), ResolveDue: now.AddDate(0, 0, 14), History: []Event{{At: now, Actor: "parent", Action: "filed"}}}
	}
	type actor struct {
		name, user, chat string
	}
	actors := []actor{
		{"admin", "999", "999"}, {"office staff", "901", "901"}, {"office group", "901", "-100"},
		{"department staff", "906", "906"}, {"department group", "906", "-300"},
		{"other ward's staff", "907", "907"}, {"other ward's group", "907", "-200"},
		{"principal", "900", "900"}, {"other principal", "905", "905"}, {"revoked principal", "777", "777"},
		{"parent", "42", "42"}, {"unknown group", "42", "-555"},
	}
	actions := []string{"/danhsach", "/baocao", "/xuat", "/invite TH-03", "/hieutruong", "/nhatky", "/web",
		"k:view:1", "k:ack:1", "k:reply:1", "k:done:1", "k:refer:1", "k:dup:1", "k:move:1", "rv:test:778",
		"/gopy TH-03", "gy:w1:TH-03:0", "gd:w1:TH-03"}
	// allowed[actor] lists the actions that actor may take.
	allowed := map[string]string{
		"admin":            "/danhsach /baocao /xuat /invite /hieutruong /nhatky /web k:view k:ack k:reply k:done k:refer k:dup k:move rv: /gopy gy: gd:",
		"office staff":     "/danhsach /baocao /xuat /invite /hieutruong /web k:view k:ack k:reply k:done k:refer k:dup k:move rv: /gopy gy: gd:",
		"office group":     "/danhsach /baocao /xuat k:view k:ack k:reply k:done k:refer k:dup k:move /gopy gy: gd:",
		"department staff": "/danhsach /baocao /xuat /invite /hieutruong /web k:view k:ack k:reply k:done k:refer k:dup k:move rv: /gopy gy: gd:",
		"department group": "/danhsach /baocao /xuat k:view k:ack k:reply k:done k:refer k:dup k:move /gopy gy: gd:",
		// Another ward's staff act on their own schools alone.
		"other ward's staff": "/danhsach /baocao /xuat /hieutruong /web",
		"other ward's group": "/danhsach /baocao /xuat",
		"principal":          "/danhsach /baocao /xuat /web k:view k:ack k:reply k:done k:refer k:dup /gopy gy: gd:",
		"other principal":    "/danhsach /baocao /xuat /web",
		"revoked principal":  "",
		"parent":             "",
		"unknown group":      "",
	}
	refusals := []string{T("denied"), T("staff.denied"), T("group.notunit"), T("gy.denied"), T("web.private"), "Em không biết lệnh", T("group.private"), "Anh/chị có đồng ý tham gia không?"}
	for _, a := range actors {
		for _, action := range actions {
			look := &memRecords{byID: map[uint64]*Complaint{1: complaint()}, next: 1, invites: map[string]Invite{},
				principals: map[string]Principal{"test:778": {ID: "test:778", School: "TH-03", Since: now}}}
			for i := range 5 { // enough respondents at TH-03 for their comments to show
				look.responses = append(look.responses, keyedResponse{Key{byte(i + 1)}, Response{Wave: "w1", School: "TH-03", At: now,
					Answers: map[string]string{"C": "Nhà vệ sinh bẩn"}, Buckets: map[string]string{"C": TextGiven}}})
			}
			// 777 was bound to TH-03 and revoked: nothing is left of it.
			var sess *Session
			if a.user == "42" {
				sess = &Session{Consent: &Consent{At: now}, School: "TH-03", Updated: now}
			}
			env := Envelope{Channel: "test", User: a.user, Chat: a.chat, Key: RespondentKey([]byte("k"), "test", a.user),
				Random: []byte("0123456789abcdef")}
			if strings.HasPrefix(action, "/") {
				env.Input = ParseText(action, now)
			} else {
				env.Input = Input{Kind: KindButton, Data: action, Now: now}
				env.CallbackID, env.MessageRef = "cb", "5"
			}
			env.Input.Group = strings.HasPrefix(a.chat, "-")
			res := e.Handle(sess, env, look)
			var texts []string
			for _, o := range res.Out {
				texts = append(texts, o.Reply.Text)
			}
			all := strings.Join(texts, "\n")
			refused := len(res.Out) == 0 || (len(res.Out) == 1 && res.Out[0].Kind == OutAck && res.Out[0].Reply.Text == "")
			for _, r := range refusals {
				refused = refused || strings.Contains(all, r)
			}
			if strings.Contains(action, "gopy") || strings.HasPrefix(action, "gy:") || strings.HasPrefix(action, "gd:") {
				// A parent's /gopy is a complaint (góp ý): what matters is
				// that no one outside the scope reads the comments.
				refused = refused || !strings.Contains(all, "Nhà vệ sinh bẩn")
			}
			verb := strings.Fields(action)[0]
			if i := strings.LastIndex(verb, ":"); strings.HasPrefix(verb, "k:") {
				verb = verb[:i]
			} else if strings.HasPrefix(verb, "rv:") {
				verb = "rv:"
			} else if strings.HasPrefix(verb, "gy:") || strings.HasPrefix(verb, "gd:") {
				verb = verb[:3]
			}
			want := strings.Contains(" "+allowed[a.name]+" ", " "+verb+" ")
			if refused == want {
				t.Errorf("%s %s: allowed %v, want %v\n%s", a.name, action, !refused, want, all)
			}
			// Refused actions change nothing.
			if refused && (len(res.Complaints) > 0 || res.Bind != nil || res.Unbind != "" || len(res.Invites) > 0 || len(res.Audit) > 0) {
				t.Errorf("%s %s was refused but changed something: %+v", a.name, action, res)
			}
			// Allowed staff actions are audited.
			if !refused && verb != "/danhsach" && verb != "/hieutruong" && verb != "/nhatky" && len(res.Audit) == 0 {
				t.Errorf("%s %s: not in the audit log", a.name, action)
			}
		}
	}
}

// TestScopeNameOfTwoUnits: staff of two units announce, and title their
// reports, as both — not as the first listed (the parents of the second
// read "Thông báo từ" the first).
func TestScopeNameOfTwoUnits(t *testing.T) {
	e := testEngine(t)
	e.dir.Offices = append(e.dir.Offices, Office{ID: "caolanh", Name: "UBND phường Cao Lãnh", Parent: "dongthap", Staff: []string{"test:907"}})
	e.dir.Offices[0].Staff = append(e.dir.Offices[0].Staff, "test:907")
	e.dir.Schools = append(e.dir.Schools, School{Code: "TH-CL", Name: "Trường Tiểu học Cao Lãnh", Level: Primary, Office: "caolanh"})
	if err := e.dir.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	for _, cmd := range []string{"/thongbao", "/baocao"} {
		res := e.Handle(nil, Envelope{Channel: "test", User: "907", Chat: "907", Input: ParseText(cmd, now)}, nil)
		var all []string
		for _, o := range res.Out {
			all = append(all, o.Reply.Text)
			if o.Report != nil {
				all = append(all, o.Report.Scope)
			}
		}
		text := strings.Join(all, "\n")
		if !strings.Contains(text, "UBND phường Sa Đéc, UBND phường Cao Lãnh") {
			t.Errorf("%s by staff of two units:\n%s", cmd, text)
		}
	}
}
