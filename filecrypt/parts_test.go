package filecrypt_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/secretbench/secretbench/filecrypt"
	"github.com/secretbench/secretbench/internal/testutil"
)

const kib = 1 << 10

func TestPartSize(t *testing.T) {
	cases := []struct {
		size int64
		want int
		err  error
	}{
		{-1, 0, filecrypt.ErrSize},
		{0, 64 * kib, nil},
		{1, 64 * kib, nil},
		{4000 * 64 * kib, 64 * kib, nil},
		{4000*64*kib + 1, 128 * kib, nil},
		{4000 * 128 * kib, 128 * kib, nil},
		{4000*128*kib + 1, 256 * kib, nil},
		{4000 * 256 * kib, 256 * kib, nil},
		{4000*256*kib + 1, 512 * kib, nil},
		{4000 * 512 * kib, 512 * kib, nil},
		{filecrypt.MaxSize, 512 * kib, nil},
		{filecrypt.MaxSize + 1, 0, filecrypt.ErrTooLarge},
		{1 << 62, 0, filecrypt.ErrTooLarge},
	}
	for _, c := range cases {
		got, err := filecrypt.PartSize(c.size)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("PartSize(%d) = %d, %v; want %d, %v", c.size, got, err, c.want, c.err)
		}
	}
	// The rule as stated, against every size near a power of two.
	for e := 0; e < 32; e++ {
		for _, size := range []int64{1<<e - 1, 1 << e, 1<<e + 1} {
			ps, err := filecrypt.PartSize(size)
			if err != nil {
				continue
			}
			for smaller := ps / 2; smaller >= 64*kib; smaller /= 2 {
				if (size+int64(smaller)-1)/int64(smaller) <= 4000 {
					t.Errorf("PartSize(%d) = %d, but %d fits in 4000 parts", size, ps, smaller)
				}
			}
			if (size+int64(ps)-1)/int64(ps) > 4000 {
				t.Errorf("PartSize(%d) = %d needs more than 4000 parts", size, ps)
			}
		}
	}
}

// TestUploadLayout checks part counts and lengths up to the largest file,
// without encrypting anything.
func TestUploadLayout(t *testing.T) {
	k := testKey(t, 1)
	for _, size := range []int64{1, 15, 16, 17, 64*kib - 1, 64 * kib, 64*kib + 1,
		4000*64*kib + 1, 4000*256*kib - 3, filecrypt.MaxSize} {
		u, err := filecrypt.NewUpload(&k, size, detRand(1))
		if err != nil {
			t.Fatal(err)
		}
		ps, _ := filecrypt.PartSize(size)
		parts := int((size + int64(ps) - 1) / int64(ps))
		if u.PartSize() != ps || u.Parts() != parts || u.Size() != size || u.NextPart() != 0 {
			t.Errorf("size %d: PartSize %d Parts %d Size %d; want %d %d %d", size, u.PartSize(), u.Parts(), u.Size(), ps, parts, size)
		}
		var plain, cipher int64
		for i := range u.Parts() {
			plain += int64(u.PlainLen(i))
			cipher += int64(u.PartLen(i))
			if i < u.Parts()-1 && (u.PlainLen(i) != ps || u.PartLen(i) != ps) {
				t.Errorf("size %d part %d: lengths %d/%d, want %d", size, i, u.PlainLen(i), u.PartLen(i), ps)
			}
		}
		if plain != size || cipher != (size+15)&^15 {
			t.Errorf("size %d: parts add up to %d plaintext, %d ciphertext bytes", size, plain, cipher)
		}
	}
	u, _ := filecrypt.NewUpload(&k, 0, nil)
	if u.Parts() != 0 {
		t.Errorf("empty file: %d parts, want 0", u.Parts())
	}
	if _, err := u.Next(make([]byte, 16), bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("empty file: Next = %v, want io.EOF", err)
	}
	for _, i := range []int{-1, u.Parts()} {
		testutil.MustPanic(t, fmt.Sprintf("PlainLen(%d)", i), func() { u.PlainLen(i) })
		testutil.MustPanic(t, fmt.Sprintf("PartLen(%d)", i), func() { u.PartLen(i) })
	}
}

