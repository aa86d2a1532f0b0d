// Package kdf derives the per-message AES-256-IGE key and iv of Telegram
// secret chats, computes msg_key, and computes the key and file fingerprints
// and the key visualization.
//
// # Specification
//
// The formulas are those of the secret chat description
// (https://core.telegram.org/api/end-to-end) for version 1 (SHA-1), and of
// MTProto 2.0 (https://core.telegram.org/mtproto/description#defining-aes-key-and-initialization-vector),
// which secret chats use from layer 73 on, for version 2 (SHA-256). K is the
// 256-byte shared key and K[a:b] its bytes a to b-1.
//
// Version 1:
//
//	msg_key = SHA1(data)[4:20]   data = int32 LE length || TL bytes, before padding
//	a = SHA1(msg_key || K[x:x+32])
//	b = SHA1(K[32+x:48+x] || msg_key || K[48+x:64+x])
//	c = SHA1(K[64+x:96+x] || msg_key)
//	d = SHA1(msg_key || K[96+x:128+x])
//	aes_key = a[0:8] || b[8:20] || c[4:16]
//	aes_iv  = a[8:20] || b[0:8] || c[16:20] || d[0:8]
//
// Version 2:
//
//	msg_key = SHA256(K[88+x:120+x] || padded plaintext)[8:24]
//	a = SHA256(msg_key || K[x:x+36])
//	b = SHA256(K[40+x:76+x] || msg_key)
//	aes_key = a[0:8] || b[8:24] || a[24:32]
//	aes_iv  = b[0:8] || a[8:24] || b[24:32]
//
// x is 0 for messages sent by the chat's originator and 8 for the other
// direction (the version 1 text fixes x = 0; both values are accepted for
// either version). Fingerprints and visualization, from the same secret chat
// text:
//
//	key_fingerprint  = int64 LE of SHA1(K)[12:20]
//	file fingerprint = int32 LE(d[0:4]) xor int32 LE(d[4:8]), d = MD5(key || iv)
//	visualization    = SHA1(initial key)[0:16] || SHA256(key at layer 46)[0:20]
//
// # Allocation and speed
//
// No function allocates, whatever the input length (a [MsgKeyHash] only on
// its first Reset of each version), and none builds a concatenation buffer
// for a message. The hash states live on the stack:
// [crypto/sha1.Sum], [crypto/sha256.Sum256] and [crypto/md5.Sum] keep theirs
// there, and where the parts of a hash input are streamed ([MsgKeyV2], and
// [Derive] for [V2]) the compiler inlines [crypto/sha256.New] and
// devirtualizes Write and Sum, so that state does not escape either (checked
// with go build -gcflags=-m on Go 1.24.0 and 1.26, and by AllocsPerRun
// tests). [Derive] for [V1] and [FileFingerprint] assemble their short
// inputs (48 and 64 bytes) in stack arrays. Builds with
// GOEXPERIMENT=boringcrypto take the BoringSSL hashes, which allocate.
//
// The hashing is the standard library's, with its SHA-NI, ARMv8 and AVX2
// paths; what this package adds is a few fixed-size moves, so each function
// costs what its unavoidable hash calls cost (BenchmarkKDF compares the two).
// The exception is [MsgKeyV1Prefix], which hashes a secret-length prefix in
// constant time with its own portable SHA-1 compression function.
// Two SHA-256 hashes that do not depend on each other, a and b of [Derive]
// for [V2] and the two msg_keys of [MsgKeysV2], run as a pair through a
// two-lane SHA-NI kernel where the CPU has the SHA extensions (amd64, not
// with -tags purego), at about the cost of one.
//
// # Implementations
//
// The kernels register with internal/impl as package "kdf": "sha-ni-x2"
// where the CPU has it, "generic" (crypto/sha256 one hash at a time)
// everywhere. GODEBUG=cpu.avx=off selects "generic".
//
// # Panics
//
// An x other than 0 or 8, or a [Version] other than [V1] and [V2], panics
// with a message that names the bad value. Nothing else is validated: the
// message functions hash exactly the bytes they are given.
//
// # Reference
//
// Package [github.com/secretbench/secretbench/kdf/kdfref] holds a slow,
// allocating, spec-literal copy of every function (the formulas written with
// ordinary concatenation). The tests compare this package with it; the
// benchmarks measure both.
package kdf

import "strconv"

// Version selects the key derivation: [V1] as in the base secret chat text,
// [V2] as in MTProto 2.0.
type Version int

const (
	V1 Version = 1 // SHA-1, as in the base text
	V2 Version = 2 // SHA-256, layer >= 73
)

// checkX panics unless x is one of the two offsets the protocol defines.
// Kept tiny so that it inlines; the message is built only on failure.
func checkX(x int) {
	if x != 0 && x != 8 {
		badX(x)
	}
}

// The panics live out of line so the hot paths stay small.
//
//go:noinline
func badX(x int) {
	panic("kdf: x must be 0 or 8, got " + strconv.Itoa(x))
}

//go:noinline
func badVersion(v Version) {
	panic("kdf: unknown Version " + strconv.Itoa(int(v)) + " (want kdf.V1 or kdf.V2)")
}
