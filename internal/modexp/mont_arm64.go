//go:build arm64 && !purego

package modexp

// Every arm64 CPU has MUL and UMULH: mont64_arm64.s always runs.
const (
	haveIFMA  = false
	haveAsm64 = true
	asm64Name = "arm64"
)

func amm52IFMA(out, a, b *nat52, m *[2]nat52, k0 uint64) {
	panic("modexp: no IFMA kernels in this build")
}

func amm52x4IFMA(out, a, b *[4]nat52, m *[2]nat52, k0 uint64) {
	panic("modexp: no IFMA kernels in this build")
}

//go:noescape
func mulMontARM64(z, x, y, m *nat64, k0 uint64)

func mulMontAsm(z, x, y, m *nat64, k0 uint64) { mulMontARM64(z, x, y, m, k0) }
func sqrMontAsm(z, x, m *nat64, k0 uint64)    { mulMontARM64(z, x, x, m, k0) }

func mulSmallAsm(z, x *nat64, c uint64, m *nat64, k0 uint64, steps int) {
	mulSmallGeneric(z, x, c, m, k0, steps)
}

func selectAsm64(z *nat64, table []nat64, idx int) { selectGeneric(z, table, idx) }

const ifmaBuilt = false
