package digest

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"hailong/flows"
)

// Store is what the digest job needs of the database.
type Store interface {
	// AggregatesOf and NewResponsesOf read the counts of some schools
	// (NewResponsesOf: all of them for nil).
	AggregatesOf(wave string, schools []string) (flows.WaveCounts, error)
	NewResponsesOf(waves, schools []string, from, to time.Time) (map[string]int, error)
	// ComplaintFacts reads the school, status and times (nothing else) of
	// the complaints of schools (nil: all) a report of [from, to) counts.
	ComplaintFacts(schools []string, from, to time.Time, fn func(*flows.Complaint) error) error
	Snapshot(key string) ([]byte, bool, error)
	SendDigest(key string, snapshot []byte, out []flows.Outgoing) (bool, error)
	Principals(school string) ([]flows.Principal, error)
	// CommentsIn calls fn with the comments of a wave at the schools
	// submitted in [from, to).
	CommentsIn(wave string, schools []string, from, to time.Time, fn func(flows.Comment) error) error
	// Baselines returns the results imported for a period, for the
	// schools (nil: all).
	Baselines(period string, schools []string) ([]flows.Baseline, error)
}

// Job sends the weekly digests and builds on-demand reports.
type Job struct {
	Store          Store
	Engine         *flows.Engine
	Schedule       cron.Schedule // when weekly digests are due, in the engine's time zone
	MinRespondents int
	FlagBelow      float64
	Log            *slog.Logger
	// Since is when the bot first ran: a digest due before it was never
	// missed, so none is sent for it.
	Since time.Time
	// Now is the clock of on-demand reports' making (nil: time.Now).
	Now func() time.Time
	// Rest, when set, is called after each digest Run builds with how
	// long it took: a province's Monday is 121 digests, seconds of drawing
	// on a core the parents' answers share, and Telegram sends them at its
	// pace anyway, so the bot rests between them (cmd: as long as it
	// built).
	Rest func(built time.Duration)
}

func (j *Job) now() time.Time {
	if j.Now == nil {
		return time.Now()
	}
	return j.Now()
}

// FileName is the one name of a report's file, as the chat receives it and
// as it is saved: kind, the first and the last day, then ext — e.g.
// bao-cao-2026-09-07_2026-09-13.xlsx.
func (r *Report) FileName(kind, ext string) string {
	from, last := r.From.In(r.loc()), r.To.In(r.loc()).AddDate(0, 0, -1)
	return kind + "-" + from.Format(time.DateOnly) + "_" + last.Format(time.DateOnly) + ext
}

// Kinds of report file, the first word of FileName.
const (
	FileReport = "bao-cao" // the workbook, the CSV
	FileChart  = "bieu-do" // the chart
)

// ParseSchedule reads a cron spec in the engine's time zone.
func ParseSchedule(spec string) (cron.Schedule, error) { return cron.ParseStandard(spec) }

// Due is the latest scheduled time at or before now, within the last eight
// days (zero if none): a digest missed while the bot was down is still
// due when it comes back, but only the latest one.
func (j *Job) Due(now time.Time) time.Time {
	loc := j.Engine.Location()
	t := now.In(loc).AddDate(0, 0, -8)
	var due time.Time
	for {
		next := j.Schedule.Next(t)
		if next.IsZero() || next.After(now) {
			return due
		}
		due, t = next, next
	}
}

// Period is the week a digest due at due covers: the seven whole days
// before due's day.
func (j *Job) Period(due time.Time) (from, to time.Time) {
	d := due.In(j.Engine.Location())
	to = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, d.Location())
	return to.AddDate(0, 0, -7), to
}

func key(scope string, to time.Time) string { return scope + "|" + to.Format(time.DateOnly) }

