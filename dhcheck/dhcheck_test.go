package dhcheck

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"runtime"
	"testing"
)

// testNumber is one entry of testdata/primes.json (sources named there).
type testNumber struct {
	Name   string `json:"name"`
	P      string `json:"p"`
	Safe   bool   `json:"safe"`
	Source string `json:"source"`
}

func loadNumbers(t testing.TB) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/primes.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Numbers []testNumber }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	m := make(map[string][]byte)
	for _, n := range f.Numbers {
		b, err := hex.DecodeString(n.P)
		if err != nil {
			t.Fatal(n.Name, err)
		}
		m[n.Name] = b
	}
	return m
}

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

func TestCheckSafePrime(t *testing.T) {
	n := loadNumbers(t)
	gen := n["generated-2048"]
	withZeros := append([]byte{0, 0, 0}, gen...)
	even := append([]byte(nil), gen...)
	even[len(even)-1] ^= 1
	oneMod4 := append([]byte(nil), gen...)
	oneMod4[len(oneMod4)-1] ^= 2 // p = 1 mod 4: q even
	allOnes := make([]byte, 256)
	for i := range allOnes {
		allOnes[i] = 0xff
	}
	pow2047 := make([]byte, 256)
	pow2047[0] = 0x80
	pow2048 := make([]byte, 257)
	pow2048[0] = 1

	cases := []struct {
		name string
		p    []byte
		want error
		full bool // needs a full proof (slow under emulation)
	}{
		{"generated-2048", gen, nil, true},
		{"wellknown", n["wellknown"], nil, true},
		{"rfc3526-2048", n["rfc3526-2048"], nil, true},
		{"leading zero bytes", withZeros, nil, true},
		{"2047-bit safe prime", n["generated-2047"], ErrPrimeSize, false},
		{"2049-bit safe prime", n["generated-2049"], ErrPrimeSize, false},
		{"p prime, q composite", n["p-prime-q-composite"], ErrNotSafePrime, false},
		{"q prime, p composite", n["q-prime-p-composite"], ErrNotSafePrime, false},
		{"even p", even, ErrNotSafePrime, false},
		{"p = 1 mod 4", oneMod4, ErrNotSafePrime, false},
		{"all ones", allOnes, ErrNotSafePrime, false},
		{"2^2047", pow2047, ErrPrimeSize, false},
		{"2^2048", pow2048, ErrPrimeSize, false},
		{"empty", []byte{}, ErrPrimeSize, false},
		{"nil", nil, ErrPrimeSize, false},
		{"zeros", make([]byte, 300), ErrPrimeSize, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.full && slowArch() && c.name != "generated-2048" {
				t.Skip("full proof skipped on an emulated architecture; SECRETBENCH_LONG=1 runs it")
			}
			got := CheckSafePrime(c.p)
			if !errors.Is(got, c.want) || (c.want == nil) != (got == nil) {
				t.Fatalf("CheckSafePrime = %v, want %v", got, c.want)
			}
			assertOneError(t, got)
		})
	}
}

