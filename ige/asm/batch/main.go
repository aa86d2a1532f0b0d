// Command batch generates ige/batch_amd64.s: the multi-stream IGE kernels
// (8 and 4 lanes on 8 and 4 xmm registers with AES-NI; 16, 12, 8, 6 and 4
// lanes on 8, 6, 4, 3 and 2 ymm registers with VAES; with AVX-512 8, 16, 24 and 32 lanes on
// 2, 4, 6 and 8 zmm registers) and the AES throughput bound kernels, with a
// shared key schedule and with a distinct one per lane.
//
// # The ceiling of a distinct-key batch on ymm
//
// Per ymm register and block (two lanes, one block each) a kernel does 14
// AES instructions, 7 cycles of two AES units. Each needs its two lanes'
// round keys side by side in one operand, and 8 registers x 15 rounds of
// such rows (120) do not fit in 16 registers, so each is a 32-byte load:
// the rows are laid out per register when a job takes its lane (amortised
// over its blocks), so one load serves a round of two lanes and no insert
// is needed. With k0 and k14 folded into rows, that is 15 key loads per 14
// AES instructions, plus the data: the two lanes' input blocks (a 16-byte
// load and an insert from memory) and, since the output needs the input two
// blocks back, one row that holds it (registers cannot: 8 states and 8
// such rows fill all 16); batchNarrow does exactly these 18 vector loads,
// 4 pointer loads and 3 stores. On a core with two 256-bit loads a cycle
// (Zen 2 to 4) the loads take 9 cycles against the AES units' 7, so the
// kernel cannot pass 7/9 = 0.78 of the shared-key bound; on Zen 5 (more
// load ports) the data movement, not the loads, is what is left: the ymm
// kernel alone runs at 0.74 of the bound, the distinct-key bound (keys
// loaded, no data) at 1.0, and a batch of 32 x 4 KiB at about 0.62.
//
// # Lane layout
//
// A kernel keeps up to eight AES states in flight, one per vector register
// (eight fill the AES units: two instructions a cycle, each about four
// cycles long; fewer run at the latency of their chains); a
// register of width P blocks (P = 1 xmm, 2 ymm, 4 zmm) carries P lanes, so
// lane l sits in register l/P at 128-bit position l%P. Every lane has its
// own key schedule, so the round keys of one register's lanes are packed
// side by side, one P*16-byte row per round, and each AES instruction takes
// its row straight from memory. The Go scheduler (ige/batch_amd64.go) fills
// the rows when a job takes a lane; the offsets below are checked against
// the Go struct by a test.
//
// avo v0.5.0's instruction database has VAESENC, VAESENCLAST, VAESDEC and
// VAESDECLAST only in their xmm forms, so the ymm and zmm forms are built
// as ir.Instruction values (the Go assembler knows them) by vaes below.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Layout of the rows (64-byte aligned, so that no key row load splits a
// cache line) and of the lane pointers; keep in step with
// ige/batch_amd64.go, whose test checks them.
const (
	maxLanes  = 32
	nRounds   = 14
	blockSize = 16
	keysOff   = 0
	kkOff     = keysOff + 8*(nRounds+1)*2*blockSize // xmm and ymm kernels: k14 ^ k0 per lane
	aOff      = keysOff + maxLanes*(nRounds+1)*blockSize
	bOff      = aOff + maxLanes*blockSize
	ringOff   = bOff + maxLanes*blockSize    // xmm and ymm kernels: the W ring
	stageOff  = ringOff + maxLanes*blockSize // zmm kernel: two stage buffers
	stageSize = 2*8*8*64 + 8*64              // x rows, lk rows, b rows (8-block steps)
	srcOff    = 0
	dstOff    = srcOff + maxLanes*8
	idleOff   = dstOff + maxLanes*8 // src and dst pointers to the dummy buffer + 128
)

func main() {
	ConstraintExpr("!purego")

	for _, dec := range []bool{false, true} {
		for _, nregs := range []int{8, 4} {
			batchNarrow(dec, 1, nregs)
		}
		for _, nregs := range []int{8, 6, 4, 3, 2} {
			batchNarrow(dec, 2, nregs)
		}
		for _, nregs := range []int{8, 6, 4, 2} {
			batchAVX512(dec, nregs)
		}
	}
	boundSSE()
	boundAVX2()
	boundAVX512()
	for _, p := range []int{1, 2, 4} {
		boundDistinct(p)
	}

	Generate()
}

