//go:build amd64 && !purego

package modexp

import "golang.org/x/sys/cpu"

// haveAVX2Batch: the four-way radix-2^28 AVX2 kernel can run.
var haveAVX2Batch = cpu.X86.HasAVX2

// amm28x4 sets z = AMM(a, b) lane by lane; m points at mont28.m, followed by
// k0 and the mask. z may alias a or b.
//
//go:noescape
func amm28x4(z, a, b, m *nat28x4)

// sqr28x4 is amm28x4(z, a, a), faster; z may alias a.
//
//go:noescape
func sqr28x4(z, a, m *nat28x4)
