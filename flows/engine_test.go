package flows

import (
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
