package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Montgomery multiplication and squaring modulo an odd m < 2^2048 in radix
// 2^64 (32 limbs, R = 2^2048) with MULX, ADCX and ADOX.
//
// Both kernels first form the full 64-limb product t in a stack buffer and
// then reduce it (separated operand scanning): 32 passes, each adding y*m at
// limb i with y = t[i]*k0 mod 2^64 so that limb i becomes zero. Every pass
// over 32 limbs is one unrolled row of MULX whose low halves ride the carry
// flag (ADCX) and whose high halves ride the overflow flag (ADOX) into the
// next limb: two independent carry chains, so a row runs at about one MULX
// per cycle. Squaring forms only the products x[i]*x[j] with i < j (496
// instead of 1024), doubles them and adds the squares x[i]^2 in one pass.
//
// The result t/R is below 2m for x < R and y < m; the final subtraction of
// m is computed always and kept or dropped with CMOV on the borrow.
//
// Registers: SI x, BX y, CX m, R8 k0, DX the MULX multiplier, AX zero, R9-R11
// products, R13 the current row of t, R14 the row count, R15 the carry
// between reduction passes. z is loaded at the end.

const limbs = 32

// rowSrc is where a row reads its multiplicand: base register and first limb.
type rowSrc struct {
	base GPPhysical
	off  int
}

// tBuf is a 64-limb product buffer: base register plus displacement.
type tBuf struct {
	base GPPhysical
	disp int
}

func (t tBuf) limb(k int) Mem { return Mem{Base: t.base, Disp: t.disp + 8*k} }

// mulRow adds DX * src[0..n) to t[off..off+n) and finishes limb off+n: with
// carry nil it is stored (nothing there yet), otherwise it is added to
// t[off+n] together with the carry from the previous pass (a register or a
// memory word), which becomes the carry out. The flags must be clear on
// entry. R9-R11 are scratch.
func mulRow(src rowSrc, n int, tb tBuf, off int, carry Op) {
	free := []GPPhysical{R9, R10, R11}
	var prevHi GPPhysical
	pick := func() (GPPhysical, GPPhysical) {
		var out []GPPhysical
		for _, r := range free {
			if r != prevHi {
				out = append(out, r)
			}
		}
		// Rotate so consecutive limbs use different registers.
		free = append(free[1:], free[0])
		return out[0], out[1]
	}
	for k := range n {
		lo, hi := pick()
		MULXQ(Mem{Base: src.base, Disp: 8 * (src.off + k)}, lo, hi)
		t := tb.limb(off + k)
		ADCXQ(t, lo)
		if k > 0 {
			ADOXQ(prevHi, lo)
		}
		MOVQ(lo, t)
		prevHi = hi
	}
	top := tb.limb(off + n)
	if carry == nil {
		ADCXQ(RAX, prevHi)
		ADOXQ(RAX, prevHi)
		MOVQ(prevHi, top)
		return
	}
	ADCXQ(carry, prevHi)
	ADOXQ(top, prevHi)
	MOVQ(prevHi, top)
	c, ok := carry.(GPPhysical)
	if !ok {
		c = R9
		if prevHi == R9 {
			c = R10
		}
	}
	MOVQ(U32(0), c) // MOV leaves the flags alone
	ADCXQ(RAX, c)
	ADOXQ(RAX, c)
	if !ok {
		MOVQ(c, carry)
	}
}

// operand describes an operation a kernel computes: where its inputs are,
// where its 64-limb product lives (at displacement disp from R13) and where
// it keeps the carry between reduction passes. The kernels compute one; the
// code takes a list because interleaving two was tried (the rows of two
// independent products alternating): on Zen 5 it ran no faster than one after
// the other, the MULX/ADCX/ADOX rows being bound by throughput, not latency.
type operand struct {
	z, x, y string // parameter names
	xr, yr  GPPhysical
	disp    int
	carry   Op
}