// Run sends every digest due at now that has not been sent: each unit's
// (of its subtree's schools, with its units one level down: a department's
// communes) to its chat or staff (text, chart, workbook), and each school's
// to its principals.
// It returns how many were sent.
func (j *Job) Run(now time.Time) (int, error) {
	due := j.Due(now)
	if due.IsZero() || due.Before(j.Since) {
		return 0, nil
	}
	from, to := j.Period(due)
	all, err := j.complaints(nil, from, to) // once for every digest of the week
	if err != nil {
		return 0, err
	}
	bySchool := map[string][]*flows.Complaint{}
	for _, c := range all {
		bySchool[c.School] = append(bySchool[c.School], c)
	}
	// of are the complaints of some schools, so that each digest goes
	// through its own and not the province's.
	of := func(schools []flows.School) []*flows.Complaint {
		var out []*flows.Complaint
		for _, sc := range schools {
			out = append(out, bySchool[sc.Code]...)
		}
		return out
	}
	dir := j.Engine.Directory()
	sent := 0
	for _, o := range dir.Offices {
		// Built even when nobody reads it yet: its snapshot is what next
		// week's comparison starts from.
		schools, units := Subtree(dir, o.ID)
		began := time.Now()
		ok, err := j.send(now, "office:"+o.ID, o.Name, schools, units, from, to, of(schools), j.Engine.OfficeAddresses(o.ID), true)
		if ok && j.Rest != nil {
			j.Rest(time.Since(began))
		}
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	for _, sc := range dir.Schools {
		bound, err := j.Store.Principals(sc.Code)
		if err != nil {
			return sent, err
		}
		to2 := j.Engine.PrincipalAddresses(sc.Code, bound)
		if len(to2) == 0 {
			continue
		}
		began := time.Now()
		ok, err := j.send(now, "school:"+sc.Code, sc.Name, []flows.School{sc}, nil, from, to, bySchool[sc.Code], to2, false)
		if ok && j.Rest != nil {
			j.Rest(time.Since(began))
		}
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func (j *Job) complaints(schools []string, from, to time.Time) ([]*flows.Complaint, error) {
	var out []*flows.Complaint
	err := j.Store.ComplaintFacts(schools, from, to, func(c *flows.Complaint) error { out = append(out, c); return nil })
	if err != nil {
		return nil, fmt.Errorf("digest: read complaints: %w", err)
	}
	return out, nil
}

// send builds and queues one scope's weekly digest unless it went already.
func (j *Job) send(made time.Time, scope, name string, schools []flows.School, units []Unit, from, to time.Time, complaints []*flows.Complaint, addrs []flows.Address, attach bool) (bool, error) {
	k := key(scope, to)
	if _, done, err := j.Store.Snapshot(k); err != nil || done {
		return false, err
	}
	// A digest nobody receives is built for its snapshot (the total) alone:
	// its comments, comparison and drawing would cost a province seconds.
	read := len(addrs) > 0
	in, err := j.input("weekly", name, schools, from, to, complaints, read)
	if err != nil {
		return false, err
	}
	in.Units, in.Made = units, made
	in.PrevWeek = j.snapshot(key(scope, to.AddDate(0, 0, -7)))
	if read {
		if in.YearAgo, err = j.yearAgo(schools, from, to); err != nil {
			return false, err
		}
	}
	r := Build(in)
	var replies []flows.Reply
	if read {
		if replies, err = j.render(r, attach); err != nil {
			return false, err
		}
	}
	if n := len(r.WaveIDs); n > 0 && len(replies) > 0 {
		// The button that opens the comments, on the digest's text.
		b := flows.CommentSchoolsButton(r.WaveIDs[n-1])
		if !attach {
			b = flows.CommentsButton(r.WaveIDs[n-1], schools[0].Code)
		}
		last := 0 // the last text: render puts the texts first, then the files
		for last+1 < len(replies) && replies[last+1].File == nil {
			last++
		}
		replies[last].Buttons = [][]flows.Button{{b}}
		replies[last].Detached = flows.CommentsHint()
	}
	var out []flows.Outgoing
	now := time.Now()
	for _, a := range addrs {
		for _, rep := range replies {
			out = append(out, flows.Outgoing{Kind: flows.OutMessage, Channel: a.Channel, Chat: a.Chat, Reply: rep,
				Priority: flows.PriorityDigest, Created: now})
		}
	}
	snap, err := json.Marshal(r.Total)
	if err != nil {
		return false, err
	}
	ok, err := j.Store.SendDigest(k, snap, out)
	if err == nil && ok && j.Log != nil {
		j.Log.Info("digest queued", "scope", scope, "period", r.Period(), "recipients", len(addrs))
	}
	return ok, err
}

func (j *Job) snapshot(k string) *Row {
	v, ok, err := j.Store.Snapshot(k)
	if err != nil || !ok {
		return nil
	}
	var r Row
	if json.Unmarshal(v, &r) != nil || r.Items == nil {
		return nil
	}
	return &r
}

// input gathers a report's numbers: the waves the period touches (or,
// between waves, the latest one), their aggregates, the period's new
// responses and the complaints.
func (j *Job) input(kind, scope string, schools []flows.School, from, to time.Time, complaints []*flows.Complaint, comments bool) (Input, error) {
	dir := j.Engine.Directory()
	waves := dir.WavesIn(from, to)
	var latest *flows.Wave // the latest started before to
	for i := range dir.Waves {
		if w := &dir.Waves[i]; w.Start.Before(to) && (latest == nil || w.Start.After(latest.Start)) {
			latest = w
		}
	}
	if len(waves) == 0 && latest != nil {
		waves = append(waves, latest)
	}
	in := Input{Engine: j.Engine, Kind: kind, Scope: scope, Schools: schools, From: from, To: to, Waves: waves,
		Complaints: complaints, MinRespondents: j.MinRespondents, FlagBelow: j.FlagBelow, Location: j.Engine.Location()}
	var ids, codes []string
	for _, sc := range schools {
		codes = append(codes, sc.Code)
	}
	for _, w := range waves {
		wc, err := j.Store.AggregatesOf(w.ID, codes)
		if err != nil {
			return in, err
		}
		in.Counts = append(in.Counts, wc)
		ids = append(ids, w.ID)
	}
	n, err := j.Store.NewResponsesOf(ids, codes, from, to)
	if err != nil {
		return in, err
	}
	in.New = n
	if !comments {
		return in, nil
	}
	for _, id := range ids {
		if err := j.Store.CommentsIn(id, codes, from, to, func(c flows.Comment) error {
			in.Comments = append(in.Comments, c)
			return nil
		}); err != nil {
			return in, err
		}
	}
	return in, nil
}

// render makes the messages of a report: its text, and for offices the
// chart and the workbook.
func (j *Job) render(r *Report, attach bool) ([]flows.Reply, error) {
	var out []flows.Reply
	for _, t := range Text(r) {
		out = append(out, flows.Reply{Text: t})
	}
	if !attach {
		return out, nil
	}
	pngs, err := Charts(r)
	if err != nil {
		return nil, fmt.Errorf("digest chart: %w", err)
	}
	xlsx, err := Workbook(r)
	if err != nil {
		return nil, fmt.Errorf("digest workbook: %w", err)
	}
	for i, png := range pngs {
		caption, name := "Biểu đồ chỉ số hài lòng theo trường, "+r.Period(), r.FileName(FileChart, ".png")
		if len(r.Units) > 0 {
			caption = "Biểu đồ chỉ số hài lòng theo đơn vị, " + r.Period()
		}
		if len(pngs) > 1 {
			caption += fmt.Sprintf(" (%d/%d)", i+1, len(pngs))
			name = r.FileName(FileChart, fmt.Sprintf("-%d.png", i+1))
		}
		out = append(out, flows.Reply{Text: caption, File: &flows.File{Name: name, Data: png, Image: true}})
	}
	out = append(out, flows.Reply{Text: "Bảng tính chi tiết, " + r.Period(), File: &flows.File{Name: r.FileName(FileReport, ".xlsx"), Data: xlsx}})
	return out, nil
}

// Report builds an on-demand report for staff.
func (j *Job) Report(req *flows.ReportRequest) (*Report, error) {
	complaints, err := j.complaints(req.Schools, req.From, req.To)
	if err != nil {
		return nil, err
	}
	dir := j.Engine.Directory()
	var schools []flows.School
	for _, code := range req.Schools {
		if sc, ok := dir.School(code); ok {
			schools = append(schools, *sc)
		}
	}
	in, err := j.input("range", req.Scope, schools, req.From, req.To, complaints, true)
	if err != nil {
		return nil, err
	}
	in.Made = j.now()
	if in.YearAgo, err = j.yearAgo(schools, req.From, req.To); err != nil {
		return nil, err
	}
	if req.Office != "" {
		_, in.Units = Subtree(dir, req.Office)
	}
	return Build(in), nil
}

// Subtree is the schools of a unit's subtree, and its units one level
// down with theirs.
func Subtree(dir *flows.Directory, office string) ([]flows.School, []Unit) {
	var schools []flows.School
	for _, sc := range dir.Under(office) {
		schools = append(schools, *sc)
	}
	var units []Unit
	for _, c := range dir.Children(office) {
		u := Unit{ID: c.ID, Name: c.Name}
		for _, sc := range dir.Under(c.ID) {
			u.Schools = append(u.Schools, sc.Code)
		}
		units = append(units, u)
	}
	return schools, units
}

// Answer builds the replies to a staff member's report request.
func (j *Job) Answer(req *flows.ReportRequest) ([]flows.Reply, error) {
	r, err := j.Report(req)
	if err != nil {
		return nil, err
	}
	if req.Export {
		xlsx, err := Workbook(r)
		if err != nil {
			return nil, err
		}
		return []flows.Reply{{Text: "Bảng tính " + r.Scope + ", " + r.Period(), File: &flows.File{Name: r.FileName(FileReport, ".xlsx"), Data: xlsx}}}, nil
	}
	return j.render(r, true)
}
