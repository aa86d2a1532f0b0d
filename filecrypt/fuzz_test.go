package filecrypt_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/filecrypt"
)

// FuzzStream: any plaintext with any write and read chunking encrypts to
// one-shot IGE over the padded file and decrypts back; the upload parts
// concatenate to the same ciphertext.
func FuzzStream(f *testing.F) {
	f.Add([]byte(""), uint64(0))
	f.Add([]byte("x"), uint64(1))
	f.Add(bytes.Repeat([]byte("0123456789abcdef"), 5), uint64(2))
	f.Add(bytes.Repeat([]byte{7}, 70_001), uint64(3))
	f.Fuzz(func(t *testing.T, plain []byte, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 1))
		k := testKey(t, seed)
		want := reference(t, &k, plain, randBytes(seed+1, padLen(len(plain))))
		ct := encryptChunked(t, &k, plain, seed+1, rng)
		if !bytes.Equal(ct, want) {
			t.Fatal("Writer output differs from one-shot IGE")
		}
		got, err := decryptChunked(t, &k, ct, int64(len(plain)), rng)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Reader: %v, plaintext equal %v", err, bytes.Equal(got, plain))
		}
		if len(plain) == 0 {
			return
		}
		u, err := filecrypt.NewUpload(&k, int64(len(plain)), detRand(seed+1))
		if err != nil {
			t.Fatal(err)
		}
		if parts := bytes.Join(uploadAll(t, u, plain), nil); !bytes.Equal(parts, want) {
			t.Fatal("upload parts differ from one-shot IGE")
		}
	})
}

// FuzzDownloadState: UnmarshalBinary never panics, rejects with ErrState
// only, and what it accepts marshals back to the same bytes.
func FuzzDownloadState(f *testing.F) {
	k := filecrypt.Key{}
	for _, size := range []int64{0, 1, 1000, 1 << 30} {
		d, _ := filecrypt.NewDownload(&k, size, 4096)
		st, _ := d.MarshalBinary()
		f.Add(st)
	}
	f.Add([]byte("fcd\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d filecrypt.Download
		if err := d.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, filecrypt.ErrState) {
				t.Fatalf("error %v is not ErrState", err)
			}
			return
		}
		again, err := d.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted state does not round-trip: %v", err)
		}
		if d.Offset() < 0 || d.NextPart() > d.Parts() {
			t.Fatalf("accepted an inconsistent state: offset %d, part %d of %d", d.Offset(), d.NextPart(), d.Parts())
		}
	})
}