// loadArgs loads the operand pointers, m into CX and k0 into R8.
func loadArgs(ops []operand) {
	for _, op := range ops {
		Load(Param(op.x), op.xr)
		if op.y != "" {
			Load(Param(op.y), op.yr)
		}
	}
	Load(Param("m"), RCX)
	Load(Param("k0"), R8)
}

// zeroT clears limbs [0, n) of every operand's product buffer at t.
func zeroT(t Mem, ops []operand, n int) {
	XORL(EAX, EAX)
	for _, op := range ops {
		for j := range n {
			MOVQ(RAX, t.Offset(op.disp+8*j))
		}
	}
}

// reduceAndStore reduces each 64-limb product (R13-relative after LEAQ t)
// by m and writes the result, fully reduced, to its z. The reduction passes
// of the operations alternate, so that the out-of-order core always has an
// independent carry chain to run.
func reduceAndStore(t Mem, ops []operand, name string) {
	LEAQ(t, R13)
	MOVQ(U32(limbs), R14)
	for _, op := range ops {
		if r, ok := op.carry.(GPPhysical); ok {
			XORQ(r, r)
		} else {
			MOVQ(U32(0), op.carry)
		}
	}
	Label(name + "reduce")
	for _, op := range ops {
		tb := tBuf{R13, op.disp}
		MOVQ(tb.limb(0), RDX)
		IMULQ(R8, RDX)
		XORL(EAX, EAX) // also clears CF and OF
		mulRow(rowSrc{RCX, 0}, limbs, tb, 0, op.carry)
	}
	ADDQ(U8(8), R13)
	DECQ(R14)
	JNZ(LabelRef(name + "reduce"))

	// R13 points at t[32]; the carry is bit 2048 of the value.
	for _, op := range ops {
		condSubStore(tBuf{R13, op.disp}, op)
	}
	RET()
}

// condSubStore writes carry:t mod m to z for carry:t < 2m: z = t - m, then
// z = t again unless carry:t >= m. The carry must be in R15.
func condSubStore(tb tBuf, op operand) {
	if op.carry != R15 {
		MOVQ(op.carry, R15)
	}
	{
		Commentf("%s: subtract m; keep t if that borrows and there is no carry bit.", op.z)
		Load(Param(op.z), RDI)
		for j := range limbs {
			MOVQ(tb.limb(j), R9)
			if j == 0 {
				SUBQ(Mem{Base: RCX, Disp: 8 * j}, R9)
			} else {
				SBBQ(Mem{Base: RCX, Disp: 8 * j}, R9)
			}
			MOVQ(R9, Mem{Base: RDI, Disp: 8 * j})
		}
		SBBQ(U8(0), R15)
		for j := range limbs {
			MOVQ(Mem{Base: RDI, Disp: 8 * j}, R9)
			CMOVQCS(tb.limb(j), R9)
			MOVQ(R9, Mem{Base: RDI, Disp: 8 * j})
		}
	}
}

func mulx() {
	one := []operand{{z: "z", x: "x", y: "y", xr: RSI, yr: RBX, carry: R15}}
	montMul("mulMontADX", "func(z, x, y, m *[32]uint64, k0 uint64)", one,
		"mulMontADX sets z = x*y/2^2048 mod m for x < 2^2048, y < m; z may alias x or y.")
	montSqr("sqrMontADX", "func(z, x, m *[32]uint64, k0 uint64)", one,
		"sqrMontADX sets z = x*x/2^2048 mod m for x < m; z may alias x.")
	mulSmallADX()
}

// smallSteps bounds the reduction steps of mulSmallADX (its frame).
const smallSteps = 7

