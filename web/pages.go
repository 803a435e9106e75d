package web

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hailong/digest"
	"hailong/flows"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	m.Handle("GET /assets/", http.FileServerFS(assets))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("GET /login/telegram", s.telegramLogin)
	m.HandleFunc("POST /logout", s.staff(s.logout))
	m.HandleFunc("GET /sessions", s.staff(s.sessions))
	m.HandleFunc("POST /sessions/end", s.staff(s.endSession))
	m.HandleFunc("GET /{$}", s.staff(s.overview))
	m.HandleFunc("GET /unit/{id}", s.staff(s.unit))
	m.HandleFunc("GET /school/{code}", s.staff(s.school))
	m.HandleFunc("GET /complaints", s.staff(s.queue))
	m.HandleFunc("GET /complaints/{id}", s.staff(s.complaint))
	m.HandleFunc("GET /complaints/{id}/photo/{n}", s.staff(s.photo))
	m.HandleFunc("POST /complaints/{id}", s.staff(s.act))
	m.HandleFunc("GET /export", s.staff(s.export))
	s.mux = m
}

// page renders a page of a signed-in staff member, with what every page
// shows: who they are, the CSRF token for its forms.
func (s *Server) page(w http.ResponseWriter, r *http.Request, u *who, name string, data map[string]any) {
	data["Me"] = u.ID
	data["Role"] = roleName(u.Role)
	data["CSRF"] = u.csrf()
	data["Admin"] = u.Role == flows.RoleAdmin
	s.render(w, r, name, data)
}

func roleName(r flows.Role) string {
	return map[flows.Role]string{flows.RolePrincipal: "Hiệu trưởng", flows.RoleOffice: "Cán bộ quản lí", flows.RoleAdmin: "Quản trị"}[r]
}

// period is the range a page reports on: ?from=&to= (days, the end
// inclusive), else the chat's (flows.Engine.DefaultPeriod).
func (s *Server) period(r *http.Request) (from, to time.Time) {
	loc := s.cfg.Engine.Location()
	from, to = s.cfg.Engine.DefaultPeriod(s.cfg.Now())
	if f, err := time.ParseInLocation(time.DateOnly, r.URL.Query().Get("from"), loc); err == nil {
		from = f
	}
	if t, err := time.ParseInLocation(time.DateOnly, r.URL.Query().Get("to"), loc); err == nil {
		to = t.AddDate(0, 0, 1)
	}
	if !to.After(from) || to.Sub(from) > 3*366*24*time.Hour {
		to = from.AddDate(0, 0, 1)
	}
	return from, to
}

// report builds the report of some schools over the request's period;
// with office, of that unit's subtree, its units one level down summed.
// It also says when its figures were read (a wide scope's report may come
// from the cache).
func (s *Server) report(r *http.Request, scope, office string, schools []string) (*digest.Report, time.Time, error) {
	from, to := s.period(r)
	return s.cachedReport(&flows.ReportRequest{Scope: scope, Schools: schools, Office: office, From: from, To: to})
}

// scopeName names what a staff member sees, as the chat's reports and
// announcements name it (flows.Engine.ScopeName).
func (s *Server) scopeName(u *who) string { return s.cfg.Engine.ScopeName(u.Actor) }

// overview is the first page: the staff member's whole scope.
func (s *Server) overview(w http.ResponseWriter, r *http.Request, u *who) {
	if u.Role == flows.RolePrincipal && len(u.Schools) == 1 {
		s.schoolPage(w, r, u, u.Schools[0])
		return
	}
	s.scopePage(w, r, u, s.scopeName(u), s.topUnit(u), u.Schools)
}

// unit is a unit's page: its schools.
func (s *Server) unit(w http.ResponseWriter, r *http.Request, u *who) {
	o, ok := s.unitOf(u, r.PathValue("id"))
	if !ok {
		s.refuse(w, r, http.StatusForbidden, "Đơn vị này không thuộc phạm vi của thầy/cô.")
		return
	}
	s.scopePage(w, r, u, o.Name, o.ID, s.schoolsOf(o.ID))
}

