// Package gotdref reproduces, for side-by-side benchmarks and cross-checks,
// the Diffie-Hellman parameter check of github.com/gotd/td v0.93.0, whose
// package internal/crypto cannot be imported. Source:
// github.com/gotd/td@v0.93.0/internal/crypto/check_dh.go (CheckDH,
// checkPrime), check_gp.go (CheckGP, checkSubgroup) and prime.go (Prime:
// math/big ProbablyPrime(64)). The logic is the same step for step; only the
// error values differ.
package gotdref

import (
	"errors"
	"math/big"

	"github.com/secretbench/secretbench/internal/dhrule"
)

const rsaKeyBits = 2048 // gotd's crypto.RSAKeyBits

// CheckDH is gotd's full check: bit length 2048, the g rule, then
// ProbablyPrime(64) on p and on (p-1)/2.
func CheckDH(g int, p *big.Int) error {
	if p.BitLen() != rsaKeyBits {
		return errors.New("p should be 2^2047 < p < 2^2048")
	}
	if err := CheckGP(g, p); err != nil {
		return err
	}
	return checkPrime(p)
}

// CheckSafePrime is the safe-prime part alone (what CheckDH does after the
// size and g checks), for comparing with dhcheck.CheckSafePrime.
func CheckSafePrime(p *big.Int) error {
	if p.BitLen() != rsaKeyBits {
		return errors.New("p should be 2^2047 < p < 2^2048")
	}
	return checkPrime(p)
}

func prime(p *big.Int) bool {
	const probabilityN = 64
	return p.ProbablyPrime(probabilityN)
}

func checkPrime(p *big.Int) error {
	if !prime(p) {
		return errors.New("p is not prime number")
	}
	sub := big.NewInt(0).Sub(p, big.NewInt(1))
	pr := sub.Quo(sub, big.NewInt(2))
	if !prime(pr) {
		return errors.New("(p-1)/2 is not prime number")
	}
	return nil
}

// CheckGP is gotd's quadratic-residue rule for g in 2..7, with the residues
// of internal/dhrule (the same table as gotd's check_gp.go).
func CheckGP(g int, p *big.Int) error {
	if g < 2 || g > 7 {
		return errors.New("unexpected g: g should be equal to 2, 3, 4, 5, 6 or 7")
	}
	rule := dhrule.Rules[g]
	if !checkSubgroup(p, int64(rule.Mod), rule.Residues...) {
		return errors.New("g should be a quadratic residue mod p")
	}
	return nil
}

func checkSubgroup(p *big.Int, divider int64, expected ...uint64) bool {
	rem := new(big.Int).Rem(p, big.NewInt(divider)).Uint64()
	for _, e := range expected {
		if rem == e {
			return true
		}
	}
	return false
}
