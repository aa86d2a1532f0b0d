//go:build !purego

package kdf

import (
	"github.com/secretbench/secretbench/internal/cpufeat"
	"github.com/secretbench/secretbench/internal/impl"
	"golang.org/x/sys/cpu"
)

//go:generate go run -C asm . -out ../sha256x2_amd64.s -pkg kdf

// sha256x2Blocks runs the SHA-256 compression function over n consecutive
// 64-byte blocks at p1 into s1 and over n blocks at p2 into s2, the two
// chains interleaved (see asm/asm.go).
//
//go:noescape
func sha256x2Blocks(s1, s2 *[8]uint32, p1, p2 *byte, n int)

// archImpls lists the kernels of this architecture, preferred first.
// "sha-ni-x2" needs the SHA extensions for the rounds (internal/cpufeat:
// x/sys/cpu has no flag for them on x86) and AVX and SSE4.1 for the moves
// around them; those come from x/sys/cpu, so GODEBUG=cpu.avx=off switches
// the kernel off.
var archImpls = []impl.Impl{
	{Name: "sha-ni-x2", Available: cpufeat.X86.HasSHA && cpu.X86.HasAVX && cpu.X86.HasSSE41 && cpu.X86.HasSSSE3},
}

func blocks2(s1, s2 *[8]uint32, p1, p2 []byte, n int) {
	sha256x2Blocks(s1, s2, &p1[0], &p2[0], n)
}
