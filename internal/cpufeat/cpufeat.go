// Package cpufeat reports the x86 CPU features that golang.org/x/sys/cpu
// does not: the SHA extensions (kdf's two-lane SHA-256 kernel) and VAES
// without AVX-512 (ige's ymm batch kernel). It reads them with CPUID once at
// start-up. The packages that use a flag combine it with x/sys/cpu flags
// (AVX, AVX2, AES, ...), so GODEBUG=cpu.avx=off and the like still switch
// their kernels off. klauspost/cpuid stays out of the core packages: it is
// for the CLI's report only.
package cpufeat

// X86 holds the features; all false off amd64 and with -tags purego.
var X86 struct {
	HasSHA  bool // SHA-1 and SHA-256 extensions (SHA-NI): CPUID.(7,0):EBX[29]
	HasVAES bool // VAES, on ymm where AVX2 is present: CPUID.(7,0):ECX[9]
}
