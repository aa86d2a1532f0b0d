// AES-256 and IGE with the ARMv8 Cryptography Extensions.
//
// AESE k, s computes ShiftRows(SubBytes(s ^ k)) and AESMC s the MixColumns
// step, so one AES-256 encryption is
//
//	AESE k0; AESMC; AESE k1; AESMC; ... AESE k12; AESMC; AESE k13; xor k14
//
// and decryption with the equivalent inverse schedule is the same shape with
// AESD and AESIMC. AddRoundKey comes first inside AESE; the IGE loops use
// that to fold the chaining xor into the first round key (AESE with key
// x_i ^ k0 on state y_{i-1}) and the output xor into the last one
// (x_{i-1} ^ k14, computed while the previous block was still in flight),
// so the serial chain between two blocks is 14 AESE, 13 AESMC and one xor.
//
// Key schedules are 15 round keys of 16 bytes in FIPS-197 byte order, the
// layout VLD1 .B16 loads and AESE consumes, identical to expandKeyGeneric.

//go:build !purego

#include "textflag.h"

// The 15 round keys of one schedule, held in V16..V30 by the single-stream
// and bound loops.
#define K0 V16
#define K1 V17
#define K2 V18
#define K3 V19
#define K4 V20
#define K5 V21
#define K6 V22
#define K7 V23
#define K8 V24
#define K9 V25
#define K10 V26
#define K11 V27
#define K12 V28
#define K13 V29
#define K14 V30

// LOAD_KEYS loads the schedule at p into K0..K14, advancing p.
#define LOAD_KEYS(p) \
	VLD1.P 64(p), [K0.B16, K1.B16, K2.B16, K3.B16]    \
	VLD1.P 64(p), [K4.B16, K5.B16, K6.B16, K7.B16]    \
	VLD1.P 64(p), [K8.B16, K9.B16, K10.B16, K11.B16]  \
	VLD1 (p), [K12.B16, K13.B16, K14.B16]

// ENC_1_13 runs rounds 1..13 of encryption on s with K1..K13: everything
// after the first AESE except the final xor with K14.
#define ENC_1_13(s) \
	AESMC s.B16, s.B16   \
	AESE K1.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K2.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K3.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K4.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K5.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K6.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K7.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K8.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K9.B16, s.B16   \
	AESMC s.B16, s.B16   \
	AESE K10.B16, s.B16  \
	AESMC s.B16, s.B16   \
	AESE K11.B16, s.B16  \
	AESMC s.B16, s.B16   \
	AESE K12.B16, s.B16  \
	AESMC s.B16, s.B16   \
	AESE K13.B16, s.B16

// DEC_1_13 is ENC_1_13 for the equivalent inverse cipher.
#define DEC_1_13(s) \
	AESIMC s.B16, s.B16  \
	AESD K1.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K2.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K3.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K4.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K5.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K6.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K7.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K8.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K9.B16, s.B16   \
	AESIMC s.B16, s.B16  \
	AESD K10.B16, s.B16  \
	AESIMC s.B16, s.B16  \
	AESD K11.B16, s.B16  \
	AESIMC s.B16, s.B16  \
	AESD K12.B16, s.B16  \
	AESIMC s.B16, s.B16  \
	AESD K13.B16, s.B16

// func expandKeyARMv8(enc, dec *[scheduleSize]byte, key *[KeySize]byte)
//
// The words are kept in W registers loaded little-endian, so storing them
// back writes the FIPS-197 byte order. SubWord uses AESE with a zero round
// key on the word broadcast to all four columns: ShiftRows then only moves
// equal bytes, leaving SubBytes. RotWord on a little-endian word is a
// rotation right by 8, and Rcon goes into the low byte.
TEXT ·expandKeyARMv8(SB), NOSPLIT, $0-24
	MOVD enc+0(FP), R0
	MOVD dec+8(FP), R1
	MOVD key+16(FP), R2

	VEOR V0.B16, V0.B16, V0.B16
	LDPW (R2), (R3, R4)
	LDPW 8(R2), (R5, R6)
	LDPW 16(R2), (R7, R8)
	LDPW 24(R2), (R9, R10)
	MOVD R0, R11
	STPW.P (R3, R4), 8(R11)
	STPW.P (R5, R6), 8(R11)
	STPW.P (R7, R8), 8(R11)
	STPW.P (R9, R10), 8(R11)
	MOVW $1, R12 // Rcon
	MOVW $7, R13 // 7 rounds of 8 words make the 60 words, the last one half

