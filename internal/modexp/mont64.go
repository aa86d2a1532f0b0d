package modexp

import (
	"math/big"
	"math/bits"
)

// Fixed-width 2048-bit Montgomery arithmetic in radix 2^64, the path for
// CPUs without AVX-512 IFMA.
//
// A residue is 32 limbs of 64 bits, least significant first, R = 2^2048.
// mul(z, x, y) computes x*y/R mod m fully reduced for x < R and y < m (so
// also for x, y < m), which lets a base of up to 256 bytes enter the
// Montgomery domain, reduced, with one multiplication by R^2 mod m. The
// kernels are the MULX/ADX assembly on amd64 (mont_amd64.s), MUL/UMULH
// assembly on arm64 (mont64_arm64.s) and mulMontGeneric elsewhere; all of
// them have fixed loops, data-independent instructions and a masked final
// subtraction.

const limbs64 = 32

type nat64 [limbs64]uint64

// mont64 holds the constants of one odd modulus m < 2^2048.
type mont64 struct {
	m    nat64
	k0   uint64 // -m^-1 mod 2^64
	rr   nat64  // R^2 mod m, to enter the Montgomery domain
	one  nat64  // R mod m: 1 in the Montgomery domain
	asm  bool   // use this architecture's kernels (mulx-adx, arm64)
	size int    // len(m) in bytes

	oneF nat64 // R*2^64 mod m: 1 in the representation of expCTSmall
}

func newMont64(m []byte, asm bool) *mont64 {
	w := &mont64{size: len(m), asm: asm}
	w.m.setBytes(m)
	// Newton's iteration for m^-1 mod 2^64: each step doubles the correct
	// low bits; m0 is its own inverse mod 8 (3 bits), so 5 steps reach 96.
	m0 := w.m[0]
	inv := m0
	for range 5 {
		inv *= 2 - m0*inv
	}
	w.k0 = -inv
	// The modulus is public: math/big's variable-time division is fine here.
	mb := new(big.Int).SetBytes(m)
	r := new(big.Int).Lsh(big.NewInt(1), 64*limbs64)
	w.one.setBig(new(big.Int).Mod(r, mb))
	w.oneF.setBig(new(big.Int).Mod(new(big.Int).Lsh(r, 64), mb))
	w.rr.setBig(r.Mod(r.Mul(r, r), mb))
	return w
}

// setBytes loads big-endian b (at most 256 bytes) into z, in time that
// depends only on len(b).
func (z *nat64) setBytes(b []byte) {
	*z = nat64{}
	for k := range b {
		z[k/8] |= uint64(b[len(b)-1-k]) << (8 * (k % 8))
	}
}

func (z *nat64) setBig(x *big.Int) {
	var buf [8 * limbs64]byte
	z.setBytes(x.FillBytes(buf[:]))
}

// fillBytes writes z (below 2^(8 len(dst))) big-endian into dst.
func (z *nat64) fillBytes(dst []byte) {
	for k := range dst {
		dst[len(dst)-1-k] = byte(z[k/8] >> (8 * (k % 8)))
	}
}

func (w *mont64) mul(z, x, y *nat64) {
	if traceOp != nil {
		traceOp(x == y)
	}
	if w.asm {
		mulMontAsm(z, x, y, &w.m, w.k0)
		return
	}
	mulMontGeneric(z, x, y, &w.m, w.k0)
}

func (w *mont64) sqr(z, x *nat64) {
	if traceOp != nil {
		traceOp(true)
	}
	if w.asm {
		sqrMontAsm(z, x, &w.m, w.k0)
		return
	}
	mulMontGeneric(z, x, x, &w.m, w.k0)
}

// mulSmall sets z = x*c/2^(64 steps) mod m for x < m and a one-word c.
func (w *mont64) mulSmall(z, x *nat64, c uint64, steps int) {
	if traceOp != nil {
		traceOp(false)
	}
	if w.asm {
		mulSmallAsm(z, x, c, &w.m, w.k0, steps)
		return
	}
	mulSmallGeneric(z, x, c, &w.m, w.k0, steps)
}

// traceOp, when set by a test, is told of every multiplication (square or
// not), so that the test can check that the schedule of the constant-time
// exponentiation does not depend on the exponent.
var traceOp func(square bool)

