package bench

import (
	"errors"
	"math/big"
)

// gotdCheckDH restates the Diffie-Hellman parameter check of
// github.com/gotd/td v0.93.0 (internal/crypto: CheckDH in check_dh.go,
// CheckGP in check_gp.go, Prime in prime.go), which is internal to gotd/td
// and so cannot be imported. It is the reference of the dhcheck suite and
// does the same work in the same order: bit length exactly 2048, the p mod
// 4g rule for g in 2..7, then math/big ProbablyPrime(64) on p and on
// (p-1)/2. Like gotd, it caches nothing: every call is a full test.
func gotdCheckDH(g int, p *big.Int) error {
	if p.BitLen() != 2048 {
		return errors.New("gotd: p should be 2^2047 < p < 2^2048")
	}
	if !gotdQuadraticResidue(g, p) {
		return errors.New("gotd: g should be a quadratic residue mod p")
	}
	const rounds = 64 // gotd's probabilityN, after TDLib's nchecks
	if !p.ProbablyPrime(rounds) {
		return errors.New("gotd: p is not prime number")
	}
	q := new(big.Int).Sub(p, big.NewInt(1))
	q.Quo(q, big.NewInt(2))
	if !q.ProbablyPrime(rounds) {
		return errors.New("gotd: (p-1)/2 is not prime number")
	}
	return nil
}

// gotdQuadraticResidue is gotd's CheckGP: the condition on p mod 4g under
// which g in 2..7 generates the subgroup of order (p-1)/2
// (https://core.telegram.org/api/end-to-end#sending-a-request).
func gotdQuadraticResidue(g int, p *big.Int) bool {
	in := func(m int64, want ...int64) bool {
		r := new(big.Int).Rem(p, big.NewInt(m)).Int64()
		for _, w := range want {
			if r == w {
				return true
			}
		}
		return false
	}
	switch g {
	case 2:
		return in(8, 7)
	case 3:
		return in(3, 2)
	case 4:
		return true
	case 5:
		return in(5, 1, 4)
	case 6:
		return in(24, 19, 23)
	case 7:
		return in(7, 3, 5, 6)
	}
	return false
}
