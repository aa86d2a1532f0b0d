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

// sbox applies the S-box to every byte, less its constant 0x63 (the round
// keys carry it instead, see sliceKeys): the depth-16 circuit of Boyar and
// Peralta (https://eprint.iacr.org/2011/332). Words are passed and returned
// in registers, q0 the least significant slice (the paper's U7).
//
// The paper's gates are kept (names t, m, l as there; x for the inner gate
// of a three-input line), in an order chosen by a greedy search that keeps
// few values live at once: Go schedules a block in source order, and the
// 22 wires the nonlinear middle shares with the bottom layer do not fit in
// amd64's 14 free registers. It takes about 15% fewer instructions (fewer
// spills) than the paper's order. TestSboxCircuits checks every input.
func sbox(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	u0, u1, u2, u3, u4, u5, u6, u7 := q7, q6, q5, q4, q3, q2, q1, q0
	t5 := u4 ^ u6
	t1 := u0 ^ u3
	t6 := t1 ^ t5
	t7 := u1 ^ u2
	t11 := u1 ^ u5
	t12 := u2 ^ u5
	t16 := t5 ^ t12
	t15 := t5 ^ t11
	t14 := t6 ^ t11
	t27 := t1 ^ t12
	t3 := u0 ^ u6
	t2 := u0 ^ u5
	t4 := u3 ^ u5
	x18 := t7 ^ u3
	t19 := x18 ^ u7
	x21 := t7 ^ u6
	t22 := x21 ^ u7
	t20 := t1 ^ t19
	t9 := u7 ^ t7
	t10 := t6 ^ t7
	t24 := t2 ^ t10
	t13 := t3 ^ t4
	x31 := t4 & t27
	x39 := t19 & u7
	m11 := t1 & t15
	m13 := x31 ^ m11
	x33 := t2 & t10
	m15 := x33 ^ m11
	t8 := u7 ^ t6
	x44 := t22 & t9
	m1 := t13 & t6
	x35 := t14 ^ m1
	x40 := x39 ^ m1
	x41 := x40 ^ t24
	m21 := x41 ^ m15
	t26 := t3 ^ t16
	m6 := t3 & t16
	x43 := t26 ^ m6
	x45 := x43 ^ x44
	m22 := x45 ^ m13
	t23 := t2 ^ t22
	x36 := t23 & t8
	x37 := x35 ^ x36
	m20 := x37 ^ m13
	t17 := t9 ^ t16
	x47 := t20 & t17
	x48 := x47 ^ m6
	x49 := x48 ^ m15
	m25 := m22 & m20
	x64 := m22 ^ m25
	x61 := m21 ^ m25
	x56 := m20 ^ m25
	x65 := m21 & m22
	t25 := t20 ^ t17
	m23 := x49 ^ t25
	x60 := m22 ^ m23
	x62 := x60 & x61
	m39 := m23 ^ x62
	m57 := m39 & t19
	x53 := m23 ^ m25
	x66 := m23 | x65
	m40 := x64 ^ x66
	m56 := m40 & t23
	m47 := m40 & t8
	m48 := m39 & u7
	x57 := m20 & m23
	x58 := m21 | x57
	m38 := x56 ^ x58
	m50 := m38 & t9
	m59 := m38 & t22
	x52 := m20 ^ m21
	x54 := x52 & x53
	m37 := m21 ^ x54
	m51 := m37 & t17
	m60 := m37 & t20
	l8 := m51 ^ m59
	l12 := m48 ^ m51
	m43 := m37 ^ m38
	m49 := m43 & t16
	m58 := m43 & t3
	m42 := m37 ^ m39
	m44 := m39 ^ m40
	m41 := m38 ^ m40
	m54 := m41 & t10
	m61 := m42 & t1
	m55 := m44 & t13
	m46 := m44 & t6
	l2 := m46 ^ m48
	m52 := m42 & t15
	l4 := m54 ^ m58
	l5 := m49 ^ m61
	l11 := m60 ^ l2
	m45 := m42 ^ m41
	m63 := m41 & t2
	l3 := m47 ^ m55
	l19 := m63 ^ l4
	l22 := l3 ^ l12
	l7 := m46 ^ l3
	m53 := m45 & t27
	m62 := m45 & t4
	l10 := m53 ^ l4
	l6 := m62 ^ l5
	l0 := m61 ^ m62
	l14 := m52 ^ m61
	l9 := m52 ^ m53
	l28 := l11 ^ l14
	out5 := l19 ^ l28
	l18 := m58 ^ l8
	l23 := l18 ^ l2
	out0 := l6 ^ l23
	l27 := l8 ^ l10
	l25 := l6 ^ l10
	l13 := m50 ^ l0
	out1 := l13 ^ l27
	l1 := m50 ^ m56
	l15 := m55 ^ l1
	l24 := l15 ^ l9
	l17 := m57 ^ l1
	l29 := l11 ^ l17
	out2 := l25 ^ l29
	l26 := l7 ^ l9
	out7 := l6 ^ l24
	l21 := l1 ^ l7
	out4 := l6 ^ l21
	l16 := m56 ^ l0
	l20 := l0 ^ l1
	out3 := l20 ^ l22
	out6 := l16 ^ l26
	return out0, out1, out2, out3, out4, out5, out6, out7
}