// unitOf is a unit the staff member may see: theirs or one under it (an
// admin's: any).
func (s *Server) unitOf(u *who, id string) (*flows.Office, bool) {
	dir := s.cfg.Engine.Directory()
	o, ok := dir.Office(id)
	if !ok {
		return nil, false
	}
	if u.Role == flows.RoleAdmin {
		return o, true
	}
	for _, up := range dir.Chain(id) {
		if slices.Contains(u.Offices, up.ID) {
			return o, true
		}
	}
	return nil, false
}

// topUnit is the unit whose subtree a staff member's overview covers, as
// the chat's /baocao has it (flows.Engine.ScopeUnit).
func (s *Server) topUnit(u *who) string { return s.cfg.Engine.ScopeUnit(u.Actor) }

// schoolsOf are the schools of a unit's subtree (shared: not to be changed).
func (s *Server) schoolsOf(office string) []string {
	return s.cfg.Engine.Directory().UnderCodes(office)
}

// scopePage is the overview of a set of schools: the numbers, the charts,
// units ranked (when there are several), schools flagged, overdue
// complaints.
func (s *Server) scopePage(w http.ResponseWriter, r *http.Request, u *who, name, office string, schools []string) {
	rep, at, err := s.report(r, name, office, schools)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := s.common(r, rep, at)
	data["Title"] = name
	if strings.HasPrefix(r.URL.Path, "/unit/") {
		data["UnitID"] = office
	}
	if len(rep.Units) > 0 {
		data["Units"] = digest.Ranked(rep.Units)
	}
	if chart, err := rankChart(rep); err == nil {
		data["RankChart"] = chart
	}
	rows := digest.Ranked(rep.Rows)
	if len(rows) > 60 {
		data["Top"], data["Bottom"] = rows[:10], rows[len(rows)-10:]
	} else {
		data["Schools"] = rows
	}
	var flagged []digest.Row
	for _, row := range rows {
		if row.Flagged {
			flagged = append(flagged, row)
		}
	}
	if len(flagged) > 50 {
		data["FlaggedMore"] = len(flagged) - 50
		flagged = flagged[:50]
	}
	data["Flagged"] = flagged
	if err := s.trend(data, schools, rep); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, u, "overview.html", data)
}

// common is what every report page shows: the period, the totals, the
// items, the overdue complaints.
func (s *Server) common(r *http.Request, rep *digest.Report, at time.Time) map[string]any {
	loc := s.cfg.Engine.Location()
	data := map[string]any{"Report": rep, "Period": rep.Period(), "From": rep.From.In(loc).Format(time.DateOnly),
		"To":  rep.To.In(loc).AddDate(0, 0, -1).Format(time.DateOnly),
		"Min": rep.MinRespondents, "ReadAt": at.In(loc).Format("15:04:05")}
	var items []itemRow
	for _, it := range rep.Items {
		sc, ok := rep.Total.Items[it.ID]
		if !ok {
			continue
		}
		items = append(items, itemRow{Item: it, Score: sc})
	}
	data["Items"] = items
	if chart, err := itemsChart(items); err == nil {
		data["ItemsChart"] = chart
	}
	overdue := rep.Complaints.Overdue
	if len(overdue) > 50 {
		data["OverdueMore"] = len(overdue) - 50
		overdue = overdue[:50]
	}
	data["Overdue"] = overdue
	terms := rep.Terms
	if len(terms) > 15 {
		terms = terms[:15]
	}
	data["Terms"] = terms
	// The same period a year earlier, from this bot's data or imported.
	if y := rep.YearAgo; y != nil && y.Total != nil {
		data["YearAgo"] = y.Total
		data["YearAgoSources"] = y.Sources()
	}
	return data
}