// uploadAll encrypts a file with Next, part by part, and returns the parts.
func uploadAll(t testing.TB, u *filecrypt.Upload, plain []byte) [][]byte {
	t.Helper()
	src := &chunkReader{r: bytes.NewReader(plain), rng: rand.New(rand.NewPCG(uint64(len(plain)), 9))}
	var parts [][]byte
	buf := make([]byte, u.PartSize())
	for {
		p, err := u.Next(buf, src)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Index != len(parts) || len(p.Data) != u.PartLen(p.Index) {
			t.Fatalf("part %d: index %d, %d bytes", len(parts), p.Index, len(p.Data))
		}
		parts = append(parts, append([]byte(nil), p.Data...))
	}
	if len(parts) != u.Parts() || u.NextPart() != u.Parts() {
		t.Fatalf("%d parts, want %d", len(parts), u.Parts())
	}
	return parts
}

// TestUploadDownload: the parts of an upload are the Writer's stream cut at
// part boundaries, any part re-encrypted alone equals the original, and
// downloads in several part sizes (and resumed from saved state) give the
// plaintext back.
func TestUploadDownload(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := append(roundTripSizes(), 5*64*kib-1, 5*64*kib+1)
	sizes = append(sizes, randomSizes(rng)...)
	for i, n := range sizes {
		t.Run(fmt.Sprintf("size=%d", n), func(t *testing.T) {
			seed := uint64(100 + i)
			k := testKey(t, seed)
			plain := randBytes(seed+1000, n)
			// Same padding source as the Writer: the same ciphertext.
			want := reference(t, &k, plain, randBytes(seed+2000, padLen(n)))
			u, err := filecrypt.NewUpload(&k, int64(n), detRand(seed+2000))
			if err != nil {
				t.Fatal(err)
			}
			parts := uploadAll(t, u, plain)
			if got := bytes.Join(parts, nil); !bytes.Equal(got, want) {
				t.Fatal("upload parts differ from one-shot IGE over the padded file")
			}

			// Re-encrypt parts alone: first, last, and a few in between, out of
			// place and in place.
			ps := u.PartSize()
			check := []int{0, len(parts) - 1, len(parts) / 2}
			for range 3 {
				check = append(check, rng.IntN(len(parts)+1))
			}
			for _, j := range check {
				if j < 0 || j >= len(parts) {
					continue
				}
				p := plain[j*ps : min((j+1)*ps, n)]
				dst := make([]byte, u.PartLen(j))
				got, err := u.Reencrypt(j, dst, p)
				if err != nil || got.Index != j || !bytes.Equal(got.Data, parts[j]) {
					t.Fatalf("Reencrypt(%d): %v, equal %v", j, err, bytes.Equal(got.Data, parts[j]))
				}
				inPlace := make([]byte, u.PartLen(j))
				copy(inPlace, p)
				if got, err := u.Reencrypt(j, inPlace, inPlace[:len(p)]); err != nil || !bytes.Equal(got.Data, parts[j]) {
					t.Fatalf("Reencrypt(%d) in place: %v", j, err)
				}
			}

			// Download in the upload's part size, in a smaller and a larger one.
			for _, dps := range []int{0, 16 * kib, 1 << 20, 48} {
				if dps == 48 && n > 1<<20 {
					continue // tiny parts are for the small files
				}
				d, err := filecrypt.NewDownload(&k, int64(n), dps)
				if err != nil {
					t.Fatal(err)
				}
				got := downloadAll(t, d, want, rng)
				if !bytes.Equal(got, plain) {
					t.Fatalf("download in %d-byte parts: plaintext differs", d.PartSize())
				}
			}
		})
	}
}

// downloadAll decrypts ct part by part, in place, saving and restoring the
// state into a fresh Download at random points as a resumed download would.
func downloadAll(t testing.TB, d *filecrypt.Download, ct []byte, rng *rand.Rand) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, d.PartSize())
	for !d.Done() {
		if rng.IntN(4) == 0 {
			st, err := d.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			d = new(filecrypt.Download)
			if err := d.UnmarshalBinary(st); err != nil {
				t.Fatal(err)
			}
		}
		i, off := d.NextPart(), d.Offset()
		if off != int64(i)*int64(d.PartSize()) {
			t.Fatalf("Offset %d for part %d of %d bytes", off, i, d.PartSize())
		}
		part := buf[:d.PartLen(i)]
		copy(part, ct[off:])
		p, err := d.Decrypt(i, part, part)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p...)
	}
	if d.Offset() != int64(len(ct)) || d.NextPart() != d.Parts() {
		t.Fatalf("done at offset %d, part %d; want %d, %d", d.Offset(), d.NextPart(), len(ct), d.Parts())
	}
	return out
}

