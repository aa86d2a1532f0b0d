//go:build !purego

package ige

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/secretbench/secretbench/internal/raceflag"
)

// alignedJobs builds n jobs of blocks blocks each whose Src (and, in place,
// Dst) start 4 KiB-aligned, so that every lane's current line falls in one
// L1 set and the scheduler's stagger (setWays, shortJob) decides when each
// job starts.
func alignedJobs(t *testing.T, n int, blocks func(i int) int, inPlace bool) []Job {
	t.Helper()
	r := newRand(t)
	stride := 0
	for i := range n {
		stride = max(stride, 16*blocks(i))
	}
	stride = (stride + 4095) &^ 4095
	slab := randBytes(r, n*stride+4096)
	base := -int(uintptr(unsafe.Pointer(&slab[0]))) & 4095
	jobs := make([]Job, n)
	for i := range jobs {
		src := slab[base+i*stride:][: 16*blocks(i) : 16*blocks(i)]
		dst := src
		if !inPlace {
			dst = randBytes(r, len(src))
		}
		c, err := NewCipher(randBytes(r, KeySize))
		if err != nil {
			t.Fatal(err)
		}
		jobs[i] = Job{Cipher: c, IV: randBytes(r, IVSize), Dst: dst, Src: src}
	}
	return jobs
}

// TestBatchLanesSetStagger: jobs that all start in one L1 set, long
// (staggered at every width) and short (started together in the 32-lane
// kernel, which then must not narrow), in place and not, against the
// generic code.
func TestBatchLanesSetStagger(t *testing.T) {
	long := shortJob + 44
	for _, lanes := range batchWidths() {
		for _, inPlace := range []bool{false, true} {
			for _, c := range []struct {
				name   string
				n      int
				blocks func(i int) int
			}{
				{"long, more than the lanes", lanes + 5, func(int) int { return long }},
				{"short, one and a half batches", lanes + lanes/2, func(int) int { return shortJob }},
				{"long and short alternating", 2 * lanes, func(i int) int {
					if i%2 == 1 {
						return long + i
					}
					return 4
				}},
				{"short first, long after", lanes + 9, func(i int) int {
					if i < lanes {
						return shortJob - i%3
					}
					return long
				}},
			} {
				jobs := alignedJobs(t, c.n, c.blocks, inPlace)
				checkBatchLanes(t, fmt.Sprintf("%s (in place %v)", c.name, inPlace), jobs, lanes)
			}
		}
	}
}

func TestL1Set(t *testing.T) {
	var buf [8192]byte
	p := unsafe.Pointer(&buf[0])
	if l1Set(p) != l1Set(unsafe.Add(p, 4096)) {
		t.Error("lines 4 KiB apart in different sets")
	}
	if l1Set(p) == l1Set(unsafe.Add(p, 64)) {
		t.Error("adjacent lines in one set")
	}
}

// TestBatchLanesFewStreams: 2 to 25 streams of random lengths at every
// width; with AVX-512 these run on the 8-, 16- and 24-lane zmm kernels
// (two, four and six registers), which the other tests reach only by
// narrowing.
func TestBatchLanesFewStreams(t *testing.T) {
	r := newRand(t)
	for _, lanes := range batchWidths() {
		for n := 2; n <= 25; n++ {
			blocks := make([]int, n)
			for i := range blocks {
				blocks[i] = 1 + r.IntN(3*batchChunk/2)
			}
			checkBatchLanes(t, fmt.Sprintf("%d streams", n), makeJobs(r, blocks, r.IntN(16)), lanes)
		}
	}
}

// TestBatchLanesAllocs: no allocation at any width and job count (the
// scheduler's state, some 30 KiB, lives on the stack).
func TestBatchLanesAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	r := newRand(t)
	for _, lanes := range batchWidths() {
		// Job counts that start each width of every family (and drain
		// through the narrower ones to the single-stream finish).
		for _, n := range []int{2, 6, 9, 20, 33} {
			blocks := make([]int, n)
			for i := range blocks {
				blocks[i] = 1 + r.IntN(300)
			}
			jobs := makeJobs(r, blocks, 0)
			for name, f := range map[string]func(){
				"encrypt": func() { encryptBatchLanes(jobs, lanes) },
				"decrypt": func() { decryptBatchLanes(jobs, lanes) },
			} {
				if a := testing.AllocsPerRun(5, f); a != 0 {
					t.Errorf("lanes=%d, %d jobs, %s: %v allocations, want 0", lanes, n, name, a)
				}
			}
		}
	}
}
