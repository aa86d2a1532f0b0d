package dhcheck

import (
	"encoding/binary"
	"errors"

	"github.com/secretbench/secretbench/internal/dhrule"
)

// Errors are distinct values, matched with errors.Is; each returned error
// matches exactly one of them. Where several checks fail, the first check's
// error is returned.
var (
	// ErrPrimeSize: p is not exactly 2048 bits (2^2047 < p < 2^2048).
	ErrPrimeSize = errors.New("dhcheck: p is not a 2048-bit number")
	// ErrNotSafePrime: p or (p-1)/2 is composite.
	ErrNotSafePrime = errors.New("dhcheck: p is not a safe prime")
	// ErrGenerator: g is not in 2..7, or not a quadratic residue mod p.
	ErrGenerator = errors.New("dhcheck: g does not generate the subgroup of order (p-1)/2")
	// ErrRange: a public value is outside the allowed range.
	ErrRange = errors.New("dhcheck: public value out of range")
)

const (
	primeBits  = 2048
	primeBytes = primeBits / 8
	// safetyBits: public values must lie in [2^1984, p - 2^1984].
	safetyBits = 2048 - 64
)

// trim drops leading zero bytes: inputs have value semantics.
func trim(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// checkSize reports whether the trimmed p satisfies 2^2047 < p < 2^2048.
// A 256-byte value with its top bit set is at least 2^2047; it equals 2^2047
// only when every other bit is clear, which is also even and rejected later,
// but the size rule is exact so it is tested here.
func checkSize(p []byte) error {
	if len(p) != primeBytes || p[0]&0x80 == 0 {
		return ErrPrimeSize
	}
	if p[0] == 0x80 && len(trim(p[1:])) == 0 {
		return ErrPrimeSize // exactly 2^2047
	}
	return nil
}

// modSmall returns b mod m for big-endian b of any length and 0 < m < 2^32.
func modSmall(b []byte, m uint64) uint64 {
	var r uint64
	head := len(b) % 8
	for _, c := range b[:head] {
		r = (r<<8 | uint64(c)) % m
	}
	for i := head; i < len(b); i += 8 {
		w := binary.BigEndian.Uint64(b[i:])
		// r < m < 2^32, so (r<<32 | w>>32) fits 64 bits.
		r = (r<<32 | w>>32) % m
		r = (r<<32 | w&0xffffffff) % m
	}
	return r
}

// generatorOK applies the quadratic-residue rule for g in 2..7 (the table in
// internal/dhrule) to r = p mod dhrule.LCM.
func generatorOK(g int, r uint64) bool { return dhrule.OK(g, r) }

// CheckGenerator applies the p mod 4g rule: it returns ErrGenerator unless
// 2 <= g <= 7 and g is a quadratic residue mod p, so that g generates the
// subgroup of prime order (p-1)/2 when p is a safe prime. It checks nothing
// else about p (use [CheckSafePrime] or [Checker.CheckParams] for that).
func CheckGenerator(g int, p []byte) error {
	if g < 2 || g > 7 || !generatorOK(g, modSmall(trim(p), dhrule.LCM)) {
		return ErrGenerator
	}
	return nil
}

// CheckPublic checks a public value g_a or g_b (our own included) against the
// 2048-bit prime p: 1 < gx < p-1 and 2^1984 <= gx <= p - 2^1984. It returns
// ErrPrimeSize if p is not 2048 bits (the range is meaningless then) and
// ErrRange otherwise. p is assumed to have been checked with
// [Checker.CheckParams]; CheckPublic does not test its primality.
func CheckPublic(p, gx []byte) error {
	p, gx = trim(p), trim(gx)
	if err := checkSize(p); err != nil {
		return err
	}
	// gx >= 2^1984: at least 249 significant bytes, i.e. bit length > 1984.
	if len(gx)*8-leadingZeroBits(gx) <= safetyBits {
		return ErrRange
	}
	// gx <= p - 2^1984  <=>  gx + 2^1984 <= p.
	if len(gx) > primeBytes {
		return ErrRange
	}
	var sum [primeBytes + 1]byte
	copy(sum[len(sum)-len(gx):], gx)
	// Add 2^1984: byte index counted from the end is 1984/8 = 248.
	carry := uint16(1)
	for i := len(sum) - 1 - safetyBits/8; i >= 0 && carry != 0; i-- {
		v := uint16(sum[i]) + carry
		sum[i], carry = byte(v), v>>8
	}
	if sum[0] != 0 || cmpBytes(sum[1:], p) > 0 {
		return ErrRange
	}
	// With p > 2^2047 the two range rules above imply 1 < gx < p-1.
	return nil
}

func leadingZeroBits(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	n := 0
	for c := b[0]; c&0x80 == 0 && n < 8; c <<= 1 {
		n++
	}
	return n
}

// cmpBytes compares equal-length big-endian values.
func cmpBytes(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
