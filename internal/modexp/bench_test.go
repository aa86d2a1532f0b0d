package modexp

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"filippo.io/bigmod"
)

// BenchmarkModExp compares the exponentiation candidates at 2048 bits with a
// full-length exponent: bigmod (constant time, behind Exp), math/big, and the
// fixed-width radix-2^52 Montgomery code of this package, portable and
// AVX-512 IFMA (variable time, behind VarTimeModulus).
func BenchmarkModExp(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	const nb = 256
	m := randOddBig(r, nb)
	base := randBelow(r, m).FillBytes(make([]byte, nb))
	exp := randBytes(r, nb)
	dst := make([]byte, nb)
	run := func(name string, f func()) {
		b.Run("impl="+name+"/bits=2048", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
	}
	bm, err := bigmod.NewModulus(m.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	x, err := bigmod.NewNat().SetBytes(base, bm)
	if err != nil {
		b.Fatal(err)
	}
	out := bigmod.NewNat()
	run("bigmod", func() { out.Exp(x, exp, bm) })

	ct, err := NewModulus(m.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	// Modulus.Exp as shipped: the IFMA path where available.
	run("ct", func() { ct.Exp(dst, base, exp) })

	xb, eb, z := new(big.Int).SetBytes(base), new(big.Int).SetBytes(exp), new(big.Int)
	run("big", func() { z.Exp(xb, eb, m) })

	for name, ifma := range amm52Impls() {
		w := newMont52(m.Bytes(), ifma)
		run("mont52-"+name, func() { w.exp(dst, base, exp) })
		// Four exponentiations with one exponent, interleaved; reported
		// per exponentiation.
		var bases, dsts [4][]byte
		for k := range bases {
			bases[k] = randBelow(r, m).FillBytes(make([]byte, nb))
			dsts[k] = make([]byte, nb)
		}
		b.Run("impl=mont52x4-"+name+"/bits=2048", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w.exp4(&dsts, &bases, exp)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(4*b.N), "ns/exp")
		})
	}
}
