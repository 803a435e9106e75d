package web

import (
	"sync"
	"time"

	"hailong/digest"
	"hailong/flows"
)

// complaintCache keeps every complaint decoded, in short — what the queue
// and the reports read: no reporter, no history, no photos, the text cut —
// and reads them again only after a commit changed one
// (Store.ComplaintsVersion). Decoding 20,000 sealed complaints on every page
// would cost each page more than its whole budget.
type complaintCache struct {
	mu   sync.Mutex
	ver  uint64
	ok   bool
	list []*flows.Complaint
}

// shortText is how much of a complaint's text the cache keeps: the queue
// shows 90 characters.
const shortText = 100

func (s *Server) allComplaints() ([]*flows.Complaint, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	ver := s.cfg.Store.ComplaintsVersion()
	if c.ok && ver == c.ver {
		return c.list, nil
	}
	var list []*flows.Complaint
	err := s.cfg.Store.Complaints(func(x *flows.Complaint) error {
		text := []rune(x.Text)
		if len(text) > shortText {
			text = text[:shortText]
		}
		list = append(list, &flows.Complaint{ID: x.ID, School: x.School, Office: x.Office, Category: x.Category,
			Text: string(text), Anonymous: x.Anonymous, Status: x.Status, Created: x.Created, AckDue: x.AckDue,
			ResolveDue: x.ResolveDue, AckedAt: x.AckedAt, ResolvedAt: x.ResolvedAt})
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.ver, c.ok, c.list = ver, true, list
	return list, nil
}

// cachedStore is the store as the dashboard's reports see it: complaints
// from the cache.
type cachedStore struct {
	digest.Store
	s *Server
}

func (c cachedStore) Complaints(fn func(*flows.Complaint) error) error {
	list, err := c.s.allComplaints()
	if err != nil {
		return err
	}
	for _, x := range list {
		if err := fn(x); err != nil {
			return err
		}
	}
	return nil
}

// scopedMax is the most schools a page reads school by school; a wider
// scope reads the wave's records whole, which is then cheaper.
const scopedMax = 300

// scoped is a Store narrowed to a page's schools.
func (s *Server) scoped(schools []string) []string {
	if len(schools) > scopedMax {
		return nil
	}
	return schools
}

// scopedStore reads the aggregates and day counts of its schools alone.
type scopedStore struct {
	cachedStore
	schools []string
}

func (c scopedStore) Aggregates(wave string) (flows.WaveCounts, error) {
	return c.s.cfg.Store.AggregatesOf(wave, c.schools)
}

func (c scopedStore) NewResponses(waves []string, from, to time.Time) (map[string]int, error) {
	return c.s.cfg.Store.NewResponsesOf(waves, c.schools, from, to)
}
