//go:build amd64 && !purego

package modexp

import "golang.org/x/sys/cpu"

//go:generate go run -C asm . -out ../mont_amd64.s -pkg modexp

var (
	// haveIFMA: the radix-2^52 AVX-512 IFMA kernels can run.
	haveIFMA = cpu.X86.HasAVX512F && cpu.X86.HasAVX512IFMA
	// haveAsm64: the radix-2^64 MULX/ADCX/ADOX kernels can run.
	haveAsm64 = cpu.X86.HasBMI2 && cpu.X86.HasADX
	// haveAVX2 picks the 256-bit table lookup.
	haveAVX2 = cpu.X86.HasAVX2
)

const asm64Name = "mulx-adx"

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

//go:noescape
func mulMontADX(z, x, y, m *nat64, k0 uint64)

//go:noescape
func sqrMontADX(z, x, m *nat64, k0 uint64)

//go:noescape
func selectCT(z *uint64, table *uint64, words, n, idx int)

//go:noescape
func selectCTAVX2(z *nat64, table *nat64, n, idx int)

// selectAsm64 sets z = table[idx] reading the whole table: AVX2 where the
// CPU has it, else SSE2 (baseline amd64).
func selectAsm64(z *nat64, table []nat64, idx int) {
	if haveAVX2 {
		selectCTAVX2(z, &table[0], len(table), idx)
		return
	}
	selectCT(&z[0], &table[0][0], limbs64, len(table), idx)
}

//go:noescape
func mulSmallADX(z, x *nat64, c uint64, m *nat64, k0 uint64, steps int)

func mulSmallAsm(z, x *nat64, c uint64, m *nat64, k0 uint64, steps int) {
	mulSmallADX(z, x, c, m, k0, steps)
}

func mulMontAsm(z, x, y, m *nat64, k0 uint64) { mulMontADX(z, x, y, m, k0) }
func sqrMontAsm(z, x, m *nat64, k0 uint64)    { sqrMontADX(z, x, m, k0) }

const ifmaBuilt = true
