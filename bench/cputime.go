package bench

import (
	"testing"
	"time"
)

// CPUUnit is the extra metric every case reports where the OS tells the
// process's CPU time: CPU nanoseconds per operation over the timed loop.
// On a quiet machine it equals ns/op for single-goroutine cases; where it is
// well below ns/op, the benchmark was descheduled (a shared or loaded
// machine) and its wall times are inflated. Cases that use several
// goroutines (the cold dhcheck of package dhcheck) report the CPU time of
// all of them.
const CPUUnit = "cpu-ns/op"

// cpuMeter measures the CPU time of one timed loop: start it right before
// the loop, report right after.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	t, ok := processCPU()
	return cpuMeter{t, ok}
}

func (m cpuMeter) report(b *testing.B) {
	end, ok := processCPU()
	if !m.ok || !ok || b.N == 0 {
		return
	}
	b.ReportMetric(float64(end-m.start)/float64(b.N), CPUUnit)
}
