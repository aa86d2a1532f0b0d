package ige_test

// Black-box contract tests: everything here uses only the exported API, as a
// user who has read the package documentation would, and
// checks the promises made there (names, signatures, panics, untouched
// bytes, state across calls, concurrency, allocation) against
// github.com/gotd/ige v0.2.2 and crypto/aes as references.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"

	gotd "github.com/gotd/ige"

	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/testutil"
)

// The signatures must be exactly gotd/ige's, so that swapping the import
// path compiles.
var (
	_ func(cipher.Block, []byte) ige.IGE         = ige.NewIGEEncrypter
	_ func(cipher.Block, []byte) ige.IGE         = ige.NewIGEDecrypter
	_ func(cipher.Block, []byte, []byte, []byte) = gotd.EncryptBlocks
	_ func(cipher.Block, []byte, []byte, []byte) = ige.EncryptBlocks
	_ func(cipher.Block, []byte, []byte, []byte) = ige.DecryptBlocks
	_ func([]byte, []byte, []byte, []byte)       = ige.EncryptAES256Blocks
	_ func([]byte, []byte, []byte, []byte)       = ige.DecryptAES256Blocks
	_ func([]byte) (*ige.Cipher, error)          = ige.NewCipher
	_ func(*ige.Cipher, []byte) error            = (*ige.Cipher).SetKey
	_ func([]ige.Job)                            = ige.EncryptBatch
	_ func([]ige.Job)                            = ige.DecryptBatch
	_ func() string                              = ige.Impl
	_ cipher.Block                               = (*ige.Cipher)(nil)
	_ gotd.IGE                                   = ige.IGE(nil)
	_ ige.IGE                                    = gotd.IGE(nil)
	_ error                                      = ige.ErrInvalidIV
	_                                            = ige.Job{Cipher: (*ige.Cipher)(nil), IV: []byte(nil), Dst: []byte(nil), Src: []byte(nil)}
)

func TestContractConstants(t *testing.T) {
	if ige.BlockSize != 16 || ige.KeySize != 32 || ige.IVSize != 32 {
		t.Fatalf("BlockSize, KeySize, IVSize = %d, %d, %d; want 16, 32, 32", ige.BlockSize, ige.KeySize, ige.IVSize)
	}
	if ige.ErrInvalidIV == nil || ige.ErrInvalidIV.Error() != gotd.ErrInvalidIV.Error() {
		t.Fatalf("ErrInvalidIV = %v, gotd's is %q", ige.ErrInvalidIV, gotd.ErrInvalidIV)
	}
	c := mustCipher(t, key32(1))
	if c.BlockSize() != 16 {
		t.Fatal("Cipher.BlockSize() != 16")
	}
	if m := ige.NewIGEEncrypter(c, make([]byte, 32)); m.BlockSize() != 16 {
		t.Fatal("encrypter BlockSize() != 16")
	}
	// The mode is a cipher.BlockMode, as gotd's is.
	var _ cipher.BlockMode = ige.NewIGEDecrypter(c, make([]byte, 32))
}

func TestContractImplName(t *testing.T) {
	known := map[string]bool{"vaes-avx512": true, "vaes-avx2": true, "aes-ni": true, "armv8": true, "stdlib": true, "generic": true}
	if !known[ige.Impl()] {
		t.Fatalf("Impl() = %q, not one of the documented names", ige.Impl())
	}
	for _, name := range ige.Implementations() {
		if !known[name] {
			t.Errorf("Implementations() lists undocumented %q", name)
		}
	}
}

func key32(seed byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = seed*31 + byte(i)*7 + 1
	}
	return k
}

