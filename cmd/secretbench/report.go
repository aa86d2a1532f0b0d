package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/secretbench/secretbench/bench"
)

// report prints one table per suite: time per operation, its spread,
// throughput, allocations, the speed-up over the reference (reference time
// / this time) and the share of the hardware bound reached (this throughput
// / bound throughput). All are medians over the runs; tables and text fit
// width.
func report(w io.Writer, ms []*measured, info runInfo) {
	width, tw := termWidth(w), tableWidth(w)
	byName := map[string]*measured{}
	for _, m := range ms {
		byName[m.Case.FullName()] = m
	}
	for _, s := range bench.Suites() {
		var rows [][]string
		for _, m := range ms {
			if m.Case.Suite == s.Name {
				rows = append(rows, reportRow(m, byName))
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintln(w, wrap(s.Name+": "+s.Doc, width, "  "))
		head := []string{"case", "time/op", "cpu/op", "±", "MB/s", "allocs/op", "vs ref", "of bound"}
		fitTable(w, append([][]string{head}, rows...), tw)
		fmt.Fprintln(w)
	}
	notes := []string{
		"vs ref: reference time / this time (higher is faster); of bound: this throughput / the AES bound (single stream: serial chain, lanes=1; batch: widest lanes).",
		fmt.Sprintf("Ratios use %s time per op; ± is the 95%% confidence interval of that time, as benchstat computes it.", ratioClock),
		"time/op and MB/s are wall-clock medians; cpu/op is the process CPU time per op. Where cpu/op is well below time/op, other load descheduled the benchmark and wall times are inflated.",
	}
	if s := fewRuns(info.Count); s != "" {
		notes = append(notes, "Warning: "+s+".")
	}
	for _, n := range notes {
		fmt.Fprintln(w, wrap(n, width, ""))
	}
}

func reportRow(m *measured, byName map[string]*measured) []string {
	name := strings.TrimPrefix(m.Case.FullName(), "Benchmark")
	if !m.ok() {
		return []string{name, "FAILED"}
	}
	mb := "-"
	if v := m.mbPerSec(); v > 0 {
		mb = fmt.Sprintf("%.1f", v)
	}
	vsRef := "-"
	if r := byName[m.Case.RefName()]; r != nil && r.ok() {
		vsRef = formatRatio(speedup(r, m))
	}
	share := "-"
	if b := byName[m.Case.Bound]; b != nil && b.ok() && m.Case.Bytes > 0 {
		share = fmt.Sprintf("%.0f%%", 100*ofBound(m, b))
	}
	cpu := "-"
	if v := m.cpuPerOp(); v > 0 {
		cpu = formatNs(v)
	}
	spread := fmt.Sprintf("n=%d", len(m.Runs))
	if s, ok := m.interval(); ok {
		spread = s.PctRangeString()
	}
	allocs := fmt.Sprint(m.Runs[len(m.Runs)-1].AllocsPerOp())
	return []string{name, formatNs(m.nsPerOp()), cpu, spread, mb, allocs, vsRef, share}
}

// formatNs prints a duration in nanoseconds with three significant digits
// and a unit that suits it.
func formatNs(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.3gs", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.3gms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3gµs", ns/1e3)
	}
	return fmt.Sprintf("%.3gns", ns)
}

// formatRatio prints a speed-up with three significant digits, whole
// numbers from 1000 up.
func formatRatio(r float64) string {
	if r >= 1000 {
		return fmt.Sprintf("%.0fx", r)
	}
	return fmt.Sprintf("%.3gx", r)
}
