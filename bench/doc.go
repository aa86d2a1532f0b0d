// Package bench is the benchmark suite of the project: every case that
// measures a component against its reference and against the hardware, as
// ordinary Go code, so that the same cases run under `go test -bench` (see
// bench_test.go) and from the secretbench command through
// [testing.Benchmark].
//
// # Naming
//
// A case is one leaf benchmark, named the way benchstat pivots on:
// BenchmarkIGE/op=encrypt/impl=ref/size=1KiB. The keys are
//
//   - op: what is measured (encrypt, decrypt, derive-v2, cold, ...);
//   - impl: "ref" for the reference, otherwise the implementation measured:
//     an ige implementation name ("vaes-avx512", "aes-ni", "generic", ...)
//     or "fast" for a package that has one code path above package ige;
//   - size, v, jobs, lanes: the input.
//
// Compare reference and fast side by side with
//
//	go test -run '^$' -bench . -count 10 ./bench | tee new.txt
//	benchstat -col /impl new.txt
//
// # References
//
//   - IGE: github.com/gotd/ige v0.2.2 over crypto/aes (AES-NI through the
//     standard library where the CPU has it), a new aes.NewCipher per message
//     where the case uses a new key per message;
//   - kdf: package kdf/kdfref, the formulas of
//     https://core.telegram.org/api/end-to-end written literally;
//   - pipeline and key exchange: package internal/reference, the spec-literal
//     secret-chat pipeline;
//   - filecrypt: gotd/ige over crypto/aes on the whole file in memory (its
//     BlockMode does not carry the IGE chain from one call to the next, so it
//     cannot stream);
//   - dhcheck: the check of github.com/gotd/td v0.93.0
//     (internal/crypto/check_dh.go, check_gp.go, prime.go), restated in
//     internal/gotdref because it is internal to gotd/td (dhcheck
//     cross-checks its verdicts against the same copy).
//
// # Hardware bounds
//
// One IGE stream is a serial chain of AES calls, so its speed is bounded by
// the latency of one AES-256 block; a batch of independent streams is bounded
// by AES throughput at the widest lane count the implementation has. The
// bound cases (BenchmarkAESBound/impl=X/lanes=N) run ige's bound kernels
// (through internal/igebound), which do only that AES work with no loads or
// stores, and [Case.Bound] names the bound a case is stated against. Where
// the widest kernel has one, BenchmarkAESBound/impl=X/lanes=N/keys=distinct
// is the same bound with every lane under its own key, as in a batch of
// independent messages: IGEBatch over it is the batch kernel's efficiency
// and lanes=N over it the cost of loading distinct keys.
//
// # CPU time
//
// Besides ns/op, every case reports cpu-ns/op ([CPUUnit]): the process CPU
// time of its timed loop per operation. On a machine shared with other
// work, a benchmark loses the CPU now and then and its wall time grows while
// its CPU time does not, so ratios of CPU times stay meaningful where ratios
// of wall times drift. benchstat shows it as its own table (cpu-sec/op).
//
// # Suites
//
// Cases are grouped in suites (see [Suites]); [Case.Quick] marks the subset
// that `go run ./cmd/secretbench` runs by default in about a minute.
package bench
