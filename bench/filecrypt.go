package bench

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"io"
	"testing"

	gotd "github.com/gotd/ige"
	"github.com/secretbench/secretbench/filecrypt"
)

func init() {
	register(Suite{Name: "filecrypt", Doc: "file encryption: one stream in constant memory, and parts of several files at once (filecrypt against gotd/ige over the whole file in memory)", cases: filecryptCases})
}

var fileSizes = []int{64 << 10, 1 << 20}

func filecryptCases(dst []Case) []Case {
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, impl := range []string{"ref", "fast"} {
			for _, n := range fileSizes {
				dst = append(dst, Case{
					Suite: "filecrypt", Bench: "FileCrypt",
					Name:  fmt.Sprintf("op=%s/impl=%s/size=%s", op, impl, Size(n)),
					Bytes: int64(n),
					Quick: n == 1<<20,
					Bound: boundName("ref", false),
					F:     fileStream(op, impl, n),
				})
			}
		}
	}
	const files, part = 8, 512 << 10
	for _, impl := range []string{"ref", "fast"} {
		dst = append(dst, Case{
			Suite: "filecrypt", Bench: "FileCrypt",
			Name:  fmt.Sprintf("op=decrypt-parts/impl=%s/files=%dx%s", impl, files, Size(part)),
			Bytes: files * part,
			Quick: true,
			Bound: boundName("ref", true),
			F:     fileParts(impl, files, part),
		})
	}
	return dst
}

func fileKey(i int) filecrypt.Key {
	var k filecrypt.Key
	k.Key[0], k.IV[0] = byte(i), byte(i+1)
	return k
}

// fileStream: one file of n bytes (a multiple of 16, so no padding). The
// reference is what gotd/ige allows: its BlockMode does not carry the
// chain from one call to the next, so the whole file is encrypted in one
// call, in memory; filecrypt streams it through a 32 KiB buffer.
func fileStream(op, impl string, n int) func(*testing.B) {
	return func(b *testing.B) {
		k := fileKey(0)
		plain := make([]byte, n)
		ct := make([]byte, n)
		gotd.EncryptBlocks(mustAES(b, k.Key[:]), k.IV[:], ct, plain)
		switch {
		case impl == "ref":
			src := plain
			f := gotd.EncryptBlocks
			if op == "decrypt" {
				src, f = ct, gotd.DecryptBlocks
			}
			cpu := startCPU()
			for b.Loop() {
				buf := make([]byte, len(src))
				f(mustAES(b, k.Key[:]), k.IV[:], buf, src)
			}
			cpu.Report(b)
		case op == "encrypt":
			cpu := startCPU()
			for b.Loop() {
				w := filecrypt.NewWriter(io.Discard, &k, nil)
				if _, err := w.Write(plain); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
		default:
			cpu := startCPU()
			for b.Loop() {
				r, err := filecrypt.NewReader(bytes.NewReader(ct), &k, int64(n))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
		}
	}
}

func mustAES(b *testing.B, key []byte) cipher.Block {
	blk, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	return blk
}

// fileParts: one part of each of several files at once (DecryptParts), the
// reference decrypting the same parts one file after another.
func fileParts(impl string, files, part int) func(*testing.B) {
	return func(b *testing.B) {
		keys := make([]filecrypt.Key, files)
		cts := make([][]byte, files)
		dsts := make([][]byte, files)
		for i := range keys {
			keys[i] = fileKey(i)
			cts[i] = make([]byte, part)
			dsts[i] = make([]byte, part)
		}
		if impl == "ref" {
			blks := make([]cipher.Block, files)
			for i := range blks {
				blks[i] = mustAES(b, keys[i].Key[:])
			}
			cpu := startCPU()
			for b.Loop() {
				for i, blk := range blks {
					gotd.DecryptBlocks(blk, keys[i].IV[:], dsts[i], cts[i])
				}
			}
			cpu.Report(b)
			return
		}
		jobs := make([]filecrypt.DownloadJob, files)
		cpu := startCPU()
		for b.Loop() {
			for i := range jobs {
				d, err := filecrypt.NewDownload(&keys[i], int64(part), part)
				if err != nil {
					b.Fatal(err)
				}
				jobs[i] = filecrypt.DownloadJob{Download: d, Index: 0, Dst: dsts[i], Src: cts[i]}
			}
			if err := filecrypt.DecryptParts(jobs); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Report(b)
	}
}