func TestUploadErrors(t *testing.T) {
	k := testKey(t, 1)
	boom := errors.New("read error")
	const n = 3*64*kib + 5
	plain := randBytes(2, n)

	if _, err := filecrypt.NewUpload(&k, -1, nil); !errors.Is(err, filecrypt.ErrSize) {
		t.Errorf("NewUpload(-1) = %v, want ErrSize", err)
	}
	if _, err := filecrypt.NewUpload(&k, filecrypt.MaxSize+1, nil); !errors.Is(err, filecrypt.ErrTooLarge) {
		t.Errorf("NewUpload(MaxSize+1) = %v, want ErrTooLarge", err)
	}
	if _, err := filecrypt.NewUpload(&k, n, iotest.ErrReader(boom)); err != boom {
		t.Errorf("NewUpload with failing rand = %v, want %v unchanged", err, boom)
	}

	u, _ := filecrypt.NewUpload(&k, n, detRand(3))
	buf := make([]byte, u.PartSize())
	if _, err := u.Next(buf[:u.PartSize()-1], bytes.NewReader(plain)); err != io.ErrShortBuffer {
		t.Errorf("Next with a short buffer = %v, want io.ErrShortBuffer", err)
	}
	if _, err := u.Next(buf, iotest.ErrReader(boom)); err != boom {
		t.Errorf("Next over a failing source = %v, want %v unchanged", err, boom)
	}
	if _, err := u.Next(buf, bytes.NewReader(plain[:100])); !errors.Is(err, filecrypt.ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Next over a short source = %v, want ErrTruncated", err)
	}
	if _, err := u.Next(buf, bytes.NewReader(nil)); !errors.Is(err, filecrypt.ErrTruncated) {
		t.Errorf("Next over an empty source = %v, want ErrTruncated", err)
	}
	if _, err := u.Reencrypt(1, buf, plain[64*kib:128*kib]); !errors.Is(err, filecrypt.ErrPartOrder) {
		t.Errorf("Reencrypt of a part not reached = %v, want ErrPartOrder", err)
	}
	if _, err := u.Reencrypt(-1, buf, plain[:64*kib]); !errors.Is(err, filecrypt.ErrPartOrder) {
		t.Errorf("Reencrypt(-1) = %v, want ErrPartOrder", err)
	}
	if u.NextPart() != 0 {
		t.Fatal("an error moved the upload")
	}
	// Reencrypt of the next part does not advance.
	if _, err := u.Reencrypt(0, buf, plain[:64*kib]); err != nil || u.NextPart() != 0 {
		t.Fatalf("Reencrypt(NextPart) = %v, NextPart %d", err, u.NextPart())
	}
	// After the errors, the upload goes on where it was: the same parts as
	// an upload that saw no error.
	fresh, _ := filecrypt.NewUpload(&k, n, detRand(3))
	want := uploadAll(t, fresh, plain)
	src := bytes.NewReader(plain)
	for i := range u.Parts() {
		if _, err := u.Encrypt(buf, plain[:10]); !errors.Is(err, filecrypt.ErrPartSize) {
			t.Errorf("Encrypt with a wrong plaintext length = %v, want ErrPartSize", err)
		}
		p, err := u.Next(buf, src)
		if err != nil || !bytes.Equal(p.Data, want[i]) {
			t.Fatalf("part %d after errors: %v", i, err)
		}
	}
	if _, err := u.Next(buf, src); err != io.EOF {
		t.Errorf("Next after the last part = %v, want io.EOF", err)
	}
	if _, err := u.Encrypt(buf, nil); err != io.EOF {
		t.Errorf("Encrypt after the last part = %v, want io.EOF", err)
	}
	if _, err := u.Reencrypt(u.Parts(), buf, nil); !errors.Is(err, filecrypt.ErrPartOrder) {
		t.Errorf("Reencrypt(Parts) = %v, want ErrPartOrder", err)
	}
	last := u.Parts() - 1
	if _, err := u.Reencrypt(last, buf[:u.PartLen(last)-1], plain[last*u.PartSize():]); err != io.ErrShortBuffer {
		t.Errorf("Reencrypt with a short buffer = %v, want io.ErrShortBuffer", err)
	}
	if _, err := u.Reencrypt(last, buf, plain[last*u.PartSize()+1:]); !errors.Is(err, filecrypt.ErrPartSize) {
		t.Errorf("Reencrypt with a wrong plaintext length = %v, want ErrPartSize", err)
	}
}