// mulSmallADX multiplies by a one-word number and divides by 2^(64 steps)
// with that many Montgomery reduction steps: the exponentiation of a
// one-byte base (g of a key exchange) multiplies by g^k for a window k, and
// this costs (1+steps)/64 of a full Montgomery multiplication.
func mulSmallADX() {
	TEXT("mulSmallADX", NOSPLIT, "func(z, x *[32]uint64, c uint64, m *[32]uint64, k0 uint64, steps int)")
	Doc("mulSmallADX sets z = x*c/2^(64 steps) mod m for x < m, 1 <= steps <= 7;",
		"z may alias x.")
	t := AllocLocal(8 * (limbs + 1 + smallSteps))
	Load(Param("x"), RSI)
	Load(Param("m"), RCX)
	Load(Param("k0"), R8)
	op := operand{z: "z", carry: R15}
	zeroT(t, []operand{op}, limbs+1+smallSteps)
	LEAQ(t, R13)
	Load(Param("c"), RDX)
	XORL(EAX, EAX)
	mulRow(rowSrc{RSI, 0}, limbs, tBuf{R13, 0}, 0, nil)
	Comment("Reduction steps: each adds u*m so that the lowest limb becomes zero.")
	Load(Param("steps"), R14)
	XORQ(R15, R15)
	Label("smallreduce")
	MOVQ(Mem{Base: R13}, RDX)
	IMULQ(R8, RDX)
	XORL(EAX, EAX)
	mulRow(rowSrc{RCX, 0}, limbs, tBuf{R13, 0}, 0, R15)
	ADDQ(U8(8), R13)
	DECQ(R14)
	JNZ(LabelRef("smallreduce"))
	condSubStore(tBuf{R13, 0}, op)
	RET()
}

func montMul(name, sig string, ops []operand, doc ...string) {
	TEXT(name, NOSPLIT, sig)
	Doc(doc...)
	t, list := frameOf(ops)
	if len(list) == 1 {
		list[0].y = "y"
	}
	loadArgs(list)
	zeroT(t, list, limbs)
	LEAQ(t, R13)
	MOVQ(U32(limbs), R14)
	Label(name + "row")
	for _, op := range list {
		MOVQ(Mem{Base: op.yr}, RDX)
		XORL(EAX, EAX)
		mulRow(rowSrc{op.xr, 0}, limbs, tBuf{R13, op.disp}, 0, nil)
	}
	for _, op := range list {
		ADDQ(U8(8), op.yr)
	}
	ADDQ(U8(8), R13)
	DECQ(R14)
	JNZ(LabelRef(name + "row"))
	reduceAndStore(t, list, name)
}

func montSqr(name, sig string, ops []operand, doc ...string) {
	TEXT(name, NOSPLIT, sig)
	Doc(doc...)
	t, list := frameOf(ops)
	for i := range list {
		list[i].y = ""
	}
	loadArgs(list)
	zeroT(t, list, 2*limbs)
	LEAQ(t, R13)
	Comment("The products x[i]*x[j], i < j: row i covers limbs 2i+1 .. i+32.")
	for i := range limbs - 1 {
		for _, op := range list {
			MOVQ(Mem{Base: op.xr, Disp: 8 * i}, RDX)
			XORL(EAX, EAX)
			mulRow(rowSrc{op.xr, i + 1}, limbs-1-i, tBuf{R13, op.disp}, 2*i+1, nil)
		}
	}
	Comment("Double them and add the squares x[i]^2 at limbs 2i, 2i+1.")
	for _, op := range list {
		tb := tBuf{R13, op.disp}
		XORL(EAX, EAX)
		for i := range limbs {
			MOVQ(Mem{Base: op.xr, Disp: 8 * i}, RDX)
			MULXQ(RDX, R9, R10)
			MOVQ(tb.limb(2*i), R11)
			MOVQ(tb.limb(2*i+1), RDX)
			ADCXQ(R11, R11)
			ADOXQ(R9, R11)
			ADCXQ(RDX, RDX)
			ADOXQ(R10, RDX)
			MOVQ(R11, tb.limb(2*i))
			MOVQ(RDX, tb.limb(2*i+1))
		}
	}
	reduceAndStore(t, list, name)
}

// frameOf allocates the frame: one 64-limb product buffer per operation.
func frameOf(ops []operand) (Mem, []operand) {
	t := AllocLocal(8 * 2 * limbs * len(ops))
	return t, append([]operand(nil), ops...)
}
