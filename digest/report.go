// Package digest builds the weekly and on-demand reports for education
// offices and principals from the incremental aggregates, and renders them
// as Telegram text, a bar chart and a spreadsheet.
package digest

import (
	"sort"
	"time"

	"hailong/flows"
	"hailong/terms"
)

// Score is a share of good answers, shown only with enough answers.
type Score struct {
	Good    int     `json:"good"`
	Bad     int     `json:"bad"`
	Unknown int     `json:"unknown,omitempty"`
	Pct     float64 `json:"pct"`
	Shown   bool    `json:"shown"` // false: fewer than min_respondents judged answers, "chưa đủ mẫu"
}

func score(t flows.Tally, min int) Score {
	pct, ok := t.Pct(min)
	return Score{Good: t.Good, Bad: t.Bad, Unknown: t.Unknown, Pct: pct, Shown: ok}
}

// Row is one school's numbers, or all schools' together. A digest's total
// is stored as JSON, the snapshot next week's digest compares against
// (Job.send, Job.snapshot): Row's and Score's tags are a stored encoding,
// the only JSON of a report.
type Row struct {
	Code    string           `json:"code,omitempty"`
	Name    string           `json:"name"`
	Level   flows.Level      `json:"level,omitempty"`
	New     int              `json:"new"`   // responses submitted in the period
	Total   int              `json:"total"` // responses in the waves
	Index   Score            `json:"index"` // the satisfaction index: B answers at 4 or 5
	Items   map[string]Score `json:"items"`
	Flagged bool             `json:"flagged,omitempty"` // index shown and below the threshold
	// Enrolment is the families (or pupils) of the row's schools whose
	// enrolment is known, and Reached the responses of those schools:
	// the response rate is Reached/Enrolment, and unknown when Enrolment
	// is 0.
	Enrolment int `json:"enrolment,omitempty"`
	Reached   int `json:"reached,omitempty"`
	// Of a unit's row: its schools and its complaints past a deadline.
	Schools int `json:"schools,omitempty"`
	Overdue int `json:"overdue,omitempty"`
}

// Rate is the row's response rate in percent, and whether it is known.
func (row *Row) Rate() (float64, bool) {
	if row.Enrolment <= 0 {
		return 0, false
	}
	return 100 * float64(row.Reached) / float64(row.Enrolment), true
}

// Unit is a unit under a report's scope: its rows are summed from its
// subtree's schools.
type Unit struct {
	ID, Name string
	Schools  []string // codes
}

// Item is a scored question, in questionnaire order.
type Item struct {
	ID    string
	Short string
	Group string
	Kind  flows.Kind
}

// Overdue is a complaint past a deadline.
type Overdue struct {
	Code       string
	School     string
	SchoolCode string
	Status     string
	AgeDays    int
}

// ComplaintStats count the complaints of the report's schools.
type ComplaintStats struct {
	Opened      int       // filed in the period
	AckedOnTime int       // of those, acknowledged by the deadline
	Resolved    int       // resolved in the period
	Open        int       // open at the period's end
	Overdue     []Overdue // open and past a deadline at the period's end
}

// Report is everything a digest says.
type Report struct {
	Kind  string    // "weekly" or "range"
	Scope string    // office or school name
	From  time.Time // the period [From, To)
	To    time.Time
	Waves []string // titles of the waves counted
	Items []Item
	Total Row
	Rows  []Row
	// Units are the scope's units one level down (a department's
	// communes), when it has any: each its subtree's sum.
	Units []Row
	// EnrolmentOf says what enrolment counts: "families" or "pupils".
	EnrolmentOf string
	// PrevWeek is the total of the same scope a week before, where a
	// digest was built then (its snapshot). A year earlier is YearAgo's
	// alone (yearEarlier).
	PrevWeek *Row

	Complaints ComplaintStats
	// YearAgo is the same period a year earlier, per school and in total,
	// from this bot's data or imported baselines; nil when neither has it.
	YearAgo *Comparison
	// WaveIDs are the ids of the waves counted.
	WaveIDs []string
	// Comments are the parents' comments of the period, of the schools and
	// waves with enough respondents to show them, newest first school by
	// school; Terms what they talk about (Terms of the scope, SchoolTerms
	// of each school by code).
	Comments    []CommentRow
	Terms       []terms.Term
	SchoolTerms map[string][]terms.Term
	// CommentsHidden counts the comments of schools and waves with too few
	// respondents to show them.
	CommentsHidden int

	MinRespondents int
	FlagBelow      float64
	Location       *time.Location
	byUnit         bool // the rows are units (a chart of units)
	// Made is when the report was made: its files' created and modified
	// times (zero: To).
	Made time.Time
}

