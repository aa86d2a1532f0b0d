package ige

import (
	"encoding/binary"
	"math/bits"
)

// Portable AES-256, used where no AES instructions are available (and with
// -tags purego). It is constant-time: bitsliced, with no memory access or
// branch that depends on the key or the data, in the manner of BearSSL's
// aes_ct64 and BoringSSL's aes_nohw. One call of the round function works on
// four blocks at once; a single IGE stream fills one of them (it is serial),
// a batch all four with blocks of independent streams.
//
// Round keys are kept as bytes in FIPS-197 order (each 32-bit word
// big-endian), the layout AESENC/AESDEC and AESE/AESD consume directly, so
// every implementation shares one key schedule format. The decryption
// schedule, which only the assembly uses, is that of the "equivalent inverse
// cipher" (FIPS-197 section 5.3.5). The bitsliced code derives its own
// round keys from the encryption schedule at the start of every call.

const rounds = 14 // AES-256

// sliced is four AES states in bitsliced form: word i holds bit i of all 64
// bytes, the byte in row r and column c of lane l at bit 16r + 4c + l. Every
// operation keeps the lanes apart, so a lane nobody reads may hold garbage.
type sliced [8]uint64

// subBytes applies the S-box, or its inverse, to every byte: the depth-16
// circuit of Boyar and Peralta (https://eprint.iacr.org/2011/332), whose
// forward and inverse variants share the nonlinear middle. U0 is the most
// significant bit, as in the paper.
func subBytes(q *sliced, inverse bool) {
	u0, u1, u2, u3, u4, u5, u6, u7 := q[7], q[6], q[5], q[4], q[3], q[2], q[1], q[0]
	var t1, t2, t3, t4, t6, t8, t9, t10, t13, t14, t15, t16, t17, t19, t20, t22, t23, t24, t25, t26, t27, d uint64
	if inverse {
		t23 = u0 ^ u3
		t22 = ^(u1 ^ u3)
		t2 = ^(u0 ^ u1)
		t1 = u3 ^ u4
		t24 = ^(u4 ^ u7)
		r5 := u6 ^ u7
		t8 = ^(u1 ^ t23)
		t19 = t22 ^ r5
		t9 = ^(u7 ^ t1)
		t10 = t2 ^ t24
		t13 = t2 ^ r5
		t3 = t1 ^ r5
		t25 = ^(u2 ^ t1)
		r13 := u1 ^ u6
		t17 = ^(u2 ^ t19)
		t20 = t24 ^ r13
		t4 = u4 ^ t8
		r17 := ^(u2 ^ u5)
		r18 := ^(u5 ^ u6)
		r19 := ^(u2 ^ u4)
		d = u0 ^ r17
		t6 = t22 ^ r17
		t16 = r13 ^ r19
		t27 = t1 ^ r18
		t15 = t10 ^ t27
		t14 = t10 ^ r18
		t26 = t3 ^ t16
	} else {
		t1 = u0 ^ u3
		t2 = u0 ^ u5
		t3 = u0 ^ u6
		t4 = u3 ^ u5
		t5 := u4 ^ u6
		t6 = t1 ^ t5
		t7 := u1 ^ u2
		t8 = u7 ^ t6
		t9 = u7 ^ t7
		t10 = t6 ^ t7
		t11 := u1 ^ u5
		t12 := u2 ^ u5
		t13 = t3 ^ t4
		t14 = t6 ^ t11
		t15 = t5 ^ t11
		t16 = t5 ^ t12
		t17 = t9 ^ t16
		t19 = t7 ^ u3 ^ u7
		t20 = t1 ^ t19
		t22 = t7 ^ u6 ^ u7
		t23 = t2 ^ t22
		t24 = t2 ^ t10
		t25 = t20 ^ t17
		t26 = t3 ^ t16
		t27 = t1 ^ t12
		d = u7
	}

	m1 := t13 & t6
	m6 := t3 & t16
	m11 := t1 & t15
	m13 := t4&t27 ^ m11
	m15 := t2&t10 ^ m11
	m20 := t14 ^ m1 ^ t23&t8 ^ m13
	m21 := t19&d ^ m1 ^ t24 ^ m15
	m22 := t26 ^ m6 ^ t22&t9 ^ m13
	m23 := t20&t17 ^ m6 ^ m15 ^ t25
	m25 := m22 & m20
	m37 := m21 ^ (m20^m21)&(m23^m25)
	m38 := m20 ^ m25 ^ (m21 | m20&m23)
	m39 := m23 ^ (m22^m23)&(m21^m25)
	m40 := m22 ^ m25 ^ (m23 | m21&m22)
	m41 := m38 ^ m40
	m42 := m37 ^ m39
	m43 := m37 ^ m38
	m44 := m39 ^ m40
	m45 := m42 ^ m41
	m46 := m44 & t6
	m47 := m40 & t8
	m48 := m39 & d
	m49 := m43 & t16
	m50 := m38 & t9
	m51 := m37 & t17
	m52 := m42 & t15
	m53 := m45 & t27
	m54 := m41 & t10
	m55 := m44 & t13
	m56 := m40 & t23
	m57 := m39 & t19
	m58 := m43 & t3
	m59 := m38 & t22
	m60 := m37 & t20
	m61 := m42 & t1
	m62 := m45 & t4
	m63 := m41 & t2

	if inverse {
		p0 := m52 ^ m61
		p1 := m58 ^ m59
		p2 := m54 ^ m62
		p3 := m47 ^ m50
		p4 := m48 ^ m56
		p5 := m46 ^ m51
		p6 := m49 ^ m60
		p7 := p0 ^ p1
		p8 := m50 ^ m53
		p9 := m55 ^ m63
		p10 := m57 ^ p4
		p11 := p0 ^ p3
		p12 := m46 ^ m48
		p13 := m49 ^ m51
		p14 := m49 ^ m62
		p15 := m54 ^ m59
		p16 := m57 ^ m61
		p17 := m58 ^ p2
		p18 := m63 ^ p5
		p19 := p2 ^ p3
		p20 := p4 ^ p6
		p22 := p2 ^ p7
		p23 := p7 ^ p8
		p24 := p5 ^ p7
		p25 := p6 ^ p10
		p26 := p9 ^ p11
		p27 := p10 ^ p18
		p28 := p11 ^ p25
		p29 := p15 ^ p20
		q[7] = p13 ^ p22
		q[6] = p26 ^ p29
		q[5] = p17 ^ p28
		q[4] = p12 ^ p22
		q[3] = p23 ^ p27
		q[2] = p19 ^ p24
		q[1] = p14 ^ p23
		q[0] = p9 ^ p16
		return
	}
	l0 := m61 ^ m62
	l1 := m50 ^ m56
	l2 := m46 ^ m48
	l3 := m47 ^ m55
	l4 := m54 ^ m58
	l5 := m49 ^ m61
	l6 := m62 ^ l5
	l7 := m46 ^ l3
	l8 := m51 ^ m59
	l9 := m52 ^ m53
	l10 := m53 ^ l4
	l11 := m60 ^ l2
	l12 := m48 ^ m51
	l13 := m50 ^ l0
	l14 := m52 ^ m61
	l15 := m55 ^ l1
	l16 := m56 ^ l0
	l17 := m57 ^ l1
	l18 := m58 ^ l8
	l19 := m63 ^ l4
	l20 := l0 ^ l1
	l21 := l1 ^ l7
	l22 := l3 ^ l12
	l23 := l18 ^ l2
	l24 := l15 ^ l9
	l25 := l6 ^ l10
	l26 := l7 ^ l9
	l27 := l8 ^ l10
	l28 := l11 ^ l14
	l29 := l11 ^ l17
	q[7] = l6 ^ l24
	q[6] = ^(l16 ^ l26)
	q[5] = ^(l19 ^ l28)
	q[4] = l6 ^ l21
	q[3] = l20 ^ l22
	q[2] = l25 ^ l29
	q[1] = ^(l13 ^ l27)
	q[0] = ^(l6 ^ l23)
}

