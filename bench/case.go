package bench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A Case is one leaf benchmark.
type Case struct {
	// Suite groups cases for selection, e.g. "ige" or "kdf" (see Suites).
	Suite string
	// Bench is the benchmark function's name without "Benchmark", e.g. "IGE".
	Bench string
	// Name is the key=value path below it, e.g. "op=encrypt/impl=ref/size=1KiB".
	Name string
	// Bytes is the number of bytes one operation processes (b.SetBytes);
	// 0 when throughput in bytes means nothing for the case.
	Bytes int64
	// Quick marks the cases of the default secretbench run.
	Quick bool
	// Ref is the FullName of the reference case this case is compared
	// with; empty means the same name with impl=ref (see RefName).
	Ref string
	// Bound is the FullName of the hardware-bound case this case is stated
	// against, or "".
	Bound string
	// F runs the measured loop with b.Loop; Run does SetBytes and
	// ReportAllocs around it.
	F func(b *testing.B)
}

// FullName is the name go test prints, e.g.
// "BenchmarkIGE/op=encrypt/impl=ref/size=1KiB".
func (c *Case) FullName() string { return "Benchmark" + c.Bench + "/" + c.Name }

// Get returns the value of key in the case's name, or "".
func (c *Case) Get(key string) string { return nameGet(c.Name, key) }

// IsRef reports whether the case measures the reference.
func (c *Case) IsRef() bool { return c.Get("impl") == "ref" }

// RefName is the FullName of the reference case this case is compared
// with (Ref, or the same name with impl=ref), or "" for a reference case.
func (c *Case) RefName() string {
	if c.IsRef() {
		return ""
	}
	if c.Ref != "" {
		return c.Ref
	}
	return "Benchmark" + c.Bench + "/" + nameSet(c.Name, "impl", "ref")
}

// Run runs the case as the body of a benchmark.
func (c *Case) Run(b *testing.B) {
	if c.Bytes > 0 {
		b.SetBytes(c.Bytes)
	}
	b.ReportAllocs()
	c.F(b)
}

func nameGet(name, key string) string {
	for part := range strings.SplitSeq(name, "/") {
		if k, v, ok := strings.Cut(part, "="); ok && k == key {
			return v
		}
	}
	return ""
}

func nameSet(name, key, value string) string {
	parts := strings.Split(name, "/")
	for i, part := range parts {
		if k, _, ok := strings.Cut(part, "="); ok && k == key {
			parts[i] = key + "=" + value
		}
	}
	return strings.Join(parts, "/")
}

// A Suite is a named group of cases.
type Suite struct {
	Name string
	Doc  string
	// cases appends the suite's cases to dst.
	cases func(dst []Case) []Case
}

// suiteOrder is the order of the report: from the block mode up to the
// components built on it.
var suiteOrder = []string{"ige", "ige-batch", "bound", "kdf", "pipeline", "pipeline-batch", "exchange", "dhcheck", "filecrypt"}

// suites is filled by the init functions of the suite files and kept in
// suiteOrder.
var suites []Suite

func register(s Suite) {
	if !slices.Contains(suiteOrder, s.Name) {
		panic("bench: suite " + s.Name + " missing from suiteOrder")
	}
	suites = append(suites, s)
	slices.SortStableFunc(suites, func(a, b Suite) int {
		return slices.Index(suiteOrder, a.Name) - slices.Index(suiteOrder, b.Name)
	})
}

// Suites lists the suites compiled in, in report order.
func Suites() []Suite { return slices.Clone(suites) }

// Cases returns every case of the named suites (all suites when names is
// empty), in report order. The ige cases depend on the implementations this
// CPU runs, read at call time.
func Cases(names ...string) ([]Case, error) {
	var out []Case
	for _, n := range names {
		if !slices.ContainsFunc(suites, func(s Suite) bool { return s.Name == n }) {
			return nil, fmt.Errorf("bench: unknown suite %q (have %s)", n, strings.Join(SuiteNames(), ", "))
		}
	}
	for _, s := range suites {
		if len(names) == 0 || slices.Contains(names, s.Name) {
			out = s.cases(out)
		}
	}
	return out, nil
}

// SuiteNames lists the suite names in report order.
func SuiteNames() []string {
	var names []string
	for _, s := range suites {
		names = append(names, s.Name)
	}
	return names
}

// Size names a byte count the way the cases do: 64B, 1KiB, 512KiB, 1MiB.
func Size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
