package flows

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Office is an education office (Phòng or Sở GDĐT) with its staff chat.
type Office struct {
	ID   string
	Name string
	Chat string // the office chat as "channel:chat"; may be empty
	// Staff are the office's staff as "channel:user" ids; they act on
	// every complaint of the office's schools.
	Staff []string
}

// School is a school whose parents answer the survey.
type School struct {
	Code   string // short, [A-Za-z0-9_-]; printed on the school's QR code
	Name   string
	Level  Level
	Office string // Office.ID
	// Principals are the users bound to the school as "channel:user"
	// ids; they are alerted of its complaints and act on them.
	Principals []string
}

// Wave is a survey period (đợt khảo sát). Start and End are whole days in
// the configured time zone; End is inclusive.
type Wave struct {
	ID    string
	Title string
	Start time.Time // midnight at the start of the first day
	End   time.Time // midnight at the start of the day after the last day
	// Tr is the title in other languages than Vietnamese.
	Tr map[Lang]string
}

// TitleIn is the wave's title in language l, or the Vietnamese one.
func (w *Wave) TitleIn(l Lang) string {
	if x := w.Tr[l]; x != "" {
		return x
	}
	return w.Title
}

// Contains reports whether t falls in the wave.
func (w *Wave) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Directory holds the offices, schools and waves hailong serves.
type Directory struct {
	// Admins are "channel:user" ids who may act on everything.
	Admins  []string
	Offices []Office
	Schools []School
	Waves   []Wave

	byCode map[string]*School
}

var codeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ValidCode reports whether s can be a school code: it must fit a Telegram
// /start payload and a button's callback data.
func ValidCode(s string) bool { return codeRe.MatchString(s) }

// Validate checks the directory and indexes it. Errors name the entry and
// what is wrong with it.
func (d *Directory) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	offices := map[string]bool{}
	if len(d.Offices) == 0 {
		bad("offices: at least one office is needed")
	}
	for i, o := range d.Offices {
		switch {
		case !idRe.MatchString(strings.ReplaceAll(o.ID, "-", "_")):
			bad("offices[%d].id %q: want 1-16 letters, digits, - or _", i, o.ID)
		case offices[o.ID]:
			bad("offices[%d].id %q is used twice", i, o.ID)
		}
		offices[o.ID] = true
		if strings.TrimSpace(o.Name) == "" {
			bad("offices[%d].name is empty", i)
		}
	}
	d.byCode = map[string]*School{}
	if len(d.Schools) == 0 {
		bad("schools: at least one school is needed")
	}
	for i := range d.Schools {
		s := &d.Schools[i]
		if !ValidCode(s.Code) {
			bad("schools[%d].code %q: want 1-32 letters, digits, - or _ (it goes into t.me links)", i, s.Code)
		} else if _, dup := d.byCode[strings.ToLower(s.Code)]; dup {
			bad("schools[%d].code %q is used twice (codes are compared without case)", i, s.Code)
		}
		d.byCode[strings.ToLower(s.Code)] = s
		if strings.TrimSpace(s.Name) == "" {
			bad("schools[%d] (%s).name is empty", i, s.Code)
		}
		if len([]rune(s.Name)) > 120 {
			bad("schools[%d] (%s).name is longer than 120 characters", i, s.Code)
		}
		if !s.Level.Valid() {
			bad("schools[%d] (%s).level %q: want mn, th or thcs", i, s.Code, s.Level)
		}
		if !offices[s.Office] {
			bad("schools[%d] (%s).office %q: no office has that id", i, s.Code, s.Office)
		}
	}
	waves := map[string]bool{}
	for i, w := range d.Waves {
		if !idRe.MatchString(strings.ReplaceAll(w.ID, "-", "_")) {
			bad("waves[%d].id %q: want 1-16 letters, digits, - or _", i, w.ID)
		} else if waves[w.ID] {
			bad("waves[%d].id %q is used twice", i, w.ID)
		}
		waves[w.ID] = true
		if strings.TrimSpace(w.Title) == "" {
			bad("waves[%d] (%s).title is empty", i, w.ID)
		}
		for l, x := range w.Tr {
			if _, ok := ParseLang(string(l)); !ok || l == Vietnamese {
				bad("waves[%d] (%s): language %q: want en (the title itself is Vietnamese)", i, w.ID, l)
			}
			if len([]rune(x)) > 100 {
				bad("waves[%d] (%s).%s is longer than 100 characters", i, w.ID, l)
			}
		}
		if !w.End.After(w.Start) {
			bad("waves[%d] (%s): end is before start", i, w.ID)
		}
	}
	sorted := append([]Wave(nil), d.Waves...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start.Before(sorted[j].Start) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Start.Before(sorted[i-1].End) {
			bad("waves %q and %q overlap: a parent's answer must belong to one wave", sorted[i-1].ID, sorted[i].ID)
		}
	}
	return errors.Join(errs...)
}

// Office returns the office with the given id.
func (d *Directory) Office(id string) (*Office, bool) {
	for i := range d.Offices {
		if d.Offices[i].ID == id {
			return &d.Offices[i], true
		}
	}
	return nil, false
}

// OfficeByChat returns the office whose chat is chat on channel.
func (d *Directory) OfficeByChat(channel, chat string) (*Office, bool) {
	for i := range d.Offices {
		if chat != "" && d.Offices[i].Chat == channel+":"+chat {
			return &d.Offices[i], true
		}
	}
	return nil, false
}

// Scope returns the schools a user may act for: those they are principal
// of, and every school of the offices they are staff of. id is
// "channel:user".
func (d *Directory) Scope(id string) (schools []string, offices []string) {
	for _, o := range d.Offices {
		for _, s := range o.Staff {
			if s == id {
				offices = append(offices, o.ID)
			}
		}
	}
	for _, sc := range d.Schools {
		in := false
		for _, o := range offices {
			in = in || sc.Office == o
		}
		for _, p := range sc.Principals {
			in = in || p == id
		}
		if in {
			schools = append(schools, sc.Code)
		}
	}
	return schools, offices
}

// School returns the school with the given code, ignoring case.
func (d *Directory) School(code string) (*School, bool) {
	s, ok := d.byCode[strings.ToLower(strings.TrimSpace(code))]
	return s, ok
}

// SchoolsAt returns the schools of level l in configuration order.
func (d *Directory) SchoolsAt(l Level) []*School {
	var out []*School
	for i := range d.Schools {
		if d.Schools[i].Level == l {
			out = append(out, &d.Schools[i])
		}
	}
	return out
}

// WaveAt returns the wave open at t.
func (d *Directory) WaveAt(t time.Time) (*Wave, bool) {
	for i := range d.Waves {
		if d.Waves[i].Contains(t) {
			return &d.Waves[i], true
		}
	}
	return nil, false
}

// Wave returns the wave with the given id.
func (d *Directory) Wave(id string) (*Wave, bool) {
	for i := range d.Waves {
		if d.Waves[i].ID == id {
			return &d.Waves[i], true
		}
	}
	return nil, false
}

// NextWave returns the first wave starting after t.
func (d *Directory) NextWave(t time.Time) (*Wave, bool) {
	var best *Wave
	for i := range d.Waves {
		w := &d.Waves[i]
		if w.Start.After(t) && (best == nil || w.Start.Before(best.Start)) {
			best = w
		}
	}
	return best, best != nil
}
