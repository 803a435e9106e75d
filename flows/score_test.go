package flows

import (
	"strings"
	"testing"
)

// TestPreschoolCapsByAgeGroup: a preschool's class size is counted with its
// age group and judged by that group's cap (the charter's 25 for 3–4 year
// olds, 35 for 5–6), not by one cap for the level; a count of before, with
// no group, is judged by the level's (issue 18, item 5).
func TestPreschoolCapsByAgeGroup(t *testing.T) {
	base := testEngine(t)
	e, err := New(Settings{Questionnaire: DefaultQuestionnaire(), Directory: base.Directory(),
		ClassSizeCaps: map[Level]int{Preschool: 35, Primary: 35, Lower: 45},
		GradeCaps:     map[string]int{"nt": 25, "mam": 25, "choi": 30, "la": 35}, Location: hcm})
	if err != nil {
		t.Fatal(err)
	}
	a4 := e.Questionnaire().Question("A4")
	if got := e.bucketAt(a4, "28", "mam"); got != "28@mam" {
		t.Errorf("bucket of 28 in a 3–4 class: %q", got)
	}
	if got := e.bucketAt(a4, DontKnow, "mam"); got != DontKnow {
		t.Errorf("bucket of don't know: %q", got)
	}
	if got := e.bucketAt(a4, "28", "3"); got != "28" {
		t.Errorf("bucket of 28 in grade 3: %q", got)
	}
	tally := e.Tallies(Preschool, Counts{"A4": {"28@mam": 2, "28@la": 3, "28": 5, "40@choi": 1, DontKnow: 1}})["A4"]
	if want := (Tally{Good: 8, Bad: 3, Unknown: 1}); tally != want {
		t.Errorf("A4 tally %+v, want %+v", tally, want)
	}

	// Through a survey: the response's bucket carries the age group.
	sim := newSim(t, e)
	sim.run("/start MN-HN\n[✅ Đồng ý]\n[Lớp Mầm (3–4 tuổi)]\n[Có]\n[Có]\n[Có]\n28\n[Có]\n[Có]\n[Có]\n" +
		strings.Repeat("[4 · Hài lòng]\n", 6) + "[Bỏ qua]\n[✅ Gửi câu trả lời]")
	if len(sim.saved) != 1 || sim.saved[0].Buckets["A4"] != "28@mam" || sim.saved[0].Answers["A4"] != "28" {
		t.Fatalf("saved %+v:\n%s", sim.saved, sim.out.String())
	}
}
