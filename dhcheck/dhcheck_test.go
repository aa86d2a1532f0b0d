package dhcheck

import (
	"errors"
	"math/big"
	"os"
	"runtime"
	"testing"
)

// slowArch reports whether full 2048-bit safe-prime proofs are expensive here
// (emulated arm64 and friends); such runs prove one prime fully and keep
// every error path, unless SECRETBENCH_LONG=1.
func slowArch() bool {
	return runtime.GOARCH != "amd64" && os.Getenv("SECRETBENCH_LONG") != "1"
}

func longTests() bool { return os.Getenv("SECRETBENCH_LONG") == "1" }

func bigOf(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// safePrimes are the three safe primes every generator and range rule is
// tested on.
var safePrimeNames = []string{"wellknown", "rfc3526-2048", "generated-2048"}

func TestWellKnownPrimeConstant(t *testing.T) {
	// docs/PROTOCOL.md section 4 gives its SHA-256.
	const want = "02f85e7687fc6f33ba678226a963b3c8a191b47c890cf30debe17c1d623b5af1"
	if got := sha256Hex(wellKnownPrime); got != want {
		t.Fatalf("sha256(well-known prime) = %s, want %s", got, want)
	}
	if n := loadNumbers(t); string(n["wellknown"]) != string(wellKnownPrime) {
		t.Fatal("testdata well-known prime differs from the built-in one")
	}
}

// TestCompositesReachTheirTest shows that the two crafted composites pass
// every cheap rejection, so that Miller-Rabin (q composite) and Pocklington
// (p composite) are what reject them, and cross-checks them with math/big.
func TestCompositesReachTheirTest(t *testing.T) {
	n := loadNumbers(t)
	for _, name := range []string{"p-prime-q-composite", "q-prime-p-composite"} {
		p := n[name]
		if checkSize(p) != nil || p[len(p)-1]&3 != 3 || !sieve(p) {
			t.Fatalf("%s is rejected before the expensive tests", name)
		}
	}
	pq := n["p-prime-q-composite"]
	if !bigOf(pq).ProbablyPrime(20) || new(big.Int).Rsh(bigOf(pq), 1).ProbablyPrime(20) {
		t.Fatal("p-prime-q-composite is not what it claims")
	}
	qp := n["q-prime-p-composite"]
	if bigOf(qp).ProbablyPrime(20) || !new(big.Int).Rsh(bigOf(qp), 1).ProbablyPrime(20) {
		t.Fatal("q-prime-p-composite is not what it claims")
	}

	// Miller-Rabin alone rejects the composite q, with any base.
	mr, err := newMillerRabin(new(big.Int).Rsh(bigOf(pq), 1))
	if err != nil {
		t.Fatal(err)
	}
	bases, err := mr.randomBases(4)
	if err != nil {
		t.Fatal(err)
	}
	s := mr.newScratch()
	for _, a := range bases {
		if mr.round(a, s) {
			t.Fatal("Miller-Rabin accepted the composite q")
		}
	}
	if mr.rounds(bases, s) {
		t.Fatal("a batch of Miller-Rabin rounds accepted the composite q")
	}
	// Pocklington alone rejects the composite p and accepts a safe prime.
	for name, want := range map[string]bool{"q-prime-p-composite": false, "generated-2048": true} {
		p := n[name]
		pm, err := newVarTime(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := pocklington(pm, p, make([]byte, 256)); got != want {
			t.Fatalf("pocklington(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestMillerRabinRoundMatchesDefinition checks rounds on a prime and on
// composites (including a strong pseudoprime to base 2) against math/big.
func TestMillerRabinRound(t *testing.T) {
	cases := []struct {
		n     int64
		base  int64
		prime bool // whether the round must pass
	}{
		{2047, 2, true}, // 23*89, a strong pseudoprime to base 2
		{2047, 3, false},
		{3215031751, 2, true}, // strong pseudoprime to bases 2, 3, 5, 7
		{3215031751, 11, false},
		{1000003, 2, true}, // prime
		{1000003, 999, true},
		{561, 2, false}, // Carmichael number
	}
	for _, c := range cases {
		mr, err := newMillerRabin(big.NewInt(c.n))
		if err != nil {
			t.Fatal(err)
		}
		s := mr.newScratch()
		if got := mr.round(big.NewInt(c.base).Bytes(), s); got != c.prime {
			t.Errorf("round(n=%d, a=%d) = %v, want %v", c.n, c.base, got, c.prime)
		}
		// In a batch, one failing base fails the batch.
		batch := [][]byte{{2}, big.NewInt(c.base).Bytes(), {2}}
		want := c.prime && mr.round([]byte{2}, s)
		if got := mr.rounds(batch, s); got != want {
			t.Errorf("rounds(n=%d, a=2,%d,2) = %v, want %v", c.n, c.base, got, want)
		}
	}
}

func TestSieveMatchesTrialDivision(t *testing.T) {
	n := loadNumbers(t)
	for name, p := range n {
		if len(p) != 256 {
			continue
		}
		want := true
		pb, qb := bigOf(p), new(big.Int).Rsh(bigOf(p), 1)
		for r := int64(3); r < sieveLimit; r += 2 {
			if big.NewInt(r).ProbablyPrime(1) {
				if new(big.Int).Mod(pb, big.NewInt(r)).Sign() == 0 || new(big.Int).Mod(qb, big.NewInt(r)).Sign() == 0 {
					want = false
				}
			}
		}
		if got := sieve(p); got != want {
			t.Errorf("sieve(%s) = %v, want %v", name, got, want)
		}
	}
	// A value with a known small factor of q: q = 3*k.
	q := new(big.Int).Lsh(big.NewInt(3), 2040)
	q.Add(q, big.NewInt(3))
	p := new(big.Int).Lsh(q, 1)
	p.Add(p, big.NewInt(1))
	if sieve(p.Bytes()) {
		t.Error("sieve accepted p with 3 | (p-1)/2")
	}
}

func FuzzCheckPublic(f *testing.F) {
	f.Add([]byte{1, 2, 3})
	f.Add(new(big.Int).Lsh(big.NewInt(1), 1984).Bytes())
	f.Add(wellKnownPrime)
	p := bigOf(wellKnownPrime)
	lo := new(big.Int).Lsh(big.NewInt(1), 1984)
	hi := new(big.Int).Sub(p, lo)
	f.Fuzz(func(t *testing.T, x []byte) {
		xb := bigOf(x)
		want := xb.Cmp(lo) >= 0 && xb.Cmp(hi) <= 0
		if got := CheckPublic(wellKnownPrime, x) == nil; got != want {
			t.Fatalf("CheckPublic(%x) ok=%v, want %v", x, got, want)
		}
	})
}

func FuzzCheckSafePrime(f *testing.F) {
	f.Add([]byte{})
	f.Add(wellKnownPrime[:100])
	f.Fuzz(func(t *testing.T, p []byte) {
		err := CheckSafePrime(p)
		assertOneError(t, err)
		pb := bigOf(p)
		if pb.BitLen() != 2048 || pb.Cmp(new(big.Int).Lsh(big.NewInt(1), 2047)) == 0 {
			if !errors.Is(err, ErrPrimeSize) {
				t.Fatalf("size %d: got %v", pb.BitLen(), err)
			}
			return
		}
		// Random 2048-bit inputs are composite; a pass would need math/big's
		// agreement.
		if err == nil && !(pb.ProbablyPrime(20) && new(big.Int).Rsh(pb, 1).ProbablyPrime(20)) {
			t.Fatalf("accepted a non-safe prime %x", p)
		}
	})
}

// TestTestdataClaims re-checks with math/big that every test number is what
// testdata/primes.json says: safe primes are safe primes (whatever their
// size), the crafted composites are not.
func TestTestdataClaims(t *testing.T) {
	if slowArch() {
		t.Skip("math/big primality tests of eight numbers are slow under emulation; SECRETBENCH_LONG=1 runs them")
	}
	for _, n := range loadTestNumbers(t) {
		if n.Source == "" {
			t.Errorf("%s: no source", n.Name)
		}
		p, _ := new(big.Int).SetString(n.P, 16)
		q := new(big.Int).Rsh(p, 1)
		if got := p.ProbablyPrime(10) && q.ProbablyPrime(10); got != n.Safe {
			t.Errorf("%s: safe prime per math/big = %v, testdata says %v", n.Name, got, n.Safe)
		}
	}
}
