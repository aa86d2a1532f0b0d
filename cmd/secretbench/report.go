package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/secretbench/secretbench/bench"
)

// report prints one table per suite: time per operation, throughput,
// allocations, the speed-up over the reference (reference time / this time)
// and the share of the hardware bound reached (this throughput / bound
// throughput). All are medians over the runs.
func report(w io.Writer, ms []*measured) {
	byName := map[string]*measured{}
	for _, m := range ms {
		byName[m.Case.FullName()] = m
	}
	for _, s := range bench.Suites() {
		var rows []*measured
		for _, m := range ms {
			if m.Case.Suite == s.Name {
				rows = append(rows, m)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s: %s\n", s.Name, s.Doc)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "case\ttime/op\tcpu/op\tMB/s\tallocs/op\tvs ref\tof bound\t\n")
		for _, m := range rows {
			name := strings.TrimPrefix(m.Case.FullName(), "Benchmark")
			if !m.ok() {
				fmt.Fprintf(tw, "%s\tFAILED\t\t\t\t\t\t\n", name)
				continue
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
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n", name, formatNs(m.nsPerOp()), cpu, mb,
				m.Runs[len(m.Runs)-1].AllocsPerOp(), vsRef, share)
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "vs ref: reference time / this time (higher is faster); of bound: this throughput / the AES\n")
	fmt.Fprintf(w, "bound (single stream: serial chain, lanes=1; batch: widest lanes). Ratios use %s time per op.\n", ratioClock)
	fmt.Fprintln(w, "time/op and MB/s are wall-clock medians; cpu/op is the process CPU time per op. Where cpu/op is")
	fmt.Fprintln(w, "well below time/op, other load descheduled the benchmark and wall times are inflated.")
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
