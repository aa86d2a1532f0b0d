//go:build !purego

package secret

import (
	"github.com/klauspost/cpuid/v2"
	"golang.org/x/sys/cpu"
)

//go:generate go run -C asm . -out ../sha256x2_amd64.s -pkg secret

// sha256x2Blocks runs the SHA-256 compression function over n consecutive
// 64-byte blocks at p1 into s1 and over n blocks at p2 into s2, the two
// chains interleaved (see asm/asm.go).
//
//go:noescape
func sha256x2Blocks(s1, s2 *[8]uint32, p1, p2 *byte, n int)

// hasSHA2x reports whether the two-lane kernel can run: SHA extensions for
// the rounds, AVX and SSE4.1 for the moves around them. x/sys/cpu has no
// flag for the SHA extensions on x86, hence cpuid; the other flags come from
// x/sys/cpu so that GODEBUG (cpu.avx=off) can switch the kernel off.
var hasSHA2x = cpuid.CPU.Supports(cpuid.SHA) && cpu.X86.HasAVX && cpu.X86.HasSSE41 && cpu.X86.HasSSSE3

func blocks2(s1, s2 *[8]uint32, p1, p2 []byte, n int) {
	sha256x2Blocks(s1, s2, &p1[0], &p2[0], n)
}