func mustCipher(t testing.TB, key []byte) *ige.Cipher {
	t.Helper()
	c, err := ige.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rnd(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// blocksUnderTest returns cipher.Blocks of several kinds with their key: our
// *Cipher, crypto/aes of all three sizes, DES (8-byte blocks) and 3DES.
func blocksUnderTest(t *testing.T) map[string]cipher.Block {
	m := map[string]cipher.Block{}
	m["ige.Cipher"] = mustCipher(t, key32(9))
	for _, n := range []int{16, 24, 32} {
		b, err := aes.NewCipher(key32(byte(n))[:n])
		if err != nil {
			t.Fatal(err)
		}
		m[fmt.Sprintf("aes-%d", n*8)] = b
	}
	d, err := des.NewCipher(key32(3)[:8])
	if err != nil {
		t.Fatal(err)
	}
	m["des"] = d
	d3, err := des.NewTripleDESCipher(key32(4)[:24])
	if err != nil {
		t.Fatal(err)
	}
	m["3des"] = d3
	m["wide32"] = wideBlock{}
	return m
}

// wideBlock is a toy 32-byte block cipher (an invertible byte permutation
// with a key-free xor), to check block sizes other than 16 and 8.
type wideBlock struct{}

func (wideBlock) BlockSize() int { return 32 }
func (wideBlock) Encrypt(dst, src []byte) {
	var t [32]byte
	for i := range t {
		t[(i*7+3)%32] = src[i] ^ byte(i*13+5)
	}
	copy(dst, t[:])
}
func (wideBlock) Decrypt(dst, src []byte) {
	var t [32]byte
	for i := range t {
		t[i] = src[(i*7+3)%32] ^ byte(i*13+5)
	}
	copy(dst, t[:])
}

// Drop-in: for any cipher.Block, one call agrees with gotd/ige (separate
// buffers, since gotd's decrypter is wrong in place), and several calls on one
// BlockMode equal one call over the concatenation.
func TestContractAgainstGotd(t *testing.T) {
	r := newRand()
	impltest.Run(t, "ige", func(t *testing.T) {
		for name, b := range blocksUnderTest(t) {
			bs := b.BlockSize()
			for _, nb := range []int{0, 1, 2, 3, 7, 16, 33} {
				iv := rnd(r, 2*bs)
				ivCopy := bytes.Clone(iv)
				pt := rnd(r, nb*bs)
				want := make([]byte, len(pt))
				gotd.EncryptBlocks(b, iv, want, pt)

				got := make([]byte, len(pt))
				ige.EncryptBlocks(b, iv, got, pt)
				if !bytes.Equal(got, want) {
					t.Fatalf("%s nb=%d: EncryptBlocks differs from gotd", name, nb)
				}
				got2 := make([]byte, len(pt))
				ige.NewIGEEncrypter(b, iv).CryptBlocks(got2, pt)
				if !bytes.Equal(got2, want) {
					t.Fatalf("%s nb=%d: encrypter differs from gotd", name, nb)
				}
				wantPT := make([]byte, len(pt))
				gotd.DecryptBlocks(b, iv, wantPT, want)
				if !bytes.Equal(wantPT, pt) {
					t.Fatalf("%s: gotd reference does not round-trip", name)
				}
				back := make([]byte, len(pt))
				ige.DecryptBlocks(b, iv, back, want)
				if !bytes.Equal(back, pt) {
					t.Fatalf("%s nb=%d: DecryptBlocks differs from gotd", name, nb)
				}
				ige.NewIGEDecrypter(b, iv).CryptBlocks(back, want)
				if !bytes.Equal(back, pt) {
					t.Fatalf("%s nb=%d: decrypter differs from gotd", name, nb)
				}
				if !bytes.Equal(iv, ivCopy) {
					t.Fatalf("%s: iv modified", name)
				}

				// Chaining state carried across calls, split at every block.
				for split := 0; split <= nb; split++ {
					enc := ige.NewIGEEncrypter(b, iv)
					dec := ige.NewIGEDecrypter(b, iv)
					o := make([]byte, len(pt))
					enc.CryptBlocks(o[:split*bs], pt[:split*bs])
					enc.CryptBlocks(o[split*bs:], pt[split*bs:])
					if !bytes.Equal(o, want) {
						t.Fatalf("%s nb=%d split=%d: encrypter does not carry state", name, nb, split)
					}
					p := make([]byte, len(pt))
					dec.CryptBlocks(p[:split*bs], want[:split*bs])
					dec.CryptBlocks(p[split*bs:], want[split*bs:])
					if !bytes.Equal(p, pt) {
						t.Fatalf("%s nb=%d split=%d: decrypter does not carry state", name, nb, split)
					}
				}

				// In place, through every entry point.
				buf := bytes.Clone(pt)
				ige.EncryptBlocks(b, iv, buf, buf)
				if !bytes.Equal(buf, want) {
					t.Fatalf("%s nb=%d: in-place EncryptBlocks wrong", name, nb)
				}
				ige.DecryptBlocks(b, iv, buf, buf)
				if !bytes.Equal(buf, pt) {
					t.Fatalf("%s nb=%d: in-place DecryptBlocks wrong", name, nb)
				}
				ige.NewIGEEncrypter(b, iv).CryptBlocks(buf, buf)
				if !bytes.Equal(buf, want) {
					t.Fatalf("%s nb=%d: in-place encrypter wrong", name, nb)
				}
				ige.NewIGEDecrypter(b, iv).CryptBlocks(buf, buf)
				if !bytes.Equal(buf, pt) {
					t.Fatalf("%s nb=%d: in-place decrypter wrong", name, nb)
				}
			}
		}
	})
}

// The iv is copied by the constructors: changing it afterwards changes nothing.
func TestContractIVCopied(t *testing.T) {
	for name, b := range blocksUnderTest(t) {
		bs := b.BlockSize()
		iv := key32(5)
		iv = append(iv, iv...)[:2*bs]
		pt := rnd(newRand(), 4*bs)
		want := make([]byte, len(pt))
		gotd.EncryptBlocks(b, bytes.Clone(iv), want, pt)
		enc := ige.NewIGEEncrypter(b, iv)
		for i := range iv {
			iv[i] ^= 0xff
		}
		got := make([]byte, len(pt))
		enc.CryptBlocks(got, pt)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: encrypter keeps a reference to the caller's iv", name)
		}
	}
}

// Only dst[:len(src)] is written, and the iv is not.
func TestContractDstLonger(t *testing.T) {
	r := newRand()
	impltest.Run(t, "ige", func(t *testing.T) {
		key := key32(2)
		c := mustCipher(t, key)
		for _, nb := range []int{0, 1, 5, 64} {
			pt := rnd(r, nb*16)
			iv := rnd(r, 32)
			ivc := bytes.Clone(iv)
			check := func(name string, f func(dst []byte)) {
				dst := bytes.Repeat([]byte{0xa5}, len(pt)+37)
				f(dst)
				for i, v := range dst[len(pt):] {
					if v != 0xa5 {
						t.Fatalf("%s nb=%d: byte %d after dst[:len(src)] written", name, nb, len(pt)+i)
					}
				}
				if !bytes.Equal(iv, ivc) {
					t.Fatalf("%s: iv modified", name)
				}
			}
			std, _ := aes.NewCipher(key)
			check("EncryptBlocks", func(d []byte) { ige.EncryptBlocks(c, iv, d, pt) })
			check("DecryptBlocks", func(d []byte) { ige.DecryptBlocks(c, iv, d, pt) })
			check("EncryptBlocks/aes", func(d []byte) { ige.EncryptBlocks(std, iv, d, pt) })
			check("DecryptBlocks/aes", func(d []byte) { ige.DecryptBlocks(std, iv, d, pt) })
			check("EncryptAES256Blocks", func(d []byte) { ige.EncryptAES256Blocks(key, iv, d, pt) })
			check("DecryptAES256Blocks", func(d []byte) { ige.DecryptAES256Blocks(key, iv, d, pt) })
			check("encrypter", func(d []byte) { ige.NewIGEEncrypter(c, iv).CryptBlocks(d, pt) })
			check("decrypter", func(d []byte) { ige.NewIGEDecrypter(c, iv).CryptBlocks(d, pt) })
			check("EncryptBatch", func(d []byte) { ige.EncryptBatch([]ige.Job{{Cipher: c, IV: iv, Dst: d, Src: pt}}) })
			check("DecryptBatch", func(d []byte) { ige.DecryptBatch([]ige.Job{{Cipher: c, IV: iv, Dst: d, Src: pt}}) })
			check("Encrypt", func(d []byte) {
				if nb > 0 {
					c.Encrypt(d, pt)
					if len(pt) > 16 && d[16] != pt[16] && !bytes.Equal(d[16:len(pt)], bytes.Repeat([]byte{0xa5}, len(pt)-16)) {
						t.Fatal("Cipher.Encrypt wrote past one block")
					}
				}
			})
		}
	})
}

func TestContractKeyErrors(t *testing.T) {
	good := key32(7)
	for _, n := range []int{-1, 0, 1, 8, 16, 24, 31, 33, 64} {
		var key []byte
		if n >= 0 {
			key = make([]byte, n)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("key len %d: NewCipher/SetKey panicked: %v", n, r)
				}
			}()
			c, err := ige.NewCipher(key)
			if err == nil || c != nil {
				t.Errorf("key len %d: NewCipher = %v, %v; want nil, error", n, c, err)
			}
			if err != nil && !strings.Contains(err.Error(), "key") {
				t.Errorf("key len %d: unclear error %q", n, err)
			}
			// On error an existing Cipher keeps its key.
			k := mustCipher(t, good)
			if err := k.SetKey(key); err == nil {
				t.Errorf("key len %d: SetKey accepted", n)
			}
			want := make([]byte, 16)
			std, _ := aes.NewCipher(good)
			std.Encrypt(want, make([]byte, 16))
			got := make([]byte, 16)
			k.Encrypt(got, make([]byte, 16))
			if !bytes.Equal(got, want) {
				t.Errorf("key len %d: failed SetKey changed the Cipher", n)
			}
			// And a zero Cipher stays unusable.
			var z ige.Cipher
			if err := z.SetKey(key); err == nil {
				t.Errorf("key len %d: SetKey on zero Cipher accepted", n)
			}
			testutil.MustPanic(t, "zero Cipher after failed SetKey", func() { z.Encrypt(got, got) }, "ige")
		}()
	}
	// SetKey re-keys: a Cipher re-keyed equals a fresh one.
	c := mustCipher(t, key32(1))
	if err := c.SetKey(good); err != nil {
		t.Fatal(err)
	}
	std, _ := aes.NewCipher(good)
	a, b := make([]byte, 16), make([]byte, 16)
	std.Encrypt(a, good[:16])
	c.Encrypt(b, good[:16])
	if !bytes.Equal(a, b) {
		t.Fatal("SetKey did not re-key")
	}
	std.Decrypt(a, good[16:])
	c.Decrypt(b, good[16:])
	if !bytes.Equal(a, b) {
		t.Fatal("SetKey did not re-key the decryption schedule")
	}
	// The key is copied: changing it afterwards does not change the Cipher.
	k := bytes.Clone(good)
	c2 := mustCipher(t, k)
	for i := range k {
		k[i] = 0
	}
	c2.Encrypt(b, good[:16])
	std.Encrypt(a, good[:16])
	if !bytes.Equal(a, b) {
		t.Fatal("Cipher keeps a reference to the caller's key")
	}
}