// kernel parameters, shared by all widths.
var (
	st   = RDI // rows: key rows, a, b, in
	ptrs = RBX // lane pointers: src, dst
	n    = RCX // blocks left
	off  = RAX // byte offset of the current block in every lane
	ptrA = RSI
	ptrB = RDX
)

func opName(dec bool) string {
	if dec {
		return "Dec"
	}
	return "Enc"
}

func keyRow(p, j, r int) Mem { return Mem{Base: st, Disp: keysOff + (j*(nRounds+1)+r)*p*blockSize} }
func aRow(p, j int) Mem      { return Mem{Base: st, Disp: aOff + j*p*blockSize} }
func bRow(p, j int) Mem      { return Mem{Base: st, Disp: bOff + j*p*blockSize} }
func srcPtr(l int) Mem       { return Mem{Base: ptrs, Disp: srcOff + 8*l} }
func dstPtr(l int) Mem       { return Mem{Base: ptrs, Disp: dstOff + 8*l} }
func at(p Register) Mem      { return Mem{Base: p, Index: off, Scale: 1} }

func prologue(name string) {
	TEXT(name, NOSPLIT, "func(rows *byte, ptrs *byte, blocks int)")
	Load(Param("rows"), st)
	Load(Param("ptrs"), ptrs)
	Load(Param("blocks"), n)
	XORQ(off, off)
}

// vaes emits one VAES round on a ymm or zmm state; avo's database lacks
// these forms (see the package comment).
func vaes(op string, key Op, state Register) {
	Instruction(&ir.Instruction{
		Opcode:   op,
		Operands: []Op{key, state, state},
		Inputs:   []Op{key, state},
		Outputs:  []Op{state},
		ISA:      []string{"VAES"},
	})
}

// vaesTo is vaes with a separate destination.
func vaesTo(op string, key Op, state, dst Register) {
	Instruction(&ir.Instruction{
		Opcode:   op,
		Operands: []Op{key, state, dst},
		Inputs:   []Op{key, state},
		Outputs:  []Op{dst},
		ISA:      []string{"VAES"},
	})
}

func roundOps(dec bool) (round, last string) {
	if dec {
		return "VAESDEC", "VAESDECLAST"
	}
	return "VAESENC", "VAESENCLAST"
}

// The IGE step is the same in both directions when written over the
// previous output block a and the previous input block b:
//
//	out = AES(in ^ a) ^ b;  a = out;  b = in
//
// (encryption: a = y_{i-1}, b = x_{i-1}; decryption: a = x_{i-1},
// b = y_{i-1}, with the decryption schedule and AESDEC).

