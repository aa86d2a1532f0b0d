package bench

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"slices"
	"testing"

	gotd "github.com/gotd/ige"
	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/igebound"
	"github.com/secretbench/secretbench/internal/impl"
)

func init() {
	register(Suite{Name: "ige", Doc: "AES-256-IGE, one stream: reused key and a new key per message", cases: igeCases})
	register(Suite{Name: "ige-batch", Doc: "AES-256-IGE, independent streams interleaved (EncryptBatch/DecryptBatch)", cases: igeBatchCases})
	register(Suite{Name: "bound", Doc: "hardware bounds: serial AES chain (lanes=1) and AES throughput per lane width", cases: boundCases})
}

// igeSizes are the single-stream message sizes; the quick run uses a few.
var igeSizes = []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10}

func igeQuickSize(n int) bool { return n == 64 || n == 1<<10 || n == 16<<10 }

// boundBlocks is the length of each lane's chain in the bound cases: long
// enough that the loop overhead is noise.
const boundBlocks = 4096

// igeImpls lists what the ige cases compare: "ref" and every implementation
// the CPU runs, with whether the quick run includes it (only the selected one).
func igeImpls() []struct {
	name  string
	quick bool
} {
	out := []struct {
		name  string
		quick bool
	}{{"ref", true}}
	for _, n := range ige.Implementations() {
		out = append(out, struct {
			name  string
			quick bool
		}{n, n == ige.Impl()})
	}
	return out
}

// boundLanes returns the lane counts of impl's bound kernels.
func boundLanes(name string) []int {
	restore, err := impl.Select("ige", name)
	if err != nil {
		return nil
	}
	defer restore()
	return igebound.Lanes()
}

// boundName is the FullName of impl's bound case; "ref" is stated against
// the selected implementation's bound, the limit of this machine.
func boundName(impl string, widest bool) string {
	if impl == "ref" {
		impl = ige.Impl()
	}
	lanes := boundLanes(impl)
	if len(lanes) == 0 {
		return ""
	}
	l := 1
	if widest {
		l = slices.Max(lanes)
	}
	return fmt.Sprintf("BenchmarkAESBound/impl=%s/lanes=%d", impl, l)
}

// useImpl switches package ige to the named implementation for the rest of
// the benchmark.
func useImpl(b *testing.B, name string) {
	restore, err := impl.Select("ige", name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(restore)
}

func igeCases(dst []Case) []Case {
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, im := range igeImpls() {
			for _, n := range igeSizes {
				if op == "decrypt" && n != 64 && n != 1<<10 && n != 64<<10 {
					continue
				}
				dst = append(dst, Case{
					Suite: "ige", Bench: "IGE",
					Name:  fmt.Sprintf("op=%s/impl=%s/size=%s", op, im.name, Size(n)),
					Bytes: int64(n),
					Quick: im.quick && (op == "encrypt" && igeQuickSize(n) || op == "decrypt" && n == 1<<10),
					Bound: boundName(im.name, false),
					F:     igeStream(op, im.name, n),
				})
			}
		}
	}
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, im := range igeImpls() {
			for _, n := range []int{64, 1 << 10} {
				dst = append(dst, Case{
					Suite: "ige", Bench: "IGENewKey",
					Name:  fmt.Sprintf("op=%s/impl=%s/size=%s", op, im.name, Size(n)),
					Bytes: int64(n),
					Quick: im.quick && op == "encrypt",
					Bound: boundName(im.name, false),
					F:     igeNewKey(op, im.name, n),
				})
			}
		}
	}
	return dst
}

