package modexp

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkKernel64 times the radix-2^64 building blocks one by one.
func BenchmarkKernel64(b *testing.B) {
	r := rand.New(rand.NewPCG(31, 32))
	m := randOddBig(r, 256)
	for _, asm := range []bool{true, false} {
		if asm && !haveAsm64 {
			continue
		}
		w := newMont64(m.Bytes(), asm)
		var x, y nat64
		x.setBig(randBelow(r, m))
		y.setBig(randBelow(r, m))
		name := map[bool]string{true: "asm", false: "generic"}[asm]
		b.Run("op=mul/impl="+name, func(b *testing.B) {
			for b.Loop() {
				w.mul(&x, &x, &y)
			}
		})
		b.Run("op=sqr/impl="+name, func(b *testing.B) {
			for b.Loop() {
				w.sqr(&x, &x)
			}
		})
		var table [1 << ctWindow]nat64
		b.Run("op=select/impl="+name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				w.sel(&x, &table, i&31)
				i++
			}
		})
	}
}