// itemRow is one indicator's share over the scope.
type itemRow struct {
	digest.Item
	Score digest.Score
}

// school is a school's page.
func (s *Server) school(w http.ResponseWriter, r *http.Request, u *who) {
	sc, ok := s.cfg.Engine.Directory().School(r.PathValue("code"))
	if !ok || !slices.Contains(u.Schools, sc.Code) {
		s.refuse(w, r, http.StatusForbidden, "Trường này không thuộc phạm vi của thầy/cô.")
		return
	}
	s.schoolPage(w, r, u, sc.Code)
}

func (s *Server) schoolPage(w http.ResponseWriter, r *http.Request, u *who, code string) {
	sc, _ := s.cfg.Engine.Directory().School(code)
	rep, at, err := s.report(r, sc.Name, "", []string{sc.Code})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := s.common(r, rep, at)
	data["Title"], data["School"] = sc.Name, sc
	if o, ok := s.unitOf(u, sc.Office); ok {
		data["Unit"] = o
	}
	if err := s.trend(data, []string{sc.Code}, rep); err != nil {
		s.fail(w, r, err)
		return
	}
	// The parents' comments of the period, newest first (those of a wave
	// with too few respondents are left out by the report).
	comments := rep.Comments
	if len(comments) > maxComments {
		data["CommentsMore"] = len(comments) - maxComments
		comments = comments[:maxComments]
	}
	data["Comments"] = comments
	open, _, err := s.complaints(u, filter{School: sc.Code, Status: "open"}, math.MaxInt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data["Open"] = open
	s.page(w, r, u, "school.html", data)
}

// maxComments is the most comments a school's page lists; the workbook
// has them all.
const maxComments = 50

// trend adds the week-by-week responses of the schools, the last twelve
// weeks of the period beside the same weeks a year earlier, as a chart.
func (s *Server) trend(data map[string]any, schools []string, rep *digest.Report) error {
	to := rep.To
	weeks := min(12, max(1, int((to.Sub(rep.From).Hours()/24+6)/7)))
	from := to.AddDate(0, 0, -7*weeks)
	now, err := s.cfg.Store.Weekly(s.wavesIn(from, to), schools, from, weeks)
	if err != nil {
		return err
	}
	then, err := s.cfg.Store.Weekly(s.wavesIn(from.AddDate(0, 0, -364), to.AddDate(0, 0, -364)), schools, from.AddDate(0, 0, -364), weeks)
	if err != nil {
		return err
	}
	loc := s.cfg.Engine.Location()
	var out []week
	for i := range weeks {
		wk := week{Label: from.AddDate(0, 0, 7*i).In(loc).Format("02/01"), Now: now[i], Then: then[i]}
		// Small-n: a week's count below the threshold is withheld (shown
		// as 0, the week marked), so that one parent's answer cannot be
		// dated.
		wk.hide(s.cfg.MinRespondents)
		out = append(out, wk)
	}
	data["Weeks"] = out
	if chart, err := trendChart(out); err == nil {
		data["TrendChart"] = chart
	}
	return nil
}

// wavesIn are the waves whose days meet [from, to): a response is counted
// on a day of its wave.
func (s *Server) wavesIn(from, to time.Time) []string {
	var ids []string
	for _, w := range s.cfg.Engine.Directory().WavesIn(from, to) {
		ids = append(ids, w.ID)
	}
	return ids
}

// week is one week's count of responses, and the same week's a year
// earlier.
type week struct {
	Label     string
	Now, Then int
	// Hidden marks a count withheld as below the threshold (but not 0).
	HiddenNow, HiddenThen bool
}

func (w *week) hide(min int) {
	if w.Now > 0 && w.Now < min {
		w.Now, w.HiddenNow = 0, true
	}
	if w.Then > 0 && w.Then < min {
		w.Then, w.HiddenThen = 0, true
	}
}

// filter is the complaint queue's choice.
type filter struct {
	Status   string // "open" (default), "all", or a status
	Category string
	School   string
	Overdue  bool
}

func (f filter) match(c *flows.Complaint, now time.Time) bool {
	switch f.Status {
	case "", "open":
		if !c.Status.Open() {
			return false
		}
	case "all":
	default:
		if string(c.Status) != f.Status {
			return false
		}
	}
	if f.Category != "" && c.Category != f.Category {
		return false
	}
	if f.School != "" && !strings.EqualFold(c.School, f.School) {
		return false
	}
	return !f.Overdue || overdue(c, now)
}

func overdue(c *flows.Complaint, now time.Time) bool { return c.OverdueAt(now) }

// queueRow is a complaint as the queue lists it: never its reporter.
type queueRow struct {
	ID                 uint64
	Code, School, Text string
	Category, Status   string
	Created, Due       string
	Overdue, Anonymous bool
	Urgent             bool
}

// complaints lists the complaints of the staff member's scope that the
// filter picks, newest first.
// complaints are the rows of the first limit complaints of the scope
// matching f, newest first, and how many more match: only the rows shown
// are formatted (a department's queue matches 20,000).
func (s *Server) complaints(u *who, f filter, limit int) ([]queueRow, int, error) {
	now := s.cfg.Now()
	in := map[string]bool{}
	for _, c := range u.Schools {
		in[c] = true
	}
	all, err := s.allComplaints()
	if err != nil {
		return nil, 0, err
	}
	var out []queueRow
	more := 0
	for _, c := range all { // newest first
		switch {
		case !in[c.School] || !f.match(c, now):
		case len(out) < limit:
			out = append(out, s.row(c, now))
		default:
			more++
		}
	}
	return out, more, nil
}

func (s *Server) row(c *flows.Complaint, now time.Time) queueRow {
	loc := s.cfg.Engine.Location()
	name := c.School
	if sc, ok := s.cfg.Engine.Directory().School(c.School); ok {
		name = sc.Name
	}
	cat, urgent := c.Category, false
	for _, x := range s.cfg.Engine.Categories() {
		if x.ID == c.Category {
			cat, urgent = x.Name, x.Urgent
		}
	}
	text := []rune(c.Text)
	if len(text) > 90 {
		text = append(text[:89], '…')
	}
	return queueRow{ID: c.ID, Code: c.Code(), School: name, Text: string(text), Category: cat, Status: c.Status.Name(),
		Created: c.Created.In(loc).Format("02/01/2006 15:04"), Due: c.ResolveDue.In(loc).Format("02/01/2006"),
		Overdue: overdue(c, now), Anonymous: c.Anonymous, Urgent: urgent}
}

// queue is the complaint queue with its filters.
func (s *Server) queue(w http.ResponseWriter, r *http.Request, u *who) {
	q := r.URL.Query()
	f := filter{Status: q.Get("status"), Category: q.Get("category"), School: q.Get("school"), Overdue: q.Get("overdue") == "1"}
	if f.School != "" {
		if sc, ok := s.cfg.Engine.Directory().School(f.School); !ok || !slices.Contains(u.Schools, sc.Code) {
			s.refuse(w, r, http.StatusForbidden, "Trường này không thuộc phạm vi của thầy/cô.")
			return
		}
	}
	rows, more, err := s.complaints(u, f, 200)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var schools []*flows.School
	if len(u.Schools) <= 300 {
		for _, code := range u.Schools {
			if sc, ok := s.cfg.Engine.Directory().School(code); ok {
				schools = append(schools, sc)
			}
		}
	}
	statuses := []flows.Status{flows.StatusNew, flows.StatusAcked, flows.StatusWorking, flows.StatusResolved, flows.StatusReferred, flows.StatusDuplicate}
	s.page(w, r, u, "queue.html", map[string]any{"Title": "Phản ánh", "Rows": rows, "More": more, "Filter": f,
		"Statuses": statuses, "Categories": s.cfg.Engine.Categories(), "Schools": schools})
}

// complaintOf reads the complaint of a request's path, within the staff
// member's scope.
func (s *Server) complaintOf(w http.ResponseWriter, r *http.Request, u *who) (*flows.Complaint, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return nil, false
	}
	c, ok, err := s.cfg.Store.Complaint(id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if !ok || !slices.Contains(u.Schools, c.School) {
		// Not found and not theirs look the same: codes are not probed.
		s.refuse(w, r, http.StatusForbidden, "Phản ánh này không thuộc phạm vi của thầy/cô.")
		return nil, false
	}
	return c, true
}

// complaint is a complaint's page: its card as the chat shows it, its
// history, photos and the staff actions.
func (s *Server) complaint(w http.ResponseWriter, r *http.Request, u *who) {
	c, ok := s.complaintOf(w, r, u)
	if !ok {
		return
	}
	if err := s.cfg.Store.Audit(s.entry(u, "view", c.Code())); err != nil {
		s.fail(w, r, err)
		return
	}
	loc := s.cfg.Engine.Location()
	type event struct{ At, Actor, Action, Note string }
	var history []event
	for _, ev := range c.History {
		history = append(history, event{At: ev.At.In(loc).Format("02/01/2006 15:04"), Actor: actorName(ev.Actor), Action: ev.Action, Note: ev.Note})
	}
	// The photos this server can show; the others (Zalo's, by address, or
	// all of them without Config.Photos) are counted, to be seen in the
	// chat.
	var photos []int
	for i, ref := range c.Photos {
		if s.servable(ref) {
			photos = append(photos, i)
		}
	}
	acts := flows.StaffActions(c, u.Schools)
	s.page(w, r, u, "complaint.html", map[string]any{"Title": c.Code(), "C": s.row(c, s.cfg.Now()), "Card": s.cfg.Engine.Card(c),
		"History": history, "Photos": photos, "PhotoCount": len(c.Photos) - len(photos), "Actions": acts, "Done": r.URL.Query().Get("done")})
}

// actorName shows who acted in a complaint's history: a role and scope,
// never a person.
func actorName(a string) string {
	kind, rest, _ := strings.Cut(a, ":")
	switch kind {
	case "parent":
		return "Phụ huynh"
	case "principal":
		return "Hiệu trưởng (" + rest + ")"
	case "office":
		return "Cán bộ quản lí (" + rest + ")"
	case "admin":
		return "Quản trị"
	case "system":
		return "Hệ thống"
	}
	return a
}

// act applies a staff action to a complaint: the staff member's button
// press, as an envelope through the store, like any update.
func (s *Server) act(w http.ResponseWriter, r *http.Request, u *who) {
	c, ok := s.complaintOf(w, r, u)
	if !ok {
		return
	}
	verb := r.PostFormValue("verb")
	text := strings.TrimSpace(r.PostFormValue("text"))
	acts := flows.StaffActions(c, u.Schools)
	i := slices.IndexFunc(acts, func(a flows.StaffAction) bool { return a.Name == verb })
	if i < 0 {
		s.refuse(w, r, http.StatusConflict, "Thao tác này không còn áp dụng cho phản ánh ("+c.Status.Name()+"). Xin tải lại trang.")
		return
	}
	act := acts[i]
	if act.Asks && (text == "" || len([]rune(text)) > 3000) {
		s.refuse(w, r, http.StatusBadRequest, "Xin nhập nội dung (tối đa 3000 kí tự).")
		return
	}
	ch, user, _ := strings.Cut(u.ID, ":")
	env := flows.Envelope{Channel: ch, User: user, Chat: user, Web: true,
		Input: flows.Input{Kind: flows.KindButton, Data: act.Data, Text: text, Now: s.cfg.Now()}}
	// What the engine made of the press, from its own result: an action
	// it took saved the complaint (turn.save puts every complaint it
	// changes in Result.Complaints). Reading the complaint again after
	// would race with whatever else changes it meanwhile.
	var said []string
	taken := false
	batch := flows.Batch{Channel: ch, Envelopes: []flows.Envelope{env}, Handled: func(_ flows.Envelope, res flows.Result) {
		said = res.Said
		taken = slices.ContainsFunc(res.Complaints, func(x *flows.Complaint) bool { return x.ID == c.ID })
	}}
	if err := s.cfg.Store.Apply(batch); err != nil {
		s.fail(w, r, err)
		return
	}
	// Every action but a look changes the complaint. One that did not:
	// the engine did not take it (the complaint changed since the check
	// above, the person's rights did, the text was not what it asks), and
	// the page says so, with what the chat would have said, rather than
	// "done".
	if verb != "view" && !taken {
		why := "phản ánh vừa thay đổi hoặc thầy/cô không còn quyền với nó. Xin tải lại trang."
		if len(said) > 0 {
			why = strings.Join(said, " ")
		}
		s.refuse(w, r, http.StatusConflict, "Thao tác chưa được thực hiện: "+why)
		return
	}
	http.Redirect(w, r, "/complaints/"+strconv.FormatUint(c.ID, 10)+"?done="+url.QueryEscape(verb), http.StatusSeeOther)
}

// servable reports whether photo can serve a complaint's photo by its
// reference: with Config.Photos, one by a channel's file id (Telegram's).
// A photo by address (Zalo's) is not fetched by the server: it would fetch
// whatever a record names.
func (s *Server) servable(ref string) bool {
	return s.cfg.Photos != nil && !strings.Contains(ref, "://")
}

// photo serves a complaint's photo, fetched from its channel.
func (s *Server) photo(w http.ResponseWriter, r *http.Request, u *who) {
	c, ok := s.complaintOf(w, r, u)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= len(c.Photos) || !s.servable(c.Photos[n]) {
		http.NotFound(w, r)
		return
	}
	data, typ, err := s.cfg.Photos(r.Context(), c.Photos[n])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !strings.HasPrefix(typ, "image/") || typ == "image/svg+xml" {
		typ = "application/octet-stream"
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Disposition", "inline")
	w.Write(data)
}

// export writes the workbook (or CSV) of a range for the staff member's
// scope, a unit or a school in it.
func (s *Server) export(w http.ResponseWriter, r *http.Request, u *who) {
	q := r.URL.Query()
	name, office, schools := s.scopeName(u), s.topUnit(u), u.Schools
	if code := q.Get("school"); code != "" {
		sc, ok := s.cfg.Engine.Directory().School(code)
		if !ok || !slices.Contains(u.Schools, sc.Code) {
			s.refuse(w, r, http.StatusForbidden, "Trường này không thuộc phạm vi của thầy/cô.")
			return
		}
		name, office, schools = sc.Name, "", []string{sc.Code}
	} else if id := q.Get("unit"); id != "" {
		o, ok := s.unitOf(u, id)
		if !ok {
			s.refuse(w, r, http.StatusForbidden, "Đơn vị này không thuộc phạm vi của thầy/cô.")
			return
		}
		name, office, schools = o.Name, o.ID, s.schoolsOf(o.ID)
	}
	from, to := s.period(r)
	rep, err := s.cfg.Job.Report(&flows.ReportRequest{Scope: name, Schools: schools, Office: office, From: from, To: to})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var data []byte
	var typ, file string
	// The file is named as the chat sends it and `hailong export` saves it.
	if q.Get("format") == "csv" {
		data, err = digest.CSV(rep)
		typ, file = "text/csv; charset=utf-8", rep.FileName(digest.FileReport, ".csv")
	} else {
		data, err = digest.Workbook(rep)
		typ, file = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", rep.FileName(digest.FileReport, ".xlsx")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Store.Audit(s.entry(u, "export", name+" "+file)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	w.Write(data)
}