expandLoop:
	// w[i] = w[i-8] ^ SubWord(RotWord(w[i-1])) ^ Rcon, i = 0 mod 8
	VDUP   R10, V1.S4
	AESE   V0.B16, V1.B16
	VMOV   V1.S[0], R14
	RORW   $8, R14, R14
	EORW   R12, R14, R14
	EORW   R14, R3, R3
	EORW   R3, R4, R4
	EORW   R4, R5, R5
	EORW   R5, R6, R6
	STPW.P (R3, R4), 8(R11)
	STPW.P (R5, R6), 8(R11)
	SUBS   $1, R13, R13
	BEQ    expandDec
	LSLW   $1, R12, R12

	// w[i] = w[i-8] ^ SubWord(w[i-1]), i = 4 mod 8
	VDUP   R6, V1.S4
	AESE   V0.B16, V1.B16
	VMOV   V1.S[0], R14
	EORW   R14, R7, R7
	EORW   R7, R8, R8
	EORW   R8, R9, R9
	EORW   R9, R10, R10
	STPW.P (R7, R8), 8(R11)
	STPW.P (R9, R10), 8(R11)
	B      expandLoop

expandDec:
	// dec[0] = enc[14], dec[r] = InvMixColumns(enc[14-r]), dec[14] = enc[0]
	LOAD_KEYS(R0)
	VMOV   K14.B16, V0.B16
	AESIMC K13.B16, V1.B16
	AESIMC K12.B16, V2.B16
	AESIMC K11.B16, V3.B16
	AESIMC K10.B16, V4.B16
	AESIMC K9.B16, V5.B16
	AESIMC K8.B16, V6.B16
	AESIMC K7.B16, V7.B16
	AESIMC K6.B16, V8.B16
	AESIMC K5.B16, V9.B16
	AESIMC K4.B16, V10.B16
	AESIMC K3.B16, V11.B16
	AESIMC K2.B16, V12.B16
	AESIMC K1.B16, V13.B16
	VMOV   K0.B16, V14.B16
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R1)
	VST1.P [V4.B16, V5.B16, V6.B16, V7.B16], 64(R1)
	VST1.P [V8.B16, V9.B16, V10.B16, V11.B16], 64(R1)
	VST1   [V12.B16, V13.B16, V14.B16], (R1)
	RET

// func encryptBlockARMv8(xk *[scheduleSize]byte, dst, src *byte)
TEXT ·encryptBlockARMv8(SB), NOSPLIT, $0-24
	MOVD xk+0(FP), R0
	MOVD dst+8(FP), R1
	MOVD src+16(FP), R2
	LOAD_KEYS(R0)
	VLD1 (R2), [V0.B16]
	AESE K0.B16, V0.B16
	ENC_1_13(V0)
	VEOR V0.B16, K14.B16, V0.B16
	VST1 [V0.B16], (R1)
	RET

// func decryptBlockARMv8(xk *[scheduleSize]byte, dst, src *byte)
TEXT ·decryptBlockARMv8(SB), NOSPLIT, $0-24
	MOVD xk+0(FP), R0
	MOVD dst+8(FP), R1
	MOVD src+16(FP), R2
	LOAD_KEYS(R0)
	VLD1 (R2), [V0.B16]
	AESD K0.B16, V0.B16
	DEC_1_13(V0)
	VEOR V0.B16, K14.B16, V0.B16
	VST1 [V0.B16], (R1)
	RET

