package flows

import (
	"fmt"
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

// BenchmarkActor works out who sent an input in a province of 2,000
// schools under 120 communes and a department: a parent (in none of the
// lists), a commune's staff member, the department's, an admin. "walk" is
// the same directory without its indexes, as Scope was before them.
func BenchmarkActor(b *testing.B) {
	d := &Directory{Admins: []string{"t:1"}, Offices: []Office{{ID: "so", Name: "Sở", Staff: []string{"t:2"}}}}
	for u := range 120 {
		d.Offices = append(d.Offices, Office{ID: fmt.Sprintf("x%d", u), Name: fmt.Sprintf("Xã %d", u), Parent: "so",
			Staff: []string{fmt.Sprintf("t:%d", 1000+u)}})
	}
	for i := range 2000 {
		d.Schools = append(d.Schools, School{Code: fmt.Sprintf("S%04d", i), Name: fmt.Sprintf("Trường %d", i), Level: Primary,
			Office: fmt.Sprintf("x%d", i%120), Principals: []string{fmt.Sprintf("t:%d", 5000+i)}})
	}
	if err := d.Validate(); err != nil {
		b.Fatal(err)
	}
	e := &Engine{dir: d}
	walk := *d
	walk.staffOf = nil
	ew := &Engine{dir: &walk}
	for _, who := range []struct{ name, user string }{{"parent", "42"}, {"commune staff", "1007"}, {"department staff", "2"}, {"admin", "1"}} {
		for _, eng := range []struct {
			name string
			e    *Engine
		}{{"indexed", e}, {"walk", ew}} {
			b.Run(who.name+"/"+eng.name, func(b *testing.B) {
				env := Envelope{Channel: "t", User: who.user, Chat: who.user}
				b.ReportAllocs()
				for b.Loop() {
					eng.e.actor(env, &NoRecords{})
				}
			})
		}
	}
}