// invSbox applies the inverse S-box to every byte xored with 0x63 (which
// the round keys carry): the inverse variant of the same circuit, whose
// input NOTs are that constant. Its gates are ordered like sbox's.
func invSbox(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	u0, u1, u2, u3, u4, u5, u6, u7 := q7, q6, q5, q4, q3, q2, q1, q0
	r17 := u2 ^ u5
	r18 := u5 ^ u6
	t24 := u4 ^ u7
	r13 := u1 ^ u6
	r5 := u6 ^ u7
	t22 := u1 ^ u3
	t1 := u3 ^ u4
	t23 := u0 ^ u3
	t9 := u7 ^ t1
	r19 := u2 ^ u4
	t16 := r13 ^ r19
	t20 := t24 ^ r13
	t25 := u2 ^ t1
	t19 := t22 ^ r5
	t17 := u2 ^ t19
	t27 := t1 ^ r18
	t8 := u1 ^ t23
	t2 := u0 ^ u1
	d := u0 ^ r17
	t4 := u4 ^ t8
	t6 := t22 ^ r17
	t13 := t2 ^ r5
	t3 := t1 ^ r5
	x36 := t23 & t8
	x39 := t19 & d
	x47 := t20 & t17
	x44 := t22 & t9
	x31 := t4 & t27
	m1 := t13 & t6
	x40 := x39 ^ m1
	x41 := x40 ^ t24
	t10 := t2 ^ t24
	t14 := t10 ^ r18
	x35 := t14 ^ m1
	x37 := x35 ^ x36
	t26 := t3 ^ t16
	t15 := t10 ^ t27
	x33 := t2 & t10
	m6 := t3 & t16
	x48 := x47 ^ m6
	x43 := t26 ^ m6
	x45 := x43 ^ x44
	m11 := t1 & t15
	m13 := x31 ^ m11
	m15 := x33 ^ m11
	m21 := x41 ^ m15
	x49 := x48 ^ m15
	m23 := x49 ^ t25
	m22 := x45 ^ m13
	m20 := x37 ^ m13
	x60 := m22 ^ m23
	x65 := m21 & m22
	x66 := m23 | x65
	x52 := m20 ^ m21
	x57 := m20 & m23
	x58 := m21 | x57
	m25 := m22 & m20
	x56 := m20 ^ m25
	m38 := x56 ^ x58
	m59 := m38 & t22
	m50 := m38 & t9
	x64 := m22 ^ m25
	m40 := x64 ^ x66
	m47 := m40 & t8
	p3 := m47 ^ m50
	m56 := m40 & t23
	x61 := m21 ^ m25
	x62 := x60 & x61
	m39 := m23 ^ x62
	x53 := m23 ^ m25
	x54 := x52 & x53
	m37 := m21 ^ x54
	m57 := m39 & t19
	m60 := m37 & t20
	m51 := m37 & t17
	m48 := m39 & d
	p4 := m48 ^ m56
	m42 := m37 ^ m39
	m52 := m42 & t15
	m61 := m42 & t1
	m43 := m37 ^ m38
	m49 := m43 & t16
	m58 := m43 & t3
	m44 := m39 ^ m40
	m41 := m38 ^ m40
	m45 := m42 ^ m41
	m62 := m45 & t4
	m53 := m45 & t27
	p8 := m50 ^ m53
	p0 := m52 ^ m61
	m63 := m41 & t2
	m54 := m41 & t10
	m55 := m44 & t13
	m46 := m44 & t6
	p16 := m57 ^ m61
	p9 := m55 ^ m63
	p6 := m49 ^ m60
	p10 := m57 ^ p4
	p20 := p4 ^ p6
	p25 := p6 ^ p10
	p12 := m46 ^ m48
	out0 := p9 ^ p16
	p5 := m46 ^ m51
	p13 := m49 ^ m51
	p14 := m49 ^ m62
	p18 := m63 ^ p5
	p27 := p10 ^ p18
	p2 := m54 ^ m62
	p15 := m54 ^ m59
	p29 := p15 ^ p20
	p1 := m58 ^ m59
	p17 := m58 ^ p2
	p7 := p0 ^ p1
	p23 := p7 ^ p8
	p11 := p0 ^ p3
	p19 := p2 ^ p3
	p24 := p5 ^ p7
	p22 := p2 ^ p7
	out2 := p19 ^ p24
	out3 := p23 ^ p27
	out1 := p14 ^ p23
	p28 := p11 ^ p25
	out5 := p17 ^ p28
	p26 := p9 ^ p11
	out6 := p26 ^ p29
	out7 := p13 ^ p22
	out4 := p12 ^ p22
	return out0, out1, out2, out3, out4, out5, out6, out7
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

// MixColumns conjugated by P^j makes each byte 2a0 + 3a1 + a2 + a3, where
// a1..a3 are the bytes one to three rows down (and j, 2j, 3j columns
// right): xtime(t) + s with t = a0+a1 and s = a1+a2+a3. xtime moves slice
// i-1 of t to slice i and slice 7 to slices 0, 1, 3 and 4 (x^8 = x^4+x^3+
// x+1). One function per j keeps every rotation count a constant (a
// shared body is too large to inline). The words go through one at a time,
// slice 7 first, so that few values are live (Go schedules in source
// order): they all stay in registers, a tenth faster than computing all
// the rotations first.
func mix0(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	const j = 0
	r7 := neighbour(q7, 1, j)
	t7 := q7 ^ r7
	s7 := r7 ^ neighbour(t7, 2, 2*j)
	r0 := neighbour(q0, 1, j)
	t0 := q0 ^ r0
	q0 = t7 ^ r0 ^ neighbour(t0, 2, 2*j)
	r1 := neighbour(q1, 1, j)
	t1 := q1 ^ r1
	q1 = t0 ^ t7 ^ r1 ^ neighbour(t1, 2, 2*j)
	r2 := neighbour(q2, 1, j)
	t2 := q2 ^ r2
	q2 = t1 ^ r2 ^ neighbour(t2, 2, 2*j)
	r3 := neighbour(q3, 1, j)
	t3 := q3 ^ r3
	q3 = t2 ^ t7 ^ r3 ^ neighbour(t3, 2, 2*j)
	r4 := neighbour(q4, 1, j)
	t4 := q4 ^ r4
	q4 = t3 ^ t7 ^ r4 ^ neighbour(t4, 2, 2*j)
	r5 := neighbour(q5, 1, j)
	t5 := q5 ^ r5
	q5 = t4 ^ r5 ^ neighbour(t5, 2, 2*j)
	r6 := neighbour(q6, 1, j)
	t6 := q6 ^ r6
	q6 = t5 ^ r6 ^ neighbour(t6, 2, 2*j)
	return q0, q1, q2, q3, q4, q5, q6, t6 ^ s7
}

func mix1(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	const j = 1
	r7 := neighbour(q7, 1, j)
	t7 := q7 ^ r7
	s7 := r7 ^ neighbour(t7, 2, 2*j)
	r0 := neighbour(q0, 1, j)
	t0 := q0 ^ r0
	q0 = t7 ^ r0 ^ neighbour(t0, 2, 2*j)
	r1 := neighbour(q1, 1, j)
	t1 := q1 ^ r1
	q1 = t0 ^ t7 ^ r1 ^ neighbour(t1, 2, 2*j)
	r2 := neighbour(q2, 1, j)
	t2 := q2 ^ r2
	q2 = t1 ^ r2 ^ neighbour(t2, 2, 2*j)
	r3 := neighbour(q3, 1, j)
	t3 := q3 ^ r3
	q3 = t2 ^ t7 ^ r3 ^ neighbour(t3, 2, 2*j)
	r4 := neighbour(q4, 1, j)
	t4 := q4 ^ r4
	q4 = t3 ^ t7 ^ r4 ^ neighbour(t4, 2, 2*j)
	r5 := neighbour(q5, 1, j)
	t5 := q5 ^ r5
	q5 = t4 ^ r5 ^ neighbour(t5, 2, 2*j)
	r6 := neighbour(q6, 1, j)
	t6 := q6 ^ r6
	q6 = t5 ^ r6 ^ neighbour(t6, 2, 2*j)
	return q0, q1, q2, q3, q4, q5, q6, t6 ^ s7
}

func mix2(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	const j = 2
	r7 := neighbour(q7, 1, j)
	t7 := q7 ^ r7
	s7 := r7 ^ neighbour(t7, 2, 2*j)
	r0 := neighbour(q0, 1, j)
	t0 := q0 ^ r0
	q0 = t7 ^ r0 ^ neighbour(t0, 2, 2*j)
	r1 := neighbour(q1, 1, j)
	t1 := q1 ^ r1
	q1 = t0 ^ t7 ^ r1 ^ neighbour(t1, 2, 2*j)
	r2 := neighbour(q2, 1, j)
	t2 := q2 ^ r2
	q2 = t1 ^ r2 ^ neighbour(t2, 2, 2*j)
	r3 := neighbour(q3, 1, j)
	t3 := q3 ^ r3
	q3 = t2 ^ t7 ^ r3 ^ neighbour(t3, 2, 2*j)
	r4 := neighbour(q4, 1, j)
	t4 := q4 ^ r4
	q4 = t3 ^ t7 ^ r4 ^ neighbour(t4, 2, 2*j)
	r5 := neighbour(q5, 1, j)
	t5 := q5 ^ r5
	q5 = t4 ^ r5 ^ neighbour(t5, 2, 2*j)
	r6 := neighbour(q6, 1, j)
	t6 := q6 ^ r6
	q6 = t5 ^ r6 ^ neighbour(t6, 2, 2*j)
	return q0, q1, q2, q3, q4, q5, q6, t6 ^ s7
}

func mix3(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	const j = 3
	r7 := neighbour(q7, 1, j)
	t7 := q7 ^ r7
	s7 := r7 ^ neighbour(t7, 2, 2*j)
	r0 := neighbour(q0, 1, j)
	t0 := q0 ^ r0
	q0 = t7 ^ r0 ^ neighbour(t0, 2, 2*j)
	r1 := neighbour(q1, 1, j)
	t1 := q1 ^ r1
	q1 = t0 ^ t7 ^ r1 ^ neighbour(t1, 2, 2*j)
	r2 := neighbour(q2, 1, j)
	t2 := q2 ^ r2
	q2 = t1 ^ r2 ^ neighbour(t2, 2, 2*j)
	r3 := neighbour(q3, 1, j)
	t3 := q3 ^ r3
	q3 = t2 ^ t7 ^ r3 ^ neighbour(t3, 2, 2*j)
	r4 := neighbour(q4, 1, j)
	t4 := q4 ^ r4
	q4 = t3 ^ t7 ^ r4 ^ neighbour(t4, 2, 2*j)
	r5 := neighbour(q5, 1, j)
	t5 := q5 ^ r5
	q5 = t4 ^ r5 ^ neighbour(t5, 2, 2*j)
	r6 := neighbour(q6, 1, j)
	t6 := q6 ^ r6
	q6 = t5 ^ r6 ^ neighbour(t6, 2, 2*j)
	return q0, q1, q2, q3, q4, q5, q6, t6 ^ s7
}

// InvMixColumns is MixColumns after a -> a + 4(a + a2), a2 the byte two
// rows down (and 2j columns right): invPre0 is that map for even j, invPre2
// for odd j, each after adding the round key k.
func invPreWord(a uint64, k *sliced, i int, dc uint) (uint64, uint64) {
	a ^= k[i]
	return a, a ^ neighbour(a, 2, dc)
}

func invPreOut(a0, a1, a2, a3, a4, a5, a6, a7, u0, u1, u2, u3, u4, u5, u6, u7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	return a0 ^ u6, a1 ^ u6 ^ u7, a2 ^ u0 ^ u7, a3 ^ u1 ^ u6, a4 ^ u2 ^ u6 ^ u7, a5 ^ u3 ^ u7, a6 ^ u4, a7 ^ u5
}

func invPre0(k *sliced, q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	a0, u0 := invPreWord(q0, k, 0, 0)
	a1, u1 := invPreWord(q1, k, 1, 0)
	a2, u2 := invPreWord(q2, k, 2, 0)
	a3, u3 := invPreWord(q3, k, 3, 0)
	a4, u4 := invPreWord(q4, k, 4, 0)
	a5, u5 := invPreWord(q5, k, 5, 0)
	a6, u6 := invPreWord(q6, k, 6, 0)
	a7, u7 := invPreWord(q7, k, 7, 0)
	return invPreOut(a0, a1, a2, a3, a4, a5, a6, a7, u0, u1, u2, u3, u4, u5, u6, u7)
}

func invPre2(k *sliced, q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	a0, u0 := invPreWord(q0, k, 0, 2)
	a1, u1 := invPreWord(q1, k, 1, 2)
	a2, u2 := invPreWord(q2, k, 2, 2)
	a3, u3 := invPreWord(q3, k, 3, 2)
	a4, u4 := invPreWord(q4, k, 4, 2)
	a5, u5 := invPreWord(q5, k, 5, 2)
	a6, u6 := invPreWord(q6, k, 6, 2)
	a7, u7 := invPreWord(q7, k, 7, 2)
	return invPreOut(a0, a1, a2, a3, a4, a5, a6, a7, u0, u1, u2, u3, u4, u5, u6, u7)
}

// addKey xors round key k into the state.
func addKey(k *sliced, q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	return q0 ^ k[0], q1 ^ k[1], q2 ^ k[2], q3 ^ k[3], q4 ^ k[4], q5 ^ k[5], q6 ^ k[6], q7 ^ k[7]
}

// slicedKeys are round keys 1 to 13, each permuted for the round that
// uses it and bitsliced, with the S-box constant added.
type slicedKeys [rounds - 1]sliced

// encrypt runs rounds 1 to 14 on q, which holds plaintext xor k0; the
// result still lacks the final P^2 and k14 (and the S-box constant). Round
// r uses mix(r mod 4).
func (rk *slicedKeys) encrypt(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	for r := 0; r < 12; r += 4 {
		q0, q1, q2, q3, q4, q5, q6, q7 = sbox(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = mix1(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = addKey(&rk[r], q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = sbox(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = mix2(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = addKey(&rk[r+1], q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = sbox(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = mix3(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = addKey(&rk[r+2], q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = sbox(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = mix0(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = addKey(&rk[r+3], q0, q1, q2, q3, q4, q5, q6, q7)
	}
	q0, q1, q2, q3, q4, q5, q6, q7 = sbox(q0, q1, q2, q3, q4, q5, q6, q7)
	q0, q1, q2, q3, q4, q5, q6, q7 = mix1(q0, q1, q2, q3, q4, q5, q6, q7)
	q0, q1, q2, q3, q4, q5, q6, q7 = addKey(&rk[12], q0, q1, q2, q3, q4, q5, q6, q7)
	return sbox(q0, q1, q2, q3, q4, q5, q6, q7)
}

// decrypt undoes encrypt: q holds ciphertext xor k14, and the
// result lacks P^2 and k0. With v_r = P^(14-r) of the state after round r,
// v_(r-1) = InvSubBytes(InvMixColumns conjugated by P^(r+2) of
// (v_r + P^(r+2) of k_r)) (indices of P mod 4): rounds 13, 12, 11, 10 ...
// use j = 3, 2, 1, 0 ...
func (rk *slicedKeys) decrypt(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	q0, q1, q2, q3, q4, q5, q6, q7 = invSbox(q0, q1, q2, q3, q4, q5, q6, q7)
	for r := 12; r > 0; r -= 4 {
		q0, q1, q2, q3, q4, q5, q6, q7 = invPre2(&rk[r], q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = mix3(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = invSbox(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = invPre0(&rk[r-1], q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = mix2(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = invSbox(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = invPre2(&rk[r-2], q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = mix1(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = invSbox(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = invPre0(&rk[r-3], q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = mix0(q0, q1, q2, q3, q4, q5, q6, q7)
		q0, q1, q2, q3, q4, q5, q6, q7 = invSbox(q0, q1, q2, q3, q4, q5, q6, q7)
	}
	q0, q1, q2, q3, q4, q5, q6, q7 = invPre2(&rk[0], q0, q1, q2, q3, q4, q5, q6, q7)
	q0, q1, q2, q3, q4, q5, q6, q7 = mix3(q0, q1, q2, q3, q4, q5, q6, q7)
	return invSbox(q0, q1, q2, q3, q4, q5, q6, q7)
}

// A block travels as two little-endian words: bytes 0-7 (columns 0 and 1)
// and 8-15 (columns 2 and 3).
type block struct{ lo, hi uint64 }

func loadBlock(b []byte) block {
	return block{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
}

func storeBlock(b []byte, v block) {
	binary.LittleEndian.PutUint64(b, v.lo)
	binary.LittleEndian.PutUint64(b[8:], v.hi)
}

func (a block) xor(b block) block { return block{a.lo ^ b.lo, a.hi ^ b.hi} }

// shiftRows2 is P^2: rows 1 and 3 move by two columns, a swap of the words'
// odd bytes.
func (a block) shiftRows2() block {
	const m = 0xff00ff00ff00ff00
	return block{a.lo&^m | a.hi&m, a.hi&^m | a.lo&m}
}

// evenCols and oddCols split a block into its even columns (0, 2) and odd
// ones (1, 3), each with the two columns' bytes alternating (row 0 of the
// first, row 0 of the second, row 1 ...), so that an 8x8 bit transpose
// across words puts byte (r, c) at bit 16r + 4c. (Two functions, not one,
// to stay small enough to inline.)
func evenCols(a block) uint64 { return interleave(a.lo&0xffffffff | a.hi<<32) }

func oddCols(a block) uint64 { return interleave(a.lo>>32 | a.hi&0xffffffff00000000) }

// joinCols is the inverse of evenCols and oddCols, given their results
// deinterleaved.
func joinCols(even, odd uint64) block {
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
func transpose8(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	const m1, m2, m4 = 0x5555555555555555, 0x3333333333333333, 0x0f0f0f0f0f0f0f0f
	q0, q1 = swapBits(q0, q1, m1, 1)
	q2, q3 = swapBits(q2, q3, m1, 1)
	q4, q5 = swapBits(q4, q5, m1, 1)
	q6, q7 = swapBits(q6, q7, m1, 1)
	q0, q2 = swapBits(q0, q2, m2, 2)
	q1, q3 = swapBits(q1, q3, m2, 2)
	q4, q6 = swapBits(q4, q6, m2, 2)
	q5, q7 = swapBits(q5, q7, m2, 2)
	q0, q4 = swapBits(q0, q4, m4, 4)
	q1, q5 = swapBits(q1, q5, m4, 4)
	q2, q6 = swapBits(q2, q6, m4, 4)
	q3, q7 = swapBits(q3, q7, m4, 4)
	return q0, q1, q2, q3, q4, q5, q6, q7
}

// slice4 loads four blocks, one per lane.
func slice4(b0, b1, b2, b3 block) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	return transpose8(evenCols(b0), evenCols(b1), evenCols(b2), evenCols(b3), oddCols(b0), oddCols(b1), oddCols(b2), oddCols(b3))
}

// unslice4 is the inverse of slice4.
func unslice4(q0, q1, q2, q3, q4, q5, q6, q7 uint64) (b0, b1, b2, b3 block) {
	e0, e1, e2, e3, o0, o1, o2, o3 := transpose8(q0, q1, q2, q3, q4, q5, q6, q7)
	return joinCols(deinterleave(e0), deinterleave(o0)), joinCols(deinterleave(e1), deinterleave(o1)),
		joinCols(deinterleave(e2), deinterleave(o2)), joinCols(deinterleave(e3), deinterleave(o3))
}

// slice1 loads one block into lane 0 and garbage into the others: the
// transpose restricted to lane 0 is only shifts.
func slice1(b block) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	even, odd := evenCols(b), oddCols(b)
	lo := even&0x0f0f0f0f0f0f0f0f | odd<<4&0xf0f0f0f0f0f0f0f0
	hi := even>>4&0x0f0f0f0f0f0f0f0f | odd&0xf0f0f0f0f0f0f0f0
	return lo, lo >> 1, lo >> 2, lo >> 3, hi, hi >> 1, hi >> 2, hi >> 3
}

// unslice1 reads lane 0.
func unslice1(q0, q1, q2, q3, q4, q5, q6, q7 uint64) block {
	const l0 = 0x1111111111111111
	lo := q0&l0 | q1&l0<<1 | q2&l0<<2 | q3&l0<<3
	hi := q4&l0 | q5&l0<<1 | q6&l0<<2 | q7&l0<<3
	return joinCols(deinterleave(lo&0x0f0f0f0f0f0f0f0f|hi<<4&0xf0f0f0f0f0f0f0f0), deinterleave(lo>>4&0x0f0f0f0f0f0f0f0f|hi&0xf0f0f0f0f0f0f0f0))
}

// roundKey returns round key r of the encryption schedule as held after
// round r: P^-j of it, row i moved i*j columns right.
func roundKey(enc *[scheduleSize]byte, r, j int) block {
	k := loadBlock(enc[16*r:])
	// k with its columns moved 0, 1, 2, 3 places right.
	moved := [4]block{k, {k.hi>>32 | k.lo<<32, k.lo>>32 | k.hi<<32}, {k.hi, k.lo}, {k.lo>>32 | k.hi<<32, k.hi>>32 | k.lo<<32}}
	var out block
	for row := range 4 {
		m := uint64(0xff) << (8 * row) * 0x0000000100000001 // the row's bytes
		s := &moved[(j*row)&3]
		out.lo |= s.lo & m
		out.hi |= s.hi & m
	}
	return out
}

// sboxConst is the S-box's affine constant. The circuits leave it out:
// MixColumns and its inverse (2+3+1+1 = 1) keep a state of equal bytes, so
// it rides in every round key instead, and in the last one of encryption
// and the first one of decryption.
const sboxConst = 0x63

var sboxConstBlock = block{sboxConst * 0x0101010101010101, sboxConst * 0x0101010101010101}

// sliceKeys fills lane l of rk (garbage in the others if l == 0 and
// lanesClean is false) with the round keys 1..13 of enc, permuted for
// encryption (P^-r of key r) or decryption (P^(r+2) = P^-(r+2) of key r),
// each with the S-box constant added.
func sliceKeys(rk *slicedKeys, enc *[scheduleSize]byte, l int, decrypt, lanesClean bool) {
	const l0 = 0x1111111111111111
	shift := 0
	if decrypt {
		shift = 2
	}
	for r := 1; r < rounds; r++ {
		var k sliced
		k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7] = slice1(roundKey(enc, r, (r+shift)&3).xor(sboxConstBlock))
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
	rk          slicedKeys
}

func (k *ctKeys) setLane(l int, c *Cipher, decrypt, lanesClean bool) {
	first, last := roundKey(&c.enc, 0, 0), roundKey(&c.enc, rounds, 0)
	// The S-box constant: sbox leaves it out of its output, which the key
	// after it puts back; invSbox wants it in its input.
	if decrypt {
		first, last = last.xor(sboxConstBlock), first
	} else {
		last = last.xor(sboxConstBlock)
	}
	k.first[l], k.last[l] = first, last
	sliceKeys(&k.rk, &c.enc, l, decrypt, lanesClean)
}

func encryptOne(k *ctKeys, in block) block {
	return unslice1(k.rk.encrypt(slice1(in.xor(k.first[0])))).shiftRows2().xor(k.last[0])
}

func decryptOne(k *ctKeys, in block) block {
	return unslice1(k.rk.decrypt(slice1(in.xor(k.first[0])))).shiftRows2().xor(k.last[0])
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
	q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7] = sbox(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7])
	r := uint32(sboxConst) * b0
	for i := range q {
		r ^= uint32(q[i]) & b0 << i
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
// state, each lane taking the next job when its own ends. An idle lane
// (nothing left of src) computes on zeros and stores nothing.
type ctLanes struct {
	keys     ctKeys
	job      [4]int    // index into jobs, -1 for an idle lane
	src, dst [4][]byte // each lane's job
	off      [4]int    // bytes done
	y, x     [4]block
	decrypt  bool
}

func (s *ctLanes) start(l int, jobs []Job, next *int) {
	s.job[l], s.src[l], s.dst[l], s.off[l] = -1, nil, nil, 0
	for *next < len(jobs) {
		i := *next
		*next++
		j := &jobs[i]
		if len(j.Src) == 0 {
			continue
		}
		s.job[l], s.src[l], s.dst[l] = i, j.Src, j.Dst
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
			if n := (len(s.src[l]) - s.off[l]) / BlockSize; i >= 0 && (steps < 0 || n < steps) {
				steps = n
			}
		}
		if steps < 0 {
			return
		}
		for range steps {
			s.step()
		}
		for l, i := range s.job {
			if i >= 0 && s.off[l] == len(s.src[l]) {
				s.start(l, jobs, &next)
			}
		}
	}
}

// step advances every busy lane by one block.
func (s *ctLanes) step() {
	var n, in [4]block
	for l := range in {
		if s.off[l] < len(s.src[l]) {
			n[l] = loadBlock(s.src[l][s.off[l]:])
			chain := s.y[l]
			if s.decrypt {
				chain = s.x[l]
			}
			in[l] = n[l].xor(chain).xor(s.keys.first[l])
		}
	}
	var out [4]block
	if s.decrypt {
		out[0], out[1], out[2], out[3] = unslice4(s.keys.rk.decrypt(slice4(in[0], in[1], in[2], in[3])))
	} else {
		out[0], out[1], out[2], out[3] = unslice4(s.keys.rk.encrypt(slice4(in[0], in[1], in[2], in[3])))
	}
	for l, o := range out {
		if s.off[l] < len(s.src[l]) {
			o = o.shiftRows2().xor(s.keys.last[l])
			if s.decrypt {
				s.x[l], s.y[l] = o.xor(s.y[l]), n[l]
				storeBlock(s.dst[l][s.off[l]:], s.x[l])
			} else {
				s.y[l], s.x[l] = o.xor(s.x[l]), n[l]
				storeBlock(s.dst[l][s.off[l]:], s.y[l])
			}
			s.off[l] += BlockSize
		}
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
		s.lo ^= 1
		s = encryptOne(&k, s)
	}
	boundSink = uint32(s.lo ^ s.hi)
}
