package main

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/secretbench/secretbench/ige"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// writeSVG draws AES-256-IGE encryption throughput of one stream by message
// size, one line per implementation (ref is gotd/ige over crypto/aes), with
// the serial-chain bound of the selected implementation as a dashed line
// when it was measured.
func writeSVG(w io.Writer, ms []*measured) error {
	series := map[string]plotter.XYs{}
	var bound float64
	for _, m := range ms {
		c := m.Case
		if !m.ok() {
			continue
		}
		if c.Bench == "AESBound" && c.Get("impl") == ige.Impl() && c.Get("lanes") == "1" {
			bound = chartMBs(m)
		}
		if c.Bench != "IGE" || c.Get("op") != "encrypt" {
			continue
		}
		n, err := parseSize(c.Get("size"))
		if err != nil {
			return err
		}
		impl := c.Get("impl")
		series[impl] = append(series[impl], plotter.XY{X: float64(n), Y: chartMBs(m)})
	}
	if len(series) == 0 {
		return errors.New("no AES-IGE encrypt results to draw (run the ige suite)")
	}
	impls := make([]string, 0, len(series))
	for impl := range series {
		impls = append(impls, impl)
	}
	// ref first, then the implementations in preference order.
	order := append([]string{"ref"}, ige.Implementations()...)
	slices.SortFunc(impls, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })

	p := plot.New()
	p.Title.Text = "AES-256-IGE encrypt, one stream: " + cpuBrand()
	p.X.Label.Text = "message size (bytes)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = sizeTicks{}
	p.Y.Label.Text = "MB/s (wall clock)"
	if ratioClock == "cpu" {
		p.Y.Label.Text = "MB per CPU second"
	}
	p.Y.Min = 0
	p.Y.Tick.Marker = wholeTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(10)
	p.Legend.YOffs = -vg.Points(6)
	p.Add(plotter.NewGrid())
	for i, impl := range impls {
		xys := series[impl]
		slices.SortFunc(xys, func(a, b plotter.XY) int { return int(a.X - b.X) })
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		label := impl
		if impl == "ref" {
			label = "ref (gotd/ige + crypto/aes)"
		}
		p.Legend.Add(label, line, points)
	}
	if bound > 0 {
		lo, hi := p.X.Min, p.X.Max
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: bound}, {X: hi, Y: bound}})
		if err != nil {
			return err
		}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		l.Color = color.Black
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("bound: serial AES chain (%s)", ige.Impl()), l)
		p.Y.Max = max(p.Y.Max, bound)
	}
	// Room for the last size label, and above the data for the legend.
	p.X.Max *= 1.4
	p.Y.Max *= 1.1 + 0.07*float64(len(impls)+1)
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "svg")
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}

// chartMBs is a case's median throughput in MB/s by the clock the ratios
// use: wall-clock, or bytes per second of process CPU time.
func chartMBs(m *measured) float64 {
	if ratioClock == "cpu" {
		if t := m.cpuPerOp(); t > 0 {
			return float64(m.Case.Bytes) / t * 1e3
		}
	}
	return m.mbPerSec()
}

// wholeTicks are the default ticks labelled without decimals.
type wholeTicks struct{}

func (wholeTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64)
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
			t.Label = sizeLabel(int(v))
		}
		ts = append(ts, t)
	}
	return ts
}

func sizeLabel(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
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
