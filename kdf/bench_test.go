package kdf_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"testing"

	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/kdf/kdfref"
)

// BenchmarkKDF measures each function three ways, side by side:
//
//   - impl=ref:  package kdfref, the spec-literal formulas;
//   - impl=fast: this package;
//   - impl=raw:  only the hash calls the function cannot avoid, on inputs
//     prepared outside the loop (Derive v2: two sha256.Sum256 of 52 bytes;
//     v1: four sha1.Sum of 48 bytes; msg_key v2: one sha256.Sum256 of the 32
//     key bytes and the message, already contiguous; and so on).
//
// Compare with benchstat -col /impl. SetBytes counts the bytes hashed.
func BenchmarkKDF(b *testing.B) {
	var key, key2 [256]byte
	var msgKey [16]byte
	var fkey, fiv [32]byte
	for i := range key {
		key[i], key2[i] = byte(i), byte(255-i)
	}
	copy(msgKey[:], key2[:])
	copy(fkey[:], key[:])
	copy(fiv[:], key2[:])

	// Hash inputs for impl=raw, assembled once.
	var v2a, v2b [52]byte
	var v1a, v1b, v1c, v1d [48]byte
	var file [64]byte
	for _, buf := range [][]byte{v2a[:], v2b[:], v1a[:], v1b[:], v1c[:], v1d[:], file[:]} {
		copy(buf, key[:])
	}

	run := func(b *testing.B, op string, nbytes int, ref, fast, raw func()) {
		b.Run(op, func(b *testing.B) {
			for _, c := range []struct {
				name string
				f    func()
			}{{"ref", ref}, {"fast", fast}, {"raw", raw}} {
				b.Run("impl="+c.name, func(b *testing.B) {
					b.SetBytes(int64(nbytes))
					b.ReportAllocs()
					for b.Loop() {
						c.f()
					}
				})
			}
		})
	}

	run(b, "op=derive-v1", 4*48,
		func() { sink32, _ = kdfref.Derive(kdf.V1, &key, &msgKey, 0) },
		func() { sink32, _ = kdf.Derive(kdf.V1, &key, &msgKey, 0) },
		func() {
			a, b, c, d := sha1.Sum(v1a[:]), sha1.Sum(v1b[:]), sha1.Sum(v1c[:]), sha1.Sum(v1d[:])
			sink32[0], sink32[1], sink32[2], sink32[3] = a[0], b[0], c[0], d[0]
		})
	run(b, "op=derive-v2", 2*52,
		func() { sink32, _ = kdfref.Derive(kdf.V2, &key, &msgKey, 0) },
		func() { sink32, _ = kdf.Derive(kdf.V2, &key, &msgKey, 0) },
		func() {
			a, b := sha256.Sum256(v2a[:]), sha256.Sum256(v2b[:])
			sink32[0], sink32[1] = a[0], b[0]
		})

	for _, size := range []struct {
		name string
		n    int
	}{{"64B", 64}, {"1KiB", 1 << 10}, {"16KiB", 16 << 10}} {
		msg := make([]byte, size.n)
		// For raw, the 32 key bytes and the message, already contiguous.
		keyAndMsg := append(append([]byte{}, key[88:120]...), msg...)
		s := "/size=" + size.name
		run(b, "op=msgkey-v1"+s, size.n,
			func() { sink16 = kdfref.MsgKeyV1(msg) },
			func() { sink16 = kdf.MsgKeyV1(msg) },
			func() { h := sha1.Sum(msg); sink16[0] = h[0] })
		run(b, "op=msgkey-v2"+s, 32+size.n,
			func() { sink16 = kdfref.MsgKeyV2(&key, 0, msg) },
			func() { sink16 = kdf.MsgKeyV2(&key, 0, msg) },
			func() { h := sha256.Sum256(keyAndMsg); sink16[0] = h[0] })
	}

	run(b, "op=keyfp", 256,
		func() { sinkI64 = kdfref.KeyFingerprint(&key) },
		func() { sinkI64 = kdf.KeyFingerprint(&key) },
		func() { h := sha1.Sum(key[:]); sinkI64 = int64(h[0]) })
	run(b, "op=filefp", 64,
		func() { sinkI32 = kdfref.FileFingerprint(&fkey, &fiv) },
		func() { sinkI32 = kdf.FileFingerprint(&fkey, &fiv) },
		func() { h := md5.Sum(file[:]); sinkI32 = int32(h[0]) })
	run(b, "op=visual", 2*256,
		func() { sink36 = kdfref.Visualization(&key, &key2) },
		func() { sink36 = kdf.Visualization(&key, &key2) },
		func() {
			a, b := sha1.Sum(key[:]), sha256.Sum256(key2[:])
			sink36[0], sink36[1] = a[0], b[0]
		})
}
