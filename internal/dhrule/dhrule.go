// Package dhrule is the secret chat text's rule for the generator g of a
// Diffie-Hellman group: for a safe prime p, g in 2..7 generates the subgroup
// of prime order (p-1)/2 exactly when it is a quadratic residue mod p, which
// depends only on p mod a small number (https://core.telegram.org/api/end-to-end,
// "p mod 4g"). It is the one copy of that table: dhcheck applies it, and the
// reference pipeline and the restatement of gotd/td's check read it too.
// dhcheck's tests check it against Jacobi symbols.
package dhrule

// Rule says which residues of p mod Mod make g a quadratic residue mod p.
type Rule struct {
	Mod      uint64
	Residues []uint64
}

// Rules is indexed by g; only 2..7 are defined.
var Rules = [8]Rule{
	2: {8, []uint64{7}},
	3: {3, []uint64{2}},
	4: {1, []uint64{0}}, // a square
	5: {5, []uint64{1, 4}},
	6: {24, []uint64{19, 23}},
	7: {7, []uint64{3, 5, 6}},
}

// LCM is a multiple of every Rule's Mod: OK accepts p mod LCM.
const LCM = 840

// OK reports whether g is in 2..7 and passes its rule, given r = p mod m for
// any m that is a multiple of the rule's Mod (LCM serves every g).
func OK(g int, r uint64) bool {
	if g < 2 || g >= len(Rules) {
		return false
	}
	rule := Rules[g]
	for _, want := range rule.Residues {
		if r%rule.Mod == want {
			return true
		}
	}
	return false
}
