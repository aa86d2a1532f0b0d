package modexp

import "github.com/secretbench/secretbench/internal/impl"

// kernel is the arithmetic behind moduli of at most 2048 bits; larger
// moduli always use bigmod (constant time) and math/big (variable time).
type kernel int

const (
	kGeneric kernel = iota // portable radix-2^64 Go for constant time, math/big for variable time
	kAsm64                 // radix-2^64 assembly: MULX/ADX on amd64, MUL/UMULH on arm64
	kIFMA                  // radix-2^52 AVX-512 IFMA assembly
)

// active is read when a Modulus or VarTimeModulus is built; impl.Select
// changes it for tests and benchmarks.
var active = best()

func best() kernel {
	switch {
	case haveIFMA:
		return kIFMA
	case haveAsm64:
		return kAsm64
	}
	return kGeneric
}

func kernelName(k kernel) string {
	switch k {
	case kIFMA:
		return "ifma"
	case kAsm64:
		return asm64Name
	}
	return "generic"
}

func init() {
	var impls []impl.Impl
	if ifmaBuilt {
		impls = append(impls, impl.Impl{Name: "ifma", Available: haveIFMA})
	}
	if asm64Name != "" {
		impls = append(impls, impl.Impl{Name: asm64Name, Available: haveAsm64})
	}
	impls = append(impls, impl.Impl{Name: "generic", Available: true})
	impl.Register("modexp", impls, Impl, func(name string) {
		for _, k := range []kernel{kIFMA, kAsm64, kGeneric} {
			if kernelName(k) == name {
				active = k
			}
		}
	})
}

// Impl names the arithmetic that moduli of at most 2048 bits built now
// use: "ifma" (AVX-512 IFMA), "mulx-adx" (amd64 with BMI2 and ADX), "arm64"
// or "generic". It is registered with internal/impl as package "modexp".
func Impl() string { return kernelName(active) }
