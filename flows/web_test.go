package flows

import (
	"strings"
	"testing"
	"time"
)

// TestWebLink: staff get a one-time link whose token only the link holds
// (the result carries its hash), at most WebLinksPerHour an hour; nobody
// gets one where the dashboard is off.
func TestWebLink(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	look := &memRecords{byID: map[uint64]*Complaint{}}
	ask := func(user string, at time.Time, random string) Result {
		env := Envelope{Channel: "test", User: user, Chat: user, Input: ParseText("/web", at), Random: []byte(random)}
		res := e.Handle(nil, env, look)
		look.apply(env.Key, env.Chat, res)
		return res
	}
	if res := ask("900", now, "0123456789abcdef"); len(res.WebLinks) != 0 || !strings.Contains(res.Out[0].Reply.Text, T("web.off")) {
		t.Fatalf("dashboard off: %+v", res)
	}
	e.webURL = "https://hailong.example/"
	res := ask("900", now, "0123456789abcdef")
	if len(res.WebLinks) != 1 {
		t.Fatalf("no link stored: %+v", res)
	}
	token := NewWebToken([]byte("0123456789abcdef"))
	l := res.WebLinks[0]
	if l.Hash != WebTokenHash(token) || l.Actor != "test:900" || l.Expires != now.Add(WebLinkTTL) || strings.Contains(l.Hash, token) {
		t.Errorf("link = %+v, token %s", l, token)
	}
	if text := res.Out[0].Reply.Text; !strings.Contains(text, "https://hailong.example/login?t="+token) {
		t.Errorf("reply %q has no link", text)
	}
	if len(res.Audit) != 1 || res.Audit[0].Action != "web.link" {
		t.Errorf("audit = %+v", res.Audit)
	}
	for i := 1; i < WebLinksPerHour; i++ {
		if res := ask("900", now.Add(time.Duration(i)*time.Minute), "0123456789abcdeX"); len(res.WebLinks) != 1 {
			t.Fatalf("link %d refused", i+1)
		}
	}
	res = ask("900", now.Add(10*time.Minute), "0123456789abcdeY")
	if len(res.WebLinks) != 0 || !strings.Contains(res.Out[0].Reply.Text, T("web.limit", WebLinksPerHour)) {
		t.Errorf("link past the limit: %+v", res)
	}
	if res := ask("900", now.Add(61*time.Minute), "0123456789abcdeZ"); len(res.WebLinks) != 1 {
		t.Errorf("an hour later the first link no longer counts: %+v", res.Out)
	}
	if res := ask("42", now, "0123456789abcdef"); len(res.WebLinks) != 0 {
		t.Errorf("a parent got a link: %+v", res)
	}
}

// TestWebAction: an action taken on the dashboard runs as the staff
// member's press: the parent is told as from the chat, the audit says it
// was on the web, and nothing goes to the staff member's chat, whose step
// is left as it was. A reply carries its text with the press.
func TestWebAction(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	c := &Complaint{ID: 1, School: "TH-03", Office: "sadec", Category: "csvc", Text: "Cửa sổ lớp 2A bị vỡ kính.",
		Reporter: Address{"test", "42"}, Status: StatusNew, Created: now.Add(-time.Hour),
		AckDue: now.Add(23 * time.Hour), ResolveDue: now.AddDate(0, 0, 14)}
	look := &memRecords{byID: map[uint64]*Complaint{1: c}, next: 1}
	chatStep := &Session{Staff: true, Step: StepStaffAnnounce, Nonce: 7}
	act := func(user, data, text string) Result {
		env := Envelope{Channel: "test", User: user, Chat: user, Web: true,
			Input: Input{Kind: KindButton, Data: data, Text: text, Now: now}}
		res := e.Handle(chatStep, env, look)
		look.apply(env.Key, env.Chat, res)
		return res
	}
	res := act("900", "k:ack:1", "")
	if res.Changed || res.Session != chatStep {
		t.Errorf("the chat's session changed: %+v", res.Session)
	}
	if len(res.Out) != 1 || res.Out[0].Chat != "42" || res.Out[0].Reply.Text != T("c.told.acked", "PA-000001") {
		t.Fatalf("out = %+v, want the parent told alone", res.Out)
	}
	if len(res.Audit) != 1 || res.Audit[0].Via != "web" || res.Audit[0].Action != "ack" {
		t.Errorf("audit = %+v", res.Audit)
	}
	res = act("900", "k:reply:1", "Nhà trường đã thay kính hôm nay.")
	if got := look.byID[1]; got.Status != StatusWorking {
		t.Errorf("status after a reply = %v", got.Status)
	}
	if len(res.Out) != 1 || res.Out[0].Chat != "42" || !strings.Contains(res.Out[0].Reply.Text, "Nhà trường đã thay kính hôm nay.") {
		t.Errorf("reply out = %+v", res.Out)
	}
	// Another school's principal changes nothing, and is told nowhere.
	e.dir.Schools[6].Principals = []string{"test:905"}
	if res := act("905", "k:done:1", ""); len(res.Complaints) != 0 || len(res.Out) != 0 {
		t.Errorf("another school's principal acted: %+v", res)
	}
}
