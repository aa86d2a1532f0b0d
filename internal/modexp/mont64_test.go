package modexp

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/raceflag"
)

func nat64Of(x *big.Int) *nat64 {
	var z nat64
	z.setBig(x)
	return &z
}

func bigOf64(z *nat64) *big.Int {
	b := make([]byte, 8*limbs64)
	z.fillBytes(b)
	return new(big.Int).SetBytes(b)
}

// TestMont64Kernels checks the portable kernel and, where it runs, the
// assembly against x*y/2^2048 mod m from math/big, multiplication and
// squaring, aliased and not, for moduli of every length up to 2048 bits and
// extreme operands (0, m-1, 2^2048-1 as the first factor).
func TestMont64Kernels(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	R := new(big.Int).Lsh(big.NewInt(1), 64*limbs64)
	for _, nb := range []int{1, 2, 8, 9, 100, 255, 256} {
		for it := range 12 {
			m := randOddBig(r, nb)
			if it == 0 && nb == 256 {
				m = new(big.Int).Sub(R, big.NewInt(1))
			}
			w := newMont64(m.Bytes(), false)
			rInv := new(big.Int).ModInverse(R, m)
			x, y := randBelow(r, R), randBelow(r, m)
			switch it {
			case 1:
				x.Sub(R, big.NewInt(1))
				y.Sub(m, big.NewInt(1))
			case 2:
				x.SetInt64(0)
			case 3:
				x.Sub(m, big.NewInt(1))
				y.Set(x)
			}
			want := new(big.Int).Mul(x, y)
			want.Mul(want, rInv).Mod(want, m)
			wantSq := new(big.Int).Mul(y, y)
			wantSq.Mul(wantSq, rInv).Mod(wantSq, m)
			kernels := map[string]bool{"generic": false}
			if haveAsm64 {
				kernels[asm64Name] = true
			}
			for name, asm := range kernels {
				w.asm = asm
				var z nat64
				w.mul(&z, nat64Of(x), nat64Of(y))
				if got := bigOf64(&z); got.Cmp(want) != 0 {
					t.Fatalf("%s: mul mismatch, %d-byte m, case %d:\n got %x\nwant %x", name, nb, it, got, want)
				}
				z = *nat64Of(x)
				w.mul(&z, &z, nat64Of(y)) // z aliases x
				if got := bigOf64(&z); got.Cmp(want) != 0 {
					t.Fatalf("%s: aliased mul mismatch, %d-byte m, case %d", name, nb, it)
				}
				z = *nat64Of(y)
				w.sqr(&z, &z)
				if got := bigOf64(&z); got.Cmp(wantSq) != 0 {
					t.Fatalf("%s: sqr mismatch, %d-byte m, case %d:\n got %x\nwant %x", name, nb, it, got, wantSq)
				}
				for _, steps := range []int{1, smallSteps} {
					c := r.Uint64()
					if it == 2 {
						c = ^uint64(0)
					}
					want := new(big.Int).Mul(y, new(big.Int).SetUint64(c))
					inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(64*steps)), m)
					want.Mul(want, inv).Mod(want, m)
					z := *nat64Of(y)
					w.mulSmall(&z, &z, c, steps)
					if got := bigOf64(&z); got.Cmp(want) != 0 {
						t.Fatalf("%s: mulSmall(steps %d) mismatch, %d-byte m, case %d", name, steps, nb, it)
					}
				}
			}
		}
	}
}

// TestSelect checks the table lookups, assembly and portable, for every index.
func TestSelect(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	var table [1 << ctWindow]nat64
	for i := range table {
		for j := range table[i] {
			table[i][j] = r.Uint64()
		}
	}
	sels := map[string]func(z *nat64, idx int){
		"generic": func(z *nat64, idx int) { selectGeneric(z, table[:], idx) },
	}
	if haveAsm64 {
		sels[asm64Name] = func(z *nat64, idx int) { selectAsm64(z, table[:], idx) }
	}
	addArchSelects(sels, &table)
	for name, sel := range sels {
		for idx := range table {
			var z nat64
			sel(&z, idx)
			if z != table[idx] {
				t.Fatalf("%s: select(%d) returned another entry", name, idx)
			}
		}
	}
}