// func encryptIGEARMv8(xk *[scheduleSize]byte, iv *[IVSize]byte, dst, src *byte, blocks int)
//
// y_i = E(x_i ^ y_{i-1}) ^ x_{i-1}. V0 holds y_{i-1}, V1 holds x_{i-1} ^ k14.
// Each block is loaded before its output is stored, so dst == src works.
TEXT ·encryptIGEARMv8(SB), NOSPLIT, $0-40
	MOVD xk+0(FP), R0
	MOVD iv+8(FP), R1
	MOVD dst+16(FP), R2
	MOVD src+24(FP), R3
	MOVD blocks+32(FP), R4
	CBZ  R4, encIGEDone
	LOAD_KEYS(R0)
	VLD1 (R1), [V0.B16, V1.B16]
	VEOR V1.B16, K14.B16, V1.B16

encIGELoop:
	VLD1.P 16(R3), [V2.B16]
	VEOR   V2.B16, K0.B16, V3.B16
	AESE   V3.B16, V0.B16
	ENC_1_13(V0)
	VEOR   V0.B16, V1.B16, V0.B16
	VEOR   V2.B16, K14.B16, V1.B16
	VST1.P [V0.B16], 16(R2)
	SUBS   $1, R4, R4
	BNE    encIGELoop

	VEOR V1.B16, K14.B16, V1.B16
	VST1 [V0.B16, V1.B16], (R1)

encIGEDone:
	RET

// func decryptIGEARMv8(xk *[scheduleSize]byte, iv *[IVSize]byte, dst, src *byte, blocks int)
//
// x_i = D(y_i ^ x_{i-1}) ^ y_{i-1}. V0 holds x_{i-1}, V1 holds y_{i-1} ^ k14
// (k14 being the last round key of the decryption schedule).
TEXT ·decryptIGEARMv8(SB), NOSPLIT, $0-40
	MOVD xk+0(FP), R0
	MOVD iv+8(FP), R1
	MOVD dst+16(FP), R2
	MOVD src+24(FP), R3
	MOVD blocks+32(FP), R4
	CBZ  R4, decIGEDone
	LOAD_KEYS(R0)
	VLD1 (R1), [V4.B16, V5.B16]
	VEOR V4.B16, K14.B16, V1.B16
	VMOV V5.B16, V0.B16

decIGELoop:
	VLD1.P 16(R3), [V2.B16]
	VEOR   V2.B16, K0.B16, V3.B16
	AESD   V3.B16, V0.B16
	DEC_1_13(V0)
	VEOR   V0.B16, V1.B16, V0.B16
	VEOR   V2.B16, K14.B16, V1.B16
	VST1.P [V0.B16], 16(R2)
	SUBS   $1, R4, R4
	BNE    decIGELoop

	VEOR V1.B16, K14.B16, V4.B16
	VMOV V0.B16, V5.B16
	VST1 [V4.B16, V5.B16], (R1)

decIGEDone:
	RET

// The four-lane kernels advance four independent IGE streams by the same
// number of blocks, each with its own key schedule, issuing each round for
// all four lanes back to back so that the AES unit always has independent
// work while one lane's previous round is still in its pipeline.
//
// Lane a..d: schedule pointer R3..R6 (post-incremented over the 15 keys and
// rewound after each block), src R7..R10, dst R11..R14, step R15, R16, R17,
// R19 (16, or 0 for an idle lane that reads and writes one scratch block);
// R20 is scratch for addresses.
// V0..V3 hold the chain value, V4..V7 the other value xored with the lane's
// last round key, V8..V11 the input blocks and V12..V19 two round keys per
// lane.

// ROUND4 applies round instruction op with keys ka..kd to the four states,
// each followed by mix (AESMC or AESIMC): the pairs stay adjacent so that
// cores which fuse them can.
#define ROUND4(op, mix, ka, kb, kc, kd) \
	op  ka.B16, V0.B16  \
	mix V0.B16, V0.B16  \
	op  kb.B16, V1.B16  \
	mix V1.B16, V1.B16  \
	op  kc.B16, V2.B16  \
	mix V2.B16, V2.B16  \
	op  kd.B16, V3.B16  \
	mix V3.B16, V3.B16