// batchNarrow emits the xmm kernels (p = 1: AES-NI with legacy SSE
// encodings, no AVX needed; 8 or 4 lanes) and the ymm kernels (p = 2: VAES
// with VEX encodings; 16, 12, 8, 6 or 4 lanes): nregs AES states, one per
// register, each carrying p lanes. They are written for CPUs with 16 vector
// registers and two AES units (Zen 2 to 4, Intel client cores). With 8
// registers the chains fill the AES units (two instructions a cycle, each
// about four cycles long) and the kernel is bound by throughput; with 4, 3
// or 2 the chains run at their latency, leaving the data movement idle slots,
// which is what the few long jobs left at the end of a mixed batch need.
// With 6 (12 lanes) the AES work of a step (42 cycles) about equals the
// latency of a chain on Intel cores (14 instructions of about 3 cycles), so
// 9 to 12 busy lanes take a shorter step than in the 16-lane kernel (about
// three quarters of it, measured on a Sapphire Rapids class Xeon).
//
// A distinct-key batch on these CPUs is bound by loads: every round key is
// a row load (8 registers x 15 rounds of keys do not fit in 16 registers),
// so the kernel keeps every other memory access off the loop. Per register
// and block it does the 14 AES instructions, 18 vector loads (13 round-key
// rows, the lanes' input blocks, and three rows: k0, k14 ^ k0 and the W
// ring below), p*2 lane pointer loads and 1+p stores (the W row and the
// output block in each lane).
//
// The IGE step out_i = AES(in_i ^ out_{i-1}) ^ in_{i-1} is folded as in the
// single stream (asm/aes.go): with V_i = in_i ^ k0 the state entering round
// 1 of block i+1 is
//
//	S_{i+1} = AESENCLAST(V_{i+1} ^ W_{i-1}, rounds 1..13 of S_i)
//	out_i   = S_{i+1} ^ V_{i+1}
//	W_i     = V_i ^ (k14 ^ k0) = in_i ^ k14
//
// so the chain from block to block is the 14 AES instructions alone (no
// store and reload of the output on it), and W, needed two blocks later, is
// kept in a ring of two rows per register (cur holds W_{i-1}, read and
// overwritten by W_{i+1}; other holds W_i). The last block of a call ends
// with AESENCLAST(W_{i-1}), the plain last round.
//
// Each register's step (input, last round, output) follows its round 13
// directly. Measured on Zen 5, that order beat the same work after all the
// rounds, and beat moving the input loads earlier into the rounds through
// staging rows (two more stores and loads per block); a VBROADCASTI128 and
// a blend instead of the insert, or the output's upper half through memory
// instead of the extract, gained nothing.
//
// On entry and exit the a and b rows hold each lane's previous output and
// input, as for every kernel; the k14 ^ k0 row of lane l is at kkOff+16*l.
func batchNarrow(dec bool, p, nregs int) {
	name := "batch" + opName(dec) + "SSE"
	states := []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7}
	tmps := []VecPhysical{X8, X9, X10, X11, X12, X13, X14, X15}
	if p == 2 {
		name = "batch" + opName(dec) + "AVX2"
		states = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
		tmps = []VecPhysical{Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	}
	if nregs < 8 {
		name += fmt.Sprintf("x%d", nregs*p)
	}
	states = states[:nregs]
	round, last := roundOps(dec)
	cur, other := R9, R10
	ringRow := func(ring Register, j int) Mem { return Mem{Base: ring, Disp: j * p * blockSize} }
	kkRow := func(j int) Mem { return Mem{Base: st, Disp: kkOff + j*p*blockSize} }

	// The instruction forms of the two widths. Legacy SSE memory operands
	// must be 16-byte aligned: the rows are, the lanes' blocks need not be
	// and go through MOVOU.
	xor := func(m Op, x, dst VecPhysical) { // dst = x ^ m
		if p == 1 {
			if dst != x {
				MOVO(x, dst)
			}
			PXOR(m, dst)
			return
		}
		VPXOR(m, x, dst)
	}
	mov := func(src, dst Op) {
		if p == 1 {
			MOVOU(src, dst)
		} else {
			VMOVDQU(src, dst)
		}
	}
	aes := func(op string, k Op, s VecPhysical) {
		if p == 2 {
			vaes(op, k, s)
			return
		}
		switch op {
		case "VAESENC":
			AESENC(k, s)
		case "VAESENCLAST":
			AESENCLAST(k, s)
		case "VAESDEC":
			AESDEC(k, s)
		default:
			AESDECLAST(k, s)
		}
	}
	// loadIn loads register j's lanes' blocks at disp past the current
	// offset into t.
	loadIn := func(j int, disp int, t VecPhysical) {
		MOVQ(srcPtr(p*j), ptrA)
		if p == 1 {
			MOVOU(Mem{Base: ptrA, Index: off, Scale: 1, Disp: disp}, t)
			return
		}
		MOVQ(srcPtr(p*j+1), ptrB)
		VMOVDQU(Mem{Base: ptrA, Index: off, Scale: 1, Disp: disp}, t.AsX())
		VINSERTI128(U8(1), Mem{Base: ptrB, Index: off, Scale: 1, Disp: disp}, t, t)
	}
	// storeOut stores register j's output blocks from o at the current
	// offset.
	storeOut := func(j int, o VecPhysical) {
		MOVQ(dstPtr(p*j), ptrA)
		if p == 1 {
			MOVOU(o, at(ptrA))
			return
		}
		MOVQ(dstPtr(p*j+1), ptrB)
		VMOVDQU(o.AsX(), at(ptrA))
		VEXTRACTI128(U8(1), o, at(ptrB))
	}
	// Register j's temporaries; the renamer makes the reuse free.
	tmp := func(j, k int) VecPhysical { return tmps[(2*j+k)%len(tmps)] }

	prologue(name)
	LEAQ(Mem{Base: st, Disp: ringOff}, other)
	LEAQ(Mem{Base: st, Disp: ringOff + 8*p*blockSize}, cur)
	Comment("S = V_0 ^ a, W_0 = V_0 ^ k14 ^ k0 (other), W_{-1} = b ^ k14 (cur)")
	for j, s := range states {
		v, w := tmp(j, 0), tmp(j, 1)
		loadIn(j, 0, v)
		xor(keyRow(p, j, 0), v, v)
		xor(aRow(p, j), v, s)
		xor(kkRow(j), v, w)
		mov(w, ringRow(other, j))
		mov(bRow(p, j), w)
		xor(keyRow(p, j, nRounds), w, w)
		mov(w, ringRow(cur, j))
	}
	DECQ(n)
	JZ(LabelRef(name + "_last"))

	Comment(fmt.Sprintf("%d lanes x 1 block per iteration, %d per register", nregs*p, p))
	Label(name + "_loop")
	for r := 1; r < nRounds-1; r++ {
		for j, s := range states {
			aes(round, keyRow(p, j, r), s)
		}
	}
	for j, s := range states {
		v, l, w := tmp(j, 0), tmp(j, 1), tmp(j, 2)
		aes(round, keyRow(p, j, nRounds-1), s)
		loadIn(j, blockSize, v)
		xor(keyRow(p, j, 0), v, v) // V_{i+1}
		xor(ringRow(cur, j), v, l) // V_{i+1} ^ W_{i-1}
		xor(kkRow(j), v, w)        // W_{i+1}
		mov(w, ringRow(cur, j))
		aes(last, l, s) // S_{i+1}
		xor(s, v, v)    // out_i
		storeOut(j, v)
	}
	XCHGQ(cur, other)
	ADDQ(U8(blockSize), off)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))

	Label(name + "_last")
	for r := 1; r < nRounds; r++ {
		for j, s := range states {
			aes(round, keyRow(p, j, r), s)
		}
	}
	Comment("out = AESENCLAST(W_{i-1}); a = out, b = W_i ^ k14")
	for j, s := range states {
		w := tmp(j, 0)
		aes(last, ringRow(cur, j), s)
		storeOut(j, s)
		mov(s, aRow(p, j))
		mov(ringRow(other, j), w)
		xor(keyRow(p, j, nRounds), w, w)
		mov(w, bRow(p, j))
	}
	if p == 2 {
		VZEROUPPER()
	}
	RET()
}

