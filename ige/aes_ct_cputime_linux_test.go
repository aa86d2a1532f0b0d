package ige

import "golang.org/x/sys/unix"

// threadCPUNanos is the CPU time of the calling thread: on a shared machine
// it moves far less than the wall clock with other processes' load.
func threadCPUNanos() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return ts.Nano()
}
