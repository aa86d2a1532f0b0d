package reference

import (
	"crypto/rand"
	"errors"
	"io"
	"math/big"

	"github.com/secretbench/secretbench/internal/dhrule"
)

// Diffie-Hellman errors.
var (
	ErrParams          = errors.New("reference: bad Diffie-Hellman parameters")
	ErrPublicRange     = errors.New("reference: public value out of range")
	ErrKeyFingerprint  = errors.New("reference: key fingerprint mismatch")
	ErrServerRandomLen = errors.New("reference: server random must be 256 bytes")
)

// CheckParams checks that p is a 2048-bit safe prime and that g is a
// quadratic residue generator in 2..7, with math/big's ProbablyPrime
// (20 Miller-Rabin rounds with random bases plus Baillie-PSW). It is slow;
// callers check once per (g, p).
func CheckParams(g int, pBytes []byte) error {
	p := new(big.Int).SetBytes(pBytes)
	if p.BitLen() != 2048 {
		return ErrParams
	}
	if !dhrule.OK(g, new(big.Int).Mod(p, big.NewInt(dhrule.LCM)).Uint64()) {
		return ErrParams
	}
	q := new(big.Int).Rsh(p, 1)
	if !p.ProbablyPrime(20) || !q.ProbablyPrime(20) {
		return ErrParams
	}
	return nil
}

// CheckPublic checks 1 < gx < p-1 and 2^1984 <= gx <= p - 2^1984.
func CheckPublic(pBytes, gxBytes []byte) error {
	p := new(big.Int).SetBytes(pBytes)
	gx := new(big.Int).SetBytes(gxBytes)
	pm1 := new(big.Int).Sub(p, big.NewInt(1))
	if gx.Cmp(big.NewInt(1)) <= 0 || gx.Cmp(pm1) >= 0 {
		return ErrPublicRange
	}
	low := new(big.Int).Lsh(big.NewInt(1), 1984)
	high := new(big.Int).Sub(p, low)
	if gx.Cmp(low) < 0 || gx.Cmp(high) > 0 {
		return ErrPublicRange
	}
	return nil
}

// pad256 left-pads to 256 bytes.
func pad256(x *big.Int) []byte {
	return x.FillBytes(make([]byte, 256))
}

// secretExponent reads 256 random bytes and XORs the server's random into
// them when given.
func secretExponent(r io.Reader, serverRandom []byte) (*big.Int, error) {
	if r == nil {
		r = rand.Reader
	}
	if serverRandom != nil && len(serverRandom) != 256 {
		return nil, ErrServerRandomLen
	}
	buf := make([]byte, 256)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	for i := range serverRandom {
		buf[i] ^= serverRandom[i]
	}
	return new(big.Int).SetBytes(buf), nil
}

// Request is the first step, run by the originator: it returns the secret a
// and g_a (256 bytes). serverRandom may be nil.
func Request(g int, p, serverRandom []byte, r io.Reader) (a *big.Int, gA []byte, err error) {
	a, err = secretExponent(r, serverRandom)
	if err != nil {
		return nil, nil, err
	}
	pi := new(big.Int).SetBytes(p)
	gA = pad256(new(big.Int).Exp(big.NewInt(int64(g)), a, pi))
	if err := CheckPublic(p, gA); err != nil {
		return nil, nil, err
	}
	return a, gA, nil
}

// Accept is run by the responder on g_a: it returns g_b, the shared key
// (256 bytes) and its fingerprint.
func Accept(g int, p, gA, serverRandom []byte, r io.Reader) (gB, key []byte, fingerprint int64, err error) {
	if err := CheckPublic(p, gA); err != nil {
		return nil, nil, 0, err
	}
	b, err := secretExponent(r, serverRandom)
	if err != nil {
		return nil, nil, 0, err
	}
	pi := new(big.Int).SetBytes(p)
	gB = pad256(new(big.Int).Exp(big.NewInt(int64(g)), b, pi))
	if err := CheckPublic(p, gB); err != nil {
		return nil, nil, 0, err
	}
	key = pad256(new(big.Int).Exp(new(big.Int).SetBytes(gA), b, pi))
	return gB, key, Fingerprint(key), nil
}

// Complete is run by the originator on the responder's g_b and fingerprint.
func Complete(p []byte, a *big.Int, gB []byte, fingerprint int64) ([]byte, error) {
	if err := CheckPublic(p, gB); err != nil {
		return nil, err
	}
	key := pad256(new(big.Int).Exp(new(big.Int).SetBytes(gB), a, new(big.Int).SetBytes(p)))
	if Fingerprint(key) != fingerprint {
		return nil, ErrKeyFingerprint
	}
	return key, nil
}