// batchAVX512: 4*nregs lanes, four per zmm register, eight blocks per lane
// per step of the main loop (then at most one step of four, then single
// blocks). With nregs = 8 the AES unit is full and the kernel is bound by
// throughput; with 6, 4 or 2 registers the chains' latency leaves idle
// slots that the data movement fills, so those run close to 4*nregs times
// the single-stream bound.
//
// Going one block at a time costs, per lane and block, a pointer load and a
// 16-byte load for the input and the same for the output, plus an insert
// and an extract to move the block in or out of its 128-bit position; worse,
// equal-sized jobs usually start at the same offset modulo 4 KiB, so the
// 32 lanes' current cache lines all fall in one L1 set and evict each
// other on every block. So the main loop reads each lane's next 64 bytes
// (one line) at once and transposes 4 lanes x 4 blocks into 4 registers
// ("load" phase), and writes the outputs back the same way ("store"
// phase). The transposed inputs are staged in the rows, already combined
// with what the IGE step adds to them:
//
//	x_i  = in_i ^ k0           (the first round key folded in)
//	lk_i = k14 ^ in_{i-1}      (b folded into the last round key: AESENCLAST
//	                            xors its key in after the last SubBytes)
//
// so a block costs exactly the 15 round-key-sized loads of its rounds:
// x_i ^ a, 13 rounds, AESENCLAST with lk_i, and a store of the output.
// The output a stays in a register (Z8-Z15) for the whole call.
//
// The load phase of the next step and the store phase of the previous one
// run interleaved with the rounds of the current step (two registers' worth
// per block), on two stage buffers that swap every step (R9 current, R10
// other), so that they fill the ports the AES instructions leave idle
// instead of running between them. Where there is no next or previous step
// they read and write the dummy buffer through the idle pointer table.
//
// # Costs, measured on Zen 5
//
// The 32-lane kernel is bound by the load ports and the vector pipes
// together: every AES instruction already loads its 64-byte key row (the
// rows of 8 registers x 15 rounds do not fit in 32 registers; with no data
// moved, that alone reaches 0.9 to 0.97 of the shared-key bound), and the
// AES units share their pipes with the shuffles. Added next to the rounds
// of that distinct-key loop, one at a time per register and block, each of
// these cost about one AES instruction's slot: a VSHUFI64X2, a
// VINSERTI32X4 or merge-masked VBROADCASTI32X4 from memory, a 16-byte
// load, a pointer (GPR) load (1.2); a 64-byte load about 0.6, a register
// xor 0.4, a store 0.3; a VEXTRACTI32X4 to memory about 2. So the
// transpose (8 shuffles per 16 blocks each way) beats inserts and
// extracts, and the lane pointers matter: a phase loads a register's four
// pointers once and moves two lines per lane with them (8-block steps;
// 16-block steps gained nothing more). Per register and step that leaves
// 120 AES-and-xor slots against about 80 slots of data movement (32
// shuffles, 24 line and row loads, 8 pointer loads, 24 xors, 33 stores),
// so about 0.6 of the bound on data in L1, which the kernel reaches
// (BenchmarkBatchKernel). Software prefetch of the next lines did not help.
func batchAVX512(dec bool, nregs int) {
	const p = 4
	name := "batch" + opName(dec) + "AVX512"
	if nregs < 8 {
		name += fmt.Sprintf("x%d", nregs*p)
	}
	round, last := roundOps(dec)
	prologue(name)
	zs := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
	states, as, tmp := zs[0:nregs], zs[8:8+nregs], zs[16:32]
	var (
		cur, other = R9, R10 // stage buffers
		nextTbl    = R11     // lane pointers for the next step's load phase
		prevTbl    = R12     // lane pointers for the previous step's store phase
		idleTbl    = R13     // dummy lane pointers
		steps      = R8      // steps left
	)
	// A phase loads one register's four lane pointers once, into these.
	lanePtr := []Register{ptrA, ptrB, R14, R15}
	// A pointer table is laid out as lanePtrs: src pointers, then dst.
	srcOf := func(tbl Register, l int) Mem { return Mem{Base: tbl, Disp: srcOff + 8*l} }
	dstOf := func(tbl Register, l int) Mem { return Mem{Base: tbl, Disp: dstOff + 8*l} }
	block := func(ptr Register, disp int) Mem { return Mem{Base: ptr, Index: off, Scale: 1, Disp: disp} }

	// transpose4 turns 4 registers of 4 blocks into 4 registers holding the
	// blocks' transpose: r[q] = [q0 q1 q2 q3] -> o[i] = [0i 1i 2i 3i]. It is
	// its own inverse.
	transpose4 := func(r, u, o []VecPhysical) {
		VSHUFI64X2(U8(0x44), r[1], r[0], u[0])
		VSHUFI64X2(U8(0xee), r[1], r[0], u[1])
		VSHUFI64X2(U8(0x44), r[3], r[2], u[2])
		VSHUFI64X2(U8(0xee), r[3], r[2], u[3])
		VSHUFI64X2(U8(0x88), u[2], u[0], o[0])
		VSHUFI64X2(U8(0xdd), u[2], u[0], o[1])
		VSHUFI64X2(U8(0x88), u[3], u[1], o[2])
		VSHUFI64X2(U8(0xdd), u[3], u[1], o[3])
	}

	// section emits the pipeline over steps of bs blocks per lane (bs/4
	// lines), as many as the steps register says. The stage buffers hold, per register j, bs x rows, bs lk
	// rows and one b row.
	section := func(bs int) {
		sec := fmt.Sprintf("%s_%d", name, bs)
		xRow := func(buf Register, j, i int) Mem { return Mem{Base: buf, Disp: (j*bs + i) * 64} }
		lkRow := func(buf Register, j, i int) Mem { return Mem{Base: buf, Disp: (8*bs + j*bs + i) * 64} }
		stageB := func(buf Register, j int) Mem { return Mem{Base: buf, Disp: (16*bs + j) * 64} }

		// loadPhase stages register j's next bs blocks of input into
		// buffer dst, reading the lanes' data at disp from tbl's pointers
		// and the previous input block from prev's b row; the last input
		// becomes dst's b row.
		loadPhase := func(j int, tbl Register, disp int, dst, prev Register) {
			r, u, in := tmp[0:4], tmp[4:8], tmp[8:12]
			k0, k14, b, t := tmp[12], tmp[13], tmp[14], tmp[15]
			for q, ptr := range lanePtr {
				MOVQ(srcOf(tbl, p*j+q), ptr)
			}
			VMOVDQU64(keyRow(p, j, 0), k0)
			VMOVDQU64(keyRow(p, j, nRounds), k14)
			VMOVDQU64(stageB(prev, j), b)
			for h := range bs / 4 {
				for q, ptr := range lanePtr {
					VMOVDQU64(block(ptr, disp+64*h), r[q])
				}
				transpose4(r, u, in)
				for i := range 4 {
					VPXORQ(k0, in[i], t)
					VMOVDQU64(t, xRow(dst, j, 4*h+i))
					prevIn := b
					if i > 0 {
						prevIn = in[i-1]
					}
					VPXORQ(k14, prevIn, t)
					VMOVDQU64(t, lkRow(dst, j, 4*h+i))
				}
				VMOVDQA64(in[3], b)
			}
			VMOVDQU64(b, stageB(dst, j))
		}
		// storePhase writes register j's bs output blocks from buffer src
		// to the lanes of tbl at disp.
		storePhase := func(j int, tbl Register, disp int, src Register) {
			o, u, w := tmp[0:4], tmp[4:8], tmp[8:12]
			for q, ptr := range lanePtr {
				MOVQ(dstOf(tbl, p*j+q), ptr)
			}
			for h := range bs / 4 {
				for i := range 4 {
					VMOVDQU64(xRow(src, j, 4*h+i), o[i])
				}
				transpose4(o, u, w)
				for q, ptr := range lanePtr {
					VMOVDQU64(w[q], block(ptr, disp+64*h))
				}
			}
		}

		LEAQ(Mem{Base: st, Disp: stageOff}, cur)
		LEAQ(Mem{Base: st, Disp: stageOff + stageSize}, other)
		LEAQ(Mem{Base: ptrs, Disp: idleOff}, idleTbl)
		MOVQ(idleTbl, prevTbl)
		for j := range nregs {
			VMOVDQU64(bRow(p, j), tmp[j])
			VMOVDQU64(tmp[j], stageB(other, j))
		}
		for j := range nregs {
			loadPhase(j, ptrs, 0, cur, other)
		}

		Comment(fmt.Sprintf("%d lanes x %d blocks per step", nregs*p, bs))
		Label(sec + "_step")
		MOVQ(ptrs, nextTbl)
		CMPQ(steps, U8(1))
		CMOVQEQ(idleTbl, nextTbl)
		// The side work: every register's store phase for the previous
		// step and load phase for the next, spread over the rounds; a
		// register's store phase reads its rows of other before its load
		// phase overwrites them.
		// Register j's phases go to block j*bs/nregs, the second register
		// of a block three rounds after the first.
		sideRounds := map[int][2]int{} // block*16+round -> (kind, register)
		for j := range nregs {
			i, k := j*bs/nregs, 0
			if j > 0 && (j-1)*bs/nregs == i {
				k = 1
			}
			sideRounds[i*16+2+3*k] = [2]int{0, j}
			sideRounds[i*16+8+3*k] = [2]int{1, j}
		}
		for i := range bs {
			for j, s := range states {
				VPXORQ(xRow(cur, j, i), as[j], s)
			}
			for r := 1; r < nRounds; r++ {
				for j, s := range states {
					vaes(round, keyRow(p, j, r), s)
				}
				if w, ok := sideRounds[i*16+r]; ok {
					if w[0] == 0 {
						storePhase(w[1], prevTbl, -bs*blockSize, other)
					} else {
						loadPhase(w[1], nextTbl, bs*blockSize, other, cur)
					}
				}
			}
			for j, s := range states {
				vaesTo(last, lkRow(cur, j, i), s, as[j])
				VMOVDQU64(as[j], xRow(cur, j, i))
			}
		}
		XCHGQ(cur, other)
		MOVQ(ptrs, prevTbl)
		ADDQ(U32(bs*blockSize), off)
		DECQ(steps)
		JNZ(LabelRef(sec + "_step"))

		Comment("the last step's outputs and input")
		for j := range nregs {
			storePhase(j, ptrs, -bs*blockSize, other)
			VMOVDQU64(stageB(other, j), tmp[j])
			VMOVDQU64(tmp[j], bRow(p, j))
		}
		Label(sec + "_skip")
	}

	for j := range nregs {
		VMOVDQU64(aRow(p, j), as[j])
	}
	MOVQ(n, steps)
	SHRQ(U8(3), steps)
	JZ(LabelRef(name + "_8_skip"))
	section(8)
	MOVQ(n, steps)
	SHRQ(U8(2), steps)
	ANDQ(U8(1), steps)
	JZ(LabelRef(name + "_4_skip"))
	section(4)

	Label(name + "_tail")
	ANDQ(U8(3), n)
	JZ(LabelRef(name + "_done"))
	Comment(fmt.Sprintf("%d lanes x 1 block per iteration", nregs*p))
	Label(name + "_single")
	ins := tmp[0:nregs]
	for j, s := range states {
		in := ins[j]
		for q := range p {
			ptr := ptrA
			if q%2 == 1 {
				ptr = ptrB
			}
			MOVQ(srcPtr(p*j+q), ptr)
			if q == 0 {
				VMOVDQU64(at(ptr), in.AsX())
			} else {
				VINSERTI32X4(U8(q), at(ptr), in, in)
			}
		}
		VMOVDQA64(in, s)
		VPTERNLOGD(U8(0x96), keyRow(p, j, 0), as[j], s) // s ^= a ^ k0
	}
	for r := 1; r <= nRounds; r++ {
		op := round
		if r == nRounds {
			op = last
		}
		for j, s := range states {
			vaes(op, keyRow(p, j, r), s)
		}
	}
	for j, s := range states {
		VPXORQ(bRow(p, j), s, as[j])
		VMOVDQU64(ins[j], bRow(p, j))
		for q := range p {
			ptr := ptrA
			if q%2 == 1 {
				ptr = ptrB
			}
			MOVQ(dstPtr(p*j+q), ptr)
			if q == 0 {
				VMOVDQU64(as[j].AsX(), at(ptr))
			} else {
				VEXTRACTI32X4(U8(q), as[j], at(ptr))
			}
		}
	}
	ADDQ(U8(blockSize), off)
	DECQ(n)
	JNZ(LabelRef(name + "_single"))

	Label(name + "_done")
	for j := range nregs {
		VMOVDQU64(as[j], aRow(p, j))
	}
	VZEROUPPER()
	RET()
}

