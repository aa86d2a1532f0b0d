package modexp

import "crypto/subtle"

// Constant-time exponentiation on the radix-2^52 arithmetic, for secret
// exponents. Nothing below branches on or indexes memory by the value of
// the base or the exponent: the AMM kernels have fixed loops and
// data-independent instructions (IFMA, IMUL, shifts, adds), the exponent is
// consumed in fixed 4-bit windows with a multiplication by the table entry
// for every window (x^0 included), table entries are selected by scanning the
// whole table with masks, and the final subtraction is a masked select.

// setBytes52 loads big-endian b (at most 260 bytes) into z, in time that
// depends only on len(b).
func (z *nat52) setBytes52(b []byte) {
	*z = nat52{}
	for k := range b {
		v := uint64(b[len(b)-1-k])
		off := 8 * k
		l, sh := off/52, uint(off%52)
		z[l] |= (v << sh) & mask52
		if sh > 44 {
			z[l+1] |= v >> (52 - sh)
		}
	}
}

// reduceCT is reduce without a branch: z < 2m becomes z mod m.
func (w *mont52) reduceCT(z *nat52) {
	var t nat52
	var borrow uint64
	for i := range z {
		d := z[i] - w.mm[0][i] - borrow
		borrow = d >> 63
		t[i] = d & mask52
	}
	keep := borrow - 1 // all ones if no borrow (z >= m): take t
	for i := range z {
		z[i] = t[i]&keep | z[i]&^keep
	}
}

// expCT sets dst = x^exp mod m for x of at most 256 bytes (not necessarily
// below m: the first multiplication by R^2 reduces it). Its running time
// depends only on len(x) and len(exp).
func (w *mont52) expCT(dst, x, exp []byte) {
	var xn, one nat52
	xn.setBytes52(x)
	one[0] = 1
	var table [16]nat52 // table[i] = x^i in Montgomery form
	w.mul(&table[0], &one, &w.rr)
	w.mul(&table[1], &xn, &w.rr)
	for i := 2; i < len(table); i++ {
		w.mul(&table[i], &table[i-1], &table[1])
	}
	acc := table[0]
	var sel nat52
	for _, b := range exp {
		for _, shift := range [2]uint{4, 0} {
			for range 4 {
				w.mul(&acc, &acc, &acc)
			}
			k := (b >> shift) & 15
			sel = nat52{}
			for i := range table {
				mask := -uint64(subtle.ConstantTimeByteEq(uint8(i), k))
				for j := range sel {
					sel[j] |= table[i][j] & mask
				}
			}
			w.mul(&acc, &acc, &sel)
		}
	}
	w.mul(&acc, &acc, &one)
	w.reduceCT(&acc)
	acc.fillBytes(dst)
	clear(acc[:]) // the result and the last window's entry derive from the secret
	clear(sel[:])
}
