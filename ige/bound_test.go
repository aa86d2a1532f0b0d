package ige

import (
	"fmt"
	"testing"
)

// BenchmarkAESBound measures the hardware limits: lanes=1 is the serial
// chain (one IGE stream's bound), wider is AES throughput at that width.
// Bytes per op count every lane, so MB/s compares directly with IGE results.
func BenchmarkAESBound(b *testing.B) {
	c, _ := NewCipher(make([]byte, KeySize))
	const blocks = 1024 // 16 KiB per lane
	for _, lanes := range BoundLanes() {
		b.Run(fmt.Sprintf("impl=%s/lanes=%d", Impl(), lanes), func(b *testing.B) {
			b.SetBytes(int64(lanes * blocks * BlockSize))
			b.ReportAllocs()
			for b.Loop() {
				AESBound(c, lanes, blocks)
			}
		})
	}
}

func TestAESBoundMisuse(t *testing.T) {
	c, _ := NewCipher(make([]byte, KeySize))
	mustPanic(t, "lanes not supported", func() { AESBound(c, 3, 1) })
	mustPanic(t, "without a key", func() { AESBound(new(Cipher), 1, 1) })
	for _, l := range BoundLanes() {
		AESBound(c, l, 4)
	}
}
