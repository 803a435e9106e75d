package digest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
	"time"

	"git.sr.ht/~sbinet/gg"
	stdfont "golang.org/x/image/font"
	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart geometry in pixels. The canvas is rendered at chartDPI, so lengths
// handed to gonum (points) are pixels*72/chartDPI.
const (
	chartDPI       = 96
	chartWidthPx   = 1200
	chartMinHeight = 400
	chartBasePx    = 200 // title, x axis, the band for the line labels
	chartRowPx     = 36
	chartTarget    = 80.0
)

var (
	chartBarColor     = color.RGBA{R: 0x2e, G: 0x75, B: 0xb6, A: 0xff}
	chartFlagColor    = color.RGBA{R: 0xe0, G: 0x6c, B: 0x00, A: 0xff}
	chartThreshColor  = color.RGBA{R: 0xb0, G: 0x52, B: 0x00, A: 0xff} // chartFlagColor, darker for text
	chartTargetColor  = color.RGBA{R: 0x1e, G: 0x84, B: 0x49, A: 0xff}
	chartMutedColor   = color.Gray{Y: 0x70}
	chartTextColor    = color.Gray{Y: 0x20}
	chartGridColor    = color.Gray{Y: 0xdd}
	chartInsideColor  = color.White
	chartSansFont     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	chartSansBoldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
)

// chartHeightPx grows the chart with the schools so that every row stays
// readable however many there are.
func chartHeightPx(n int) int {
	return max(chartMinHeight, chartBasePx+chartRowPx*n)
}

func chartPx(px int) vg.Length { return vg.Length(px) * vg.Inch / chartDPI }

// ChartPage is the most schools one chart holds: a phone shows a taller
// picture too small to read, and one image of 200 schools costs the bot
// some 90 MB of memory to draw.
const ChartPage = 40

// Charts draws the report's schools as Chart does, ChartPage to a picture,
// their titles numbered when there is more than one; a report with units
// (a department's communes) draws its units instead: its schools are a
// thousand, and each commune charts its own.
func Charts(r *Report) ([][]byte, error) {
	rows := r.Rows
	if len(r.Units) > 0 {
		byUnit := *r
		byUnit.Rows, byUnit.Units, byUnit.byUnit = r.Units, nil, true
		r, rows = &byUnit, r.Units
	}
	pages := max(1, (len(rows)+ChartPage-1)/ChartPage)
	var out [][]byte
	for i := range pages {
		page := *r
		if pages > 1 {
			page.Rows = rows[i*ChartPage : min(len(rows), (i+1)*ChartPage)]
			page.Scope = fmt.Sprintf("%s (%d/%d)", r.Scope, i+1, pages)
		}
		png, err := Chart(&page)
		if err != nil {
			return nil, err
		}
		out = append(out, png)
	}
	return out, nil
}