// LOAD_PAIR4 loads the next two round keys of every lane.
#define LOAD_PAIR4 \
	VLD1.P 32(R3), [V12.B16, V13.B16]  \
	VLD1.P 32(R4), [V14.B16, V15.B16]  \
	VLD1.P 32(R5), [V16.B16, V17.B16]  \
	VLD1.P 32(R6), [V18.B16, V19.B16]

// TWO_ROUNDS4 runs two full rounds (with mix) on all lanes.
#define TWO_ROUNDS4(op, mix) \
	LOAD_PAIR4                                    \
	ROUND4(op, mix, V12, V14, V16, V18)           \
	ROUND4(op, mix, V13, V15, V17, V19)

// LANES4_SETUP loads the lane pointers from p (R0) and the states from s
// (R1): V0..V3 = chain value (at offset chain), V4..V7 = other value (at
// offset other) ^ the lane's last round key.
#define LANES4_SETUP(chain, other) \
	MOVD 0(R0), R3           \
	MOVD 8(R0), R7           \
	MOVD 16(R0), R11         \
	MOVD 24(R0), R15         \
	MOVD 32(R0), R4          \
	MOVD 40(R0), R8          \
	MOVD 48(R0), R12         \
	MOVD 56(R0), R16         \
	MOVD 64(R0), R5          \
	MOVD 72(R0), R9          \
	MOVD 80(R0), R13         \
	MOVD 88(R0), R17         \
	MOVD 96(R0), R6          \
	MOVD 104(R0), R10        \
	MOVD 112(R0), R14        \
	MOVD 120(R0), R19        \
	ADD  $224, R3, R20       \
	VLD1 (R20), [V12.B16]    \
	ADD  $224, R4, R20       \
	VLD1 (R20), [V13.B16]    \
	ADD  $224, R5, R20       \
	VLD1 (R20), [V14.B16]    \
	ADD  $224, R6, R20       \
	VLD1 (R20), [V15.B16]    \
	ADD  $chain, R1, R20     \
	VLD1 (R20), [V0.B16]     \
	ADD  $32+chain, R1, R20  \
	VLD1 (R20), [V1.B16]     \
	ADD  $64+chain, R1, R20  \
	VLD1 (R20), [V2.B16]     \
	ADD  $96+chain, R1, R20  \
	VLD1 (R20), [V3.B16]     \
	ADD  $other, R1, R20     \
	VLD1 (R20), [V4.B16]     \
	ADD  $32+other, R1, R20  \
	VLD1 (R20), [V5.B16]     \
	ADD  $64+other, R1, R20  \
	VLD1 (R20), [V6.B16]     \
	ADD  $96+other, R1, R20  \
	VLD1 (R20), [V7.B16]     \
	VEOR V4.B16, V12.B16, V4.B16  \
	VEOR V5.B16, V13.B16, V5.B16  \
	VEOR V6.B16, V14.B16, V6.B16  \
	VEOR V7.B16, V15.B16, V7.B16

