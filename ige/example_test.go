package ige_test

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/secretbench/secretbench/ige"
)

// The 32-byte AES-256-IGE vector of TDLib's test suite (docs/PROTOCOL.md
// section 10).
var (
	exampleKey, _ = hex.DecodeString("3ef36a602c7c290e9f61268b6ea7ff16fec2e55b47989477d17d5df8b1381eda")
	exampleIV, _  = hex.DecodeString("8efd468ba172d4e8aeaa573d0e2ced49a7ed4639f052a1a8ef30cba53dcb25ad")
	examplePT, _  = hex.DecodeString("4c7b4aeccf62f232603b211f558bf57195491f5397d8db64620efab08c30dab5")
)

// A *Cipher is an expanded key that EncryptBlocks and DecryptBlocks take
// as their cipher.Block; it can be re-keyed with SetKey without allocating.
func Example() {
	c, err := ige.NewCipher(exampleKey)
	if err != nil {
		panic(err)
	}
	ct := make([]byte, len(examplePT))
	ige.EncryptBlocks(c, exampleIV, ct, examplePT)
	fmt.Printf("ciphertext %x\n", ct)

	pt := make([]byte, len(ct))
	ige.DecryptBlocks(c, exampleIV, pt, ct)
	fmt.Println("decrypted back:", bytes.Equal(pt, examplePT))
	// Output:
	// ciphertext c7dc97b92ae0375496947e56678e2bf4b1b5f178a91dfa2ddeb69d9d5db2361c
	// decrypted back: true
}

// The one-shot helpers take the raw key per call, for a key used once (as
// MTProto derives one per message); they allocate nothing. dst may be src.
func ExampleEncryptAES256Blocks() {
	buf := bytes.Clone(examplePT)
	ige.EncryptAES256Blocks(exampleKey, exampleIV, buf, buf)
	fmt.Printf("%x\n", buf)
	ige.DecryptAES256Blocks(exampleKey, exampleIV, buf, buf)
	fmt.Println(bytes.Equal(buf, examplePT))
	// Output:
	// c7dc97b92ae0375496947e56678e2bf4b1b5f178a91dfa2ddeb69d9d5db2361c
	// true
}

// A batch runs independent streams (here three messages, each with its own
// key and iv) interleaved; each job gives what EncryptBlocks would.
func ExampleEncryptBatch() {
	jobs := make([]ige.Job, 3)
	for i := range jobs {
		key := bytes.Clone(exampleKey)
		key[0] ^= byte(i) // a different key per stream
		c, err := ige.NewCipher(key)
		if err != nil {
			panic(err)
		}
		src := bytes.Repeat(examplePT, i+1)
		jobs[i] = ige.Job{Cipher: c, IV: exampleIV, Src: src, Dst: make([]byte, len(src))}
	}
	ige.EncryptBatch(jobs)
	fmt.Printf("job 0: %x\n", jobs[0].Dst)

	for i := range jobs {
		want := make([]byte, len(jobs[i].Src))
		ige.EncryptBlocks(jobs[i].Cipher, jobs[i].IV, want, jobs[i].Src)
		fmt.Printf("job %d: %d bytes, same as one stream: %v\n", i, len(jobs[i].Dst), bytes.Equal(jobs[i].Dst, want))
	}

	// Decrypting in place with the same batch gives the messages back.
	for i := range jobs {
		jobs[i].Src = jobs[i].Dst
	}
	ige.DecryptBatch(jobs)
	fmt.Println("job 2 back:", bytes.Equal(jobs[2].Dst, bytes.Repeat(examplePT, 3)))
	// Output:
	// job 0: c7dc97b92ae0375496947e56678e2bf4b1b5f178a91dfa2ddeb69d9d5db2361c
	// job 0: 32 bytes, same as one stream: true
	// job 1: 64 bytes, same as one stream: true
	// job 2: 96 bytes, same as one stream: true
	// job 2 back: true
}
