package digest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"hailong/flows"
)

// Comparison is a report's period a year earlier: per school and in total,
// from this bot's aggregates where it has data for that period, else from
// the baselines imported for it (`hailong baseline import`).
type Comparison struct {
	From time.Time
	To   time.Time
	// Total sums the schools' tallies (an imported share without counts
	// cannot be summed: that indicator's total is then not shown); nil
	// when no school has anything for the period.
	Total *Row
	// Rows are the schools' by code; a school with nothing is absent.
	Rows map[string]*Row
	// Imported names, for each school whose figures were imported, the
	// source the import gave and the period it was imported for.
	Imported map[string]Import
}

// yearEarlier is the scope's total of the same days a year earlier: the
// one figure of a year earlier a report shows beside its total (the
// text's lines, the summary sheet, the comparison's Tổng cộng), summed
// from the schools its lines and the comparison sheet show; nil when there
// is none to set against this year's (Comparison.Total).
func (r *Report) yearEarlier() *Row {
	if r.YearAgo == nil {
		return nil
	}
	return r.YearAgo.Total
}

// Import says where a school's earlier figures came from.
type Import struct {
	Source string
	Period string
}

// Sources lists the distinct sources of the imported figures, sorted.
func (c *Comparison) Sources() []string {
	if c == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, im := range c.Imported {
		if !seen[im.Source] {
			seen[im.Source] = true
			out = append(out, im.Source)
		}
	}
	sort.Strings(out)
	return out
}

// BaselinePeriods are the periods an imported baseline may name for the
// days [from, to): the waves they touch (by id), the school year of from
// ("2025-2026", September to August) and its calendar year ("2025"), in
// the order they are looked for.
func BaselinePeriods(dir *flows.Directory, from, to time.Time) []string {
	var out []string
	for _, w := range dir.WavesIn(from, to) {
		out = append(out, w.ID)
	}
	y := from.Year()
	if from.Month() < time.September {
		y--
	}
	return append(out, fmt.Sprintf("%d-%d", y, y+1), strconv.Itoa(from.Year()))
}

// yearAgo builds the comparison of [from, to) a year earlier for the
// schools: each school from the bot's aggregates of the waves that period
// touches when it has respondents there, else from the first period of
// BaselinePeriods with baselines for it.
func (j *Job) yearAgo(schools []flows.School, from, to time.Time) (*Comparison, error) {
	// In the office's time zone: a request read back from the outbox is
	// in UTC, where 1 September at midnight is still August.
	loc := j.Engine.Location()
	from, to = from.In(loc).AddDate(-1, 0, 0), to.In(loc).AddDate(-1, 0, 0)
	dir := j.Engine.Directory()
	codes := make([]string, len(schools))
	for i, sc := range schools {
		codes[i] = sc.Code
	}
	var counts []flows.WaveCounts
	for _, w := range dir.WavesIn(from, to) {
		wc, err := j.Store.AggregatesOf(w.ID, codes)
		if err != nil {
			return nil, err
		}
		counts = append(counts, wc)
	}
	var items []Item
	for _, q := range j.Engine.Questionnaire().Scored() {
		items = append(items, Item{ID: q.ID})
	}
	imported := map[string]map[string]flows.Baseline{} // school → indicator → baseline
	periodOf := map[string]string{}
	for _, p := range BaselinePeriods(dir, from, to) {
		rows, err := j.Store.Baselines(p, codes)
		if err != nil {
			return nil, err
		}
		for _, b := range rows {
			if periodOf[b.School] != "" && periodOf[b.School] != p {
				continue // an earlier period of the list has this school's
			}
			periodOf[b.School] = p
			if imported[b.School] == nil {
				imported[b.School] = map[string]flows.Baseline{}
			}
			imported[b.School][b.Indicator] = b
		}
	}
	c := &Comparison{From: from, To: to, Rows: map[string]*Row{}, Imported: map[string]Import{}}
	all := map[string]flows.Tally{}
	shareOnly := map[string]bool{} // indicators a school has as a share alone
	total := Row{Name: "", Items: map[string]Score{}}
	any := false
	for _, sc := range schools {
		row, sum := schoolRow(j.Engine, items, sc, counts, j.MinRespondents)
		if row.Total == 0 {
			bs, ok := imported[sc.Code]
			if !ok {
				continue
			}
			row, sum = baselineRow(sc, bs, items, j.MinRespondents)
			for id, b := range bs {
				if !b.Counted() {
					shareOnly[id] = true
				}
			}
			src := ""
			for _, b := range bs {
				src = b.Source
				break
			}
			c.Imported[sc.Code] = Import{Source: src, Period: periodOf[sc.Code]}
		}
		any = true
		for id, t := range sum {
			all[id] = all[id].Add(t)
		}
		total.Total += row.Total
		c.Rows[sc.Code] = &row
	}
	if !any {
		return nil, nil
	}
	if len(c.Rows) < len(schools) || total.Total < j.MinRespondents {
		// Some schools have nothing from a year before: a total of the
		// others set against this year's of all would show a change that
		// is only the difference in schools. Each school keeps its own.
		return c, nil
	}
	total.Index = score(all[flows.IndexID], j.MinRespondents)
	if shareOnly[flows.IndexID] {
		total.Index.Shown = false
	}
	for _, it := range items {
		s := score(all[it.ID], j.MinRespondents)
		s.Shown = s.Shown && !shareOnly[it.ID]
		total.Items[it.ID] = s
	}
	c.Total = &total
	return c, nil
}

// baselineRow is a school's row from its imported baselines, and the
// tallies of those that have counts.
func baselineRow(sc flows.School, bs map[string]flows.Baseline, items []Item, min int) (Row, map[string]flows.Tally) {
	row := Row{Code: sc.Code, Name: sc.Name, Level: sc.Level, Items: map[string]Score{}}
	sum := map[string]flows.Tally{}
	sc2 := func(b flows.Baseline) Score {
		pct, ok := b.Share(min)
		return Score{Good: b.Good, Bad: b.Bad, Pct: pct, Shown: ok}
	}
	for id, b := range bs {
		row.Total = max(row.Total, b.Respondents)
		if b.Counted() {
			sum[id] = flows.Tally{Good: b.Good, Bad: b.Bad}
		}
		if id == flows.IndexID {
			row.Index = sc2(b)
		}
	}
	for _, it := range items {
		if b, ok := bs[it.ID]; ok {
			row.Items[it.ID] = sc2(b)
		}
	}
	return row, sum
}

// importMark is how a report marks figures imported from outside the bot.
const importMark = "*"

// importNote explains the mark: where the imported figures came from.
func importNote(c *Comparison) string {
	src := c.Sources()
	if len(src) == 0 {
		return ""
	}
	return fmt.Sprintf("(%s Số liệu cùng kỳ năm trước nhập từ nguồn ngoài: %s.)", importMark, strings.Join(src, "; "))
}