func boundPrologue(name string) (sched, blocks Register) {
	TEXT(name, NOSPLIT, "func(sched *byte, blocks int)")
	Doc(fmt.Sprintf("%s runs blocks iterations of 8 independent AES-256 chains, one per register, keyed by one schedule.", name))
	Load(Param("sched"), RSI)
	Load(Param("blocks"), RCX)
	return RSI, RCX
}

// boundSSE and boundAVX2: with 16 vector registers the 8 states leave room
// for 7 round keys; the other 8 are loaded once per round into the last
// register and shared by all 8 AES instructions of that round. The loads
// use the load ports, not the AES units, and are amortised over 8 rounds.
func boundSSE() {
	sched, blocks := boundPrologue("boundSSE")
	states := []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7}
	keys := []VecPhysical{X8, X9, X10, X11, X12, X13, X14}
	for _, s := range states {
		PXOR(s, s)
	}
	for r, k := range keys {
		MOVOU(Mem{Base: sched, Disp: r * blockSize}, k)
	}
	Label("boundSSE_loop")
	for r := 0; r <= nRounds; r++ {
		k := X15
		if r < len(keys) {
			k = keys[r]
		} else {
			MOVOU(Mem{Base: sched, Disp: r * blockSize}, k)
		}
		for _, s := range states {
			switch r {
			case 0:
				PXOR(k, s)
			case nRounds:
				AESENCLAST(k, s)
			default:
				AESENC(k, s)
			}
		}
	}
	DECQ(blocks)
	JNZ(LabelRef("boundSSE_loop"))
	RET()
}

