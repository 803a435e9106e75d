package bot

import (
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"hailong/internal/channel"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, d := range []time.Duration{0, 1, 63, 64, 65, 127, 128, 129, 1000, time.Microsecond, 999 * time.Microsecond,
		time.Millisecond, 4999 * time.Microsecond, 5 * time.Millisecond, time.Second, time.Hour, 1<<63 - 1} {
		i := bucket(d)
		if i < prev || i >= histBuckets {
			t.Fatalf("bucket(%s) = %d after %d (of %d)", d, i, prev, histBuckets)
		}
		prev = i
		u := upper(i)
		if u < d || (i > 0 && upper(i-1) >= d) {
			t.Fatalf("%s in bucket %d, which ends at %s (the one before at %s)", d, i, u, upper(i-1))
		}
		if d >= subBuckets && float64(u-d) > float64(d)/subBuckets {
			t.Fatalf("bucket of %s ends at %s: more than 1/%d above", d, u, subBuckets)
		}
	}
}

func TestStatsPercentiles(t *testing.T) {
	b := &Bot{run: channel.New(Channel, channel.Common{}.WithDefaults(DefaultLimits), slog.Default())}
	r := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 5000 {
		// Batches of 1-20 updates, mostly about a millisecond, a few slow.
		n := 1 + r.IntN(20)
		d := time.Duration(500_000 + r.IntN(1_500_000))
		if r.IntN(100) == 0 {
			d = time.Duration(5_000_000 + r.IntN(20_000_000))
		}
		b.stats.record(n, d)
		for range n {
			all = append(all, d)
		}
	}
	slices.Sort(all)
	st := b.Stats()
	if st.Updates != len(all) || st.Max != all[len(all)-1] {
		t.Fatalf("%d updates, max %s; want %d, %s", st.Updates, st.Max, len(all), all[len(all)-1])
	}
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", st.P50, all[(len(all)-1)/2]},
		{"p99", st.P99, all[(len(all)*99+99)/100-1]},
	} {
		if c.got < c.want || float64(c.got-c.want) > float64(c.want)/subBuckets {
			t.Errorf("%s = %s; want %s (at most 1/%d above)", c.name, c.got, c.want, subBuckets)
		}
	}
	b.stats.record(0, time.Hour) // a batch of nothing: an offset moved past updates the bot does not take
	if got := b.Stats(); got != st {
		t.Errorf("an empty batch changed the stats: %+v → %+v", st, got)
	}
	b.ResetStats()
	if st := b.Stats(); st != (Stats{}) {
		t.Fatalf("after a reset: %+v", st)
	}
	b.stats.record(3, 0)
	b.stats.record(1, 5*time.Millisecond)
	if st := b.Stats(); st.P50 != 0 || st.P99 != 5*time.Millisecond {
		t.Errorf("a median of 0 ns: %+v", st)
	}
}