// Misuse panics with a clear message and writes nothing.
func TestContractMisusePanics(t *testing.T) {
	impltest.Run(t, "ige", func(t *testing.T) {
		key := key32(1)
		c := mustCipher(t, key)
		std, _ := aes.NewCipher(key)
		var zero ige.Cipher
		var nilC *ige.Cipher
		iv := make([]byte, 32)
		src := make([]byte, 64)
		const fill = 0x5a
		type call struct {
			name, want string
			f          func(dst []byte)
			dstLen     int
		}
		calls := []call{}
		for _, bl := range []struct {
			name string
			b    cipher.Block
		}{{"Cipher", c}, {"crypto/aes", std}} {
			b := bl.b
			for _, dir := range []struct {
				name string
				f    func(cipher.Block, []byte, []byte, []byte)
				mode func(cipher.Block, []byte) ige.IGE
			}{{"Encrypt", ige.EncryptBlocks, ige.NewIGEEncrypter}, {"Decrypt", ige.DecryptBlocks, ige.NewIGEDecrypter}} {
				f, mode := dir.f, dir.mode
				p := bl.name + "/" + dir.name
				for _, n := range []int{0, 16, 31, 33, 64} {
					calls = append(calls, call{fmt.Sprintf("%sBlocks iv=%d", p, n), "iv length", func(d []byte) { f(b, make([]byte, n), d, src) }, 64})
					calls = append(calls, call{fmt.Sprintf("New%s iv=%d", p, n), "iv length", func(d []byte) { mode(b, make([]byte, n)) }, 64})
				}
				calls = append(calls, call{p + "Blocks nil iv", "iv length", func(d []byte) { f(b, nil, d, src) }, 64})
				calls = append(calls, call{p + "Blocks partial", "full block", func(d []byte) { f(b, iv, d, src[:33]) }, 64})
				calls = append(calls, call{p + "Blocks short dst", "dst", func(d []byte) { f(b, iv, d, src) }, 48})
				calls = append(calls, call{p + "Blocks nil dst", "dst", func(d []byte) { f(b, iv, nil, src) }, 64})
				calls = append(calls, call{p + " mode partial", "full block", func(d []byte) { mode(b, iv).CryptBlocks(d, src[:17]) }, 64})
				calls = append(calls, call{p + " mode short dst", "dst", func(d []byte) { mode(b, iv).CryptBlocks(d, src) }, 63})
			}
		}
		for _, dir := range []struct {
			name string
			f    func(k, iv, d, s []byte)
		}{{"EncryptAES256Blocks", ige.EncryptAES256Blocks}, {"DecryptAES256Blocks", ige.DecryptAES256Blocks}} {
			f := dir.f
			for _, n := range []int{0, 16, 24, 31, 33} {
				calls = append(calls, call{fmt.Sprintf("%s key=%d", dir.name, n), "key", func(d []byte) { f(make([]byte, n), iv, d, src) }, 64})
			}
			calls = append(calls, call{dir.name + " nil key", "key", func(d []byte) { f(nil, iv, d, src) }, 64})
			calls = append(calls, call{dir.name + " iv=31", "iv length", func(d []byte) { f(key, iv[:31], d, src) }, 64})
			calls = append(calls, call{dir.name + " partial", "full block", func(d []byte) { f(key, iv, d, src[:63]) }, 64})
			calls = append(calls, call{dir.name + " short dst", "dst", func(d []byte) { f(key, iv, d, src) }, 32})
		}
		for _, dir := range []struct {
			name string
			f    func([]ige.Job)
		}{{"EncryptBatch", ige.EncryptBatch}, {"DecryptBatch", ige.DecryptBatch}} {
			f := dir.f
			// Job 0 is valid and its Dst is the checked buffer: a bad job 1
			// must stop the batch before anything is written.
			bad := func(j ige.Job) func(d []byte) {
				return func(d []byte) {
					f([]ige.Job{{Cipher: c, IV: iv, Dst: d, Src: src}, j})
				}
			}
			calls = append(calls,
				call{dir.name + " nil Cipher", "nil", bad(ige.Job{IV: iv, Dst: make([]byte, 16), Src: src[:16]}), 64},
				call{dir.name + " zero Cipher", "key", bad(ige.Job{Cipher: &zero, IV: iv, Dst: make([]byte, 16), Src: src[:16]}), 64},
				call{dir.name + " iv=16", "iv length", bad(ige.Job{Cipher: c, IV: iv[:16], Dst: make([]byte, 16), Src: src[:16]}), 64},
				call{dir.name + " nil iv", "iv length", bad(ige.Job{Cipher: c, Dst: make([]byte, 16), Src: src[:16]}), 64},
				call{dir.name + " partial", "full block", bad(ige.Job{Cipher: c, IV: iv, Dst: make([]byte, 16), Src: src[:15]}), 64},
				call{dir.name + " short dst", "dst", bad(ige.Job{Cipher: c, IV: iv, Dst: make([]byte, 16), Src: src[:32]}), 64},
				call{dir.name + " nil Cipher zero-length", "nil", bad(ige.Job{}), 64},
			)
		}
		for _, z := range []struct {
			name string
			c    *ige.Cipher
			want string
		}{{"zero", &zero, "key"}, {"nil", nilC, "nil"}} {
			zc := z.c
			calls = append(calls,
				call{z.name + " Cipher EncryptBlocks", z.want, func(d []byte) { ige.EncryptBlocks(zc, iv, d, src) }, 64},
				call{z.name + " Cipher DecryptBlocks", z.want, func(d []byte) { ige.DecryptBlocks(zc, iv, d, src) }, 64},
				call{z.name + " Cipher EncryptBlocks empty", z.want, func(d []byte) { ige.EncryptBlocks(zc, iv, d, nil) }, 64},
				call{z.name + " Cipher NewIGEEncrypter", z.want, func(d []byte) { ige.NewIGEEncrypter(zc, iv) }, 64},
				call{z.name + " Cipher NewIGEDecrypter", z.want, func(d []byte) { ige.NewIGEDecrypter(zc, iv) }, 64},
				call{z.name + " Cipher Encrypt", z.want, func(d []byte) { zc.Encrypt(d, src) }, 64},
				call{z.name + " Cipher Decrypt", z.want, func(d []byte) { zc.Decrypt(d, src) }, 64},
			)
		}
		calls = append(calls,
			call{"Cipher.Encrypt short src", "block", func(d []byte) { c.Encrypt(d, src[:15]) }, 64},
			call{"Cipher.Encrypt short dst", "block", func(d []byte) { c.Encrypt(d, src) }, 15},
			call{"Cipher.Decrypt short src", "block", func(d []byte) { c.Decrypt(d, nil) }, 64},
			call{"Cipher.Decrypt short dst", "block", func(d []byte) { c.Decrypt(d, src) }, 0},
		)
		for _, cl := range calls {
			dst := bytes.Repeat([]byte{fill}, cl.dstLen)
			testutil.MustPanic(t, cl.name, func() { cl.f(dst) }, cl.want)
			for i, v := range dst {
				if v != fill {
					t.Errorf("%s: panicked after writing dst[%d]", cl.name, i)
					break
				}
			}
		}
	})
}

