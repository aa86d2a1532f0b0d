package modexp

import (
	"errors"
	"math/big"
)

// VarTimeModulus is an odd modulus prepared for exponentiation with PUBLIC
// base and exponent, such as the Miller-Rabin and Pocklington tests of a
// Diffie-Hellman prime the server sent. Its running time depends on the
// values; never use it with a secret.
//
// Moduli of at most 2048 bits use the fixed-width 2048-bit Montgomery
// arithmetic of this package where the CPU supports its assembly (see
// [Impl]); other moduli use math/big.
type VarTimeModulus struct {
	size int // len(m) without leading zeros
	m    *big.Int
	w52  *mont52 // the IFMA kernels, or nil
	w64  *mont64 // the radix-2^64 assembly, or nil
	w28  *mont28 // with w64: the four-way AVX2 kernels for ExpBatch, or nil
}

// batch28 lets ExpBatch on the radix-2^64 assembly path use the four-way
// AVX2 kernels (where the CPU has AVX2); tests and benchmarks turn it off to
// compare.
var batch28 = true

// NewVarTimeModulus prepares m (big-endian, leading zeros ignored), which must
// be odd and greater than 1.
func NewVarTimeModulus(m []byte) (*VarTimeModulus, error) {
	m = trimLeadingZeros(m)
	if len(m) == 0 || m[len(m)-1]&1 == 0 || (len(m) == 1 && m[0] == 1) {
		return nil, ErrModulus
	}
	v := &VarTimeModulus{size: len(m), m: new(big.Int).SetBytes(m)}
	if len(m) <= maxBytes {
		switch active {
		case kIFMA:
			v.w52 = newMont52(m, true)
		case kAsm64:
			v.w64 = newMont64(m, true)
			if haveAVX2Batch && batch28 {
				v.w28 = newMont28(m)
			}
		}
	}
	return v, nil
}

// Size returns the length of m in bytes, without leading zeros; it is the
// length of every result.
func (v *VarTimeModulus) Size() int { return v.size }

// Exp sets dst = base^exp mod m, big-endian, exactly Size() bytes. base may be
// of any length (it is reduced mod m).
func (v *VarTimeModulus) Exp(dst, base, exp []byte) error {
	if len(dst) != v.size {
		return errDst
	}
	switch {
	case v.w52 != nil:
		v.w52.exp(dst, base, exp)
	case v.w64 != nil:
		if len(base) > maxBytes {
			base = new(big.Int).Mod(new(big.Int).SetBytes(base), v.m).Bytes()
		}
		v.w64.exp(dst, base, exp)
	default:
		expBig(dst, base, exp, v.m)
	}
	return nil
}

func expBig(dst, base, exp []byte, m *big.Int) {
	x := new(big.Int).SetBytes(base)
	e := new(big.Int).SetBytes(exp)
	x.Exp(x, e, m)
	x.FillBytes(dst)
}

// ExpBatch sets dst[i] = bases[i]^exp mod m for every i: several
// exponentiations sharing one exponent, such as Miller-Rabin rounds with
// different bases. Each dst[i] must be Size() bytes. Where a fixed-width
// kernel is in use, groups of four run together, which is faster than four
// calls to Exp: interleaved in one kernel on the IFMA path, and on the
// MULX/ADX path (with AVX2) in the four 64-bit lanes of 256-bit registers
// (radix 2^28, see mont28.go), which takes about 0.7 of the time of four
// calls to Exp; there a group of three uses the four-way kernels too, one
// or two leftover bases go through Exp. On that path it does not allocate
// for bases of at most Size() bytes.
func (v *VarTimeModulus) ExpBatch(dst, bases [][]byte, exp []byte) error {
	if len(dst) != len(bases) {
		return errors.New("modexp: ExpBatch needs one dst per base")
	}
	for _, d := range dst {
		if len(d) != v.size {
			return errDst
		}
	}
	i := 0
	if v.w52 != nil {
		var spare [4][]byte
		for ; i < len(bases); i += 4 {
			var d, b [4][]byte
			for k := range 4 {
				if i+k < len(bases) {
					d[k], b[k] = dst[i+k], bases[i+k]
				} else {
					if spare[k] == nil {
						spare[k] = make([]byte, v.size)
					}
					d[k], b[k] = spare[k], nil
				}
			}
			v.w52.exp4(&d, &b, exp)
		}
		return nil
	}
	if v.w28 != nil {
		var spare [maxBytes]byte
		for ; len(bases)-i >= 3; i += 4 {
			var d, b [4][]byte
			for k := range 4 {
				if i+k < len(bases) {
					d[k], b[k] = dst[i+k], bases[i+k]
					if len(b[k]) > maxBytes {
						b[k] = new(big.Int).Mod(new(big.Int).SetBytes(b[k]), v.m).Bytes()
					}
				} else {
					d[k] = spare[:v.size]
				}
			}
			v.w28.exp4(&d, &b, exp)
		}
	}
	for ; i < len(bases); i++ {
		v.Exp(dst[i], bases[i], exp)
	}
	return nil
}
