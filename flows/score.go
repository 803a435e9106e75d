package flows

import "strings"

// WaveCounts are the aggregates of one wave: per school, the respondents
// and the answer counts.
type WaveCounts struct {
	Respondents map[string]int
	Counts      map[string]Counts
}

// Counts are aggregate answer counts of one school in one wave: question id
// → bucket → number of respondents.
type Counts map[string]map[string]int

// Tally is how the answers to one question count.
type Tally struct {
	Good, Bad, Unknown int
}

// Add returns the sum of two tallies.
func (t Tally) Add(u Tally) Tally {
	return Tally{t.Good + u.Good, t.Bad + u.Bad, t.Unknown + u.Unknown}
}

// Judged is the number of answers that are good or bad.
func (t Tally) Judged() int { return t.Good + t.Bad }

// Pct is the share of good answers among judged ones, in percent, and
// whether there are at least min of them: a smaller group is never shown
// as a percentage.
func (t Tally) Pct(min int) (float64, bool) {
	n := t.Judged()
	if n == 0 || n < min {
		return 0, false
	}
	return 100 * float64(t.Good) / float64(n), true
}

// Tallies judges the counts of a school of level l: question id → tally.
// Group "B" questions are also summed under the id "B" (the satisfaction
// index: the share of all B answers that are 4 or 5).
func (e *Engine) Tallies(l Level, c Counts) map[string]Tally {
	out := map[string]Tally{}
	capacity := e.caps[l]
	for _, q := range e.q.For(l) {
		var t Tally
		for bucket, n := range c[q.ID] {
			value, limit := bucket, capacity
			if v, grade, ok := strings.Cut(bucket, gradeMark); ok && q.Kind == Number {
				// A class size judged by its grade's cap (bucketAt);
				// a grade whose cap left the configuration: the level's.
				value = v
				if c := e.gradeCaps[grade]; c > 0 {
					limit = c
				}
			}
			switch q.Judge(value, limit) {
			case Good:
				t.Good += n
			case Bad:
				t.Bad += n
			case Unknown:
				t.Unknown += n
			}
		}
		out[q.ID] = t
		if q.Group == "B" {
			out["B"] = out["B"].Add(t)
		}
	}
	return out
}

// IndexID is the key under which Tallies sums the satisfaction questions.
const IndexID = "B"

// Scored lists the questions that have a score (not free text), in order.
func (qn *Questionnaire) Scored() []*Question {
	var out []*Question
	for i := range qn.Questions {
		q := &qn.Questions[i]
		if q.Kind != Text && len(q.Good) > 0 {
			out = append(out, q)
		}
	}
	return out
}
