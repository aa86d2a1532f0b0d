package modexp

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"
)

// amm52Impls lists the radix-2^52 kernels available here: the portable one
// always (false), the IFMA assembly where the CPU has it (true).
func amm52Impls() map[string]bool {
	impls := map[string]bool{"generic": false}
	if haveIFMA {
		impls["ifma"] = true
	}
	return impls
}

func randOddBig(r *rand.Rand, nbytes int) *big.Int {
	m := new(big.Int).SetBytes(randBytes(r, nbytes))
	m.SetBit(m, nbytes*8-1, 1)
	m.SetBit(m, 0, 1)
	return m
}

func natOf(x *big.Int) *nat52 {
	var z nat52
	setNat52(&z, x)
	return &z
}

func bigOf52(z *nat52) *big.Int {
	b := make([]byte, 260)
	z.fillBytes(b)
	return new(big.Int).SetBytes(b)
}

// TestAMM52 checks every kernel against a*b*2^-2080 mod m computed with
// math/big, for inputs up to the 2m bound, including extreme ones.
func TestAMM52(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rInv := func(m *big.Int) *big.Int {
		R := new(big.Int).Lsh(big.NewInt(1), rBits52)
		return new(big.Int).ModInverse(R, m)
	}
	for name, ifma := range amm52Impls() {
		for _, nb := range []int{1, 8, 100, 255, 256} {
			for it := range 20 {
				m := randOddBig(r, nb)
				if it == 0 && nb == 256 {
					m = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2048), big.NewInt(1)) // 2^2048-1
				}
				w := newMont52(m.Bytes(), ifma)
				twoM := new(big.Int).Lsh(m, 1)
				a := randBelow(r, twoM)
				b := randBelow(r, twoM)
				if it == 1 {
					a.Sub(twoM, big.NewInt(1))
					b.Sub(twoM, big.NewInt(1))
				}
				var out nat52
				w.mul(&out, natOf(a), natOf(b))
				got := bigOf52(&out)
				if got.Cmp(twoM) >= 0 {
					t.Fatalf("%s: AMM result not below 2m", name)
				}
				want := new(big.Int).Mul(a, b)
				want.Mul(want, rInv(m)).Mod(want, m)
				if new(big.Int).Mod(got, m).Cmp(want) != 0 {
					t.Fatalf("%s: AMM mismatch for %d-byte m (iteration %d)", name, nb, it)
				}
				for _, l := range out {
					if l > mask52 {
						t.Fatalf("%s: limb not normalized", name)
					}
				}
			}
		}
	}
}

func randBelow(r *rand.Rand, n *big.Int) *big.Int {
	x := new(big.Int).SetBytes(randBytes(r, len(n.Bytes())+8))
	return x.Mod(x, n)
}

func TestMont52ExpMatchesMathBig(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for name, ifma := range amm52Impls() {
		n := 8
		if name == "generic" && testing.Short() {
			n = 2
		}
		for _, nb := range []int{1, 2, 64, 255, 256} {
			for it := range n {
				m := randOddBig(r, nb)
				w := newMont52(m.Bytes(), ifma)
				exp := randBytes(r, []int{0, 1, 2, 33, 256}[it%5])
				var bases, dsts [4][]byte
				for k := range bases {
					bases[k] = randBytes(r, []int{0, 1, nb, nb + 5}[(it+k)%4])
					dsts[k] = make([]byte, nb)
				}
				dst := make([]byte, nb)
				w.exp(dst, bases[0], exp)
				if want := refExp(bases[0], exp, m.Bytes(), nb); !bytes.Equal(dst, want) {
					t.Fatalf("%s: exp mismatch, %d-byte m, base %d bytes, exp %d bytes", name, nb, len(bases[0]), len(exp))
				}
				w.exp4(&dsts, &bases, exp)
				for k := range bases {
					if want := refExp(bases[k], exp, m.Bytes(), nb); !bytes.Equal(dsts[k], want) {
						t.Fatalf("%s: exp4[%d] mismatch, %d-byte m, base %d bytes, exp %d bytes", name, k, nb, len(bases[k]), len(exp))
					}
				}
			}
		}
	}
}

