package secret

import "golang.org/x/sys/unix"

// chatThreadCPU returns the CPU time used by the calling OS thread, in ns:
// unlike wall time it leaves out the time other processes held the core.
func chatThreadCPU() (int64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}
