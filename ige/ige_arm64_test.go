//go:build !purego

package ige

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/raceflag"
)

// useARMv8 switches to the assembly or skips the test on a CPU without AES
// (or with GODEBUG=cpu.aes=off), where the generic tests already ran.
func useARMv8(t *testing.T) {
	t.Helper()
	restore, err := useImpl("armv8")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(restore)
}

// TestARMv8Availability: the registry follows x/sys/cpu, so GODEBUG turns
// the assembly off.
func TestARMv8Availability(t *testing.T) {
	if implARMv8.available != cpu.ARM64.HasAES {
		t.Fatalf("armv8 available = %v, cpu.ARM64.HasAES = %v", implARMv8.available, cpu.ARM64.HasAES)
	}
	if strings.Contains(os.Getenv("GODEBUG"), "cpu.aes=off") && implARMv8.available {
		t.Fatal("GODEBUG=cpu.aes=off did not disable armv8")
	}
	want := "generic"
	if cpu.ARM64.HasAES {
		want = "armv8"
	}
	if Impl() != want {
		t.Fatalf("Impl() = %q, want %q", Impl(), want)
	}
}

// TestFIPS197AES256 is the AES-256 example of FIPS-197 Appendix C.3 through
// the single-block path of every implementation.
func TestFIPS197AES256(t *testing.T) {
	key, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	pt, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	ct, _ := hex.DecodeString("8ea2b7ca516745bfeafc49904b496089")
	impltest.Run(t, "ige", func(t *testing.T) {
		c, err := NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 16)
		c.Encrypt(got, pt)
		if !bytes.Equal(got, ct) {
			t.Fatalf("Encrypt = %x, want %x", got, ct)
		}
		c.Decrypt(got, got)
		if !bytes.Equal(got, pt) {
			t.Fatalf("Decrypt = %x, want %x", got, pt)
		}
	})
}

