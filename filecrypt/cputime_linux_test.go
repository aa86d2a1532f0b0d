package filecrypt_test

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// threadCPU starts measuring the CPU time of the benchmark's thread; the
// returned function reports it as cpu-ns/op. On a shared machine a
// benchmark's wall time mostly measures the other tenants; the time this
// thread actually ran is what the ratios should be taken from.
func threadCPU(b *testing.B) (stop func()) {
	runtime.LockOSThread()
	start := threadNanos()
	return func() {
		d := threadNanos() - start
		runtime.UnlockOSThread()
		if b.N > 0 {
			b.ReportMetric(float64(d)/float64(b.N), "cpu-ns/op")
		}
	}
}

func threadNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
