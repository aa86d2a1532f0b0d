//go:build !unix

package cputime

import "time"

// Process reports no time where the OS gives no process CPU time.
func Process() (time.Duration, bool) { return 0, false }
