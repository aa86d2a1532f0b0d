package ige

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/internal/dudect"
)

// The timing-leak checks of the portable AES (see internal/dudect). They
// run only with SECRETBENCH_DUDECT=1, on the functions themselves whatever
// implementation is active:
//
//	SECRETBENCH_DUDECT=1 go test -run Dudect -v ./ige/
//
// Each times one block (or one key expansion and block) per measurement,
// with a 64 KiB read before each (more than the L1 cache) so that a table
// implementation pays for the cache lines its secret indices touch. The
// fixed class is an all-zero secret, the random class a fresh random one.

const dudectEvict = 64 << 10

func dudectBlocks(t *testing.T, encrypt func(c *Cipher, dst, src []byte), fixedKey bool) dudect.Result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const batch = 1000
	r := rand.New(rand.NewPCG(11, 12))
	var (
		keys   = make([][KeySize]byte, batch)
		blocks = make([][BlockSize]byte, batch)
		out    [BlockSize]byte
		c      Cipher
	)
	var key [KeySize]byte
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	expandKeyGeneric(&c, &key)
	c.keyed = true
	res := dudect.Run(dudect.Config{Measurements: dudect.Count(1_000_000), Batch: batch, Evict: dudectEvict, Seed: 13}, dudect.Target{
		Prepare: func(class, i int) {
			if fixedKey {
				blocks[i] = [BlockSize]byte{}
				if class == 1 {
					for k := range blocks[i] {
						blocks[i][k] = byte(r.Uint32())
					}
				}
				return
			}
			keys[i] = [KeySize]byte{}
			if class == 1 {
				for k := range keys[i] {
					keys[i][k] = byte(r.Uint32())
				}
			}
		},
		Run: func(i int) {
			if fixedKey {
				encrypt(&c, out[:], blocks[i][:])
				return
			}
			var kc Cipher
			expandKeyGeneric(&kc, &keys[i])
			encrypt(&kc, out[:], out[:])
		},
	})
	return res
}

func TestDudectBitslicedAES(t *testing.T) {
	dudect.Skip(t)
	for _, tc := range []struct {
		name     string
		f        func(c *Cipher, dst, src []byte)
		fixedKey bool
	}{
		{"encrypt/secret=plaintext", encryptBlockGeneric, true},
		{"decrypt/secret=ciphertext", decryptBlockGeneric, true},
		{"expand+encrypt/secret=key", encryptBlockGeneric, false},
	} {
		res := dudectBlocks(t, tc.f, tc.fixedKey)
		t.Logf("bitsliced %s: %v", tc.name, res)
		if res.Leaky() {
			t.Errorf("bitsliced %s: timing depends on the secret: %v", tc.name, res)
		}
	}
}

// The table oracle must be flagged, or the check proves nothing.
func TestDudectTableAESIsFlagged(t *testing.T) {
	dudect.Skip(t)
	tabExpand := func(c *Cipher, dst, src []byte) { tabEncryptBlock(c, dst, src) }
	res := dudectBlocks(t, tabExpand, true)
	t.Logf("table encrypt/secret=plaintext: %v", res)
	if !res.Leaky() {
		t.Errorf("the table AES was not flagged: %v", res)
	}
}
