package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/secretbench/secretbench/bench"
	"golang.org/x/perf/benchfmt"
)

// benchPkg is the package the cases live in; go test -bench ./bench prints
// the same pkg line, so CLI and go test results compare in benchstat.
const benchPkg = "github.com/secretbench/secretbench/bench"

// writeBenchfmt writes every run in the Go benchmark format, with the
// goos, goarch, pkg and cpu lines go test prints and the -GOMAXPROCS
// suffix it appends, so benchstat reads it like go test output. Runs are
// written in the order they ran.
func writeBenchfmt(w io.Writer, ms []*measured, info runInfo) error {
	// The run's description as comment lines, which benchfmt readers
	// (benchstat) skip: more config lines would split benchstat's tables
	// between this file and go test output.
	for _, kv := range info.header() {
		if _, err := fmt.Fprintf(w, "# %s: %s\n", kv[0], kv[1]); err != nil {
			return err
		}
	}
	for _, m := range ms {
		if _, err := fmt.Fprintf(w, "# case: %s\n", caseMeta(m.Case)); err != nil {
			return err
		}
	}
	bw := benchfmt.NewWriter(w)
	config := []benchfmt.Config{
		{Key: "goos", Value: []byte(runtime.GOOS), File: true},
		{Key: "goarch", Value: []byte(runtime.GOARCH), File: true},
		{Key: "pkg", Value: []byte(benchPkg), File: true},
		{Key: "cpu", Value: []byte(info.brand()), File: true},
	}
	suffix := ""
	if p := runtime.GOMAXPROCS(0); p != 1 {
		suffix = fmt.Sprintf("-%d", p)
	}
	rounds := 0
	for _, m := range ms {
		rounds = max(rounds, len(m.Runs))
	}
	for i := range rounds {
		for _, m := range ms {
			if i >= len(m.Runs) {
				continue
			}
			res := &benchfmt.Result{
				Config: config,
				Name:   benchfmt.Name(strings.TrimPrefix(m.Case.FullName(), "Benchmark") + suffix),
				Iters:  m.Runs[i].N,
				Values: values(m.Runs[i]),
			}
			if err := bw.Write(res); err != nil {
				return err
			}
		}
	}
	return nil
}

// values are the measurements of one run in go test's units.
func values(r testing.BenchmarkResult) []benchfmt.Value {
	vs := []benchfmt.Value{{Value: float64(r.T.Nanoseconds()) / float64(r.N), Unit: "ns/op"}}
	if mb := mbPerSec(r); mb > 0 {
		vs = append(vs, benchfmt.Value{Value: mb, Unit: "MB/s"})
	}
	vs = append(vs,
		benchfmt.Value{Value: float64(r.AllocedBytesPerOp()), Unit: "B/op"},
		benchfmt.Value{Value: float64(r.AllocsPerOp()), Unit: "allocs/op"})
	// Extra metrics (bench.CPUUnit) in a fixed order, as go test prints them.
	for _, unit := range slices.Sorted(maps.Keys(r.Extra)) {
		vs = append(vs, benchfmt.Value{Value: r.Extra[unit], Unit: unit})
	}
	return vs
}

type jsonRun struct {
	N           int     `json:"n"`
	NsPerOp     float64 `json:"ns_per_op"`
	MBPerSec    float64 `json:"mb_per_s,omitempty"`
	CPUNsPerOp  float64 `json:"cpu_ns_per_op,omitempty"`
	BytesPerOp  int64   `json:"b_per_op"`
	AllocsPerOp int64   `json:"allocs_per_op"`
}

type jsonCase struct {
	Name       string    `json:"name"`
	Suite      string    `json:"suite"`
	BytesPerOp int64     `json:"bytes_per_op,omitempty"`
	Ref        string    `json:"ref,omitempty"`
	Bound      string    `json:"bound,omitempty"`
	Failed     bool      `json:"failed,omitempty"`
	NsPerOp    float64   `json:"median_ns_per_op,omitempty"`
	CPUNsPerOp float64   `json:"median_cpu_ns_per_op,omitempty"`
	MBPerSec   float64   `json:"median_mb_per_s,omitempty"`
	VsRef      float64   `json:"vs_ref,omitempty"`   // reference time / this time (RatioClock)
	OfBound    float64   `json:"of_bound,omitempty"` // this throughput / bound throughput (RatioClock)
	Runs       []jsonRun `json:"runs"`
}

type jsonReport struct {
	Machine   string     `json:"machine"`
	CPU       string     `json:"cpu"`
	Features  []string   `json:"features"`
	Impls     []string   `json:"implementations"`
	Go        string     `json:"go"`
	Count     int        `json:"count"`
	Benchtime string     `json:"benchtime"`
	Clock     string     `json:"ratio_clock"`
	Cases     []jsonCase `json:"cases"`
}

func writeJSON(w io.Writer, ms []*measured, info runInfo) error {
	rep := jsonReport{
		Machine: info.Name, CPU: info.Detail, Features: info.Features, Impls: info.Impls, Go: info.Go,
		Count: info.Count, Benchtime: info.Benchtime, Clock: ratioClock, Cases: []jsonCase{},
	}
	byName := map[string]*measured{}
	for _, m := range ms {
		byName[m.Case.FullName()] = m
	}
	for _, m := range ms {
		c := jsonCase{
			Name: m.Case.FullName(), Suite: m.Case.Suite, BytesPerOp: m.Case.Bytes,
			Ref: m.Case.RefName(), Bound: m.Case.Bound, Failed: !m.ok(), Runs: []jsonRun{},
		}
		if m.ok() {
			c.NsPerOp, c.MBPerSec = m.nsPerOp(), m.mbPerSec()
			c.CPUNsPerOp = m.cpuPerOp()
			if r := byName[c.Ref]; r != nil && r.ok() {
				c.VsRef = speedup(r, m)
			}
			if b := byName[c.Bound]; b != nil && b.ok() && c.BytesPerOp > 0 {
				c.OfBound = ofBound(m, b)
			}
		}
		for _, r := range m.Runs {
			c.Runs = append(c.Runs, jsonRun{
				N: r.N, NsPerOp: float64(r.T.Nanoseconds()) / float64(r.N), MBPerSec: mbPerSec(r), CPUNsPerOp: r.Extra[bench.CPUUnit],
				BytesPerOp: r.AllocedBytesPerOp(), AllocsPerOp: r.AllocsPerOp(),
			})
		}
		rep.Cases = append(rep.Cases, c)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
