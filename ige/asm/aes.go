package main

import (
	"encoding/binary"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	rounds       = 14 // AES-256
	scheduleSize = 16 * (rounds + 1)
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
// FIPS-197 section 5.2 with Nk = 8 alternates two chains of round keys:
//
//	k[2i]   = prefix(k[2i-2]) ^ bcast(SubWord(RotWord(last(k[2i-1]))) ^ rcon[i])
//	k[2i+1] = prefix(k[2i-1]) ^ bcast(SubWord(last(k[2i])))
//
// where prefix replaces word j by the xor of words 0..j, last is word 3 and
// bcast puts a word in all four columns. SubWord is AESENCLAST on a register
// holding one word in all four columns (ShiftRows then moves nothing) with
// the round constant, or zero, as round key. This is about half the latency
// of AESKEYGENASSIST on recent cores.
//
// Only last(k) feeds the next substitution, and last(k[2i]) is
// Σk[2i-2] ^ f, where Σk is the xor of k's words and f the substituted
// word; Σk[2i-2] is also k[2i-4][1] ^ k[2i-4][3] (f enters Σ four times), so
// it is known two steps early. The chain from one substitution to the next
// is therefore one AESENCLAST and one PXOR, with the value kept broadcast.
// RotWord commutes with SubWord, so instead of rotating on the chain the
// chain value is kept rotated by R^σ, with σ dropping by one at every even
// step (the rotation is absorbed by a rotated round constant); the full keys
// take the rotation back out with a PSHUFB off the chain. Each round key is
// written to the encryption schedule and, through AESIMC, to its place in
// the decryption schedule as soon as it exists, also off the chain.
func expandKey() {
	consts := newTable("expandConsts")
	var unrotate, bcastWord1 [4]Mem
	for s := 0; s < 4; s++ {
		unrotate[s] = consts.mask(func(w, b int) int { return 4*w + mod4(b-s) })
		bcastWord1[s] = consts.mask(func(w, b int) int { return 4 + mod4(b+s) })
	}
	bcastRotWord3 := consts.mask(func(w, b int) int { return 12 + mod4(b+1) })
	var rconKey [8]Mem
	rc := byte(1)
	for i := 1; i <= 7; i++ {
		var k [16]byte
		for w := 0; w < 4; w++ {
			k[4*w+mod4(-sigma(i))] = rc // R^σ of the word (rc, 0, 0, 0)
		}
		rconKey[i] = consts.add(k)
		rc <<= 1
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
	// shuffle returns a copy of x permuted by the mask at m.
	shuffle := func(x VecVirtual, m Mem) VecVirtual {
		t, mk := XMM(), XMM()
		MOVO(x, t)
		MOVOU(m, mk)
		PSHUFB(mk, t)
		return t
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
	// sigmaOf returns Σk in every column (for the first two keys, which have
	// no predecessor; σ is 0 for them).
	sigmaOf := func(k VecVirtual) VecVirtual {
		t, u := XMM(), XMM()
		PSHUFD(U8(0x4e), k, t) // swap the halves
		PXOR(k, t)
		PSHUFD(U8(0xb1), t, u) // swap neighbouring words
		PXOR(t, u)
		return u
	}
	// sigmaNext returns R^σ(Σ of the key after k in its chain) in every
	// column, from k alone: k[1] ^ k[3].
	sigmaNext := func(k VecVirtual, s int) VecVirtual {
		t := XMM()
		MOVO(k, t)
		PSRLDQ(U8(8), t)
		PXOR(k, t)
		return shuffle(t, bcastWord1[s])
	}

	k0, k1, zero := XMM(), XMM(), XMM()
	MOVOU(Mem{Base: key}, k0)
	MOVOU(Mem{Base: key, Disp: 16}, k1)
	PXOR(zero, zero)
	store(k0, 0)
	store(k1, 1)
	even, odd := []VecVirtual{k0}, []VecVirtual{k1}
	chain := shuffle(k1, bcastRotWord3) // R(last(k1)), σ = 1 before step 1
	for i := 1; i <= 7; i++ {
		s := sigma(i)
		Commentf("Round key %d (σ = %d).", 2*i, s)
		rk := XMM()
		MOVOU(rconKey[i], rk)
		AESENCLAST(rk, chain) // R^σ(SubWord(RotWord(last(k[2i-1]))) ^ rcon)
		f := chain
		if s != 0 {
			f = shuffle(chain, unrotate[s])
		}
		k := prefixXor(even[i-1])
		PXOR(f, k)
		even = append(even, k)
		store(k, 2*i)
		if i == 7 {
			break
		}
		if i == 1 {
			PXOR(sigmaOf(k0), chain)
		} else {
			PXOR(sigmaNext(even[i-2], s), chain)
		}

		Commentf("Round key %d.", 2*i+1)
		AESENCLAST(zero, chain) // R^σ(SubWord(last(k[2i])))
		g := chain
		if s != 0 {
			g = shuffle(chain, unrotate[s])
		}
		k = prefixXor(odd[i-1])
		PXOR(g, k)
		odd = append(odd, k)
		store(k, 2*i+1)
		if i == 1 {
			PXOR(sigmaOf(k1), chain)
		} else {
			PXOR(sigmaNext(odd[i-2], s), chain)
		}
	}
	RET()
}

// sigma is the rotation σ of the chain value during step pair i of expandKey.
func sigma(i int) int { return mod4(1 - i) }

func mod4(x int) int { return (x%4 + 4) % 4 }

// table is a read-only data block of 16-byte constants.
type table struct {
	base Mem
	size int
}

func newTable(name string) *table { return &table{base: GLOBL(name, RODATA|NOPTR)} }

// add appends a constant and returns its address.
func (t *table) add(b [16]byte) Mem {
	for i := 0; i < 16; i += 4 {
		DATA(t.size+i, U32(binary.LittleEndian.Uint32(b[i:])))
	}
	t.size += 16
	return t.base.Offset(t.size - 16)
}

// mask adds a PSHUFB mask whose byte b of word w selects byte src(w, b).
func (t *table) mask(src func(w, b int) int) Mem {
	var m [16]byte
	for w := 0; w < 4; w++ {
		for b := 0; b < 4; b++ {
			m[4*w+b] = byte(src(w, b))
		}
	}
	return t.add(m)
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

	// S starts as the previous output of the chain, L from the previous input.
	sOff, lOff := 0, 16 // encrypt: S = y_{-1}, L from x_{-1}
	if d.name == "decrypt" {
		sOff, lOff = 16, 0 // decrypt: S = x_{-1}, L from y_{-1}
	}

	Comment("Round keys 0 and 14 go to an aligned stack slot: k0 at 0(DX), k14 at 16(DX).",
		"The first block's T and L are computed in registers: with a fresh key the",
		"round keys arrive by store forwarding, and the stack would add another.")
	local := AllocLocal(48)
	aligned := RDX
	LEAQ(local, aligned)
	ADDQ(U8(15), aligned)
	ANDQ(I8(-16), aligned)
	first, final := Mem{Base: aligned}, Mem{Base: aligned, Disp: 16}
	MOVOU(roundKey(xk, 0), t)
	MOVO(t, first)
	MOVOU(Mem{Base: src}, s)
	PXOR(s, t)
	MOVOU(roundKey(xk, rounds), l)
	MOVO(l, final)
	MOVOU(Mem{Base: iv, Disp: lOff}, s)
	PXOR(s, l)
	MOVOU(Mem{Base: iv, Disp: sOff}, s)

	Comment("Round keys 1..13 stay in X0..X12.")
	for r := 1; r < rounds; r++ {
		MOVOU(roundKey(xk, r), keys[r-1])
	}
	JMP(LabelRef(d.name + "First"))

	Label(d.name + "Loop")
	MOVOU(Mem{Base: src}, t)
	PXOR(first, t)
	Label(d.name + "First")
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
