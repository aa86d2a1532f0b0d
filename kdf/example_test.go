package kdf_test

import (
	"encoding/binary"
	"fmt"

	"github.com/secretbench/secretbench/kdf"
)

// The key and msg_key of the public test vectors: K = 00..ff, msg_key = 00..0f.
func exampleKey() *[256]byte {
	var k [256]byte
	for i := range k {
		k[i] = byte(i)
	}
	return &k
}

// Sending a version 2 message: msg_key comes from the padded plaintext, and
// the AES-256-IGE key and iv from msg_key. The chat's originator uses x = 0.
func Example() {
	key := exampleKey()

	// int32 LE length || TL bytes || 12..1024 bytes of padding, a multiple
	// of 16 in all (fixed bytes here; random padding in real use).
	tl := []byte("TL-serialized decryptedMessageLayer")
	plaintext := make([]byte, 4+len(tl)+25)
	binary.LittleEndian.PutUint32(plaintext, uint32(len(tl)))
	copy(plaintext[4:], tl)

	msgKey := kdf.MsgKeyV2(key, 0, plaintext)
	aesKey, aesIV := kdf.Derive(kdf.V2, key, &msgKey, 0)
	fmt.Printf("%d-byte plaintext, msg_key %x\n", len(plaintext), msgKey)
	fmt.Printf("aes_key %x\naes_iv  %x\n", aesKey, aesIV)
	// Output:
	// 64-byte plaintext, msg_key a478125fdae56dd2960824d289fedb3b
	// aes_key 1ceceeb8aa1e13363e027b869253a6b904ca93a49751857a41908fe0319e6fa7
	// aes_iv  c08bcba6dc2ce4597bcb67d8afd3615385c2884aebf6053b98080b1308c68224
}

func ExampleDerive() {
	key := exampleKey()
	msgKey := [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

	aesKey, aesIV := kdf.Derive(kdf.V2, key, &msgKey, 8)
	fmt.Printf("v2 x=8 aes_key %x\n", aesKey)
	fmt.Printf("v2 x=8 aes_iv  %x\n", aesIV)

	aesKey, aesIV = kdf.Derive(kdf.V1, key, &msgKey, 0)
	fmt.Printf("v1 x=0 aes_key %x\n", aesKey)
	fmt.Printf("v1 x=0 aes_iv  %x\n", aesIV)
	// Output:
	// v2 x=8 aes_key 217725799b245806458174a1fcfbc883906807b15033fdd0ea2b4d69cf9c364e
	// v2 x=8 aes_iv  669a6538917a4fa56ca32360a431c9160be4ad887140980dab91ce7bdc47ffbc
	// v1 x=0 aes_key 17d7295ca9213d1ab656acdb1ad48b2ea7f3a8f7095098d5508b900bbd5fccfc
	// v1 x=0 aes_iv  2d7d16a65a84108e9805656caa474501cc580aa2edc33abfd0bfad785464d1c6
}

func ExampleMsgKeyV2() {
	padded := make([]byte, 64)
	for i := range padded {
		padded[i] = byte(i)
	}
	fmt.Printf("%x\n", kdf.MsgKeyV2(exampleKey(), 0, padded))
	// Output: e49f11289d422637af5d2db54562ad19
}

// Version 1 hashes the message before padding.
func ExampleMsgKeyV1() {
	fmt.Printf("%x\n", kdf.MsgKeyV1([]byte("abc")))
	// Output: 4706816aba3e25717850c26c9cd0d89d
}

// Both sides compare fingerprints after the Diffie-Hellman exchange.
func ExampleKeyFingerprint() {
	fmt.Println(kdf.KeyFingerprint(exampleKey()))
	// Output: -3972359982579920590
}

func ExampleFileFingerprint() {
	var key, iv [32]byte
	for i := range key {
		key[i], iv[i] = byte(i), byte(32+i)
	}
	fmt.Println(kdf.FileFingerprint(&key, &iv))
	// Output: -217561997
}

// The 36 bytes are drawn as an image (the first 16) and as emoji (the rest)
// for the users to compare.
func ExampleVisualization() {
	k := exampleKey()
	fmt.Printf("%x\n", kdf.Visualization(k, k))
	// Output: 4916d6bdb7f78e6803698cab32d1586e40aff2e9d2d8922e47afd4648e6967497158785f
}
