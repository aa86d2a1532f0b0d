// Command asm generates sha256x2_amd64.s for package kdf: SHA-256
// compression of two independent messages at once with the SHA extensions
// (SHA-NI). It is run by `go generate ./kdf/...` from the repository root
// (see the directive in sha256x2_amd64.go); the output is committed and must
// be reproduced byte for byte.
//
// # Why two at once
//
// One SHA-256 stream is a chain: each SHA256RNDS2 (two rounds) needs the
// state the previous one produced, so a single stream runs at the latency of
// that instruction while the unit could start another every cycle or two.
// The msg_key of one message and the msg_key of the next, or the two hashes
// of one key derivation (a and b of MTProto 2.0), do not depend on each
// other: issuing their rounds side by side keeps the unit busy with two
// chains for the price of about one.
//
// # Register use
//
// Each lane holds its state as ABEF and CDGH (the layout SHA256RNDS2 works
// on), its 16 message words in four registers and one scratch register:
// 14 registers for two lanes. X0 is the implicit round-constant operand of
// SHA256RNDS2, shared by the lanes (register renaming separates its uses),
// and X15 holds the byte-swap mask. The states at the start of a block are
// kept on the stack for the final addition.
//
// Reference: Intel, "Intel SHA Extensions" (2013), and FIPS 180-4 for
// SHA-256 itself.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// k256 are the SHA-256 round constants (FIPS 180-4, section 4.2.2).
var k256 = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

type lane struct {
	state   Mem // *[8]uint32 in H0..H7 order
	p       GPPhysical
	s0, s1  VecPhysical // ABEF, CDGH
	m       [4]VecPhysical
	t       VecPhysical
	save0   Mem
	save1   Mem
	comment string
}

func main() {
	ConstraintExpr("!purego")

	k := GLOBL("k256x2", RODATA|NOPTR)
	for i, v := range k256 {
		DATA(4*i, U32(v))
	}
	flip := GLOBL("flipMask", RODATA|NOPTR)
	DATA(0, U64(0x0405060700010203))
	DATA(8, U64(0x0c0d0e0f08090a0b))

	TEXT("sha256x2Blocks", NOSPLIT, "func(s1, s2 *[8]uint32, p1, p2 *byte, n int)")
	Doc("sha256x2Blocks runs the SHA-256 compression function over n",
		"consecutive 64-byte blocks at p1 into s1 and over n blocks at p2 into s2.")
	frame := AllocLocal(64)

	lanes := [2]*lane{
		{p: RSI, s0: X1, s1: X2, m: [4]VecPhysical{X3, X4, X5, X6}, t: X7, save0: frame.Offset(0), save1: frame.Offset(16), comment: "lane 1"},
		{p: RDI, s0: X8, s1: X9, m: [4]VecPhysical{X10, X11, X12, X13}, t: X14, save0: frame.Offset(32), save1: frame.Offset(48), comment: "lane 2"},
	}
	Load(Param("s1"), RAX)
	Load(Param("s2"), RBX)
	Load(Param("p1"), RSI)
	Load(Param("p2"), RDI)
	Load(Param("n"), RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	LEAQ(k, RDX)
	VMOVDQU(flip, X15)

	states := [2]GPPhysical{RAX, RBX}
	Comment("Load H0..H7 as ABEF and CDGH.")
	for i, l := range lanes {
		s := states[i]
		VMOVDQU(Mem{Base: s}, l.s0)           // A B C D (dword 0 = A)
		VMOVDQU(Mem{Base: s, Disp: 16}, l.s1) // E F G H
		PSHUFD(U8(0xb1), l.s0, l.s0)          // B A D C
		PSHUFD(U8(0x1b), l.s1, l.s1)          // H G F E
		VMOVDQA(l.s0, l.t)
		PALIGNR(U8(8), l.s1, l.s0)   // F E B A = ABEF
		PBLENDW(U8(0xf0), l.t, l.s1) // H G D C = CDGH
	}

	Label("block")
	for _, l := range lanes {
		VMOVDQU(l.s0, l.save0)
		VMOVDQU(l.s1, l.save1)
	}
	for j := 0; j < 16; j++ {
		for _, l := range lanes {
			Comment(fmt.Sprintf("%s, rounds %d-%d", l.comment, 4*j, 4*j+3))
			cur := l.m[j%4]
			if j < 4 {
				VMOVDQU(Mem{Base: l.p, Disp: 16 * j}, cur)
				VPSHUFB(X15, cur, cur)
			} else {
				// W[t..t+3] = MSG2(MSG1(W[t-16..], W[t-12..]) + W[t-7..t-4], W[t-4..t-1])
				SHA256MSG1(l.m[(j+1)%4], cur)
				VPALIGNR(U8(4), l.m[(j+2)%4], l.m[(j+3)%4], l.t)
				PADDD(l.t, cur)
				SHA256MSG2(l.m[(j+3)%4], cur)
			}
			VPADDD(Mem{Base: RDX, Disp: 16 * j}, cur, X0)
			SHA256RNDS2(X0, l.s0, l.s1)
			PSHUFD(U8(0x0e), X0, X0)
			SHA256RNDS2(X0, l.s1, l.s0)
		}
	}
	for _, l := range lanes {
		VPADDD(l.save0, l.s0, l.s0)
		VPADDD(l.save1, l.s1, l.s1)
		ADDQ(U8(64), l.p)
	}
	DECQ(RCX)
	JNZ(LabelRef("block"))

	Comment("Store ABEF and CDGH back as H0..H7.")
	for i, l := range lanes {
		s := states[i]
		PSHUFD(U8(0x1b), l.s0, l.s0) // A B E F
		PSHUFD(U8(0xb1), l.s1, l.s1) // G H C D
		VMOVDQA(l.s0, l.t)
		PBLENDW(U8(0xf0), l.s1, l.s0) // A B C D
		PALIGNR(U8(8), l.t, l.s1)     // E F G H
		VMOVDQU(l.s0, Mem{Base: s})
		VMOVDQU(l.s1, Mem{Base: s, Disp: 16})
	}
	Label("done")
	RET()

	Generate()
}