// TestLaneScheduling drives the four-lane scheduler through its edge cases
// (lanes refilled at different times, empty jobs between and after long
// ones, fewer jobs than lanes, the last lane handed to the single-stream
// loop) and compares every job with the generic per-job loop.
func TestLaneScheduling(t *testing.T) {
	useARMv8(t)
	r := newRand(t)
	cases := map[string][]int{
		"one":                  {5},
		"two":                  {3, 9},
		"four equal":           {8, 8, 8, 8},
		"five equal":           {4, 4, 4, 4, 4},
		"refill one lane":      {1, 6, 6, 6, 2},
		"all one block":        {1, 1, 1, 1, 1, 1, 1, 1, 1},
		"empties between":      {0, 3, 0, 0, 7, 0, 2, 0, 0, 0, 5, 0},
		"empties after":        {6, 2, 0, 0, 0, 0},
		"only empties":         {0, 0, 0, 0, 0},
		"long and short":       {40, 1, 2, 1, 3, 1, 1, 2, 1, 1},
		"short then long":      {1, 1, 1, 40},
		"increasing":           {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		"decreasing":           {10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
		"three long one empty": {12, 12, 12, 0},
		"idle lanes mid-batch": {20, 1, 1, 1, 0, 0, 3},
	}
	// Random mixes on top; many more with SECRETBENCH_LONG=1.
	mixes := 20
	if os.Getenv("SECRETBENCH_LONG") == "1" {
		mixes = 2000
	}
	for i := range mixes {
		lengths := make([]int, r.IntN(13))
		for j := range lengths {
			if r.IntN(3) > 0 {
				lengths[j] = r.IntN(1 + r.IntN(40))
			}
		}
		cases["random "+strconv.Itoa(i)] = lengths
	}
	for name, lengths := range cases {
		for _, enc := range []bool{true, false} {
			for _, shared := range []bool{true, false} {
				for _, inPlace := range []bool{false, true} {
					checkLanes(t, r, name, lengths, enc, shared, inPlace)
				}
			}
		}
	}
}

func checkLanes(t *testing.T, r *rand.Rand, name string, lengths []int, enc, shared, inPlace bool) {
	t.Helper()
	one, _ := NewCipher(randBytes(r, KeySize))
	jobs := make([]Job, len(lengths))
	want := make([][]byte, len(lengths))
	ivs := make([][]byte, len(lengths))
	for i, n := range lengths {
		c := one
		if !shared {
			c, _ = NewCipher(randBytes(r, KeySize))
		}
		off := r.IntN(16)
		src := randBytes(r, off+16*n)[off:]
		iv := randBytes(r, IVSize)
		want[i] = make([]byte, len(src))
		state := [IVSize]byte(iv)
		if enc {
			encryptIGEGeneric(c, &state, want[i], src)
		} else {
			decryptIGEGeneric(c, &state, want[i], src)
		}
		dst := randBytes(r, len(src)+16)
		if inPlace {
			dst = src
		}
		jobs[i] = Job{Cipher: c, IV: iv, Dst: dst, Src: src}
		ivs[i] = bytes.Clone(iv)
	}
	tails := make([][]byte, len(jobs))
	for i, j := range jobs {
		tails[i] = bytes.Clone(j.Dst[len(j.Src):])
	}
	if enc {
		EncryptBatch(jobs)
	} else {
		DecryptBatch(jobs)
	}
	for i, j := range jobs {
		if !bytes.Equal(j.Dst[:len(j.Src)], want[i]) {
			t.Fatalf("%s (encrypt=%v shared=%v inPlace=%v): job %d of %d blocks differs from generic", name, enc, shared, inPlace, i, lengths[i])
		}
		if !bytes.Equal(j.Dst[len(j.Src):], tails[i]) {
			t.Fatalf("%s: job %d: bytes after Dst[:len(Src)] were written", name, i)
		}
		if !bytes.Equal(j.IV, ivs[i]) {
			t.Fatalf("%s: job %d: IV was modified", name, i)
		}
	}
}

// TestLaneKernel calls the kernel directly: every lane advances exactly
// blocks blocks from its own state, an idle lane (step 0) touches only its
// scratch block, and the state written back continues the chain.
func TestLaneKernel(t *testing.T) {
	useARMv8(t)
	r := newRand(t)
	for _, enc := range []bool{true, false} {
		for blocks := 0; blocks <= 5; blocks++ {
			var (
				ptrs    [batchLanes]lanePtrs
				states  [batchLanes]laneState
				scratch [BlockSize]byte
				src     [batchLanes][]byte
				dst     [batchLanes][]byte
				want    [batchLanes][]byte
				wantIV  [batchLanes][IVSize]byte
			)
			for i := range batchLanes {
				c, _ := NewCipher(randBytes(r, KeySize))
				iv := [IVSize]byte(randBytes(r, IVSize))
				states[i] = laneState{y: [BlockSize]byte(iv[:16]), x: [BlockSize]byte(iv[16:])}
				src[i] = randBytes(r, 16*blocks+16)
				dst[i] = make([]byte, len(src[i]))
				want[i] = make([]byte, len(src[i]))
				wantIV[i] = iv
				if enc {
					ptrs[i].xk = &c.enc
					encryptIGEGeneric(c, &wantIV[i], want[i], src[i][:16*blocks])
				} else {
					ptrs[i].xk = &c.dec
					decryptIGEGeneric(c, &wantIV[i], want[i], src[i][:16*blocks])
				}
				ptrs[i].src, ptrs[i].dst, ptrs[i].step = unsafePtr(src[i]), unsafePtr(dst[i]), BlockSize
			}
			idle := 2
			ptrs[idle].src, ptrs[idle].dst, ptrs[idle].step = unsafePtr(scratch[:]), unsafePtr(scratch[:]), 0
			if enc {
				encryptLanesARMv8(&ptrs, &states, blocks)
			} else {
				decryptLanesARMv8(&ptrs, &states, blocks)
			}
			for i := range batchLanes {
				if i == idle {
					if !bytes.Equal(dst[i], make([]byte, len(dst[i]))) {
						t.Fatalf("idle lane wrote to its job's dst")
					}
					continue
				}
				if !bytes.Equal(dst[i], want[i]) {
					t.Fatalf("encrypt=%v blocks=%d lane %d: output differs from generic", enc, blocks, i)
				}
				got := [IVSize]byte(append(states[i].y[:], states[i].x[:]...))
				if got != wantIV[i] {
					t.Fatalf("encrypt=%v blocks=%d lane %d: chaining state differs from generic", enc, blocks, i)
				}
			}
		}
	}
}

// TestBoundKernel: the bound loops compute what they claim, s = E(s ^ c)
// per lane, checked against the generic block cipher, so the benchmark
// measures real AES work.
func TestBoundKernel(t *testing.T) {
	useARMv8(t)
	c, _ := NewCipher(randBytes(newRand(t), KeySize))
	for _, lanes := range boundLanes() {
		const blocks = 37
		var out [batchLanes][BlockSize]byte
		boundARMv8(&c.enc, &out, lanes, blocks)
		for i := range lanes {
			var s [BlockSize]byte
			s[0] = byte(i)
			for range blocks {
				s[3] ^= 1
				encryptBlockGeneric(c, s[:], s[:])
			}
			if out[i] != s {
				t.Fatalf("lanes=%d lane %d: %x, want %x", lanes, i, out[i], s)
			}
		}
	}
	if got := boundLanes(); len(got) != 2 || got[0] != 1 || got[1] != batchLanes {
		t.Fatalf("boundLanes() = %v under armv8", got)
	}
}

// TestLaneAllocs: the scheduler with refills and idle lanes allocates
// nothing.
func TestLaneAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	useARMv8(t)
	c, _ := NewCipher(make([]byte, KeySize))
	iv := make([]byte, IVSize)
	buf := make([]byte, 16*8*9)
	var jobs []Job
	for i, n := range []int{3, 0, 9, 1, 1, 20, 2, 0, 5} {
		b := buf[16*8*i : 16*8*i+16*min(n, 8)]
		jobs = append(jobs, Job{Cipher: c, IV: iv, Dst: b, Src: b})
	}
	for _, f := range []func(){func() { EncryptBatch(jobs) }, func() { DecryptBatch(jobs) }} {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Fatalf("%v allocations, want 0", n)
		}
	}
}

func unsafePtr(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }

// TestLaneLayout pins the struct layouts that ige_arm64.s addresses by
// offset.
func TestLaneLayout(t *testing.T) {
	var p lanePtrs
	var s laneState
	if unsafe.Sizeof(p) != 32 || unsafe.Offsetof(p.src) != 8 || unsafe.Offsetof(p.dst) != 16 || unsafe.Offsetof(p.step) != 24 {
		t.Fatal("lanePtrs layout no longer matches LANES4_SETUP in ige_arm64.s")
	}
	if unsafe.Sizeof(s) != 32 || unsafe.Offsetof(s.x) != 16 {
		t.Fatal("laneState layout no longer matches LANES4_SETUP in ige_arm64.s")
	}
}
