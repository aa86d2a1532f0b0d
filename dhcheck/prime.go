package dhcheck

import (
	"crypto/rand"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/secretbench/secretbench/internal/modexp"
)

// mrRounds is the number of Miller-Rabin rounds with independent uniformly
// random bases: a composite passes one round with probability at most 1/4
// whatever its form, so 64 rounds bound the error by 4^-64 = 2^-128.
const mrRounds = 64

// sieveLimit bounds the odd primes r of the sieve: a safe prime p > r has
// p mod r != 0 (p prime) and p mod r != 1 (q = (p-1)/2 prime).
const sieveLimit = 1 << 12

// sieveGroup is a product of small primes below 2^32 so that p mod product
// is computed once with word arithmetic and then split per prime.
type sieveGroup struct {
	product uint64
	primes  []uint64
}

var sieveGroups = buildSieve()

func buildSieve() []sieveGroup {
	composite := make([]bool, sieveLimit)
	var groups []sieveGroup
	cur := sieveGroup{product: 1}
	for r := uint64(3); r < sieveLimit; r += 2 {
		if composite[r] {
			continue
		}
		for j := r * r; j < sieveLimit; j += 2 * r {
			composite[j] = true
		}
		if cur.product*r >= 1<<32 {
			groups = append(groups, cur)
			cur = sieveGroup{product: 1}
		}
		cur.product *= r
		cur.primes = append(cur.primes, r)
	}
	return append(groups, cur)
}

// sieve reports whether neither p nor (p-1)/2 has an odd prime factor below
// sieveLimit. p is a 2048-bit value, far above every sieve prime.
func sieve(p []byte) bool {
	for _, g := range sieveGroups {
		rg := modSmall(p, g.product)
		for _, r := range g.primes {
			if x := rg % r; x == 0 || x == 1 {
				return false
			}
		}
	}
	return true
}

// CheckSafePrime tests that p is a 2048-bit safe prime: 2^2047 < p < 2^2048
// (else ErrPrimeSize) and both p and q = (p-1)/2 prime (else
// ErrNotSafePrime). It always runs the full test; see the package
// documentation for the method and its error bound, and [Checker] for a
// cached form.
func CheckSafePrime(p []byte) error {
	p = trim(p)
	if err := checkSize(p); err != nil {
		return err
	}
	// p odd and q odd: p = 3 mod 4.
	if p[len(p)-1]&3 != 3 || !sieve(p) {
		return ErrNotSafePrime
	}
	if !probablySafe(p) {
		return ErrNotSafePrime
	}
	return nil
}

// mrBatch is the number of Miller-Rabin rounds one task runs together: they
// share the exponent d, so modexp runs them interleaved (see
// modexp.VarTimeModulus.ExpBatch).
const mrBatch = 4

