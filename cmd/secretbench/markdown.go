package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/secretbench/secretbench/ige"
)

// writeMarkdown writes the headline table for a README: each case of the
// selected implementation (ige.Impl() for the ige suites, "fast" for the
// others) beside its reference, with the speed-up and the share of the
// hardware bound, all medians; then the bounds themselves.
func writeMarkdown(w io.Writer, ms []*measured, o options) error {
	byName := map[string]*measured{}
	for _, m := range ms {
		byName[m.Case.FullName()] = m
	}
	fmt.Fprintf(w, "CPU: %s; ige implementation %s; Go %s; medians of %d runs, benchtime %s.\n",
		cpuBrand(), ige.Impl(), strings.TrimPrefix(goVersion(), "go"), o.count, o.benchtime)
	if ratioClock == "cpu" {
		fmt.Fprintf(w, "Times and throughputs are per CPU second of the process (-clock cpu), as are the ratios.\n\n")
	} else {
		fmt.Fprintf(w, "Times and throughputs are wall-clock (-clock wall), as are the ratios.\n\n")
	}
	fmt.Fprintln(w, "| suite | case | reference | this project | speed-up | of hardware bound |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
	for _, m := range ms {
		c := m.Case
		impl := c.Get("impl")
		if c.IsRef() || c.Suite == "bound" || (impl != "fast" && impl != ige.Impl()) || !m.ok() {
			continue
		}
		ref := byName[c.RefName()]
		refCell, ratio := "-", "-"
		if ref != nil && ref.ok() {
			refCell = speed(ref)
			ratio = formatRatio(speedup(ref, m))
		}
		bound := "-"
		if b := byName[c.Bound]; b != nil && b.ok() && c.Bytes > 0 {
			bound = fmt.Sprintf("%.0f%%", 100*ofBound(m, b))
		}
		name := strings.TrimPrefix(c.FullName(), "Benchmark")
		fmt.Fprintf(w, "| %s | `%s` | %s | %s | %s | %s |\n", c.Suite, name, refCell, speed(m), ratio, bound)
	}
	var bounds []string
	for _, m := range ms {
		if m.Case.Suite == "bound" && m.Case.Get("impl") == ige.Impl() && m.ok() {
			bounds = append(bounds, "lanes="+m.Case.Get("lanes")+" "+speed(m))
		}
	}
	if len(bounds) > 0 {
		fmt.Fprintf(w, "\nHardware bounds (AES-256 only, %s): %s.\n", ige.Impl(), strings.Join(bounds, ", "))
	}
	return nil
}

// speed is a case's throughput in MB/s, or its time per operation when it
// has no byte count, by the clock the ratios use.
func speed(m *measured) string {
	t := m.nsPerOp()
	if c := m.cpuPerOp(); ratioClock == "cpu" && c > 0 {
		t = c
	}
	if m.Case.Bytes > 0 {
		return fmt.Sprintf("%.0f MB/s", float64(m.Case.Bytes)/t*1e3)
	}
	return formatNs(t) + "/op"
}