// mulMontGeneric is the portable kernel (CIOS: each word of y is multiplied
// in and one word reduced before the next), the reference for the assembly.
func mulMontGeneric(z, x, y, m *nat64, k0 uint64) {
	var t [limbs64 + 2]uint64
	for i := range limbs64 {
		var c, cc uint64
		yi := y[i]
		for j := range limbs64 {
			hi, lo := bits.Mul64(x[j], yi)
			lo, cc = bits.Add64(lo, t[j], 0)
			hi += cc
			lo, cc = bits.Add64(lo, c, 0)
			t[j], c = lo, hi+cc
		}
		t[limbs64], cc = bits.Add64(t[limbs64], c, 0)
		t[limbs64+1] = cc

		u := t[0] * k0
		hi, lo := bits.Mul64(m[0], u)
		_, cc = bits.Add64(lo, t[0], 0)
		c = hi + cc
		for j := 1; j < limbs64; j++ {
			hi, lo := bits.Mul64(m[j], u)
			lo, cc = bits.Add64(lo, t[j], 0)
			hi += cc
			lo, cc = bits.Add64(lo, c, 0)
			t[j-1], c = lo, hi+cc
		}
		t[limbs64-1], cc = bits.Add64(t[limbs64], c, 0)
		t[limbs64] = t[limbs64+1] + cc
	}
	condSub(z, (*nat64)(t[:limbs64]), t[limbs64], m)
}

// condSub sets z = top:t mod m for top:t < 2m: it subtracts m unless that
// borrows without a top bit to absorb it, choosing with a mask.
func condSub(z, t *nat64, top uint64, m *nat64) {
	var s nat64
	var b uint64
	for j := range limbs64 {
		s[j], b = bits.Sub64(t[j], m[j], b)
	}
	_, keep := bits.Sub64(top, 0, b) // 1 iff t < m
	mask := -keep
	for j := range limbs64 {
		z[j] = t[j]&mask | s[j]&^mask
	}
}

// mulSmallGeneric sets z = x*c/2^(64 steps) mod m for x < m: the product
// and that many reduction steps (the portable form of mulSmallADX).
func mulSmallGeneric(z, x *nat64, c uint64, m *nat64, k0 uint64, steps int) {
	var t [limbs64 + 2 + smallSteps]uint64
	var carry, cc uint64
	for j := range limbs64 {
		hi, lo := bits.Mul64(x[j], c)
		t[j], cc = bits.Add64(lo, carry, 0)
		carry = hi + cc
	}
	t[limbs64] = carry
	var top uint64 // carry out of the previous step, one limb above its row
	for i := range steps {
		u := t[i] * k0
		carry = 0
		for j := range limbs64 {
			hi, lo := bits.Mul64(m[j], u)
			lo, cc = bits.Add64(lo, t[i+j], 0)
			hi += cc
			t[i+j], cc = bits.Add64(lo, carry, 0)
			carry = hi + cc
		}
		t[i+limbs64], cc = bits.Add64(t[i+limbs64], carry, 0)
		t[i+limbs64], carry = bits.Add64(t[i+limbs64], top, 0)
		top = cc + carry
	}
	condSub(z, (*nat64)(t[steps:steps+limbs64]), top, m)
}

// selectGeneric is the portable form of selectCT: z = table[idx], reading
// every entry and keeping one with masks.
func selectGeneric(z *nat64, table []nat64, idx int) {
	*z = nat64{}
	for i := range table {
		// mask is all ones iff i == idx, without a comparison branch.
		d := uint64(i ^ idx)
		mask := ((d | -d) >> 63) - 1
		for j := range z {
			z[j] |= table[i][j] & mask
		}
	}
}

func (w *mont64) sel(z *nat64, table *[1 << ctWindow]nat64, idx int) {
	if w.asm {
		selectAsm64(z, table[:], idx)
		return
	}
	selectGeneric(z, table[:], idx)
}

// ctWindow is the fixed window of the constant-time exponentiation: 32
// table entries, one multiplication per 5 exponent bits (about 410 for a
// 2048-bit exponent, on top of 2048 squarings).
const ctWindow = 5

// expBits returns the n bits of exp (big-endian) starting at bit pos
// (counted from the least significant), in time independent of their value.
func expBits(exp []byte, pos, n int) int {
	v := 0
	for k := n - 1; k >= 0; k-- {
		i := pos + k
		v = v<<1 | int(exp[len(exp)-1-i/8]>>(i%8))&1
	}
	return v
}

// toMont sets z = base*R mod m for base of at most 256 bytes.
func (w *mont64) toMont(z *nat64, base []byte) {
	var x nat64
	x.setBytes(base)
	w.mul(z, &x, &w.rr)
	clear(x[:])
}