// probablySafe runs, in parallel, Pocklington's test of p (task 0) and
// mrRounds Miller-Rabin rounds on q in batches of mrBatch (tasks 1..). It
// returns false as soon as any task fails.
func probablySafe(p []byte) bool {
	pb := new(big.Int).SetBytes(p)
	q := new(big.Int).Rsh(pb, 1) // (p-1)/2 since p is odd
	pm, err := modexp.NewVarTimeModulus(p)
	if err != nil {
		return false
	}
	t, err := newMillerRabin(q)
	if err != nil {
		return false
	}
	bases, err := t.randomBases(mrRounds)
	if err != nil {
		return false
	}

	var failed atomic.Bool
	tasks := 1 + (mrRounds+mrBatch-1)/mrBatch
	var next atomic.Int32
	workers := min(runtime.GOMAXPROCS(0), tasks)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := t.newScratch()
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= tasks {
					return
				}
				var ok bool
				if i == 0 {
					ok = pocklington(pm, p, s.pbuf)
				} else {
					lo := (i - 1) * mrBatch
					ok = t.rounds(bases[lo:min(lo+mrBatch, len(bases))], s)
				}
				if !ok {
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return !failed.Load()
}

// pocklington reports whether 2^(p-1) = 1 mod p. With q = (p-1)/2 prime and
// gcd(2^2-1, p) = gcd(3, p) = 1 (the sieve rejected 3 | p), this proves p
// prime: see the package documentation.
func pocklington(pm *modexp.VarTimeModulus, p, buf []byte) bool {
	pm1 := make([]byte, len(p))
	copy(pm1, p)
	pm1[len(pm1)-1]-- // p is odd: no borrow
	if err := pm.Exp(buf, []byte{2}, pm1); err != nil {
		return false
	}
	return isOne(buf)
}

func isOne(b []byte) bool {
	for _, c := range b[:len(b)-1] {
		if c != 0 {
			return false
		}
	}
	return b[len(b)-1] == 1
}

// millerRabin holds the per-q constants: q - 1 = d * 2^s with d odd.
type millerRabin struct {
	q    *big.Int
	qm   *modexp.VarTimeModulus
	qm1  []byte // q-1, Size() bytes
	d    []byte
	s    uint
	size int
}

type mrScratch struct {
	xs   [][]byte // one a^d per round of a batch
	y    []byte
	pbuf []byte
}

func newMillerRabin(q *big.Int) (*millerRabin, error) {
	qm, err := modexp.NewVarTimeModulus(q.Bytes())
	if err != nil {
		return nil, err
	}
	t := &millerRabin{q: q, qm: qm, size: qm.Size()}
	qm1 := new(big.Int).Sub(q, big.NewInt(1))
	t.qm1 = qm1.FillBytes(make([]byte, t.size))
	t.s = qm1.TrailingZeroBits()
	t.d = new(big.Int).Rsh(qm1, t.s).Bytes()
	return t, nil
}

func (t *millerRabin) newScratch() *mrScratch {
	s := &mrScratch{y: make([]byte, t.size), pbuf: make([]byte, primeBytes)}
	for range mrBatch {
		s.xs = append(s.xs, make([]byte, t.size))
	}
	return s
}

// randomBases draws n bases uniformly from [2, q-2] with crypto/rand.
func (t *millerRabin) randomBases(n int) ([][]byte, error) {
	span := new(big.Int).Sub(t.q, big.NewInt(3)) // q-3 values: 2..q-2
	bases := make([][]byte, n)
	for i := range bases {
		a, err := rand.Int(rand.Reader, span)
		if err != nil {
			return nil, err
		}
		a.Add(a, big.NewInt(2))
		bases[i] = a.Bytes()
	}
	return bases, nil
}

// rounds runs one Miller-Rabin round per base (at most mrBatch bases),
// computing the a^d together; it reports whether q passed them all.
func (t *millerRabin) rounds(bases [][]byte, s *mrScratch) bool {
	xs := s.xs[:len(bases)]
	if err := t.qm.ExpBatch(xs, bases, t.d); err != nil {
		return false
	}
	for _, x := range xs {
		if !t.finish(x, s.y) {
			return false
		}
	}
	return true
}

// round is one Miller-Rabin round with base a.
func (t *millerRabin) round(a []byte, s *mrScratch) bool {
	x := s.xs[0]
	if err := t.qm.Exp(x, a, t.d); err != nil {
		return false
	}
	return t.finish(x, s.y)
}

// finish completes a round from x = a^d: q passes if x = 1 or
// x^(2^j) = q-1 for some 0 <= j < s. x and y are scratch.
func (t *millerRabin) finish(x, y []byte) bool {
	if isOne(x) || cmpBytes(x, t.qm1) == 0 {
		return true
	}
	for j := uint(1); j < t.s; j++ {
		if err := t.qm.Exp(y, x, []byte{2}); err != nil {
			return false
		}
		x, y = y, x
		if cmpBytes(x, t.qm1) == 0 {
			return true
		}
		if isOne(x) {
			return false // a nontrivial square root of 1: composite
		}
	}
	return false
}
