package flows

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Office is a unit of the organisation that runs schools: a province's
// Department of Education (Sở GDĐT), a commune's or ward's People's
// Committee, or any other body the configuration names. Units form a tree
// through Parent: the body at the top has none. Nothing in the code names a
// level: a unit is what its configured name says it is, and its staff act
// on every school of its subtree.
type Office struct {
	ID   string
	Name string
	// Parent is the id of the unit above this one; empty at the top.
	Parent string
	// Tr is the name in other languages than Vietnamese.
	Tr   map[Lang]string
	Chat string // the office chat as "channel:chat"; may be empty
	// Staff are the office's staff as "channel:user" ids; they act on
	// every complaint of the schools of the office's subtree.
	Staff []string
}

// NameIn is the unit's name in language l, or the Vietnamese one.
func (o *Office) NameIn(l Lang) string {
	if x := o.Tr[l]; x != "" {
		return x
	}
	return o.Name
}

// School is a school whose parents answer the survey.
type School struct {
	Code   string // short, [A-Za-z0-9_-]; printed on the school's QR code
	Name   string
	Level  Level
	Office string // Office.ID: the unit that runs the school
	// Enrolment is how many families (or pupils: the configuration says
	// which) the school has, for response rates; 0 when unknown.
	Enrolment int
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
	// EnrolmentOf says what School.Enrolment counts: "families" or
	// "pupils" (response rates are measured against it).
	EnrolmentOf string

	byCode   map[string]*School
	byOffice map[string]*Office
	children map[string][]*Office // by parent id; "" holds the top units
	under    map[string][]*School // a unit's schools, its subtree's included
	// Who acts for what, worked out once: every input asks (Scope).
	codesUnder  map[string][]string // a unit's school codes, its subtree's included
	staffOf     map[string][]string // "channel:user" → the units they are staff of
	principalOf map[string][]string // "channel:user" → the schools they are principal of (configured)
	allCodes    []string
	allOffices  []string
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
		for _, n := range append([]string{o.Name}, slices.Collect(maps.Values(o.Tr))...) {
			if strings.ContainsAny(n, "%{}") {
				bad("offices[%d] (%s).name %q: %%, { and } are not allowed (texts are templates)", i, o.ID, n)
			}
		}
		for l := range o.Tr {
			if _, ok := ParseLang(string(l)); !ok || l == Vietnamese {
				bad("offices[%d] (%s): language %q: want en (the name itself is Vietnamese)", i, o.ID, l)
			}
		}
	}
	for i, o := range d.Offices {
		switch {
		case o.Parent == "":
		case o.Parent == o.ID:
			bad("offices[%d] (%s).parent is the office itself", i, o.ID)
		case !offices[o.Parent]:
			bad("offices[%d] (%s).parent %q: no office has that id", i, o.ID, o.Parent)
		}
	}
	if cycle := d.parentCycle(); cycle != "" {
		bad("offices: the parents go round in a circle: %s", cycle)
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
		if s.Enrolment < 0 {
			bad("schools[%d] (%s).enrolment %d is negative", i, s.Code, s.Enrolment)
		}
	}
	if len(errs) == 0 {
		d.indexTree()
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

// parentCycle names the first circle of parents, or "".
func (d *Directory) parentCycle() string {
	parent := map[string]string{}
	for _, o := range d.Offices {
		parent[o.ID] = o.Parent
	}
	for _, o := range d.Offices {
		seen := map[string]bool{}
		path := []string{}
		for id := o.ID; id != ""; id = parent[id] {
			if seen[id] {
				return strings.Join(append(path, id), " → ")
			}
			seen[id] = true
			path = append(path, id)
		}
	}
	return ""
}

// indexTree builds the tree's indexes of a valid directory.
func (d *Directory) indexTree() {
	d.byOffice = map[string]*Office{}
	d.children = map[string][]*Office{}
	d.under = map[string][]*School{}
	for i := range d.Offices {
		o := &d.Offices[i]
		d.byOffice[o.ID] = o
		d.children[o.Parent] = append(d.children[o.Parent], o)
	}
	for i := range d.Schools {
		sc := &d.Schools[i]
		for _, o := range d.Chain(sc.Office) {
			d.under[o.ID] = append(d.under[o.ID], sc)
		}
	}
	d.codesUnder, d.staffOf, d.principalOf = map[string][]string{}, map[string][]string{}, map[string][]string{}
	d.allCodes, d.allOffices = nil, nil
	for i := range d.Offices {
		o := &d.Offices[i]
		d.allOffices = append(d.allOffices, o.ID)
		for _, sc := range d.under[o.ID] {
			d.codesUnder[o.ID] = append(d.codesUnder[o.ID], sc.Code)
		}
		for _, id := range o.Staff {
			if !slices.Contains(d.staffOf[id], o.ID) {
				d.staffOf[id] = append(d.staffOf[id], o.ID)
			}
		}
	}
	for i := range d.Schools {
		sc := &d.Schools[i]
		d.allCodes = append(d.allCodes, sc.Code)
		for _, id := range sc.Principals {
			if !slices.Contains(d.principalOf[id], sc.Code) {
				d.principalOf[id] = append(d.principalOf[id], sc.Code)
			}
		}
	}
}

// UnderCodes are the codes of the unit's schools, its subtree's included,
// in configuration order. The slice is shared: it must not be changed.
func (d *Directory) UnderCodes(id string) []string {
	if d.codesUnder == nil {
		var out []string
		for _, sc := range d.Under(id) {
			out = append(out, sc.Code)
		}
		return out
	}
	return slices.Clip(d.codesUnder[id])
}

// Office returns the office with the given id.
func (d *Directory) Office(id string) (*Office, bool) {
	if d.byOffice != nil {
		o, ok := d.byOffice[id]
		return o, ok
	}
	for i := range d.Offices {
		if d.Offices[i].ID == id {
			return &d.Offices[i], true
		}
	}
	return nil, false
}

// Chain is the unit with the given id and every unit above it, nearest
// first: for a school's office, who runs the school and who oversees them.
func (d *Directory) Chain(id string) []*Office {
	var out []*Office
	for o, ok := d.Office(id); ok && len(out) <= len(d.Offices); o, ok = d.Office(o.Parent) {
		out = append(out, o)
	}
	return out
}

// Children are the units directly under the unit with the given id, in
// configuration order; Children("") are the units at the top.
func (d *Directory) Children(id string) []*Office { return d.children[id] }

// Top is the unit at the top of the tree when there is one, else the
// first unit: who runs the survey when nobody is named.
func (d *Directory) Top() *Office {
	if top := d.children[""]; len(top) == 1 {
		return top[0]
	}
	if len(d.Offices) > 0 {
		return &d.Offices[0]
	}
	return nil
}

// Under is every school of the unit's subtree, in configuration order.
func (d *Directory) Under(id string) []*School { return d.under[id] }

// Within reports whether the unit with id office is, or is above, the
// unit that runs the school.
func (d *Directory) Within(school *School, office string) bool {
	for _, o := range d.Chain(school.Office) {
		if o.ID == office {
			return true
		}
	}
	return false
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
// of, and every school of the subtrees of the offices they are staff of.
// id is "channel:user".
func (d *Directory) Scope(id string) (schools []string, offices []string) {
	if d.staffOf != nil {
		return d.scopeIndexed(id)
	}
	for _, o := range d.Offices {
		if slices.Contains(o.Staff, id) {
			offices = append(offices, o.ID)
		}
	}
	for i := range d.Schools {
		sc := &d.Schools[i]
		in := slices.Contains(sc.Principals, id)
		for _, o := range offices {
			in = in || d.Within(sc, o)
		}
		if in {
			schools = append(schools, sc.Code)
		}
	}
	return schools, offices
}

// scopeIndexed is Scope from the indexes of a validated directory: a
// parent, who is in none, costs two map lookups. The slices returned are
// clipped, so that a caller's append copies.
func (d *Directory) scopeIndexed(id string) (schools []string, offices []string) {
	offices, mine := slices.Clip(d.staffOf[id]), d.principalOf[id]
	switch {
	case len(offices) == 0:
		return slices.Clip(mine), nil
	case len(offices) == 1 && len(mine) == 0:
		return d.UnderCodes(offices[0]), offices
	}
	in := map[string]bool{}
	for _, code := range mine {
		in[code] = true
	}
	for _, o := range offices {
		for _, code := range d.codesUnder[o] {
			in[code] = true
		}
	}
	for _, code := range d.allCodes { // configuration order
		if in[code] {
			schools = append(schools, code)
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

// LatestWave returns the wave open at t, or else the latest one started
// before t: the wave a report or a page of comments is about between waves.
func (d *Directory) LatestWave(t time.Time) (*Wave, bool) {
	if w, ok := d.WaveAt(t); ok {
		return w, true
	}
	var latest *Wave
	for i := range d.Waves {
		w := &d.Waves[i]
		if w.Start.Before(t) && (latest == nil || w.Start.After(latest.Start)) {
			latest = w
		}
	}
	return latest, latest != nil
}

// WavesIn are the waves whose days meet [from, to), in configuration
// order: a response is counted on a day of its wave.
func (d *Directory) WavesIn(from, to time.Time) []*Wave {
	var out []*Wave
	for i := range d.Waves {
		if w := &d.Waves[i]; w.Start.Before(to) && w.End.After(from) {
			out = append(out, w)
		}
	}
	return out
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
