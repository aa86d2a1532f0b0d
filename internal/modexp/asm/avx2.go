package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Four-way almost Montgomery multiplication in radix 2^28 with AVX2: lane k
// of every 256-bit register belongs to the k-th of four independent
// products modulo the same m (see mont28.go in package modexp for the
// representation and why the 64-bit column sums cannot overflow).
//
// The product is scanned by columns, four at a time: registers t0..t3 sum
// columns c0..c0+3. For each i they receive a[i]*b[c-i] and q[i]*m[c-i];
// b[c0-i..c0+3-i] and m[c0-i..c0+3-i] sit in two windows of four registers
// that slide down one limb per i (one new load each), so every i costs four
// loads for eight VPMULUDQ. In the low half (c0 < 74) q[c] is chosen when
// column c is complete, so the main loop covers i < c0 and a short
// triangular tail finishes the block column by column: the products with
// i >= c0, the carry from the previous column, q[c] = t*k0 mod 2^28 (stored
// in the frame), t += q[c]*m[0], carry = t >> 28. In the high half every q
// is known: the main loop covers all i that contribute and the block is
// normalized into z[c0-74..c0-71]. z is written only in the high half, at
// limbs below every limb a later block reads, so z may alias a or b.
//
// 74 columns per half are 18 blocks of four and one of two. The low half's
// last block (c0 = 72) is emitted apart, finishing columns 72 and 73 only.
// The high half runs 19 blocks of four up to column 149: columns 148 and 149
// have no products and no carry (the result is below 2^2072), so the last
// block writes zeros into the zero padding limbs 74 and 75 of z.

const (
	n28      = 74
	nat28x4B = 80 * 32    // bytes of a nat28x4 (74 limbs and 6 of zero padding)
	k0Off    = nat28x4B   // mont28.k0 follows mont28.m
	maskOff  = k0Off + 32 // then mont28.mask
)

func amm28x4() {
	TEXT("amm28x4", 0, "func(z, a, b, m *[80][4]uint64)")
	Doc("amm28x4 sets z = a*b/2^2072 mod m (almost: below 2m) in each of four",
		"lanes; m is followed by k0 = -m^-1 mod 2^28 and the mask 2^28-1, all",
		"broadcast. z may alias a or b.")
	q := AllocLocal(n28 * 32)
	Load(Param("z"), RDI)
	Load(Param("a"), RSI)
	Load(Param("b"), RBX)
	Load(Param("m"), RCX)
	LEAQ(q, R8)

	// block emits low block c0 finishing the columns c0..c0+cols-1.
	block := func(name string, cols int) {
		lowBlock(name, name+"_tail")
		MOVQ(c0, cnt)
		SHRQ(U8(5), cnt)
		scan(name+"_loop", cnt, []stream{{pa, A, bw, pb}, {pq, Q, mw, pm}})
		Label(name + "_tail")
		for s := range cols { // a[c0+s]*b[k-s]
			VMOVDQU(Mem{Base: RSI, Index: c0, Scale: 1, Disp: 32 * s}, A)
			for k := s; k < cols; k++ {
				VPMULUDQ(Mem{Base: RBX, Disp: 32 * (k - s)}, A, T)
				VPADDQ(T, t[k], t[k])
			}
		}
		lowTail(c0, cols)
	}

	VPXOR(carry, carry, carry)
	XORQ(c0, c0)
	Comment("Low half: columns 0..73, choosing q.")
	block("low", 4)
	ADDQ(U32(128), c0)
	CMPQ(c0, U32(72*32))
	JB(LabelRef("low"))
	block("low_last", 2)
	ADDQ(U32(64), c0)

	Comment("High half: columns 74..149, every q known.")
	highBlock("high", n28)
	MOVQ(U32(2*n28*32), cnt)
	SUBQ(c0, cnt)
	SHRQ(U8(5), cnt)
	scan("high_loop", cnt, []stream{{pa, A, bw, pb}, {pq, Q, mw, pm}})
	highNormalize(c0)
	ADDQ(U32(128), c0)
	CMPQ(c0, U32(150*32))
	JB(LabelRef("high"))
	VZEROUPPER()
	RET()
}

