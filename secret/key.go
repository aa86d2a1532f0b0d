package secret

import (
	"github.com/secretbench/secretbench/kdf"
)

// KeySize is the length of a secret chat's shared key.
const KeySize = 256

// Key is a 256-byte shared key with its key_fingerprint. A Key is immutable
// (until Wipe) and safe to share between goroutines and Codecs.
type Key struct {
	k  [KeySize]byte
	fp int64
}

// NewKey returns a Key holding a copy of the 256 bytes b.
func NewKey(b []byte) (*Key, error) {
	if len(b) != KeySize {
		return nil, ErrKeySize
	}
	k := new(Key)
	copy(k.k[:], b)
	k.fp = kdf.KeyFingerprint(&k.k)
	return k, nil
}

// Fingerprint is the key_fingerprint: the last 64 bits of SHA1(key), read
// little-endian.
func (k *Key) Fingerprint() int64 { return k.fp }

// Bytes returns a copy of the key.
func (k *Key) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// Array returns the key as an array, for package kdf.
func (k *Key) Array() *[KeySize]byte { c := k.k; return &c }

// Visualization returns the 36-byte key visualization of a chat whose initial
// key is k and whose key in use at the upgrade to layer 46 was layer46
// (docs/PROTOCOL.md section 3).
func (k *Key) Visualization(layer46 *Key) [36]byte {
	return kdf.Visualization(&k.k, &layer46.k)
}

// Wipe overwrites the key with zeros, for a key that has been replaced.
// A wiped Key must not be used again.
func (k *Key) Wipe() {
	clear(k.k[:])
	k.fp = 0
}
