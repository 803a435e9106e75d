package bot

import (
	"sort"
	"sync"
	"time"
)

// stats measures what the bench command reports: how long an update takes
// from being fetched from Telegram to being committed.
type stats struct {
	mu      sync.Mutex
	batches []batchSample
	updates int
}

type batchSample struct {
	n int           // updates in the batch
	d time.Duration // from the fetch to the commit
}

const maxSamples = 1 << 20

func (s *stats) record(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates += n
	if len(s.batches) < maxSamples {
		s.batches = append(s.batches, batchSample{n, d})
	}
}

// Stats are the bot's measurements since it started.
type Stats struct {
	Updates       int           // updates committed
	Sent          int64         // messages delivered
	P50, P99, Max time.Duration // fetched-to-committed time of an update
}

// Stats reports the bot's measurements.
func (b *Bot) Stats() Stats {
	s := &b.stats
	s.mu.Lock()
	samples := append([]batchSample(nil), s.batches...)
	st := Stats{Updates: s.updates, Sent: b.sent.Load()}
	s.mu.Unlock()
	sort.Slice(samples, func(i, j int) bool { return samples[i].d < samples[j].d })
	total := 0
	for _, x := range samples {
		total += x.n
	}
	seen := 0
	for _, x := range samples {
		seen += x.n
		if st.P50 == 0 && seen*2 >= total {
			st.P50 = x.d
		}
		if st.P99 == 0 && seen*100 >= total*99 {
			st.P99 = x.d
		}
		st.Max = x.d
	}
	return st
}

// ResetStats starts the measurements afresh.
func (b *Bot) ResetStats() {
	b.stats.mu.Lock()
	b.stats.batches, b.stats.updates = nil, 0
	b.stats.mu.Unlock()
}