// expCT sets dst (Size() bytes) = base^exp mod m for base of at most 256
// bytes. The sequence of operations and memory addresses depends only on
// len(base) and len(exp): fixed 5-bit windows from the top, every window
// five squarings and one multiplication by the table entry (x^0 included),
// entries fetched by reading the whole table.
func (w *mont64) expCT(dst, base, exp []byte) {
	var table [1 << ctWindow]nat64 // table[i] = x^i in Montgomery form
	table[0] = w.one
	w.toMont(&table[1], base)
	for i := 2; i < len(table); i++ {
		if i%2 == 0 {
			w.sqr(&table[i], &table[i/2])
		} else {
			w.mul(&table[i], &table[i-1], &table[1])
		}
	}
	nbits := 8 * len(exp)
	top := nbits % ctWindow
	if top == 0 {
		top = min(ctWindow, nbits)
	}
	var acc, sel nat64
	w.sel(&acc, &table, expBits(exp, nbits-top, top))
	for pos := nbits - top - ctWindow; pos >= 0; pos -= ctWindow {
		for range ctWindow {
			w.sqr(&acc, &acc)
		}
		w.sel(&sel, &table, expBits(exp, pos, ctWindow))
		w.mul(&acc, &acc, &sel)
	}
	w.fromMont(dst, &acc)
	clear(table[:]) // powers of the base and the last entry used
	clear(sel[:])
}

// smallWindow is the window of the one-byte-base exponentiation: every
// entry b^k, k < 8, of a base b < 256 fits one word (255^7 < 2^64).
const smallWindow = 3

// smallSteps is the number of reduction steps (words divided out) of the
// window multiplication of expCTSmall: see there why it is 7.
const smallSteps = 7

// expCTSmall is expCT for a base of one byte, the generator g of a key
// exchange: the table entries g^k are single words, and multiplying by one
// (mulSmall: one 32-word row and 7 reduction steps) costs an eighth of a full
// Montgomery multiplication.
//
// The accumulator holds a*F for F = R*2^64. Three Montgomery squarings turn
// it into a^8*F^8/R^7 = a^8*R*2^512, and mulSmall with 7 steps divides by
// 2^448, which leaves a^8*g^k*R*2^64 = (a^8 g^k)*F: the representation is
// the same after every window, so no correction depends on the exponent.
// Every window, the first (top, possibly shorter) included, is three
// squarings and one mulSmall, so the sequence of operations and addresses
// depends only on len(exp).
func (w *mont64) expCTSmall(dst []byte, b byte, exp []byte) {
	var table [1 << smallWindow]uint64
	table[0] = 1
	for i := 1; i < len(table); i++ {
		table[i] = table[i-1] * uint64(b)
	}
	pick := func(idx int) uint64 {
		var v uint64
		for i, e := range table {
			d := uint64(i ^ idx)
			v |= e & (((d | -d) >> 63) - 1)
		}
		return v
	}
	nbits := 8 * len(exp)
	top := nbits % smallWindow
	if top == 0 {
		top = min(smallWindow, nbits)
	}
	acc := w.oneF
	for pos := nbits - top; pos >= 0; pos -= smallWindow {
		for range smallWindow {
			w.sqr(&acc, &acc)
		}
		n := smallWindow
		if pos == nbits-top {
			n = top
		}
		w.mulSmall(&acc, &acc, pick(expBits(exp, pos, n)), smallSteps)
	}
	w.mulSmall(&acc, &acc, 1, 1) // a*F/2^64 = a*R
	w.fromMont(dst, &acc)
	clear(table[:])
}

// fromMont writes z/R mod m (fully reduced) big-endian into dst and clears z.
func (w *mont64) fromMont(dst []byte, z *nat64) {
	var one nat64
	one[0] = 1
	w.mul(z, z, &one)
	z.fillBytes(dst)
	clear(z[:])
}

// exp sets dst = base^exp mod m with a sliding window, for public base and
// exponent only (base of at most 256 bytes).
func (w *mont64) exp(dst, base, exp []byte) {
	var table [1 << (window - 1)]nat64 // table[i] = x^(2i+1)
	w.toMont(&table[0], base)
	var x2 nat64
	w.sqr(&x2, &table[0])
	for i := 1; i < len(table); i++ {
		w.mul(&table[i], &table[i-1], &x2)
	}
	var acc nat64
	if !walkExp(exp,
		func(i uint) { acc = table[i] },
		func() { w.sqr(&acc, &acc) },
		func(i uint) { w.mul(&acc, &acc, &table[i]) }) {
		acc = w.one
	}
	w.fromMont(dst, &acc)
}
