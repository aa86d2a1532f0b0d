//go:build !purego

#include "textflag.h"

// func mulMontARM64(z, x, y, m *nat64, k0 uint64)
//
// z = x*y/2^2048 mod m for x < 2^2048, y < m, odd m < 2^2048; z may alias x
// or y. Coarsely integrated operand scanning (CIOS) in radix 2^64 with MUL
// and UMULH: for each word y[i], t += x*y[i], then t += m*u with
// u = t[0]*k0 mod 2^64, which clears t[0], and t shifts down one word. The
// result t < 2m is reduced by computing t-m always and keeping one of the
// two with a mask. Loop counts are fixed and nothing branches on data.
//
// Registers: R0 z, R1 x, R2 y, R3 m, R4 k0, R20 t (34 words on the stack),
// R21 i, R13 inner count, R11/R12/R14 walking pointers, R10 the multiplier,
// R9 the carry word, R5-R8 scratch.
TEXT ·mulMontARM64(SB), NOSPLIT, $288-40
	MOVD z+0(FP), R0
	MOVD x+8(FP), R1
	MOVD y+16(FP), R2
	MOVD m+24(FP), R3
	MOVD k0+32(FP), R4
	ADD  $8, RSP, R20

	MOVD R20, R12
	MOVD $34, R13

zero:
	MOVD.P ZR, 8(R12)
	SUB    $1, R13, R13
	CBNZ   R13, zero

	MOVD $0, R21

outer:
	// t[0..33] += x * y[i]
	MOVD (R2)(R21<<3), R10
	MOVD R1, R11
	MOVD R20, R12
	MOVD $0, R9
	MOVD $32, R13

product:
	MOVD.P 8(R11), R5
	MUL    R5, R10, R6
	UMULH  R5, R10, R7
	MOVD   (R12), R8
	ADDS   R8, R6, R6
	ADC    ZR, R7, R7
	ADDS   R9, R6, R6
	ADC    ZR, R7, R9
	MOVD.P R6, 8(R12)
	SUB    $1, R13, R13
	CBNZ   R13, product

	MOVD (R12), R8
	ADDS R9, R8, R8
	MOVD R8, (R12)
	ADC  ZR, ZR, R8
	MOVD R8, 8(R12)

	// t = (t + m*u) / 2^64
	MOVD   (R20), R8
	MUL    R8, R4, R10
	MOVD   R3, R11
	MOVD   R20, R12
	MOVD.P 8(R11), R5
	MUL    R5, R10, R6
	UMULH  R5, R10, R7
	ADDS   R8, R6, R6
	ADC    ZR, R7, R9
	ADD    $8, R20, R14
	MOVD   $31, R13

reduce:
	MOVD.P 8(R11), R5
	MUL    R5, R10, R6
	UMULH  R5, R10, R7
	MOVD.P 8(R14), R8
	ADDS   R8, R6, R6
	ADC    ZR, R7, R7
	ADDS   R9, R6, R6
	ADC    ZR, R7, R9
	MOVD.P R6, 8(R12)
	SUB    $1, R13, R13
	CBNZ   R13, reduce

	MOVD (R14), R8
	ADDS R9, R8, R8
	MOVD R8, (R12)
	MOVD 8(R14), R8
	ADC  ZR, R8, R8
	MOVD R8, (R14)

	ADD $1, R21, R21
	CMP $32, R21
	BNE outer

	// z = t - m; then z = t again if that borrowed past the top word.
	MOVD R20, R12
	MOVD R3, R11
	MOVD R0, R14
	MOVD $32, R13
	CMP  ZR, ZR   // carry set: no borrow in

sub:
	MOVD.P 8(R12), R5
	MOVD.P 8(R11), R6
	SBCS   R6, R5, R5
	MOVD.P R5, 8(R14)
	SUB    $1, R13, R13
	CBNZ   R13, sub

	MOVD  (R12), R8
	SBCS  ZR, R8, R8
	CSETM LO, R9     // all ones: t < m, keep t

	MOVD R20, R12
	MOVD R0, R14
	MOVD $32, R13

keep:
	MOVD.P 8(R12), R5
	MOVD   (R14), R6
	AND    R9, R5, R5
	BIC    R9, R6, R6
	ORR    R5, R6, R6
	MOVD.P R6, 8(R14)
	SUB    $1, R13, R13
	CBNZ   R13, keep
	RET