// igeStream: one stream, one key set up outside the loop.
func igeStream(op, impl string, n int) func(*testing.B) {
	return func(b *testing.B) {
		key, iv, buf := make([]byte, ige.KeySize), make([]byte, ige.IVSize), make([]byte, n)
		if impl == "ref" {
			blk, err := aes.NewCipher(key)
			if err != nil {
				b.Fatal(err)
			}
			f := gotd.EncryptBlocks
			if op == "decrypt" {
				f = gotd.DecryptBlocks
			}
			cpu := startCPU()
			for b.Loop() {
				f(blk, iv, buf, buf)
			}
			cpu.Report(b)
			return
		}
		useImpl(b, impl)
		c, err := ige.NewCipher(key)
		if err != nil {
			b.Fatal(err)
		}
		f := ige.EncryptBlocks
		if op == "decrypt" {
			f = ige.DecryptBlocks
		}
		cpu := startCPU()
		for b.Loop() {
			f(c, iv, buf, buf)
		}
		cpu.Report(b)
	}
}

// igeNewKey: a new key per message, as MTProto derives one per message. The
// reference pays aes.NewCipher per message; ours re-keys one Cipher.
func igeNewKey(op, impl string, n int) func(*testing.B) {
	return func(b *testing.B) {
		// A new key per message, as kdf.Derive hands them out: whole 32-byte
		// values, taken in turn from a ring (a byte-wise increment of one
		// key would add a store-forwarding stall to both sides).
		keys := make([][]byte, 64)
		for i := range keys {
			keys[i] = make([]byte, ige.KeySize)
			rand.Read(keys[i])
		}
		iv, buf := make([]byte, ige.IVSize), make([]byte, n)
		i := 0
		if impl == "ref" {
			f := gotd.EncryptBlocks
			if op == "decrypt" {
				f = gotd.DecryptBlocks
			}
			cpu := startCPU()
			for b.Loop() {
				blk, err := aes.NewCipher(keys[i%len(keys)])
				i++
				if err != nil {
					b.Fatal(err)
				}
				f(blk, iv, buf, buf)
			}
			cpu.Report(b)
			return
		}
		useImpl(b, impl)
		var c ige.Cipher
		f := ige.EncryptBlocks
		if op == "decrypt" {
			f = ige.DecryptBlocks
		}
		cpu := startCPU()
		for b.Loop() {
			if err := c.SetKey(keys[i%len(keys)]); err != nil {
				b.Fatal(err)
			}
			i++
			f(&c, iv, buf, buf)
		}
		cpu.Report(b)
	}
}

// batchShapes are the job lists of the batch cases: equal jobs, and two mixes
// of short and long ones (a chat backlog): sizes cycling 64 B .. 64 KiB in
// powers of four, and 64 B alternating with 64 KiB.
var batchShapes = []struct {
	name  string
	sizes []int
	quick bool
}{
	{"32x4KiB", repeat(4<<10, 32), true},
	{"32x1KiB", repeat(1<<10, 32), false},
	{"mix64B-64KiB", mixSizes(32), true},
	{"alt64B-64KiB", altSizes(32), false},
}

func repeat(n, k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = n
	}
	return s
}

// altSizes alternates 64-byte and 64 KiB jobs: 16 long serial chains, so at
// most 16 lanes are ever busy.
func altSizes(k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = 64 << (10 * (i % 2))
	}
	return s
}

// mixSizes cycles through 64 B .. 64 KiB in powers of four.
func mixSizes(k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = 64 << (2 * (i % 6))
	}
	return s
}

func sum(s []int) int {
	t := 0
	for _, n := range s {
		t += n
	}
	return t
}

func igeBatchCases(dst []Case) []Case {
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, im := range igeImpls() {
			for _, sh := range batchShapes {
				dst = append(dst, Case{
					Suite: "ige-batch", Bench: "IGEBatch",
					Name:  fmt.Sprintf("op=%s/impl=%s/jobs=%s", op, im.name, sh.name),
					Bytes: int64(sum(sh.sizes)),
					Quick: im.quick && sh.quick && (op == "decrypt" || sh.name == "32x4KiB"),
					Bound: boundName(im.name, true),
					F:     igeBatch(op, im.name, sh.sizes),
				})
			}
		}
	}
	return dst
}

