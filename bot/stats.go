package bot

import (
	"math/bits"
	"sync"
	"time"
)

// stats measures how long an update takes from being fetched from
// Telegram to being committed, in constant memory: a histogram whose
// buckets are 1/64 of a power of two wide, so a percentile read from it is
// within 1.6 % of the true one, however long the bot runs.
type stats struct {
	mu      sync.Mutex
	updates int
	max     time.Duration
	counts  [histBuckets]int64 // updates, by the fetch-to-commit time of their batch
}

const (
	subBits     = 6 // 64 buckets per power of two
	subBuckets  = 1 << subBits
	histBuckets = (64 - subBits + 1) * subBuckets
)

// bucket is the histogram index of d: exact below 64 ns, then 64 buckets
// for each power of two.
func bucket(d time.Duration) int {
	n := uint64(max(d, 0))
	if n < subBuckets {
		return int(n)
	}
	shift := bits.Len64(n) - subBits - 1
	return (shift+1)*subBuckets + int(n>>shift) - subBuckets
}

// upper is the largest duration that falls in bucket i.
func upper(i int) time.Duration {
	if i < subBuckets {
		return time.Duration(i)
	}
	shift := i/subBuckets - 1
	return time.Duration((uint64(i%subBuckets+subBuckets+1) << shift) - 1)
}

// record counts n updates committed d after their batch was fetched.
func (s *stats) record(n int, d time.Duration) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates += n
	s.counts[bucket(d)] += int64(n)
	s.max = max(s.max, d)
}

// Stats are the bot's measurements since it started (or ResetStats).
type Stats struct {
	Updates       int           // updates committed
	Sent          int64         // messages delivered
	P50, P99, Max time.Duration // fetched-to-committed time of an update
}

// Stats reports the bot's measurements. P50 and P99 are the upper bounds
// of their histogram buckets (at most 1.6 % above the true value, and
// never above Max).
func (b *Bot) Stats() Stats {
	s := &b.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Updates: s.updates, Sent: b.run.Sent(), Max: s.max}
	var seen int64
	total := int64(s.updates)
	median := false
	for i, c := range s.counts {
		if c == 0 {
			continue
		}
		seen += c
		if !median && seen*2 >= total {
			st.P50, median = min(upper(i), s.max), true
		}
		if seen*100 >= total*99 {
			st.P99 = min(upper(i), s.max)
			break
		}
	}
	return st
}

// ResetStats starts the measurements afresh.
func (b *Bot) ResetStats() {
	s := &b.stats
	s.mu.Lock()
	s.updates, s.max, s.counts = 0, 0, [histBuckets]int64{}
	s.mu.Unlock()
}