// The iv check panics with ErrInvalidIV's text, as gotd's does.
func TestContractInvalidIVMessage(t *testing.T) {
	c := mustCipher(t, key32(1))
	for _, f := range []func(){
		func() { ige.NewIGEEncrypter(c, make([]byte, 16)) },
		func() { ige.EncryptBlocks(c, make([]byte, 16), nil, nil) },
		func() { ige.NewIGEDecrypter(wideBlock{}, make([]byte, 32)) },
		func() { ige.DecryptBlocks(wideBlock{}, make([]byte, 32), nil, nil) },
	} {
		testutil.MustPanic(t, "iv", f, ige.ErrInvalidIV.Error())
	}
	// des: 8-byte blocks take a 16-byte iv and refuse 32, as in gotd.
	d, _ := des.NewCipher(make([]byte, 8))
	ige.EncryptBlocks(d, make([]byte, 16), make([]byte, 8), make([]byte, 8))
	testutil.MustPanic(t, "des iv 32", func() { ige.NewIGEEncrypter(d, make([]byte, 32)) }, ige.ErrInvalidIV.Error())
}

// Jobs: 1000 of them, mixed lengths, shared Ciphers, in place and separate,
// dst longer than src; each equals EncryptBlocks, iv untouched.
func TestContractBatchLarge(t *testing.T) {
	r := newRand()
	impltest.Run(t, "ige", func(t *testing.T) {
		n := 1000
		if testing.Short() || runtime.GOARCH != "amd64" {
			n = 200
		}
		ciphers := make([]*ige.Cipher, 7)
		for i := range ciphers {
			ciphers[i] = mustCipher(t, key32(byte(i)))
		}
		type exp struct{ iv, src, enc, dec []byte }
		jobs := make([]ige.Job, n)
		exps := make([]exp, n)
		for i := range jobs {
			nb := r.IntN(40)
			if i%97 == 0 {
				nb = 300 + r.IntN(100)
			}
			if i%13 == 0 {
				nb = 0
			}
			c := ciphers[r.IntN(len(ciphers))]
			if i%3 == 0 {
				c = mustCipher(t, rnd(r, 32))
			}
			src := rnd(r, nb*16)
			iv := rnd(r, 32)
			e := exp{iv: bytes.Clone(iv), src: bytes.Clone(src), enc: make([]byte, len(src)), dec: make([]byte, len(src))}
			ige.EncryptBlocks(c, iv, e.enc, src)
			ige.DecryptBlocks(c, iv, e.dec, src)
			exps[i] = e
			j := ige.Job{Cipher: c, IV: iv, Src: src}
			switch i % 4 {
			case 0:
				j.Dst = src // exactly in place
			case 1:
				j.Dst = make([]byte, len(src))
			default:
				j.Dst = bytes.Repeat([]byte{0xee}, len(src)+r.IntN(40))
			}
			jobs[i] = j
		}
		for _, dir := range []string{"encrypt", "decrypt"} {
			js := make([]ige.Job, n)
			for i := range jobs {
				js[i] = jobs[i]
				js[i].Src = bytes.Clone(exps[i].src)
				if i%4 == 0 {
					js[i].Dst = js[i].Src
				} else {
					js[i].Dst = bytes.Repeat([]byte{0xee}, len(jobs[i].Dst))
				}
			}
			var want func(e exp) []byte
			if dir == "encrypt" {
				ige.EncryptBatch(js)
				want = func(e exp) []byte { return e.enc }
			} else {
				ige.DecryptBatch(js)
				want = func(e exp) []byte { return e.dec }
			}
			for i, j := range js {
				e := exps[i]
				if !bytes.Equal(j.Dst[:len(e.src)], want(e)) {
					t.Fatalf("%s job %d (%d blocks, in place %v): wrong output", dir, i, len(e.src)/16, i%4 == 0)
				}
				for _, v := range j.Dst[len(e.src):] {
					if v != 0xee {
						t.Fatalf("%s job %d: wrote past len(Src)", dir, i)
					}
				}
				if !bytes.Equal(j.IV, e.iv) {
					t.Fatalf("%s job %d: IV modified", dir, i)
				}
				if i%4 != 0 && !bytes.Equal(j.Src, e.src) {
					t.Fatalf("%s job %d: Src modified", dir, i)
				}
			}
		}
	})
}

