//go:build amd64 && !purego

package modexp

import "golang.org/x/sys/cpu"

// useIFMA selects the AVX-512 IFMA kernels (read once; GODEBUG=cpu.avx512f=off
// disables them).
var useIFMA = cpu.X86.HasAVX512F && cpu.X86.HasAVX512IFMA

var (
	amm52   = amm52IFMA
	amm52x4 = amm52x4IFMA
)

// amm52x40 accumulates AMM(a, b) into acc as 40 unnormalized 64-bit lanes;
// m points at the modulus and the modulus shifted down one limb.
//
//go:noescape
func amm52x40(acc *[limbs52]uint64, a, b *nat52, m *[2]nat52, k0 uint64)

func amm52IFMA(out, a, b *nat52, m *[2]nat52, k0 uint64) {
	var acc [limbs52]uint64
	amm52x40(&acc, a, b, m, k0)
	normalize52(out, &acc)
}

// amm52x40x4 is four independent AMMs modulo the same m, interleaved.
//
//go:noescape
func amm52x40x4(acc *[4][limbs52]uint64, a, b *[4]nat52, m *[2]nat52, k0 uint64)

func amm52x4IFMA(out, a, b *[4]nat52, m *[2]nat52, k0 uint64) {
	var acc [4][limbs52]uint64
	amm52x40x4(&acc, a, b, m, k0)
	for k := range out {
		normalize52(&out[k], &acc[k])
	}
}
