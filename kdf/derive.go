package kdf

import (
	"crypto/sha1"
	"crypto/sha256"
	"hash"
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

// MsgKeyHash computes msg_key over data written to it in pieces, for a
// receiver that hashes a message while it decrypts it. Reset chooses the
// version; a reused MsgKeyHash allocates nothing after its first Reset of
// each version. The zero value is ready for Reset.
type MsgKeyHash struct {
	v      Version
	h1, h2 hash.Hash
	sum    [sha256.Size]byte
}

// Reset starts a msg_key of version v. For [V2] it hashes key[88+x:120+x]
// first (x is 0 or 8); for [V1] key and x are not used.
func (m *MsgKeyHash) Reset(v Version, key *[256]byte, x int) {
	switch v {
	case V1:
		if m.h1 == nil {
			m.h1 = sha1.New()
		}
		m.h1.Reset()
	case V2:
		checkX(x)
		if m.h2 == nil {
			m.h2 = sha256.New()
		}
		m.h2.Reset()
		m.h2.Write(key[88+x : 120+x])
	default:
		badVersion(v)
	}
	m.v = v
}

// Write adds p to the hashed data; it never fails. It panics before the
// first Reset.
func (m *MsgKeyHash) Write(p []byte) (int, error) {
	switch m.v {
	case V1:
		return m.h1.Write(p)
	case V2:
		return m.h2.Write(p)
	}
	panic("kdf: MsgKeyHash.Write before Reset")
}

// Sum returns the msg_key of what was written since Reset: [MsgKeyV1] or
// [MsgKeyV2] of it.
func (m *MsgKeyHash) Sum() [16]byte {
	switch m.v {
	case V1:
		s := m.h1.Sum(m.sum[:0])
		return [16]byte(s[4:20])
	case V2:
		s := m.h2.Sum(m.sum[:0])
		return [16]byte(s[8:24])
	}
	panic("kdf: MsgKeyHash.Sum before Reset")
}

// Wipe clears the hash states and scratch; the MsgKeyHash needs a Reset
// before its next use.
func (m *MsgKeyHash) Wipe() {
	for _, h := range []hash.Hash{m.h1, m.h2} {
		if h != nil {
			h.Reset()
		}
	}
	clear(m.sum[:])
	m.v = 0
}

// Derive returns aes_key and aes_iv for the version; x is 0 or 8.
func Derive(v Version, key *[256]byte, msgKey *[16]byte, x int) (aesKey, aesIV [32]byte) {
	checkX(x)
	switch v {
	case V1:
		deriveV1(key, msgKey, x, &aesKey, &aesIV)
	case V2:
		if useX2 {
			deriveV2x2(key, msgKey, x, &aesKey, &aesIV)
		} else {
			deriveV2(key, msgKey, x, &aesKey, &aesIV)
		}
	default:
		badVersion(v)
	}
	return
}

// The helpers below slice the key once at offset x, so that every later
// slice has constant bounds, and move bytes with fixed-size array
// assignments, which compile to a few register moves instead of memmove
// calls. Each hash is one compression, so what surrounds it shows in the
// cost; the choices below were measured against the bare hash calls
// (BenchmarkKDF impl=raw).

// deriveV1 hashes four 48-byte strings, each assembled on the stack:
// sha1.Sum of a contiguous array is cheaper than streaming the parts.
func deriveV1(key *[256]byte, msgKey *[16]byte, x int, aesKey, aesIV *[32]byte) {
	k := (*[128]byte)(key[x : x+128])
	var in [48]byte

	*(*[16]byte)(in[0:]) = *msgKey
	*(*[32]byte)(in[16:]) = [32]byte(k[0:32])
	a := sha1.Sum(in[:])

	*(*[16]byte)(in[0:]) = [16]byte(k[32:48])
	*(*[16]byte)(in[16:]) = *msgKey
	*(*[16]byte)(in[32:]) = [16]byte(k[48:64])
	b := sha1.Sum(in[:])

	*(*[32]byte)(in[0:]) = [32]byte(k[64:96])
	*(*[16]byte)(in[32:]) = *msgKey
	c := sha1.Sum(in[:])

	*(*[16]byte)(in[0:]) = *msgKey
	*(*[32]byte)(in[16:]) = [32]byte(k[96:128])
	d := sha1.Sum(in[:])

	*(*[8]byte)(aesKey[0:]) = [8]byte(a[0:8])
	*(*[12]byte)(aesKey[8:]) = [12]byte(b[8:20])
	*(*[12]byte)(aesKey[20:]) = [12]byte(c[4:16])

	*(*[12]byte)(aesIV[0:]) = [12]byte(a[8:20])
	*(*[8]byte)(aesIV[12:]) = [8]byte(b[0:8])
	*(*[4]byte)(aesIV[20:]) = [4]byte(c[16:20])
	*(*[8]byte)(aesIV[24:]) = [8]byte(d[0:8])
}

// deriveV2 hashes two 52-byte strings (one SHA-256 block each) one after
// the other, where the CPU has no two-lane kernel (deriveV2x2). Here
// streaming the parts through one stack digest, reset in between, measured a
// few percent faster than assembling arrays for sha256.Sum256 (and slightly
// under two bare Sum256 calls): Write reads the key and msg_key where they
// lie, and the second hash reuses the state instead of a fresh New.
func deriveV2(key *[256]byte, msgKey *[16]byte, x int, aesKey, aesIV *[32]byte) {
	k := (*[76]byte)(key[x : x+76])
	var a, b [sha256.Size]byte
	h := sha256.New()
	h.Write(msgKey[:])
	h.Write(k[0:36])
	h.Sum(a[:0])
	h.Reset()
	h.Write(k[40:76])
	h.Write(msgKey[:])
	h.Sum(b[:0])
	combineV2(&a, &b, aesKey, aesIV)
}

// combineV2 cuts aes_key and aes_iv from the v2 hashes a and b.
func combineV2(a, b *[sha256.Size]byte, aesKey, aesIV *[32]byte) {
	*(*[8]byte)(aesKey[0:]) = [8]byte(a[0:8])
	*(*[16]byte)(aesKey[8:]) = [16]byte(b[8:24])
	*(*[8]byte)(aesKey[24:]) = [8]byte(a[24:32])

	*(*[8]byte)(aesIV[0:]) = [8]byte(b[0:8])
	*(*[16]byte)(aesIV[8:]) = [16]byte(a[8:24])
	*(*[8]byte)(aesIV[24:]) = [8]byte(b[24:32])
}
