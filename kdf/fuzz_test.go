package kdf_test

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/internal/testutil"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/kdf/kdfref"
)

// fuzzKey stretches fuzzer bytes into a full 256-byte key, so that short
// inputs still give keys with no structure in them.
func fuzzKey(seed []byte) *[256]byte {
	var key [256]byte
	rand.NewChaCha8(sha256.Sum256(seed)).Read(key[:])
	return &key
}

// fuzzX maps any x to the valid offset with the same bit 3, so that every
// fuzz input also exercises a valid derivation.
func fuzzX(x int) int { return x & 8 }

func FuzzDerive(f *testing.F) {
	f.Add([]byte("key"), []byte("0123456789abcdef"), uint8(1), 0)
	f.Add([]byte{}, []byte{}, uint8(2), 8)
	f.Add([]byte{0xff}, []byte{1, 2, 3}, uint8(0), 3)
	f.Fuzz(func(t *testing.T, keySeed, msgKeyIn []byte, version uint8, x int) {
		key := fuzzKey(keySeed)
		var msgKey [16]byte
		copy(msgKey[:], msgKeyIn)
		v := kdf.Version(version)

		if v != kdf.V1 && v != kdf.V2 || x != 0 && x != 8 {
			if !testutil.Panics(func() { kdf.Derive(v, key, &msgKey, x) }) {
				t.Fatalf("Derive(v%d, x=%d) did not panic", v, x)
			}
			if !testutil.Panics(func() { kdfref.Derive(v, key, &msgKey, x) }) {
				t.Fatalf("reference Derive(v%d, x=%d) did not panic", v, x)
			}
			v, x = kdf.V1+kdf.Version(version&1), fuzzX(x)
		}
		gk, giv := kdf.Derive(v, key, &msgKey, x)
		wk, wiv := kdfref.Derive(v, key, &msgKey, x)
		if gk != wk || giv != wiv {
			t.Fatalf("Derive(v%d, x=%d) = %x %x, reference %x %x", v, x, gk, giv, wk, wiv)
		}
	})
}

func FuzzMsgKey(f *testing.F) {
	f.Add([]byte("key"), 0, []byte{})
	f.Add([]byte{}, 8, make([]byte, 64))
	f.Add([]byte{7}, 1, make([]byte, 33))
	f.Fuzz(func(t *testing.T, keySeed []byte, x int, data []byte) {
		key := fuzzKey(keySeed)
		if g, w := kdf.MsgKeyV1(data), kdfref.MsgKeyV1(data); g != w {
			t.Fatalf("MsgKeyV1(%d bytes) = %x, reference %x", len(data), g, w)
		}
		if x != 0 && x != 8 {
			if !testutil.Panics(func() { kdf.MsgKeyV2(key, x, data) }) {
				t.Fatalf("MsgKeyV2(x=%d) did not panic", x)
			}
			x = fuzzX(x)
		}
		if g, w := kdf.MsgKeyV2(key, x, data), kdfref.MsgKeyV2(key, x, data); g != w {
			t.Fatalf("MsgKeyV2(x=%d, %d bytes) = %x, reference %x", x, len(data), g, w)
		}
	})
}

func FuzzFingerprints(f *testing.F) {
	f.Add([]byte("a"), []byte("b"))
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, seedA, seedB []byte) {
		a, b := fuzzKey(seedA), fuzzKey(seedB)
		if g, w := kdf.KeyFingerprint(a), kdfref.KeyFingerprint(a); g != w {
			t.Fatalf("KeyFingerprint = %d, reference %d", g, w)
		}
		if g, w := kdf.Visualization(a, b), kdfref.Visualization(a, b); g != w {
			t.Fatalf("Visualization = %x, reference %x", g, w)
		}
		fileKey, fileIV := (*[32]byte)(a[:32]), (*[32]byte)(b[32:64])
		if g, w := kdf.FileFingerprint(fileKey, fileIV), kdfref.FileFingerprint(fileKey, fileIV); g != w {
			t.Fatalf("FileFingerprint = %d, reference %d", g, w)
		}
	})
}
