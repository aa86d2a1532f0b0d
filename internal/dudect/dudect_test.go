package dudect

import (
	"math"
	"testing"
)

var spinSink uint64

// spin does n dependent multiply-adds: its time is proportional to n.
func spin(n int) {
	x := spinSink | 1
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	spinSink = x
}

// The harness must tell a class-dependent running time from a constant one.
// The leak here is a 25% longer run for class 1, far above timer noise, so
// a few thousand measurements settle it even on a loaded machine.
func TestDetectsLeak(t *testing.T) {
	var work [1000]int
	leaky := Run(Config{Measurements: 20000, Seed: 1}, Target{
		Prepare: func(class, i int) { work[i] = 400 + 100*class },
		Run:     func(i int) { spin(work[i]) },
	})
	t.Logf("leaky: %v", leaky)
	if !leaky.Leaky() || leaky.T < 10 {
		t.Fatalf("a 25%% longer class 1 gave %v, want t well above 10", leaky)
	}
}

func TestConstantIsNotFlagged(t *testing.T) {
	var sink [1000]int
	// The class only changes what is written to the slot, never the work.
	r := Run(Config{Measurements: 20000, Seed: 2}, Target{
		Prepare: func(class, i int) { sink[i] = class },
		Run:     func(i int) { spin(400) },
	})
	t.Logf("constant: %v", r)
	// The max over 12 tests of a null statistic rarely passes 4.5; a
	// noisy machine can, so only a gross failure fails the test.
	if math.Abs(r.T) > 10 {
		t.Fatalf("identical work gave %v", r)
	}
}

func TestWelch(t *testing.T) {
	var w welch
	for i := range 1000 {
		w.push(0, float64(i%10))
		w.push(1, float64(i%10)+1)
	}
	// Means 4.5 and 5.5, variances 8.26 each: t = 1/sqrt(2*8.2583/1000).
	want := 1 / math.Sqrt(2*8.258258258258258/1000)
	if got := w.t(); math.Abs(got-want) > 1e-9 {
		t.Fatalf("t = %v, want %v", got, want)
	}
}

func TestCount(t *testing.T) {
	t.Setenv("SECRETBENCH_DUDECT_N", "")
	if Count(7) != 7 {
		t.Fatal("default count not used")
	}
	t.Setenv("SECRETBENCH_DUDECT_N", "123")
	if Count(7) != 123 {
		t.Fatal("SECRETBENCH_DUDECT_N ignored")
	}
}