// Registers shared by the kernels: the column sums of a block, the two
// windows, the scalar operands, a product and the carry between columns.
var (
	t              = [4]VecPhysical{Y0, Y1, Y2, Y3}
	bw             = [4]VecPhysical{Y4, Y5, Y6, Y7}
	mw             = [4]VecPhysical{Y8, Y9, Y10, Y11}
	A, Q, T, carry = Y12, Y13, Y14, Y15
)

// stream is one sum of products x[i]*w[c-i] of a main loop: p points at
// x[i], win holds w[c0-i..c0+3-i] (w[c0+k-i] in win[(k-i)&3]) and wp points
// at w[c0-i-1], the next limb the window needs.
type stream struct {
	p   GPPhysical
	x   VecPhysical
	win [4]VecPhysical
	wp  GPPhysical
}

// scan emits a main loop over i, from i = 0 mod 4 with the windows loaded,
// for cnt (even, positive) values of i: t[k] += x[i]*w[c0+k-i] for every
// stream. The window load that would follow the last i is skipped, so the
// loop reads nothing below w[c0-iEnd]. It exits to name_done.
func scan(name string, cnt GPPhysical, ss []stream) {
	scanExits(name, cnt, ss, name+"_done", name+"_done")
	Label(name + "_done")
}

// scanExits is scan with its two exits named: exitMid after a step i = 1
// mod 4, exitEnd after i = 3 mod 4. A loop that continues the same streams
// for more i is entered at name_mid or name_cont, respectively, with cnt
// set to the number of i still to run: there the skipped window load is
// made and the steps go on.
func scanExits(name string, cnt GPPhysical, ss []stream, exitMid, exitEnd string) {
	Label(name)
	for s := range 4 {
		if s == 2 {
			SUBQ(U8(2), cnt)
			JZ(LabelRef(exitMid))
			Label(name + "_mid")
			for _, st := range ss {
				VMOVDQU(Mem{Base: st.wp, Disp: -32}, st.win[3-1])
			}
		}
		for _, st := range ss {
			VMOVDQU(Mem{Base: st.p, Disp: 32 * s}, st.x)
			for k := range 4 {
				VPMULUDQ(st.win[(k-s)&3], st.x, T)
				VPADDQ(T, t[k], t[k])
			}
		}
		if s == 0 || s == 2 { // the loads for step s+1
			for _, st := range ss {
				VMOVDQU(Mem{Base: st.wp, Disp: -32 * s}, st.win[(3-s)&3])
			}
		}
	}
	for _, st := range ss {
		ADDQ(U8(128), st.p)
		SUBQ(U8(128), st.wp)
	}
	SUBQ(U8(2), cnt)
	JZ(LabelRef(exitEnd))
	Label(name + "_cont")
	for _, st := range ss { // the load for step 3, now for the next step 0
		VMOVDQU(Mem{Base: st.wp, Disp: 32}, st.win[0])
	}
	JMP(LabelRef(name))
}

// scanFused runs the streams ab and qm together for cnt values of i, then
// qm alone for cnt2 more (both even and positive); cnt2 is a register or
// memory operand readable after the first loop.
func scanFused(name string, cnt GPPhysical, cnt2 Op, ab, qm stream) {
	scanExits(name+"_f", cnt, []stream{ab, qm}, name+"_fmid", name+"_fend")
	Label(name + "_fmid")
	MOVQ(cnt2, cnt)
	JMP(LabelRef(name + "_q_mid"))
	Label(name + "_fend")
	MOVQ(cnt2, cnt)
	JMP(LabelRef(name + "_q_cont"))
	scan(name+"_q", cnt, []stream{qm})
}

// The registers of the main loops: a[i] (pa), b[c0-i-1] (pb; a2 for the
// squaring), q[i] (pq), m[c0-i-1] (pm), the count of i, and c0 in bytes.
var pa, pb, pq, pm, cnt, c0 = R10, R11, R12, R13, RDX, R9

