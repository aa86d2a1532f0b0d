//go:build !linux

package cputime

import "time"

// Thread reports no time where there is no per-thread CPU clock.
func Thread() (time.Duration, bool) { return 0, false }
