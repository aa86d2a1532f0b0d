//go:build !purego

package ige

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Targeted tests of the multi-stream scheduler and kernels, called at each
// lane width directly (whatever implementation is active) and compared with
// the portable per-job loop.

// batchWidths lists the lane counts this CPU can run.
func batchWidths() []int {
	var w []int
	for _, name := range Implementations() {
		switch name {
		case "vaes-avx512":
			w = append(w, 32)
		case "vaes-avx2":
			w = append(w, 16)
		case "aes-ni":
			w = append(w, 8)
		}
	}
	return w
}

// checkBatchLanes runs jobs through the lanes kernel in both directions and
// compares every Dst (and the bytes after it) with the generic loop.
func checkBatchLanes(t *testing.T, name string, jobs []Job, lanes int) {
	t.Helper()
	for _, dec := range []bool{false, true} {
		want := make([][]byte, len(jobs))
		ivs := make([][]byte, len(jobs))
		srcs := make([][]byte, len(jobs))
		for i := range jobs {
			j := &jobs[i]
			ivs[i] = bytes.Clone(j.IV)
			srcs[i] = bytes.Clone(j.Src)
		}
		for i := range jobs {
			j := &jobs[i]
			out := bytes.Clone(j.Dst)
			iv := [IVSize]byte(j.IV)
			if dec {
				decryptIGEGeneric(j.Cipher, &iv, out, srcs[i])
			} else {
				encryptIGEGeneric(j.Cipher, &iv, out, srcs[i])
			}
			want[i] = out
		}
		if dec {
			decryptBatchLanes(jobs, lanes)
		} else {
			encryptBatchLanes(jobs, lanes)
		}
		for i := range jobs {
			j := &jobs[i]
			if !bytes.Equal(j.Dst, want[i]) {
				n := 0
				for n < len(want[i]) && j.Dst[n] == want[i][n] {
					n++
				}
				var bad []int
				for b := 0; b < len(j.Src)/16; b++ {
					if !bytes.Equal(j.Dst[16*b:16*b+16], want[i][16*b:16*b+16]) {
						bad = append(bad, b)
					}
				}
				nbad := 0
				for k := range jobs {
					if !bytes.Equal(jobs[k].Dst, want[k]) {
						nbad++
					}
				}
				t.Fatalf("%s, lanes=%d, decrypt=%v: job %d of %d (%d blocks) differs from block %d; bad blocks %v; %d jobs bad", name, lanes, dec, i, len(jobs), len(j.Src)/BlockSize, n/BlockSize, bad, nbad)
			}
			if !bytes.Equal(j.IV, ivs[i]) {
				t.Fatalf("%s, lanes=%d: job %d IV modified", name, lanes, i)
			}
		}
	}
}

// makeJobs builds jobs of the given block counts with fresh keys and
// buffers; dst may be shifted by off bytes to test unaligned slices.
func makeJobs(r *rand.Rand, blocks []int, off int) []Job {
	jobs := make([]Job, len(blocks))
	for i, n := range blocks {
		c, _ := NewCipher(randBytes(r, KeySize))
		src := randBytes(r, 16*n+off)[off:]
		dst := randBytes(r, 16*n+off+7)[off:]
		jobs[i] = Job{Cipher: c, IV: randBytes(r, IVSize), Dst: dst, Src: src}
	}
	return jobs
}

