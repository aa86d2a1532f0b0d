package filecrypt_test

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/secretbench/secretbench/filecrypt"
	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/testutil"
)

type vectorFile struct {
	TDLib struct {
		Source string
		CRC32  []struct {
			N     int
			CRC32 uint32
		}
		Explicit []struct {
			Key, IV, Plaintext, Ciphertext testutil.Hex
		}
	} `json:"tdlib_aes256"`
	FileFingerprint struct {
		Source  string
		Vectors []struct {
			Key, IV     testutil.Hex
			Fingerprint int32
		}
	} `json:"file_fingerprint"`
}

func loadVectors(t *testing.T) *vectorFile {
	t.Helper()
	var v vectorFile
	testutil.LoadJSON(t, "testdata/vectors.json", &v)
	if len(v.TDLib.CRC32) == 0 || len(v.TDLib.Explicit) == 0 || len(v.FileFingerprint.Vectors) == 0 {
		t.Fatal("testdata/vectors.json: a section is empty")
	}
	return &v
}

// tdlibData is the generator of TDLib's aes_ige test.
func tdlibData(n int) []byte {
	seed := uint32(n)
	out := make([]byte, n+64)
	for i := range out {
		seed = seed*123457567 + 987651241
		out[i] = byte(seed >> 23)
	}
	return out
}

func keyFrom(t *testing.T, key, iv []byte) filecrypt.Key {
	t.Helper()
	var k filecrypt.Key
	if len(key) != 32 || len(iv) != 32 {
		t.Fatalf("vector key/iv lengths %d/%d", len(key), len(iv))
	}
	copy(k.Key[:], key)
	copy(k.IV[:], iv)
	return k
}

// noRand fails the test if padding is drawn where none is due.
type noRand struct{ t *testing.T }

func (r noRand) Read(p []byte) (int, error) {
	r.t.Fatalf("random bytes drawn (%d) for a file of whole blocks", len(p))
	return 0, nil
}

// TestVectors runs the public IGE vectors through the Writer, an Upload, the
// Reader and a Download: their files are whole blocks, so the file
// ciphertext is the IGE ciphertext.
func TestVectors(t *testing.T) {
	v := loadVectors(t)
	check := func(t *testing.T, k filecrypt.Key, plain []byte, wantCT func([]byte) error) {
		var out bytes.Buffer
		w := filecrypt.NewWriter(&out, &k, noRand{t})
		if _, err := w.Write(plain); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := wantCT(out.Bytes()); err != nil {
			t.Errorf("Writer: %v", err)
		}
		if len(plain) > 0 {
			u, err := filecrypt.NewUpload(&k, int64(len(plain)), noRand{t})
			if err != nil {
				t.Fatal(err)
			}
			var parts []byte
			buf := make([]byte, u.PartSize())
			for {
				p, err := u.Next(buf, bytes.NewReader(plain[len(parts):]))
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, p.Data...)
			}
			if err := wantCT(parts); err != nil {
				t.Errorf("Upload: %v", err)
			}
		}
		r, err := filecrypt.NewReader(bytes.NewReader(out.Bytes()), &k, int64(len(plain)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Reader: %d bytes, %v; plaintext differs: %v", len(got), err, !bytes.Equal(got, plain))
		}
	}
	for _, c := range v.TDLib.CRC32 {
		t.Run(fmt.Sprintf("tdlib/n=%d", c.N), func(t *testing.T) {
			d := tdlibData(c.N)
			k := keyFrom(t, d[c.N:c.N+32], d[c.N+32:])
			check(t, k, d[:c.N], func(ct []byte) error {
				if got := crc32.ChecksumIEEE(ct); got != c.CRC32 || len(ct) != c.N {
					return fmt.Errorf("ciphertext of %d bytes, crc32 %d; want %d bytes, %d", len(ct), got, c.N, c.CRC32)
				}
				return nil
			})
		})
	}
	for i, e := range v.TDLib.Explicit {
		t.Run(fmt.Sprintf("tdlib/explicit=%d", i), func(t *testing.T) {
			check(t, keyFrom(t, e.Key, e.IV), e.Plaintext, func(ct []byte) error {
				if !bytes.Equal(ct, e.Ciphertext) {
					return fmt.Errorf("ciphertext %x, want %x", ct, []byte(e.Ciphertext))
				}
				return nil
			})
		})
	}
	for _, f := range v.FileFingerprint.Vectors {
		k := keyFrom(t, f.Key, f.IV)
		if got := k.Fingerprint(); got != f.Fingerprint {
			t.Errorf("Fingerprint() = %d, want %d", got, f.Fingerprint)
		}
	}
}

