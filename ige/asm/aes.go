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
// holding one word in all four columns (ShiftRows then moves nothing); this
// is about half the latency of AESKEYGENASSIST on recent cores.
//
// The latency that matters is that of the chain of substitutions, since a
// new key per message is the common case. Only last(k) feeds the next
// substitution, and last(k[2i]) = Σk[2i-2] ^ (substituted word), where Σk is
// the xor of k's words. Σk[2i-2] is also k[2i-4][1] ^ k[2i-4][3] (the
// substituted word enters it four times), so it is known two steps early and
// is folded into AESENCLAST's round key along with rcon. RotWord commutes
// with SubWord, so rather than rotating on the chain, the chain value is
// kept rotated by R^σ, σ dropping by one at every even step (the round
// constant and Σ terms are rotated to match). The chain is thus 13
// AESENCLAST back to back, with one PXOR after the first (Σk0 is not ready
// in time to be folded). The full keys are rebuilt beside it (undo the Σ
// term and the rotation, xor with the prefix), written to the encryption
// schedule and, through AESIMC, to their place in the decryption schedule.
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
		t := XMM()
		MOVO(x, t)
		PSHUFB(m, t) // the table is aligned, see newTable
		return t
	}
	// prefixXor returns k with word j replaced by the xor of words 0..j, as
	// k ^ k<<32 ^ k<<64 ^ k<<96 with a latency of three.
	prefixXor := func(k VecVirtual) VecVirtual {
		var sh [3]VecVirtual
		for i := range sh {
			sh[i] = XMM()
			MOVO(k, sh[i])
			PSLLDQ(U8(4*(i+1)), sh[i])
		}
		PXOR(k, sh[0])
		PXOR(sh[1], sh[2])
		PXOR(sh[0], sh[2])
		return sh[2]
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
	// nextKey returns prefix(prev) ^ bcast(w), given the chain value
	// R^σ(w) ^ sig in every column (sig nil for none).
	nextKey := func(prev, chain, sig VecVirtual, s int) VecVirtual {
		w := chain
		if sig != nil {
			w = XMM()
			MOVO(chain, w)
			PXOR(sig, w)
		}
		if s != 0 {
			w = shuffle(w, unrotate[s])
		}
		k := prefixXor(prev)
		PXOR(w, k)
		return k
	}

	k0, k1 := XMM(), XMM()
	MOVOU(Mem{Base: key}, k0)
	MOVOU(Mem{Base: key, Disp: 16}, k1)
	store(k0, 0)
	store(k1, 1)
	even, odd := []VecVirtual{k0}, []VecVirtual{k1}
	chain := shuffle(k1, bcastRotWord3) // R(last(k1)), σ = 1 before step 1
	for i := 1; i <= 7; i++ {
		s := sigma(i)
		Commentf("Round key %d (σ = %d).", 2*i, s)
		// The chain value after this step is R^σ(last(k[2i])) =
		// R^σ(SubWord(RotWord(...)) ^ rcon) ^ R^σ(Σk[2i-2]); the second
		// term goes into the round key where it is known in time.
		var sig VecVirtual
		if i > 1 && i < 7 {
			sig = sigmaNext(even[i-2], s)
			rk := XMM()
			MOVO(sig, rk)
			PXOR(rconKey[i], rk)
			AESENCLAST(rk, chain)
		} else {
			AESENCLAST(rconKey[i], chain)
		}
		even = append(even, nextKey(even[i-1], chain, sig, s))
		store(even[i], 2*i)
		if i == 7 {
			break
		}
		if i == 1 {
			// Σk0 takes longer to compute than the chain's first step.
			PXOR(sigmaOf(k0), chain)
		}

		Commentf("Round key %d.", 2*i+1)
		// R^σ(SubWord(last(k[2i]))) ^ R^σ(Σk[2i-1]) = R^σ(last(k[2i+1])).
		if i == 1 {
			sig = sigmaOf(k1)
		} else {
			sig = sigmaNext(odd[i-2], s)
		}
		AESENCLAST(sig, chain)
		odd = append(odd, nextKey(odd[i-1], chain, sig, s))
		store(odd[i], 2*i+1)
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

// newTable starts a table. Legacy SSE memory operands must be 16-byte
// aligned; the Go linker aligns a data symbol to the largest power of two
// up to 32 that does not exceed its size, so a table of two or more
// constants is 32-byte aligned (the standard library's assembly relies on
// the same rule).
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
// Encryption is y_i = E(x_i ^ y_{i-1}) ^ x_{i-1}. With k the schedule and
// S_i = x_i ^ k0 ^ y_{i-1} the input of round 1 of block i,
//
//	y_i     = AESENCLAST(k14 ^ x_{i-1}, AESENC(k13, ... AESENC(k1, S_i)))
//	S_{i+1} = AESENCLAST(k14 ^ x_{i-1} ^ x_{i+1} ^ k0, AESENC(k13, ... AESENC(k1, S_i)))
//
// because AESENCLAST ends by xoring its round key. So the loop carries S
// rather than y: the chain from block to block is 13 AESENC and one
// AESENCLAST, nothing else. The last round key L is built from inputs beside
// the chain, and y_i = S_{i+1} ^ x_{i+1} ^ k0 is recovered beside it too. The
// last block has no successor and takes the plain last round key. Decryption
// is x_i = D(y_i ^ x_{i-1}) ^ y_{i-1}: the same code with AESDEC, the
// decryption schedule, and x and y swapped.
//
// Registers: X0..X12 hold round keys 1..13 for the whole loop, X13 = S,
// X14 = L, X15 = T (scratch). Sixteen registers cannot also hold k0 and
// k14, so k0 and k0 ^ k14 are xored in from a 16-byte-aligned stack copy
// (legacy SSE memory operands must be aligned, and a Cipher need not be).
// Going through the stack adds a store-forwarding delay, so the first
// block's values are computed in registers: with a fresh key the round keys
// themselves are still arriving by store forwarding from the key expansion.
//
// In place (dst == src) is correct: block i of src is read before block i
// of dst is written.
//
// iv is y_{-1} || x_{-1} on entry and is left holding the last y and x.
func cryptIGE(d direction) {
	name := d.name + "IGEAsm"
	TEXT(name, NOSPLIT, fmt.Sprintf("func(xk *[%d]byte, iv *[32]byte, dst, src *byte, blocks int)", scheduleSize))
	Doc(name+" runs IGE over blocks >= 1 blocks from src to dst with the",
		"schedule xk, carrying the chaining state in iv.")
	xk := Load(Param("xk"), RAX)
	iv := Load(Param("iv"), RBX)
	dst := Load(Param("dst"), RDI)
	src := Load(Param("src"), RSI)
	n := Load(Param("blocks"), RCX)

	keys := []Register{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12}
	s, l, t := X13, X14, X15
	// The previous output of the chain and the previous input.
	outOff, inOff := 0, 16 // encrypt: y_{-1}, x_{-1}
	if d.name == "decrypt" {
		outOff, inOff = 16, 0 // decrypt: x_{-1}, y_{-1}
	}

	Comment("k0 at 0(DX) and k0 ^ k14 at 16(DX), 16-byte aligned.")
	local := AllocLocal(48)
	aligned := RDX
	LEAQ(local, aligned)
	ADDQ(U8(15), aligned)
	ANDQ(I8(-16), aligned)
	first, mix := Mem{Base: aligned}, Mem{Base: aligned, Disp: 16}
	Comment("S = in_0 ^ out_{-1} ^ k0; L = in_{-1} ^ k0 ^ k14, each key xored last:",
		"with a fresh key the keys are what arrives last, k14 latest.")
	k0, k14 := t, keys[0] // X0 is free until the round keys are loaded
	MOVOU(roundKey(xk, 0), k0)
	MOVO(k0, first)
	MOVOU(Mem{Base: src}, s)
	MOVOU(Mem{Base: iv, Disp: outOff}, l)
	PXOR(l, s)
	PXOR(k0, s)
	MOVOU(Mem{Base: iv, Disp: inOff}, l)
	PXOR(k0, l)
	MOVOU(roundKey(xk, rounds), k14)
	PXOR(k14, l)
	PXOR(k0, k14)
	MOVO(k14, mix)

	Comment("Round keys 1..13 stay in X0..X12.")
	for r := 1; r < rounds; r++ {
		MOVOU(roundKey(xk, r), keys[r-1])
	}
	DECQ(n)
	JZ(LabelRef(d.name + "Last"))

	Label(d.name + "Loop")
	for _, k := range keys {
		d.round(k, s)
	}
	MOVOU(Mem{Base: src, Disp: 16}, t)
	PXOR(t, l)
	d.last(l, s) // S_{i+1}
	Comment("out_i = S_{i+1} ^ in_{i+1} ^ k0; L = in_i ^ k0 ^ k14, read before out_i is written.")
	PXOR(first, t)
	MOVO(s, l)
	PXOR(t, l)
	MOVOU(Mem{Base: src}, t)
	MOVOU(l, Mem{Base: dst})
	PXOR(mix, t)
	MOVO(t, l)
	ADDQ(U8(16), src)
	ADDQ(U8(16), dst)
	DECQ(n)
	JNZ(LabelRef(d.name + "Loop"))

	Label(d.name + "Last")
	for _, k := range keys {
		d.round(k, s)
	}
	PXOR(first, l) // in_{n-2} ^ k14
	d.last(l, s)
	Comment("Leave the chaining state in iv.")
	MOVOU(Mem{Base: src}, t)
	MOVOU(s, Mem{Base: dst})
	MOVOU(s, Mem{Base: iv, Disp: outOff})
	MOVOU(t, Mem{Base: iv, Disp: inOff})
	RET()
}

// boundSerial emits aesBoundSerialAsm: the single-stream bound that IGE
// results are stated against, a serial chain of AES-256 with what plain IGE
// has on its critical path per block: one xor (input and first round key),
// 13 AESENC, AESENCLAST, one xor (previous input), and no loads or stores in
// the loop. cryptIGE folds both xors into round keys, so its chain is 14 AES
// instructions alone and it runs slightly faster than this bound.
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
