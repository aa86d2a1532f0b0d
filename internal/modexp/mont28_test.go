package modexp

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/raceflag"
)

func lane28(z *nat28x4, k int) *big.Int {
	x := new(big.Int)
	for j := len(z) - 1; j >= 0; j-- {
		x.Lsh(x, 28).Or(x, new(big.Int).SetUint64(z[j][k]))
	}
	return x
}

func setLane28(z *nat28x4, k int, x *big.Int) {
	z.setLane(k, x.FillBytes(make([]byte, rBits28/8)))
}

// amm28Kernels lists the four-way kernels this build can run.
func amm28Kernels() map[string]func(z, a, b, m *nat28x4, k0 uint64) {
	ks := map[string]func(z, a, b, m *nat28x4, k0 uint64){"generic": amm28Generic}
	if haveAVX2Batch {
		ks["avx2"] = func(z, a, b, m *nat28x4, _ uint64) { amm28x4(z, a, b, m) }
	}
	return ks
}

// TestAMM28Kernels checks the portable model and the AVX2 kernel against
// a*b/2^2072 mod m from math/big, with a different pair in every lane, for
// moduli of many lengths (up to 2048 bits, and 2^2048-1) and extreme
// operands: a = 0, a = R-1 and b = m-1, a = b = 2m-1 (the largest AMM
// output). The result must be congruent and below 2m, limbs normalized;
// the kernels run in place too.
func TestAMM28Kernels(t *testing.T) {
	r := rand.New(rand.NewPCG(28, 29))
	R := new(big.Int).Lsh(big.NewInt(1), rBits28)
	for _, nb := range []int{1, 2, 8, 9, 100, 255, 256} {
		for it := range 4 {
			m := randOddBig(r, nb)
			if it == 0 && nb == 256 {
				m = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2048), big.NewInt(1))
			}
			w := newMont28(m.Bytes())
			rInv := new(big.Int).ModInverse(R, m)
			m2 := new(big.Int).Lsh(m, 1)
			var a, b nat28x4
			var xs, ys [4]*big.Int
			for k := range 4 {
				x, y := randBelow(r, R), randBelow(r, m)
				switch (it + k) % 4 {
				case 1:
					x.Sub(R, big.NewInt(1))
					y.Sub(m, big.NewInt(1))
				case 2:
					x.SetInt64(0)
				case 3:
					x.Sub(m2, big.NewInt(1))
					y.Set(x)
				}
				xs[k], ys[k] = x, y
				setLane28(&a, k, x)
				setLane28(&b, k, y)
			}
			for name, f := range amm28Kernels() {
				check := func(what string, z *nat28x4) {
					t.Helper()
					for k := range 4 {
						want := new(big.Int).Mul(xs[k], ys[k])
						want.Mul(want, rInv).Mod(want, m)
						got := lane28(z, k)
						for j := range z {
							if z[j][k] > mask28 {
								t.Fatalf("%s %s: %d bytes, lane %d: limb %d not normalized", name, what, nb, k, j)
							}
						}
						if got.Cmp(m2) >= 0 || new(big.Int).Mod(got, m).Cmp(want) != 0 {
							t.Fatalf("%s %s: %d bytes, case %d, lane %d: got %x, want %x (mod m, below 2m)", name, what, nb, it, k, got, want)
						}
					}
				}
				var z nat28x4
				f(&z, &a, &b, &w.m, w.k0[0])
				check("z = a*b", &z)
				za := a
				f(&za, &za, &b, &w.m, w.k0[0])
				check("a = a*b", &za)
				zb := b
				f(&zb, &a, &zb, &w.m, w.k0[0])
				check("b = a*b", &zb)
			}
		}
	}
}