// Input is what a report is built from: the aggregates and the complaints,
// never the raw responses.
type Input struct {
	Engine  *flows.Engine
	Kind    string
	Scope   string
	Schools []flows.School // the schools reported on
	// Units are the scope's units one level down, if any.
	Units []Unit
	From  time.Time
	To    time.Time
	// Waves are the waves counted, with their aggregates.
	Waves  []*flows.Wave
	Counts []flows.WaveCounts
	// New counts each school's responses submitted in the period.
	New        map[string]int
	Complaints []*flows.Complaint
	// PrevWeek is the scope's total a week before, if a digest had it.
	PrevWeek *Row
	// YearAgo is the same period a year earlier (Job.yearAgo).
	YearAgo *Comparison
	// Comments are the comments of the period in the waves, any school's.
	Comments       []flows.Comment
	MinRespondents int
	FlagBelow      float64
	Location       *time.Location
	Made           time.Time
}

// Build makes the report: pure arithmetic over the aggregates.
func Build(in Input) *Report {
	eng := in.Engine
	r := &Report{Kind: in.Kind, Scope: in.Scope, From: in.From, To: in.To, PrevWeek: in.PrevWeek,
		MinRespondents: in.MinRespondents, FlagBelow: in.FlagBelow, Location: in.Location, EnrolmentOf: eng.Directory().EnrolmentOf,
		Made: in.Made}
	for _, w := range in.Waves {
		r.Waves = append(r.Waves, w.Title)
		r.WaveIDs = append(r.WaveIDs, w.ID)
	}
	for _, q := range eng.Questionnaire().Scored() {
		r.Items = append(r.Items, Item{ID: q.ID, Short: q.Short, Group: q.Group, Kind: q.Kind})
	}
	// Tallies by position, 0 the index and i+1 the report's item i: a
	// province's 2,000 schools in two waves summed without a map each.
	pos := make(map[string]int, len(r.Items)+1)
	pos[flows.IndexID] = 0
	for i, it := range r.Items {
		pos[it.ID] = i + 1
	}
	width := len(r.Items) + 1
	all := make(tallies, width)
	total := Row{Name: in.Scope}
	sums := make(map[string]tallies, len(in.Schools)) // by school, for the units
	for _, sc := range in.Schools {
		sum := make(tallies, width)
		sums[sc.Code] = sum
		row := Row{Code: sc.Code, Name: sc.Name, Level: sc.Level, New: in.New[sc.Code], Enrolment: sc.Enrolment}
		for _, wc := range in.Counts {
			row.Total += wc.Respondents[sc.Code]
			for id, t := range eng.Tallies(sc.Level, wc.Counts[sc.Code]) {
				if p, ok := pos[id]; ok {
					sum[p].Tally = sum[p].Add(t)
					sum[p].asked = true
				}
			}
		}
		row.Index = score(sum[0].Tally, in.MinRespondents)
		row.Items = make(map[string]Score, len(r.Items))
		for i, it := range r.Items {
			if sum[i+1].asked {
				row.Items[it.ID] = score(sum[i+1].Tally, in.MinRespondents)
			}
		}
		if row.Enrolment > 0 {
			row.Reached = row.Total
		}
		if row.Total < in.MinRespondents {
			row.hide() // too few parents for any share to mean much, or to stay anonymous
		}
		row.Flagged = row.Index.Shown && row.Index.Pct < in.FlagBelow
		all.add(sum)
		total.add(row)
		r.Rows = append(r.Rows, row)
	}
	r.Total = r.summed(total, all, in.MinRespondents)
	r.Complaints = complaintStats(in)
	overdue := map[string]int{}
	for _, o := range r.Complaints.Overdue {
		overdue[o.SchoolCode]++
	}
	byCode := make(map[string]*Row, len(r.Rows))
	for i := range r.Rows {
		byCode[r.Rows[i].Code] = &r.Rows[i]
	}
	for _, u := range in.Units {
		unit := Row{Code: u.ID, Name: u.Name}
		all := make(tallies, width)
		for _, code := range u.Schools {
			row, ok := byCode[code]
			if !ok {
				continue
			}
			unit.add(*row)
			unit.Schools++
			unit.Overdue += overdue[code]
			all.add(sums[code])
		}
		unit = r.summed(unit, all, in.MinRespondents)
		unit.Flagged = unit.Index.Shown && unit.Index.Pct < in.FlagBelow
		r.Units = append(r.Units, unit)
	}
	r.YearAgo = in.YearAgo
	r.addComments(in)
	return r
}

