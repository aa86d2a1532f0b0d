package ige

import (
	"bytes"
	"crypto/aes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// The bitsliced AES is checked against two independent implementations:
// crypto/aes and the table oracle (aes_table_test.go). These tests call the
// portable functions directly, whatever implementation is active.

func TestSboxCircuits(t *testing.T) {
	// 64 S-box inputs at a time, input p at bit p of every slice. The
	// circuits leave out the affine constant: sbox(x) = S(x) ^ 0x63 and
	// invSbox(x ^ 0x63) = S^-1(x).
	for base := 0; base < 256; base += 64 {
		for _, inverse := range []bool{false, true} {
			var q sliced
			for p := range 64 {
				in := base + p
				if inverse {
					in ^= sboxConst
				}
				for i := range q {
					q[i] |= uint64(in>>i&1) << p
				}
			}
			f := sbox
			if inverse {
				f = invSbox
			}
			q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7] = f(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7])
			for p := range 64 {
				var got byte
				for i := range q {
					got |= byte(q[i]>>p&1) << i
				}
				want := tabSbox[base+p] ^ sboxConst
				if inverse {
					want = tabInvSbox[base+p]
				}
				if got != want {
					t.Fatalf("inverse=%v: circuit(%#02x) = %#02x, want %#02x", inverse, base+p, got, want)
				}
			}
		}
	}
}

func TestSliceRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		var b, got [4]block
		for l := range b {
			b[l] = block{r.Uint64(), r.Uint64()}
		}
		var q sliced
		q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7] = slice4(b[0], b[1], b[2], b[3])
		// Byte (r, c) of lane l, bit i, is at bit 16r+4c+l of word i.
		for l := range b {
			var raw [16]byte
			storeBlock(raw[:], b[l])
			for c := range 4 {
				for row := range 4 {
					for i := range q {
						if q[i]>>(16*row+4*c+l)&1 != uint64(raw[4*c+row]>>i&1) {
							t.Fatalf("lane %d byte (%d,%d) bit %d misplaced", l, row, c, i)
						}
					}
				}
			}
		}
		var one sliced
		one[0], one[1], one[2], one[3], one[4], one[5], one[6], one[7] = slice1(b[2])
		for i := range q {
			if (one[i]^q[i]>>2)&0x1111111111111111 != 0 {
				t.Fatal("slice1 lane 0 differs from slice4's lane")
			}
		}
		if unslice1(one[0], one[1], one[2], one[3], one[4], one[5], one[6], one[7]) != b[2] {
			t.Fatal("unslice1(slice1(b)) != b")
		}
		got[0], got[1], got[2], got[3] = unslice4(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7])
		if got != b {
			t.Fatal("unslice4(slice4(b)) != b")
		}
	}
}

func randomCipher(t testing.TB, r *rand.Rand) (*Cipher, []byte) {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	var c Cipher
	expandKeyGeneric(&c, (*[KeySize]byte)(key))
	c.keyed = true
	return &c, key
}

func TestExpandKeyGenericMatchesTable(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		c, key := randomCipher(t, r)
		var want Cipher
		tabExpandKey(&want, (*[KeySize]byte)(key))
		if c.enc != want.enc || c.dec != want.dec {
			t.Fatalf("key %x: schedules differ from the table oracle", key)
		}
	}
}

func TestBlockGenericMatchesCryptoAES(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		c, key := randomCipher(t, r)
		ref, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		src, got, want := make([]byte, 16), make([]byte, 16), make([]byte, 16)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		encryptBlockGeneric(c, got, src)
		ref.Encrypt(want, src)
		if !bytes.Equal(got, want) {
			t.Fatalf("encrypt key %x block %x: got %x want %x", key, src, got, want)
		}
		decryptBlockGeneric(c, got, src)
		ref.Decrypt(want, src)
		if !bytes.Equal(got, want) {
			t.Fatalf("decrypt key %x block %x: got %x want %x", key, src, got, want)
		}
	}
}

// TestIGEGenericMatchesTable covers lengths, in-place use and unaligned
// buffers.
func TestIGEGenericMatchesTable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, blocks := range []int{0, 1, 2, 3, 4, 5, 17, 64} {
		for _, off := range []int{0, 1, 7} {
			for _, inPlace := range []bool{false, true} {
				for _, decrypt := range []bool{false, true} {
					name := fmt.Sprintf("blocks=%d/off=%d/inplace=%v/decrypt=%v", blocks, off, inPlace, decrypt)
					c, _ := randomCipher(t, r)
					var iv [IVSize]byte
					for i := range iv {
						iv[i] = byte(r.Uint32())
					}
					buf := make([]byte, off+blocks*BlockSize)
					src := buf[off:]
					for i := range src {
						src[i] = byte(r.Uint32())
					}
					want := make([]byte, len(src))
					wantIV := iv
					dst := make([]byte, off+len(src))[off:]
					if inPlace {
						dst = src
					}
					if decrypt {
						tabDecryptIGE(c, &wantIV, want, src)
						decryptIGEGeneric(c, &iv, dst, src)
					} else {
						tabEncryptIGE(c, &wantIV, want, src)
						encryptIGEGeneric(c, &iv, dst, src)
					}
					if !bytes.Equal(dst, want) || iv != wantIV {
						t.Fatalf("%s: output or chaining state differs from the table oracle", name)
					}
				}
			}
		}
	}
}

// TestBatchGenericMatchesTable runs batches whose jobs end at different
// times (lanes refill mid-batch), include empty jobs, share keys, and run
// in place.
func TestBatchGenericMatchesTable(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{1, 2, 3, 4, 5, 8, 13} {
		for _, decrypt := range []bool{false, true} {
			shared, _ := randomCipher(t, r)
			jobs := make([]Job, n)
			want := make([][]byte, n)
			for i := range jobs {
				c := shared
				if r.IntN(2) == 0 {
					c, _ = randomCipher(t, r)
				}
				blocks := r.IntN(20)
				if r.IntN(5) == 0 {
					blocks = 0
				}
				off := r.IntN(3)
				src := make([]byte, off+blocks*BlockSize)[off:]
				for k := range src {
					src[k] = byte(r.Uint32())
				}
				iv := make([]byte, IVSize)
				for k := range iv {
					iv[k] = byte(r.Uint32())
				}
				dst := src
				if r.IntN(2) == 0 {
					dst = make([]byte, len(src)+r.IntN(3))
				}
				want[i] = make([]byte, len(src))
				state := [IVSize]byte(iv)
				if decrypt {
					tabDecryptIGE(c, &state, want[i], src)
				} else {
					tabEncryptIGE(c, &state, want[i], src)
				}
				jobs[i] = Job{Cipher: c, IV: iv, Dst: dst, Src: src}
			}
			ivs := make([][]byte, n)
			for i := range jobs {
				ivs[i] = bytes.Clone(jobs[i].IV)
			}
			cryptBatchGeneric(jobs, decrypt)
			for i, j := range jobs {
				if !bytes.Equal(j.Dst[:len(want[i])], want[i]) {
					t.Fatalf("jobs=%d decrypt=%v: job %d differs from the table oracle", n, decrypt, i)
				}
				if !bytes.Equal(j.IV, ivs[i]) {
					t.Fatalf("job %d: IV modified", i)
				}
			}
		}
	}
}