// TestAMM28Square checks the kernels and sqr28x4 with a == b, in place and
// not, with lanes random, 2m-1 (the largest input), 0 and m-1.
func TestAMM28Square(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 31))
	R := new(big.Int).Lsh(big.NewInt(1), rBits28)
	for _, nb := range []int{1, 2, 3, 8, 100, 128, 255, 256, 257} {
		m := randOddBig(r, min(nb, 256))
		if nb == 257 {
			m = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2048), big.NewInt(1))
		}
		w := newMont28(m.Bytes())
		rInv := new(big.Int).ModInverse(R, m)
		var x nat28x4
		var xs [4]*big.Int
		for k := range 4 {
			xs[k] = randBelow(r, new(big.Int).Lsh(m, 1))
			switch k {
			case 1:
				xs[k].Lsh(m, 1).Sub(xs[k], big.NewInt(1))
			case 2:
				xs[k].SetInt64(0)
			case 3:
				xs[k].Sub(m, big.NewInt(1))
			}
			setLane28(&x, k, xs[k])
		}
		check := func(name string, z *nat28x4) {
			t.Helper()
			for k := range 4 {
				want := new(big.Int).Mul(xs[k], xs[k])
				want.Mul(want, rInv).Mod(want, m)
				if got := lane28(z, k); got.Cmp(new(big.Int).Lsh(m, 1)) >= 0 || new(big.Int).Mod(got, m).Cmp(want) != 0 {
					t.Fatalf("%s: %d bytes, lane %d: wrong square", name, nb, k)
				}
			}
		}
		for name, f := range amm28Kernels() {
			z := x
			f(&z, &z, &z, &w.m, w.k0[0])
			check(name+" in place", &z)
			var z2 nat28x4
			f(&z2, &x, &x, &w.m, w.k0[0])
			check(name, &z2)
		}
		if haveAVX2Batch {
			z := x
			sqr28x4(&z, &z, &w.m)
			check("sqr28x4 in place", &z)
			var z2 nat28x4
			sqr28x4(&z2, &x, &w.m)
			check("sqr28x4", &z2)
		}
	}
}

// exp28Cases are moduli lengths in bits: every length dhcheck uses (q of
// 2047 bits, p of 2048) and small and odd ones.
var exp28Bits = []int{2, 9, 64, 65, 1023, 2040, 2047, 2048}

// TestExp4MatchesMathBig runs exp4 with four different bases (0, 1, m-1,
// random, longer than m) per call against math/big, with exponents empty,
// zero, with leading zero bytes and full length.
func TestExp4MatchesMathBig(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 33))
	// The portable model (no AVX2, or purego) is slow: there, fewer moduli
	// and no full-length exponent.
	slow := !haveAVX2Batch
	for _, nbits := range exp28Bits {
		if slow && nbits != 9 && nbits != 2047 {
			continue
		}
		m := new(big.Int).SetBytes(randBytes(r, (nbits+7)/8))
		m.SetBit(m, nbits-1, 1).SetBit(m, 0, 1)
		m.Rsh(m, uint(8*((nbits+7)/8)-nbits)).SetBit(m, 0, 1).SetBit(m, nbits-1, 1)
		if m.BitLen() != nbits {
			t.Fatalf("modulus of %d bits, want %d", m.BitLen(), nbits)
		}
		mb := m.Bytes()
		w := newMont28(mb)
		exps := [][]byte{nil, {0}, {0, 0, 1}, {0, 0, 0x80, 3}, {2}, randBytes(r, 256), append([]byte{0, 0}, randBytes(r, 40)...)}
		if slow {
			exps = slices.Delete(exps, 5, 6)
		}
		mm1 := new(big.Int).Sub(m, big.NewInt(1)).Bytes()
		baseSets := [][4][]byte{
			{nil, {1}, mm1, randBelow(r, m).Bytes()},
			{randBytes(r, 256), {0}, randBelow(r, m).Bytes(), mb},
		}
		for ei, e := range exps {
			for _, bases := range baseSets {
				var dst [4][]byte
				for k := range dst {
					dst[k] = make([]byte, len(mb))
				}
				w.exp4(&dst, &bases, e)
				for k := range 4 {
					want := new(big.Int).Exp(new(big.Int).SetBytes(bases[k]), new(big.Int).SetBytes(e), m)
					if !bytes.Equal(dst[k], want.FillBytes(make([]byte, len(mb)))) {
						t.Fatalf("%d bits, exponent %d, lane %d: got %x, want %x", nbits, ei, k, dst[k], want)
					}
				}
			}
		}
	}
}