// assertOneError checks that a non-nil error matches exactly one of the
// package's errors.
func assertOneError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	k := 0
	for _, e := range []error{ErrPrimeSize, ErrNotSafePrime, ErrGenerator, ErrRange} {
		if errors.Is(err, e) {
			k++
		}
	}
	if k != 1 {
		t.Fatalf("error %v matches %d package errors, want 1", err, k)
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

func TestCheckGenerator(t *testing.T) {
	n := loadNumbers(t)
	for _, name := range safePrimeNames {
		p := n[name]
		pb := bigOf(p)
		for g := -1; g <= 9; g++ {
			// Reference: g in 2..7 and a quadratic residue mod the prime p
			// (Jacobi symbol 1), independent of the p mod 4g table.
			ok := g >= 2 && g <= 7 && big.Jacobi(big.NewInt(int64(g)), pb) == 1
			err := CheckGenerator(g, p)
			if ok != (err == nil) || (err != nil && !errors.Is(err, ErrGenerator)) {
				t.Errorf("%s: CheckGenerator(%d) = %v, want ok=%v", name, g, err, ok)
			}
			assertOneError(t, err)
			// Leading zeros do not change the value.
			if err2 := CheckGenerator(g, append([]byte{0}, p...)); (err2 == nil) != (err == nil) {
				t.Errorf("%s: leading zero changes CheckGenerator(%d)", name, g)
			}
		}
	}
	// The well-known prime: exactly 3, 4, 7 (docs/PROTOCOL.md section 4).
	for g := 0; g <= 8; g++ {
		want := g == 3 || g == 4 || g == 7
		if got := CheckGenerator(g, wellKnownPrime) == nil; got != want {
			t.Errorf("well-known prime, g=%d: ok=%v, want %v", g, got, want)
		}
	}
	// Odd lengths, empty: no panic; g = 4 needs nothing of p.
	for _, p := range [][]byte{nil, {}, {7}, {0, 0, 7}, make([]byte, 1000)} {
		_ = CheckGenerator(2, p)
		if err := CheckGenerator(4, p); err != nil {
			t.Errorf("CheckGenerator(4, %x) = %v", p, err)
		}
	}
}

func TestCheckPublic(t *testing.T) {
	n := loadNumbers(t)
	one := big.NewInt(1)
	for _, name := range safePrimeNames {
		p := bigOf(n[name])
		s := new(big.Int).Lsh(one, 1984)
		cases := []struct {
			name string
			x    *big.Int
			ok   bool
		}{
			{"0", big.NewInt(0), false},
			{"1", big.NewInt(1), false},
			{"2", big.NewInt(2), false},
			{"2^1984-1", new(big.Int).Sub(s, one), false},
			{"2^1984", s, true},
			{"2^1984+1", new(big.Int).Add(s, one), true},
			{"p-2^1984-1", new(big.Int).Sub(new(big.Int).Sub(p, s), one), true},
			{"p-2^1984", new(big.Int).Sub(p, s), true},
			{"p-2^1984+1", new(big.Int).Add(new(big.Int).Sub(p, s), one), false},
			{"p-2", new(big.Int).Sub(p, big.NewInt(2)), false},
			{"p-1", new(big.Int).Sub(p, one), false},
			{"p", p, false},
			{"p+1", new(big.Int).Add(p, one), false},
			{"2^2048", new(big.Int).Lsh(one, 2048), false},
		}
		for _, c := range cases {
			for _, pad := range []int{0, 3} {
				x := append(make([]byte, pad), c.x.Bytes()...)
				err := CheckPublic(n[name], x)
				if c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrRange)) {
					t.Errorf("%s: CheckPublic(%s, pad %d) = %v, want ok=%v", name, c.name, pad, err, c.ok)
				}
			}
		}
	}
	// A p of the wrong size makes the range meaningless.
	for _, p := range [][]byte{nil, {}, n["generated-2047"], n["generated-2049"]} {
		if err := CheckPublic(p, new(big.Int).Lsh(one, 2000).Bytes()); !errors.Is(err, ErrPrimeSize) {
			t.Errorf("CheckPublic(p of %d bytes) = %v, want ErrPrimeSize", len(p), err)
		}
	}
	if err := CheckPublic(wellKnownPrime, nil); !errors.Is(err, ErrRange) {
		t.Errorf("CheckPublic(empty gx) = %v, want ErrRange", err)
	}
	if err := CheckPublic(wellKnownPrime, make([]byte, 5000)); !errors.Is(err, ErrRange) {
		t.Errorf("CheckPublic(5000 zero bytes) = %v, want ErrRange", err)
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
	raw, err := os.ReadFile("testdata/primes.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Numbers []testNumber }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, n := range f.Numbers {
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
