package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/secretbench/secretbench/bench"
	"golang.org/x/perf/benchmath"
)

// minSamples is the fewest runs per case for which benchstat (benchmath's
// AssumeNothing) gives a 95% confidence interval for the median.
const minSamples = 6

// measured is one case with its runs, in run order.
type measured struct {
	Case *bench.Case
	Runs []testing.BenchmarkResult
}

func (m *measured) ok() bool { return len(m.Runs) > 0 }

// wallPerOp and cpuPerOpOf are the two clocks of one run, in nanoseconds
// per operation, without NsPerOp's rounding to whole nanoseconds.
func wallPerOp(r testing.BenchmarkResult) float64  { return float64(r.T.Nanoseconds()) / float64(r.N) }
func cpuPerOpOf(r testing.BenchmarkResult) float64 { return r.Extra[bench.CPUUnit] }

// nsPerOp is the median wall-clock time per operation over the runs.
func (m *measured) nsPerOp() float64 { return median(m.Runs, wallPerOp) }

// cpuPerOp is the median CPU time per operation in nanoseconds, or 0 where
// the OS does not report it.
func (m *measured) cpuPerOp() float64 { return median(m.Runs, cpuPerOpOf) }

// ratioClock is the time ratios are computed from: "cpu" or "wall".
var ratioClock = "cpu"

// useCPU reports whether m's ratios use CPU time: asked for and reported.
func (m *measured) useCPU() bool { return ratioClock == "cpu" && m.cpuPerOp() > 0 }

// perOp is the median time per operation by the clock ratios use.
func (m *measured) perOp() float64 {
	if m.useCPU() {
		return m.cpuPerOp()
	}
	return m.nsPerOp()
}

// interval is the median and its 95% confidence interval of the time per
// operation by the clock ratios use, as benchstat computes them; ok is false
// when there are too few runs for an interval.
func (m *measured) interval() (s benchmath.Summary, ok bool) {
	f := wallPerOp
	if m.useCPU() {
		f = cpuPerOpOf
	}
	vs := make([]float64, len(m.Runs))
	for i, r := range m.Runs {
		vs[i] = f(r)
	}
	s = benchmath.AssumeNothing.Summary(benchmath.NewSample(vs, &benchmath.DefaultThresholds), 0.95)
	return s, len(s.Warnings) == 0 && len(vs) >= minSamples
}

// pairTimes returns the times per operation of a and b that a ratio of the
// two compares: CPU times when ratioClock is cpu and both have one, else
// wall-clock times.
func pairTimes(a, b *measured) (ta, tb float64) {
	if a.useCPU() && b.useCPU() {
		return a.cpuPerOp(), b.cpuPerOp()
	}
	return a.nsPerOp(), b.nsPerOp()
}

// speedup is how many times faster m is than its reference ref.
func speedup(ref, m *measured) float64 {
	tr, tm := pairTimes(ref, m)
	return tr / tm
}

// ofBound is the share of the bound's throughput that m reaches.
func ofBound(m, bound *measured) float64 {
	tm, tb := pairTimes(m, bound)
	return (float64(m.Case.Bytes) / tm) / (float64(bound.Case.Bytes) / tb)
}

// mbPerSec is the median throughput in MB/s (10^6 bytes, as go test), or 0.
func (m *measured) mbPerSec() float64 {
	if m.Case.Bytes == 0 {
		return 0
	}
	return median(m.Runs, mbPerSec)
}

func mbPerSec(r testing.BenchmarkResult) float64 {
	if r.Bytes == 0 || r.T <= 0 {
		return 0
	}
	return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
}

func median(rs []testing.BenchmarkResult, f func(testing.BenchmarkResult) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// fewRuns is the warning every output carries when a run has fewer than
// minSamples runs per case, or "".
func fewRuns(count int) string {
	if count >= minSamples {
		return ""
	}
	runs := "runs"
	if count == 1 {
		runs = "run"
	}
	return fmt.Sprintf("only %d %s per case: too few for a 95%% confidence interval (benchstat needs %d, -count %d or more); medians and ratios can be far off",
		count, runs, minSamples, minSamples)
}