// The state is "fixsliced" (Adomnicai and Peyrin, https://eprint.iacr.org/2020/1123):
// ShiftRows, the costliest step in bitsliced form, is never applied. After
// round r the state is held as P^-r of the true one (P is ShiftRows), so
// round r uses MixColumns conjugated by P^r, which reads the byte one row
// down and r columns right of each byte instead of the one just below. Round
// keys are stored permuted to match, and the one real ShiftRows left, P^2
// after the last round (14 = 2 mod 4), is a byte swap done outside.

// neighbour moves to each byte the byte dr rows down and dc columns right
// (both mod 4) of it: a rotation of the word by 16dr+4dc where the column
// index does not wrap, by 16dr+4dc-16 where it does. Called with constants,
// it inlines to two rotations and a select (one rotation if dc is 0).
func neighbour(x uint64, dr, dc uint) uint64 {
	s := 4 * (dc & 3)
	keep := uint64(0xffff>>s) * 0x0001000100010001
	return bits.RotateLeft64(x, -int(16*dr+s))&keep | bits.RotateLeft64(x, int(16-16*dr-s))&^keep
}

// mixColumns is MixColumns conjugated by P^j, then AddRoundKey with k: each
// byte becomes 2a0 + 3a1 + a2 + a3, where a1..a3 are the bytes one to three
// rows down (and j, 2j, 3j columns right), computed as xtime(t) + v with
// t = a0+a1 and v = a1+a2+a3. In bitsliced form xtime moves slice i-1 of t
// to slice i, and slice 7 to slices 0, 1, 3 and 4 (x^8 = x^4+x^3+x+1).
// One case per variant keeps every rotation count a constant.
func mixColumns(q *sliced, j int, k *sliced) {
	switch j {
	case 0:
		r7 := neighbour(q[7], 1, 0)
		t7 := q[7] ^ r7
		v7 := r7 ^ neighbour(t7, 2, 0)
		prev := t7
		for i, m := range xtimeTop[:7] {
			r := neighbour(q[i], 1, 0)
			t := q[i] ^ r
			q[i] = prev ^ r ^ neighbour(t, 2, 0) ^ t7&m ^ k[i]
			prev = t
		}
		q[7] = prev ^ v7 ^ k[7]
	case 1:
		r7 := neighbour(q[7], 1, 1)
		t7 := q[7] ^ r7
		v7 := r7 ^ neighbour(t7, 2, 2)
		prev := t7
		for i, m := range xtimeTop[:7] {
			r := neighbour(q[i], 1, 1)
			t := q[i] ^ r
			q[i] = prev ^ r ^ neighbour(t, 2, 2) ^ t7&m ^ k[i]
			prev = t
		}
		q[7] = prev ^ v7 ^ k[7]
	case 2:
		r7 := neighbour(q[7], 1, 2)
		t7 := q[7] ^ r7
		v7 := r7 ^ neighbour(t7, 2, 4)
		prev := t7
		for i, m := range xtimeTop[:7] {
			r := neighbour(q[i], 1, 2)
			t := q[i] ^ r
			q[i] = prev ^ r ^ neighbour(t, 2, 4) ^ t7&m ^ k[i]
			prev = t
		}
		q[7] = prev ^ v7 ^ k[7]
	case 3:
		r7 := neighbour(q[7], 1, 3)
		t7 := q[7] ^ r7
		v7 := r7 ^ neighbour(t7, 2, 6)
		prev := t7
		for i, m := range xtimeTop[:7] {
			r := neighbour(q[i], 1, 3)
			t := q[i] ^ r
			q[i] = prev ^ r ^ neighbour(t, 2, 6) ^ t7&m ^ k[i]
			prev = t
		}
		q[7] = prev ^ v7 ^ k[7]
	}
}