func TestNewKey(t *testing.T) {
	a, err := filecrypt.NewKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := filecrypt.NewKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a.Key == a.IV || a.Key == [32]byte{} {
		t.Error("NewKey(nil) returned repeated or zero keys")
	}
	// Injected source: deterministic, key first then iv.
	k := testKey(t, 7)
	want := randBytes(7, 64)
	if !bytes.Equal(k.Key[:], want[:32]) || !bytes.Equal(k.IV[:], want[32:]) {
		t.Error("NewKey does not take key then iv from the reader")
	}
	// A failing source: the error comes back unchanged.
	boom := errors.New("entropy exhausted")
	if _, err := filecrypt.NewKey(iotest.ErrReader(boom)); err != boom {
		t.Errorf("NewKey(failing reader) error = %v, want %v", err, boom)
	}
	if _, err := filecrypt.NewKey(io.LimitReader(detRand(1), 40)); err != io.ErrUnexpectedEOF {
		t.Errorf("NewKey(short reader) error = %v, want io.ErrUnexpectedEOF", err)
	}
}

// roundTripSizes are the sizes every path must get right: the block edges,
// the Writer/Reader buffer edges and the first part boundaries.
func roundTripSizes() []int {
	sizes := []int{0, 1, 15, 16, 17, 31, 32, 33, 1000}
	for _, edge := range []int{32 << 10, 64 << 10, 2 * 64 << 10, 3 * 64 << 10} {
		sizes = append(sizes, edge-16, edge-1, edge, edge+1, edge+16)
	}
	return sizes
}

// randomSizes are random file sizes: a few MiB by default, up to 64 MiB
// with SECRETBENCH_LONG=1.
func randomSizes(rng *rand.Rand) []int {
	count, max := 4, 3<<20
	switch {
	case long && slow:
		count, max = 6, 16<<20
	case long:
		count, max = 12, 64<<20
	case slow:
		count, max = 2, 1<<20
	}
	sizes := make([]int, count)
	for i := range sizes {
		sizes[i] = rng.IntN(max + 1)
	}
	return sizes
}

// TestRoundTrip checks the Writer against one-shot IGE (gotd/ige over
// crypto/aes) on the padded file, and the Reader back, with random write
// and read chunking.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	roundTrip(t, append(roundTripSizes(), randomSizes(rng)...), rng)
}

func roundTrip(t *testing.T, sizes []int, rng *rand.Rand) {
	for i, n := range sizes {
		t.Run(fmt.Sprintf("size=%d", n), func(t *testing.T) {
			seed := uint64(i)
			k := testKey(t, seed)
			plain := randBytes(seed+1000, n)
			pad := randBytes(seed+2000, padLen(n))
			want := reference(t, &k, plain, pad)
			// One-shot ige over the padded file agrees with the reference.
			oneShot := append(append([]byte(nil), plain...), pad...)
			c, _ := ige.NewCipher(k.Key[:])
			ige.EncryptBlocks(c, k.IV[:], oneShot, oneShot)
			if !bytes.Equal(oneShot, want) {
				t.Fatal("ige.EncryptBlocks over the padded file differs from gotd/ige")
			}
			reps := 3
			if n > 1<<20 {
				reps = 1
			}
			for range reps {
				ct := encryptChunked(t, &k, plain, seed+2000, rng)
				if !bytes.Equal(ct, want) {
					t.Fatalf("Writer output differs from one-shot IGE over the padded file (%d vs %d bytes)", len(ct), len(want))
				}
				got, err := decryptChunked(t, &k, ct, int64(n), rng)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("Reader returned %d bytes, not the plaintext", len(got))
				}
			}
		})
	}
}

