package modexp

import (
	"math/big"
)

// Four-way Montgomery arithmetic in radix 2^28 for AVX2 (VPMULUDQ), the
// variable-time batch path of CPUs without IFMA.
//
// Four independent residues modulo one m < 2^2048 ride the four 64-bit lanes
// of a 256-bit register: limb j of a nat28x4 holds limb j of each of the four
// numbers. A residue is 74 limbs of 28 bits (R = 2^2072) kept normalized
// (every limb below 2^28), so VPMULUDQ, which multiplies the low 32 bits of
// each lane into a 64-bit product, computes one 28x28-bit product per lane.
// Six more limbs, always zero, pad the type: the kernels read them where a
// window of four limbs runs past the top.
//
// amm28 is "almost Montgomery" multiplication in product-scanning form: column
// c of the result collects every a[i]*b[c-i] and q[i]*m[c-i], where q[c] is
// chosen when column c is complete so that it becomes a multiple of 2^28,
// and the column's value above 28 bits is carried into column c+1. The
// columns accumulate lazily in 64-bit lanes, which cannot overflow: a column
// has at most 74 products a[i]*b[c-i] and 74 products q[i]*m[c-i], each at
// most (2^28-1)^2 < 2^56, plus the carry of the previous column, which is
// that column's value shifted right 28 bits, so below 2^36. The sum is below
// 148*2^56 + 2^36 < 2^63.21 + 2^36 < 2^64. (Radix 2^29 would not do: 142
// products below 2^58 can reach 2^65.2.)
//
// With inputs below 2m and 4m < R, the result (a*b + q*m)/R is below
// 4m^2/R + m < 2m, so results chain without a final subtraction; only the
// conversion out of the Montgomery domain reduces fully.

const (
	limbs28 = 74
	pad28   = 6
	mask28  = 1<<28 - 1
	rBits28 = limbs28 * 28 // R = 2^2072
)

type nat28x4 [limbs28 + pad28][4]uint64

// mont28 holds the constants of one odd modulus m < 2^2048, each broadcast
// to the four lanes; the assembly reads k0 and mask right after m.
type mont28 struct {
	m    nat28x4
	k0   [4]uint64 // -m^-1 mod 2^28
	mask [4]uint64 // 2^28 - 1
	rr   nat28x4   // R^2 mod m, to enter the Montgomery domain
	one  nat28x4   // 1, to leave it
	size int       // len(m) in bytes
}

func newMont28(m []byte) *mont28 {
	w := &mont28{size: len(m)}
	mb := new(big.Int).SetBytes(m)
	var buf [rBits28 / 8]byte
	mb.FillBytes(buf[:])
	for k := range 4 {
		w.m.setLane(k, buf[:])
	}
	m0 := w.m[0][0]
	inv := m0 // Newton's iteration for m^-1, as in newMont64
	for range 5 {
		inv *= 2 - m0*inv
	}
	rr := new(big.Int).Lsh(big.NewInt(1), 2*rBits28)
	rr.Mod(rr, mb).FillBytes(buf[:])
	for k := range 4 {
		w.k0[k] = -inv & mask28
		w.mask[k] = mask28
		w.rr.setLane(k, buf[:])
		w.one[0][k] = 1
	}
	return w
}

// setLane loads big-endian b (at most 266 bytes) into lane k, normalized.
func (z *nat28x4) setLane(k int, b []byte) {
	for j := range z {
		z[j][k] = 0
	}
	for i := range b {
		v := uint64(b[len(b)-1-i])
		off := 8 * i
		l, sh := off/28, uint(off%28)
		z[l][k] |= (v << sh) & mask28
		if sh > 20 {
			z[l+1][k] |= v >> (28 - sh)
		}
	}
}

// reduceLane writes lane k of z (normalized, below 2m) mod m big-endian into
// dst, which has room for m.
func (w *mont28) reduceLane(dst []byte, z *nat28x4, k int) {
	var t [limbs28]uint64
	var borrow uint64
	for j := range t {
		d := z[j][k] - w.m[j][0] - borrow
		borrow = d >> 63
		t[j] = d & mask28
	}
	keep := borrow - 1 // all ones if z >= m: take z - m
	var acc uint64
	var nacc uint
	j := 0
	for i := range dst {
		for nacc < 8 {
			v := t[j]&keep | z[j][k]&^keep
			acc |= v << nacc
			nacc += 28
			j++
		}
		dst[len(dst)-1-i] = byte(acc)
		acc >>= 8
		nacc -= 8
	}
}

// amm28Generic is the portable model of the assembly: the same columns, the
// same q, lane by lane.
func amm28Generic(z, a, b, m *nat28x4, k0 uint64) {
	const n = limbs28
	var out nat28x4
	for k := range 4 {
		var q [n]uint64
		var carry uint64
		for c := range 2 * n {
			t := carry
			for i := max(0, c-n+1); i <= min(c, n-1); i++ {
				t += a[i][k] * b[c-i][k]
			}
			for i := max(0, c-n+1); i < min(c, n); i++ {
				t += q[i] * m[c-i][k]
			}
			if c < n {
				q[c] = t * k0 & mask28
				t += q[c] * m[0][k]
			} else {
				out[c-n][k] = t & mask28
			}
			carry = t >> 28
		}
	}
	*z = out
}

func (w *mont28) mul(z, a, b *nat28x4) {
	if traceOp != nil {
		traceOp(a == b)
	}
	if haveAVX2Batch {
		amm28x4(z, a, b, &w.m)
		return
	}
	amm28Generic(z, a, b, &w.m, w.k0[0])
}

func (w *mont28) sqr(z, a *nat28x4) {
	if traceOp != nil {
		traceOp(true)
	}
	if haveAVX2Batch {
		sqr28x4(z, a, &w.m)
		return
	}
	amm28Generic(z, a, a, &w.m, w.k0[0])
}

// exp4 sets dst[k] = base[k]^exp mod m for four bases (each at most 256
// bytes, reduced by the first multiplication by R^2: any value below 2^2048
// is below R, and amm28 gives a result below 2m for a first factor below R
// and a second below m) and one public exponent: a 5-bit sliding window, the
// same schedule for the four lanes. Variable time: public inputs only.
func (w *mont28) exp4(dst, base *[4][]byte, exp []byte) {
	var x nat28x4
	for k := range 4 {
		x.setLane(k, base[k])
	}
	var table [1 << (window - 1)]nat28x4 // table[i] = x^(2i+1)
	w.mul(&table[0], &x, &w.rr)
	var x2 nat28x4
	w.sqr(&x2, &table[0])
	for i := 1; i < len(table); i++ {
		w.mul(&table[i], &table[i-1], &x2)
	}
	acc := &x
	if !walkExp(exp,
		func(i uint) { *acc = table[i] },
		func() { w.sqr(acc, acc) },
		func(i uint) { w.mul(acc, acc, &table[i]) }) {
		w.mul(acc, &w.one, &w.rr) // x^0 = R mod m
	}
	w.mul(acc, acc, &w.one)
	for k := range 4 {
		w.reduceLane(dst[k], acc, k)
	}
}
