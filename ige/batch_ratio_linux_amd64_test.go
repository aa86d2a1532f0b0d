//go:build !purego

package ige

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"

	gotd "github.com/gotd/ige"
	"golang.org/x/sys/unix"
)

// TestBatchRatios prints the batch shapes of BenchmarkIGEBatch as fractions
// of the AES bounds and as multiples of gotd/ige running the same jobs one
// after another. Each figure is a low percentile of the thread CPU times of
// many runs: on a shared machine wall-clock benchmarks swing by tens of
// percent, while the fastest runs on this thread's own clock repeat within
// a few. It runs only when asked:
//
//	SECRETBENCH_BATCH_RATIOS=1 go test -run TestBatchRatios -v ./ige/
//
// The bounds: "shared key" is AESBound at 32 lanes (all round keys in
// registers), "distinct keys" the same with every AES instruction loading
// its lanes' own round keys, as the batch must, and "16 chains" 16 times
// the serial bound (AESBound lanes=1), the most any kernel can do once only
// the 16 long jobs of the mix are left.
func TestBatchRatios(t *testing.T) {
	if os.Getenv("SECRETBENCH_BATCH_RATIOS") != "1" {
		t.Skip("set SECRETBENCH_BATCH_RATIOS=1 to measure")
	}
	if !slices.Contains(Implementations(), "vaes-avx512") {
		t.Skip("the bounds here are the 32-lane ones")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	c, err := NewCipher(make([]byte, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	var st batchState
	st.init()
	for l := range maxLanes {
		key := make([]byte, KeySize)
		key[0], key[1] = byte(l), 0x3c
		lc, err := NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		st.loadKeys(lc, l, 4, false)
	}
	const blocks = 4096
	perSec := func(bytes int, f func()) float64 { return float64(bytes) / minThreadNS(200, f) } // GB/s
	shared := perSec(32*blocks*BlockSize, func() { aesBoundLanes(c, 32, blocks) })
	distinct := perSec(32*blocks*BlockSize, func() { boundDistinctAVX512(st.rows(), blocks) })
	serial := perSec(blocks*BlockSize, func() { AESBound(c, 1, blocks) })
	t.Logf("bounds: shared key %.1f GB/s, distinct keys %.1f GB/s (%.2f), 16 chains %.1f GB/s (%.2f)",
		shared, distinct, distinct/shared, 16*serial, 16*serial/shared)

	for _, sh := range []struct {
		name  string
		sizes []int
	}{{"32x4KiB", repeat(4<<10, 32)}, {"mix64B-64KiB", mix(32)}} {
		jobs := make([]Job, len(sh.sizes))
		blks := make([]cipher.Block, len(sh.sizes))
		total := 0
		for i, n := range sh.sizes {
			key := make([]byte, KeySize)
			key[0], key[1] = byte(i), 0x5a
			jc, err := NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			if blks[i], err = aes.NewCipher(key); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, n)
			jobs[i] = Job{Cipher: jc, IV: make([]byte, IVSize), Dst: buf, Src: buf}
			total += n
		}
		for _, op := range []string{"encrypt", "decrypt"} {
			batch, one := EncryptBatch, gotd.EncryptBlocks
			if op == "decrypt" {
				batch, one = DecryptBatch, gotd.DecryptBlocks
			}
			ours := perSec(total, func() { batch(jobs) })
			theirs := perSec(total, func() {
				for i, j := range jobs {
					one(blks[i], j.IV, j.Dst, j.Src)
				}
			})
			chains := ""
			if sh.name == "mix64B-64KiB" {
				chains = fmt.Sprintf(", %.2f of 16 chains", ours/(16*serial))
			}
			t.Logf("op=%s jobs=%s: %.1f GB/s = %.2f of shared-key bound, %.2f of distinct-key bound%s; %.1fx gotd/ige (%.2f GB/s)",
				op, sh.name, ours, ours/shared, ours/distinct, chains, ours/theirs, theirs)
		}
	}
}

// minThreadNS is the 10th percentile of the thread CPU times of reps runs
// of f, in ns: nearly the fastest run, but not a rare one whose time the
// clock misreported (seen here: a few runs in thousands at half the time).
func minThreadNS(reps int, f func()) float64 {
	times := make([]int64, reps)
	for i := range times {
		t0 := threadNS()
		f()
		times[i] = threadNS() - t0
	}
	slices.Sort(times)
	return float64(times[reps/10])
}

func threadNS() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}
