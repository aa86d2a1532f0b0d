//go:build !purego

package ige

import (
	"fmt"
	"testing"
	"unsafe"
)

// BenchmarkBatchKernel times the kernels alone, every lane on the dummy
// buffer: the ceiling the scheduler can reach.
func BenchmarkBatchKernel(b *testing.B) {
	for _, lanes := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("lanes=%d", lanes), func(b *testing.B) {
			var st batchState
			st.init()
			b.SetBytes(int64(lanes * batchChunk * BlockSize))
			for b.Loop() {
				st.kernel(lanes, false, batchChunk)
			}
		})
	}
}

// init prepares a zero batchState, every lane idle, as runBatch does.
func (st *batchState) init() {
	st.align = st.window()
	dummy := unsafe.Pointer(&st.dummy[0])
	dummy = unsafe.Add(dummy, -uintptr(dummy)&63)
	for l := range maxLanes {
		st.ptrs.src[l], st.ptrs.dst[l] = dummy, dummy
	}
	for l := range st.ptrs.idle {
		st.ptrs.idle[l] = unsafe.Add(dummy, 64)
	}
}

// TestBatchLayout pins the offsets the generator (asm/batch/main.go)
// compiles into the kernels; change both together.
func TestBatchLayout(t *testing.T) {
	var p lanePtrs
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"keysOff", keysOff, 0},
		{"aOff", aOff, 7680},
		{"bOff", bOff, 8192},
		{"inOff", inOff, 8704},
		{"stageOff", stageOff, 9216},
		{"stageSize", stageSize, 4608},
		{"rowsSize", rowsSize, 18432},
		{"lanePtrs.src", unsafe.Offsetof(p.src), 0},
		{"lanePtrs.dst", unsafe.Offsetof(p.dst), 256},
		{"lanePtrs.idle", unsafe.Offsetof(p.idle), 512},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, the kernels use %d", c.name, c.got, c.want)
		}
	}
}
