package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// selectCT copies entry idx of a table of n entries of words uint64 each
// (words a multiple of 8) to z, reading every entry: for each 64-byte
// column the entries are ANDed with a mask that is all ones only where the
// entry counter equals idx, and ORed together. SSE2 only, so every amd64 CPU
// runs it; the addresses depend on words and n alone.
func selectCT() {
	TEXT("selectCT", NOSPLIT, "func(z *uint64, table *uint64, words, n, idx int)")
	Doc("selectCT sets z[0:words] = table[idx*words:(idx+1)*words] in time and",
		"with memory accesses independent of idx. words must be a positive",
		"multiple of 8 and n positive.")
	Load(Param("z"), RDI)
	Load(Param("table"), RSI)
	Load(Param("words"), R10)
	Load(Param("n"), R8)
	Load(Param("idx"), R9)
	SHLQ(U8(3), R10) // the stride in bytes
	MOVQ(R9, X15)
	PSHUFL(U8(0), X15, X15) // idx in every 32-bit lane
	MOVL(U32(1), EAX)
	MOVQ(RAX, X14)
	PSHUFL(U8(0), X14, X14) // 1 in every lane
	XORQ(R11, R11)          // column offset in bytes
	Label("column")
	acc := []VecPhysical{X0, X1, X2, X3}
	for _, a := range acc {
		PXOR(a, a)
	}
	PXOR(X13, X13) // entry counter
	LEAQ(Mem{Base: RSI, Index: R11, Scale: 1}, R12)
	MOVQ(R8, R13)
	Label("entry")
	MOVOU(X13, X12)
	PCMPEQL(X15, X12)
	for k, a := range acc {
		MOVOU(Mem{Base: R12, Disp: 16 * k}, X4)
		PAND(X12, X4)
		POR(X4, a)
	}
	PADDL(X14, X13)
	ADDQ(R10, R12)
	DECQ(R13)
	JNZ(LabelRef("entry"))
	for k, a := range acc {
		MOVOU(a, Mem{Base: RDI, Index: R11, Scale: 1, Disp: 16 * k})
	}
	ADDQ(U8(64), R11)
	CMPQ(R11, R10)
	JB(LabelRef("column"))
	RET()
}

// selectCTAVX2 is selectCT for CPUs with AVX2, for tables of 32-word
// entries: one whole entry per step in eight 256-bit accumulators.
func selectCTAVX2() {
	TEXT("selectCTAVX2", NOSPLIT, "func(z *[32]uint64, table *[32]uint64, n, idx int)")
	Doc("selectCTAVX2 sets z = table[idx] for a table of n 32-word entries,",
		"in time and with memory accesses independent of idx. n must be positive.")
	Load(Param("z"), RDI)
	Load(Param("table"), RSI)
	Load(Param("n"), R8)
	Load(Param("idx"), R9)
	MOVQ(R9, X15)
	VPBROADCASTD(X15, Y15) // idx in every 32-bit lane
	MOVL(U32(1), EAX)
	MOVQ(RAX, X14)
	VPBROADCASTD(X14, Y14) // 1 in every lane
	acc := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	for _, a := range acc {
		VPXOR(a, a, a)
	}
	VPXOR(Y13, Y13, Y13) // entry counter
	Label("entry")
	VPCMPEQD(Y15, Y13, Y12)
	for k, a := range acc {
		VPAND(Mem{Base: RSI, Disp: 32 * k}, Y12, Y8)
		VPOR(Y8, a, a)
	}
	VPADDD(Y14, Y13, Y13)
	ADDQ(U32(8*limbs), RSI)
	DECQ(R8)
	JNZ(LabelRef("entry"))
	for k, a := range acc {
		VMOVDQU(a, Mem{Base: RDI, Disp: 32 * k})
	}
	VZEROUPPER()
	RET()
}