// LANES4_BLOCK advances every lane by one block.
#define LANES4_BLOCK(op, mix) \
	VLD1.P (R7)(R15), [V8.B16]         \
	VLD1.P (R8)(R16), [V9.B16]         \
	VLD1.P (R9)(R17), [V10.B16]        \
	VLD1.P (R10)(R19), [V11.B16]       \
	LOAD_PAIR4                         \
	VEOR V8.B16, V12.B16, V12.B16      \
	VEOR V9.B16, V14.B16, V14.B16      \
	VEOR V10.B16, V16.B16, V16.B16     \
	VEOR V11.B16, V18.B16, V18.B16     \
	ROUND4(op, mix, V12, V14, V16, V18)  \
	ROUND4(op, mix, V13, V15, V17, V19)  \
	TWO_ROUNDS4(op, mix)               \
	TWO_ROUNDS4(op, mix)               \
	TWO_ROUNDS4(op, mix)               \
	TWO_ROUNDS4(op, mix)               \
	TWO_ROUNDS4(op, mix)               \
	LOAD_PAIR4                         \
	ROUND4(op, mix, V12, V14, V16, V18)  \
	op V13.B16, V0.B16                 \
	op V15.B16, V1.B16                 \
	op V17.B16, V2.B16                 \
	op V19.B16, V3.B16                 \
	VLD1 (R3), [V12.B16]               \
	VLD1 (R4), [V14.B16]               \
	VLD1 (R5), [V16.B16]               \
	VLD1 (R6), [V18.B16]               \
	SUB  $224, R3, R3                  \
	SUB  $224, R4, R4                  \
	SUB  $224, R5, R5                  \
	SUB  $224, R6, R6                  \
	VEOR V0.B16, V4.B16, V0.B16        \
	VEOR V1.B16, V5.B16, V1.B16        \
	VEOR V2.B16, V6.B16, V2.B16        \
	VEOR V3.B16, V7.B16, V3.B16        \
	VEOR V8.B16, V12.B16, V4.B16       \
	VEOR V9.B16, V14.B16, V5.B16       \
	VEOR V10.B16, V16.B16, V6.B16      \
	VEOR V11.B16, V18.B16, V7.B16      \
	VST1.P [V0.B16], (R11)(R15)        \
	VST1.P [V1.B16], (R12)(R16)        \
	VST1.P [V2.B16], (R13)(R17)        \
	VST1.P [V3.B16], (R14)(R19)

// LANES4_FINISH stores the states back to s (R1), undoing the key fold.
#define LANES4_FINISH(chain, other) \
	VLD1 (R3), [V12.B16]          \
	VLD1 (R4), [V14.B16]          \
	VLD1 (R5), [V16.B16]          \
	VLD1 (R6), [V18.B16]          \
	VEOR V4.B16, V12.B16, V4.B16  \
	VEOR V5.B16, V14.B16, V5.B16  \
	VEOR V6.B16, V16.B16, V6.B16  \
	VEOR V7.B16, V18.B16, V7.B16  \
	ADD  $chain, R1, R20          \
	VST1 [V0.B16], (R20)          \
	ADD  $32+chain, R1, R20       \
	VST1 [V1.B16], (R20)          \
	ADD  $64+chain, R1, R20       \
	VST1 [V2.B16], (R20)          \
	ADD  $96+chain, R1, R20       \
	VST1 [V3.B16], (R20)          \
	ADD  $other, R1, R20          \
	VST1 [V4.B16], (R20)          \
	ADD  $32+other, R1, R20       \
	VST1 [V5.B16], (R20)          \
	ADD  $64+other, R1, R20       \
	VST1 [V6.B16], (R20)          \
	ADD  $96+other, R1, R20       \
	VST1 [V7.B16], (R20)

// func encryptLanesARMv8(p *[4]lanePtrs, s *[4]laneState, blocks int)
//
// Encryption chains on y (offset 0 of laneState), xors x (offset 16).
TEXT ·encryptLanesARMv8(SB), NOSPLIT, $0-24
	MOVD p+0(FP), R0
	MOVD s+8(FP), R1
	MOVD blocks+16(FP), R2
	CBZ  R2, encLanesDone
	LANES4_SETUP(0, 16)

encLanesLoop:
	LANES4_BLOCK(AESE, AESMC)
	SUBS $1, R2, R2
	BNE  encLanesLoop

	ADD $224, R3, R3
	ADD $224, R4, R4
	ADD $224, R5, R5
	ADD $224, R6, R6
	LANES4_FINISH(0, 16)

encLanesDone:
	RET

