// Package opensslref runs OpenSSL's constant-time modular exponentiation
// (BN_mod_exp_mont_consttime from libcrypto) for modexp's side-by-side
// benchmark. Its code is compiled only with cgo and the build tag openssl
// (cgo is not allowed in test files, so it lives here), which keeps libcrypto
// out of every ordinary build; without the tag the package is empty. Debian:
// apt-get install libssl-dev.
package opensslref
