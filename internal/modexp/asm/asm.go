// Command asm generates mont_amd64.s for package modexp: the Montgomery
// kernels of its 2048-bit fixed-width arithmetic. It is run by
// `go generate ./internal/modexp/...` from the repository root (see the
// directive in mont_amd64.go); the output is committed and must be
// reproduced byte for byte.
//
// Four families of kernels come out of it:
//
//   - amm52x40 and amm52x40x4 (ifma.go): "almost Montgomery" multiplication in
//     radix 2^52 with AVX-512 IFMA, one at a time or four interleaved.
//   - mulMontADX and sqrMontADX (mulx.go): Montgomery multiplication and
//     squaring in radix 2^64 with MULX, ADCX and ADOX (BMI2 and ADX), for
//     CPUs without IFMA.
//   - selectCT (sel.go): the constant-time table lookup of the fixed-window
//     exponentiation, which reads every entry and keeps one with masks.
//   - amm28x4 and sqr28x4 (avx2.go): four independent Montgomery
//     multiplications (squarings) in radix 2^28, one per 64-bit lane of the
//     256-bit registers, with AVX2's VPMULUDQ; the batch of variable-time
//     exponentiations on CPUs without IFMA.
//
// Every kernel has fixed loop counts and addresses that depend only on the
// lengths of its inputs, never on their values.
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

func main() {
	ConstraintExpr("!purego")
	ifma()
	mulx()
	selectCT()
	selectCTAVX2()
	amm28x4()
	sqr28x4()
	Generate()
}
