package main

import (
	"fmt"
	"io"
	"strings"
)

// writeMarkdown writes the headline table for a README: each case of the
// selected implementation (the active ige implementation for the ige
// suites, "fast" for the others) beside its reference, with the speed-up,
// the spread of its time and the share of the hardware bound, all medians;
// then the bounds themselves.
func writeMarkdown(w io.Writer, ms []*measured, info runInfo) error {
	byName := map[string]*measured{}
	for _, m := range ms {
		byName[m.Case.FullName()] = m
	}
	fmt.Fprintf(w, "# %s\n\n", info.Title)
	fmt.Fprintf(w, "CPU %s; %s.\n\n", info.Detail, strings.Join(info.Features, " "))
	fmt.Fprintf(w, "Implementations: %s. %s; %s, benchtime %s.\n",
		strings.Join(info.Impls, "; "), info.Go, countNote(info.Count), info.Benchtime)
	if ratioClock == "cpu" {
		fmt.Fprintf(w, "Times and throughputs are per CPU second of the process (-clock cpu), as are the ratios; ")
	} else {
		fmt.Fprintf(w, "Times and throughputs are wall-clock (-clock wall), as are the ratios; ")
	}
	fmt.Fprintf(w, "± is the 95%% confidence interval of this project's time, as benchstat computes it.\n\n")
	if s := fewRuns(info.Count); s != "" {
		fmt.Fprintf(w, "> **Warning:** %s.\n\n", s)
	}
	fmt.Fprintln(w, "| suite | case | reference | this project | ± | speed-up | of hardware bound |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|")
	for _, m := range ms {
		c := m.Case
		impl := c.Get("impl")
		if c.IsRef() || c.Suite == "bound" || (impl != "fast" && impl != info.IGEImpl) || !m.ok() {
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
		spread := fmt.Sprintf("n=%d", len(m.Runs))
		if s, ok := m.interval(); ok {
			spread = s.PctRangeString()
		}
		name := strings.TrimPrefix(c.FullName(), "Benchmark")
		fmt.Fprintf(w, "| %s | `%s` | %s | %s | %s | %s | %s |\n", c.Suite, name, refCell, speed(m), spread, ratio, bound)
	}
	var bounds []string
	for _, m := range ms {
		if m.Case.Suite == "bound" && m.Case.Get("impl") == info.IGEImpl && m.ok() {
			label := "lanes=" + m.Case.Get("lanes")
			if k := m.Case.Get("keys"); k != "" {
				label += " (" + k + " keys)"
			}
			bounds = append(bounds, label+" "+speed(m))
		}
	}
	if len(bounds) > 0 {
		fmt.Fprintf(w, "\nHardware bounds (AES-256 only, %s): %s.\n", info.IGEImpl, strings.Join(bounds, ", "))
	}
	return writeCasesMarker(w, ms)
}

// speed is a case's throughput in MB/s, or its time per operation when it
// has no byte count, by the clock the ratios use.
func speed(m *measured) string {
	t := m.perOp()
	if m.Case.Bytes > 0 {
		return fmt.Sprintf("%.0f MB/s", float64(m.Case.Bytes)/t*1e3)
	}
	return formatNs(t) + "/op"
}