// xtimeTop[i] selects the slices that t's slice 7 also goes to.
var xtimeTop = [8]uint64{1: ^uint64(0), 3: ^uint64(0), 4: ^uint64(0)}

// invMixColumns adds the round key k, then undoes mixColumns(q, j):
// InvMixColumns is MixColumns after a -> a + 4(a + a2), a2 the byte two rows
// down (and 2j columns right).
func invMixColumns(q *sliced, j int, k *sliced) {
	var u sliced
	switch j {
	case 0, 2:
		for i, a := range q {
			a ^= k[i]
			q[i], u[i] = a, a^neighbour(a, 2, 0)
		}
	case 1, 3:
		for i, a := range q {
			a ^= k[i]
			q[i], u[i] = a, a^neighbour(a, 2, 2)
		}
	}
	q[0] ^= u[6]
	q[1] ^= u[6] ^ u[7]
	q[2] ^= u[0] ^ u[7]
	q[3] ^= u[1] ^ u[6]
	q[4] ^= u[2] ^ u[6] ^ u[7]
	q[5] ^= u[3] ^ u[7]
	q[6] ^= u[4]
	q[7] ^= u[5]
	mixColumns(q, j, &zeroKey)
}

var zeroKey sliced

// encryptSliced runs rounds 1 to 14 on q, which holds plaintext xor k0; the
// result still lacks the final P^2 and k14.
func encryptSliced(q *sliced, rk *[rounds - 1]sliced) {
	for r := 1; r < rounds; r++ {
		subBytes(q, false)
		mixColumns(q, r&3, &rk[r-1])
	}
	subBytes(q, false)
}

