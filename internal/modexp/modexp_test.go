package modexp

import (
	"bytes"
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// refExp is the math/big reference, padded to size bytes.
func refExp(base, exp, m []byte, size int) []byte {
	r := new(big.Int).Exp(new(big.Int).SetBytes(base), new(big.Int).SetBytes(exp), new(big.Int).SetBytes(m))
	return r.FillBytes(make([]byte, size))
}

// fixedSchedule runs exp (dst = base^e mod m, 256 bytes) on every base and
// exponent, checks each result against math/big, and requires one sequence
// of squarings and multiplications (recorded through traceOp) for them all:
// the structure behind a constant-time claim. It returns that sequence.
func fixedSchedule(t *testing.T, m []byte, bases, exps [][]byte, exp func(dst, base, e []byte)) []bool {
	t.Helper()
	var trace, first []bool
	traceOp = func(square bool) { trace = append(trace, square) }
	defer func() { traceOp = nil }()
	for i, e := range exps {
		for j, x := range bases {
			trace = trace[:0]
			dst := make([]byte, 256)
			exp(dst, x, e)
			if want := refExp(x, e, m, 256); !bytes.Equal(dst, want) {
				t.Fatalf("exponent %d, base %d: mismatch", i, j)
			}
			if first == nil {
				first = slices.Clone(trace)
			} else if !slices.Equal(trace, first) {
				t.Fatalf("exponent %d, base %d: schedule differs (%d operations, first run %d)", i, j, len(trace), len(first))
			}
		}
	}
	return first
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func randOddModulus(r *rand.Rand, n int) []byte {
	m := randBytes(r, n)
	m[0] |= 1
	if n == 1 && m[0] < 3 {
		m[0] = 3
	}
	m[n-1] |= 1
	return m
}

func TestExpMatchesMathBig(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 2, 7, 8, 9, 31, 32, 33, 64, 255, 256}
	for _, ms := range sizes {
		for _, bs := range []int{0, 1, ms - 1, ms, ms + 1, 2*ms + 3} {
			if bs < 0 {
				continue
			}
			for _, es := range []int{0, 1, 2, 8, 33} {
				m := randOddModulus(r, ms)
				base := randBytes(r, bs)
				exp := randBytes(r, es)
				got, err := Exp(base, exp, m)
				if err != nil {
					t.Fatalf("Exp(len %d, len %d, len %d): %v", bs, es, ms, err)
				}
				if want := refExp(base, exp, m, ms); !bytes.Equal(got, want) {
					t.Fatalf("Exp mismatch m=%x base=%x exp=%x:\n got %x\nwant %x", m, base, exp, got, want)
				}
			}
		}
	}
}

func TestExpEdgeValues(t *testing.T) {
	m := []byte{0xff, 0xff, 0xff, 0xfb} // odd
	mm := new(big.Int).SetBytes(m)
	cases := [][2][]byte{
		{nil, nil},                            // 0^0 = 1
		{{0}, {5}},                            // 0^5 = 0
		{m, {3}},                              // base = m
		{{0xff, 0xff, 0xff, 0xfa}, {2}},       // base = m-1
		{{0xff, 0xff, 0xff, 0xff, 0xff}, {7}}, // base > m, longer
		{{0, 0, 0, 2}, {0, 0, 0xff}},          // leading zeros in base and exp
	}
	for _, c := range cases {
		got, err := Exp(c[0], c[1], m)
		if err != nil {
			t.Fatal(err)
		}
		if want := refExp(c[0], c[1], mm.Bytes(), 4); !bytes.Equal(got, want) {
			t.Errorf("Exp(%x, %x): got %x want %x", c[0], c[1], got, want)
		}
	}
}

func TestExpLeadingZeroModulus(t *testing.T) {
	got, err := Exp([]byte{3}, []byte{4}, []byte{0, 0, 0x65}) // 81 mod 101
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, []byte{0, 0, 81}) {
		t.Fatalf("got %x, want 000051", got)
	}
}

func TestExpBadModulus(t *testing.T) {
	for _, m := range [][]byte{nil, {}, {0}, {1}, {0, 1}, {2}, {0x10, 0}, {0xff, 0xfe}} {
		if _, err := Exp([]byte{2}, []byte{3}, m); !errors.Is(err, ErrModulus) {
			t.Errorf("Exp(m=%x): err %v, want ErrModulus", m, err)
		}
		if _, err := NewModulus(m); !errors.Is(err, ErrModulus) {
			t.Errorf("NewModulus(%x): err %v, want ErrModulus", m, err)
		}
	}
}

func TestModulusExpDst(t *testing.T) {
	mod, err := NewModulus([]byte{0x65})
	if err != nil {
		t.Fatal(err)
	}
	if err := mod.Exp(make([]byte, 2), []byte{3}, []byte{4}); err == nil {
		t.Fatal("wrong dst size accepted")
	}
	dst := make([]byte, 1)
	if err := mod.Exp(dst, []byte{3}, []byte{4}); err != nil || dst[0] != 81 {
		t.Fatalf("got %x, %v", dst, err)
	}
}

// FuzzExp compares Exp and VarTimeModulus.Exp with math/big.
func FuzzExp(f *testing.F) {
	f.Add([]byte{3}, []byte{200}, []byte{0x0f, 0x42, 0x43})
	f.Add([]byte{}, []byte{}, []byte{3})
	f.Add([]byte{0xff, 0xff, 0xff}, []byte{0, 1}, []byte{0, 0xff, 0xfb})
	f.Fuzz(func(t *testing.T, base, exp, m []byte) {
		if len(m) > 300 || len(exp) > 64 || len(base) > 600 {
			return
		}
		mb := new(big.Int).SetBytes(m)
		got, err := Exp(base, exp, m)
		if mb.Bit(0) == 0 || mb.Cmp(big.NewInt(1)) <= 0 {
			if err == nil {
				t.Fatalf("Exp accepted modulus %x", m)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := refExp(base, exp, m, len(m)); !bytes.Equal(got, want) {
			t.Fatalf("Exp(%x, %x, %x) = %x, want %x", base, exp, m, got, want)
		}
		v, err := NewVarTimeModulus(m)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]byte, v.Size())
		if err := v.Exp(dst, base, exp); err != nil {
			t.Fatal(err)
		}
		if want := refExp(base, exp, m, v.Size()); !bytes.Equal(dst, want) {
			t.Fatalf("VarTimeModulus.Exp(%x, %x, %x) = %x, want %x", base, exp, m, dst, want)
		}
		// A batch of five related bases (one full group of four and one more).
		bases := make([][]byte, 5)
		dsts := make([][]byte, 5)
		for i := range bases {
			bases[i] = append([]byte{byte(i)}, base...)
			dsts[i] = make([]byte, v.Size())
		}
		if err := v.ExpBatch(dsts, bases, exp); err != nil {
			t.Fatal(err)
		}
		for i := range bases {
			if want := refExp(bases[i], exp, m, v.Size()); !bytes.Equal(dsts[i], want) {
				t.Fatalf("ExpBatch[%d] mismatch", i)
			}
		}
	})
}
