package bench

import (
	"flag"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// benchSuite runs the named suites' cases as sub-benchmarks of b, one
// b.Run per key=value path element so that -bench patterns select them the
// usual way (e.g. -bench 'IGE/op=encrypt/impl=ref').
func benchSuite(b *testing.B, bench string) {
	cases, err := Cases()
	if err != nil {
		b.Fatal(err)
	}
	for i := range cases {
		c := &cases[i]
		if c.Bench == bench {
			b.Run(c.Name, c.Run)
		}
	}
}

func BenchmarkIGE(b *testing.B)           { benchSuite(b, "IGE") }
func BenchmarkIGENewKey(b *testing.B)     { benchSuite(b, "IGENewKey") }
func BenchmarkIGEBatch(b *testing.B)      { benchSuite(b, "IGEBatch") }
func BenchmarkAESBound(b *testing.B)      { benchSuite(b, "AESBound") }
func BenchmarkKDF(b *testing.B)           { benchSuite(b, "KDF") }
func BenchmarkPipeline(b *testing.B)      { benchSuite(b, "Pipeline") }
func BenchmarkPipelineBatch(b *testing.B) { benchSuite(b, "PipelineBatch") }
func BenchmarkExchange(b *testing.B)      { benchSuite(b, "Exchange") }
func BenchmarkDHCheck(b *testing.B)       { benchSuite(b, "DHCheck") }

// TestNames checks that every case is named key=value with an impl, that
// names are unique, and that every reference and bound a case points to
// exists, so the CLI's ratios and benchstat's -col /impl find them.
func TestNames(t *testing.T) {
	cases, err := Cases()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.FullName()] {
			t.Errorf("duplicate case %s", c.FullName())
		}
		seen[c.FullName()] = true
		for part := range strings.SplitSeq(c.Name, "/") {
			if k, v, ok := strings.Cut(part, "="); !ok || k == "" || v == "" {
				t.Errorf("%s: %q is not key=value", c.FullName(), part)
			}
		}
		if c.Get("impl") == "" {
			t.Errorf("%s: no impl key", c.FullName())
		}
		if !slices.Contains(SuiteNames(), c.Suite) {
			t.Errorf("%s: unknown suite %q", c.FullName(), c.Suite)
		}
	}
	for _, c := range cases {
		if r := c.RefName(); r != "" && c.Suite != "bound" && !seen[r] {
			t.Errorf("%s: reference %s does not exist", c.FullName(), r)
		}
		if c.Bound != "" && !seen[c.Bound] {
			t.Errorf("%s: bound %s does not exist", c.FullName(), c.Bound)
		}
	}
	if _, err := Cases("no-such-suite"); err == nil {
		t.Error("Cases accepted an unknown suite")
	}
}

// TestCasesRun runs every case for one iteration through testing.Benchmark,
// as the CLI does, so a case that fails its own checks (b.Fatal) is caught
// by go test and not first by a user. The full dhcheck test of the
// reference takes half a second natively; it is skipped in -short mode and
// under emulation.
func TestCasesRun(t *testing.T) {
	cases, err := Cases()
	if err != nil {
		t.Fatal(err)
	}
	defer setBenchtime(t, "1x")()
	for _, c := range cases {
		if c.Get("op") == "cold" && (testing.Short() || runtime.GOARCH != "amd64") {
			continue
		}
		if r := testing.Benchmark(c.Run); r.N == 0 {
			t.Errorf("%s failed", c.FullName())
		}
	}
}

func setBenchtime(t *testing.T, v string) (restore func()) {
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", v); err != nil {
		t.Fatal(err)
	}
	return func() { flag.Set("test.benchtime", old) }
}
func BenchmarkFileCrypt(b *testing.B) { benchSuite(b, "FileCrypt") }
