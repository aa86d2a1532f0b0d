package kdf_test

import (
	"crypto/sha1"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/internal/raceflag"
	"github.com/secretbench/secretbench/internal/testutil"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/kdf/kdfref"
)

// wantPrefix is SHA1(data[:n])[4:20] by crypto/sha1.
func wantPrefix(data []byte, n int) [16]byte {
	sum := sha1.Sum(data[:n])
	return [16]byte(sum[4:20])
}

// TestMsgKeyV1PrefixEveryLength: every prefix of every buffer of 0..300
// bytes (all positions of the terminator and the bit length across the
// block boundaries at 55/56 and 64), against crypto/sha1.
func TestMsgKeyV1PrefixEveryLength(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for size := 0; size <= len(data); size++ {
		for n := 0; n <= size; n++ {
			if g, w := kdf.MsgKeyV1Prefix(data[:size], n), wantPrefix(data, n); g != w {
				t.Fatalf("MsgKeyV1Prefix(%d of %d bytes) = %x, want %x", n, size, g, w)
			}
		}
	}
}

// TestMsgKeyV1PrefixRandom: random buffers and prefixes up to 16 KiB,
// against kdf.MsgKeyV1 and the spec-literal reference.
func TestMsgKeyV1PrefixRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 16<<10)
	for i := range 2000 {
		size := r.IntN(len(data) + 1)
		if i%2 == 0 {
			size = 16 * r.IntN(len(data)/16+1) // wire plaintexts are whole blocks
		}
		for j := range data[:size] {
			data[j] = byte(r.Uint32())
		}
		n := r.IntN(size + 1)
		if i%4 == 1 {
			n = size
		}
		g := kdf.MsgKeyV1Prefix(data[:size], n)
		if w := kdf.MsgKeyV1(data[:n]); g != w {
			t.Fatalf("MsgKeyV1Prefix(%d of %d bytes) = %x, MsgKeyV1 %x", n, size, g, w)
		}
		if w := kdfref.MsgKeyV1(data[:n]); g != w {
			t.Fatalf("MsgKeyV1Prefix(%d of %d bytes) = %x, reference %x", n, size, g, w)
		}
	}
}

func TestMsgKeyV1PrefixPanics(t *testing.T) {
	data := make([]byte, 64)
	for _, n := range []int{-1, 65, 1 << 40, -1 << 40} {
		if !testutil.Panics(func() { kdf.MsgKeyV1Prefix(data, n) }) {
			t.Errorf("MsgKeyV1Prefix(%d of %d bytes) did not panic", n, len(data))
		}
	}
}

func TestMsgKeyV1PrefixZeroAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("the race detector allocates")
	}
	data := make([]byte, 4096)
	if a := testing.AllocsPerRun(20, func() { sink16 = kdf.MsgKeyV1Prefix(data, 1000) }); a != 0 {
		t.Errorf("MsgKeyV1Prefix: %v allocations per call, want 0", a)
	}
}

func FuzzMsgKeyV1Prefix(f *testing.F) {
	f.Add([]byte{}, 0)
	f.Add(make([]byte, 64), 55)
	f.Add(make([]byte, 1024), 1000)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n < 0 || n > len(data) {
			if !testutil.Panics(func() { kdf.MsgKeyV1Prefix(data, n) }) {
				t.Fatalf("MsgKeyV1Prefix(%d of %d bytes) did not panic", n, len(data))
			}
			return
		}
		if g, w := kdf.MsgKeyV1Prefix(data, n), kdfref.MsgKeyV1(data[:n]); g != w {
			t.Fatalf("MsgKeyV1Prefix(%d of %d bytes) = %x, reference %x", n, len(data), g, w)
		}
	})
}

func BenchmarkMsgKeyV1Prefix(b *testing.B) {
	data := make([]byte, 1024)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sink16 = kdf.MsgKeyV1Prefix(data, 1000)
	}
}
