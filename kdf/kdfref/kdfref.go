// Package kdfref is the SLOW REFERENCE for package
// [github.com/secretbench/secretbench/kdf]: every formula written out as the
// specification writes it, with ordinary concatenation into freshly
// allocated slices, in the way github.com/gotd/td and most clients write
// them. It exists so that tests can cross-check the fast package and so that
// benchmarks can measure it next to the fast package; do not use it for
// anything else.
//
// The functions have the names and signatures of package kdf and, like it,
// panic on an x other than 0 or 8 or an unknown [kdf.Version]. Unlike it they
// allocate on every call. The known-answer tests of package kdf
// (testdata/vectors.json) run on this package too.
//
// # Specification
//
// https://core.telegram.org/api/end-to-end (version 1, fingerprints,
// visualization) and
// https://core.telegram.org/mtproto/description#defining-aes-key-and-initialization-vector
// (version 2). The comments quote the formulas in the notation of those texts:
// substr(s, start, length), + for concatenation.
package kdfref

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/secretbench/secretbench/kdf"
)

// substr is the specification's substr(s, start, length).
func substr(s []byte, start, length int) []byte {
	return s[start : start+length]
}

// concat is the specification's +: a new slice holding all parts in order.
func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func sha1Of(parts ...[]byte) []byte {
	sum := sha1.Sum(concat(parts...))
	return sum[:]
}

func sha256Of(parts ...[]byte) []byte {
	sum := sha256.Sum256(concat(parts...))
	return sum[:]
}

func checkX(x int) {
	if x != 0 && x != 8 {
		panic(fmt.Sprintf("kdfref: x must be 0 or 8, got %d", x))
	}
}

// MsgKeyV1 is SHA1(data)[4:20]: "the 128 low-order bits of the SHA1".
func MsgKeyV1(data []byte) [16]byte {
	var msgKey [16]byte
	copy(msgKey[:], substr(sha1Of(data), 4, 16))
	return msgKey
}

// MsgKeyV2 is SHA256(key[88+x:120+x] || padded)[8:24].
func MsgKeyV2(key *[256]byte, x int, padded []byte) [16]byte {
	checkX(x)
	// msg_key_large = SHA256 (substr (auth_key, 88+x, 32) + plaintext + random_padding);
	msgKeyLarge := sha256Of(substr(key[:], 88+x, 32), padded)
	// msg_key = substr (msg_key_large, 8, 16);
	var msgKey [16]byte
	copy(msgKey[:], substr(msgKeyLarge, 8, 16))
	return msgKey
}

// Derive returns aes_key and aes_iv for the version; x is 0 or 8.
func Derive(v kdf.Version, key *[256]byte, msgKey *[16]byte, x int) (aesKey, aesIV [32]byte) {
	checkX(x)
	k, m := key[:], msgKey[:]
	var keyBytes, ivBytes []byte
	switch v {
	case kdf.V1:
		// sha1_a = SHA1 (msg_key + substr (key, x, 32));
		a := sha1Of(m, substr(k, x, 32))
		// sha1_b = SHA1 (substr (key, 32+x, 16) + msg_key + substr (key, 48+x, 16));
		b := sha1Of(substr(k, 32+x, 16), m, substr(k, 48+x, 16))
		// sha1_c = SHA1 (substr (key, 64+x, 32) + msg_key);
		c := sha1Of(substr(k, 64+x, 32), m)
		// sha1_d = SHA1 (msg_key + substr (key, 96+x, 32));
		d := sha1Of(m, substr(k, 96+x, 32))
		// aes_key = substr (sha1_a, 0, 8) + substr (sha1_b, 8, 12) + substr (sha1_c, 4, 12);
		keyBytes = concat(substr(a, 0, 8), substr(b, 8, 12), substr(c, 4, 12))
		// aes_iv = substr (sha1_a, 8, 12) + substr (sha1_b, 0, 8) + substr (sha1_c, 16, 4) + substr (sha1_d, 0, 8);
		ivBytes = concat(substr(a, 8, 12), substr(b, 0, 8), substr(c, 16, 4), substr(d, 0, 8))
	case kdf.V2:
		// sha256_a = SHA256 (msg_key + substr (auth_key, x, 36));
		a := sha256Of(m, substr(k, x, 36))
		// sha256_b = SHA256 (substr (auth_key, 40+x, 36) + msg_key);
		b := sha256Of(substr(k, 40+x, 36), m)
		// aes_key = substr (sha256_a, 0, 8) + substr (sha256_b, 8, 16) + substr (sha256_a, 24, 8);
		keyBytes = concat(substr(a, 0, 8), substr(b, 8, 16), substr(a, 24, 8))
		// aes_iv = substr (sha256_b, 0, 8) + substr (sha256_a, 8, 16) + substr (sha256_b, 24, 8);
		ivBytes = concat(substr(b, 0, 8), substr(a, 8, 16), substr(b, 24, 8))
	default:
		panic(fmt.Sprintf("kdfref: unknown Version %d", int(v)))
	}
	copy(aesKey[:], keyBytes)
	copy(aesIV[:], ivBytes)
	return aesKey, aesIV
}

// KeyFingerprint is "the 64 last bits of SHA1 (key)", little-endian.
func KeyFingerprint(key *[256]byte) int64 {
	return int64(binary.LittleEndian.Uint64(substr(sha1Of(key[:]), 12, 8)))
}

// FileFingerprint: digest = md5(key + iv);
// fingerprint = substr(digest, 0, 4) XOR substr(digest, 4, 4).
func FileFingerprint(key, iv *[32]byte) int32 {
	sum := md5.Sum(concat(key[:], iv[:]))
	digest := sum[:]
	lo := int32(binary.LittleEndian.Uint32(substr(digest, 0, 4)))
	hi := int32(binary.LittleEndian.Uint32(substr(digest, 4, 4)))
	return lo ^ hi
}

// Visualization is "the first 128 bits of SHA1(initial key) followed by the
// first 160 bits of SHA256(key used when secret chat was updated to layer 46)".
func Visualization(initial, layer46 *[256]byte) [36]byte {
	var v [36]byte
	copy(v[:], concat(substr(sha1Of(initial[:]), 0, 16), substr(sha256Of(layer46[:]), 0, 20)))
	return v
}
