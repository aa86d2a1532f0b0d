package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/secretbench/secretbench/bench"
	"golang.org/x/perf/benchfmt"
)

// loadRun reads a results .txt file written by -o or -results back into
// the runs it holds, for -from: the outputs of a committed run can be
// drawn again without measuring again. Every benchmark in it must be a
// case this build knows.
func loadRun(path, clock string) (runInfo, []*measured, error) {
	info, err := readRunInfo(path)
	if err != nil {
		return info, nil, err
	}
	info.Clock = clock
	all, err := bench.Cases()
	if err != nil {
		return info, nil, err
	}
	byName := map[string]*bench.Case{}
	for i := range all {
		byName[strings.TrimPrefix(all[i].FullName(), "Benchmark")] = &all[i]
	}
	f, err := os.Open(path)
	if err != nil {
		return info, nil, err
	}
	defer f.Close()
	var ms []*measured
	index := map[*bench.Case]*measured{}
	r := benchfmt.NewReader(f, path)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			return info, nil, rec
		case *benchfmt.Result:
			name := procsSuffix.ReplaceAllString(string(rec.Name.Full()), "")
			c := byName[name]
			if c == nil {
				return info, nil, fmt.Errorf("%s: benchmark %s is not a case of this build (-list shows them)", path, name)
			}
			m := index[c]
			if m == nil {
				m = &measured{Case: c}
				index[c] = m
				ms = append(ms, m)
			}
			m.Runs = append(m.Runs, resultOf(rec, c))
		}
	}
	if err := r.Err(); err != nil {
		return info, nil, err
	}
	if len(ms) == 0 {
		return info, nil, fmt.Errorf("%s: no benchmark lines", path)
	}
	return info, ms, nil
}

// resultOf turns one benchmark line back into the testing result it was
// written from (see values).
func resultOf(rec *benchfmt.Result, c *bench.Case) testing.BenchmarkResult {
	r := testing.BenchmarkResult{N: rec.Iters, Bytes: c.Bytes, Extra: map[string]float64{}}
	for _, v := range rec.Values {
		unit := v.OrigUnit
		if unit == "" {
			unit = v.Unit
		}
		val := v.OrigValue
		if v.OrigUnit == "" {
			val = v.Value
		}
		switch unit {
		case "ns/op":
			r.T = time.Duration(val * float64(rec.Iters))
		case "B/op":
			r.MemBytes = uint64(val * float64(rec.Iters))
		case "allocs/op":
			r.MemAllocs = uint64(val * float64(rec.Iters))
		case "MB/s":
		default:
			r.Extra[unit] = val
		}
	}
	return r
}