// TestExpCTEveryImpl cross-checks Modulus.Exp under every implementation
// with math/big: moduli of every bit length the DH check and the key
// exchange use (2048 bits, 2047 for q, and a sweep of shorter ones), bases
// 0, 1, m-1, m, longer than m and random, exponents empty, zero, one, with
// leading zero bytes and full length.
func TestExpCTEveryImpl(t *testing.T) {
	impltest.Run(t, "modexp", func(t *testing.T) {
		r := rand.New(rand.NewPCG(25, 26))
		bitLens := []int{2048, 2047, 2046, 2040, 2017, 1985, 1537, 1024, 521, 256, 65, 64, 63, 9, 2}
		for _, bl := range bitLens {
			m := new(big.Int).SetBytes(randBytes(r, (bl+7)/8))
			m.SetBit(m, bl-1, 1)
			m.SetBit(m, 0, 1)
			for b := bl; b < len(m.Bytes())*8; b++ {
				m.SetBit(m, b, 0)
			}
			mb := m.Bytes()
			nb := len(mb)
			mod, err := NewModulus(mb)
			if err != nil {
				t.Fatal(err)
			}
			mm1 := new(big.Int).Sub(m, big.NewInt(1)).Bytes()
			bases := [][]byte{nil, {0}, {1}, mm1, mb, randBytes(r, nb), randBytes(r, nb+9), randBytes(r, 300), {3}, {255}}
			full := randBytes(r, 256)
			lead := append([]byte{0, 0, 0}, randBytes(r, 29)...)
			exps := [][]byte{nil, {0}, {1}, {2}, lead, full, make([]byte, 256)}
			for bi, base := range bases {
				for ei, exp := range exps {
					if len(exp) == 256 && bi != 2 && bi != 5 && bi != 9 {
						continue // full length with base 1 and a random base only: it is slow under emulation
					}
					dst := make([]byte, nb)
					if err := mod.Exp(dst, base, exp); err != nil {
						t.Fatal(err)
					}
					if want := refExp(base, exp, mb, nb); !bytes.Equal(dst, want) {
						t.Fatalf("%d-bit m, base %d, exp %d:\n got %x\nwant %x", bl, bi, ei, dst, want)
					}
				}
			}
			// The variable-time path on the same inputs.
			v, err := NewVarTimeModulus(mb)
			if err != nil {
				t.Fatal(err)
			}
			for bi, base := range bases {
				dst := make([]byte, nb)
				if err := v.Exp(dst, base, lead); err != nil {
					t.Fatal(err)
				}
				if want := refExp(base, lead, mb, nb); !bytes.Equal(dst, want) {
					t.Fatalf("VarTime %d-bit m, base %d: mismatch", bl, bi)
				}
			}
		}
	})
}

// TestExpCTAllocs: the constant-time exponentiation allocates nothing.
func TestExpCTAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocations are counted differently under -race")
	}
	impltest.Run(t, "modexp", func(t *testing.T) {
		r := rand.New(rand.NewPCG(27, 28))
		m := randOddBig(r, 256)
		mod, err := NewModulus(m.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		dst, exp := make([]byte, 256), randBytes(r, 256)
		for _, base := range [][]byte{randBytes(r, 256), {3}} {
			if n := testing.AllocsPerRun(3, func() {
				if err := mod.Exp(dst, base, exp); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Fatalf("Modulus.Exp with a %d-byte base allocates %v times", len(base), n)
			}
		}
	})
}

// TestExpCTSchedule checks the structure behind the constant-time claim of
// the radix-2^64 path: for one exponent length the sequence of squarings and
// multiplications is the same whatever the base and exponent values.
func TestExpCTSchedule(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	m := randOddBig(r, 256).Bytes()
	w := newMont64(m, haveAsm64)
	exps := [][]byte{make([]byte, 32), bytes.Repeat([]byte{0xff}, 32), randBytes(r, 32), append([]byte{0x80}, make([]byte, 31)...)}
	ops := fixedSchedule(t, m, [][]byte{nil, randBytes(r, 256)}, exps, w.expCT)
	// toMont, 30 more table entries, 256 bits in windows of 5 (1 bit, then
	// 51 windows of 5 squarings and a multiplication), and fromMont.
	if want := 1 + 30 + 51*6 + 1; len(ops) != want {
		t.Fatalf("%d operations, want %d", len(ops), want)
	}

	// The one-byte-base path: its own schedule, the same for every base and
	// exponent value.
	ops = fixedSchedule(t, m, [][]byte{{0}, {1}, {2}, {255}}, exps, func(dst, x, e []byte) { w.expCTSmall(dst, x[0], e) })
	// 256 bits in 86 windows of three squarings and a small multiplication,
	// one small multiplication and fromMont.
	if want := 86*4 + 1 + 1; len(ops) != want {
		t.Fatalf("expCTSmall: %d operations, want %d", len(ops), want)
	}
}
