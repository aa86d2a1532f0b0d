// Command secretbench measures this machine's speed at the cryptography of
// Telegram secret chats, against the reference implementations and against
// the machine's own hardware limit.
//
// # Usage
//
//	go run ./cmd/secretbench [flags]
//	go run ./cmd/secretbench compare [-col k] [-row k] [-filter q] old.txt new.txt
//
// With no flags it runs the quick subset of every suite, 6 runs per case
// (the fewest for which benchstat gives a 95% confidence interval), in
// about a minute on two cores, and prints the machine, the implementation
// each package runs, and one table per suite with each case's wall-clock
// time per operation, CPU time per operation and its confidence interval,
// throughput, the ratio to its reference (x, higher is faster) and, for
// AES-IGE, the share of the hardware bound reached: a single stream against
// the serial AES chain (lanes=1), a batch against the widest lane count. It
// needs no network and no files. Tables and text fit the terminal; when the
// output is not a terminal, progress is printed as plain lines.
//
// Ratios are computed from CPU time per operation by default (-clock cpu):
// on a shared machine a benchmark loses the CPU to other processes and its
// wall time grows while the work does not. The CPU time is that of the whole
// process, so GC work counts, and for the one case that uses several
// goroutines (dhcheck's cold test) it is the CPU spent by all of them; use
// -clock wall on a quiet machine to compare latencies instead.
//
// # Result files
//
// -results dir writes dir/<machine>.txt (every sample in the Go benchmark
// format, with a # header on the machine and the run), .md (the headline
// table) and .svg (AES-IGE throughput by message size). <machine> names
// the hardware: CPU brand, microarchitecture, logical CPUs and the widest
// AES implementation in use, e.g. AMD-EPYC-Zen5-2c-vaes-avx512. Outputs are
// all-or-nothing: each is checked before the first benchmark, written under
// a temporary name and renamed into place only when the whole run has
// succeeded, and an existing file is replaced only by one holding every
// case it holds, unless -force. -from file.txt draws the outputs of a saved
// run again without measuring. -h lists every flag.
//
// # Compare
//
// The compare subcommand prints what benchstat prints for the same files
// and -table/-row/-col/-filter/-alpha/-confidence flags, from the same
// golang.org/x/perf packages: per benchmark the median with its confidence
// interval in each column, the change against the first column with the
// p-value of the Mann-Whitney U test, and a geomean row. It refuses files
// that hold no benchmark results and projections on keys the input lacks.
//
// # Reproducing the committed results
//
//	go run ./cmd/secretbench -suite all -count 10 -benchtime 150ms -results results
//	go run ./cmd/secretbench compare -col /impl results/AMD-EPYC-Zen5-2c-vaes-avx512.txt
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "secretbench:", err)
		os.Exit(1)
	}
}
