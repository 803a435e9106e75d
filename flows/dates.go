package flows

import "time"

// Calendar knows which days are working days: not Saturday, not Sunday,
// not a configured public holiday.
type Calendar struct {
	Location *time.Location
	Holidays map[string]bool // "2027-02-17"
}

// Working reports whether t's day is a working day.
func (c Calendar) Working(t time.Time) bool {
	t = t.In(c.loc())
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !c.Holidays[t.Format(time.DateOnly)]
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// AddWorkingDays returns the deadline n working days after t: the same
// time of day n working days later. Filed on a day off, the next working
// day counts as the first, and the deadline is the end of the n-th.
func (c Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	t = t.In(c.loc())
	if !c.Working(t) {
		d := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
		for !c.Working(d) {
			d = d.AddDate(0, 0, 1)
		}
		for ; n > 1; n-- {
			d = d.AddDate(0, 0, 1)
			for !c.Working(d) {
				d = d.AddDate(0, 0, 1)
			}
		}
		return d.AddDate(0, 0, 1)
	}
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if c.Working(t) {
			n--
		}
	}
	return t
}

func (e *Engine) when(t time.Time) string { return t.In(e.loc).Format("15:04 02/01/2006") }

// deadline is a due time as a reader of l reads it: one at midnight is
// the end of the day before, any other a time and a day.
func (e *Engine) deadline(t time.Time, l Lang) string {
	t = t.In(e.loc)
	if t.Hour() == 0 && t.Minute() == 0 {
		return tr(l, "c.end.of.day", e.day(t.Add(-time.Minute)))
	}
	return e.when(t)
}

func (e *Engine) day(t time.Time) string { return t.In(e.loc).Format("02/01/2006") }

func (e *Engine) duration(d time.Duration, l Lang) string {
	if d >= time.Hour {
		return tr(l, "duration.hours", int(d/time.Hour))
	}
	return tr(l, "duration.minutes", int(d/time.Minute))
}