func TestBatchLanesShapes(t *testing.T) {
	r := newRand(t)
	fill := func(n, v int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	for _, lanes := range batchWidths() {
		shapes := []struct {
			name   string
			blocks []int
		}{
			{"empty batch", nil},
			{"all zero-length", fill(3*lanes, 0)},
			{"one job", []int{37}},
			{"one block each", fill(lanes, 1)},
			{"same length, finish together", fill(lanes, 64)}, {"same length again", fill(lanes, 64)},
			{"same length, several chunks", fill(lanes, 4*batchChunk+3)},
			{"more jobs than lanes by one", fill(lanes+1, 9)},
			{"twice the lanes", fill(2*lanes, 13)},
			{"one long, many short", append([]int{600}, fill(3*lanes, 2)...)},
			{"many short, one long last", append(fill(3*lanes, 5), 600)},
			{"zero-length between", []int{5, 0, 7, 0, 0, 9, 1, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 3}},
			{"fewer jobs than lanes", fill(lanes/2+1, 21)},
			{"long and short alternating (narrowing)", func() []int {
				s := make([]int, 2*lanes+1)
				for i := range s {
					s[i] = 3 + 97*(i%2) + i
				}
				return s
			}()},
		}
		for _, sh := range shapes {
			for _, off := range []int{0, 3} {
				jobs := makeJobs(r, sh.blocks, off)
				checkBatchLanes(t, fmt.Sprintf("%s (offset %d)", sh.name, off), jobs, lanes)
			}
		}
		// Every length 1..40 against every other, in one batch.
		var bl []int
		for i := 1; i <= 40; i++ {
			bl = append(bl, i)
		}
		checkBatchLanes(t, "lengths 1..40", makeJobs(r, bl, 0), lanes)
	}
}

// TestBatchEveryWidth starts every kernel of every family this CPU runs:
// 2 to widest+1 streams (the narrowest kernel that holds them all, then the
// widest), of 0 to 40 blocks each so that the batch drains through the
// narrower kernels and the last stream finishes alone, unaligned and in
// place.
func TestBatchEveryWidth(t *testing.T) {
	r := newRand(t)
	for _, widest := range batchWidths() {
		for streams := 2; streams <= widest+1; streams++ {
			for _, off := range []int{0, 5} {
				for _, inPlace := range []bool{false, true} {
					blocks := make([]int, streams)
					for i := range blocks {
						blocks[i] = 1 + r.IntN(40)
					}
					blocks = append(blocks, 0) // an empty job among them
					jobs := makeJobs(r, blocks, off)
					if inPlace {
						for i := range jobs {
							jobs[i].Dst = jobs[i].Src
						}
					}
					checkBatchLanes(t, fmt.Sprintf("%d streams (offset %d, in place %v)", streams, off, inPlace), jobs, widest)
				}
			}
		}
	}
}

// TestBatchLanesSharedCipherInPlace: one Cipher in every lane, Dst == Src.
func TestBatchLanesSharedCipherInPlace(t *testing.T) {
	r := newRand(t)
	c, _ := NewCipher(randBytes(r, KeySize))
	for _, lanes := range batchWidths() {
		jobs := make([]Job, 2*lanes+3)
		for i := range jobs {
			buf := randBytes(r, 16*(1+r.IntN(80)))
			jobs[i] = Job{Cipher: c, IV: randBytes(r, IVSize), Dst: buf, Src: buf}
		}
		checkBatchLanes(t, "shared cipher in place", jobs, lanes)
	}
}

// TestBatchLanesAliasedBuffers: 4 KiB-aligned equal-size buffers (all lanes
// on one cache set), and jobs sharing one IV slice.
func TestBatchLanesAliasedBuffers(t *testing.T) {
	r := newRand(t)
	iv := randBytes(r, IVSize)
	for _, lanes := range batchWidths() {
		jobs := makeJobs(r, func() []int {
			s := make([]int, lanes+5)
			for i := range s {
				s[i] = 256
			}
			return s
		}(), 0)
		for i := range jobs {
			jobs[i].IV = iv
		}
		checkBatchLanes(t, "4 KiB jobs sharing an IV", jobs, lanes)
	}
}

func TestBatchWidth(t *testing.T) {
	for _, c := range []struct{ streams, lanes, want int }{
		{0, 32, 0}, {1, 32, 0}, {2, 32, 8}, {8, 32, 8}, {9, 32, 16}, {16, 32, 16}, {17, 32, 24}, {24, 32, 24}, {25, 32, 32},
		{100, 32, 32}, {1, 16, 0}, {2, 16, 4}, {4, 16, 4}, {5, 16, 6}, {6, 16, 6}, {7, 16, 8}, {9, 16, 12}, {12, 16, 12}, {13, 16, 16}, {17, 16, 16},
		{1, 8, 0}, {2, 8, 4}, {5, 8, 8}, {9, 8, 8},
	} {
		if got := familyOf(c.lanes).width(c.streams); got != c.want {
			t.Errorf("width of %d streams with %d lanes = %d, want %d", c.streams, c.lanes, got, c.want)
		}
	}
	for _, c := range []struct{ lanes, from, want int }{
		{32, 32, 24}, {32, 24, 16}, {32, 16, 8}, {32, 8, 0},
		{16, 16, 12}, {16, 12, 8}, {16, 8, 6}, {16, 6, 4}, {16, 4, 0}, {8, 8, 4}, {8, 4, 0},
	} {
		if got := familyOf(c.lanes).narrower(c.from); got != c.want {
			t.Errorf("narrower than %d with %d lanes = %d, want %d", c.from, c.lanes, got, c.want)
		}
	}
}

// FuzzBatchLanes: fuzzer-chosen job lengths, buffer offsets and in-place
// jobs, forced through every lane width this CPU has (FuzzBatch goes
// through the dispatch, which picks the width from the job count).
func FuzzBatchLanes(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 40, 5, 6}, uint64(1), uint8(0))
	f.Add([]byte{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}, uint64(2), uint8(3))
	f.Add([]byte{255, 1, 0, 17, 3, 3, 3, 9, 200, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 64}, uint64(3), uint8(0x2d))
	f.Fuzz(func(t *testing.T, lengths []byte, seed uint64, flags uint8) {
		if len(lengths) > 100 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 0))
		inPlace := flags&2 != 0
		off := int(flags>>2) & 15
		blocks := make([]int, len(lengths))
		for i, l := range lengths {
			blocks[i] = int(l)
		}
		for _, lanes := range batchWidths() {
			jobs := makeJobs(r, blocks, off)
			if inPlace {
				for i := range jobs {
					jobs[i].Dst = jobs[i].Src
				}
			}
			checkBatchLanes(t, "fuzz", jobs, lanes)
		}
	})
}