// lowBlock starts low block c0: the column sums cleared, then (unless c0 is
// 0, which jumps to skip) the windows at w[c0..c0+3] and m[c0..c0+3] (RBX,
// RCX) and the pointers for i = 0 (x at RSI, q at R8).
func lowBlock(label, skip string) {
	Label(label)
	for _, r := range t {
		VPXOR(r, r, r)
	}
	TESTQ(c0, c0)
	JZ(LabelRef(skip))
	for k := range 4 {
		VMOVDQU(Mem{Base: RBX, Index: c0, Scale: 1, Disp: 32 * k}, bw[k])
		VMOVDQU(Mem{Base: RCX, Index: c0, Scale: 1, Disp: 32 * k}, mw[k])
	}
	MOVQ(RSI, pa)
	MOVQ(R8, pq)
	LEAQ(Mem{Base: RBX, Index: c0, Scale: 1, Disp: -32}, pb)
	LEAQ(Mem{Base: RCX, Index: c0, Scale: 1, Disp: -32}, pm)
}

// highBlock starts high block c0: the column sums cleared, the windows at
// w[iOff..iOff+3], which are zero, and the pointers for i = c0-iOff.
func highBlock(label string, iOff int) {
	Label(label)
	for _, r := range append(t[:], append(bw[:], mw[:]...)...) {
		VPXOR(r, r, r)
	}
	LEAQ(Mem{Base: RSI, Index: c0, Scale: 1, Disp: -iOff * 32}, pa)
	LEAQ(Mem{Base: R8, Index: c0, Scale: 1, Disp: -iOff * 32}, pq)
	LEAQ(Mem{Base: RBX, Disp: (iOff - 1) * 32}, pb)
	LEAQ(Mem{Base: RCX, Disp: (iOff - 1) * 32}, pm)
}

// lowTail finishes the first cols columns of low block c0 (bytes in c0,
// the frame's q at R8, m at CX): for each column in turn the products
// q[i]*m[c-i] with i in the block, the carry in, q[c] = t*k0 mod 2^28
// (stored), t += q[c]*m[0], carry out.
func lowTail(c0 GPPhysical, cols int) {
	for k := range cols {
		for s := range k { // q[c0+s]*m[k-s]
			VMOVDQU(Mem{Base: R8, Index: c0, Scale: 1, Disp: 32 * s}, Q)
			VPMULUDQ(Mem{Base: RCX, Disp: 32 * (k - s)}, Q, T)
			VPADDQ(T, t[k], t[k])
		}
		VPADDQ(carry, t[k], t[k])
		VPMULUDQ(Mem{Base: RCX, Disp: k0Off}, t[k], T)
		VPAND(Mem{Base: RCX, Disp: maskOff}, T, Q)
		VMOVDQU(Q, Mem{Base: R8, Index: c0, Scale: 1, Disp: 32 * k})
		VPMULUDQ(Mem{Base: RCX}, Q, T)
		VPADDQ(T, t[k], t[k])
		VPSRLQ(U8(28), t[k], carry)
	}
}

// highNormalize writes the columns of high block c0 into z (DI), carrying.
func highNormalize(c0 GPPhysical) {
	for k := range 4 {
		VPADDQ(carry, t[k], t[k])
		VPAND(Mem{Base: RCX, Disp: maskOff}, t[k], T)
		VMOVDQU(T, Mem{Base: RDI, Index: c0, Scale: 1, Disp: 32*k - n28*32})
		VPSRLQ(U8(28), t[k], carry)
	}
}

