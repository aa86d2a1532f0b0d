// Package cputime measures the CPU time of benchmarks' timed loops, the one
// copy of the clocks the benchmarks of every package use. On a machine
// shared with other work a benchmark loses the CPU now and then: its wall
// time grows while its CPU time does not, so ratios of CPU times stay
// meaningful where ratios of wall times drift.
package cputime

import (
	"runtime"
	"testing"
	"time"
)

// Unit is the metric a Meter reports: CPU nanoseconds per operation.
const Unit = "cpu-ns/op"

// Meter measures the CPU time of one timed loop: start it right before the
// loop, Report right after.
type Meter struct {
	start  time.Duration
	ok     bool
	thread bool
}

// StartThread locks the goroutine to its OS thread and starts that thread's
// clock: for a loop that runs on one goroutine.
func StartThread() Meter {
	runtime.LockOSThread()
	t, ok := Thread()
	return Meter{start: t, ok: ok, thread: true}
}

// StartProcess starts the process's clock (user plus system time of every
// thread): for a loop that uses several goroutines.
func StartProcess() Meter {
	t, ok := Process()
	return Meter{start: t, ok: ok}
}

// Elapsed returns the CPU time since the start, and false where the OS has
// no such clock.
func (m Meter) Elapsed() (time.Duration, bool) {
	clock := Process
	if m.thread {
		clock = Thread
	}
	end, ok := clock()
	return end - m.start, ok && m.ok
}

// Report adds Unit to b over b.N operations (nothing where the OS has no
// clock) and unlocks the thread of StartThread.
func (m Meter) Report(b *testing.B) {
	d, ok := m.Elapsed()
	if m.thread {
		runtime.UnlockOSThread()
	}
	if ok && b.N > 0 {
		b.ReportMetric(float64(d)/float64(b.N), Unit)
	}
}
