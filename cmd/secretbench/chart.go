package main

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/secretbench/secretbench/bench"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// isChartCase reports whether the chart draws c: one AES-IGE stream with a
// reused key.
func isChartCase(c *bench.Case) bool { return c.Bench == "IGE" }

// implStyle is how one implementation looks on every chart of every
// machine, so that charts of two machines read alike.
type implStyle struct {
	color  color.Color
	glyph  draw.GlyphDrawer
	dashes []vg.Length
	label  string
}

// implStyles fixes the look of the known implementation names. The three
// that run at nearly the same speed on one stream (vaes-avx512, vaes-avx2,
// aes-ni: all one AES chain) differ in dashes and markers as well as colour.
var implStyles = map[string]implStyle{
	"ref":         {color.RGBA{0, 0, 0, 255}, draw.CircleGlyph{}, nil, "ref (gotd/ige + crypto/aes)"},
	"generic":     {color.RGBA{140, 86, 75, 255}, draw.SquareGlyph{}, nil, ""},
	"aes-ni":      {color.RGBA{31, 119, 180, 255}, draw.TriangleGlyph{}, []vg.Length{vg.Points(1.5), vg.Points(2.5)}, ""},
	"vaes-avx2":   {color.RGBA{255, 127, 14, 255}, draw.CrossGlyph{}, []vg.Length{vg.Points(6), vg.Points(3)}, ""},
	"vaes-avx512": {color.RGBA{44, 160, 44, 255}, draw.RingGlyph{}, nil, ""},
}

// otherColors serve implementation names the table does not know, chosen
// by a hash of the name so that the choice is the same on every machine.
var otherColors = []color.Color{
	color.RGBA{148, 103, 189, 255}, color.RGBA{227, 119, 194, 255},
	color.RGBA{188, 189, 34, 255}, color.RGBA{23, 190, 207, 255},
}

func styleOf(impl string) implStyle {
	if s, ok := implStyles[impl]; ok {
		if s.label == "" {
			s.label = impl
		}
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(impl))
	i := int(h.Sum32() % uint32(len(otherColors)))
	return implStyle{otherColors[i], draw.PyramidGlyph{}, []vg.Length{vg.Points(3), vg.Points(2), vg.Points(1), vg.Points(2)}, impl}
}

// implOrder sorts implementations for the legend: ref, then the known names
// from the widest down, then the others by name.
var implOrder = []string{"ref", "vaes-avx512", "vaes-avx2", "aes-ni", "generic"}

func implLess(a, b string) int {
	ia, ib := slices.Index(implOrder, a), slices.Index(implOrder, b)
	switch {
	case ia >= 0 && ib >= 0:
		return ia - ib
	case ia >= 0:
		return -1
	case ib >= 0:
		return 1
	}
	return strings.Compare(a, b)
}

// chartPoint is one case on the chart: the median throughput and its 95%
// confidence interval (lo = hi = y when there are too few runs).
type chartPoint struct{ x, y, lo, hi float64 }

