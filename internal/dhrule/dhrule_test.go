package dhrule

import (
	"math/big"
	"testing"
)

// TestAgainstEulerCriterion checks the table from first principles on every
// safe prime below 60000: g is a quadratic residue mod p exactly when
// g^((p-1)/2) = 1 mod p, and OK must say the same from p mod LCM alone.
func TestAgainstEulerCriterion(t *testing.T) {
	checked := 0
	for q := int64(3); 2*q+1 < 60000; q += 2 {
		p := 2*q + 1
		if !big.NewInt(q).ProbablyPrime(0) || !big.NewInt(p).ProbablyPrime(0) || p <= 7 {
			continue
		}
		for g := int64(2); g <= 7; g++ {
			qr := new(big.Int).Exp(big.NewInt(g), big.NewInt(q), big.NewInt(p)).Int64() == 1
			if got := OK(int(g), uint64(p%LCM)); got != qr {
				t.Fatalf("p=%d g=%d: OK = %v, Euler's criterion says %v", p, g, got, qr)
			}
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d safe primes checked", checked)
	}
	for _, g := range []int{-1, 0, 1, 8, 100} {
		if OK(g, 7) {
			t.Errorf("OK(%d) = true outside 2..7", g)
		}
	}
	for g := 2; g <= 7; g++ {
		if LCM%Rules[g].Mod != 0 {
			t.Errorf("LCM %d is not a multiple of g=%d's modulus %d", LCM, g, Rules[g].Mod)
		}
	}
}
