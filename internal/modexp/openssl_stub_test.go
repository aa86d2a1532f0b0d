//go:build !(cgo && openssl)

package modexp

import "testing"

// opensslExp skips the OpenSSL case: build with -tags openssl (and cgo) to
// link libcrypto.
func opensslExp(b *testing.B, m, base, exp, dst []byte) func() {
	return nil
}
