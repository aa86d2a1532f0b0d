package kdf

import (
	"encoding/binary"
	"math/bits"
	"strconv"
)

// MsgKeyV1Prefix is [MsgKeyV1] of data[:n], computed in time that depends
// on len(data) but not on n: a receiver of a version 1 message learns the
// length of the data that msg_key covers only by decrypting it, before
// msg_key is verified, so hashing data[:n] with [MsgKeyV1] would time the
// plaintext of any forged message.
//
// It panics unless 0 <= n <= len(data); a caller with an untrusted length
// must bring it into range without a branch first.
//
// The technique is that of the Lucky 13 countermeasures (AlFardan and
// Paterson, IEEE S&P 2013; Langley's constant-time CBC MAC check in
// OpenSSL): every block of the longest possible padded message is
// compressed, each built with masks from data, the 0x80 terminator at n and
// the bit length in the block where a message of n bytes ends, and the
// chaining state after that block is kept with a masked select. The
// compression function is this package's own (sha1Block), as crypto/sha1
// exposes no state; it is portable Go, so this costs several times
// [MsgKeyV1] (which uses the CPU's SHA instructions), which only the legacy
// version pays.
func MsgKeyV1Prefix(data []byte, n int) [16]byte {
	if uint(n) > uint(len(data)) {
		badPrefix(n, len(data))
	}
	var h, out [5]uint32
	h = sha1IV
	last := (n + 8) >> 6 // the block that carries the bit length
	bitLen := uint64(n) << 3
	blocks := (len(data)+8)>>6 + 1
	var w [16]uint32
	for i := range blocks {
		base := i * 64
		for j := range w {
			p := base + 4*j
			w[j] = prefixWord(loadWord(data, p), n-p)
		}
		isLast := eqMask(i, last)
		w[14] |= uint32(bitLen>>32) & isLast
		w[15] |= uint32(bitLen) & isLast
		sha1Block(&h, &w)
		for k := range out {
			out[k] = out[k]&^isLast | h[k]&isLast
		}
	}
	var key [16]byte
	for k := range 4 {
		binary.BigEndian.PutUint32(key[4*k:], out[k+1]) // SHA1(...)[4:20]
	}
	return key
}

//go:noinline
func badPrefix(n, size int) {
	panic("kdf: MsgKeyV1Prefix of " + strconv.Itoa(n) + " bytes of " + strconv.Itoa(size))
}

// loadWord reads the big-endian word at data[p:p+4], zeros past the end.
// p and len(data) are public: the branches are on them alone.
func loadWord(data []byte, p int) uint32 {
	if p+4 <= len(data) {
		return binary.BigEndian.Uint32(data[p:])
	}
	var b [4]byte
	if p < len(data) {
		copy(b[:], data[p:])
	}
	return binary.BigEndian.Uint32(b[:])
}

// prefixWord is the SHA-1 message word of a padded message whose byte 0 of
// this word lies d bytes before its end (d = n - p, secret): the bytes
// before the end as in word, 0x80 at the end, zero after it. Shifts by a
// variable count take constant time; the counts are masked below 64 so that
// the compiler adds no test for larger ones.
func prefixWord(word uint32, d int) uint32 {
	nonNeg := ^int64(d) >> 63 // all ones if d >= 0
	c := int64(d) & nonNeg    // max(d, 0)
	c = 4 + (c-4)&((c-4)>>63) // min(c, 4): bytes of word kept
	shift := uint(8*c) & 63
	keep := uint32(^uint64(0) << ((32 - shift) & 63))
	marker := uint32(uint64(0x80000000)>>shift) & uint32(nonNeg)
	return word&keep | marker
}

// eqMask is all ones if a == b, else zero; |a|, |b| < 2^62.
func eqMask(a, b int) uint32 {
	d := uint64(a - b)
	return uint32((int64((d|-d)>>1) - 1) >> 63) // d|-d has its top bit set iff d != 0
}

var sha1IV = [5]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}

// sha1Block is the SHA-1 compression function (FIPS 180-4, 6.1.2) of one
// block of message words w (overwritten as the schedule).
func sha1Block(h *[5]uint32, w *[16]uint32) {
	a, b, c, d, e := h[0], h[1], h[2], h[3], h[4]
	i := 0
	for ; i < 16; i++ {
		t := bits.RotateLeft32(a, 5) + (b&c | ^b&d) + e + 0x5a827999 + w[i]
		a, b, c, d, e = t, a, bits.RotateLeft32(b, 30), c, d
	}
	for ; i < 20; i++ {
		t := bits.RotateLeft32(a, 5) + (b&c | ^b&d) + e + 0x5a827999 + schedule(w, i)
		a, b, c, d, e = t, a, bits.RotateLeft32(b, 30), c, d
	}
	for ; i < 40; i++ {
		t := bits.RotateLeft32(a, 5) + (b ^ c ^ d) + e + 0x6ed9eba1 + schedule(w, i)
		a, b, c, d, e = t, a, bits.RotateLeft32(b, 30), c, d
	}
	for ; i < 60; i++ {
		t := bits.RotateLeft32(a, 5) + (b&c | b&d | c&d) + e + 0x8f1bbcdc + schedule(w, i)
		a, b, c, d, e = t, a, bits.RotateLeft32(b, 30), c, d
	}
	for ; i < 80; i++ {
		t := bits.RotateLeft32(a, 5) + (b ^ c ^ d) + e + 0xca62c1d6 + schedule(w, i)
		a, b, c, d, e = t, a, bits.RotateLeft32(b, 30), c, d
	}
	h[0] += a
	h[1] += b
	h[2] += c
	h[3] += d
	h[4] += e
}

// schedule computes message word i >= 16 in place of word i-16.
func schedule(w *[16]uint32, i int) uint32 {
	x := bits.RotateLeft32(w[(i-3)&15]^w[(i-8)&15]^w[(i-14)&15]^w[i&15], 1)
	w[i&15] = x
	return x
}