// A Job's IV may live in memory that the job's own Dst overwrites: the IV is
// an input read before output is written, as in EncryptBlocks (which copies
// it first).
func TestContractBatchIVInDst(t *testing.T) {
	r := newRand()
	impltest.Run(t, "ige", func(t *testing.T) {
		c := mustCipher(t, key32(3))
		for _, nb := range []int{1, 2, 5, 40} {
			src := rnd(r, nb*16)
			buf := rnd(r, max(nb*16, 32))
			iv := bytes.Clone(buf[:32])
			want := make([]byte, len(src))
			ige.EncryptBlocks(c, iv, want, src)
			ige.EncryptBatch([]ige.Job{{Cipher: c, IV: buf[:32], Dst: buf[:len(src)], Src: src}})
			if !bytes.Equal(buf[:len(src)], want) {
				t.Errorf("nb=%d: EncryptBatch with IV inside Dst differs from EncryptBlocks", nb)
			}
		}
	})
}

// One *Cipher used by many goroutines at once, through every entry point,
// and EncryptBatch called concurrently with jobs sharing Ciphers.
func TestContractConcurrentUse(t *testing.T) {
	r := newRand()
	shared := []*ige.Cipher{mustCipher(t, key32(1)), mustCipher(t, key32(2))}
	const G = 8
	iters := 20
	if testing.Short() || runtime.GOARCH != "amd64" {
		iters = 5
	}
	type work struct{ iv, pt, ct []byte }
	ws := make([]work, 64)
	for i := range ws {
		pt := rnd(r, (1+r.IntN(64))*16)
		iv := rnd(r, 32)
		ct := make([]byte, len(pt))
		gotd.EncryptBlocks(shared[i%2], iv, ct, pt)
		ws[i] = work{iv, pt, ct}
	}
	var wg sync.WaitGroup
	errs := make(chan error, G*4)
	for g := range G {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range iters {
				i := (g*7 + it) % len(ws)
				w := ws[i]
				c := shared[i%2]
				out := make([]byte, len(w.pt))
				switch (g + it) % 4 {
				case 0:
					ige.EncryptBlocks(c, w.iv, out, w.pt)
				case 1:
					ige.NewIGEEncrypter(c, w.iv).CryptBlocks(out, w.pt)
				case 2:
					jobs := make([]ige.Job, 0, 8)
					outs := make([][]byte, 0, 8)
					for k := range 8 {
						w2 := ws[(i+2*k)%len(ws)]
						o := make([]byte, len(w2.pt))
						outs = append(outs, o)
						jobs = append(jobs, ige.Job{Cipher: shared[((i+2*k)%len(ws))%2], IV: w2.iv, Dst: o, Src: w2.pt})
					}
					ige.EncryptBatch(jobs)
					for k, o := range outs {
						if !bytes.Equal(o, ws[(i+2*k)%len(ws)].ct) {
							errs <- fmt.Errorf("goroutine %d: concurrent EncryptBatch job %d wrong", g, k)
							return
						}
					}
					copy(out, w.ct)
				case 3:
					back := make([]byte, len(w.ct))
					ige.DecryptBatch([]ige.Job{{Cipher: c, IV: w.iv, Dst: back, Src: w.ct}})
					if !bytes.Equal(back, w.pt) {
						errs <- fmt.Errorf("goroutine %d: concurrent DecryptBatch wrong", g)
						return
					}
					ige.DecryptBlocks(c, w.iv, back, w.ct)
					if !bytes.Equal(back, w.pt) {
						errs <- fmt.Errorf("goroutine %d: concurrent DecryptBlocks wrong", g)
						return
					}
					copy(out, w.ct)
				}
				if !bytes.Equal(out, w.ct) {
					errs <- fmt.Errorf("goroutine %d: concurrent use of a shared Cipher gave a wrong result", g)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The zero-allocation promises: SetKey and the one-shot helpers; the fast
// path over a *Cipher as well.
// AES-128/192 keys are refused by the fast path with an error, not
// silently treated as AES-256.
func TestContractKeySizeErrorIsError(t *testing.T) {
	_, err := ige.NewCipher(make([]byte, 16))
	if err == nil {
		t.Fatal("AES-128 key accepted")
	}
	var target interface{ Error() string }
	if !errors.As(err, &target) {
		t.Fatal("not an error")
	}
}

// A shifted overlap of dst and src is refused (exact overlap is in place).
func TestContractInexactOverlap(t *testing.T) {
	c := mustCipher(t, key32(1))
	iv := make([]byte, 32)
	buf := make([]byte, 80)
	testutil.MustPanic(t, "EncryptBlocks overlap", func() { ige.EncryptBlocks(c, iv, buf[16:80], buf[:64]) }, "overlap")
	testutil.MustPanic(t, "DecryptBlocks overlap", func() { ige.DecryptBlocks(c, iv, buf[1:65], buf[:64]) }, "overlap")
	testutil.MustPanic(t, "EncryptBatch overlap", func() {
		ige.EncryptBatch([]ige.Job{{Cipher: c, IV: iv, Dst: buf[:64], Src: buf[16:80]}})
	}, "overlap")
	if !bytes.Equal(buf, make([]byte, 80)) {
		t.Fatal("overlap panic after writing")
	}
}

// TestContractAgainstGotdRandom runs the fuzz target's check on random
// inputs under every implementation (fuzzing itself runs only the default
// one, and not at all under emulation).
func TestContractAgainstGotdRandom(t *testing.T) {
	r := newRand()
	n := 300
	if testing.Short() || runtime.GOARCH != "amd64" {
		n = 60
	}
	impltest.Run(t, "ige", func(t *testing.T) {
		for range n {
			data := rnd(r, r.IntN(40)*16+r.IntN(3)*1024)
			checkAgainstGotd(t, rnd(r, 32), rnd(r, 32), data, uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), r.IntN(2) == 0)
		}
	})
}

// FuzzContractAgainstGotd compares every entry point with gotd/ige over
// crypto/aes, at arbitrary byte offsets (unaligned for the assembly), split
// into two CryptBlocks calls, in place or not, and as batch jobs that share
// one Cipher.
func FuzzContractAgainstGotd(f *testing.F) {
	f.Add(key32(1), key32(2), make([]byte, 64), uint8(0), uint8(0), uint8(1), false)
	f.Add(key32(3), key32(4), bytes.Repeat([]byte{7}, 1000), uint8(3), uint8(9), uint8(17), true)
	f.Fuzz(checkAgainstGotd)
}

func checkAgainstGotd(t *testing.T, key, iv, data []byte, srcOff, dstOff, split uint8, inPlace bool) {
	if len(key) < 32 || len(iv) < 32 {
		return
	}
	key, iv = key[:32], iv[:32]
	data = data[:len(data)/16*16]
	so, do := int(srcOff%16), int(dstOff%16)
	std, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	wantEnc := make([]byte, len(data))
	gotd.EncryptBlocks(std, iv, wantEnc, data)
	wantDec := make([]byte, len(data))
	gotd.DecryptBlocks(std, iv, wantDec, data)
	c := mustCipher(t, key)
	at := func(off int, b []byte) []byte { return append(make([]byte, off), b...)[off:] }
	out := func(src []byte) []byte {
		if inPlace {
			return src
		}
		return make([]byte, do+len(src))[do:]
	}
	sp := 16 * (int(split) % (len(data)/16 + 1))
	type entry struct {
		name string
		want []byte
		f    func(dst, src []byte)
	}
	for _, e := range []entry{
		{"EncryptBlocks", wantEnc, func(d, s []byte) { ige.EncryptBlocks(c, iv, d, s) }},
		{"DecryptBlocks", wantDec, func(d, s []byte) { ige.DecryptBlocks(c, iv, d, s) }},
		{"EncryptAES256Blocks", wantEnc, func(d, s []byte) { ige.EncryptAES256Blocks(key, iv, d, s) }},
		{"DecryptAES256Blocks", wantDec, func(d, s []byte) { ige.DecryptAES256Blocks(key, iv, d, s) }},
		{"encrypter split", wantEnc, func(d, s []byte) {
			m := ige.NewIGEEncrypter(c, iv)
			m.CryptBlocks(d[:sp], s[:sp])
			m.CryptBlocks(d[sp:], s[sp:])
		}},
		{"decrypter split", wantDec, func(d, s []byte) {
			m := ige.NewIGEDecrypter(c, iv)
			m.CryptBlocks(d[:sp], s[:sp])
			m.CryptBlocks(d[sp:], s[sp:])
		}},
		{"EncryptBatch", wantEnc, func(d, s []byte) {
			// The same stream split in two, as independent jobs whose
			// second iv is the state after the first part.
			iv2 := make([]byte, 32)
			if sp > 0 {
				copy(iv2, wantEnc[sp-16:sp])
				copy(iv2[16:], data[sp-16:sp])
			} else {
				copy(iv2, iv)
			}
			ige.EncryptBatch([]ige.Job{{Cipher: c, IV: iv, Dst: d[:sp], Src: s[:sp]}, {Cipher: c, IV: iv2, Dst: d[sp:], Src: s[sp:]}})
		}},
		{"DecryptBatch", wantDec, func(d, s []byte) {
			iv2 := make([]byte, 32)
			if sp > 0 {
				copy(iv2, data[sp-16:sp])
				copy(iv2[16:], wantDec[sp-16:sp])
			} else {
				copy(iv2, iv)
			}
			ige.DecryptBatch([]ige.Job{{Cipher: c, IV: iv, Dst: d[:sp], Src: s[:sp]}, {Cipher: c, IV: iv2, Dst: d[sp:], Src: s[sp:]}})
		}},
	} {
		src := at(so, data)
		dst := out(src)
		e.f(dst, src)
		if !bytes.Equal(dst, e.want) {
			t.Fatalf("%s (src+%d dst+%d in place %v split %d, %d bytes) differs from gotd", e.name, so, do, inPlace, sp, len(data))
		}
	}
}