// sqr28x4 is amm28x4 with a == b. A column's products a[i]*a[c-i] pair up
// (i < c-i) around the square a[c/2]^2, so the main loop runs over half of
// them with a doubled copy a2 = 2a in the frame: a2[i]*a[c-i], i < c0/2 for
// every column of the block, and a few products at fixed distances from
// h = c0/2 (plus the squares) complete the columns. Those products are below
// 2^57 and a column has at most 37 of them and one square, so the column sum
// (with the 74 reduction products and the carry) stays below
// 37*2^57 + 2^56 + 74*2^56 + 2^36 < 2^64. The reduction runs in the same
// loop while both last, then alone. In the high half both loops start at
// i = c0-75, one early (reading the zero limbs a2[-1], q[-1] and
// a[75..78], m[75..78]) so that their counts are even, and the reduction
// runs to i = 74 (q[74] = 0). z may alias a: a is read in the windows and
// in the products at h, above every limb already written.
func sqr28x4() {
	TEXT("sqr28x4", 0, "func(z, a, m *[80][4]uint64)")
	Doc("sqr28x4 sets z = a*a/2^2072 mod m (almost: below 2m) in each of four",
		"lanes; m is laid out as for amm28x4. z may alias a.")
	q := AllocLocal(81 * 32)  // q[-1..79]
	a2 := AllocLocal(81 * 32) // a2[-1..79]
	Load(Param("z"), RDI)
	Load(Param("a"), RBX)
	Load(Param("m"), RCX)
	LEAQ(q.Offset(32), R8)
	LEAQ(a2.Offset(32), RSI)

	XORQ(c0, c0)
	Label("sq_double")
	VMOVDQU(Mem{Base: RBX, Index: c0, Scale: 1}, A)
	VPADDQ(A, A, A)
	VMOVDQU(A, Mem{Base: RSI, Index: c0, Scale: 1})
	ADDQ(U8(32), c0)
	CMPQ(c0, U32(n28*32))
	JB(LabelRef("sq_double"))
	VPXOR(A, A, A)
	VMOVDQU(A, Mem{Base: RSI, Disp: -32})
	VMOVDQU(A, Mem{Base: R8, Disp: -32})
	VMOVDQU(A, Mem{Base: R8, Disp: n28 * 32})
	for k := n28; k < 80; k++ {
		VMOVDQU(A, Mem{Base: RSI, Disp: 32 * k})
	}

	// extras adds the products of the block at h = c0/2 (AX = h in bytes).
	extras := func() {
		MOVQ(c0, RAX)
		SHRQ(U8(1), RAX)
		VMOVDQU(Mem{Base: RBX, Index: RAX, Scale: 1}, A)
		VPMULUDQ(A, A, T)
		VPADDQ(T, t[0], t[0])
		for k := 1; k < 4; k++ {
			VPMULUDQ(Mem{Base: RSI, Index: RAX, Scale: 1, Disp: 32 * k}, A, T)
			VPADDQ(T, t[k], t[k])
		}
		VMOVDQU(Mem{Base: RBX, Index: RAX, Scale: 1, Disp: 32}, A)
		VPMULUDQ(A, A, T)
		VPADDQ(T, t[2], t[2])
		VPMULUDQ(Mem{Base: RSI, Index: RAX, Scale: 1, Disp: 64}, A, T)
		VPADDQ(T, t[3], t[3])
	}

	// block emits low block c0 finishing the columns c0..c0+cols-1: the
	// products for i < c0/2 with the reduction, then the reduction alone
	// for c0/2 more.
	block := func(name string, cols int) {
		lowBlock(name, name+"_extras")
		MOVQ(c0, cnt)
		SHRQ(U8(6), cnt)
		MOVQ(cnt, RAX)
		scanFused(name, cnt, RAX, stream{pa, A, bw, pb}, stream{pq, Q, mw, pm})
		Label(name + "_extras")
		extras()
		lowTail(c0, cols)
	}

	VPXOR(carry, carry, carry)
	XORQ(c0, c0)
	Comment("Low half: columns 0..73, choosing q.")
	block("sq_low", 4)
	ADDQ(U32(128), c0)
	CMPQ(c0, U32(72*32))
	JB(LabelRef("sq_low"))
	block("sq_low_last", 2)
	ADDQ(U32(64), c0)

	Comment("High half: columns 74..149, every q known.")
	highBlock("sq_high", n28+1)
	// From i = c0-75: the products for 75 - c0/2 values of i (in bytes
	// (2*75*32 - c0)/64), together with the reduction, then the reduction
	// alone for as many more.
	MOVQ(U32(2*(n28+1)*32), cnt)
	SUBQ(c0, cnt)
	SHRQ(U8(6), cnt)
	MOVQ(cnt, RAX)
	scanFused("sq_high", cnt, RAX, stream{pa, A, bw, pb}, stream{pq, Q, mw, pm})
	extras()
	highNormalize(c0)
	ADDQ(U32(128), c0)
	CMPQ(c0, U32(150*32))
	JB(LabelRef("sq_high"))
	VZEROUPPER()
	RET()
}
