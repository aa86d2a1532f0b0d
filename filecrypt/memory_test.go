package filecrypt_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/filecrypt"
)

// TestConstantMemory streams a file through a Writer, a pipe and a Reader
// and checks that the heap does not grow with the file: at most 2 MiB above
// the start, sampled throughout, and at most 2 MiB allocated in all. 1 GiB
// with SECRETBENCH_LONG=1; 64 MiB by default (slow with the generic AES);
// 8 MiB on arm64, where this project runs qemu.
func TestConstantMemory(t *testing.T) {
	size := int64(64 << 20)
	switch {
	case long:
		size = 1 << 30
	case runtime.GOARCH == "arm64":
		size = 8 << 20
	}
	const bound = 2 << 20
	k := testKey(t, 1)
	var seed [32]byte
	seed[0] = 42

	runtime.GC()
	var start, now runtime.MemStats
	runtime.ReadMemStats(&start)
	peak := start.HeapAlloc

	pr, pw := io.Pipe()
	go func() {
		src := rand.NewChaCha8(seed)
		w := filecrypt.NewWriter(pw, &k, nil)
		buf := make([]byte, 16<<10)
		for left := size; left > 0; {
			// Odd write sizes: the buffered path as well as the direct one.
			n := min(int64(len(buf)-int(left%7)), left)
			src.Read(buf[:n])
			if _, err := w.Write(buf[:n]); err != nil {
				pw.CloseWithError(err)
				return
			}
			left -= n
		}
		pw.CloseWithError(w.Close())
	}()

	r, err := filecrypt.NewReader(pr, &k, size)
	if err != nil {
		t.Fatal(err)
	}
	want := rand.NewChaCha8(seed)
	got, exp := make([]byte, 40<<10), make([]byte, 40<<10)
	var total int64
	for sample := int64(0); ; {
		n, err := r.Read(got[:len(got)-int(total%11)])
		want.Read(exp[:n])
		if !bytes.Equal(got[:n], exp[:n]) {
			t.Fatalf("plaintext differs at offset %d", total)
		}
		total += int64(n)
		if total >= sample {
			runtime.ReadMemStats(&now)
			peak = max(peak, now.HeapAlloc)
			sample += 8 << 20
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&now)
	peak = max(peak, now.HeapAlloc)
	if total != size {
		t.Fatalf("read %d bytes, want %d", total, size)
	}
	growth := int64(peak) - int64(start.HeapAlloc)
	allocated := now.TotalAlloc - start.TotalAlloc
	t.Logf("%d MiB streamed: heap growth %d KiB, allocated %d KiB", size>>20, growth>>10, allocated>>10)
	if growth > bound || allocated > bound {
		t.Errorf("heap grew by %d bytes and %d bytes were allocated for a %d-byte file; want both under %d",
			growth, allocated, size, bound)
	}
}