func boundAVX2() {
	sched, blocks := boundPrologue("boundAVX2")
	states := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	keys := []VecPhysical{Y8, Y9, Y10, Y11, Y12, Y13, Y14}
	for _, s := range states {
		VPXOR(s, s, s)
	}
	for r, k := range keys {
		VBROADCASTI128(Mem{Base: sched, Disp: r * blockSize}, k)
	}
	Label("boundAVX2_loop")
	for r := 0; r <= nRounds; r++ {
		k := Y15
		if r < len(keys) {
			k = keys[r]
		} else {
			VBROADCASTI128(Mem{Base: sched, Disp: r * blockSize}, k)
		}
		for _, s := range states {
			switch r {
			case 0:
				VPXOR(k, s, s)
			case nRounds:
				vaes("VAESENCLAST", k, s)
			default:
				vaes("VAESENC", k, s)
			}
		}
	}
	DECQ(blocks)
	JNZ(LabelRef("boundAVX2_loop"))
	VZEROUPPER()
	RET()
}

// boundAVX512 holds all 15 round keys in Z8-Z22: no loads in the loop.
func boundAVX512() {
	sched, blocks := boundPrologue("boundAVX512")
	zs := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22}
	states, keys := zs[:8], zs[8:]
	for _, s := range states {
		VPXORQ(s, s, s)
	}
	for r, k := range keys {
		VBROADCASTI32X4(Mem{Base: sched, Disp: r * blockSize}, k)
	}
	Label("boundAVX512_loop")
	for r, k := range keys {
		for _, s := range states {
			switch r {
			case 0:
				VPXORQ(k, s, s)
			case nRounds:
				vaes("VAESENCLAST", k, s)
			default:
				vaes("VAESENC", k, s)
			}
		}
	}
	DECQ(blocks)
	JNZ(LabelRef("boundAVX512_loop"))
	VZEROUPPER()
	RET()
}