// writeSVG draws AES-256-IGE throughput of one stream by message size,
// encrypt and decrypt side by side, one line per implementation with the
// confidence interval of each point as a bar, and the serial-chain bound of
// the selected implementation as a dashed line.
func writeSVG(w io.Writer, ms []*measured, info runInfo) error {
	series := map[string]map[string][]chartPoint{} // op -> impl -> points
	var bound float64
	for _, m := range ms {
		c := m.Case
		if !m.ok() {
			continue
		}
		if c.Bench == "AESBound" && c.Get("impl") == info.IGEImpl && c.Get("lanes") == "1" {
			bound = chartMBs(m).y
		}
		if !isChartCase(c) {
			continue
		}
		n, err := parseSize(c.Get("size"))
		if err != nil {
			return err
		}
		p := chartMBs(m)
		p.x = float64(n)
		op, impl := c.Get("op"), c.Get("impl")
		if series[op] == nil {
			series[op] = map[string][]chartPoint{}
		}
		series[op][impl] = append(series[op][impl], p)
	}
	if len(series) == 0 {
		return fmt.Errorf("no AES-IGE single-stream results to draw (run the ige suite)")
	}
	var impls []string
	yMax := bound
	for _, byImpl := range series {
		for impl, ps := range byImpl {
			if !slices.Contains(impls, impl) {
				impls = append(impls, impl)
			}
			for _, p := range ps {
				yMax = max(yMax, p.hi)
			}
		}
	}
	slices.SortFunc(impls, implLess)
	yMax *= 1.08

	var plots []*plot.Plot
	var labels []string
	legend := plot.NewLegend()
	for _, op := range []string{"encrypt", "decrypt"} {
		if series[op] == nil {
			continue
		}
		p, err := opPlot(op, series[op], impls, bound, yMax, &legend, len(plots) == 0)
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	for _, impl := range impls {
		labels = append(labels, styleOf(impl).label)
	}
	if bound > 0 {
		label := "bound: serial AES chain, " + info.IGEImpl
		legend.Add(label, boundLine(1, 2, bound))
		labels = append(labels, label)
	}
	if err := drawChart(w, plots, &legend, labels, info); err != nil {
		return err
	}
	return writeCasesMarker(w, ms)
}

// opPlot is one panel: every implementation's throughput for op.
func opPlot(op string, byImpl map[string][]chartPoint, impls []string, bound, yMax float64, legend *plot.Legend, addLegend bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = op
	p.X.Label.Text = "message size (bytes)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = sizeTicks{}
	p.Y.Label.Text = "MB/s (wall clock)"
	if ratioClock == "cpu" {
		p.Y.Label.Text = "MB per CPU second"
	}
	p.Y.Min, p.Y.Max = 0, yMax
	p.Y.Tick.Marker = niceTicks{}
	p.Add(plotter.NewGrid())
	xMin, xMax := math.Inf(1), 0.0
	for i, impl := range impls {
		ps := byImpl[impl]
		if len(ps) == 0 {
			continue
		}
		slices.SortFunc(ps, func(a, b chartPoint) int { return int(a.x - b.x) })
		// Spread the points of one size a little sideways, so that the
		// interval bars of implementations of equal speed stay apart.
		dodge := math.Pow(1.045, float64(i)-float64(len(impls)-1)/2)
		xys := make(plotter.XYs, len(ps))
		errs := make(plotter.YErrors, len(ps))
		for j, pt := range ps {
			xys[j] = plotter.XY{X: pt.x * dodge, Y: pt.y}
			errs[j].Low, errs[j].High = pt.y-pt.lo, pt.hi-pt.y
			xMin, xMax = min(xMin, pt.x), max(xMax, pt.x)
		}
		st := styleOf(impl)
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width, line.Dashes = st.color, vg.Points(1.3), st.dashes
		points.Color, points.Shape, points.Radius = st.color, st.glyph, vg.Points(3)
		bars, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return nil, err
		}
		bars.Color, bars.Width, bars.CapWidth = st.color, vg.Points(1), vg.Points(5)
		p.Add(line, bars, points)
		if addLegend {
			legend.Add(st.label, line, points)
		}
	}
	p.X.Min, p.X.Max = xMin/1.5, xMax*1.5
	if bound > 0 {
		p.Add(boundLine(p.X.Min, p.X.Max, bound))
	}
	return p, nil
}

func boundLine(x0, x1, y float64) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	l.Color = color.Gray{Y: 90}
	l.Width = vg.Points(1)
	return l
}

