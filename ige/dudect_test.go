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
// with a 64 KiB read before each (more than the L1 cache), so that a table
// implementation pays for the cache lines its secret indices touch. The
// fixed class is one input, the random class a fresh random one each time.
// The fixed block is, among many random ones, the one whose encryption
// reads the fewest lines of the tables (an evaluator picks a fixed input
// that stresses the suspected leak, as dudect's authors advise): it must
// flag the table oracle, and the bitsliced code must pass with the same.

const dudectEvict = 64 << 10

// tabLines counts the distinct 64-byte lines of the four round tables that
// the table oracle reads to encrypt src: the lines that must come back into
// L1 after an eviction.
func tabLines(c *Cipher, src []byte) int {
	var seen [4][16]bool
	s0, s1, s2, s3 := tabLoad(src)
	s0 ^= tabRK(&c.enc, 0)
	s1 ^= tabRK(&c.enc, 1)
	s2 ^= tabRK(&c.enc, 2)
	s3 ^= tabRK(&c.enc, 3)
	for r := 1; r < rounds; r++ {
		s := [4]uint32{s0, s1, s2, s3}
		for i := range 4 {
			seen[0][s[i]>>24>>4] = true
			seen[1][s[(i+1)%4]>>16&0xff>>4] = true
			seen[2][s[(i+2)%4]>>8&0xff>>4] = true
			seen[3][s[(i+3)%4]&0xff>>4] = true
		}
		t0 := tabTe0[s0>>24] ^ tabTe1[s1>>16&0xff] ^ tabTe2[s2>>8&0xff] ^ tabTe3[s3&0xff] ^ tabRK(&c.enc, 4*r)
		t1 := tabTe0[s1>>24] ^ tabTe1[s2>>16&0xff] ^ tabTe2[s3>>8&0xff] ^ tabTe3[s0&0xff] ^ tabRK(&c.enc, 4*r+1)
		t2 := tabTe0[s2>>24] ^ tabTe1[s3>>16&0xff] ^ tabTe2[s0>>8&0xff] ^ tabTe3[s1&0xff] ^ tabRK(&c.enc, 4*r+2)
		t3 := tabTe0[s3>>24] ^ tabTe1[s0>>16&0xff] ^ tabTe2[s1>>8&0xff] ^ tabTe3[s2&0xff] ^ tabRK(&c.enc, 4*r+3)
		s0, s1, s2, s3 = t0, t1, t2, t3
	}
	n := 0
	for _, tab := range seen {
		for _, hit := range tab {
			if hit {
				n++
			}
		}
	}
	return n
}

// dudectSetup returns a keyed Cipher and the stressing fixed block.
func dudectSetup(t *testing.T, r *rand.Rand) (*Cipher, [BlockSize]byte) {
	var c Cipher
	var key [KeySize]byte
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	expandKeyGeneric(&c, &key)
	c.keyed = true
	var fixed [BlockSize]byte
	best, total := 1<<30, 0
	const candidates = 100000
	for range candidates {
		var p [BlockSize]byte
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		n := tabLines(&c, p[:])
		total += n
		if n < best {
			best, fixed = n, p
		}
	}
	t.Logf("fixed block: the table AES reads %d table lines for it, %.1f for a random one on average", best, float64(total)/candidates)
	return &c, fixed
}

// dudectSecret checks run(secret): the fixed class passes fixed, the random
// class a fresh random secret of the same length.
func dudectSecret(r *rand.Rand, fixed []byte, run func(secret []byte)) dudect.Result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const batch = 1000
	secrets := make([][]byte, batch)
	for i := range secrets {
		secrets[i] = make([]byte, len(fixed))
	}
	return dudect.Run(dudect.Config{Measurements: dudect.Count(1_000_000), Batch: batch, Evict: dudectEvict, Seed: r.Uint64()}, dudect.Target{
		Prepare: func(class, i int) {
			copy(secrets[i], fixed)
			if class == 1 {
				for k := range secrets[i] {
					secrets[i][k] = byte(r.Uint32())
				}
			}
		},
		Run: func(i int) { run(secrets[i]) },
	})
}

func TestDudectBitslicedAES(t *testing.T) {
	dudect.Skip(t)
	r := rand.New(rand.NewPCG(11, 12))
	c, fixed := dudectSetup(t, r)
	for _, tc := range []struct {
		name string
		f    func(c *Cipher, dst, src []byte)
	}{
		{"encrypt/secret=plaintext", encryptBlockGeneric},
		{"decrypt/secret=ciphertext", decryptBlockGeneric},
	} {
		var out [BlockSize]byte
		res := dudectSecret(r, fixed[:], func(src []byte) { tc.f(c, out[:], src) })
		t.Logf("bitsliced %s: %v", tc.name, res)
		if res.Leaky() {
			t.Errorf("bitsliced %s: timing depends on the secret: %v", tc.name, res)
		}
	}
	// The key expansion and one block, with the key the secret (all zero
	// against random).
	var out [BlockSize]byte
	res := dudectSecret(r, make([]byte, KeySize), func(key []byte) {
		var kc Cipher
		expandKeyGeneric(&kc, (*[KeySize]byte)(key))
		encryptBlockGeneric(&kc, out[:], out[:])
	})
	t.Logf("bitsliced expand+encrypt/secret=key: %v", res)
	if res.Leaky() {
		t.Errorf("bitsliced key expansion: timing depends on the key: %v", res)
	}
}

// The table oracle must be flagged, or the check proves nothing.
func TestDudectTableAESIsFlagged(t *testing.T) {
	dudect.Skip(t)
	r := rand.New(rand.NewPCG(11, 12))
	c, fixed := dudectSetup(t, r)
	var out [BlockSize]byte
	res := dudectSecret(r, fixed[:], func(src []byte) { tabEncryptBlock(c, out[:], src) })
	t.Logf("table encrypt/secret=plaintext: %v", res)
	if !res.Leaky() {
		t.Errorf("the table AES was not flagged: %v", res)
	}
}
