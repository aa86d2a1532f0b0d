package modexp

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"filippo.io/bigmod"
	"github.com/secretbench/secretbench/internal/cputime"
	"github.com/secretbench/secretbench/internal/impl"
)

// benchInputs is a 2048-bit odd modulus, a base below it and a full-length
// exponent, the shape of a Diffie-Hellman exponentiation.
func benchInputs() (m *big.Int, base, exp []byte) {
	r := rand.New(rand.NewPCG(9, 10))
	const nb = 256
	m = randOddBig(r, nb)
	return m, randBelow(r, m).FillBytes(make([]byte, nb)), randBytes(r, nb)
}

// BenchmarkModExp compares the exponentiation candidates at 2048 bits with a
// full-length exponent: this package's constant-time Modulus.Exp (impl=ct-*)
// and variable-time VarTimeModulus.Exp (impl=vartime-*) under every
// implementation this CPU runs, math/big's Exp and bigmod's constant-time
// Nat.Exp. See the package documentation for OpenSSL in the same run.
func BenchmarkModExp(b *testing.B) {
	m, base, exp := benchInputs()
	dst := make([]byte, len(base))
	// cpu-ns/op is the process's CPU time (every thread, so math/big's
	// garbage collection counts): the metric to compare on a loaded machine.
	run := func(name string, f func()) {
		b.Run("impl="+name+"/bits=2048", func(b *testing.B) {
			b.ReportAllocs()
			cpu := cputime.StartProcess()
			for b.Loop() {
				f()
			}
			cpu.Report(b)
		})
	}
	for _, name := range impl.Available("modexp") {
		restore, err := impl.Select("modexp", name)
		if err != nil {
			b.Fatal(err)
		}
		ct, err := NewModulus(m.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		vt, err := NewVarTimeModulus(m.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		restore()
		run("ct-"+name, func() { ct.Exp(dst, base, exp) })
		// The base of g^a in a key exchange: one byte.
		g := []byte{3}
		run("ct-g-"+name, func() { ct.Exp(dst, g, exp) })
		// The same through ExpFixedBase (the comb, table cached).
		run("ct-gfixed-"+name, func() { ct.ExpFixedBase(dst, 3, exp) })
		run("vartime-"+name, func() { vt.Exp(dst, base, exp) })
	}

	xb, eb, z := new(big.Int).SetBytes(base), new(big.Int).SetBytes(exp), new(big.Int)
	run("big", func() { z.Exp(xb, eb, m) })

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

	if f := opensslExp(b, m.Bytes(), base, exp, dst); f != nil {
		run("openssl", f) // only with -tags openssl
	}

	// ExpBatch of four bases (Miller-Rabin rounds) under each
	// implementation, and on the MULX/ADX path with and without the
	// four-way AVX2 kernels: cpu-ns/exp is the throughput to compare with
	// vartime-* above.
	for _, name := range impl.Available("modexp") {
		for _, b28 := range []bool{true, false} {
			if !b28 && (name != asm64Name || !haveAVX2Batch) {
				continue
			}
			restore, err := impl.Select("modexp", name)
			if err != nil {
				b.Fatal(err)
			}
			batch28 = b28
			vt, err := NewVarTimeModulus(m.Bytes())
			batch28 = true
			restore()
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(13, 14))
			bases, dsts := make([][]byte, 4), make([][]byte, 4)
			for k := range bases {
				bases[k] = randBelow(r, m).FillBytes(make([]byte, len(base)))
				dsts[k] = make([]byte, len(base))
			}
			label := name
			if vt.w28 != nil {
				label += "+avx2x4"
			}
			b.Run("impl=vartime-batch4-"+label+"/bits=2048", func(b *testing.B) {
				b.ReportAllocs()
				cpu := cputime.StartProcess()
				for b.Loop() {
					vt.ExpBatch(dsts, bases, exp)
				}
				if d, ok := cpu.Elapsed(); ok {
					b.ReportMetric(float64(d.Nanoseconds())/float64(4*b.N), "cpu-ns/exp")
				}
			})
		}
	}

	// The radix-2^52 kernels directly: four exponentiations with one
	// exponent, interleaved, reported per exponentiation.
	r := rand.New(rand.NewPCG(11, 12))
	for name, ifma := range amm52Impls() {
		w := newMont52(m.Bytes(), ifma)
		var bases, dsts [4][]byte
		for k := range bases {
			bases[k] = randBelow(r, m).FillBytes(make([]byte, len(base)))
			dsts[k] = make([]byte, len(base))
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

// BenchmarkNewModulus is the precomputation a key exchange pays per call.
func BenchmarkNewModulus(b *testing.B) {
	m, _, _ := benchInputs()
	mb := m.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewModulus(mb); err != nil {
			b.Fatal(err)
		}
	}
}