// drawChart lays the panels out side by side under a title, with the
// legend on a white box to the right, outside the data.
func drawChart(w io.Writer, plots []*plot.Plot, legend *plot.Legend, labels []string, info runInfo) error {
	const width, height = 12 * vg.Inch, 5.5 * vg.Inch
	const margin = 0.2 * vg.Inch
	const legendWidth = 3.6 * vg.Inch
	c := vgsvg.New(width, height)
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	title := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 14), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
	sub := title
	sub.Font = font.From(plot.DefaultFont, 10)
	top := height - margin
	dc.FillText(title, vg.Point{X: (width - legendWidth) / 2, Y: top}, "AES-256-IGE, one stream: "+info.Title)
	note := fmt.Sprintf("median and 95%% confidence interval of %d runs per point, %s", info.Count, info.Go)
	if s := fewRuns(info.Count); s != "" {
		sub.Color = color.RGBA{200, 0, 0, 255}
		note = "warning: " + s
	}
	dc.FillText(sub, vg.Point{X: (width - legendWidth) / 2, Y: top - title.Height("A") - 3}, note)
	plotsTop := top - title.Height("A") - sub.Height("A") - 12

	area := draw.Crop(dc, margin, -(legendWidth + margin), margin, plotsTop-height)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: 0.35 * vg.Inch}
	for i, cv := range plot.Align([][]*plot.Plot{plots}, tiles, area)[0] {
		plots[i].Draw(cv)
	}

	// The legend on its own canvas to the right of the panels.
	legend.TextStyle.Font = font.From(plot.DefaultFont, 10)
	legend.ThumbnailWidth = 0.45 * vg.Inch
	legend.Padding = vg.Points(5)
	legend.Top, legend.Left = true, true
	box := draw.Crop(dc, width-legendWidth-margin/2, -margin/2, 0, 0)
	box.Max.Y = plotsTop - 0.3*vg.Inch
	// The box takes its height from the legend and its width from the
	// labels: legend.Rectangle leaves out the thumbnails' share of it.
	pad := vg.Points(8)
	textW := vg.Length(0)
	for _, label := range labels {
		textW = max(textW, legend.TextStyle.Width(label))
	}
	r := legend.Rectangle(box)
	bg := vg.Rectangle{
		Min: vg.Point{X: box.Min.X, Y: box.Max.Y - (r.Max.Y - r.Min.Y) - 2*pad},
		Max: vg.Point{X: box.Min.X + legend.ThumbnailWidth + textW + 2*pad + vg.Points(30), Y: box.Max.Y},
	}
	legend.XOffs, legend.YOffs = pad, -pad
	dc.SetColor(color.Gray{Y: 248})
	dc.Fill(bg.Path())
	dc.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 160}, Width: vg.Points(0.75)})
	dc.Stroke(bg.Path())
	legend.Draw(box)

	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// chartMBs is a case's median throughput and its interval in MB/s by the
// clock the ratios use: wall-clock, or bytes per second of process CPU time.
func chartMBs(m *measured) chartPoint {
	s, ok := m.interval()
	mb := func(ns float64) float64 { return float64(m.Case.Bytes) / ns * 1e3 }
	y := mb(m.perOp())
	if !ok {
		return chartPoint{y: y, lo: y, hi: y}
	}
	return chartPoint{y: mb(s.Center), lo: mb(s.Hi), hi: mb(s.Lo)}
}

// niceTicks puts 6 to 12 labelled ticks on a linear axis from 0, at steps
// of 1, 2 or 5 times a power of ten, with an unlabelled one between.
type niceTicks struct{}

func (niceTicks) Ticks(min, max float64) []plot.Tick {
	if max <= min {
		return nil
	}
	span := max - min
	step := math.Pow(10, math.Floor(math.Log10(span/6)))
	for _, f := range []float64{1, 2, 5, 10} {
		if span/(step*f) <= 12 {
			step *= f
			break
		}
	}
	var ts []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		if v+step/2 <= max {
			ts = append(ts, plot.Tick{Value: v + step/2})
		}
	}
	return ts
}

// sizeTicks labels the powers of two of a log-scaled size axis as 64B, 1KiB.
type sizeTicks struct{}

func (sizeTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for v := 1.0; v <= max*1.0001; v *= 2 {
		if v < min*0.9999 {
			continue
		}
		t := plot.Tick{Value: v}
		if e := len(strconv.FormatInt(int64(v), 2)) - 1; e%2 == 0 {
			t.Label = bench.Size(int(v))
		}
		ts = append(ts, t)
	}
	return ts
}

// parseSize reads the size= values of the cases: 64B, 1KiB, 1MiB.
func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "MiB"):
		s, mult = strings.TrimSuffix(s, "MiB"), 1<<20
	case strings.HasSuffix(s, "KiB"):
		s, mult = strings.TrimSuffix(s, "KiB"), 1<<10
	case strings.HasSuffix(s, "B"):
		s = strings.TrimSuffix(s, "B")
	default:
		return 0, fmt.Errorf("size %q: no unit", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("size %q: %v", s, err)
	}
	return n * mult, nil
}
