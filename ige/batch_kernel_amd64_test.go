//go:build !purego

package ige

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"
)

// BenchmarkBatchKernel times the kernels alone, every lane on the dummy
// buffer (kind=kernel: the ceiling the scheduler can reach), for every
// family this CPU runs and each of its widths, next to two bounds in the
// same units at the family's widest: kind=bound is AESBound's pure AES
// throughput with one key schedule in registers, kind=bound-distinct-keys
// the same with a distinct schedule per lane loaded by every AES
// instruction, as the kernels must. Besides wall time it reports cpu-ns/op,
// the benchmark thread's CPU time. Compare them side by side:
//
//	go test -run '^$' -bench BatchKernel -count 5 ./ige | tee /tmp/k.txt
//	benchstat -col /kind /tmp/k.txt
func BenchmarkBatchKernel(b *testing.B) {
	c, err := NewCipher(make([]byte, KeySize))
	if err != nil {
		b.Fatal(err)
	}
	names := [...]string{familySSE: "sse", familyAVX2: "avx2", familyAVX512: "avx512"}
	for _, widest := range batchWidths() {
		f := familyOf(widest)
		for _, lanes := range familyWidths[f] {
			kinds := []string{"kernel"}
			if lanes == widest {
				kinds = append(kinds, "bound", "bound-distinct-keys")
			}
			for _, kind := range kinds {
				b.Run(fmt.Sprintf("family=%s/lanes=%d/kind=%s", names[f], lanes, kind), func(b *testing.B) {
					var st batchState
					st.init()
					for l := range lanes {
						key := make([]byte, KeySize)
						key[0], key[1] = byte(l), 0xa5
						lc, err := NewCipher(key)
						if err != nil {
							b.Fatal(err)
						}
						st.loadKeys(lc, l, f.perReg(), false)
					}
					b.SetBytes(int64(lanes * batchChunk * BlockSize))
					b.ReportAllocs()
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					cpu0 := threadCPUNanos()
					for b.Loop() {
						switch {
						case kind == "kernel":
							st.kernel(f, lanes, false, batchChunk)
						case kind == "bound":
							aesBoundLanes(c, lanes, batchChunk)
						case f == familySSE:
							boundDistinctSSE(st.rows(), batchChunk)
						case f == familyAVX2:
							boundDistinctAVX2(st.rows(), batchChunk)
						default:
							boundDistinctAVX512(st.rows(), batchChunk)
						}
					}
					if cpu := threadCPUNanos() - cpu0; cpu > 0 {
						b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
					}
				})
			}
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
		{"ringOff", ringOff, 8704},
		{"kkOff", kkOff, 3840},
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