// igeBatch: independent jobs with distinct keys. The reference runs them one
// after another, keys expanded outside the loop, as the fast side's are.
func igeBatch(op, impl string, sizes []int) func(*testing.B) {
	return func(b *testing.B) {
		keys := make([][]byte, len(sizes))
		ivs := make([][]byte, len(sizes))
		bufs := make([][]byte, len(sizes))
		for i, n := range sizes {
			keys[i] = make([]byte, ige.KeySize)
			keys[i][0] = byte(i)
			ivs[i] = make([]byte, ige.IVSize)
			bufs[i] = make([]byte, n)
		}
		if impl == "ref" {
			blks := make([]cipher.Block, len(sizes))
			for i := range blks {
				var err error
				if blks[i], err = aes.NewCipher(keys[i]); err != nil {
					b.Fatal(err)
				}
			}
			f := gotd.EncryptBlocks
			if op == "decrypt" {
				f = gotd.DecryptBlocks
			}
			cpu := startCPU()
			for b.Loop() {
				for i, blk := range blks {
					f(blk, ivs[i], bufs[i], bufs[i])
				}
			}
			cpu.Report(b)
			return
		}
		useImpl(b, impl)
		jobs := make([]ige.Job, len(sizes))
		for i := range jobs {
			c, err := ige.NewCipher(keys[i])
			if err != nil {
				b.Fatal(err)
			}
			jobs[i] = ige.Job{Cipher: c, IV: ivs[i], Dst: bufs[i], Src: bufs[i]}
		}
		f := ige.EncryptBatch
		if op == "decrypt" {
			f = ige.DecryptBatch
		}
		cpu := startCPU()
		for b.Loop() {
			f(jobs)
		}
		cpu.Report(b)
	}
}

func boundCases(dst []Case) []Case {
	for _, name := range ige.Implementations() {
		for _, lanes := range boundLanes(name) {
			dst = append(dst, Case{
				Suite: "bound", Bench: "AESBound",
				Name:  fmt.Sprintf("impl=%s/lanes=%d", name, lanes),
				Bytes: int64(lanes * boundBlocks * ige.BlockSize),
				Quick: name == ige.Impl(),
				F:     aesBound(name, lanes),
			})
		}
		if lanes := distinctKeysLanes(name); lanes > 0 {
			dst = append(dst, Case{
				Suite: "bound", Bench: "AESBound",
				Name:  fmt.Sprintf("impl=%s/lanes=%d/keys=distinct", name, lanes),
				Bytes: int64(lanes * boundBlocks * ige.BlockSize),
				F:     aesBoundDistinct(name),
			})
		}
	}
	return dst
}

// distinctKeysLanes is the width of impl's distinct-keys bound, 0 if it has
// none.
func distinctKeysLanes(name string) int {
	restore, err := impl.Select("ige", name)
	if err != nil {
		return 0
	}
	defer restore()
	lanes, _ := igebound.DistinctKeys()
	return lanes
}

func aesBound(name string, lanes int) func(*testing.B) {
	return func(b *testing.B) {
		useImpl(b, name)
		run := igebound.New(lanes)
		cpu := startCPU()
		for b.Loop() {
			run(boundBlocks)
		}
		cpu.Report(b)
	}
}

// aesBoundDistinct is the throughput bound with every lane under its own key
// (see igebound.DistinctKeys): what the widest batch kernel pays for loading
// its lanes' round keys, between the shared-key bound and the IGEBatch cases.
func aesBoundDistinct(name string) func(*testing.B) {
	return func(b *testing.B) {
		useImpl(b, name)
		_, run := igebound.DistinctKeys()
		if run == nil {
			b.Fatalf("ige=%s has no distinct-keys bound", name)
		}
		cpu := startCPU()
		for b.Loop() {
			run(boundBlocks)
		}
		cpu.Report(b)
	}
}
