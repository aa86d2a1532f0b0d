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
// Registers: DI z, SI x, BX y, CX m, R8 k0, DX the MULX multiplier, AX zero,
// R9-R12 products, R13 the current row of t, R14 the row count, R15 the
// carry between reduction passes.

const limbs = 32

// rowSrc is where a row reads its multiplicand: base register and first limb.
type rowSrc struct {
	base GPPhysical
	off  int
}

// mulRow adds DX * src[0..n) to t[off..off+n) (t based at tb) and finishes
// limb off+n: with fresh it is stored (nothing there yet), otherwise it is
// added to t[off+n] together with the carry R15 from the previous pass, and
// R15 becomes the carry out. The flags must be clear on entry.
func mulRow(src rowSrc, n int, tb GPPhysical, off int, fresh bool) {
	free := []GPPhysical{R9, R10, R11, R12}
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
		t := Mem{Base: tb, Disp: 8 * (off + k)}
		ADCXQ(t, lo)
		if k > 0 {
			ADOXQ(prevHi, lo)
		}
		MOVQ(lo, t)
		prevHi = hi
	}
	top := Mem{Base: tb, Disp: 8 * (off + n)}
	if fresh {
		ADCXQ(RAX, prevHi)
		ADOXQ(RAX, prevHi)
		MOVQ(prevHi, top)
		return
	}
	ADCXQ(R15, prevHi)
	ADOXQ(top, prevHi)
	MOVQ(prevHi, top)
	MOVQ(U32(0), R15) // MOV leaves the flags alone
	ADCXQ(RAX, R15)
	ADOXQ(RAX, R15)
}

func montArgs(mul bool) {
	Load(Param("z"), RDI)
	Load(Param("x"), RSI)
	if mul {
		Load(Param("y"), RBX)
	}
	Load(Param("m"), RCX)
	Load(Param("k0"), R8)
}

// reduceAndStore reduces the 64-limb t (at local t) by m and writes the
// result, fully reduced, to z.
func reduceAndStore(t Mem, name string) {
	LEAQ(t, R13)
	MOVQ(U32(limbs), R14)
	XORQ(R15, R15)
	Label(name + "reduce")
	MOVQ(Mem{Base: R13}, RDX)
	IMULQ(R8, RDX)
	XORL(EAX, EAX) // also clears CF and OF
	mulRow(rowSrc{RCX, 0}, limbs, R13, 0, false)
	ADDQ(U8(8), R13)
	DECQ(R14)
	JNZ(LabelRef(name + "reduce"))

	// R13 points at t[32]; R15 is bit 2048 of the value. z = t - m, then
	// z = t again unless R15:t >= m.
	Comment("Subtract m; keep t if that borrows and there is no carry bit.")
	for j := range limbs {
		MOVQ(Mem{Base: R13, Disp: 8 * j}, R9)
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
		CMOVQCS(Mem{Base: R13, Disp: 8 * j}, R9)
		MOVQ(R9, Mem{Base: RDI, Disp: 8 * j})
	}
	RET()
}

func mulx() {
	mulMontADX()
	sqrMontADX()
}

func mulMontADX() {
	TEXT("mulMontADX", NOSPLIT, "func(z, x, y, m *[32]uint64, k0 uint64)")
	Doc("mulMontADX sets z = x*y/2^2048 mod m for x < 2^2048, y < m; z may alias x or y.")
	t := AllocLocal(8 * 2 * limbs)
	montArgs(true)
	XORL(EAX, EAX)
	for j := range limbs {
		MOVQ(RAX, t.Offset(8*j))
	}
	LEAQ(t, R13)
	MOVQ(U32(limbs), R14)
	Label("mulrow")
	MOVQ(Mem{Base: RBX}, RDX)
	XORL(EAX, EAX)
	mulRow(rowSrc{RSI, 0}, limbs, R13, 0, true)
	ADDQ(U8(8), RBX)
	ADDQ(U8(8), R13)
	DECQ(R14)
	JNZ(LabelRef("mulrow"))
	reduceAndStore(t, "mul")
}

func sqrMontADX() {
	TEXT("sqrMontADX", NOSPLIT, "func(z, x, m *[32]uint64, k0 uint64)")
	Doc("sqrMontADX sets z = x*x/2^2048 mod m for x < m; z may alias x.")
	t := AllocLocal(8 * 2 * limbs)
	montArgs(false)
	XORL(EAX, EAX)
	for j := range 2 * limbs {
		MOVQ(RAX, t.Offset(8*j))
	}
	LEAQ(t, R13)
	Comment("The products x[i]*x[j], i < j: row i covers limbs 2i+1 .. i+32.")
	for i := range limbs - 1 {
		MOVQ(Mem{Base: RSI, Disp: 8 * i}, RDX)
		XORL(EAX, EAX)
		mulRow(rowSrc{RSI, i + 1}, limbs-1-i, R13, 2*i+1, true)
	}
	Comment("Double them and add the squares x[i]^2 at limbs 2i, 2i+1.")
	XORL(EAX, EAX)
	for i := range limbs {
		lo, hi := R9, R10
		a, b := R11, R12
		MOVQ(Mem{Base: RSI, Disp: 8 * i}, RDX)
		MULXQ(RDX, lo, hi)
		MOVQ(Mem{Base: R13, Disp: 16 * i}, a)
		MOVQ(Mem{Base: R13, Disp: 16*i + 8}, b)
		ADCXQ(a, a)
		ADOXQ(lo, a)
		ADCXQ(b, b)
		ADOXQ(hi, b)
		MOVQ(a, Mem{Base: R13, Disp: 16 * i})
		MOVQ(b, Mem{Base: R13, Disp: 16*i + 8})
	}
	reduceAndStore(t, "sqr")
}
