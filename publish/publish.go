// Package publish makes what an office posts on its website or noticeboard
// after a survey wave: an open dataset (CSV and JSON, schema in
// docs/publish-schema.md) and a one-page printable summary per school and
// for the office, with every figure of too few respondents withheld, and
// withheld so that no total minus the published rows gives it back.
package publish

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"hailong/flows"
)

// Schema names the dataset's format; a change that breaks a reader gets a
// new number.
const Schema = "hailong-publish/1"

// Cell is one published figure: its value, or withheld (Suppressed).
type Cell[T int | float64] struct {
	Value      *T   `json:"value,omitempty"`
	Suppressed bool `json:"suppressed,omitempty"`
}

func shown[T int | float64](v T) Cell[T] { return Cell[T]{Value: &v} }

// Dataset is everything published for a unit (an office and its schools)
// and a wave.
type Dataset struct {
	Schema         string    `json:"schema"`
	Unit           Unit      `json:"unit"`
	Wave           Wave      `json:"wave"`
	Made           time.Time `json:"made"`
	MinRespondents int       `json:"min_respondents"`
	// EnrolmentOf says what a school's enrolment counts: "pupils" or
	// "families"; response rates are respondents over it.
	EnrolmentOf string      `json:"enrolment_of,omitempty"`
	Indicators  []Indicator `json:"indicators"`
	Total       Figures     `json:"total"` // the unit as a whole, every school counted
	Schools     []School    `json:"schools"`
}

// Unit is the body whose schools are published.
type Unit struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Wave is the survey wave published, its days inclusive.
type Wave struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	First string `json:"first_day"` // 2026-09-01
	Last  string `json:"last_day"`
}

// Indicator is a scored question: A items (share of good answers among yes
// or no) and B items (share answering 4 or 5).
type Indicator struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Group string `json:"group"`
}

// School is one school's row.
type School struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Level     string `json:"level"`
	Enrolment int    `json:"enrolment,omitempty"` // pupils or families (Dataset.EnrolmentOf), where known
	Figures
}

// Figures are the published numbers of a school or of the unit.
type Figures struct {
	Respondents Cell[int] `json:"respondents"`
	// ResponseRate is respondents over enrolment, where enrolment is known
	// (for the unit: of every school); nil otherwise.
	ResponseRate *Cell[float64] `json:"response_rate,omitempty"`
	// Index is the satisfaction index: the share of B answers at 4 or 5.
	Index Cell[float64] `json:"index"`
	// Shares are the indicators' shares (0–1) by id; an indicator not
	// asked at the school's level is absent.
	Shares     map[string]Cell[float64] `json:"shares"`
	Complaints Complaints               `json:"complaints"`
}

// Complaints count how a school's complaints of the wave were handled,
// with no texts: filed during the wave, acknowledged by their deadline,
// resolved by their deadline, and open past a deadline when published.
type Complaints struct {
	Received       int `json:"received"`
	AckedOnTime    int `json:"acknowledged_on_time"`
	ResolvedOnTime int `json:"resolved_on_time"`
	Overdue        int `json:"overdue"`
}

func (c Complaints) add(d Complaints) Complaints {
	return Complaints{c.Received + d.Received, c.AckedOnTime + d.AckedOnTime, c.ResolvedOnTime + d.ResolvedOnTime, c.Overdue + d.Overdue}
}

// Hidden reports whether a school's survey figures are all withheld.
func (s School) Hidden() bool { return s.Respondents.Suppressed }

// Input is what a dataset is built from: the wave's aggregates and the
// complaints, never a response.
type Input struct {
	Engine     *flows.Engine
	Unit       Unit
	Wave       *flows.Wave
	Schools    []flows.School // the unit's schools
	Counts     flows.WaveCounts
	Complaints []*flows.Complaint
	// EnrolmentOf says what School.Enrolment counts, "pupils" or
	// "families" (flows.Directory.EnrolmentOf).
	EnrolmentOf    string
	MinRespondents int
	Made           time.Time // when published: complaints open past a deadline then are overdue
}

