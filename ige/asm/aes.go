package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	rounds       = 14 // AES-256
	scheduleSize = 16 * (rounds + 1)
	lastKey      = 16 * rounds // offset of the last round key
)

// direction is encryption or decryption: which round instructions run. The
// schedule passed in (Cipher.enc or Cipher.dec) is the caller's choice.
type direction struct {
	name        string // "encrypt" or "decrypt"
	round, last func(mx, x Op)
}

var (
	encrypt = direction{"encrypt", AESENC, AESENCLAST}
	decrypt = direction{"decrypt", AESDEC, AESDECLAST}
)

// roundKey is the memory operand of round key r of the schedule at base.
func roundKey(base Register, r int) Mem { return Mem{Base: base, Disp: 16 * r} }

// expandKey emits expandKeyAsm: both AES-256 schedules from a 32-byte key.
//
// Round keys alternate between two chains (FIPS-197 section 5.2, Nk = 8):
// even ones (a) xor in SubWord(RotWord(w)) ^ rcon of the last word of the
// previous odd key, odd ones (b) SubWord(w) of the last word of the previous
// even key. SubWord comes from AESENCLAST on a register holding that word in
// all four columns, where ShiftRows moves nothing, with the round constant (or
// zero) as the round key; the word is rotated and broadcast by one PSHUFB (or
// PSHUFD). This is about half the latency of AESKEYGENASSIST on recent
// cores. The running xor of a key's four words does not depend on the
// substitution, so the dependency chain per round key is a shuffle,
// AESENCLAST and PXOR. Each round key is written to the encryption schedule
// and, through AESIMC, to its place in the decryption schedule as soon as it
// exists; that work is off the chain.
func expandKey() {
	// Bytes 13, 14, 15, 12 of the source (RotWord of word 3) in every column.
	rotWord := GLOBL("rotWord3", RODATA|NOPTR)
	for i := 0; i < 4; i++ {
		DATA(4*i, U32(0x0c0f0e0d))
	}

	TEXT("expandKeyAsm", NOSPLIT, fmt.Sprintf("func(enc, dec *[%d]byte, key *[32]byte)", scheduleSize))
	Doc("expandKeyAsm writes the AES-256 encryption schedule of key to enc and",
		"the equivalent-inverse-cipher decryption schedule to dec.")
	enc := Load(Param("enc"), GP64())
	dec := Load(Param("dec"), GP64())
	key := Load(Param("key"), GP64())

	store := func(k VecVirtual, r int) {
		MOVOU(k, roundKey(enc, r))
		if r == 0 || r == rounds {
			MOVOU(k, roundKey(dec, rounds-r))
			return
		}
		t := XMM()
		AESIMC(k, t)
		MOVOU(t, roundKey(dec, rounds-r))
	}
	// prefixXor returns k with word j replaced by the xor of words 0..j.
	prefixXor := func(k VecVirtual) VecVirtual {
		t, p := XMM(), XMM()
		MOVO(k, t)
		PSLLDQ(U8(4), t)
		PXOR(k, t)
		MOVO(t, p)
		PSLLDQ(U8(8), p)
		PXOR(t, p)
		return p
	}

	mask, rcon, zero := XMM(), XMM(), XMM()
	MOVOU(rotWord, mask)
	PCMPEQL(rcon, rcon)
	PSRLL(U8(31), rcon) // the round constant 1 as the first byte of every column
	PXOR(zero, zero)

	a, b := XMM(), XMM()
	MOVOU(Mem{Base: key}, a)
	MOVOU(Mem{Base: key, Disp: 16}, b)
	store(a, 0)
	store(b, 1)
	for r := 2; r <= rounds; r += 2 {
		if r < rounds {
			Commentf("Round keys %d and %d.", r, r+1)
		} else {
			Commentf("Round key %d.", r)
		}
		t := XMM()
		MOVO(b, t)
		PSHUFB(mask, t)
		AESENCLAST(rcon, t) // SubWord(RotWord(b[3])) ^ rcon in every column
		na := prefixXor(a)
		PXOR(t, na)
		a = na
		store(a, r)
		if r == rounds {
			break
		}
		PADDL(rcon, rcon)
		u := XMM()
		PSHUFD(U8(0xff), a, u)
		AESENCLAST(zero, u) // SubWord(a[3]) in every column
		nb := prefixXor(b)
		PXOR(u, nb)
		b = nb
		store(b, r+1)
	}
	RET()
}

// cryptBlock emits encryptBlockAsm or decryptBlockAsm: one block, the round
// keys read from memory (a single block has no loop to hoist them out of).
func cryptBlock(d direction) {
	TEXT(d.name+"BlockAsm", NOSPLIT, fmt.Sprintf("func(xk *[%d]byte, dst, src *byte)", scheduleSize))
	Doc(d.name+"BlockAsm runs AES-256 on the block at src with the schedule xk",
		"and writes the result to dst.")
	xk := Load(Param("xk"), GP64())
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	// Legacy SSE memory operands must be 16-byte aligned and a Cipher
	// need not be, so every round key goes through MOVOU. Physical
	// registers: avo v0.5.0 records AESDEC and AESDECLAST as not reading
	// their destination, and its allocator would reuse the state register.
	s := X0
	MOVOU(Mem{Base: src}, s)
	for r := 0; r <= rounds; r++ {
		k := X1
		MOVOU(roundKey(xk, r), k)
		switch r {
		case 0:
			PXOR(k, s)
		case rounds:
			d.last(k, s)
		default:
			d.round(k, s)
		}
	}
	MOVOU(s, Mem{Base: dst})
	RET()
}

