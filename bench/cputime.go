package bench

import (
	"github.com/secretbench/secretbench/internal/cputime"
)

// CPUUnit is the extra metric every case reports where the OS tells the
// process's CPU time: CPU nanoseconds per operation over the timed loop.
// On a quiet machine it equals ns/op for single-goroutine cases; where it is
// well below ns/op, the benchmark was descheduled (a shared or loaded
// machine) and its wall times are inflated. Cases that use several
// goroutines (the cold dhcheck of package dhcheck) report the CPU time of
// all of them.
const CPUUnit = cputime.Unit

// startCPU starts the process clock right before a timed loop; report it
// right after (cpu.Report(b)).
func startCPU() cputime.Meter { return cputime.StartProcess() }
