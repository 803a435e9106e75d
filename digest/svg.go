package digest

import (
	"bytes"
	"fmt"
	"slices"
	"sort"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// RankSVG draws the report's ranking as SVG, for the web dashboard: its
// units when it has any (as Charts draws a department's), else its schools,
// best first; of more than ChartPage, the ChartPage/2 best and lowest, the
// title saying so. The same bars, labels and reference lines as Chart,
// with text the browser sets in its own sans face (no fonts embedded, so a
// chart of 40 stays small).
func RankSVG(r *Report) ([]byte, error) {
	page := *r
	rows := r.Rows
	if len(r.Units) > 0 {
		rows, page.Units, page.byUnit = r.Units, nil, true
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("digest: nothing to rank")
	}
	ranked := Ranked(rows)
	if len(ranked) > ChartPage {
		shown := 0
		for _, row := range ranked {
			if row.Index.Shown {
				shown++
			}
		}
		half := ChartPage / 2
		if shown > ChartPage {
			ranked = append(append([]Row(nil), ranked[:half]...), ranked[shown-half:shown]...)
			page.Scope += fmt.Sprintf(" (%d cao nhất, %d thấp nhất)", half, half)
		} else {
			ranked = ranked[:ChartPage]
		}
	}
	page.Rows = ranked
	return chartSVG(&page)
}

// Ranked orders rows by index, best first; rows without a shown index
// last, by name.
func Ranked(rows []Row) []Row {
	out := slices.Clone(rows)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Index, out[j].Index
		if a.Shown != b.Shown {
			return a.Shown
		}
		if a.Shown && a.Pct != b.Pct {
			return a.Pct > b.Pct
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func chartSVG(r *Report) ([]byte, error) {
	p := chartPlot(r)
	c := vgsvg.New(chartPx(chartWidthPx), chartPx(chartHeightPx(len(r.Rows))))
	m := chartPx(16)
	p.Draw(draw.Crop(draw.New(c), m, -m, m/2, -m/2))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("digest: encode SVG chart: %w", err)
	}
	return buf.Bytes(), nil
}
