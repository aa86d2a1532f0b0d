package filecrypt_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"

	"github.com/secretbench/secretbench/filecrypt"
)

// partPlain is the plaintext of part j of a large test file: generated per
// part, so any part can be produced again alone for Reencrypt.
func partPlain(dst []byte, j int) []byte {
	detRand(uint64(1e6 + j)).Read(dst)
	return dst
}

// TestLargeFiles (SECRETBENCH_LONG=1 only) uploads, re-encrypts and
// downloads files just past each part-size step, 250, 500 and 1000 MiB, in
// constant memory: the upload parts must hash like the Writer's stream over
// the same plaintext, and decrypt back to it. Under emulation or the race
// detector only the first.
func TestLargeFiles(t *testing.T) {
	if !long {
		t.Skip("SECRETBENCH_LONG=1 only: files of 250 MiB and more")
	}
	sizes := []int64{4000*64*kib + 1, 4000*128*kib + 1, 4000*256*kib + 1}
	if slow {
		sizes = sizes[:1]
	}
	for _, size := range sizes {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			k := testKey(t, uint64(size))
			u, err := filecrypt.NewUpload(&k, size, detRand(1))
			if err != nil {
				t.Fatal(err)
			}
			ps := u.PartSize()
			if want := map[int64]int{4000*64*kib + 1: 128 * kib, 4000*128*kib + 1: 256 * kib, 4000*256*kib + 1: 512 * kib}[size]; ps != want {
				t.Fatalf("part size %d, want %d", ps, want)
			}
			d, err := filecrypt.NewDownload(&k, size, 0)
			if err != nil {
				t.Fatal(err)
			}
			var streamHash, partsHash = sha256.New(), sha256.New()
			w := filecrypt.NewWriter(streamHash, &k, detRand(1))
			plain, buf, out := make([]byte, ps), make([]byte, ps), make([]byte, ps)
			// Parts kept to check Reencrypt against, a few only.
			kept := map[int][]byte{0: nil, 1: nil, u.Parts() / 2: nil, u.Parts() - 2: nil, u.Parts() - 1: nil}
			for j := range u.Parts() {
				p := partPlain(plain[:u.PlainLen(j)], j)
				if _, err := w.Write(p); err != nil {
					t.Fatal(err)
				}
				part, err := u.Next(buf, bytes.NewReader(p))
				if err != nil {
					t.Fatal(err)
				}
				partsHash.Write(part.Data)
				if _, ok := kept[j]; ok {
					kept[j] = bytes.Clone(part.Data)
				}
				got, err := d.Decrypt(j, out, part.Data)
				if err != nil || !bytes.Equal(got, p) {
					t.Fatalf("part %d does not decrypt back: %v", j, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(streamHash.Sum(nil), partsHash.Sum(nil)) {
				t.Fatal("the upload parts differ from the Writer's stream")
			}
			if _, err := u.Next(buf, bytes.NewReader(nil)); err != io.EOF || !d.Done() {
				t.Fatalf("after the last part: %v, download done %v", err, d.Done())
			}
			// Re-encrypt parts alone, after the upload has finished.
			for j, want := range kept {
				p := partPlain(plain[:u.PlainLen(j)], j)
				again, err := u.Reencrypt(j, out, p)
				if err != nil || !bytes.Equal(again.Data, want) {
					t.Fatalf("Reencrypt(%d) differs: %v", j, err)
				}
			}
		})
	}
}
