package modexp

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/raceflag"
)

// TestExpFixedBaseMatchesMathBig checks ExpFixedBase under every
// implementation against math/big: moduli of the lengths the key exchange
// uses and shorter ones, bases 0, 1, 2, 3, 7 and 255, exponents of 32 bytes
// and longer (the comb: a row length that does and does not divide the bit
// count), zero, all ones, with leading zeros, and shorter than 32 bytes.
func TestExpFixedBaseMatchesMathBig(t *testing.T) {
	impltest.Run(t, "modexp", func(t *testing.T) {
		r := rand.New(rand.NewPCG(40, 41))
		for _, bl := range []int{2048, 2047, 1024, 521, 64, 9, 2} {
			m := new(big.Int).SetBytes(randBytes(r, (bl+7)/8))
			m.Rsh(m, uint(8*((bl+7)/8)-bl)).SetBit(m, bl-1, 1).SetBit(m, 0, 1)
			mb := m.Bytes()
			mod, err := NewModulus(mb)
			if err != nil {
				t.Fatal(err)
			}
			exps := [][]byte{randBytes(r, 256), make([]byte, 256), bytes.Repeat([]byte{0xff}, 256),
				append(make([]byte, 100), randBytes(r, 156)...), randBytes(r, 32), randBytes(r, 33), randBytes(r, 31), nil}
			for _, g := range []byte{0, 1, 2, 3, 7, 255} {
				for ei, e := range exps {
					if len(e) == 256 && ei > 0 && g != 3 {
						continue // time: the full exponent of a random value for every base, the others with g = 3
					}
					dst := make([]byte, mod.Size())
					if err := mod.ExpFixedBase(dst, g, e); err != nil {
						t.Fatal(err)
					}
					if want := refExp([]byte{g}, e, mb, mod.Size()); !bytes.Equal(dst, want) {
						t.Fatalf("%d-bit m, g = %d, exponent %d (%d bytes):\n got %x\nwant %x", bl, g, ei, len(e), dst, want)
					}
				}
			}
			if err := mod.ExpFixedBase(make([]byte, mod.Size()+1), 3, exps[0]); err == nil {
				t.Fatal("ExpFixedBase accepted a dst of the wrong size")
			}
		}
	})
}

// TestExpFixedBaseCacheEviction: more distinct tables than the cache holds
// still give right results (the cache is emptied and refilled).
func TestExpFixedBaseCacheEviction(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 43))
	m := randOddBig(r, 64)
	mod, err := NewModulus(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	e := randBytes(r, 40)
	for round := range 2 {
		for g := range byte(2 * combCacheMax) {
			dst := make([]byte, mod.Size())
			if err := mod.ExpFixedBase(dst, g+2, e); err != nil {
				t.Fatal(err)
			}
			if want := refExp([]byte{g + 2}, e, m.Bytes(), mod.Size()); !bytes.Equal(dst, want) {
				t.Fatalf("round %d, g = %d: mismatch", round, g+2)
			}
		}
	}
}

// TestExpCombSchedule: once the table is built, the sequence of squarings
// and multiplications of the comb is the same for every exponent value: one
// squaring and one multiplication per column, then fromMont.
func TestExpCombSchedule(t *testing.T) {
	r := rand.New(rand.NewPCG(44, 45))
	m := randOddBig(r, 256).Bytes()
	w := newMont64(m, haveAsm64)
	tab := w.newComb(3, combCols(256))
	exps := [][]byte{make([]byte, 256), bytes.Repeat([]byte{0xff}, 256), randBytes(r, 256), randBytes(r, 256)}
	ops := fixedSchedule(t, m, [][]byte{{3}}, exps, func(dst, _, e []byte) { w.expCTComb(dst, tab, e) })
	if want := 2*combCols(256) + 1; len(ops) != want {
		t.Fatalf("%d operations, want %d", len(ops), want)
	}
}

func TestExpFixedBaseNoAlloc(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocations are counted differently under -race")
	}
	impltest.Run(t, "modexp", func(t *testing.T) {
		r := rand.New(rand.NewPCG(46, 47))
		m := randOddBig(r, 256)
		mod, err := NewModulus(m.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		dst, e := make([]byte, 256), randBytes(r, 256)
		if n := testing.AllocsPerRun(3, func() { mod.ExpFixedBase(dst, 3, e) }); n != 0 {
			t.Fatalf("ExpFixedBase allocates %v times per run", n)
		}
	})
}
