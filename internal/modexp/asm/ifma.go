package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Almost Montgomery multiplication (AMM) in radix 2^52 with AVX-512 IFMA.
//
// Step i of 40 adds a*b[i] and y*m to the accumulator, y = acc*k0 mod 2^52
// chosen so that lane 0 becomes a multiple of 2^52, and divides by 2^52.
// To keep the chain from one step to the next short, lane 0 is handled in
// general registers: once lane 0 (plus the pending carry c) is read into x0,
// y = x0*k0 mod 2^52 and the new carry c = (x0 + lo52(m[0]*y)) >> 52 are
// computed there, and the vector accumulator is shifted down one lane right
// away. Everything else is then added in shifted coordinates:
// hi52(a[j]*b[i]) and hi52(m[j]*y) belong one lane up, so at lane j after
// the shift; lo52(m[j]*y) belongs at lane j, so at lane j-1 after the shift,
// which is lane j of the precomputed m' = m shifted down one limb (m[1] at
// index 0). m points at [2]nat52{m, m'}. The last carry is added to lane 0 at
// the end. Lanes are left unnormalized (below 2^64 by a wide margin); the
// caller propagates carries (normalize52).

var zmm = [...]VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
	Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}

var xmm = [...]VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15,
	X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30, X31}

func ifma() {
	amm52x40()
	amm52x40x4()
}

// ammScalar handles lane 0: x0 = lane0 + c (kept in c); y = x0*k0 mod 2^52,
// broadcast to ybc; c = (x0 + lo52(m0*y)) >> 52. R8 = k0, R13 = m[0].
func ammScalar(c, tmp GPPhysical, lane0 int, ybc int) {
	VMOVQ(xmm[lane0], tmp)
	ADDQ(tmp, c)
	MOVQ(c, tmp)
	IMULQ(R8, tmp)
	SHLQ(U8(12), tmp)
	SHRQ(U8(12), tmp)
	VPBROADCASTQ(tmp, zmm[ybc])
	IMULQ(R13, tmp)
	SHLQ(U8(12), tmp)
	SHRQ(U8(12), tmp)
	ADDQ(tmp, c)
	SHRQ(U8(52), c)
}

// ammShift moves the accumulator acc (five registers) down one lane.
func ammShift(acc [5]int, zero int) {
	for j := range 4 {
		VALIGNQ(U8(1), zmm[acc[j]], zmm[acc[j+1]], zmm[acc[j]])
	}
	VALIGNQ(U8(1), zmm[acc[4]], zmm[zero], zmm[acc[4]])
}

func ammArgs() {
	Load(Param("acc"), RDI)
	Load(Param("a"), RSI)
	Load(Param("b"), RBX)
	Load(Param("m"), RCX)
	Load(Param("k0"), R8)
	MOVQ(Mem{Base: RCX}, R13)
}

