package store

import (
	"fmt"
	"testing"

	"hailong/flows"
)

// TestBaselinesOfSchools: a report of some schools reads their baselines
// alone — a school whose code begins another's ("TH-1", "TH-10") included
// only when asked for — and nil reads the period's every school.
func TestBaselinesOfSchools(t *testing.T) {
	h := newHarness(t, Options{})
	var rows []flows.Baseline
	for _, sc := range []string{"TH-1", "TH-10", "TH-2"} {
		for _, p := range []string{"2024-2025", "2025-2026"} {
			rows = append(rows, flows.Baseline{Period: p, School: sc, Indicator: flows.IndexID, Good: 8, Bad: 2})
		}
	}
	if err := h.db.PutBaselines(rows); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		schools []string
		want    int
	}{{[]string{"TH-1"}, 1}, {[]string{"TH-10", "TH-2"}, 2}, {[]string{"TH-9"}, 0}, {nil, 3}, {[]string{}, 0}} {
		got, err := h.db.Baselines("2025-2026", c.schools)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.want {
			t.Errorf("schools %v: %d rows, want %d: %+v", c.schools, len(got), c.want, got)
		}
		for _, b := range got {
			if b.Period != "2025-2026" || c.schools != nil && b.School != c.schools[0] && (len(c.schools) < 2 || b.School != c.schools[1]) {
				t.Errorf("schools %v: read %+v", c.schools, b)
			}
		}
	}
}

// BenchmarkBaselines reads a period's baselines of a province of 2,000
// schools, 16 indicators each (32,000 rows): one school's, as a school's
// report asks, and every school's, as a province's does. Zero latency,
// local bbolt.
func BenchmarkBaselines(b *testing.B) {
	h := newHarness(b, Options{})
	var rows []flows.Baseline
	for i := range 2000 {
		for q := range 16 {
			rows = append(rows, flows.Baseline{Period: "2025-2026", School: fmt.Sprintf("S%04d", i),
				Indicator: fmt.Sprintf("A%d", q), Good: 80, Bad: 20, Source: "Sở GDĐT, 2025"})
		}
	}
	if err := h.db.PutBaselines(rows); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		schools []string
	}{{"one school", []string{"S1234"}}, {"province", nil}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := h.db.Baselines("2025-2026", c.schools); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
