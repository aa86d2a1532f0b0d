//go:build !purego

package ige

import (
	"fmt"
	"testing"
	"unsafe"
)

// BenchmarkBatchKernel times the kernels alone, every lane on the dummy
// buffer (kind=kernel: the ceiling the scheduler can reach; kind=kernel-zmm:
// the 24-, 16- and 8-lane kernels on zmm registers that AVX-512 CPUs use
// instead of the ymm and xmm ones), next to two
// bounds in the same units: kind=bound is AESBound's pure AES throughput
// with one key schedule in registers, kind=bound-distinct-keys the same
// with a distinct schedule per lane loaded by every AES instruction, as the
// kernels must (32 lanes only). Compare them side by side:
//
//	go test -run '^$' -bench BatchKernel -count 5 ./ige | tee /tmp/k.txt
//	benchstat -col /kind /tmp/k.txt
func BenchmarkBatchKernel(b *testing.B) {
	c, err := NewCipher(make([]byte, KeySize))
	if err != nil {
		b.Fatal(err)
	}
	widths := batchWidths()
	zmm := len(widths) > 0 && widths[0] == maxLanes
	if zmm {
		widths = []int{32, 24, 16, 8}
	}
	for _, lanes := range widths {
		kinds := []string{"kernel", "bound"}
		if lanes == 32 {
			kinds = append(kinds, "bound-distinct-keys")
		} else if lanes == 24 {
			kinds = []string{"kernel-zmm"}
		} else if zmm {
			kinds = append(kinds, "kernel-zmm")
		}
		for _, kind := range kinds {
			b.Run(fmt.Sprintf("lanes=%d/kind=%s", lanes, kind), func(b *testing.B) {
				var st batchState
				st.init()
				p := lanesPerReg(lanes, zmm && kind != "kernel" || lanes == 32)
				for l := range lanes {
					key := make([]byte, KeySize)
					key[0], key[1] = byte(l), 0xa5
					lc, err := NewCipher(key)
					if err != nil {
						b.Fatal(err)
					}
					st.loadKeys(lc, l, p, false)
				}
				b.SetBytes(int64(lanes * batchChunk * BlockSize))
				b.ReportAllocs()
				for b.Loop() {
					switch kind {
					case "kernel":
						st.kernel(lanes, lanes == 32, false, batchChunk)
					case "kernel-zmm":
						st.kernel(lanes, true, false, batchChunk)
					case "bound":
						aesBoundLanes(c, lanes, batchChunk)
					default:
						boundDistinctAVX512(st.rows(), batchChunk)
					}
				}
			})
		}
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
		st.ptrs.idle[l] = unsafe.Add(dummy, idleAt)
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
		{"stageSize", stageSize, 8704},
		{"rowsSize", rowsSize, 26624},
		{"lanePtrs.src", unsafe.Offsetof(p.src), 0},
		{"lanePtrs.dst", unsafe.Offsetof(p.dst), 256},
		{"lanePtrs.idle", unsafe.Offsetof(p.idle), 512},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, the kernels use %d", c.name, c.got, c.want)
		}
	}
}