// IndexID is the satisfaction index's column among the shares' (the
// Tallies key), for Audit.
const IndexID = flows.IndexID

// truth is what a dataset is computed from, per school: respondents, and
// the tally behind each share (IndexID for the index). Columns are absent
// where the school's level is not asked.
type truth struct {
	respondents []int
	tallies     []map[string]flows.Tally
	total       map[string]flows.Tally
}

func (in Input) truth() truth {
	t := truth{total: map[string]flows.Tally{}}
	for _, sc := range in.Schools {
		t.respondents = append(t.respondents, in.Counts.Respondents[sc.Code])
		tl := in.Engine.Tallies(sc.Level, in.Counts.Counts[sc.Code])
		t.tallies = append(t.tallies, tl)
		for id, x := range tl {
			t.total[id] = t.total[id].Add(x)
		}
	}
	return t
}

// columns are the share columns, the index first, as in Tallies.
func (in Input) columns() []string {
	cols := []string{IndexID}
	for _, q := range in.Engine.Questionnaire().Scored() {
		cols = append(cols, q.ID)
	}
	return cols
}

// Build makes the dataset.
//
// Withholding, in three steps. A school with fewer than MinRespondents
// respondents shows no survey figure at all. Then, since the unit's total
// counts every school, the withheld schools' respondents together must be
// none or at least MinRespondents, or the total minus the published rows
// would give a small school's count (and from its shares, its answers):
// while they are fewer, the published school with the fewest respondents is
// withheld too (complementary suppression). Last, each share is a column
// of its own: a share of fewer than MinRespondents judged answers is
// withheld, and again the withheld cells of the column together must hold
// none or at least MinRespondents answers, or the next smallest is
// withheld. A response rate goes with its respondents; the unit's is given
// only when every school's enrolment is known, since a rate over some
// schools would give the others' respondents. Complaint counts are
// published for every school: they count complaints, not respondents, and
// the plan asks that their handling be public.
func Build(in Input) (*Dataset, error) {
	if in.Wave == nil || in.Engine == nil {
		return nil, fmt.Errorf("publish: no wave or no engine")
	}
	least := max(in.MinRespondents, 1)
	d := &Dataset{Schema: Schema, Unit: in.Unit, Made: in.Made, MinRespondents: least, EnrolmentOf: in.EnrolmentOf,
		Wave: Wave{ID: in.Wave.ID, Title: in.Wave.Title, First: in.Wave.Start.Format(time.DateOnly),
			Last: in.Wave.End.AddDate(0, 0, -1).Format(time.DateOnly)}}
	for _, q := range in.Engine.Questionnaire().Scored() {
		d.Indicators = append(d.Indicators, Indicator{ID: q.ID, Name: q.Short, Group: q.Group})
	}
	t := in.truth()
	n := len(in.Schools)

	hidden := make([]bool, n)
	for i, r := range t.respondents {
		hidden[i] = r < least
	}
	complement(t.respondents, hidden, nil, least)

	cells := map[string][]bool{}
	for _, col := range in.columns() {
		base, asked := make([]int, n), make([]bool, n)
		h := make([]bool, n)
		for i := range in.Schools {
			x, ok := t.tallies[i][col]
			asked[i] = ok
			base[i] = x.Judged()
			h[i] = ok && (hidden[i] || x.Judged() < least)
		}
		complement(base, h, asked, least)
		cells[col] = h
	}

	complaints := in.complaints()
	allKnown := n > 0
	var pupils int
	for i, sc := range in.Schools {
		s := School{Code: sc.Code, Name: sc.Name, Level: sc.Level.Name(), Enrolment: sc.Enrolment}
		s.Complaints = complaints[sc.Code]
		s.Shares = map[string]Cell[float64]{}
		if hidden[i] {
			s.Respondents = Cell[int]{Suppressed: true}
		} else {
			s.Respondents = shown(t.respondents[i])
		}
		if s.Enrolment > 0 {
			pupils += s.Enrolment
			rate := Cell[float64]{Suppressed: true}
			if !hidden[i] {
				rate = shown(round3(float64(t.respondents[i]) / float64(s.Enrolment)))
			}
			s.ResponseRate = &rate
		} else {
			allKnown = false
		}
		for _, col := range in.columns() {
			x, asked := t.tallies[i][col]
			if !asked {
				continue
			}
			c := Cell[float64]{Suppressed: true}
			if !cells[col][i] {
				c = shown(share(x))
			}
			if col == IndexID {
				s.Index = c
			} else {
				s.Shares[col] = c
			}
		}
		d.Schools = append(d.Schools, s)
		d.Total.Complaints = d.Total.Complaints.add(s.Complaints)
	}

	total := 0
	for _, r := range t.respondents {
		total += r
	}
	d.Total.Shares = map[string]Cell[float64]{}
	if total < least {
		d.Total.Respondents = Cell[int]{Suppressed: true}
	} else {
		d.Total.Respondents = shown(total)
	}
	if allKnown && pupils > 0 {
		rate := Cell[float64]{Suppressed: true}
		if total >= least {
			rate = shown(round3(float64(total) / float64(pupils)))
		}
		d.Total.ResponseRate = &rate
	}
	for _, col := range in.columns() {
		x := t.total[col]
		c := Cell[float64]{Suppressed: true}
		if total >= least && x.Judged() >= least {
			c = shown(share(x))
		}
		if col == IndexID {
			d.Total.Index = c
		} else {
			d.Total.Shares[col] = c
		}
	}
	if err := d.audit(t); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return d, nil
}

