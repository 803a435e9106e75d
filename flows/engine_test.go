package flows

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// TestNonceNeverLooksLikeAnotherButton: button data is "<nonce>:<action>";
// whatever the nonce, an answer must never be read as a menu or consent
// button (base-36 nonces once spelled "cn", the refusal).
func TestNonceNeverLooksLikeAnotherButton(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	for _, nonce := range []uint32{0, 1, 22, 455, 466, 1 << 20, 1<<32 - 1} {
		s := &Session{Consent: &Consent{At: now}, School: "TH-03", Grade: "3", Step: StepQuestion, Wave: "w1",
			Answers: map[string]string{}, Nonce: nonce, Updated: now}
		res := e.Handle(s, Envelope{Channel: "t", User: "1", Chat: "1", Input: Input{Kind: KindText, Text: "Có", Now: now}}, nil)
		if res.Session == nil || res.Session.Q != 1 || res.Session.Answers["A1"] != "yes" {
			t.Errorf("nonce %d: typed «Có» at question 1 gave %+v", nonce, res.Session)
		}
		for _, o := range res.Out {
			for _, b := range flat(o.Reply.Buttons) {
				if strings.HasPrefix(b.Data, "c") || strings.HasPrefix(b.Data, "m:") {
					t.Errorf("nonce %d: answer button data %q shares a prefix with consent or menu buttons", nonce, b.Data)
				}
			}
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Có":                  "co",
		"KHÔNG BIẾT":          "khong biet",
		"  đồng   ý!! ":       "dong y",
		"Lớp Chồi (4–5 tuổi)": "lop choi 4 5 tuoi",
		"👍":                   "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLeadingNumber(t *testing.T) {
	for in, want := range map[string]int{"35": 35, "35 học sinh": 35, "khoảng 40 em": 40, "30 hay 40": -1, "ba mươi": -1, "1234567": -1} {
		n, ok := leadingNumber(in)
		if (want < 0) == ok || (ok && n != want) {
			t.Errorf("leadingNumber(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
}

// TestYesIsNotStop: "Đúng" (yes) folds like "dừng" (stop); only the
// latter, with its diacritics, stops messages.
func TestYesIsNotStop(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	s := &Session{Consent: &Consent{At: now}, School: "TH-03", Grade: "3", Updated: now}
	for text, stops := range map[string]bool{"Đúng": false, "đúng rồi": false, "dừng": true, "Dừng lại!": true} {
		res := e.Handle(s, Envelope{Channel: "t", User: "1", Chat: "1", Input: Input{Kind: KindText, Text: text, Now: now}}, nil)
		if got := res.OptOut != nil && *res.OptOut; got != stops {
			t.Errorf("%q: stops %v, want %v", text, got, stops)
		}
	}
}

// TestLateAnswers: a press on an answer button whose nonce is old is
// taken as the parent meant it when the button names its question — the
// current one (answered and moved on), an earlier one of this survey
// (recorded again, or changed, staying where the survey is) — and is stale
// otherwise: a later question's, an unknown question's, a button that does
// not name its question, or outside a survey.
func TestLateAnswers(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	at := func(q int, step Step) *Session {
		return &Session{Consent: &Consent{At: now}, School: "TH-03", Grade: "3", Step: step, Wave: "w1", Q: q,
			Answers: map[string]string{"A1": "yes", "A2": "no", "A3": "yes"}, Nonce: 40, Updated: now.Add(-time.Minute)}
	}
	press := func(s *Session, data string) Result {
		return e.Handle(s, Envelope{Channel: "t", User: "1", Chat: "1", MessageRef: "7", CallbackID: "cb",
			Input: Input{Kind: KindButton, Data: data, Now: now}}, nil)
	}
	stale := func(res Result) bool { return res.Out[0].Reply.Text == tr(Vietnamese, "stale.notice") }
	edits := func(res Result) bool { return len(res.Out) == 2 && res.Out[1].EditRef == "7" }

	// The current question's button, from a copy with an older nonce.
	res := press(at(4, StepQuestion), "31:a:no:A5")
	if res.Session.Q != 5 || res.Session.Answers["A5"] != "no" || stale(res) || !edits(res) {
		t.Errorf("current question's late button: Q=%d answers=%v notice=%q", res.Session.Q, res.Session.Answers, res.Out[0].Reply.Text)
	}
	// An earlier question's, the same answer again: nothing changes.
	res = press(at(3, StepQuestion), "36:a:no:A2")
	if res.Session.Q != 3 || res.Session.Answers["A2"] != "no" || stale(res) || !edits(res) ||
		!strings.Contains(res.Out[1].Reply.Text, "Câu 4/") {
		t.Errorf("earlier question, same answer: Q=%d answers=%v out=%+v", res.Session.Q, res.Session.Answers, res.Out)
	}
	// An earlier question's, another answer: changed, the survey stays.
	res = press(at(3, StepQuestion), "36:a:yes:A2")
	if res.Session.Q != 3 || res.Session.Answers["A2"] != "yes" || stale(res) || !strings.Contains(res.Out[0].Reply.Text, "2") {
		t.Errorf("earlier question, a change: Q=%d answers=%v notice=%q", res.Session.Q, res.Session.Answers, res.Out[0].Reply.Text)
	}
	// Tapped again within seconds: the notice alone, the screen is about to
	// change; a change is recorded all the same.
	again := at(3, StepQuestion)
	again.Updated = now.Add(-2 * time.Second)
	res = press(again, "36:a:dk:A2")
	if res.Session.Answers["A2"] != "dk" || len(res.Out) != 1 || !strings.Contains(res.Out[0].Reply.Text, "2") {
		t.Errorf("a tap again: answers=%v out=%+v", res.Session.Answers, res.Out)
	}
	res = press(again, "36:g:3")
	if len(res.Out) != 1 || res.Out[0].Reply.Text != tr(Vietnamese, "tap.kept") || res.Session.Q != 3 {
		t.Errorf("the grade tapped again: %+v", res.Out)
	}
	// At the confirmation screen, an earlier question's change shows it again.
	res = press(at(15, StepConfirm), "36:a:dk:A1")
	if res.Session.Step != StepConfirm || res.Session.Answers["A1"] != "dk" || stale(res) {
		t.Errorf("confirm, a change: step=%s answers=%v", res.Session.Step, res.Session.Answers)
	}
	for _, data := range []string{
		"36:a:yes:A9",   // a later question's (after going back)
		"36:a:yes:ZZ",   // no such question
		"36:a:maybe:A2", // no such answer
		"36:a:yes",      // a button of before, naming no question
		"36:back",       // not an answer
	} {
		res := press(at(3, StepQuestion), data)
		if !stale(res) || res.Session.Q != 3 || !maps.Equal(res.Session.Answers, at(3, StepQuestion).Answers) || !edits(res) {
			t.Errorf("%s: want the stale notice in the message pressed, nothing changed; got Q=%d answers=%v out=%+v",
				data, res.Session.Q, res.Session.Answers, res.Out)
		}
	}
	// Outside a survey an old answer button changes nothing.
	menu := at(0, StepMenu)
	menu.Wave, menu.Answers = "", nil
	if res := press(menu, "36:a:yes:A1"); !stale(res) || res.Session.Answers != nil {
		t.Errorf("an answer at the menu: %+v", res.Session)
	}
}

// TestSentenceKeepsTheComplaintsCategory: a sentence typed while a
// complaint's school is still to pick is that complaint's description —
// its category kept — not a new complaint offered in its place (which
// left a draft without a category that could never be sent).
func TestSentenceKeepsTheComplaintsCategory(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	s := &Session{Consent: &Consent{At: now}, Step: StepLevel, Intent: StepCText, Draft: &Draft{Category: "csvc"},
		Nonce: 3, Updated: now.Add(-time.Minute)}
	text := "Mái tôn phòng học lớp 2A bị dột, nước chảy xuống bàn học"
	res := e.Handle(s, Envelope{Channel: "t", User: "1", Chat: "1", Input: Input{Kind: KindText, Text: text, Now: now}}, nil)
	if d := res.Session.Draft; d == nil || d.Category != "csvc" || d.Text != text || res.Session.Step != StepLevel {
		t.Errorf("after the sentence: step %s, draft %+v", res.Session.Step, res.Session.Draft)
	}
	if len(res.Out) != 1 || !strings.Contains(res.Out[0].Reply.Text, "Mái tôn") {
		t.Errorf("the reply does not show the sentence kept: %+v", res.Out)
	}
}

// TestDailyLimitKeepsThePlace: a parent past the day's complaints, asking
// for one midway through the survey, is told so at the question they
// were at — the survey not left.
func TestDailyLimitKeepsThePlace(t *testing.T) {
	e := testEngine(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	look := &memRecords{byID: map[uint64]*Complaint{}}
	for range 5 {
		look.next++
		look.byID[look.next] = &Complaint{ID: look.next, ReporterKey: Key{1}, School: "TH-03", Created: now.Add(-time.Hour)}
	}
	s := &Session{Consent: &Consent{At: now}, School: "TH-03", Grade: "3", Step: StepQuestion, Wave: "w1", Q: 2,
		Answers: map[string]string{"A1": "yes", "A2": "no"}, Nonce: 7, Updated: now.Add(-time.Minute)}
	res := e.Handle(s, Envelope{Channel: "t", User: "1", Chat: "1", Key: Key{1},
		Input: Input{Kind: KindCommand, Command: "phananh", Now: now}}, look)
	if res.Session.Step != StepQuestion || res.Session.Q != 2 || len(res.Session.Answers) != 2 {
		t.Errorf("the survey was left: step %s, Q %d, answers %v", res.Session.Step, res.Session.Q, res.Session.Answers)
	}
	if len(res.Out) != 1 || !strings.Contains(res.Out[0].Reply.Text, "Câu 3/") {
		t.Errorf("the limit's notice does not come with the current question: %+v", res.Out)
	}
}
