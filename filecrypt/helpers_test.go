package filecrypt_test

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	gotd "github.com/gotd/ige"

	"github.com/secretbench/secretbench/filecrypt"
	"github.com/secretbench/secretbench/internal/raceflag"
)

// long is set in CI: many seeds, sizes up to 64 MiB, 1 GiB through memory.
var long = os.Getenv("SECRETBENCH_LONG") == "1"

// slow is true where crypto runs ten or more times slower than natively: the
// race detector and arm64 (which in this project's CI is qemu emulation).
var slow = raceflag.Enabled || runtime.GOARCH == "arm64"

// detRand is a deterministic stand-in for crypto/rand. ChaCha8 yields the
// same byte stream however its reads are cut.
func detRand(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

func testKey(t testing.TB, seed uint64) filecrypt.Key {
	t.Helper()
	k, err := filecrypt.NewKey(detRand(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func randBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	detRand(seed).Read(b)
	return b
}

func padLen(n int) int { return (16 - n%16) % 16 }

// reference encrypts plain || pad in one call of github.com/gotd/ige over
// crypto/aes: an implementation independent of package ige.
func reference(t testing.TB, k *filecrypt.Key, plain, pad []byte) []byte {
	t.Helper()
	blk, err := aes.NewCipher(k.Key[:])
	if err != nil {
		t.Fatal(err)
	}
	padded := append(append([]byte(nil), plain...), pad...)
	if len(padded)%16 != 0 {
		t.Fatalf("reference: padded length %d", len(padded))
	}
	out := make([]byte, len(padded))
	gotd.EncryptBlocks(blk, k.IV[:], out, padded)
	return out
}

// chunkLen draws a chunk length that covers both the buffered path (short
// and odd) and the direct path (many blocks) of Writer and Reader.
func chunkLen(rng *rand.Rand) int {
	switch rng.IntN(4) {
	case 0:
		return rng.IntN(20)
	case 1:
		return rng.IntN(300)
	case 2:
		return 16 * (1 + rng.IntN(2048))
	default:
		return rng.IntN(100 << 10)
	}
}

// encryptChunked writes plain into a Writer in random chunks, including
// empty ones.
func encryptChunked(t testing.TB, k *filecrypt.Key, plain []byte, padSeed uint64, rng *rand.Rand) []byte {
	t.Helper()
	var out bytes.Buffer
	w := filecrypt.NewWriter(&out, k, detRand(padSeed))
	for p := plain; ; {
		c := min(chunkLen(rng), len(p)) // sometimes 0
		n, err := w.Write(p[:c])
		if err != nil || n != c {
			t.Fatalf("Write(%d) = %d, %v", c, n, err)
		}
		p = p[c:]
		if len(p) == 0 {
			break
		}
	}
	if w.Size() != int64(len(plain)) {
		t.Fatalf("Size() = %d, want %d", w.Size(), len(plain))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// decryptChunked reads a Reader over a source that returns random short
// reads, into random-sized buffers, until an error; it returns what was read
// and the error (nil at io.EOF).
func decryptChunked(t testing.TB, k *filecrypt.Key, ct []byte, size int64, rng *rand.Rand) ([]byte, error) {
	t.Helper()
	r, err := filecrypt.NewReader(&chunkReader{r: bytes.NewReader(ct), rng: rng}, k, size)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	buf := make([]byte, 200<<10)
	for {
		c := chunkLen(rng)
		n, err := r.Read(buf[:c])
		if n < 0 || n > c {
			t.Fatalf("Read(%d) = %d", c, n)
		}
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// chunkReader returns random short reads of r, now and then (0, nil), and
// sometimes its last bytes together with io.EOF.
type chunkReader struct {
	r   *bytes.Reader
	rng *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.rng.IntN(16) == 0 {
		return 0, nil
	}
	n, err := c.r.Read(p[:min(len(p), chunkLen(c.rng))])
	if err == nil && c.r.Len() == 0 && c.rng.IntN(2) == 0 {
		err = io.EOF
	}
	return n, err
}

// errWriter fails with err after accepting limit bytes.
type errWriter struct {
	limit int
	n     int
	err   error
	short bool // report a short write without an error instead
}

func (w *errWriter) Write(p []byte) (int, error) {
	if w.n+len(p) <= w.limit {
		w.n += len(p)
		return len(p), nil
	}
	k := w.limit - w.n
	w.n = w.limit
	if w.short {
		return k, nil
	}
	return k, w.err
}

// repeatReader returns the same bytes forever; it serves ciphertext to
// benchmarks and allocation tests.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.data[r.off:])
		n += k
		r.off = (r.off + k) % len(r.data)
	}
	return n, nil
}
