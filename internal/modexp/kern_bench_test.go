package modexp

import (
	"github.com/secretbench/secretbench/internal/cputime"
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
			cpu := cputime.StartThread()
			for b.Loop() {
				w.mul(&x, &x, &y)
			}
			cpu.Report(b)
		})
		b.Run("op=sqr/impl="+name, func(b *testing.B) {
			cpu := cputime.StartThread()
			for b.Loop() {
				w.sqr(&x, &x)
			}
			cpu.Report(b)
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

// BenchmarkKernel28 times the four-way radix-2^28 multiplication (one call
// is four products: compare a quarter of it with BenchmarkKernel64).
func BenchmarkKernel28(b *testing.B) {
	if !haveAVX2Batch {
		b.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(33, 34))
	m := randOddBig(r, 256)
	w := newMont28(m.Bytes())
	var x, y nat28x4
	for k := range 4 {
		setLane28(&x, k, randBelow(r, m))
		setLane28(&y, k, randBelow(r, m))
	}
	b.Run("op=mul4/impl=avx2", func(b *testing.B) {
		cpu := cputime.StartThread()
		for b.Loop() {
			w.mul(&x, &x, &y)
		}
		cpu.Report(b)
	})
	b.Run("op=sqr4/impl=avx2", func(b *testing.B) {
		cpu := cputime.StartThread()
		for b.Loop() {
			w.sqr(&x, &x)
		}
		cpu.Report(b)
	})
}
