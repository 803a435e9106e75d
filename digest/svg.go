package digest

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ChartSVG draws Chart's picture as SVG, for the web dashboard: the same
// bars, labels and reference lines, with text the browser sets in its own
// sans face (no fonts embedded, so a chart of 40 schools stays small).
func ChartSVG(r *Report) ([]byte, error) {
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