// func decryptLanesARMv8(p *[4]lanePtrs, s *[4]laneState, blocks int)
//
// Decryption chains on x (offset 16), xors y (offset 0).
TEXT ·decryptLanesARMv8(SB), NOSPLIT, $0-24
	MOVD p+0(FP), R0
	MOVD s+8(FP), R1
	MOVD blocks+16(FP), R2
	CBZ  R2, decLanesDone
	LANES4_SETUP(16, 0)

decLanesLoop:
	LANES4_BLOCK(AESD, AESIMC)
	SUBS $1, R2, R2
	BNE  decLanesLoop

	ADD $224, R3, R3
	ADD $224, R4, R4
	ADD $224, R5, R5
	ADD $224, R6, R6
	LANES4_FINISH(16, 0)

decLanesDone:
	RET

// func boundARMv8(xk *[scheduleSize]byte, out *[4][BlockSize]byte, lanes, blocks int)
//
// The hardware limits for AESBound, with no memory access in the loops.
// Lane i starts from the block with first byte i (lane 0: all zero) and
// repeats s = E(s ^ c), c having only byte 3 set to 1, as aesBoundGeneric
// does; c is folded into the first round key, so the one xor per block is
// the last round key's, as in the IGE loop. The final states go to out.
TEXT ·boundARMv8(SB), NOSPLIT, $0-32
	MOVD xk+0(FP), R0
	MOVD out+8(FP), R1
	MOVD lanes+16(FP), R2
	MOVD blocks+24(FP), R3
	LOAD_KEYS(R0)
	MOVD $0x01000000, R4
	VEOR V4.B16, V4.B16, V4.B16
	VMOV R4, V4.S[0]
	VEOR K0.B16, V4.B16, V4.B16 // k0 ^ c
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	MOVD $1, R5
	VMOV R5, V1.B[0]
	MOVD $2, R5
	VMOV R5, V2.B[0]
	MOVD $3, R5
	VMOV R5, V3.B[0]
	CBZ  R3, boundStore
	CMP  $1, R2
	BNE  bound4

bound1:
	AESE V4.B16, V0.B16
	ENC_1_13(V0)
	VEOR V0.B16, K14.B16, V0.B16
	SUBS $1, R3, R3
	BNE  bound1
	B    boundStore

bound4:
	AESE V4.B16, V0.B16
	AESMC V0.B16, V0.B16
	AESE V4.B16, V1.B16
	AESMC V1.B16, V1.B16
	AESE V4.B16, V2.B16
	AESMC V2.B16, V2.B16
	AESE V4.B16, V3.B16
	AESMC V3.B16, V3.B16
	ROUND4(AESE, AESMC, K1, K1, K1, K1)
	ROUND4(AESE, AESMC, K2, K2, K2, K2)
	ROUND4(AESE, AESMC, K3, K3, K3, K3)
	ROUND4(AESE, AESMC, K4, K4, K4, K4)
	ROUND4(AESE, AESMC, K5, K5, K5, K5)
	ROUND4(AESE, AESMC, K6, K6, K6, K6)
	ROUND4(AESE, AESMC, K7, K7, K7, K7)
	ROUND4(AESE, AESMC, K8, K8, K8, K8)
	ROUND4(AESE, AESMC, K9, K9, K9, K9)
	ROUND4(AESE, AESMC, K10, K10, K10, K10)
	ROUND4(AESE, AESMC, K11, K11, K11, K11)
	ROUND4(AESE, AESMC, K12, K12, K12, K12)
	AESE K13.B16, V0.B16
	AESE K13.B16, V1.B16
	AESE K13.B16, V2.B16
	AESE K13.B16, V3.B16
	VEOR V0.B16, K14.B16, V0.B16
	VEOR V1.B16, K14.B16, V1.B16
	VEOR V2.B16, K14.B16, V2.B16
	VEOR V3.B16, K14.B16, V3.B16
	SUBS $1, R3, R3
	BNE  bound4

boundStore:
	VST1 [V0.B16, V1.B16, V2.B16, V3.B16], (R1)
	RET
