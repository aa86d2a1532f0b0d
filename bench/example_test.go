package bench_test

import (
	"fmt"
	"testing"

	"github.com/secretbench/secretbench/bench"
)

// The suites, in the order the secretbench command reports them.
func ExampleSuiteNames() {
	fmt.Println(bench.SuiteNames())
	// Output: [ige ige-batch bound kdf pipeline pipeline-batch exchange dhcheck filecrypt]
}

// Running one case outside go test, as the secretbench command does: each
// case is an ordinary function of *testing.B.
func ExampleCases() {
	cases, err := bench.Cases("kdf")
	if err != nil {
		panic(err)
	}
	c := cases[0]
	fmt.Println(c.FullName(), "against", c.RefName() == "")
	fast := cases[1]
	fmt.Println(fast.FullName(), "against", fast.RefName())
	r := testing.Benchmark(fast.Run)
	fmt.Println(r.N > 0)
	// Output:
	// BenchmarkKDF/op=derive-v1/impl=ref against true
	// BenchmarkKDF/op=derive-v1/impl=fast against BenchmarkKDF/op=derive-v1/impl=ref
	// true
}

func ExampleSize() {
	fmt.Println(bench.Size(64), bench.Size(1<<10), bench.Size(512<<10), bench.Size(1<<20), bench.Size(1000))
	// Output: 64B 1KiB 512KiB 1MiB 1000B
}
