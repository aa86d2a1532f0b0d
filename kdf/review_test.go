package kdf_test

// Review: every kdf function against the kdfref oracle under every kdf
// implementation (the paired SHA-256 kernel and generic), on lengths around
// the 64-byte block boundaries (the 32-byte key prefix of msg_key v2 puts
// them at 64k-32 and 64k-32-9 for the padding), pairs of unequal lengths,
// unaligned inputs, and MsgKeyHash fed in random pieces.

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/kdf/kdfref"
)

func reviewRandKey(r *rand.Rand) *[256]byte {
	var k [256]byte
	for i := range k {
		k[i] = byte(r.Uint32())
	}
	return &k
}

// reviewLengths are the message lengths tried: every length up to 200 and
// a window around each block boundary up to 1 KiB (whole boundaries of the
// message itself and of the 32-byte-prefixed stream).
func reviewLengths() []int {
	var ls []int
	for n := 0; n <= 200; n++ {
		ls = append(ls, n)
	}
	max := 1024
	if os.Getenv("SECRETBENCH_LONG") == "1" {
		max = 8192
	}
	for b := 256; b <= max; b += 64 {
		for d := -41; d <= 9; d++ {
			ls = append(ls, b+d)
		}
	}
	return ls
}

func reviewMsg(r *rand.Rand, n int) []byte {
	off := r.IntN(8)
	b := make([]byte, off+n)[off:]
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestReviewAgainstKdfref(t *testing.T) {
	impltest.Run(t, "kdf", func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 3))
		lengths := reviewLengths()
		var h kdf.MsgKeyHash
		for _, n := range lengths {
			key := reviewRandKey(r)
			msg := reviewMsg(r, n)
			x := 8 * r.IntN(2)

			if got, want := kdf.MsgKeyV1(msg), kdfref.MsgKeyV1(msg); got != want {
				t.Fatalf("MsgKeyV1, %d bytes: %x, want %x", n, got, want)
			}
			want2 := kdfref.MsgKeyV2(key, x, msg)
			if got := kdf.MsgKeyV2(key, x, msg); got != want2 {
				t.Fatalf("MsgKeyV2, %d bytes, x=%d: %x, want %x", n, x, got, want2)
			}

			// A pair of unequal lengths, either order, and the same slice
			// twice.
			other := reviewMsg(r, lengths[r.IntN(len(lengths))])
			wantO := kdfref.MsgKeyV2(key, x, other)
			k1, k2 := kdf.MsgKeysV2(key, x, msg, other)
			if k1 != want2 || k2 != wantO {
				t.Fatalf("MsgKeysV2(%d, %d bytes), x=%d: %x %x, want %x %x", n, len(other), x, k1, k2, want2, wantO)
			}
			k1, k2 = kdf.MsgKeysV2(key, x, other, msg)
			if k1 != wantO || k2 != want2 {
				t.Fatalf("MsgKeysV2(%d, %d bytes), x=%d: swapped differs", len(other), n, x)
			}
			k1, k2 = kdf.MsgKeysV2(key, x, msg, msg)
			if k1 != want2 || k2 != want2 {
				t.Fatalf("MsgKeysV2 of one %d-byte slice twice differs", n)
			}

			// MsgKeyHash in random pieces, reused across versions.
			for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
				h.Reset(v, key, x)
				for rest := msg; len(rest) > 0; {
					k := 1 + r.IntN(min(len(rest), 70))
					if _, err := h.Write(rest[:k]); err != nil {
						t.Fatal(err)
					}
					rest = rest[k:]
				}
				want := kdfref.MsgKeyV1(msg)
				if v == kdf.V2 {
					want = want2
				}
				if got := h.Sum(); got != want {
					t.Fatalf("MsgKeyHash v%d, %d bytes in pieces: %x, want %x", v, n, got, want)
				}
			}

			var mk [16]byte
			copy(mk[:], msg)
			for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
				for _, xx := range []int{0, 8} {
					gk, gi := kdf.Derive(v, key, &mk, xx)
					wk, wi := kdfref.Derive(v, key, &mk, xx)
					if gk != wk || gi != wi {
						t.Fatalf("Derive(v%d, x=%d): differs from kdfref", v, xx)
					}
				}
			}
		}
		for range 50 {
			key, iv := [32]byte(reviewMsg(r, 32)), [32]byte(reviewMsg(r, 32))
			if kdf.FileFingerprint(&key, &iv) != kdfref.FileFingerprint(&key, &iv) {
				t.Fatal("FileFingerprint differs from kdfref")
			}
			k := reviewRandKey(r)
			if kdf.KeyFingerprint(k) != kdfref.KeyFingerprint(k) {
				t.Fatal("KeyFingerprint differs from kdfref")
			}
			l := reviewRandKey(r)
			if kdf.Visualization(k, l) != kdfref.Visualization(k, l) {
				t.Fatal("Visualization differs from kdfref")
			}
		}
	})
}

// x other than 0 and 8 panics in every function that takes it, under every
// implementation (the paired kernel must not skip the check).
func TestReviewBadXPanics(t *testing.T) {
	impltest.Run(t, "kdf", func(t *testing.T) {
		var key [256]byte
		var mk [16]byte
		msg := make([]byte, 64)
		for _, x := range []int{-8, -1, 1, 4, 7, 9, 16, 136, 1 << 40} {
			for name, f := range map[string]func(){
				"MsgKeyV2":      func() { kdf.MsgKeyV2(&key, x, msg) },
				"MsgKeysV2":     func() { kdf.MsgKeysV2(&key, x, msg, msg) },
				"Derive v1":     func() { kdf.Derive(kdf.V1, &key, &mk, x) },
				"Derive v2":     func() { kdf.Derive(kdf.V2, &key, &mk, x) },
				"MsgKeyHash v2": func() { var h kdf.MsgKeyHash; h.Reset(kdf.V2, &key, x) },
			} {
				if !reviewPanics(f) {
					t.Errorf("%s with x=%d: no panic", name, x)
				}
			}
		}
	})
}

func reviewPanics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}
