// Command secretbench measures this machine's speed at the cryptography of
// Telegram secret chats, against the reference implementations and against
// the machine's own hardware limit.
//
// # Usage
//
//	go run ./cmd/secretbench [flags]
//	go run ./cmd/secretbench compare old.txt new.txt
//
// With no flags it runs the quick subset of every suite (about a minute on
// two cores) and prints the CPU, the ige implementation selected, and one
// table per suite with each case's wall-clock time per operation, CPU time
// per operation, throughput, the ratio to its reference (x, higher is
// faster) and, for AES-IGE, the share of the hardware bound reached: a single
// stream against the serial AES chain (lanes=1), a batch against the widest
// lane count. It needs no network and no files.
//
// Ratios are computed from CPU time per operation by default (-clock cpu):
// on a shared machine a benchmark loses the CPU to other processes and its
// wall time grows while the work does not. The CPU time is that of the whole
// process, so GC work counts, and for the one case that uses several
// goroutines (dhcheck's cold test) it is the CPU spent by all of them; use
// -clock wall on a quiet machine to compare latencies instead.
//
// Flags:
//
//	-suite list     comma-separated suites (ige, ige-batch, bound, kdf, pipeline,
//	                pipeline-batch, exchange, dhcheck, filecrypt), "quick"
//	                (the default: the quick cases of every suite) or "all"
//	-count n        run each case n times (default 1)
//	-benchtime d    time per run, as go test's -benchtime (default 500ms; "100x" works)
//	-run regexp     only cases whose full name matches
//	-o file         write the results in the Go benchmark format (benchstat reads it)
//	-json file      write the results as JSON
//	-svg file       draw AES-IGE throughput by message size per implementation
//	-md file        write the headline table (selected implementation against
//	                reference, speed-up, share of the bound) as Markdown
//	-clock cpu|wall time per operation the ratios use (default cpu)
//	-results dir    write -o, -json, -svg and -md files to dir, named by CPU
//	-list           list the cases and exit
//
// The compare subcommand prints a benchstat-style comparison of two (or
// more) result files: per benchmark the median with its 95% confidence
// interval in each file and the change with its p-value, computed with
// golang.org/x/perf/benchproc and benchmath exactly as benchstat does.
//
// # Reproducing the committed results
//
//	go run ./cmd/secretbench -suite all -count 10 -benchtime 200ms -results results
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20250813145418-2f7363a06fe1 -col /impl results/AMD-EPYC.txt
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
