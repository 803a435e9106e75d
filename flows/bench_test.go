package flows

import (
	"testing"
	"time"
)

// BenchmarkHandleAnswer measures one conversation step: a parent pressing
// an answer button mid-survey, session in and new session and outgoing
// messages out.
func BenchmarkHandleAnswer(b *testing.B) {
	e := testEngine(b)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	s := &Session{Consent: &Consent{At: now}, School: "TH-03", Grade: "3", Step: StepQuestion, Wave: "w1", Q: 5,
		Answers: map[string]string{"A1": "yes", "A2": "yes", "A3": "no", "A4": "30", "A5": "no"}, Nonce: 7, Updated: now}
	env := Envelope{Channel: "telegram", User: "42", Chat: "42", MessageRef: "9", CallbackID: "c",
		Input: Input{Kind: KindButton, Data: "7:a:yes", Now: now.Add(time.Minute)}}
	b.ReportAllocs()
	for b.Loop() {
		res := e.Handle(s, env, nil)
		if res.Session.Q != 6 {
			b.Fatal("the answer was not taken")
		}
	}
}

// BenchmarkRespondentKey measures deriving a pseudonymous key.
func BenchmarkRespondentKey(b *testing.B) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			RespondentKey(secret, "telegram", "123456789")
		}
	})
	b.Run("keyer", func(b *testing.B) { // as the store derives them
		k := NewKeyer(secret)
		b.ReportAllocs()
		for b.Loop() {
			k.Key("telegram", "123456789")
		}
	})
}

// BenchmarkHandleTyped measures a typed answer read down the typed routes
// to the option it names ("có" at a yes/no question).
func BenchmarkHandleTyped(b *testing.B) {
	e := testEngine(b)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, hcm)
	s := &Session{Consent: &Consent{At: now}, School: "TH-03", Grade: "3", Step: StepQuestion, Wave: "w1", Q: 0,
		Answers: map[string]string{}, Nonce: 7, Updated: now}
	env := Envelope{Channel: "telegram", User: "42", Chat: "42", Input: Input{Kind: KindText, Text: "có ạ", Now: now.Add(time.Minute)}}
	b.ReportAllocs()
	for b.Loop() {
		res := e.Handle(s, env, nil)
		if res.Session.Q != 1 {
			b.Fatal("the answer was not taken")
		}
	}
}