func TestDownloadErrors(t *testing.T) {
	k := testKey(t, 1)
	const n = 3*64*kib + 5
	plain := randBytes(2, n)
	u, _ := filecrypt.NewUpload(&k, n, detRand(3))
	parts := uploadAll(t, u, plain)

	for _, c := range []struct {
		size int64
		ps   int
		err  error
	}{
		{-1, 0, filecrypt.ErrSize},
		{n, -16, filecrypt.ErrSize},
		{n, 100, filecrypt.ErrSize},
		{n, 2 << 30, filecrypt.ErrSize},
		{1 << 40, 16, filecrypt.ErrSize}, // 2^36 parts
		{1<<63 - 1, 1 << 20, filecrypt.ErrSize},
		{filecrypt.MaxSize + 1, 0, filecrypt.ErrTooLarge},
	} {
		if _, err := filecrypt.NewDownload(&k, c.size, c.ps); !errors.Is(err, c.err) {
			t.Errorf("NewDownload(%d, %d) = %v, want %v", c.size, c.ps, err, c.err)
		}
	}
	// A big file in big parts is fine, also past the upload rule.
	if d, err := filecrypt.NewDownload(&k, 4<<30, 1<<20); err != nil || d.Parts() != 4096 {
		t.Errorf("NewDownload(4 GiB, 1 MiB) = %v", err)
	}

	d, _ := filecrypt.NewDownload(&k, n, 0)
	dst := make([]byte, d.PartSize())
	if _, err := d.Decrypt(1, dst, parts[1]); !errors.Is(err, filecrypt.ErrPartOrder) {
		t.Errorf("Decrypt(1) first = %v, want ErrPartOrder", err)
	}
	if _, err := d.Decrypt(0, dst, parts[0][:len(parts[0])-16]); !errors.Is(err, filecrypt.ErrPartSize) {
		t.Errorf("Decrypt of a short part = %v, want ErrPartSize", err)
	}
	if _, err := d.Decrypt(0, dst, append(parts[0], 0)); !errors.Is(err, filecrypt.ErrPartSize) {
		t.Errorf("Decrypt of a long part = %v, want ErrPartSize", err)
	}
	if _, err := d.Decrypt(0, dst[:10], parts[0]); err != io.ErrShortBuffer {
		t.Errorf("Decrypt into a short buffer = %v, want io.ErrShortBuffer", err)
	}
	var got []byte
	for i, p := range parts {
		if d.NextPart() != i {
			t.Fatal("an error moved the download")
		}
		if i > 0 {
			if _, err := d.Decrypt(i-1, dst, parts[i-1]); !errors.Is(err, filecrypt.ErrPartOrder) {
				t.Errorf("Decrypt of the previous part again = %v, want ErrPartOrder", err)
			}
		}
		out, err := d.Decrypt(i, dst, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out...)
	}
	if !bytes.Equal(got, plain) {
		t.Error("plaintext differs after the errors")
	}
	if _, err := d.Decrypt(len(parts), dst, parts[0]); !errors.Is(err, filecrypt.ErrPartOrder) {
		t.Errorf("Decrypt past the end = %v, want ErrPartOrder", err)
	}
	testutil.MustPanic(t, "PartLen(Parts)", func() { d.PartLen(d.Parts()) })
}

// restamp recomputes the CRC of a state after it was edited, so the checks
// behind it are reached.
func restamp(st []byte) []byte {
	binary.BigEndian.PutUint32(st[len(st)-4:], crc32.ChecksumIEEE(st[:len(st)-4]))
	return st
}

