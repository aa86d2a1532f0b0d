// Package dudect is a timing-leak check in the manner of dudect (Reparaz,
// Balasch and Verbauwhede, "Dude, is my code constant time?", DATE 2017,
// https://eprint.iacr.org/2016/1123): run an operation many times on inputs
// of two classes, chosen at random for each measurement, and apply Welch's
// t-test to the two timing distributions. Code whose timing does not depend
// on the class gives |t| that stays small however many measurements are
// taken; a dependence, however slight, makes |t| grow with the square root
// of their number.
//
// # Method
//
// As dudect does: the inputs of a batch are prepared first, outside the
// timed region, and the classes interleaved at random; each call is timed
// on its own. A first batch warms up and sets the percentiles; after it,
// the t statistic is computed on all measurements, on the measurements
// below each percentile (long outliers from interrupts and other processes
// hide a small shift of the bulk), and second-order, on the squared
// deviations from the class mean. The result is the test with the largest
// |t|. dudect's threshold: |t| above 4.5 means a leak is likely,
// well above 10 that it is certain.
//
// # Caches
//
// An operation run in a tight loop finds its tables in the L1 cache every
// time, which hides the leak of table lookups. Config.Evict reads a buffer
// of that many bytes before every measurement (the same for both classes),
// as an attacker sharing the core would, so that table lookups pay for the
// lines they touch.
package dudect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Config says how much to measure.
type Config struct {
	Measurements int // in all, both classes together
	Batch        int // inputs prepared at a time; default 1000
	Evict        int // bytes read before each measurement; 0 for none
	Seed         uint64
}

// Target is the code under test. Prepare fills input slot i (0 <= i <
// Config.Batch) for the class (0 or 1); Run runs the operation on slot i,
// and is the only part timed.
type Target struct {
	Prepare func(class, i int)
	Run     func(i int)
}

// Result is the largest |t| among the tests and which test it came from.
type Result struct {
	T            float64 // signed: positive when class 1 is slower
	N            int     // measurements in that test
	Test         string  // "all", "crop p=..." or "second order"
	Measurements int     // taken in all
}

func (r Result) String() string {
	return fmt.Sprintf("t = %+.2f (%s, %d of %d measurements)", r.T, r.Test, r.N, r.Measurements)
}

// Leaky reports whether |t| exceeds dudect's threshold of 4.5.
func (r Result) Leaky() bool { return math.Abs(r.T) > 4.5 }

// welch accumulates the two classes' means and variances (Welford).
type welch struct {
	n    [2]float64
	mean [2]float64
	m2   [2]float64
}

func (w *welch) push(class int, x float64) {
	w.n[class]++
	d := x - w.mean[class]
	w.mean[class] += d / w.n[class]
	w.m2[class] += d * (x - w.mean[class])
}

func (w *welch) t() float64 {
	if w.n[0] < 2 || w.n[1] < 2 {
		return 0
	}
	v0, v1 := w.m2[0]/(w.n[0]-1), w.m2[1]/(w.n[1]-1)
	se := math.Sqrt(v0/w.n[0] + v1/w.n[1])
	if se == 0 {
		return 0
	}
	return (w.mean[1] - w.mean[0]) / se
}

const crops = 10

// Run measures t and returns the test with the largest |t|.
func Run(cfg Config, tg Target) Result {
	batch := cfg.Batch
	if batch <= 0 {
		batch = 1000
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x64756465637421))
	var evict []byte
	if cfg.Evict > 0 {
		evict = make([]byte, cfg.Evict)
		for i := range evict {
			evict[i] = byte(i)
		}
	}
	var (
		all, second welch
		cropped     [crops]welch
		cutoffs     []float64 // set from the first batch
		classes     = make([]int, batch)
		times       = make([]float64, batch)
		sink        byte
		done        int
	)
	for done < cfg.Measurements {
		n := min(batch, cfg.Measurements-done)
		for i := range n {
			classes[i] = r.IntN(2)
			tg.Prepare(classes[i], i)
		}
		for i := range n {
			for j := 0; j < len(evict); j += 64 {
				sink += evict[j]
			}
			start := time.Now()
			tg.Run(i)
			times[i] = float64(time.Since(start))
		}
		if cutoffs == nil {
			// The first batch only warms up and sets dudect's percentiles,
			// 1 - 0.5^(10(k+1)/crops), denser near the top.
			sorted := slices.Sorted(slices.Values(times[:n]))
			for k := range crops {
				p := 1 - math.Pow(0.5, 10*float64(k+1)/crops)
				cutoffs = append(cutoffs, sorted[int(p*float64(n-1))])
			}
			continue
		}
		for i := range n {
			c, x := classes[i], times[i]
			all.push(c, x)
			for k, cut := range cutoffs {
				if x < cut {
					cropped[k].push(c, x)
				}
			}
			if all.n[c] > 1 {
				d := x - all.mean[c]
				second.push(c, d*d)
			}
		}
		done += n
	}
	evictSink = sink
	best := Result{T: all.t(), N: int(all.n[0] + all.n[1]), Test: "all", Measurements: done}
	consider := func(w *welch, name string) {
		if t := w.t(); math.Abs(t) > math.Abs(best.T) {
			best = Result{T: t, N: int(w.n[0] + w.n[1]), Test: name, Measurements: done}
		}
	}
	for k := range cropped {
		consider(&cropped[k], fmt.Sprintf("crop p=%.4f", 1-math.Pow(0.5, 10*float64(k+1)/crops)))
	}
	consider(&second, "second order")
	return best
}

var evictSink byte

// Enabled reports whether the timing checks were asked for with
// SECRETBENCH_DUDECT=1. They take minutes and a quiet machine, so they are
// off by default; a test calls Skip first.
func Enabled() bool { return os.Getenv("SECRETBENCH_DUDECT") == "1" }

// Skip skips t unless the timing checks are enabled.
func Skip(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skip("set SECRETBENCH_DUDECT=1 to run the timing-leak check")
	}
}

// Count is n, or SECRETBENCH_DUDECT_N if that is set to a positive number.
func Count(n int) int {
	if m, err := strconv.Atoi(os.Getenv("SECRETBENCH_DUDECT_N")); err == nil && m > 0 {
		return m
	}
	return n
}
