package web

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"hailong/digest"
	"hailong/flows"
)

// complaintCache keeps every complaint decoded, in short — what the queue
// reads: no reporter, no history, no photos, the text cut. Decoding 20,000
// sealed complaints on every page would cost each page more than its whole
// budget. After a commit that changed a complaint (Store.ComplaintsVersion)
// it reads the complaints' facts (status and times, kept unsealed) again
// and opens only the complaints it has not seen: what it keeps besides —
// the category, the start of the text, anonymity — does not change after
// filing (its school may: a complaint moved to another school).
type complaintCache struct {
	mu   sync.Mutex
	ver  uint64
	ok   bool
	byID map[uint64]*flows.Complaint
	list []*flows.Complaint // newest first
}

// shortText is how much of a complaint's text the cache keeps: the queue
// shows 90 characters.
const shortText = 100

func short(x *flows.Complaint) *flows.Complaint {
	text := []rune(x.Text)
	if len(text) > shortText {
		text = text[:shortText]
	}
	// Not its unit: a complaint moved to another school may change unit,
	// and the facts it is refreshed from hold the school alone.
	return &flows.Complaint{ID: x.ID, School: x.School, Category: x.Category,
		Text: string(text), Anonymous: x.Anonymous, Status: x.Status, Created: x.Created, AckDue: x.AckDue,
		ResolveDue: x.ResolveDue, AckedAt: x.AckedAt, ResolvedAt: x.ResolvedAt}
}

// allComplaints are every complaint in short, newest first.
func (s *Server) allComplaints() ([]*flows.Complaint, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	ver := s.cfg.Store.ComplaintsVersion()
	if c.ok && ver == c.ver {
		return c.list, nil
	}
	byID := map[uint64]*flows.Complaint{}
	var err error
	if !c.ok {
		err = s.cfg.Store.Complaints(func(x *flows.Complaint) error {
			byID[x.ID] = short(x)
			return nil
		})
	} else {
		var unseen []uint64
		// Every complaint's facts: any counts in a period from the start
		// of time to its end.
		err = s.cfg.Store.ComplaintFacts(nil, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), func(f *flows.Complaint) error {
			old, ok := c.byID[f.ID]
			if !ok {
				unseen = append(unseen, f.ID)
				return nil
			}
			x := *old
			x.School, x.Status, x.Created, x.AckDue, x.ResolveDue, x.AckedAt, x.ResolvedAt =
				f.School, f.Status, f.Created, f.AckDue, f.ResolveDue, f.AckedAt, f.ResolvedAt
			byID[f.ID] = &x
			return nil
		})
		for _, id := range unseen {
			if err != nil {
				break
			}
			var x *flows.Complaint
			var found bool
			if x, found, err = s.cfg.Store.Complaint(id); found {
				byID[id] = short(x)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	list := make([]*flows.Complaint, 0, len(byID))
	for _, x := range byID {
		list = append(list, x)
	}
	slicesSortNewest(list)
	c.ver, c.ok, c.byID, c.list = ver, true, byID, list
	return list, nil
}

func slicesSortNewest(list []*flows.Complaint) {
	slices.SortFunc(list, func(a, b *flows.Complaint) int { return cmp.Compare(b.ID, a.ID) })
}

// reportCache keeps the reports of wide scopes (a department's, a big
// unit's) for a minute, or until a complaint changes: building one reads
// the aggregates of every school in it (some 80 ms for 2,000 schools),
// while a page over the same figures is a few milliseconds. A report asked
// for when half its minute has passed is served and built again in the
// background, so a page in use stays quick. Each page says when its
// figures were read.
type reportCache struct {
	mu      sync.Mutex
	entries map[string]cachedReport
	// building counts the reports being built again in the background.
	building sync.WaitGroup
}

type cachedReport struct {
	rep        *digest.Report
	at         time.Time // when it was built
	ver        uint64    // ComplaintsVersion it was built under
	used       time.Time
	refreshing bool
}

// reportTTL is how old a cached report may be; cacheFrom is the smallest
// scope whose reports are kept; cachedReports how many are.
const (
	reportTTL     = time.Minute
	cacheFrom     = 100
	cachedReports = 8
)

func reportKey(office string, schools []string, from, to time.Time) string {
	var b strings.Builder
	b.WriteString(office + "|" + strconv.FormatInt(from.Unix(), 10) + "|" + strconv.FormatInt(to.Unix(), 10))
	for _, sc := range schools {
		b.WriteString("|" + sc)
	}
	return b.String()
}

// cachedReport builds a report, or takes it from the cache.
func (s *Server) cachedReport(req *flows.ReportRequest) (*digest.Report, time.Time, error) {
	if len(req.Schools) < cacheFrom {
		r, err := s.cfg.Job.Report(req)
		return r, s.cfg.Now(), err
	}
	key := reportKey(req.Office, req.Schools, req.From, req.To)
	ver := s.cfg.Store.ComplaintsVersion()
	c := &s.reports
	now := s.cfg.Now()
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && e.ver == ver && now.Sub(e.at) < reportTTL && !now.Before(e.at) {
		e.used = now
		if now.Sub(e.at) >= reportTTL/2 && !e.refreshing {
			e.refreshing = true
			c.building.Add(1)
			go func() {
				defer c.building.Done()
				if _, _, err := s.buildReport(key, req); err != nil {
					s.cfg.Log.Warn("web: build a report again", "scope", req.Scope, "err", err)
				}
			}()
		}
		c.entries[key] = e
		c.mu.Unlock()
		return e.rep, e.at, nil
	}
	c.mu.Unlock()
	return s.buildReport(key, req)
}

// buildReport builds a report and keeps it under key.
func (s *Server) buildReport(key string, req *flows.ReportRequest) (*digest.Report, time.Time, error) {
	c := &s.reports
	at, ver := s.cfg.Now(), s.cfg.Store.ComplaintsVersion()
	r, err := s.cfg.Job.Report(req)
	if err != nil {
		c.mu.Lock()
		if e, ok := c.entries[key]; ok {
			e.refreshing = false
			c.entries[key] = e
		}
		c.mu.Unlock()
		return nil, at, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedReport{}
	}
	if _, refresh := c.entries[key]; !refresh && len(c.entries) >= cachedReports {
		// A report built again replaces its own entry: no other goes.
		oldest := ""
		for k, x := range c.entries {
			if oldest == "" || x.used.Before(c.entries[oldest].used) {
				oldest = k
			}
		}
		delete(c.entries, oldest)
	}
	// A wide scope's page lists no comments, only the scope's terms: the
	// cache does not keep a province's comments (the workbook, which has
	// them, reads its report afresh).
	kept := *r
	kept.Comments, kept.SchoolTerms = nil, nil
	c.entries[key] = cachedReport{rep: &kept, at: at, ver: ver, used: at}
	return &kept, at, nil
}

// Settle waits for the reports being built in the background: at
// shutdown, before the database closes.
func (s *Server) Settle() { s.reports.building.Wait() }
