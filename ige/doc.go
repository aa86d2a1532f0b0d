// Package ige implements AES-256 in infinite garble extension (IGE) mode, the
// block mode of Telegram's MTProto, as fast as the CPU allows.
//
// # Mode
//
// With plaintext blocks x_i, ciphertext blocks y_i and a 32-byte iv laid out
// as y_-1 || x_-1 (the OpenSSL convention every Telegram client uses):
//
//	encrypt: y_i = E(x_i xor y_{i-1}) xor x_{i-1}
//	decrypt: x_i = D(y_i xor x_{i-1}) xor y_{i-1}
//
// See https://core.telegram.org/api/end-to-end and
// https://www.links.org/files/openssl-ige.pdf. IGE provides no integrity:
// MTProto authenticates with msg_key, not with the mode.
//
// # Drop-in for gotd/ige
//
// NewIGEEncrypter, NewIGEDecrypter, EncryptBlocks, DecryptBlocks, IGE and
// ErrInvalidIV have the names and signatures of github.com/gotd/ige v0.2.2
// and accept any cipher.Block. Two differences: the BlockMode carries its
// chaining state from one CryptBlocks call to the next, as the
// cipher.BlockMode contract requires, and dst == src (in place) is correct.
//
// # Fast path
//
// A *Cipher is an expanded AES-256 key held in the layout the AES
// instructions consume. SetKey re-keys it without allocating, since MTProto
// derives a new key for every message; EncryptAES256Blocks and
// DecryptAES256Blocks take the key per call and allocate nothing either.
//
// # Batches
//
// One IGE stream is serial by construction, so its speed is bounded by the
// latency of 14 AES rounds per block. EncryptBatch and DecryptBatch process
// independent streams (messages, files) interleaved, where the bound is AES
// throughput instead, several times higher.
//
// # Implementations
//
// Impl names the code path selected at start-up from the CPU features that
// golang.org/x/sys/cpu reports (so GODEBUG=cpu.aes=off and friends apply).
// With -tags purego, or on CPUs without AES instructions, the portable
// code ("generic") runs: a bitsliced AES with no table lookup or branch on
// secret data, constant-time unlike the standard library's table fallback,
// and several times slower than the hardware paths. Its batches run four
// streams through each bitsliced call. On ppc64le and s390x, where
// crypto/aes has hardware AES and this package no assembly, "stdlib" runs
// IGE over crypto/aes's block cipher, built from the key at each call (one
// allocation per call, the only path that allocates).
//
// Misuse (wrong key or iv length, src not whole blocks, dst too short, an
// inexact overlap of dst and src, a nil or unkeyed Cipher) panics with a
// message that says so, as crypto/cipher does; only NewCipher and SetKey
// return an error, for a key that is not 32 bytes. Only dst[:len(src)] is
// written.
package ige
