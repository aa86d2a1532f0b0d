package bench

import (
	"fmt"
	"testing"

	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/kdf/kdfref"
)

func init() {
	register(Suite{Name: "kdf", Doc: "key derivation, msg_key and fingerprints (kdf against kdf/kdfref)", cases: kdfCases})
}

// Sinks keep the compiler from discarding the measured calls.
var (
	sink16 [16]byte
	sink32 [32]byte
	sink36 [36]byte
	sinkI  int64
	sinkE  error
)

func kdfCases(dst []Case) []Case {
	var key, key2 [256]byte
	for i := range key {
		key[i], key2[i] = byte(i), byte(255-i)
	}
	var msgKey [16]byte
	copy(msgKey[:], key2[:])
	var fkey, fiv [32]byte
	copy(fkey[:], key[:])
	copy(fiv[:], key2[:])
	msg := make([]byte, 1<<10)

	type fns struct{ ref, fast func() }
	ops := []struct {
		op    string
		bytes int
		quick bool
		f     fns
	}{
		{"derive-v1", 0, false, fns{
			func() { sink32, _ = kdfref.Derive(kdf.V1, &key, &msgKey, 0) },
			func() { sink32, _ = kdf.Derive(kdf.V1, &key, &msgKey, 0) }}},
		{"derive-v2", 0, true, fns{
			func() { sink32, _ = kdfref.Derive(kdf.V2, &key, &msgKey, 8) },
			func() { sink32, _ = kdf.Derive(kdf.V2, &key, &msgKey, 8) }}},
		{"msgkey-v1/size=1KiB", len(msg), false, fns{
			func() { sink16 = kdfref.MsgKeyV1(msg) },
			func() { sink16 = kdf.MsgKeyV1(msg) }}},
		{"msgkey-v2/size=1KiB", len(msg), true, fns{
			func() { sink16 = kdfref.MsgKeyV2(&key, 0, msg) },
			func() { sink16 = kdf.MsgKeyV2(&key, 0, msg) }}},
		{"key-fingerprint", 0, false, fns{
			func() { sinkI = kdfref.KeyFingerprint(&key) },
			func() { sinkI = kdf.KeyFingerprint(&key) }}},
		{"file-fingerprint", 0, false, fns{
			func() { sinkI = int64(kdfref.FileFingerprint(&fkey, &fiv)) },
			func() { sinkI = int64(kdf.FileFingerprint(&fkey, &fiv)) }}},
		{"visualization", 0, false, fns{
			func() { sink36 = kdfref.Visualization(&key, &key2) },
			func() { sink36 = kdf.Visualization(&key, &key2) }}},
	}
	for _, o := range ops {
		for _, impl := range []string{"ref", "fast"} {
			f := o.f.ref
			if impl == "fast" {
				f = o.f.fast
			}
			// impl goes right after op so that /size stays last.
			name := "op=" + o.op
			if base, rest, ok := cutSlash(o.op); ok {
				name = fmt.Sprintf("op=%s/impl=%s/%s", base, impl, rest)
			} else {
				name += "/impl=" + impl
			}
			dst = append(dst, Case{
				Suite: "kdf", Bench: "KDF", Name: name,
				Bytes: int64(o.bytes), Quick: o.quick,
				F: loop(f),
			})
		}
	}
	return dst
}

func cutSlash(s string) (before, after string, ok bool) {
	for i := range len(s) {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// loop benchmarks a closure that needs no setup.
func loop(f func()) func(*testing.B) {
	return func(b *testing.B) {
		cpu := startCPU()
		for b.Loop() {
			f()
		}
		cpu.Report(b)
	}
}
