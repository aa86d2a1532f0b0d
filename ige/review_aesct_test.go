package ige_test

// Review: randomized cross-checks of every implementation (the bitsliced
// generic one included) against crypto/aes and github.com/gotd/ige, through
// the exported API only: random keys and IVs, lengths of 0..N blocks,
// unaligned buffers, in place, split CryptBlocks calls, one Cipher keyed
// under one implementation and used under another, and batches of many jobs
// of mixed lengths sharing Ciphers.

import (
	"bytes"
	"crypto/aes"
	"math/rand/v2"
	"os"
	"testing"

	gotd "github.com/gotd/ige"

	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/impl"
	"github.com/secretbench/secretbench/internal/impl/impltest"
)

func reviewIters(short, long int) int {
	if os.Getenv("SECRETBENCH_LONG") == "1" {
		return long
	}
	return short
}

// reviewBuf returns n random bytes at a random offset 0..15 of a fresh
// allocation, so that both aligned and unaligned addresses are tried.
func reviewBuf(r *rand.Rand, n int) []byte {
	off := r.IntN(16)
	b := make([]byte, off+n+r.IntN(3))[off : off+n]
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func reviewBlocks(r *rand.Rand) int {
	switch r.IntN(8) {
	case 0:
		return 0
	case 1:
		return 1
	case 2:
		return 64 + r.IntN(300)
	default:
		return r.IntN(40)
	}
}

// gotdIGE is the reference: gotd/ige over crypto/aes.
func gotdIGE(t *testing.T, key, iv, src []byte, decrypt bool) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(src))
	if decrypt {
		gotd.DecryptBlocks(b, iv, out, src)
	} else {
		gotd.EncryptBlocks(b, iv, out, src)
	}
	return out
}

func TestReviewAgainstGotdRandom(t *testing.T) {
	impltest.Run(t, "ige", func(t *testing.T) {
		r := rand.New(rand.NewPCG(0x5eed, 14))
		for it := range reviewIters(150, 3000) {
			key, iv := reviewBuf(r, 32), reviewBuf(r, 32)
			ivCopy := bytes.Clone(iv)
			nb := reviewBlocks(r)
			src := reviewBuf(r, nb*16)
			srcCopy := bytes.Clone(src)
			decrypt := r.IntN(2) == 1
			want := gotdIGE(t, key, iv, src, decrypt)

			c, err := ige.NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			check := func(how string, got []byte) {
				t.Helper()
				if !bytes.Equal(got, want) {
					t.Fatalf("iter %d, %d blocks, decrypt=%v, %s: differs from gotd/ige", it, nb, decrypt, how)
				}
				if !bytes.Equal(iv, ivCopy) {
					t.Fatalf("iter %d %s: iv modified", it, how)
				}
			}

			// One call, separate unaligned dst.
			dst := reviewBuf(r, nb*16)
			if decrypt {
				ige.DecryptBlocks(c, iv, dst, src)
			} else {
				ige.EncryptBlocks(c, iv, dst, src)
			}
			check("Encrypt/DecryptBlocks", dst)
			if !bytes.Equal(src, srcCopy) {
				t.Fatalf("iter %d: src modified", it)
			}

			// One-shot helper, in place.
			inPlace := bytes.Clone(src)
			if decrypt {
				ige.DecryptAES256Blocks(key, iv, inPlace, inPlace)
			} else {
				ige.EncryptAES256Blocks(key, iv, inPlace, inPlace)
			}
			check("AES256Blocks in place", inPlace)

			// BlockMode with the input split at random block boundaries,
			// some calls empty, in place in an unaligned buffer.
			var m ige.IGE
			if decrypt {
				m = ige.NewIGEDecrypter(c, iv)
			} else {
				m = ige.NewIGEEncrypter(c, iv)
			}
			split := reviewBuf(r, len(src))
			copy(split, src)
			for rest := split; ; {
				n := 16 * r.IntN(len(rest)/16+1)
				m.CryptBlocks(rest[:n], rest[:n])
				rest = rest[n:]
				if len(rest) == 0 {
					break
				}
			}
			check("split CryptBlocks", split)

			// The Cipher as a plain cipher.Block, block by block.
			if nb > 0 {
				ref, _ := aes.NewCipher(key)
				blk, want1 := make([]byte, 16), make([]byte, 16)
				if decrypt {
					c.Decrypt(blk, src[:16])
					ref.Decrypt(want1, src[:16])
				} else {
					c.Encrypt(blk, src[:16])
					ref.Encrypt(want1, src[:16])
				}
				if !bytes.Equal(blk, want1) {
					t.Fatalf("iter %d: single block differs from crypto/aes", it)
				}
			}
		}
	})
}

