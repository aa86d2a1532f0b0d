// Command asm generates ige_amd64.s, the AES-NI single-stream code of package
// ige: AES-256 key expansion, one-block encrypt and decrypt, IGE encrypt and
// decrypt over one stream, and the serial-chain bound. It is run by
// `go generate ./ige/...` from the repository root (see the directive in
// ige_amd64.go); the output is committed and must be reproduced byte for
// byte.
//
// # Layout
//
// Round keys are bytes in FIPS-197 order, 15 blocks of 16 bytes, exactly what
// MOVOU loads into a register for AESENC. The decryption schedule is that of
// the equivalent inverse cipher (FIPS-197 section 5.3.5): the encryption round
// keys reversed, AESIMC applied to rounds 1..13, the layout AESDEC expects.
//
// # Critical path
//
// IGE is serial: y_i = E(x_i ^ y_{i-1}) ^ x_{i-1}. Only the AES rounds need
// to be on the chain from y_{i-1} to y_i: x_i ^ k0 and k14 ^ x_{i-1} do not
// depend on the previous result, so they are computed beside the chain and
// the chain is one PXOR, 13 AESENC and one AESENCLAST per block. Decryption
// is the same with AESDEC and x, y swapped.
//
// Key expansion computes SubWord with AESENCLAST on a broadcast word rather
// than with AESKEYGENASSIST, whose latency is about twice as long; see
// expandKey.
//
// References: FIPS-197 (https://csrc.nist.gov/pubs/fips/197/final); Intel,
// "Advanced Encryption Standard (AES) New Instructions Set" white paper
// (the AES instructions, the equivalent inverse cipher with AESIMC).
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

func main() {
	ConstraintExpr("!purego")

	expandKey()
	cryptBlock(encrypt)
	cryptBlock(decrypt)
	cryptIGE(encrypt)
	cryptIGE(decrypt)
	boundSerial()

	Generate()
}