func amm52x40() {
	TEXT("amm52x40", NOSPLIT, "func(acc *[40]uint64, a, b *[40]uint64, m *[80]uint64, k0 uint64)")
	Doc("amm52x40 is one AMM; a, m and m' are kept in registers.")
	ammArgs()
	acc := [5]int{0, 1, 2, 3, 4}
	a := [5]int{5, 6, 7, 8, 9}
	m1 := [5]int{10, 11, 12, 13, 14}
	m := [5]int{15, 16, 17, 18, 19}
	const bi, y, zero = 20, 21, 22
	for _, r := range append(acc[:], zero) {
		VPXORQ(zmm[r], zmm[r], zmm[r])
	}
	for j := range 5 {
		VMOVDQU64(Mem{Base: RSI, Disp: 64 * j}, zmm[a[j]])
	}
	for j := range 5 {
		VMOVDQU64(Mem{Base: RCX, Disp: 64 * j}, zmm[m[j]])
	}
	for j := range 5 {
		VMOVDQU64(Mem{Base: RCX, Disp: 320 + 64*j}, zmm[m1[j]])
	}
	XORQ(R10, R10) // carry
	XORQ(R9, R9)
	Label("loop1")
	VPBROADCASTQ(Mem{Base: RBX, Index: R9, Scale: 8}, zmm[bi])
	for j := range 5 {
		VPMADD52LUQ(zmm[a[j]], zmm[bi], zmm[acc[j]])
	}
	ammScalar(R10, R12, acc[0], y)
	ammShift(acc, zero)
	for j := range 5 {
		VPMADD52HUQ(zmm[a[j]], zmm[bi], zmm[acc[j]])
	}
	for j := range 5 {
		VPMADD52LUQ(zmm[m1[j]], zmm[y], zmm[acc[j]])
	}
	for j := range 5 {
		VPMADD52HUQ(zmm[m[j]], zmm[y], zmm[acc[j]])
	}
	INCQ(R9)
	CMPQ(R9, U8(40))
	JB(LabelRef("loop1"))
	for j := range 5 {
		VMOVDQU64(zmm[acc[j]], Mem{Base: RDI, Disp: 64 * j})
	}
	ADDQ(R10, Mem{Base: RDI})
	VZEROUPPER()
	RET()
}

func amm52x40x4() {
	TEXT("amm52x40x4", NOSPLIT, "func(acc *[160]uint64, a, b *[160]uint64, m *[80]uint64, k0 uint64)")
	Doc("amm52x40x4 is four independent AMMs modulo the same m, interleaved so",
		"that the latency chain of each overlaps the work of the others. Instance",
		"k keeps its accumulator in Z(5k)..Z(5k+4), b[k][i] broadcast in",
		"Z(20+k), y in Z(24+k) and its carry in R10, R11, DX, AX; a, m and m'",
		"are read from memory.")
	ammArgs()
	const zero = 28
	var acc [4][5]int
	for k := range 4 {
		for j := range 5 {
			acc[k][j] = 5*k + j
		}
	}
	carry := [4]GPPhysical{R10, R11, RDX, RAX}
	for k := range 4 {
		for _, r := range acc[k] {
			VPXORQ(zmm[r], zmm[r], zmm[r])
		}
	}
	VPXORQ(zmm[zero], zmm[zero], zmm[zero])
	for _, c := range carry {
		XORQ(c, c)
	}
	XORQ(R9, R9)
	Label("loop4")
	for k := range 4 {
		VPBROADCASTQ(Mem{Base: RBX, Index: R9, Scale: 8, Disp: 320 * k}, zmm[20+k])
	}
	for j := range 5 {
		for k := range 4 {
			VPMADD52LUQ(Mem{Base: RSI, Disp: 320*k + 64*j}, zmm[20+k], zmm[acc[k][j]])
		}
	}
	for k := range 4 {
		ammScalar(carry[k], R12, acc[k][0], 24+k)
	}
	for k := range 4 {
		ammShift(acc[k], zero)
	}
	for j := range 5 {
		for k := range 4 {
			VPMADD52HUQ(Mem{Base: RSI, Disp: 320*k + 64*j}, zmm[20+k], zmm[acc[k][j]])
		}
	}
	for j := range 5 {
		for k := range 4 {
			VPMADD52LUQ(Mem{Base: RCX, Disp: 320 + 64*j}, zmm[24+k], zmm[acc[k][j]])
		}
	}
	for j := range 5 {
		for k := range 4 {
			VPMADD52HUQ(Mem{Base: RCX, Disp: 64 * j}, zmm[24+k], zmm[acc[k][j]])
		}
	}
	INCQ(R9)
	CMPQ(R9, U8(40))
	JB(LabelRef("loop4"))
	for k := range 4 {
		for j := range 5 {
			VMOVDQU64(zmm[acc[k][j]], Mem{Base: RDI, Disp: 320*k + 64*j})
		}
		ADDQ(carry[k], Mem{Base: RDI, Disp: 320 * k})
	}
	VZEROUPPER()
	RET()
}