func TestVarTimeModulus(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, nb := range []int{1, 3, 200, 256, 257, 300} {
		m := randOddBig(r, nb)
		v, err := NewVarTimeModulus(append([]byte{0}, m.Bytes()...))
		if err != nil {
			t.Fatal(err)
		}
		if v.Size() != nb {
			t.Fatalf("Size() = %d, want %d", v.Size(), nb)
		}
		base, exp := randBytes(r, nb+1), randBytes(r, 40)
		dst := make([]byte, nb)
		if err := v.Exp(dst, base, exp); err != nil {
			t.Fatal(err)
		}
		if want := refExp(base, exp, m.Bytes(), nb); !bytes.Equal(dst, want) {
			t.Fatalf("VarTimeModulus.Exp mismatch for %d-byte m", nb)
		}
		if err := v.Exp(make([]byte, nb+1), base, exp); err == nil {
			t.Fatal("wrong dst size accepted")
		}
	}
	for _, m := range [][]byte{nil, {0}, {1}, {4}, {0, 0, 2}} {
		if _, err := NewVarTimeModulus(m); err != ErrModulus {
			t.Errorf("NewVarTimeModulus(%x) = %v, want ErrModulus", m, err)
		}
	}
}

// TestExpConstantTimePaths checks Modulus.Exp on the radix-2^52 code (the
// IFMA kernel where available and the portable one) against math/big,
// including exponents with leading zero bytes and bases >= m.
func TestExpConstantTimePaths(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for name, ifma := range amm52Impls() {
		for _, nb := range []int{1, 2, 33, 255, 256} {
			n := 6
			if name == "generic" {
				n = 1
			}
			for it := range n {
				m := randOddBig(r, nb)
				mod, err := NewModulus(m.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				mod.w52, mod.w64 = newMont52(m.Bytes(), ifma), nil
				base := randBytes(r, []int{nb, nb + 3, 1, 0}[it%4])
				exp := randBytes(r, []int{256, 1, 0, 3, 40, 2}[it%6])
				if it == 1 && len(exp) > 0 {
					exp[0] = 0
				}
				want := refExp(base, exp, m.Bytes(), nb)
				got := make([]byte, nb)
				if err := mod.Exp(got, base, exp); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: Modulus.Exp mismatch, %d-byte m, base %d bytes, exp %d bytes", name, nb, len(base), len(exp))
				}
			}
		}
	}
	// m-1 as the base: the result m-1 or 1 exercises the final reduction.
	m := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2048), big.NewInt(159))
	mb := m.Bytes()
	mm1 := new(big.Int).Sub(m, big.NewInt(1)).Bytes()
	for _, e := range [][]byte{{1}, {2}, {3}, {0, 0}} {
		got, err := Exp(mm1, e, mb)
		if err != nil {
			t.Fatal(err)
		}
		if want := refExp(mm1, e, mb, len(mb)); !bytes.Equal(got, want) {
			t.Fatalf("(m-1)^%x mismatch", e)
		}
	}
}

// TestExpCTFixedSchedule checks the structure behind the constant-time
// claim: for a given exponent length, expCT performs the same sequence of
// multiplications whatever the base and exponent values (a zero exponent,
// all ones, random), so its running time cannot depend on them. The kernels
// themselves have fixed loops and no data-dependent branches.
func TestExpCTFixedSchedule(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	mb := randOddBig(r, 256)
	m := mb.Bytes()
	w := newMont52(m, haveIFMA)
	exps := [][]byte{make([]byte, 32), bytes.Repeat([]byte{0xff}, 32), randBytes(r, 32), append(append([]byte{0x80}, make([]byte, 30)...), 1)}
	ops := fixedSchedule(t, m, [][]byte{make([]byte, 256), randBelow(r, mb).FillBytes(make([]byte, 256))}, exps, w.expCT)
	// 16 table entries, 2 per byte of 4 squarings and a multiplication, and
	// the conversion out.
	if want := 16 + 32*2*5 + 1; len(ops) != want {
		t.Fatalf("%d multiplications, want %d", len(ops), want)
	}
}

func TestExpBatchErrors(t *testing.T) {
	v, err := NewVarTimeModulus([]byte{0x0f, 0x42, 0x43})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ExpBatch(make([][]byte, 2), make([][]byte, 3), []byte{1}); err == nil {
		t.Error("ExpBatch accepted fewer dst than bases")
	}
	if err := v.ExpBatch([][]byte{make([]byte, 4)}, [][]byte{{2}}, []byte{1}); err == nil {
		t.Error("ExpBatch accepted a dst of the wrong size")
	}
	if err := v.ExpBatch(nil, nil, []byte{1}); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}