func TestDownloadState(t *testing.T) {
	k := testKey(t, 1)
	const n = 1000
	d, _ := filecrypt.NewDownload(&k, n, 256)
	ct := reference(t, &k, randBytes(2, n), randBytes(3, padLen(n)))
	if _, err := d.Decrypt(0, make([]byte, 256), ct[:256]); err != nil {
		t.Fatal(err)
	}
	st, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 96 {
		t.Errorf("state is %d bytes, want 96", len(st))
	}
	app, _ := d.AppendBinary([]byte("prefix"))
	if !bytes.Equal(app[6:], st) || string(app[:6]) != "prefix" {
		t.Error("AppendBinary differs from MarshalBinary")
	}

	// Every corruption is ErrState and leaves the target unchanged.
	target, _ := filecrypt.NewDownload(&k, 5, 16)
	before, _ := target.MarshalBinary()
	reject := func(what string, b []byte) {
		t.Helper()
		if err := target.UnmarshalBinary(b); !errors.Is(err, filecrypt.ErrState) {
			t.Errorf("%s: UnmarshalBinary = %v, want ErrState", what, err)
		}
		if after, _ := target.MarshalBinary(); !bytes.Equal(after, before) {
			t.Errorf("%s: a rejected state changed the Download", what)
		}
	}
	for i := range st {
		for _, bit := range []byte{1, 0x80} {
			b := bytes.Clone(st)
			b[i] ^= bit
			reject(fmt.Sprintf("bit %#x of byte %d flipped", bit, i), b)
		}
	}
	for _, l := range []int{0, 1, 4, 95, 97} {
		b := make([]byte, l)
		copy(b, st)
		reject(fmt.Sprintf("length %d", l), b)
	}
	reject("nil", nil)
	// Consistent CRC, inconsistent fields. Offsets: magic 0, key 4, iv 36,
	// size 68, part size 76, next part 80, bytes done 84, crc 92.
	edits := map[string]func(b []byte){
		"magic":          func(b []byte) { b[3] = 2 },
		"negative size":  func(b []byte) { binary.BigEndian.PutUint64(b[68:], 1<<63) },
		"huge size":      func(b []byte) { binary.BigEndian.PutUint64(b[68:], 1<<62+1) },
		"part size 0":    func(b []byte) { binary.BigEndian.PutUint32(b[76:], 0) },
		"part size 100":  func(b []byte) { binary.BigEndian.PutUint32(b[76:], 100) },
		"part size 2GiB": func(b []byte) { binary.BigEndian.PutUint32(b[76:], 1<<31) },
		"too many parts": func(b []byte) { binary.BigEndian.PutUint64(b[68:], 1<<40); binary.BigEndian.PutUint32(b[76:], 16) },
		"next past end":  func(b []byte) { binary.BigEndian.PutUint32(b[80:], 5); binary.BigEndian.PutUint64(b[84:], 1008) },
		"done mismatch":  func(b []byte) { binary.BigEndian.PutUint64(b[84:], 256) },
		"done negative":  func(b []byte) { binary.BigEndian.PutUint64(b[84:], 1<<63) },
	}
	for what, edit := range edits {
		b := bytes.Clone(st)
		// Start from part 0 so that only the edited field is wrong.
		binary.BigEndian.PutUint32(b[80:], 0)
		binary.BigEndian.PutUint64(b[84:], 0)
		edit(b)
		reject(what, restamp(b))
	}
	// Valid edits pass: the checks are not rejecting everything.
	b := bytes.Clone(st)
	binary.BigEndian.PutUint32(b[80:], 0)
	binary.BigEndian.PutUint64(b[84:], 0)
	if err := new(filecrypt.Download).UnmarshalBinary(restamp(b)); err != nil {
		t.Errorf("state rewound to part 0: %v", err)
	}
	binary.BigEndian.PutUint32(b[80:], 4)
	binary.BigEndian.PutUint64(b[84:], 1008)
	var done filecrypt.Download
	if err := done.UnmarshalBinary(restamp(b)); err != nil || !done.Done() || done.Offset() != 1008 {
		t.Errorf("state at the end: %v, Done %v, Offset %d", err, done.Done(), done.Offset())
	}

	// The restored download goes on exactly where the saved one was.
	var resumed filecrypt.Download
	if err := resumed.UnmarshalBinary(st); err != nil {
		t.Fatal(err)
	}
	if resumed.Size() != n || resumed.PartSize() != 256 || resumed.NextPart() != 1 || resumed.Offset() != 256 || resumed.Parts() != 4 {
		t.Errorf("restored: size %d part size %d next %d offset %d parts %d", resumed.Size(), resumed.PartSize(), resumed.NextPart(), resumed.Offset(), resumed.Parts())
	}
	for i := 1; i < 4; i++ {
		p := ct[256*i : min(256*(i+1), len(ct))]
		a, err1 := d.Decrypt(i, make([]byte, 256), p)
		b, err2 := resumed.Decrypt(i, make([]byte, 256), p)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatalf("part %d: original and resumed differ (%v, %v)", i, err1, err2)
		}
	}
}
