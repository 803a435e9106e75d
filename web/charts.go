package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"hailong/digest"
)

// Charts are SVG drawn on the server (gonum/plot), put in the page as
// data: images: the strict CSP allows them, and no script draws anything.

var (
	sans      = font.Font{Typeface: "Liberation", Variant: "Sans"}
	barNow    = color.RGBA{R: 0x2e, G: 0x75, B: 0xb6, A: 0xff}
	barBefore = color.RGBA{R: 0xb8, G: 0xc7, B: 0xd9, A: 0xff}
)

func dataURI(svg []byte) template.URL {
	return template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg))
}

// rankChart is the ranking of the report's units, or else its schools, as
// the digest draws it (digest.RankSVG).
func rankChart(rep *digest.Report) (template.URL, error) {
	svg, err := digest.RankSVG(rep)
	if err != nil {
		return "", err
	}
	return dataURI(svg), nil
}

// itemsChart draws each indicator's share of good answers as a horizontal
// bar; one answered by too few parents has no bar, only "chưa đủ mẫu".
func itemsChart(items []itemRow) (template.URL, error) {
	if len(items) == 0 {
		return "", fmt.Errorf("no items")
	}
	p := plot.New()
	p.Title.Text = "Tỉ lệ hài lòng theo chỉ số (%)"
	p.Title.TextStyle.Font = font.From(sans, 13)
	p.X.Min, p.X.Max = 0, 100
	p.X.Tick.Label.Font = font.From(sans, 10)
	p.Y.Tick.Label.Font = font.From(sans, 10)
	var xt []plot.Tick
	for v := 0; v <= 100; v += 20 {
		xt = append(xt, plot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	n := len(items)
	values := make(plotter.Values, n)
	names := make([]string, n)
	labels := make([]string, n)
	for i, it := range items {
		j := n - 1 - i // the first item on top
		names[j] = it.ID
		labels[j] = "chưa đủ mẫu"
		if it.Score.Shown {
			values[j] = it.Score.Pct
			labels[j] = digest.PercentVI(it.Score.Pct)
		}
	}
	bars, err := plotter.NewBarChart(values, vg.Points(11))
	if err != nil {
		return "", err
	}
	bars.Horizontal = true
	bars.Color = barNow
	bars.LineStyle.Width = 0
	p.Add(bars)
	var pts plotter.XYs
	for i := range values {
		pts = append(pts, plotter.XY{X: values[i] + 1, Y: float64(i)})
	}
	lab, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
	if err != nil {
		return "", err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].Font = font.From(sans, 9)
		lab.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(lab)
	p.NominalY(names...)
	return drawSVG(p, 480, 60+18*n)
}

// trendChart draws the responses week by week beside the same weeks a year
// earlier.
func trendChart(weeks []week) (template.URL, error) {
	if len(weeks) == 0 {
		return "", fmt.Errorf("no weeks")
	}
	p := plot.New()
	p.Title.Text = "Số phiếu trả lời theo tuần"
	p.Title.TextStyle.Font = font.From(sans, 13)
	p.X.Tick.Label.Font = font.From(sans, 9)
	p.Y.Tick.Label.Font = font.From(sans, 9)
	p.Legend.Top = true
	p.Legend.TextStyle.Font = font.From(sans, 9)
	p.Legend.Padding = vg.Points(3)
	now := make(plotter.Values, len(weeks))
	then := make(plotter.Values, len(weeks))
	var names []string
	top := 1.0
	for i, w := range weeks {
		now[i], then[i] = float64(w.Now), float64(w.Then)
		top = max(top, now[i], then[i])
		names = append(names, w.Label)
	}
	width := vg.Points(9)
	b1, err := plotter.NewBarChart(then, width)
	if err != nil {
		return "", err
	}
	b1.Color, b1.LineStyle.Width, b1.Offset = barBefore, 0, -width/2
	b2, err := plotter.NewBarChart(now, width)
	if err != nil {
		return "", err
	}
	b2.Color, b2.LineStyle.Width, b2.Offset = barNow, 0, width/2
	p.Add(b1, b2)
	p.Legend.Add("Cùng kì năm trước", b1)
	p.Legend.Add("Kì này", b2)
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, top*1.15
	p.Y.Tick.Marker = intTicks{}
	return drawSVG(p, 720, 260)
}

// intTicks are whole-number ticks with thousands grouped by a dot.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for (hi-lo)/step > 6 {
		switch {
		case strconv.Itoa(int(step))[0] == '1':
			step *= 2
		case strconv.Itoa(int(step))[0] == '2':
			step = step / 2 * 5
		default:
			step *= 2
		}
	}
	var out []plot.Tick
	for v := 0.0; v <= hi; v += step {
		out = append(out, plot.Tick{Value: v, Label: digest.Number(int(v))})
	}
	return out
}

func drawSVG(p *plot.Plot, wpt, hpt int) (template.URL, error) {
	c := vgsvg.New(vg.Points(float64(wpt)), vg.Points(float64(hpt)))
	m := vg.Points(8)
	p.Draw(draw.Crop(draw.New(c), m, -m, m/2, -m/2))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	return dataURI(buf.Bytes()), nil
}