// cryptIGE emits encryptIGEAsm or decryptIGEAsm over blocks >= 1 blocks.
//
// Encryption: y_i = E(x_i ^ y_{i-1}) ^ x_{i-1}. With k the schedule,
//
//	y_i = AESENCLAST(k14 ^ x_{i-1}, AESENC(k13, ... AESENC(k1, (x_i ^ k0) ^ y_{i-1})))
//
// so the chain through S = y is one PXOR and 14 AES instructions; T = x_i ^ k0
// and L = k14 ^ x_{i-1} are computed beside it. Decryption is
// x_i = D(y_i ^ x_{i-1}) ^ y_{i-1}: the same code with AESDEC, S = x and the
// halves of iv swapped. Registers: X0..X12 hold round keys 1..13 for the
// whole loop, X13 = S, X14 = T, X15 = L. Sixteen registers cannot hold
// fifteen keys and three blocks, so keys 0 and 14 are xored into T and L from
// memory, off the chain: from a 16-byte-aligned copy on the stack, because
// legacy SSE memory operands must be aligned and a Cipher need not be.
//
// In place (dst == src) is correct: block i of src is read twice (for T and
// for the next L), both times before block i of dst is written.
//
// iv is y_{-1} || x_{-1} on entry and is left holding the last y and x.
func cryptIGE(d direction) {
	TEXT(d.name+"IGEAsm", NOSPLIT, fmt.Sprintf("func(xk *[%d]byte, iv *[32]byte, dst, src *byte, blocks int)", scheduleSize))
	Doc(d.name+"IGEAsm runs IGE over blocks >= 1 blocks from src to dst with the",
		"schedule xk, carrying the chaining state in iv.")
	xk := Load(Param("xk"), RAX)
	iv := Load(Param("iv"), RBX)
	dst := Load(Param("dst"), RDI)
	src := Load(Param("src"), RSI)
	n := Load(Param("blocks"), RCX)

	keys := []Register{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12}
	s, t, l := X13, X14, X15

	Comment("Round keys 0 and 14 go to an aligned stack slot: k0 at 0(DX), k14 at 16(DX).")
	local := AllocLocal(48)
	aligned := RDX
	LEAQ(local, aligned)
	ADDQ(U8(15), aligned)
	ANDQ(I8(-16), aligned)
	first, final := Mem{Base: aligned}, Mem{Base: aligned, Disp: 16}
	MOVOU(roundKey(xk, 0), t)
	MOVO(t, first)
	MOVOU(roundKey(xk, rounds), l)
	MOVO(l, final)

	Comment("Round keys 1..13 stay in X0..X12.")
	for r := 1; r < rounds; r++ {
		MOVOU(roundKey(xk, r), keys[r-1])
	}
	// S starts as the previous output of the chain, L from the previous input.
	sOff, lOff := 0, 16 // encrypt: S = y_{-1}, L from x_{-1}
	if d.name == "decrypt" {
		sOff, lOff = 16, 0 // decrypt: S = x_{-1}, L from y_{-1}
	}
	MOVOU(Mem{Base: iv, Disp: sOff}, s)
	MOVOU(Mem{Base: iv, Disp: lOff}, l)
	PXOR(final, l)

	Label(d.name + "Loop")
	MOVOU(Mem{Base: src}, t)
	PXOR(first, t)
	PXOR(t, s)
	for _, k := range keys {
		d.round(k, s)
	}
	d.last(l, s)
	Comment("The next block's last round key, from this input block, read before dst is written.")
	MOVOU(Mem{Base: src}, l)
	PXOR(final, l)
	MOVOU(s, Mem{Base: dst})
	ADDQ(U8(16), src)
	ADDQ(U8(16), dst)
	DECQ(n)
	JNZ(LabelRef(d.name + "Loop"))

	Comment("Leave the chaining state in iv.")
	PXOR(final, l)
	MOVOU(s, Mem{Base: iv, Disp: sOff})
	MOVOU(l, Mem{Base: iv, Disp: lOff})
	RET()
}

// boundSerial emits aesBoundSerialAsm: the single-stream limit, a serial
// chain of AES-256 with what unfolded IGE has on its critical path per block:
// one xor (input and first round key), 13 AESENC, AESENCLAST, one xor
// (previous input), and no loads or stores in the loop.
func boundSerial() {
	TEXT("aesBoundSerialAsm", NOSPLIT, fmt.Sprintf("func(xk *[%d]byte, blocks int)", scheduleSize))
	Doc("aesBoundSerialAsm runs blocks >= 1 dependent AES-256 blocks with the schedule xk.")
	xk := Load(Param("xk"), RAX)
	n := Load(Param("blocks"), RCX)
	keys := []Register{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14}
	s := X15
	for r, k := range keys {
		MOVOU(roundKey(xk, r), k)
	}
	PXOR(s, s)
	Label("boundLoop")
	PXOR(keys[0], s)
	for _, k := range keys[1:rounds] {
		AESENC(k, s)
	}
	AESENCLAST(keys[rounds], s)
	PXOR(keys[0], s)
	DECQ(n)
	JNZ(LabelRef("boundLoop"))
	RET()
}
