// Package modexp computes modular exponentiation on big-endian byte strings
// in time that does not depend on the values of the operands, so that the
// exponent may be a secret (a Diffie-Hellman private key).
//
// # Guarantee
//
// [Exp] and [Modulus.Exp] run in time that depends only on the lengths of
// base, exp and m, never on their values. The modulus itself is treated as
// public (its bit length and parity may leak), which is the case for
// Diffie-Hellman groups. They are backed by the constant-time arithmetic of
// [filippo.io/bigmod] (the package behind Go's crypto/rsa and crypto/ecdsa).
//
// # Variants
//
//   - [Exp] is the one-shot form: it builds the Montgomery constants of m on
//     every call.
//   - [NewModulus] precomputes them once; [Modulus.Exp] then reuses them and
//     writes into a caller-provided buffer. A Modulus is safe for concurrent
//     use (it is read-only after construction).
//
// # Specification
//
// Telegram secret chats require the shared key (g_b)^a mod p to be computed
// with a constant-time exponentiation, see
// https://core.telegram.org/api/end-to-end (section "Key generation").
package modexp

import (
	"errors"

	"filippo.io/bigmod"
)

var (
	// ErrModulus is returned for a modulus that is even or not greater than one.
	ErrModulus = errors.New("modexp: modulus must be odd and greater than 1")
	// errDst is returned when the destination buffer has the wrong size.
	errDst = errors.New("modexp: destination must be exactly Size() bytes")
)

// Modulus is an odd modulus > 1 with its Montgomery constants precomputed.
type Modulus struct {
	m    *bigmod.Modulus
	size int // len(m) in bytes, without leading zeros
}

// NewModulus precomputes the constants for exponentiation modulo m
// (big-endian, leading zero bytes ignored). m must be odd and greater than 1.
func NewModulus(m []byte) (*Modulus, error) {
	m = trimLeadingZeros(m)
	if len(m) == 0 || m[len(m)-1]&1 == 0 || (len(m) == 1 && m[0] == 1) {
		return nil, ErrModulus
	}
	bm, err := bigmod.NewModulus(m)
	if err != nil {
		return nil, ErrModulus
	}
	return &Modulus{m: bm, size: len(m)}, nil
}

// Size returns the length of m in bytes, without leading zeros; it is the
// length of every result.
func (m *Modulus) Size() int { return m.size }

// Exp sets dst = base^exp mod m, big-endian, exactly m.Size() bytes
// (left-padded with zeros). base may be of any length (it is reduced mod m);
// exp may be of any length, including empty (result 1). The running time
// depends only on len(base), len(exp) and m.
func (m *Modulus) Exp(dst, base, exp []byte) error {
	if len(dst) != m.size {
		return errDst
	}
	x := m.reduce(base)
	out := bigmod.NewNat().Exp(x, exp, m.m)
	copy(dst, out.Bytes(m.m))
	return nil
}

// reduce returns base mod m in time that depends only on len(base). bigmod
// builds a Nat only relative to a modulus, so base is first loaded against
// the (even, never used for arithmetic) modulus 256^(len(base)+1), which is wide
// enough for any value of that length, and then reduced with the
// constant-time Nat.Mod.
func (m *Modulus) reduce(base []byte) *bigmod.Nat {
	wide := make([]byte, len(base)+2) // 256^(len(base)+1) > 1 even for empty base
	wide[0] = 1
	wm, err := bigmod.NewModulus(wide)
	if err != nil {
		panic("modexp: internal error: " + err.Error())
	}
	y, err := bigmod.NewNat().SetBytes(base, wm)
	if err != nil {
		panic("modexp: internal error: " + err.Error())
	}
	return bigmod.NewNat().Mod(y, m.m)
}

// Exp returns base^exp mod m as a big-endian byte string of exactly len(m)
// bytes (m given without leading zero bytes; if it has some, the result is
// still len(m) bytes, left-padded). It runs in time independent of the values
// of base and exp (for fixed lengths), so exp may be secret. m must be odd
// and > 1; base may be >= m (it is reduced) or shorter than m.
func Exp(base, exp, m []byte) ([]byte, error) {
	mod, err := NewModulus(m)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(m))
	if err := mod.Exp(out[len(m)-mod.size:], base, exp); err != nil {
		return nil, err
	}
	return out, nil
}

func trimLeadingZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
