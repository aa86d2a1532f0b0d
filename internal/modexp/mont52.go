package modexp

import (
	"math/big"
	"math/bits"
	"unsafe"
)

// Fixed-width 2048-bit Montgomery arithmetic in radix 2^52.
//
// A number below 2^2080 is held as 40 limbs of 52 bits, least significant
// first, which is the shape of the AVX-512 IFMA instructions (VPMADD52LUQ and
// VPMADD52HUQ multiply 52-bit lanes and add the low or high 52 bits of the
// 104-bit products to 64-bit accumulators): 40 limbs are five 512-bit
// registers. The multiplication is "almost Montgomery" (AMM): with R = 2^2080
// and a modulus m < 2^2048 (so 4m < R), inputs below 2m give a result
// a*b/R mod m that is below 2m, so no final subtraction is needed between
// steps; only the final conversion reduces fully.

const (
	limbs52  = 40
	mask52   = 1<<52 - 1
	rBits52  = limbs52 * 52 // R = 2^2080
	maxBytes = 256          // moduli up to 2048 bits
)

type nat52 [limbs52]uint64

// mont52 holds the constants of one odd modulus m < 2^2048.
type mont52 struct {
	mm   [2]nat52 // m, and m shifted down one limb (for the assembly)
	k0   uint64   // -m^-1 mod 2^52
	rr   nat52    // R^2 mod m, to enter the Montgomery domain
	mb   *big.Int
	size int  // len(m) in bytes
	ifma bool // the AVX-512 IFMA kernels, else the portable one
}

func newMont52(m []byte, ifma bool) *mont52 {
	w := &mont52{mb: new(big.Int).SetBytes(m), size: len(m), ifma: ifma}
	setNat52(&w.mm[0], w.mb)
	copy(w.mm[1][:], w.mm[0][1:])
	// Newton's iteration for m^-1 mod 2^64: each step doubles the correct
	// low bits; m0 is its own inverse mod 8 (3 bits), so 5 steps reach 96.
	m0 := w.mm[0][0]
	inv := m0
	for range 5 {
		inv *= 2 - m0*inv
	}
	w.k0 = -inv & mask52
	rr := new(big.Int).Lsh(big.NewInt(1), 2*rBits52)
	rr.Mod(rr, w.mb)
	setNat52(&w.rr, rr)
	return w
}

// setNat52 splits x (< 2^2080) into 52-bit limbs.
func setNat52(z *nat52, x *big.Int) {
	var buf [limbs52 * 52 / 8]byte
	z.setBytes52(x.FillBytes(buf[:]))
}

// fillBytes writes z (fully reduced, below 2^(8 len(dst))) big-endian into dst.
func (z *nat52) fillBytes(dst []byte) {
	for k := range dst {
		off := 8 * k
		l, sh := off/52, uint(off%52)
		v := z[l] >> sh
		if sh > 44 && l+1 < limbs52 {
			v |= z[l+1] << (52 - sh)
		}
		dst[len(dst)-1-k] = byte(v)
	}
}

// reduce reduces z < 2m to z mod m.
func (w *mont52) reduce(z *nat52) {
	var t nat52
	var borrow uint64
	for i := range z {
		d := z[i] - w.mm[0][i] - borrow
		borrow = d >> 63
		t[i] = d & mask52
	}
	if borrow == 0 {
		*z = t
	}
}

// amm52Generic is the portable AMM, the reference for the assembly.
func amm52Generic(out, a, b *nat52, mm *[2]nat52, k0 uint64) {
	m := &mm[0]
	var acc [limbs52]uint64
	for i := range limbs52 {
		bi := b[i]
		var hiA, hiM [limbs52]uint64
		for j := range limbs52 {
			h, l := bits.Mul64(a[j], bi)
			acc[j] += l & mask52
			hiA[j] = h<<12 | l>>52
		}
		y := (acc[0] * k0) & mask52
		for j := range limbs52 {
			h, l := bits.Mul64(m[j], y)
			acc[j] += l & mask52
			hiM[j] = h<<12 | l>>52
		}
		carry := acc[0] >> 52
		copy(acc[:], acc[1:])
		acc[limbs52-1] = 0
		acc[0] += carry
		for j := range limbs52 {
			acc[j] += hiA[j] + hiM[j]
		}
	}
	normalize52(out, &acc)
}

// normalize52 propagates the carries of an accumulator whose value is below
// 2^2080 into 52-bit limbs.
func normalize52(out *nat52, acc *[limbs52]uint64) {
	var c uint64
	for j := range acc {
		v := acc[j] + c
		out[j] = v & mask52
		c = v >> 52
	}
}

// window is the sliding-window width of the variable-time exponentiation:
// 16 precomputed odd powers, about 2048/6 multiplications for a 2048-bit
// exponent on top of the squarings.
const window = 5

