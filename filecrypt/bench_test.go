package filecrypt_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/secretbench/secretbench/filecrypt"
	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/cputime"
)

// BenchmarkStream: streaming a file in 16 KiB writes or reads, against
// single-stream ige on the same 16 KiB. impl=ige is the hand-written
// equivalent: EncryptBlocks into a buffer that then goes to the writer; or
// the ciphertext read from the same source into the buffer, then
// DecryptBlocks in place. The target is filecrypt >= 0.95 x ige.
func BenchmarkStream(b *testing.B) {
	k := testKey(b, 1)
	c, err := ige.NewCipher(k.Key[:])
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 16 << 10
	data := randBytes(2, 256<<10)
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, impl := range []string{"ige", "filecrypt"} {
			b.Run(fmt.Sprintf("op=%s/impl=%s/write=16KiB", op, impl), func(b *testing.B) {
				b.SetBytes(chunk)
				b.ReportAllocs()
				buf := make([]byte, chunk)
				src := &repeatReader{data: data}
				defer cputime.StartThread().Report(b)
				switch op + "/" + impl {
				case "encrypt/ige":
					for b.Loop() {
						p, _ := src.next(chunk)
						ige.EncryptBlocks(c, k.IV[:], buf, p)
						io.Discard.Write(buf)
					}
				case "encrypt/filecrypt":
					w := filecrypt.NewWriter(io.Discard, &k, nil)
					for b.Loop() {
						p, _ := src.next(chunk)
						w.Write(p)
					}
				case "decrypt/ige":
					for b.Loop() {
						io.ReadFull(src, buf)
						ige.DecryptBlocks(c, k.IV[:], buf, buf)
					}
				case "decrypt/filecrypt":
					r, _ := filecrypt.NewReader(src, &k, 1<<62)
					for b.Loop() {
						io.ReadFull(r, buf)
					}
				}
			})
		}
	}
}

// next returns the next n bytes of the repeated data without copying (n
// divides the data length).
func (r *repeatReader) next(n int) ([]byte, error) {
	p := r.data[r.off : r.off+n]
	r.off = (r.off + n) % len(r.data)
	return p, nil
}

// BenchmarkFiles: several files of the same size encrypted or decrypted
// part by part, one file after another (impl=serial) or all files one part
// at a time through EncryptParts/DecryptParts (impl=batch), which hands
// the streams to ige's interleaved batch code. impl=ige-batch is the bound: the
// same parts through ige.EncryptBatch/DecryptBatch directly, without
// filecrypt's checks and chaining state (so not a correct file).
func BenchmarkFiles(b *testing.B) {
	const files = 8
	keys := make([]filecrypt.Key, files)
	for i := range keys {
		keys[i] = testKey(b, uint64(i))
	}
	for _, op := range []string{"encrypt", "decrypt"} {
		for _, impl := range []string{"serial", "batch", "ige-batch"} {
			for _, size := range []struct {
				name string
				n    int
			}{{"64KiB", 64 << 10}, {"1MiB", 1 << 20}} {
				name := fmt.Sprintf("op=%s/impl=%s/files=%d/size=%s", op, impl, files, size.name)
				b.Run(name, func(b *testing.B) {
					data := randBytes(3, size.n)
					ps, _ := filecrypt.PartSize(int64(size.n))
					parts := (size.n + ps - 1) / ps
					dsts := make([][]byte, files)
					for i := range dsts {
						dsts[i] = make([]byte, ps)
					}
					b.SetBytes(int64(files * size.n))
					b.ReportAllocs()
					defer cputime.StartThread().Report(b)
					if impl == "ige-batch" {
						benchIGEBatch(b, op, keys, data, dsts, ps, parts)
					} else if op == "encrypt" {
						benchUpload(b, impl, keys, data, dsts, ps, parts)
					} else {
						benchDownload(b, impl, keys, data, dsts, ps, parts)
					}
				})
			}
		}
	}
}

func benchUpload(b *testing.B, impl string, keys []filecrypt.Key, data []byte, dsts [][]byte, ps, parts int) {
	ups := make([]*filecrypt.Upload, len(keys))
	jobs := make([]filecrypt.UploadJob, len(keys))
	for b.Loop() {
		for i := range ups {
			ups[i], _ = filecrypt.NewUpload(&keys[i], int64(len(data)), nil)
		}
		if impl == "serial" {
			for i, u := range ups {
				for n := range parts {
					if _, err := u.Encrypt(dsts[i], data[n*ps:n*ps+u.PlainLen(n)]); err != nil {
						b.Fatal(err)
					}
				}
			}
			continue
		}
		for n := range parts {
			for i, u := range ups {
				jobs[i] = filecrypt.UploadJob{Upload: u, Dst: dsts[i], Plain: data[n*ps : n*ps+u.PlainLen(n)]}
			}
			if err := filecrypt.EncryptParts(jobs); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchDownload(b *testing.B, impl string, keys []filecrypt.Key, data []byte, dsts [][]byte, ps, parts int) {
	downs := make([]*filecrypt.Download, len(keys))
	jobs := make([]filecrypt.DownloadJob, len(keys))
	for b.Loop() {
		for i := range downs {
			downs[i], _ = filecrypt.NewDownload(&keys[i], int64(len(data)), 0)
		}
		if impl == "serial" {
			for i, d := range downs {
				for n := range parts {
					if _, err := d.Decrypt(n, dsts[i], data[n*ps:n*ps+d.PartLen(n)]); err != nil {
						b.Fatal(err)
					}
				}
			}
			continue
		}
		for n := range parts {
			for i, d := range downs {
				jobs[i] = filecrypt.DownloadJob{Download: d, Index: n, Dst: dsts[i], Src: data[n*ps : n*ps+d.PartLen(n)]}
			}
			if err := filecrypt.DecryptParts(jobs); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchIGEBatch(b *testing.B, op string, keys []filecrypt.Key, data []byte, dsts [][]byte, ps, parts int) {
	jobs := make([]ige.Job, len(keys))
	for i := range jobs {
		c, err := ige.NewCipher(keys[i].Key[:])
		if err != nil {
			b.Fatal(err)
		}
		jobs[i] = ige.Job{Cipher: c, IV: keys[i].IV[:]}
	}
	batch := ige.EncryptBatch
	if op == "decrypt" {
		batch = ige.DecryptBatch
	}
	for b.Loop() {
		for n := range parts {
			src := data[n*ps : min((n+1)*ps, len(data))]
			for i := range jobs {
				jobs[i].Dst, jobs[i].Src = dsts[i], src
			}
			batch(jobs)
		}
	}
}
