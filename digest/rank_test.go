package digest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRankSVG: the dashboard's ranking draws a report's units when it has
// any (titled by unit), else its schools; of more than ChartPage, the best
// and the lowest halves, the title saying so.
func TestRankSVG(t *testing.T) {
	rows := func(n int, prefix string) []Row {
		var out []Row
		for i := range n {
			out = append(out, Row{Code: fmt.Sprintf("%s%02d", prefix, i), Name: fmt.Sprintf("%s %02d", prefix, i),
				Total: 50, Index: Score{Shown: true, Pct: float64(40 + i)}})
		}
		return out
	}
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	r := &Report{Scope: "Sở", From: from, To: from.AddDate(0, 1, 0), Rows: rows(60, "Trường"), Units: rows(3, "Xã")}
	svg, err := RankSVG(r)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(svg); !strings.Contains(s, "theo đơn vị") || !strings.Contains(s, "Xã 02") || strings.Contains(s, "Trường 00") {
		t.Errorf("a report with units ranks its units, titled so")
	}
	r.Units = nil
	svg, err = RankSVG(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.Contains(s, "theo trường") || !strings.Contains(s, "20 cao nhất, 20 thấp nhất") ||
		!strings.Contains(s, "Trường 59") || !strings.Contains(s, "Trường 00") || strings.Contains(s, "Trường 30") {
		t.Errorf("60 schools: want the 20 best and 20 lowest, titled so")
	}
}
