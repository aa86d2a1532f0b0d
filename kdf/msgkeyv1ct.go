package kdf

import (
	"crypto/sha1"
	"encoding"
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
// Paterson, IEEE S&P 2013): every whole 64-byte block of data is hashed,
// and the chaining state after the n/64 blocks that precede the end of the
// message is kept with masked selects. The block that holds the end is
// gathered from data with masks and padded for n (0x80 terminator, zeros,
// bit length); one more block carries the bit length when it does not fit.
// Both are always compressed, and a mask picks the state after the right
// one. The bulk runs through crypto/sha1 (SHA instructions where the CPU
// has them), whose state is read after every block with AppendBinary and
// set with UnmarshalBinary; where that state format is not the expected one
// a portable compression function of this package takes over.
func MsgKeyV1Prefix(data []byte, n int) [16]byte {
	if uint(n) > uint(len(data)) {
		badPrefix(n, len(data))
	}
	if !stdSHA1 || forcePortable {
		return prefixPortable(data, n)
	}
	// All in one function, so that the compiler sees the digest's type
	// through sha1.New and devirtualizes every call: nothing escapes.
	h := sha1.New()
	app := h.(encoding.BinaryAppender)
	un := h.(encoding.BinaryUnmarshaler)
	var buf [sha1Marshaled]byte
	var s [5]uint32
	sel := sha1IV // the state after the n/64 whole blocks of the message
	for k := range len(data) >> 6 {
		h.Write(data[64*k : 64*k+64])
		b, _ := app.AppendBinary(buf[:0])
		readState(&s, b)
		selectState(&sel, &s, eqMask(k+1, n>>6))
	}
	var end, trailer [16]uint32
	fits := endBlocks(data, n, &end, &trailer)
	var in [64]byte
	s = sel
	for _, w := range []*[16]uint32{&end, &trailer} {
		if err := un.UnmarshalBinary(marshalState(&buf, &s)); err != nil {
			panic("kdf: internal error: " + err.Error())
		}
		for j, v := range w {
			binary.BigEndian.PutUint32(in[4*j:], v)
		}
		h.Write(in[:])
		b, _ := app.AppendBinary(buf[:0])
		readState(&s, b)
		if w == &end {
			selectState(&sel, &s, ^uint32(0)) // after end; s goes on
		}
	}
	selectState(&sel, &s, ^fits)
	return msgKeyOf(&sel)
}

// prefixPortable is MsgKeyV1Prefix with sha1Block for every compression.
func prefixPortable(data []byte, n int) [16]byte {
	var w [16]uint32
	s := sha1IV
	sel := sha1IV
	for k := range len(data) >> 6 {
		for j := range w {
			w[j] = binary.BigEndian.Uint32(data[64*k+4*j:])
		}
		sha1Block(&s, &w)
		selectState(&sel, &s, eqMask(k+1, n>>6))
	}
	var end, trailer [16]uint32
	fits := endBlocks(data, n, &end, &trailer)
	sha1Block(&sel, &end)
	s = sel
	sha1Block(&s, &trailer)
	selectState(&sel, &s, ^fits)
	return msgKeyOf(&sel)
}

// endBlocks builds the last block of the padded message data[:n] in end,
// gathered with masks from block n/64 of data (zeros past its end), and the
// block that follows, trailer, which carries the bit length if end has no
// room for it: fits is all ones if end has.
func endBlocks(data []byte, n int, end, trailer *[16]uint32) (fits uint32) {
	full := len(data) >> 6
	for k := range full {
		mask := eqMask(k, n>>6)
		block := (*[64]byte)(data[64*k:])
		for j := range end {
			end[j] |= binary.BigEndian.Uint32(block[4*j:]) & mask
		}
	}
	mask := eqMask(full, n>>6)
	for j := range end {
		end[j] |= loadWord(data, 64*full+4*j) & mask
	}
	r := n & 63 // where the message ends in the block
	for j := range end {
		end[j] = prefixWord(end[j], r-4*j)
	}
	fits = uint32(int64(r-56) >> 63) // r < 56: 0x80 and 8 length bytes fit
	bitLen := uint64(n) << 3
	hi, lo := uint32(bitLen>>32), uint32(bitLen)
	end[14] |= hi & fits
	end[15] |= lo & fits
	trailer[14] = hi &^ fits
	trailer[15] = lo &^ fits
	return fits
}

// selectState sets dst to src where mask is all ones (mask is 0 or all ones).
func selectState(dst, src *[5]uint32, mask uint32) {
	for i := range dst {
		dst[i] = dst[i]&^mask | src[i]&mask
	}
}

// msgKeyOf is SHA1(...)[4:20] of the final state s.
func msgKeyOf(s *[5]uint32) [16]byte {
	var key [16]byte
	for k := range 4 {
		binary.BigEndian.PutUint32(key[4*k:], s[k+1])
	}
	return key
}

//go:noinline
func badPrefix(n, size int) {
	panic("kdf: MsgKeyV1Prefix of " + strconv.Itoa(n) + " bytes of " + strconv.Itoa(size))
}

// stdSHA1 tells whether crypto/sha1's marshaled state has the layout that
// readState and marshalState assume (checked once against sha1Block);
// forcePortable makes MsgKeyV1Prefix use sha1Block anyway (tests).
var (
	stdSHA1       = probeSHA1()
	forcePortable = false
)

// The marshaled state of crypto/sha1 (its AppendBinary): magic, the five
// state words (big endian), the buffered partial block padded with zeros to
// 64 bytes, the length hashed so far in bytes (big endian).
const (
	sha1Magic     = "sha\x01"
	sha1Marshaled = len(sha1Magic) + 5*4 + 64 + 8
)

// readState reads the state words from a marshaled state.
func readState(s *[5]uint32, b []byte) {
	b = b[len(sha1Magic) : len(sha1Magic)+20]
	for i := range s {
		s[i] = binary.BigEndian.Uint32(b[4*i:])
	}
}

// marshalState writes s into buf as the marshaled state of a digest after
// one whole block (the count matters only to Sum, which is not used).
func marshalState(buf *[sha1Marshaled]byte, s *[5]uint32) []byte {
	b := append(buf[:0], sha1Magic...)
	for _, v := range s {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	clear(buf[len(b) : sha1Marshaled-8])
	binary.BigEndian.PutUint64(buf[sha1Marshaled-8:], 64)
	return buf[:]
}

// probeSHA1 reports whether crypto/sha1 reads and writes its state as
// readState and marshalState assume: a state set, advanced by a block and
// read back must match sha1Block.
func probeSHA1() bool {
	h := sha1.New()
	app, ok1 := h.(encoding.BinaryAppender)
	un, ok2 := h.(encoding.BinaryUnmarshaler)
	if !ok1 || !ok2 {
		return false
	}
	var buf [sha1Marshaled]byte
	var block [64]byte
	var w [16]uint32
	for i := range block {
		block[i] = byte(i)
	}
	for j := range w {
		w[j] = binary.BigEndian.Uint32(block[4*j:])
	}
	s := [5]uint32{1, 2, 3, 4, 5}
	if un.UnmarshalBinary(marshalState(&buf, &s)) != nil {
		return false
	}
	h.Write(block[:])
	b, err := app.AppendBinary(buf[:0])
	if err != nil || len(b) != sha1Marshaled || string(b[:len(sha1Magic)]) != sha1Magic {
		return false
	}
	var got [5]uint32
	readState(&got, b)
	sha1Block(&s, &w)
	return got == s
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