// TestReaderIOTest runs the Reader under testing/iotest's checks and its
// awkward readers.
func TestReaderIOTest(t *testing.T) {
	k := testKey(t, 3)
	plain := randBytes(4, 100_003)
	ct := reference(t, &k, plain, randBytes(5, padLen(len(plain))))
	wrappers := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	for name, wrap := range wrappers {
		t.Run(name, func(t *testing.T) {
			r, err := filecrypt.NewReader(wrap(bytes.NewReader(ct)), &k, int64(len(plain)))
			if err != nil {
				t.Fatal(err)
			}
			if err := iotest.TestReader(r, plain); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWriterErrors(t *testing.T) {
	k := testKey(t, 1)
	boom := errors.New("disk full")
	data := randBytes(2, 100<<10)

	t.Run("underlying", func(t *testing.T) {
		for _, limit := range []int{0, 16, 40 << 10} {
			for _, chunk := range []int{7, 16 << 10, len(data)} {
				ew := &errWriter{limit: limit, err: boom}
				w := filecrypt.NewWriter(ew, &k, detRand(1))
				var err error
				for p := data; len(p) > 0 && err == nil; {
					c := min(chunk, len(p))
					_, err = w.Write(p[:c])
					p = p[c:]
				}
				if err == nil {
					err = w.Close()
				}
				if err != boom {
					t.Fatalf("limit %d chunk %d: error %v, want %v unchanged", limit, chunk, err, boom)
				}
				if _, err := w.Write(data[:1]); err != boom {
					t.Errorf("Write after failure = %v, want the same error", err)
				}
				if err := w.Close(); err != boom {
					t.Errorf("Close = %v, want %v", err, boom)
				}
				if err := w.Close(); err != boom {
					t.Errorf("second Close = %v, want %v", err, boom)
				}
				if _, err := w.Write(data[:1]); !errors.Is(err, filecrypt.ErrClosed) {
					t.Errorf("Write after Close = %v, want ErrClosed", err)
				}
			}
		}
	})
	t.Run("short-write", func(t *testing.T) {
		w := filecrypt.NewWriter(&errWriter{limit: 100, short: true}, &k, detRand(1))
		if _, err := w.Write(data); err != io.ErrShortWrite {
			t.Errorf("Write to a short writer = %v, want io.ErrShortWrite", err)
		}
	})
	t.Run("close-write", func(t *testing.T) {
		// The last block is written by Close; its error comes from Close.
		w := filecrypt.NewWriter(&errWriter{limit: 32, err: boom}, &k, detRand(1))
		if _, err := w.Write(data[:40]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != boom {
			t.Errorf("Close = %v, want %v", err, boom)
		}
	})
	t.Run("rand", func(t *testing.T) {
		var out bytes.Buffer
		w := filecrypt.NewWriter(&out, &k, iotest.ErrReader(boom))
		if _, err := w.Write(data[:17]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != boom {
			t.Errorf("Close with failing rand = %v, want %v", err, boom)
		}
		if err := w.Close(); err != boom {
			t.Errorf("second Close = %v, want %v", err, boom)
		}
	})
	t.Run("closed", func(t *testing.T) {
		var out bytes.Buffer
		w := filecrypt.NewWriter(&out, &k, nil)
		if _, err := w.Write(data[:5]); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if out.Len() != 16 {
			t.Errorf("5-byte file encrypted to %d bytes, want 16", out.Len())
		}
		if n, err := w.Write(data[:5]); n != 0 || !errors.Is(err, filecrypt.ErrClosed) {
			t.Errorf("Write after Close = %d, %v; want 0, ErrClosed", n, err)
		}
		if out.Len() != 16 {
			t.Error("Write after Close wrote")
		}
	})
}

func TestReaderErrors(t *testing.T) {
	k := testKey(t, 1)
	boom := errors.New("connection reset")
	plain := randBytes(2, 69_995) // the last block has 5 bytes of padding
	ct := reference(t, &k, plain, randBytes(3, padLen(len(plain))))
	n := int64(len(plain))

	t.Run("negative-size", func(t *testing.T) {
		if _, err := filecrypt.NewReader(bytes.NewReader(ct), &k, -1); !errors.Is(err, filecrypt.ErrSize) {
			t.Errorf("NewReader(size -1) = %v, want ErrSize", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for _, cut := range []int{1, 15, 16, 17, 40 << 10, len(ct)} {
			rng := rand.New(rand.NewPCG(uint64(cut), 0))
			got, err := decryptChunked(t, &k, ct[:len(ct)-cut], n, rng)
			if !errors.Is(err, filecrypt.ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("cut %d: error %v, want ErrTruncated matching io.ErrUnexpectedEOF", cut, err)
			}
			// Every whole block that arrived is delivered before the error.
			whole := (len(ct) - cut) &^ 15
			if !bytes.Equal(got, plain[:whole]) {
				t.Errorf("cut %d: %d bytes before the error, want the %d of whole blocks", cut, len(got), whole)
			}
		}
	})
	t.Run("trailing", func(t *testing.T) {
		for _, extra := range []int{1, 15, 16, 100 << 10} {
			longer := append(append([]byte(nil), ct...), make([]byte, extra)...)
			got, err := decryptChunked(t, &k, longer, n, rand.New(rand.NewPCG(uint64(extra), 1)))
			if !errors.Is(err, filecrypt.ErrTrailingData) {
				t.Fatalf("extra %d: error %v, want ErrTrailingData", extra, err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("extra %d: plaintext not delivered before the error", extra)
			}
		}
		// Declared size too small for the ciphertext is the same case.
		r, _ := filecrypt.NewReader(bytes.NewReader(ct), &k, 0)
		if _, err := io.ReadAll(r); !errors.Is(err, filecrypt.ErrTrailingData) {
			t.Errorf("size 0 over %d bytes: %v, want ErrTrailingData", len(ct), err)
		}
	})
	t.Run("underlying", func(t *testing.T) {
		for _, at := range []int{0, 7, 16, 50 << 10, len(ct)} {
			src := io.MultiReader(bytes.NewReader(ct[:at]), iotest.ErrReader(boom))
			r, _ := filecrypt.NewReader(src, &k, n)
			got, err := io.ReadAll(r)
			if err != boom {
				t.Fatalf("at %d: error %v, want %v unchanged", at, err, boom)
			}
			if !bytes.Equal(got, plain[:min(at&^15, len(plain))]) {
				t.Errorf("at %d: %d bytes before the error", at, len(got))
			}
			if _, err := r.Read(make([]byte, 10)); err != boom {
				t.Errorf("at %d: error not sticky: %v", at, err)
			}
		}
	})
	t.Run("no-progress", func(t *testing.T) {
		r, _ := filecrypt.NewReader(emptyReader{}, &k, n)
		if _, err := r.Read(make([]byte, 100)); err != io.ErrNoProgress {
			t.Errorf("Read over (0, nil) forever = %v, want io.ErrNoProgress", err)
		}
		// At the end check too.
		r, _ = filecrypt.NewReader(emptyReader{}, &k, 0)
		if _, err := r.Read(make([]byte, 100)); err != io.ErrNoProgress {
			t.Errorf("end check over (0, nil) forever = %v, want io.ErrNoProgress", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		r, _ := filecrypt.NewReader(bytes.NewReader(ct), &k, n)
		if _, err := r.Read(make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := r.Read(make([]byte, 100)); n != 0 || !errors.Is(err, filecrypt.ErrClosed) {
			t.Errorf("Read after Close = %d, %v; want 0, ErrClosed", n, err)
		}
	})
	t.Run("empty-read", func(t *testing.T) {
		r, _ := filecrypt.NewReader(bytes.NewReader(ct), &k, n)
		if n, err := r.Read(nil); n != 0 || err != nil {
			t.Errorf("Read(nil) = %d, %v", n, err)
		}
	})
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// TestIntegrityClaims checks what the package doc says about IGE's error
// propagation: a wrong key garbles everything, a wrong y_-1 shifts block 0
// by the xor difference and garbles the rest, a damaged block garbles
// itself and every block after it, and none of it is an error.
func TestIntegrityClaims(t *testing.T) {
	k := testKey(t, 1)
	const blocks = 64
	plain := randBytes(2, blocks*16)
	ct := reference(t, &k, plain, nil)
	decrypt := func(k filecrypt.Key, ct []byte) []byte {
		r, _ := filecrypt.NewReader(bytes.NewReader(ct), &k, int64(len(ct)))
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("a damaged file must decrypt without error, got %v", err)
		}
		return got
	}
	sameBlocks := func(got []byte) (same []bool) {
		for i := range blocks {
			same = append(same, bytes.Equal(got[16*i:16*i+16], plain[16*i:16*i+16]))
		}
		return same
	}

	wrong := k
	wrong.Key[0] ^= 1
	for i, s := range sameBlocks(decrypt(wrong, ct)) {
		if s {
			t.Errorf("wrong key: block %d decrypted correctly", i)
		}
	}

	wrong = k
	wrong.IV[20] ^= 1 // x_-1
	for i, s := range sameBlocks(decrypt(wrong, ct)) {
		if s {
			t.Errorf("wrong x_-1: block %d decrypted correctly", i)
		}
	}

	wrong = k
	wrong.IV[3] ^= 0x80 // y_-1
	got := decrypt(wrong, ct)
	shifted := append([]byte(nil), plain[:16]...)
	shifted[3] ^= 0x80
	if !bytes.Equal(got[:16], shifted) {
		t.Error("wrong y_-1: block 0 is not shifted by exactly the difference")
	}
	for i, s := range sameBlocks(got)[1:] {
		if s {
			t.Errorf("wrong y_-1: block %d decrypted correctly", i+1)
		}
	}

	for _, j := range []int{0, 1, 30, blocks - 2, blocks - 1} {
		bad := append([]byte(nil), ct...)
		bad[16*j+5] ^= 1
		for i, s := range sameBlocks(decrypt(k, bad)) {
			if s != (i < j) {
				t.Errorf("block %d damaged: block %d intact = %v, want %v", j, i, s, i < j)
			}
		}
	}

	// A file cut by whole blocks, declared at its cut size, decrypts to a
	// correct prefix: only the declared size tells.
	if got := decrypt(k, ct[:32*16]); !bytes.Equal(got, plain[:32*16]) {
		t.Error("a cut file does not decrypt to the prefix")
	}
	if _, err := io.ReadAll(mustReader(t, k, ct[:32*16], int64(len(plain)))); !errors.Is(err, filecrypt.ErrTruncated) {
		t.Errorf("cut file at the full declared size: %v, want ErrTruncated", err)
	}

	// The fingerprint catches a key that does not belong to the file.
	if wrong.Fingerprint() == k.Fingerprint() {
		t.Error("fingerprints of different keys agree")
	}
}

func mustReader(t *testing.T, k filecrypt.Key, ct []byte, size int64) *filecrypt.Reader {
	t.Helper()
	r, err := filecrypt.NewReader(bytes.NewReader(ct), &k, size)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// badReader claims to have read more than it was asked for.
type badReader struct{ n int }

func (r badReader) Read(p []byte) (int, error) { return len(p) + r.n, nil }

func TestReaderBadCount(t *testing.T) {
	k := testKey(t, 1)
	for _, extra := range []int{1, -1 << 20} {
		r, _ := filecrypt.NewReader(badReader{extra}, &k, 1000)
		for _, size := range []int{100, 5} { // direct path, buffered path
			testutil.MustPanic(t, fmt.Sprintf("Read(%d) over a reader returning len+%d", size, extra), func() {
				r.Read(make([]byte, size))
			})
		}
	}
}