// decryptSliced undoes encryptSliced: q holds ciphertext xor k14, and the
// result lacks P^2 and k0. With v_r = P^(14-r) of the state after round r,
// v_(r-1) = InvSubBytes(InvMixColumns conjugated by P^(r+2) of
// (v_r + P^(r+2) of k_r)) (indices of P mod 4).
func decryptSliced(q *sliced, rk *[rounds - 1]sliced) {
	subBytes(q, true)
	for r := rounds - 1; r >= 1; r-- {
		invMixColumns(q, (r+2)&3, &rk[r-1])
		subBytes(q, true)
	}
}

// A block travels as two little-endian words: bytes 0-7 (columns 0 and 1)
// and 8-15 (columns 2 and 3).
type block [2]uint64

func loadBlock(b []byte) block {
	return block{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
}

func storeBlock(b []byte, v block) {
	binary.LittleEndian.PutUint64(b, v[0])
	binary.LittleEndian.PutUint64(b[8:], v[1])
}

func (a block) xor(b block) block { return block{a[0] ^ b[0], a[1] ^ b[1]} }

// shiftRows2 is P^2: rows 1 and 3 move by two columns, a swap of the words'
// odd bytes.
func (a block) shiftRows2() block {
	const m = 0xff00ff00ff00ff00
	return block{a[0]&^m | a[1]&m, a[1]&^m | a[0]&m}
}

// evenOdd splits a block into its even columns (0, 2) and odd ones (1, 3),
// each with the two columns' bytes alternating (row 0 of the first, row 0 of
// the second, row 1 ...), so that an 8x8 bit transpose across words puts
// byte (r, c) at bit 16r + 4c.
func (a block) evenOdd() (even, odd uint64) {
	return interleave(a[0]&0xffffffff | a[1]<<32), interleave(a[0]>>32 | a[1]&0xffffffff00000000)
}

func blockOf(even, odd uint64) block {
	even, odd = deinterleave(even), deinterleave(odd)
	return block{even&0xffffffff | odd<<32, even>>32 | odd&0xffffffff00000000}
}

// interleave reorders bytes 0..7 as 0 4 1 5 2 6 3 7.
func interleave(x uint64) uint64 {
	t := (x>>16 ^ x) & 0x00000000ffff0000
	x ^= t ^ t<<16
	t = (x>>8 ^ x) & 0x0000ff000000ff00
	return x ^ t ^ t<<8
}

func deinterleave(x uint64) uint64 {
	t := (x>>8 ^ x) & 0x0000ff000000ff00
	x ^= t ^ t<<8
	t = (x>>16 ^ x) & 0x00000000ffff0000
	return x ^ t ^ t<<16
}

// swapBits exchanges the bits of a selected by m<<n with those of b
// selected by m.
func swapBits(a, b, m uint64, n uint) (uint64, uint64) {
	t := (a>>n ^ b) & m
	return a ^ t<<n, b ^ t
}

// transpose8 transposes, in each byte position, the 8x8 bit matrix across
// the eight words: bit k of byte m of word i and bit i of byte m of word k
// trade places. It is its own inverse.
func transpose8(q *sliced) {
	const m1, m2, m4 = 0x5555555555555555, 0x3333333333333333, 0x0f0f0f0f0f0f0f0f
	q0, q1 := swapBits(q[0], q[1], m1, 1)
	q2, q3 := swapBits(q[2], q[3], m1, 1)
	q4, q5 := swapBits(q[4], q[5], m1, 1)
	q6, q7 := swapBits(q[6], q[7], m1, 1)
	q0, q2 = swapBits(q0, q2, m2, 2)
	q1, q3 = swapBits(q1, q3, m2, 2)
	q4, q6 = swapBits(q4, q6, m2, 2)
	q5, q7 = swapBits(q5, q7, m2, 2)
	q[0], q[4] = swapBits(q0, q4, m4, 4)
	q[1], q[5] = swapBits(q1, q5, m4, 4)
	q[2], q[6] = swapBits(q2, q6, m4, 4)
	q[3], q[7] = swapBits(q3, q7, m4, 4)
}

// slice4 loads four blocks, one per lane.
func slice4(q *sliced, b *[4]block) {
	for l := range b {
		q[l], q[4+l] = b[l].evenOdd()
	}
	transpose8(q)
}

// unslice4 is the inverse of slice4; it clobbers q.
func unslice4(b *[4]block, q *sliced) {
	transpose8(q)
	for l := range b {
		b[l] = blockOf(q[l], q[4+l])
	}
}

// slice1 loads one block into lane 0 and garbage into the others: the
// transpose restricted to lane 0 is only shifts.
func slice1(q *sliced, b block) {
	even, odd := b.evenOdd()
	lo := even&0x0f0f0f0f0f0f0f0f | odd<<4&0xf0f0f0f0f0f0f0f0
	hi := even>>4&0x0f0f0f0f0f0f0f0f | odd&0xf0f0f0f0f0f0f0f0
	q[0], q[1], q[2], q[3] = lo, lo>>1, lo>>2, lo>>3
	q[4], q[5], q[6], q[7] = hi, hi>>1, hi>>2, hi>>3
}

// unslice1 reads lane 0.
func unslice1(q *sliced) block {
	const l0 = 0x1111111111111111
	lo := q[0]&l0 | q[1]&l0<<1 | q[2]&l0<<2 | q[3]&l0<<3
	hi := q[4]&l0 | q[5]&l0<<1 | q[6]&l0<<2 | q[7]&l0<<3
	return blockOf(lo&0x0f0f0f0f0f0f0f0f|hi<<4&0xf0f0f0f0f0f0f0f0, lo>>4&0x0f0f0f0f0f0f0f0f|hi&0xf0f0f0f0f0f0f0f0)
}

// roundKey returns round key r of the encryption schedule as held after
// round r: P^-j of it, row i moved i*j columns right.
func roundKey(enc *[scheduleSize]byte, r, j int) block {
	k := loadBlock(enc[16*r:])
	// k with its columns moved 0, 1, 2, 3 places right.
	moved := [4]block{k, {k[1]>>32 | k[0]<<32, k[0]>>32 | k[1]<<32}, {k[1], k[0]}, {k[0]>>32 | k[1]<<32, k[1]>>32 | k[0]<<32}}
	var out block
	for row := range 4 {
		m := uint64(0xff) << (8 * row) * 0x0000000100000001 // the row's bytes
		s := &moved[(j*row)&3]
		out[0] |= s[0] & m
		out[1] |= s[1] & m
	}
	return out
}

// sliceKeys fills lane l of rk (garbage in the others if l == 0 and
// lanesClean is false) with the round keys 1..13 of enc, permuted for
// encryption (P^-r of key r) or decryption (P^(r+2) = P^-(r+2) of key r).
func sliceKeys(rk *[rounds - 1]sliced, enc *[scheduleSize]byte, l int, decrypt, lanesClean bool) {
	const l0 = 0x1111111111111111
	shift := 0
	if decrypt {
		shift = 2
	}
	for r := 1; r < rounds; r++ {
		var k sliced
		slice1(&k, roundKey(enc, r, (r+shift)&3))
		if !lanesClean {
			rk[r-1] = k
			continue
		}
		for i := range k {
			rk[r-1][i] = rk[r-1][i]&^(l0<<l) | k[i]&l0<<l
		}
	}
}

// ctKeys is everything one lane needs: the first and last round keys as
// blocks (xored outside the bitsliced code) and the sliced middle ones.
type ctKeys struct {
	first, last [4]block
	rk          [rounds - 1]sliced
}

func (k *ctKeys) setLane(l int, c *Cipher, decrypt, lanesClean bool) {
	first, last := roundKey(&c.enc, 0, 0), roundKey(&c.enc, rounds, 0)
	if decrypt {
		first, last = last, first
	}
	k.first[l], k.last[l] = first, last
	sliceKeys(&k.rk, &c.enc, l, decrypt, lanesClean)
}

func encryptOne(k *ctKeys, in block) block {
	var q sliced
	slice1(&q, in.xor(k.first[0]))
	encryptSliced(&q, &k.rk)
	return unslice1(&q).shiftRows2().xor(k.last[0])
}

func decryptOne(k *ctKeys, in block) block {
	var q sliced
	slice1(&q, in.xor(k.first[0]))
	decryptSliced(&q, &k.rk)
	return unslice1(&q).shiftRows2().xor(k.last[0])
}

// ---- key schedule ----

var rcon = [7]uint32{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40}

// subWord applies the S-box to the four bytes of w with the bitsliced
// circuit (no table).
func subWord(w uint32) uint32 {
	const b0 = 0x01010101
	var q sliced
	for i := range q {
		q[i] = uint64(w >> i & b0)
	}
	subBytes(&q, false)
	var r uint32
	for i := range q {
		r |= uint32(q[i]) & b0 << i
	}
	return r
}

// xtime4 multiplies each byte of w by x in GF(2^8).
func xtime4(w uint32) uint32 {
	return w&0x7f7f7f7f<<1 ^ w>>7&0x01010101*0x1b
}

// invMixColumn applies InvMixColumns to one big-endian column word:
// MixColumns after a -> a + 4(a + a2).
func invMixColumn(w uint32) uint32 {
	w ^= xtime4(xtime4(w ^ bits.RotateLeft32(w, 16)))
	r1 := bits.RotateLeft32(w, 8)
	return xtime4(w^r1) ^ r1 ^ bits.RotateLeft32(w, 16) ^ bits.RotateLeft32(w, 24)
}

// expandKeyGeneric fills both schedules of c from a 32-byte key (FIPS-197
// 5.2); the decryption one is that of the equivalent inverse cipher
// (5.3.5): the encryption round keys in reverse order, InvMixColumns
// applied to all but the first and last.
func expandKeyGeneric(c *Cipher, key *[KeySize]byte) {
	var w [4 * (rounds + 1)]uint32
	for i := range 8 {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	for i := 8; i < len(w); i++ {
		t := w[i-1]
		switch i % 8 {
		case 0:
			t = subWord(bits.RotateLeft32(t, 8)) ^ rcon[i/8-1]<<24
		case 4:
			t = subWord(t)
		}
		w[i] = w[i-8] ^ t
	}
	for i, v := range w {
		binary.BigEndian.PutUint32(c.enc[4*i:], v)
	}
	for r := 0; r <= rounds; r++ {
		for j := range 4 {
			v := w[4*(rounds-r)+j]
			if r > 0 && r < rounds {
				v = invMixColumn(v)
			}
			binary.BigEndian.PutUint32(c.dec[16*r+4*j:], v)
		}
	}
}

// ---- blocks and IGE ----

func singleKeys(k *ctKeys, c *Cipher, decrypt bool) {
	k.setLane(0, c, decrypt, false)
}

func encryptBlockGeneric(c *Cipher, dst, src []byte) {
	var k ctKeys
	singleKeys(&k, c, false)
	storeBlock(dst, encryptOne(&k, loadBlock(src)))
}

func decryptBlockGeneric(c *Cipher, dst, src []byte) {
	var k ctKeys
	singleKeys(&k, c, true)
	storeBlock(dst, decryptOne(&k, loadBlock(src)))
}

// encryptIGEGeneric: y_i = E(x_i ^ y_{i-1}) ^ x_{i-1}, iv = y_{-1} || x_{-1},
// left holding the chaining state (last y, last x).
func encryptIGEGeneric(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	var k ctKeys
	singleKeys(&k, c, false)
	y, x := loadBlock(iv[:16]), loadBlock(iv[16:])
	for len(src) >= BlockSize {
		n := loadBlock(src)
		y = encryptOne(&k, n.xor(y)).xor(x)
		x = n
		storeBlock(dst, y)
		src, dst = src[BlockSize:], dst[BlockSize:]
	}
	storeBlock(iv[:16], y)
	storeBlock(iv[16:], x)
}

// decryptIGEGeneric: x_i = D(y_i ^ x_{i-1}) ^ y_{i-1}.
func decryptIGEGeneric(c *Cipher, iv *[IVSize]byte, dst, src []byte) {
	var k ctKeys
	singleKeys(&k, c, true)
	y, x := loadBlock(iv[:16]), loadBlock(iv[16:])
	for len(src) >= BlockSize {
		n := loadBlock(src)
		x = decryptOne(&k, n.xor(x)).xor(y)
		y = n
		storeBlock(dst, x)
		src, dst = src[BlockSize:], dst[BlockSize:]
	}
	storeBlock(iv[:16], y)
	storeBlock(iv[16:], x)
}

// ---- batches ----

// ctLanes runs up to four jobs at a time, one per lane of the bitsliced
// state, each lane taking the next job when its own ends.
type ctLanes struct {
	keys    ctKeys
	job     [4]int // index into jobs, -1 for an idle lane
	off     [4]int // bytes done
	y, x    [4]block
	decrypt bool
}

func (s *ctLanes) start(l int, jobs []Job, next *int) {
	s.job[l] = -1
	for *next < len(jobs) {
		i := *next
		*next++
		j := &jobs[i]
		if len(j.Src) == 0 {
			continue
		}
		s.job[l], s.off[l] = i, 0
		s.y[l], s.x[l] = loadBlock(j.IV[:16]), loadBlock(j.IV[16:])
		s.keys.setLane(l, j.Cipher, s.decrypt, true)
		return
	}
}

func cryptBatchGeneric(jobs []Job, decrypt bool) {
	s := ctLanes{decrypt: decrypt}
	next := 0
	for l := range s.job {
		s.start(l, jobs, &next)
	}
	for {
		// Run every busy lane up to the end of the shortest job.
		steps := -1
		for l, i := range s.job {
			if i < 0 {
				continue
			}
			if n := (len(jobs[i].Src) - s.off[l]) / BlockSize; steps < 0 || n < steps {
				steps = n
			}
		}
		if steps < 0 {
			return
		}
		for range steps {
			s.step(jobs)
		}
		for l, i := range s.job {
			if i >= 0 && s.off[l] == len(jobs[i].Src) {
				s.start(l, jobs, &next)
			}
		}
	}
}

// step advances every busy lane by one block.
func (s *ctLanes) step(jobs []Job) {
	var in, n [4]block
	for l, i := range s.job {
		if i < 0 {
			continue
		}
		n[l] = loadBlock(jobs[i].Src[s.off[l]:])
		if s.decrypt {
			in[l] = n[l].xor(s.x[l]).xor(s.keys.first[l])
		} else {
			in[l] = n[l].xor(s.y[l]).xor(s.keys.first[l])
		}
	}
	var q sliced
	slice4(&q, &in)
	if s.decrypt {
		decryptSliced(&q, &s.keys.rk)
	} else {
		encryptSliced(&q, &s.keys.rk)
	}
	unslice4(&in, &q)
	for l, i := range s.job {
		if i < 0 {
			continue
		}
		out := in[l].shiftRows2().xor(s.keys.last[l])
		if s.decrypt {
			s.x[l], s.y[l] = out.xor(s.y[l]), n[l]
			storeBlock(jobs[i].Dst[s.off[l]:], s.x[l])
		} else {
			s.y[l], s.x[l] = out.xor(s.x[l]), n[l]
			storeBlock(jobs[i].Dst[s.off[l]:], s.y[l])
		}
		s.off[l] += BlockSize
	}
}

func encryptBatchGeneric(jobs []Job) { cryptBatchGeneric(jobs, false) }
func decryptBatchGeneric(jobs []Job) { cryptBatchGeneric(jobs, true) }

// aesBoundGeneric is the portable bound: a serial chain of bitsliced AES.
func aesBoundGeneric(c *Cipher, blocks int) {
	var k ctKeys
	singleKeys(&k, c, false)
	var s block
	for range blocks {
		s[0] ^= 1
		s = encryptOne(&k, s)
	}
	boundSink = uint32(s[0] ^ s[1])
}
