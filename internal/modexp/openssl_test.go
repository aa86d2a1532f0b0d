//go:build cgo && openssl

package modexp

import (
	"bytes"
	"testing"

	"github.com/secretbench/secretbench/internal/modexp/opensslref"
)

// opensslExp returns a step that runs OpenSSL's BN_mod_exp_mont_consttime
// on the inputs, after checking once that it agrees with math/big.
func opensslExp(b *testing.B, m, base, exp, dst []byte) func() {
	e := opensslref.New(m, base, exp)
	b.Cleanup(e.Close)
	if err := e.Run(dst); err != nil {
		b.Fatal(err)
	}
	if want := refExp(base, exp, m, len(m)); !bytes.Equal(dst, want) {
		b.Fatal("OpenSSL disagrees with math/big")
	}
	return func() { e.Run(dst) }
}