func TestExp4NoAlloc(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	r := rand.New(rand.NewPCG(34, 35))
	m := randOddBig(r, 256)
	w := newMont28(m.Bytes())
	var dst, bases [4][]byte
	for k := range dst {
		dst[k] = make([]byte, 256)
		bases[k] = randBelow(r, m).Bytes()
	}
	e := randBytes(r, 32)
	if n := testing.AllocsPerRun(3, func() { w.exp4(&dst, &bases, e) }); n != 0 {
		t.Fatalf("exp4 allocates %v times per run", n)
	}
}

// TestExpBatchMatchesMathBig runs ExpBatch under every implementation, and
// on the MULX/ADX path with and without the four-way AVX2 kernels, for
// batches of 0 to 9 bases (full groups of four, a group of three, one or two
// left over) against math/big: moduli of the lengths dhcheck uses and
// shorter ones, bases 0, 1, m-1, m, random and longer than m, exponents
// with leading zeros, zero and empty.
func TestExpBatchMatchesMathBig(t *testing.T) {
	impltest.Run(t, "modexp", func(t *testing.T) {
		for _, b28 := range []bool{true, false} {
			batch28 = b28
			defer func() { batch28 = true }()
			r := rand.New(rand.NewPCG(36, 37))
			for _, nbits := range []int{9, 1024, 2047, 2048} {
				m := randOddBig(r, (nbits+7)/8)
				m.Rsh(m, uint(8*((nbits+7)/8)-nbits)).SetBit(m, 0, 1).SetBit(m, nbits-1, 1)
				v, err := NewVarTimeModulus(m.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				if want := b28 && Impl() == asm64Name && haveAVX2Batch; (v.w28 != nil) != want {
					t.Fatalf("%s, batch28 %v: four-way AVX2 kernels in use: %v, want %v", Impl(), b28, v.w28 != nil, want)
				}
				pool := [][]byte{nil, {1}, new(big.Int).Sub(m, big.NewInt(1)).Bytes(), m.Bytes(),
					randBytes(r, 300), randBelow(r, m).Bytes(), randBelow(r, m).Bytes(), {0, 0, 7}, {2}}
				exps := [][]byte{append([]byte{0, 0}, randBytes(r, 256)...), {0}, nil, randBytes(r, 3)}
				for n := range 10 {
					for _, e := range exps {
						bases, dst := pool[:n], make([][]byte, n)
						for i := range dst {
							dst[i] = make([]byte, v.Size())
						}
						if err := v.ExpBatch(dst, bases, e); err != nil {
							t.Fatal(err)
						}
						for i := range dst {
							want := new(big.Int).Exp(new(big.Int).SetBytes(bases[i]), new(big.Int).SetBytes(e), m)
							if !bytes.Equal(dst[i], want.FillBytes(make([]byte, v.Size()))) {
								t.Fatalf("%d bits, batch of %d, base %d (%x), exp %x: got %x, want %x", nbits, n, i, bases[i], e, dst[i], want)
							}
						}
					}
				}
			}
		}
	})
}

// TestExpBatchNoAlloc: on the MULX/ADX path (with the AVX2 kernels where
// the CPU has AVX2) ExpBatch with bases of at most Size() bytes does not
// allocate, a group of three and leftover bases included.
func TestExpBatchNoAlloc(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	impltest.Run(t, "modexp", func(t *testing.T) {
		if Impl() != asm64Name {
			t.Skip("only the radix-2^64 assembly path promises no allocation")
		}
		r := rand.New(rand.NewPCG(38, 39))
		m := randOddBig(r, 256)
		v, err := NewVarTimeModulus(m.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		bases, dst := make([][]byte, 7), make([][]byte, 7)
		for i := range bases {
			bases[i] = randBelow(r, m).Bytes()
			dst[i] = make([]byte, 256)
		}
		e := randBytes(r, 256)
		if n := testing.AllocsPerRun(2, func() { v.ExpBatch(dst, bases, e) }); n != 0 {
			t.Fatalf("ExpBatch allocates %v times per run", n)
		}
	})
}