// complement withholds more cells of a column until the withheld ones
// together hold none of base (answers or respondents) or at least the
// minimum, least, taking the smallest published cell each time. Cells not applicable
// (applies[i] false; nil: all apply) take no part.
func complement(base []int, hidden, applies []bool, least int) {
	for {
		sum := 0
		for i, h := range hidden {
			if h {
				sum += base[i]
			}
		}
		if sum == 0 || sum >= least {
			return
		}
		next := -1
		for i, h := range hidden {
			if !h && (applies == nil || applies[i]) && (next < 0 || base[i] < base[next]) {
				next = i
			}
		}
		if next < 0 {
			return // every cell is withheld: so is the total, which is sum < least
		}
		hidden[next] = true
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// share is a tally's share of good answers, to a tenth of a percent.
func share(t flows.Tally) float64 {
	if t.Judged() == 0 {
		return 0
	}
	return round3(float64(t.Good) / float64(t.Judged()))
}

// complaints counts each school's complaints filed during the wave.
func (in Input) complaints() map[string]Complaints {
	out := map[string]Complaints{}
	for _, c := range in.Complaints {
		if c.Created.Before(in.Wave.Start) || !c.Created.Before(in.Wave.End) {
			continue
		}
		k := out[c.School]
		k.Received++
		if c.AckedOnTime() {
			k.AckedOnTime++
		}
		if c.ResolvedOnTime() {
			k.ResolvedOnTime++
		}
		if c.Status.Open() && c.OverdueAt(in.Made) {
			k.Overdue++
		}
		out[c.School] = k
	}
	return out
}

// audit checks a dataset against what it was computed from: no published
// figure rests on fewer than MinRespondents respondents or answers, and in
// every column the withheld cells together hold none or at least
// MinRespondents, so that no total minus published rows gives back a small
// one. Build runs it before anything is written; Audit runs it on a
// dataset read back.
func (d *Dataset) audit(t truth) error {
	least := d.MinRespondents
	if len(d.Schools) != len(t.respondents) {
		return fmt.Errorf("audit: %d schools published, %d counted", len(d.Schools), len(t.respondents))
	}
	var problems []error
	bad := func(format string, a ...any) { problems = append(problems, fmt.Errorf(format, a...)) }
	hiddenSum, total := 0, 0
	for i, s := range d.Schools {
		r := t.respondents[i]
		total += r
		switch {
		case s.Respondents.Suppressed:
			hiddenSum += r
		case s.Respondents.Value == nil:
			bad("%s: respondents neither shown nor withheld", s.Code)
		case r < least:
			bad("%s: %d respondents published, fewer than %d", s.Code, r, least)
		case *s.Respondents.Value != r:
			bad("%s: %d respondents published, %d counted", s.Code, *s.Respondents.Value, r)
		}
		if s.ResponseRate != nil && s.ResponseRate.Value != nil && s.Respondents.Suppressed {
			bad("%s: a response rate beside withheld respondents gives them back", s.Code)
		}
	}
	if d.Total.Respondents.Value != nil && hiddenSum > 0 && hiddenSum < least {
		bad("the total minus the published schools gives %d respondents, fewer than %d", hiddenSum, least)
	}
	if d.Total.Respondents.Value != nil && total < least {
		bad("a total of %d respondents published", total)
	}
	cols := append([]string{IndexID}, indicatorIDs(d.Indicators)...)
	for _, col := range cols {
		hidden := 0
		for i, s := range d.Schools {
			x, asked := t.tallies[i][col]
			c, has := s.cell(col)
			if has != asked {
				bad("%s %s: published %v, asked %v", s.Code, col, has, asked)
				continue
			}
			if !asked {
				continue
			}
			switch {
			case c.Suppressed:
				hidden += x.Judged()
			case c.Value == nil:
				bad("%s %s: neither shown nor withheld", s.Code, col)
			case s.Respondents.Suppressed || x.Judged() < least:
				bad("%s %s: a share of %d answers published (respondents withheld: %v)", s.Code, col, x.Judged(), s.Respondents.Suppressed)
			case *c.Value != share(x):
				bad("%s %s: %v published, %v counted", s.Code, col, *c.Value, share(x))
			}
		}
		tc, _ := d.Total.cell(col)
		if tc.Value != nil && hidden > 0 && hidden < least {
			bad("%s: the total minus the published schools rests on %d answers, fewer than %d", col, hidden, least)
		}
		if tc.Value != nil && t.total[col].Judged() < least {
			bad("%s: the total's share of %d answers published", col, t.total[col].Judged())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("audit: %d problems: %w", len(problems), errors.Join(problems...))
	}
	return nil
}

func (f Figures) cell(col string) (Cell[float64], bool) {
	if col == IndexID {
		return f.Index, f.Index.Value != nil || f.Index.Suppressed
	}
	c, ok := f.Shares[col]
	return c, ok
}

func indicatorIDs(ins []Indicator) []string {
	var ids []string
	for _, in := range ins {
		ids = append(ids, in.ID)
	}
	return ids
}

// Audit checks a dataset (one read back from its JSON, say) against the
// aggregates of in, as Build does before writing.
func Audit(d *Dataset, in Input) error {
	if len(d.Schools) != len(in.Schools) {
		return fmt.Errorf("audit: %d schools published, %d in the unit", len(d.Schools), len(in.Schools))
	}
	for i, sc := range in.Schools {
		if d.Schools[i].Code != sc.Code {
			return fmt.Errorf("audit: school %d is %s, want %s", i, d.Schools[i].Code, sc.Code)
		}
	}
	if !slices.Equal(indicatorIDs(d.Indicators), in.columns()[1:]) {
		return fmt.Errorf("audit: indicators %v, want %v", indicatorIDs(d.Indicators), in.columns()[1:])
	}
	if d.MinRespondents < in.MinRespondents {
		return fmt.Errorf("audit: published with a minimum of %d, want %d", d.MinRespondents, in.MinRespondents)
	}
	return d.audit(in.truth())
}
