package dhcheck

import (
	"math/big"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/internal/gotdref"
)

// TestAgreesWithGotd cross-checks the verdicts with the reproduction of
// gotd/td v0.93.0's check (internal/gotdref) on every test number, and the
// generator rule with gotd's CheckGP for g in 0..8.
func TestAgreesWithGotd(t *testing.T) {
	for name, p := range loadNumbers(t) {
		pb := new(big.Int).SetBytes(p)
		safe := name != "p-prime-q-composite" && name != "q-prime-p-composite"
		// gotd's test of a safe prime is slow (two ProbablyPrime(64)): one
		// by default, all with SECRETBENCH_LONG=1; under emulation none by
		// default, one with SECRETBENCH_LONG=1.
		if safe && name != "generated-2048" && (!longTests() || runtime.GOARCH != "amd64") {
			continue
		}
		if safe && runtime.GOARCH != "amd64" && !longTests() {
			continue
		}
		ours := CheckSafePrime(p) == nil
		theirs := gotdref.CheckSafePrime(pb) == nil
		if ours != theirs {
			t.Errorf("%s: CheckSafePrime ok=%v, gotd ok=%v", name, ours, theirs)
		}
		for g := 0; g <= 8; g++ {
			if a, b := CheckGenerator(g, p) == nil, gotdref.CheckGP(g, pb) == nil; a != b {
				t.Errorf("%s, g=%d: CheckGenerator ok=%v, gotd CheckGP ok=%v", name, g, a, b)
			}
		}
	}
}
