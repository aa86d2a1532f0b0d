package kdf

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/internal/impl/impltest"
)

// hasX2 reports whether the two-lane kernel can run here.
func hasX2() bool { return len(archImpls) > 0 && archImpls[0].Available }

// TestSum256x2 checks the two-lane kernel against crypto/sha256 for every
// prefix length and message lengths around each block boundary, lanes of
// different lengths included.
func TestSum256x2(t *testing.T) {
	if !hasX2() {
		t.Skip("two-lane SHA-256 kernel not available")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 4200)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	lengths := []int{0, 1, 31, 32, 33, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4000}
	for pre := 0; pre < 64; pre += 7 {
		for _, n1 := range lengths {
			for _, n2 := range lengths {
				pre1, msg1 := buf[:pre], buf[100:100+n1]
				pre2, msg2 := buf[50:50+(63-pre)], buf[7:7+n2]
				d1, d2 := sum256x2(pre1, msg1, pre2, msg2)
				if d1 != sha256.Sum256(append(append([]byte{}, pre1...), msg1...)) ||
					d2 != sha256.Sum256(append(append([]byte{}, pre2...), msg2...)) {
					t.Fatalf("pre %d, lengths %d %d: differs from crypto/sha256", pre, n1, n2)
				}
			}
		}
	}
}

// TestPairedKDF: under every implementation, Derive(V2) equals the
// one-hash-at-a-time deriveV2, and MsgKeysV2 equals MsgKeyV2 twice.
func TestPairedKDF(t *testing.T) {
	impltest.Run(t, "kdf", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		var key [256]byte
		for i := 0; i < 200; i++ {
			for j := range key {
				key[j] = byte(rng.Uint32())
			}
			var mk [16]byte
			for j := range mk {
				mk[j] = byte(rng.Uint32())
			}
			x := 8 * rng.IntN(2)
			k1, iv1 := Derive(V2, &key, &mk, x)
			var k2, iv2 [32]byte
			deriveV2(&key, &mk, x, &k2, &iv2)
			if k1 != k2 || iv1 != iv2 {
				t.Fatalf("Derive(V2) differs from deriveV2")
			}
			a := make([]byte, 16*rng.IntN(200))
			b := make([]byte, 16*rng.IntN(200))
			for j := range a {
				a[j] = byte(j * i)
			}
			m1, m2 := MsgKeysV2(&key, x, a, b)
			if m1 != MsgKeyV2(&key, x, a) || m2 != MsgKeyV2(&key, x, b) {
				t.Fatalf("MsgKeysV2 differs from MsgKeyV2")
			}
		}
	})
}

// FuzzSum256x2 compares the two-lane kernel with crypto/sha256.
func FuzzSum256x2(f *testing.F) {
	f.Add([]byte("prefix"), []byte("message one"), uint8(3), uint16(70))
	f.Fuzz(func(t *testing.T, pre, msg []byte, pre2Len uint8, msg2Len uint16) {
		if !hasX2() {
			t.Skip("two-lane SHA-256 kernel not available")
		}
		if len(pre) > 63 {
			pre = pre[:63]
		}
		pre2 := msg[:min(int(pre2Len)%64, len(msg))]
		msg2 := msg[:min(int(msg2Len), len(msg))]
		d1, d2 := sum256x2(pre, msg, pre2, msg2)
		if d1 != sha256.Sum256(append(append([]byte{}, pre...), msg...)) ||
			d2 != sha256.Sum256(append(append([]byte{}, pre2...), msg2...)) {
			t.Fatal("differs from crypto/sha256")
		}
	})
}

// TestRequiredImpl fails unless kdf runs what SECRETBENCH_REQUIRE_IMPL names
// for it (CI proves the two-lane kernel and the fallback each ran).
func TestRequiredImpl(t *testing.T) { impltest.Require(t, "kdf") }
