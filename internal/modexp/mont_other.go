//go:build !(amd64 || arm64) || purego

package modexp

// No assembly: the portable kernels only.
const (
	haveIFMA  = false
	haveAsm64 = false
	asm64Name = ""
)

func amm52IFMA(out, a, b *nat52, m *[2]nat52, k0 uint64) {
	panic("modexp: no IFMA kernels in this build")
}

func amm52x4IFMA(out, a, b *[4]nat52, m *[2]nat52, k0 uint64) {
	panic("modexp: no IFMA kernels in this build")
}

func mulMontAsm(z, x, y, m *nat64, k0 uint64) { panic("modexp: no assembly kernels in this build") }
func sqrMontAsm(z, x, m *nat64, k0 uint64)    { panic("modexp: no assembly kernels in this build") }
func mulSmallAsm(z, x *nat64, c uint64, m *nat64, k0 uint64, steps int) {
	panic("modexp: no assembly kernels in this build")
}

func selectAsm64(z *nat64, table []nat64, idx int) {
	panic("modexp: no assembly kernels in this build")
}

const ifmaBuilt = false
