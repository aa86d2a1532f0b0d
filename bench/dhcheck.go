package bench

import (
	"math/big"
	"os"
	"testing"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/internal/gotdref"
	"github.com/secretbench/secretbench/internal/reference"
	"github.com/secretbench/secretbench/internal/testutil"
)

func init() {
	register(Suite{Name: "dhcheck", Doc: "DH parameter checks: cold (full test), warm (cached in memory, on disk), public values (dhcheck against gotd/td's check)", cases: dhcheckCases})
}

// rfc3526Hex is the 2048-bit MODP group prime of RFC 3526 section 3, a safe
// prime with p = 7 mod 8 (so g = 2 passes the generator rule) that no
// Checker knows in advance: the cold cases really test it.
const rfc3526Hex = "" +
	"ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437" +
	"4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05" +
	"98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b" +
	"e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff"

func wellKnownPrime() []byte { return dhcheck.WellKnownPrime() }

const coldG = 2 // a valid generator for the RFC 3526 prime

func dhcheckCases(dst []Case) []Case {
	coldRef := "BenchmarkDHCheck/op=cold/impl=ref"
	return append(dst,
		// gotd caches nothing, so its every check is the cold one: the
		// warm cases are stated against op=cold/impl=ref.
		Case{Suite: "dhcheck", Bench: "DHCheck", Name: "op=cold/impl=ref", Quick: true, F: gotdCold},
		Case{Suite: "dhcheck", Bench: "DHCheck", Name: "op=cold/impl=fast", Quick: true, F: dhCold},
		Case{Suite: "dhcheck", Bench: "DHCheck", Name: "op=warm/impl=fast", Quick: true, Ref: coldRef, F: dhWarm},
		Case{Suite: "dhcheck", Bench: "DHCheck", Name: "op=warm-store/impl=fast", Ref: coldRef, F: dhWarmStore},
		Case{Suite: "dhcheck", Bench: "DHCheck", Name: "op=public/impl=ref", F: publicRef},
		Case{Suite: "dhcheck", Bench: "DHCheck", Name: "op=public/impl=fast", F: publicFast},
	)
}

// gotdCold: gotd/td's check of a prime it has never seen (it has no cache).
func gotdCold(b *testing.B) {
	p := testutil.MustUnhex(rfc3526Hex)
	cpu := startCPU()
	for b.Loop() {
		if err := gotdref.CheckDH(coldG, new(big.Int).SetBytes(p)); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}

// dhCold: a fresh Checker each time, so each check is the full test.
func dhCold(b *testing.B) {
	p := testutil.MustUnhex(rfc3526Hex)
	cpu := startCPU()
	for b.Loop() {
		if err := dhcheck.NewChecker().CheckParams(coldG, p); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}

// dhWarm: the same (g, p) again on one Checker, the case of every exchange
// after the first.
func dhWarm(b *testing.B) {
	p := testutil.MustUnhex(rfc3526Hex)
	c := dhcheck.NewChecker()
	if err := c.CheckParams(coldG, p); err != nil {
		b.Fatal(err)
	}
	cpu := startCPU()
	for b.Loop() {
		if err := c.CheckParams(coldG, p); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}

// dhWarmStore: a new Checker (a new process) finding the verdict on disk.
func dhWarmStore(b *testing.B) {
	p := testutil.MustUnhex(rfc3526Hex)
	dir, err := os.MkdirTemp("", "secretbench-dhstore-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := dhcheck.NewChecker(dhcheck.WithStore(dir)).CheckParams(coldG, p); err != nil {
		b.Fatal(err)
	}
	cpu := startCPU()
	for b.Loop() {
		if err := dhcheck.NewChecker(dhcheck.WithStore(dir)).CheckParams(coldG, p); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}

// publicValue is a g_a inside [2^1984, p - 2^1984] of the well-known prime.
func publicValue() []byte {
	gx := wellKnownPrime()
	gx[0] >>= 1
	return gx
}

func publicRef(b *testing.B) {
	p, gx := wellKnownPrime(), publicValue()
	cpu := startCPU()
	for b.Loop() {
		if err := reference.CheckPublic(p, gx); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}

func publicFast(b *testing.B) {
	p, gx := wellKnownPrime(), publicValue()
	cpu := startCPU()
	for b.Loop() {
		if err := dhcheck.CheckPublic(p, gx); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
}