// A Cipher's schedules are shared by every implementation: keyed under one,
// it must give the same results under every other.
func TestReviewCipherAcrossImpls(t *testing.T) {
	names := impl.Available("ige")
	r := rand.New(rand.NewPCG(3, 14))
	for _, keyedUnder := range names {
		restore, err := impl.Select("ige", keyedUnder)
		if err != nil {
			t.Fatal(err)
		}
		key, iv := reviewBuf(r, 32), reviewBuf(r, 32)
		c, err := ige.NewCipher(key)
		restore()
		if err != nil {
			t.Fatal(err)
		}
		src := reviewBuf(r, 16*37)
		for _, usedUnder := range names {
			restore, _ := impl.Select("ige", usedUnder)
			for _, decrypt := range []bool{false, true} {
				got := make([]byte, len(src))
				if decrypt {
					ige.DecryptBlocks(c, iv, got, src)
				} else {
					ige.EncryptBlocks(c, iv, got, src)
				}
				if !bytes.Equal(got, gotdIGE(t, key, iv, src, decrypt)) {
					t.Errorf("keyed under %s, used under %s, decrypt=%v: differs from gotd/ige", keyedUnder, usedUnder, decrypt)
				}
				jobs := []ige.Job{{Cipher: c, IV: iv, Dst: make([]byte, len(src)), Src: src}}
				if decrypt {
					ige.DecryptBatch(jobs)
				} else {
					ige.EncryptBatch(jobs)
				}
				if !bytes.Equal(jobs[0].Dst, got) {
					t.Errorf("keyed under %s, batch under %s, decrypt=%v: differs", keyedUnder, usedUnder, decrypt)
				}
			}
			restore()
		}
	}
}

// Batches of many jobs (more than any implementation has lanes) of mixed
// lengths, including empty jobs and the 64 B / 64 KiB mix, some in place,
// some unaligned, with few Ciphers shared among many jobs.
func TestReviewBatchMixedAgainstGotd(t *testing.T) {
	impltest.Run(t, "ige", func(t *testing.T) {
		r := rand.New(rand.NewPCG(77, 14))
		for it := range reviewIters(12, 200) {
			nCiphers := 1 + r.IntN(4)
			keys := make([][]byte, nCiphers)
			ciphers := make([]*ige.Cipher, nCiphers)
			for i := range keys {
				keys[i] = reviewBuf(r, 32)
				ciphers[i], _ = ige.NewCipher(keys[i])
			}
			n := r.IntN(80)
			jobs := make([]ige.Job, n)
			want := make([][]byte, n)
			ivs := make([][]byte, n)
			decrypt := r.IntN(2) == 1
			for i := range jobs {
				var nb int
				switch r.IntN(6) {
				case 0:
					nb = 0
				case 1:
					nb = 4 // 64 B
				case 2:
					nb = 4096 // 64 KiB
				default:
					nb = r.IntN(70)
				}
				if r.IntN(3) > 0 && nb == 4096 {
					nb = 4 + r.IntN(200) // keep the test fast
				}
				k := r.IntN(nCiphers)
				src := reviewBuf(r, nb*16)
				iv := reviewBuf(r, 32)
				want[i] = gotdIGE(t, keys[k], iv, src, decrypt)
				ivs[i] = bytes.Clone(iv)
				dst := src
				if r.IntN(2) == 0 {
					dst = reviewBuf(r, nb*16+16*r.IntN(2))
				}
				jobs[i] = ige.Job{Cipher: ciphers[k], IV: iv, Dst: dst, Src: src}
			}
			if decrypt {
				ige.DecryptBatch(jobs)
			} else {
				ige.EncryptBatch(jobs)
			}
			for i, j := range jobs {
				if !bytes.Equal(j.Dst[:len(want[i])], want[i]) {
					t.Fatalf("iter %d: %d jobs, decrypt=%v: job %d (%d blocks) differs from gotd/ige", it, n, decrypt, i, len(j.Src)/16)
				}
				if !bytes.Equal(j.IV, ivs[i]) {
					t.Fatalf("iter %d: job %d IV modified", it, i)
				}
			}
		}
	})
}
