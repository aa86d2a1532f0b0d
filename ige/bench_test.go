package ige

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"testing"

	gotd "github.com/gotd/ige"
)

var benchSizes = []struct {
	name string
	n    int
}{{"64B", 64}, {"1KiB", 1 << 10}, {"16KiB", 16 << 10}, {"512KiB", 512 << 10}}

// BenchmarkIGE: one stream, reused key. impl=gotd is github.com/gotd/ige over
// crypto/aes (AES-NI through the standard library on amd64).
func BenchmarkIGE(b *testing.B) {
	key, iv := make([]byte, KeySize), make([]byte, IVSize)
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, impl := range append([]string{"gotd"}, Implementations()...) {
			for _, sz := range benchSizes {
				b.Run(fmt.Sprintf("op=%s/impl=%s/size=%s", op, impl, sz.name), func(b *testing.B) {
					buf := make([]byte, sz.n)
					b.SetBytes(int64(sz.n))
					b.ReportAllocs()
					if impl == "gotd" {
						blk, _ := aes.NewCipher(key)
						f := gotd.EncryptBlocks
						if op == "decrypt" {
							f = gotd.DecryptBlocks
						}
						for b.Loop() {
							f(blk, iv, buf, buf)
						}
						return
					}
					restore, err := useImpl(impl)
					if err != nil {
						b.Fatal(err)
					}
					defer restore()
					c, _ := NewCipher(key)
					f := EncryptBlocks
					if op == "decrypt" {
						f = DecryptBlocks
					}
					for b.Loop() {
						f(c, iv, buf, buf)
					}
				})
			}
		}
	}
}

// BenchmarkIGENewKey: a new key per message, as MTProto does. impl=gotd pays
// aes.NewCipher per message; ours re-keys a Cipher with SetKey.
func BenchmarkIGENewKey(b *testing.B) {
	key, iv := make([]byte, KeySize), make([]byte, IVSize)
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, impl := range append([]string{"gotd"}, Implementations()...) {
			for _, sz := range benchSizes[:2] {
				b.Run(fmt.Sprintf("op=%s/impl=%s/size=%s", op, impl, sz.name), func(b *testing.B) {
					buf := make([]byte, sz.n)
					b.SetBytes(int64(sz.n))
					b.ReportAllocs()
					if impl == "gotd" {
						f := gotd.EncryptBlocks
						if op == "decrypt" {
							f = gotd.DecryptBlocks
						}
						for b.Loop() {
							key[0]++
							blk, _ := aes.NewCipher(key)
							f(blk, iv, buf, buf)
						}
						return
					}
					restore, err := useImpl(impl)
					if err != nil {
						b.Fatal(err)
					}
					defer restore()
					var c Cipher
					f := EncryptBlocks
					if op == "decrypt" {
						f = DecryptBlocks
					}
					for b.Loop() {
						key[0]++
						_ = c.SetKey(key)
						f(&c, iv, buf, buf)
					}
				})
			}
		}
	}
}

// BenchmarkIGEBatch: 32 independent jobs with distinct keys, and a mix of
// short and long jobs. impl=gotd runs the same jobs one after another.
func BenchmarkIGEBatch(b *testing.B) {
	shapes := []struct {
		name  string
		sizes []int
	}{
		{"32x4KiB", repeat(4<<10, 32)},
		{"alt64B-64KiB", mix(32)},
	}
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, impl := range append([]string{"gotd"}, Implementations()...) {
			for _, sh := range shapes {
				b.Run(fmt.Sprintf("op=%s/impl=%s/jobs=%s", op, impl, sh.name), func(b *testing.B) {
					jobs := make([]Job, len(sh.sizes))
					blocks := make([]*aesBlock, len(sh.sizes))
					total := 0
					for i, n := range sh.sizes {
						key := make([]byte, KeySize)
						key[0], key[1] = byte(i), 0x5a
						c, _ := NewCipher(key)
						buf := make([]byte, n)
						jobs[i] = Job{Cipher: c, IV: make([]byte, IVSize), Dst: buf, Src: buf}
						blk, _ := aes.NewCipher(key)
						blocks[i] = &aesBlock{blk}
						total += n
					}
					b.SetBytes(int64(total))
					b.ReportAllocs()
					if impl == "gotd" {
						f := gotd.EncryptBlocks
						if op == "decrypt" {
							f = gotd.DecryptBlocks
						}
						for b.Loop() {
							for i, j := range jobs {
								f(blocks[i].Block, j.IV, j.Dst, j.Src)
							}
						}
						return
					}
					restore, err := useImpl(impl)
					if err != nil {
						b.Fatal(err)
					}
					defer restore()
					f := EncryptBatch
					if op == "decrypt" {
						f = DecryptBatch
					}
					for b.Loop() {
						f(jobs)
					}
				})
			}
		}
	}
}

type aesBlock struct{ cipher.Block }

func repeat(n, k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = n
	}
	return s
}

// mix alternates 64-byte and 64 KiB jobs.
func mix(k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = 64
		if i%2 == 1 {
			s[i] = 64 << 10
		}
	}
	return s
}