// walkExp drives a left-to-right sliding-window exponentiation over the bits
// of exp (big-endian): first(i) starts the accumulator at the odd power
// table[i], then square() and mul(i) follow the exponent. It returns false
// if exp is zero (first is never called).
func walkExp(exp []byte, first func(uint), square func(), mul func(uint)) bool {
	nbits := len(exp) * 8
	bit := func(i int) uint { return uint(exp[len(exp)-1-i/8]>>(i%8)) & 1 }
	i := nbits - 1
	for i >= 0 && bit(i) == 0 {
		i--
	}
	if i < 0 {
		return false
	}
	started := false
	for i >= 0 {
		if bit(i) == 0 {
			square()
			i--
			continue
		}
		// The longest window exp[i..j] of at most 5 bits ending in a 1.
		j := max(i-window+1, 0)
		for bit(j) == 0 {
			j++
		}
		var v uint
		for k := i; k >= j; k-- {
			v = v<<1 | bit(k)
		}
		if started {
			for range i - j + 1 {
				square()
			}
			mul(v >> 1)
		} else {
			first(v >> 1)
			started = true
		}
		i = j - 1
	}
	return true
}

// load sets z = base mod m (not in Montgomery form).
func (w *mont52) load(z *nat52, base []byte) {
	xb := new(big.Int).SetBytes(base)
	if xb.Cmp(w.mb) >= 0 {
		xb.Mod(xb, w.mb)
	}
	setNat52(z, xb)
}

// store leaves the Montgomery domain and writes z big-endian into dst:
// AMM(z, 1) = z/R mod m is at most m, and reduce makes it canonical.
func (w *mont52) store(dst []byte, z *nat52) {
	var one nat52
	one[0] = 1
	w.mul(z, z, &one)
	w.reduce(z)
	z.fillBytes(dst)
}

// exp sets dst = base^exp mod m. Variable time: public inputs only.
func (w *mont52) exp(dst, base, exp []byte) {
	var x nat52
	w.load(&x, base)
	var table [1 << (window - 1)]nat52 // table[i] = x^(2i+1) in Montgomery form
	w.mul(&table[0], &x, &w.rr)
	var x2 nat52
	w.mul(&x2, &table[0], &table[0])
	for i := 1; i < len(table); i++ {
		w.mul(&table[i], &table[i-1], &x2)
	}
	var acc nat52
	if !walkExp(exp,
		func(i uint) { acc = table[i] },
		func() { w.mul(&acc, &acc, &acc) },
		func(i uint) { w.mul(&acc, &acc, &table[i]) }) {
		acc = nat52{} // x^0 = 1: R mod m in Montgomery form
		var one nat52
		one[0] = 1
		w.mul(&acc, &one, &w.rr)
	}
	w.store(dst, &acc)
}

// exp4 sets dst[k] = base[k]^exp mod m for four bases and one exponent (the
// Miller-Rabin rounds of one number), running the four in lockstep through
// the interleaved kernel.
func (w *mont52) exp4(dst, base *[4][]byte, exp []byte) {
	// The table and the accumulator live on a 64-byte boundary: the IFMA
	// kernel moves them in 64-byte zmm loads and stores, which split across
	// cache lines wherever the callers' frames happen to leave a plain stack
	// array (a third slower on Zen 5).
	var buf [unsafe.Sizeof(exp4Scratch{})/8 + 8]uint64
	sc := (*exp4Scratch)(align64(unsafe.Pointer(&buf[0])))
	table, acc := &sc.table, &sc.acc
	var x [4]nat52
	rr := [4]nat52{w.rr, w.rr, w.rr, w.rr}
	for k := range x {
		w.load(&x[k], base[k])
	}
	w.mul4(&table[0], &x, &rr)
	var x2 [4]nat52
	w.mul4(&x2, &table[0], &table[0])
	for i := 1; i < len(table); i++ {
		w.mul4(&table[i], &table[i-1], &x2)
	}
	if !walkExp(exp,
		func(i uint) { *acc = table[i] },
		func() { w.mul4(acc, acc, acc) },
		func(i uint) { w.mul4(acc, acc, &table[i]) }) {
		var one [4]nat52
		for k := range one {
			one[k][0] = 1
		}
		w.mul4(acc, &one, &rr)
	}
	for k := range acc {
		w.store(dst[k], &acc[k])
	}
}

// exp4Scratch is exp4's table and accumulator; every field is a multiple of
// 64 bytes long, so one aligned base aligns them all.
type exp4Scratch struct {
	table [1 << (window - 1)][4]nat52
	acc   [4]nat52
}

// align64 rounds p up to a multiple of 64 (p must have 64 bytes to spare).
func align64(p unsafe.Pointer) unsafe.Pointer {
	return unsafe.Add(p, (64-uintptr(p)%64)%64)
}

// mul sets out = AMM(a, b). Direct calls (no function values) keep the
// operands on the caller's stack.
func (w *mont52) mul(out, a, b *nat52) {
	if traceOp != nil {
		traceOp(a == b)
	}
	if w.ifma {
		amm52IFMA(out, a, b, &w.mm, w.k0)
		return
	}
	amm52Generic(out, a, b, &w.mm, w.k0)
}

// mul4 is four independent AMMs, interleaved in one kernel with IFMA.
func (w *mont52) mul4(out, a, b *[4]nat52) {
	if w.ifma {
		amm52x4IFMA(out, a, b, &w.mm, w.k0)
		return
	}
	for k := range out {
		amm52Generic(&out[k], &a[k], &b[k], &w.mm, w.k0)
	}
}
