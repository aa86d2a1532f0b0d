//go:build !purego

package cpufeat

//go:generate go run -C asm . -out ../cpuid_amd64.s -pkg cpufeat

func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

func init() {
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < 7 {
		return
	}
	_, ebx7, ecx7, _ := cpuid(7, 0)
	X86.HasSHA = ebx7&(1<<29) != 0
	X86.HasVAES = ecx7&(1<<9) != 0
}
