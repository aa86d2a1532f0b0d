package dhcheck

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/secretbench/secretbench/internal/modexp"
)

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func newVarTime(m []byte) (*modexp.VarTimeModulus, error) { return modexp.NewVarTimeModulus(m) }