// chartPlot is the chart of Chart, to be drawn on any canvas.
func chartPlot(r *Report) *plot.Plot {
	p := plot.New()
	n := len(r.Rows)
	hdlr := p.TextHandler

	// Liberation Sans covers Latin Extended Additional, which holds the
	// precomposed Vietnamese letters; sans reads better than gonum's serif
	// default when the picture is shrunk on a phone.
	p.Title.Text = renderChartTitle(r)
	p.Title.TextStyle.Font = font.From(chartSansBoldFont, 15)
	p.Title.Padding = chartPx(14)
	p.X.Label.Text = "% hài lòng (mức 4–5)"
	p.X.Label.TextStyle.Font = font.From(chartSansFont, 12)
	p.X.Tick.Label.Font = font.From(chartSansFont, 11)
	p.Y.Tick.Label.Font = font.From(chartSansFont, 11)
	p.X.Min, p.X.Max = 0, 100
	var xt []plot.Tick
	for v := 0; v <= 100; v += 10 {
		xt = append(xt, plot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)

	grid := plotter.NewGrid()
	grid.Vertical.Color = chartGridColor
	grid.Horizontal.Color = nil
	p.Add(grid)

	bars := &chartBars{report: r, hdlr: hdlr}
	p.Add(bars)

	// The report's first school goes on top. Names typed on phones can arrive
	// decomposed, and the plain text handler would draw a combining mark
	// beside its letter instead of on it, hence NFC.
	if n > 0 {
		names := make([]string, n)
		for i, row := range r.Rows {
			names[n-1-i] = norm.NFC.String(row.Name)
		}
		p.NominalY(names...)
	} else {
		p.HideY()
	}
	p.Y.Padding = chartPx(6)
	p.Y.Min, p.Y.Max = bars.yRange()
	return p
}

// Chart draws the satisfaction index of each school of r as horizontal bars
// and returns it as a PNG.
func Chart(r *Report) ([]byte, error) {
	p, n := chartPlot(r), len(r.Rows)

	// One picture in memory: vgimg's own would be copied into a second
	// one for its drawing context (8 MB each at 40 schools).
	img := image.NewRGBA(image.Rect(0, 0, chartWidthPx, chartHeightPx(n)))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	c := vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(chartDPI)) // white underneath
	// gonum draws the outermost tick labels flush with the canvas edge.
	m := chartPx(16)
	p.Draw(draw.Crop(draw.New(c), m, -m, m/2, -m/2))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("digest: encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

func renderChartTitle(r *Report) string {
	title := "Chỉ số hài lòng theo trường"
	if r.byUnit {
		title = "Chỉ số hài lòng theo đơn vị"
	}
	if s := strings.TrimSpace(r.Scope); s != "" {
		title += " — " + norm.NFC.String(s)
	}
	if per := renderPeriod(r); per != "" {
		title += "\n" + per
	}
	return title
}

// renderPeriod is the report's period as the days it covers; To is
// exclusive, so the last day shown is the one before it.
func renderPeriod(r *Report) string {
	if r.From.IsZero() || r.To.IsZero() {
		return ""
	}
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	const layout = "02/01/2006"
	from := r.From.In(loc)
	last := r.To.In(loc).AddDate(0, 0, -1)
	if last.Before(from) {
		last = from
	}
	return from.Format(layout) + "–" + last.Format(layout)
}

// chartBars draws the bars, their labels and the reference lines itself:
// plotter.BarChart has one colour per series and no way to leave a bar out
// while labelling its row.
type chartBars struct {
	report *Report
	hdlr   text.Handler
}

// The rows sit at y = 0..n-1; the band above them holds the line labels.
const (
	chartBarHalf = 0.32
	chartBand    = 0.9
)

func (b *chartBars) yRange() (lo, hi float64) {
	n := len(b.report.Rows)
	if n == 0 {
		return -0.5, 0.5 + chartBand
	}
	return -0.6, float64(n-1) + 0.5 + chartBand
}

func (b *chartBars) style(f font.Font, size font.Length, clr color.Color, xa text.XAlignment) text.Style {
	return text.Style{Color: clr, Font: font.From(f, size), XAlign: xa, YAlign: draw.YCenter, Handler: b.hdlr}
}

func (b *chartBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	// The reference lines go under the bars and labels so that they never
	// strike through a number.
	b.drawRefLines(&c, trX, trY)

	rows := b.report.Rows
	n := len(rows)
	value := b.style(chartSansFont, 11, chartTextColor, draw.XLeft)
	inside := b.style(chartSansBoldFont, 11, chartInsideColor, draw.XRight)
	muted := b.style(chartSansFont, 11, chartMutedColor, draw.XLeft)
	muted.Font.Style = stdfont.StyleItalic
	pad := chartPx(6)
	// Shifted by the descent like gonum's own tick labels, so that a row's
	// labels line up with the school's name.
	lift := value.FontExtents().Descent

	for i, row := range rows {
		y := float64(n - 1 - i)
		yc := trY(y) + lift
		if !row.Index.Shown {
			b.backedText(&c, muted, vg.Point{X: trX(0) + pad, Y: yc}, "chưa đủ mẫu")
			continue
		}
		v := min(max(row.Index.Pct, 0), 100)
		clr := chartBarColor
		if row.Flagged {
			clr = chartFlagColor
		}
		x0, x1 := trX(0), trX(v)
		y0, y1 := trY(y-chartBarHalf), trY(y+chartBarHalf)
		c.FillPolygon(clr, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		label := PercentVI(row.Index.Pct)
		// A label past the end of a near-full bar would leave the plot.
		if x1+pad+value.Width(label) > trX(100) {
			c.FillText(inside, vg.Point{X: x1 - pad, Y: yc}, label)
		} else {
			b.backedText(&c, value, vg.Point{X: x1 + pad, Y: yc}, label)
		}
	}
	if n == 0 {
		c.FillText(b.style(chartSansFont, 12, chartMutedColor, draw.XCenter), vg.Point{X: trX(50), Y: trY(0)}, "Chưa có trường nào trong báo cáo")
	}
}

// backedText writes a left-aligned label on a white patch, hiding the dashed
// line it may sit on.
func (b *chartBars) backedText(c *draw.Canvas, sty text.Style, pt vg.Point, txt string) {
	w := sty.Width(txt)
	h := sty.Height(txt)
	e := chartPx(2)
	x0, x1 := pt.X-e, pt.X+w+e
	y0, y1 := pt.Y-sty.FontExtents().Descent-h/2, pt.Y-sty.FontExtents().Descent+h/2
	c.FillPolygon(color.White, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	c.FillText(sty, pt, txt)
}

func (b *chartBars) drawRefLines(c *draw.Canvas, trX, trY func(float64) vg.Length) {
	type refLine struct {
		x          float64
		label      string
		line, text color.Color
	}
	lines := []refLine{{chartTarget, "mục tiêu " + PercentVI(chartTarget), chartTargetColor, chartTargetColor}}
	// The threshold shares the flagged bars' colour: that is the whole legend.
	if fb := b.report.FlagBelow; fb > 0 && fb <= 100 {
		lines = append(lines, refLine{fb, "ngưỡng " + PercentVI(fb), chartFlagColor, chartThreshColor})
	}
	if len(lines) == 2 && lines[1].x < lines[0].x {
		lines[0], lines[1] = lines[1], lines[0]
	}
	lo, hi := b.yRange()
	top := hi - chartBand
	labelY := trY(top + chartBand/2)
	pad := chartPx(3)
	for i, l := range lines {
		sty := draw.LineStyle{Color: l.line, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(4)}}
		x := trX(l.x)
		c.StrokeLine2(sty, x, trY(lo), x, trY(top))
		// The lower line is labelled on its left and the higher on its right
		// so that close thresholds don't print over each other.
		ts := b.style(chartSansBoldFont, 11, l.text, draw.XCenter)
		pt := vg.Point{X: x, Y: labelY}
		if len(lines) == 2 {
			if i == 0 {
				ts.XAlign, pt.X = draw.XRight, x+pad
			} else {
				ts.XAlign, pt.X = draw.XLeft, x-pad
			}
		}
		c.FillText(ts, pt, l.label)
	}
}
