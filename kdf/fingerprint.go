package kdf

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
)

// KeyFingerprint is the key_fingerprint of a shared key: the last 64 bits of
// SHA1(key), read as a little-endian int64.
func KeyFingerprint(key *[256]byte) int64 {
	sum := sha1.Sum(key[:])
	return int64(binary.LittleEndian.Uint64(sum[12:20]))
}

// FileFingerprint is the fingerprint of a file's key and iv:
// d = MD5(key || iv), int32LE(d[0:4]) xor int32LE(d[4:8]).
func FileFingerprint(key, iv *[32]byte) int32 {
	var in [64]byte
	*(*[32]byte)(in[0:]) = *key
	*(*[32]byte)(in[32:]) = *iv
	d := md5.Sum(in[:])
	return int32(binary.LittleEndian.Uint32(d[0:4]) ^ binary.LittleEndian.Uint32(d[4:8]))
}

// Visualization is the key visualization shown to users:
// SHA1(initial)[0:16] || SHA256(layer46)[0:20], where initial is the chat's
// first key and layer46 the key in use when the chat was upgraded to layer 46.
func Visualization(initial, layer46 *[256]byte) [36]byte {
	a := sha1.Sum(initial[:])
	b := sha256.Sum256(layer46[:])
	var v [36]byte
	*(*[16]byte)(v[0:]) = [16]byte(a[0:16])
	*(*[20]byte)(v[16:]) = [20]byte(b[0:20])
	return v
}