// tallies are a sum's tallies by position (Build); asked marks a question
// some school of the sum was asked.
type tallies []struct {
	flows.Tally
	asked bool
}

func (ts tallies) add(x tallies) {
	for i := range ts {
		ts[i].Tally = ts[i].Tally.Add(x[i].Tally)
		ts[i].asked = ts[i].asked || x[i].asked
	}
}

// add counts a school's row into a sum of rows.
func (row *Row) add(x Row) {
	row.New += x.New
	row.Total += x.Total
	row.Enrolment += x.Enrolment
	row.Reached += x.Reached
}

// summed scores a sum of schools' tallies into row, hidden when too few
// answered.
func (r *Report) summed(row Row, all tallies, min int) Row {
	row.Index = score(all[0].Tally, min)
	row.Items = make(map[string]Score, len(r.Items))
	for i, it := range r.Items {
		row.Items[it.ID] = score(all[i+1].Tally, min)
	}
	if row.Total < min {
		row.hide()
	}
	return row

}

// schoolRow sums a school's tallies over the waves' counts: its row, shares
// hidden below min, and the tallies.
func schoolRow(eng *flows.Engine, items []Item, sc flows.School, counts []flows.WaveCounts, min int) (Row, map[string]flows.Tally) {
	sum := map[string]flows.Tally{}
	row := Row{Code: sc.Code, Name: sc.Name, Level: sc.Level}
	for _, wc := range counts {
		row.Total += wc.Respondents[sc.Code]
		for id, t := range eng.Tallies(sc.Level, wc.Counts[sc.Code]) {
			sum[id] = sum[id].Add(t)
		}
	}
	row.Index = score(sum[flows.IndexID], min)
	row.Items = map[string]Score{}
	for _, it := range items {
		if _, asked := sum[it.ID]; asked {
			row.Items[it.ID] = score(sum[it.ID], min)
		}
	}
	if row.Total < min {
		row.hide() // too few parents for any share to mean much, or to stay anonymous
	}
	return row, sum
}

// hide withholds every share of a row answered by too few parents.
func (row *Row) hide() {
	row.Index.Shown = false
	for id, s := range row.Items {
		s.Shown = false
		row.Items[id] = s
	}
}

func complaintStats(in Input) ComplaintStats {
	var st ComplaintStats
	names := map[string]string{}
	for _, sc := range in.Schools {
		names[sc.Code] = sc.Name
	}
	for _, c := range in.Complaints {
		if _, ours := names[c.School]; !ours || !c.CountedIn(in.From, in.To) {
			continue
		}
		if !c.Created.Before(in.From) {
			st.Opened++
			if c.AckedOnTime() {
				st.AckedOnTime++
			}
		}
		if !c.ResolvedAt.IsZero() && !c.ResolvedAt.Before(in.From) && c.ResolvedAt.Before(in.To) && c.Status == flows.StatusResolved {
			st.Resolved++
		}
		if !c.OpenAt(in.To) {
			continue
		}
		st.Open++
		if c.OverdueAt(in.To) {
			st.Overdue = append(st.Overdue, Overdue{Code: c.Code(), School: names[c.School], SchoolCode: c.School, Status: c.Status.Name(),
				AgeDays: int(in.To.Sub(c.Created).Hours() / 24)})
		}
	}
	sort.Slice(st.Overdue, func(i, j int) bool { return st.Overdue[i].AgeDays > st.Overdue[j].AgeDays })
	return st
}
