package main

import (
	"fmt"
	"os"
	"strconv"
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
	// The file's own case lines describe its machine's cases, which need
	// not be this machine's (another CPU, another build).
	meta, err := readCaseMeta(path)
	if err != nil {
		return info, nil, err
	}
	for name, c := range meta {
		byName[name] = c
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

// caseMeta describes a case on one line of a results file, so that -from
// can read the file on a machine whose cases differ:
// "IGE/op=encrypt/impl=ref/size=64B suite=ige bytes=64 ref= bound=AESBound/impl=vaes-avx512/lanes=1".
func caseMeta(c *bench.Case) string {
	return fmt.Sprintf("%s suite=%s bytes=%d ref=%s bound=%s", strings.TrimPrefix(c.FullName(), "Benchmark"),
		c.Suite, c.Bytes, strings.TrimPrefix(c.RefName(), "Benchmark"), strings.TrimPrefix(c.Bound, "Benchmark"))
}

// readCaseMeta reads the "# case:" lines of a results file.
func readCaseMeta(path string) (map[string]*bench.Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]*bench.Case{}
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "# case: ")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		benchName, name, ok := strings.Cut(fields[0], "/")
		if !ok {
			return nil, fmt.Errorf("%s: case line %q: no key=value path", path, line)
		}
		c := &bench.Case{Bench: benchName, Name: name}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "suite":
				c.Suite = v
			case "bytes":
				if c.Bytes, err = strconv.ParseInt(v, 10, 64); err != nil {
					return nil, fmt.Errorf("%s: case line %q: %v", path, line, err)
				}
			case "ref":
				if v != "" {
					c.Ref = "Benchmark" + v
				}
			case "bound":
				if v != "" {
					c.Bound = "Benchmark" + v
				}
			}
		}
		out[fields[0]] = c
	}
	return out, nil
}
