package kdf

import (
	"crypto/sha1"
	"crypto/sha256"
)

// MsgKeyV1 is SHA1(data)[4:20]; data is the length-prefixed message before padding.
func MsgKeyV1(data []byte) [16]byte {
	sum := sha1.Sum(data)
	return [16]byte(sum[4:20])
}

// MsgKeyV2 is SHA256(key[88+x:120+x] || padded)[8:24].
//
// x must be 0 or 8; padded is hashed as given, whatever its length.
func MsgKeyV2(key *[256]byte, x int, padded []byte) [16]byte {
	checkX(x)
	// sha256.New inlines and the compiler devirtualizes Write and Sum, so the
	// state stays on this stack frame: the key part and the message stream
	// through it without a concatenation buffer.
	h := sha256.New()
	h.Write(key[88+x : 120+x])
	h.Write(padded)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return [16]byte(sum[8:24])
}

// Derive returns aes_key and aes_iv for the version; x is 0 or 8.
func Derive(v Version, key *[256]byte, msgKey *[16]byte, x int) (aesKey, aesIV [32]byte) {
	checkX(x)
	switch v {
	case V1:
		return deriveV1(key, msgKey, x)
	case V2:
		return deriveV2(key, msgKey, x)
	}
	badVersion(v)
	return
}

// deriveV1 hashes four 48-byte strings, each assembled on the stack.
func deriveV1(key *[256]byte, msgKey *[16]byte, x int) (aesKey, aesIV [32]byte) {
	var in [48]byte

	copy(in[:16], msgKey[:])
	copy(in[16:], key[x:x+32])
	a := sha1.Sum(in[:])

	copy(in[:16], key[32+x:48+x])
	copy(in[16:32], msgKey[:])
	copy(in[32:], key[48+x:64+x])
	b := sha1.Sum(in[:])

	copy(in[:32], key[64+x:96+x])
	copy(in[32:], msgKey[:])
	c := sha1.Sum(in[:])

	copy(in[:16], msgKey[:])
	copy(in[16:], key[96+x:128+x])
	d := sha1.Sum(in[:])

	copy(aesKey[0:8], a[0:8])
	copy(aesKey[8:20], b[8:20])
	copy(aesKey[20:32], c[4:16])

	copy(aesIV[0:12], a[8:20])
	copy(aesIV[12:20], b[0:8])
	copy(aesIV[20:24], c[16:20])
	copy(aesIV[24:32], d[0:8])
	return
}

// deriveV2 hashes two 52-byte strings (one SHA-256 block each), each
// assembled on the stack.
func deriveV2(key *[256]byte, msgKey *[16]byte, x int) (aesKey, aesIV [32]byte) {
	var in [52]byte

	copy(in[:16], msgKey[:])
	copy(in[16:], key[x:x+36])
	a := sha256.Sum256(in[:])

	copy(in[:36], key[40+x:76+x])
	copy(in[36:], msgKey[:])
	b := sha256.Sum256(in[:])

	copy(aesKey[0:8], a[0:8])
	copy(aesKey[8:24], b[8:24])
	copy(aesKey[24:32], a[24:32])

	copy(aesIV[0:8], b[0:8])
	copy(aesIV[8:24], a[8:24])
	copy(aesIV[24:32], b[24:32])
	return
}
