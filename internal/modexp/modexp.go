// Package modexp computes modular exponentiation on big-endian byte strings,
// in two flavours: constant time for secret exponents (Diffie-Hellman private
// keys) and variable time, as fast as the hardware allows, for public
// inputs (primality tests of a prime the server sent).
//
// # Constant time
//
// [Exp] and [Modulus.Exp] run in time that depends only on the lengths of
// base, exp and m, never on their values. The modulus itself is treated as
// public (its bit length and parity may leak), which is the case for
// Diffie-Hellman groups. The base is always loaded and reduced with the
// constant-time Nat.Mod of [filippo.io/bigmod] (the package behind Go's
// crypto/rsa). The exponentiation itself uses, for moduli of at most 2048
// bits on CPUs with AVX-512 IFMA, the radix-2^52 Montgomery kernel described
// below with a fixed 4-bit window: every window costs four squarings and one
// multiplication (by x^0 too), the table entry is picked by scanning all 16
// entries with masks, and the final subtraction is a masked select; the
// kernel itself has fixed loops and only data-independent instructions.
// Elsewhere it is bigmod's constant-time Nat.Exp.
//
//   - [Exp] is the one-shot form: it builds the Montgomery constants of m on
//     every call.
//   - [NewModulus] precomputes them once; [Modulus.Exp] then reuses them and
//     writes into a caller-provided buffer. A Modulus is read-only after
//     construction and safe for concurrent use.
//
// # Variable time
//
// [VarTimeModulus] is for public base and exponent only. For moduli of at
// most 2048 bits on amd64 CPUs with AVX-512 IFMA (and without the purego
// build tag) it uses this package's fixed-width Montgomery arithmetic: 40
// limbs of 52 bits, "almost Montgomery" multiplication with R = 2^2080 in
// assembly (VPMADD52LUQ/VPMADD52HUQ on five 512-bit registers), a 5-bit
// sliding window, and for [VarTimeModulus.ExpBatch] four exponentiations
// with one exponent interleaved in one kernel so that the latency of one
// hides behind the others. Elsewhere it uses math/big, which on amd64 is
// already MULX/ADX assembly and beats portable Go code.
//
// Measured side by side at 2048 bits with a 2048-bit exponent
// (BenchmarkModExp, AMD EPYC Zen 5, a shared and noisy 2-core machine, so
// only rough ratios): math/big about 2.3 ms, bigmod about 2.5 ms, the
// IFMA kernel about 0.7 ms (3 times math/big), the four-way batch about
// 0.42 ms per exponentiation (5 times), the constant-time IFMA path of
// Modulus.Exp about 1 ms (2.5 times bigmod, which it replaces). The portable
// Go version of the radix-2^52 code is about 3 times slower than math/big
// and is kept as the reference the assembly is tested against.
//
// [Impl] names the implementation in use. SECRETBENCH_REQUIRE_IMPL=avx512ifma
// (or =generic) makes the tests fail
// unless that variable-time path is the one in use; GODEBUG=cpu.avx512f=off
// turns the IFMA code off (math/big and bigmod are used instead).
//
// # Specification
//
// Telegram secret chats require the shared key (g_b)^a mod p to be computed
// with a constant-time exponentiation, see
// https://core.telegram.org/api/end-to-end (section "Key generation") and
// docs/PROTOCOL.md section 4.
package modexp

import (
	"bytes"
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
	mod  []byte // m without leading zeros
	size int    // len(mod)
	w52  *mont52
	w64  *mont64
	big  *bigmod.Modulus // moduli above 2048 bits only
}

// NewModulus precomputes the constants for exponentiation modulo m
// (big-endian, leading zero bytes ignored). m must be odd and greater than 1.
// For moduli of at most 2048 bits this costs a few microseconds, well below
// one exponentiation, so callers need not cache a Modulus.
func NewModulus(m []byte) (*Modulus, error) {
	m = trimLeadingZeros(m)
	if len(m) == 0 || m[len(m)-1]&1 == 0 || (len(m) == 1 && m[0] == 1) {
		return nil, ErrModulus
	}
	mod := &Modulus{mod: bytes.Clone(m), size: len(m)}
	switch {
	case len(m) > maxBytes:
		bm, err := bigmod.NewModulus(m)
		if err != nil {
			return nil, ErrModulus
		}
		mod.big = bm
	case active == kIFMA:
		mod.w52 = newMont52(m, true)
	default:
		mod.w64 = newMont64(m, active == kAsm64)
	}
	return mod, nil
}

// Size returns the length of m in bytes, without leading zeros; it is the
// length of every result.
func (m *Modulus) Size() int { return m.size }

// Exp sets dst = base^exp mod m, big-endian, exactly m.Size() bytes
// (left-padded with zeros). base may be of any length (it is reduced mod m);
// exp may be of any length, including empty (result 1). The running time
// depends only on len(base), len(exp) and m. For moduli of at most 2048 bits
// and bases of at most 256 bytes it does not allocate.
func (m *Modulus) Exp(dst, base, exp []byte) error {
	if len(dst) != m.size {
		return errDst
	}
	if m.big != nil {
		x, err := bigmod.NewNat().SetBytes(m.reduce(base, m.big), m.big)
		if err != nil {
			panic("modexp: internal error: " + err.Error())
		}
		copy(dst, bigmod.NewNat().Exp(x, exp, m.big).Bytes(m.big))
		return nil
	}
	if len(base) > maxBytes {
		bm, err := bigmod.NewModulus(m.mod)
		if err != nil {
			panic("modexp: internal error: " + err.Error())
		}
		base = m.reduce(base, bm)
	}
	switch {
	case m.w52 != nil:
		m.w52.expCT(dst, base, exp)
	case len(base) <= 1:
		var b byte
		if len(base) == 1 {
			b = base[0]
		}
		m.w64.expCTSmall(dst, b, exp)
	default:
		m.w64.expCT(dst, base, exp)
	}
	return nil
}

// reduce returns base mod m as Size() bytes in time that depends only on
// len(base). bigmod builds a Nat only relative to a modulus, so base is
// first loaded against the (even, never used for arithmetic) modulus
// 256^(len(base)+1), which is wide enough for any value of that length, and
// then reduced with the constant-time Nat.Mod. It allocates, and is used only
// for bases longer than 2048 bits and for moduli above 2048 bits.
func (m *Modulus) reduce(base []byte, bm *bigmod.Modulus) []byte {
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
	return bigmod.NewNat().Mod(y, bm).Bytes(bm)
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
