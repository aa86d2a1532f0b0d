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
