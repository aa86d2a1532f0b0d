package kdf

import (
	"crypto/sha1"
	"math/rand/v2"
	"testing"
)

// TestSHA1StateFormat: on this Go, MsgKeyV1Prefix runs on crypto/sha1
// (the probe of its marshaled state passed). If it fails, the tests of
// MsgKeyV1Prefix exercise only the portable path and v1 is slower.
func TestSHA1StateFormat(t *testing.T) {
	if !stdSHA1 {
		t.Error("crypto/sha1's marshaled state is not the expected one: MsgKeyV1Prefix runs on its portable path")
	}
}

// TestPrefixPortable: the portable path against crypto/sha1, every prefix
// of buffers of 0..300 bytes and random ones up to 4 KiB.
func TestPrefixPortable(t *testing.T) {
	forcePortable = true
	defer func() { forcePortable = false }()
	r := rand.New(rand.NewPCG(7, 8))
	data := make([]byte, 4096)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	check := func(size, n int) {
		sum := sha1.Sum(data[:n])
		if g, w := MsgKeyV1Prefix(data[:size], n), [16]byte(sum[4:20]); g != w {
			t.Fatalf("portable MsgKeyV1Prefix(%d of %d bytes) = %x, want %x", n, size, g, w)
		}
	}
	for size := 0; size <= 300; size++ {
		for n := 0; n <= size; n++ {
			check(size, n)
		}
	}
	for range 300 {
		size := r.IntN(len(data) + 1)
		check(size, r.IntN(size+1))
	}
}

// TestSHA1Block: one block from a non-initial state, against crypto/sha1
// through the same marshaled state MsgKeyV1Prefix uses.
func TestSHA1Block(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 100 {
		var s [5]uint32
		var w [16]uint32
		var block [64]byte
		for i := range s {
			s[i] = r.Uint32()
		}
		for i := range block {
			block[i] = byte(r.Uint32())
		}
		for j := range w {
			w[j] = uint32(block[4*j])<<24 | uint32(block[4*j+1])<<16 | uint32(block[4*j+2])<<8 | uint32(block[4*j+3])
		}
		h := sha1.New()
		var buf [sha1Marshaled]byte
		if err := h.(interface{ UnmarshalBinary([]byte) error }).UnmarshalBinary(marshalState(&buf, &s)); err != nil {
			t.Fatal(err)
		}
		h.Write(block[:])
		b, _ := h.(interface{ MarshalBinary() ([]byte, error) }).MarshalBinary()
		var want [5]uint32
		readState(&want, b)
		if sha1Block(&s, &w); s != want {
			t.Fatalf("sha1Block = %x, crypto/sha1 %x", s, want)
		}
	}
}

func BenchmarkPrefixPaths(b *testing.B) {
	data := make([]byte, 1024)
	for _, portable := range []bool{false, true} {
		name := "crypto-sha1"
		if portable {
			name = "portable"
		}
		b.Run(name, func(b *testing.B) {
			forcePortable = portable
			defer func() { forcePortable = false }()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				MsgKeyV1Prefix(data, 1000)
			}
		})
	}
}