// boundDistinct emits the AES throughput bound with a distinct key schedule
// per lane, as the batch kernels have them: 8 independent chains of one
// register each (p = 1 xmm, 2 ymm, 4 zmm lanes), every AES instruction
// taking its row of the lanes' round keys from the rows (a load per
// instruction, since 8 registers x 15 rows do not fit in the registers).
// No data is loaded or stored: the gap to the shared-key bound is the price
// of the key loads alone, the gap to the batch kernel that of moving the
// data.
func boundDistinct(p int) {
	name := map[int]string{1: "boundDistinctSSE", 2: "boundDistinctAVX2", 4: "boundDistinctAVX512"}[p]
	TEXT(name, NOSPLIT, "func(rows *byte, blocks int)")
	Doc(name + " runs blocks iterations of 8 independent AES-256 chains, one per register, each instruction loading its lanes' round keys from the rows.")
	Load(Param("rows"), st)
	Load(Param("blocks"), n)
	states := []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7}
	switch p {
	case 2:
		states = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	case 4:
		states = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7}
	}
	for _, s := range states {
		switch p {
		case 1:
			PXOR(s, s)
		case 2:
			VPXOR(s, s, s) // AVX2 only: no EVEX
		default:
			VPXORQ(s, s, s)
		}
	}
	Label(name + "_loop")
	for r := 0; r <= nRounds; r++ {
		for j, s := range states {
			k := keyRow(p, j, r)
			switch {
			case p == 1 && r == 0:
				PXOR(k, s)
			case p == 1 && r == nRounds:
				AESENCLAST(k, s)
			case p == 1:
				AESENC(k, s)
			case p == 2 && r == 0:
				VPXOR(k, s, s)
			case r == 0:
				VPXORQ(k, s, s)
			case r == nRounds:
				vaes("VAESENCLAST", k, s)
			default:
				vaes("VAESENC", k, s)
			}
		}
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	if p > 1 {
		VZEROUPPER()
	}
	RET()
}
