package filecrypt

import (
	"io"

	"github.com/secretbench/secretbench/ige"
)

// bufSize is the fixed buffer of a Writer or Reader: large enough that a
// write to the underlying stream costs little per byte, small enough to stay
// in L1/L2 cache next to the data.
const bufSize = 32 << 10

// maxEmptyReads bounds how often an underlying reader may return (0, nil) in
// a row before Read gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// Writer encrypts a file as one IGE stream into an underlying io.Writer. It
// holds one fixed buffer and allocates nothing per Write. Close pads the end
// to a whole block with random bytes and writes it; it does not close the
// underlying writer. A Writer is not safe for concurrent use.
type Writer struct {
	dst  io.Writer
	rand io.Reader
	c    ige.Cipher
	st   [IVSize]byte
	n    int // plaintext bytes waiting in buf[:n]
	size int64
	err  error // sticky: the first error of dst or rand
	done bool  // Close has run
	buf  [bufSize]byte
}

// NewWriter returns a Writer that encrypts under k into dst. The padding
// comes from rand, or from crypto/rand if rand is nil.
func NewWriter(dst io.Writer, k *Key, rand io.Reader) *Writer {
	w := &Writer{dst: dst, rand: randOrDefault(rand), st: k.IV}
	mustKey(&w.c, &k.Key)
	return w
}

// Write encrypts p. Whole blocks are encrypted and written as soon as the
// buffer fills (or at once, for a write of a block or more into an empty
// buffer); a tail shorter than a block waits for the next Write or Close.
// An error of the underlying writer is returned unchanged and breaks the
// stream: every later Write and Close returns it again. A short write
// without an error is io.ErrShortWrite.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	total := 0
	for len(p) > 0 {
		if w.n == 0 && len(p) >= BlockSize {
			// Encrypt straight from p into the buffer: one pass, no copy.
			k := min(len(p), bufSize) &^ (BlockSize - 1)
			encryptChain(&w.c, &w.st, w.buf[:k], p[:k])
			w.size += int64(k)
			if err := w.emit(w.buf[:k]); err != nil {
				return total, err
			}
			total += k
			p = p[k:]
			continue
		}
		k := copy(w.buf[w.n:], p)
		w.n += k
		w.size += int64(k)
		total += k
		p = p[k:]
		if w.n == bufSize {
			encryptChain(&w.c, &w.st, w.buf[:], w.buf[:])
			w.n = 0
			if err := w.emit(w.buf[:]); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

func (w *Writer) emit(b []byte) error {
	n, err := w.dst.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = err
	}
	return err
}

// Size is the number of plaintext bytes written so far: the size to
// declare in the message once the Writer is closed.
func (w *Writer) Size() int64 { return w.size }

// Close pads the last block with random bytes, encrypts and writes it. It
// returns the stream's first error, if any; calling it again returns the
// same result. Close erases the key and the buffer.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	defer w.wipe()
	if w.err != nil {
		return w.err
	}
	pad := (BlockSize - w.n%BlockSize) % BlockSize
	if _, err := io.ReadFull(w.rand, w.buf[w.n:w.n+pad]); err != nil {
		w.err = err
		return err
	}
	end := w.n + pad
	encryptChain(&w.c, &w.st, w.buf[:end], w.buf[:end])
	w.n = 0
	return w.emit(w.buf[:end])
}

func (w *Writer) wipe() {
	w.c = ige.Cipher{}
	clear(w.st[:])
	clear(w.buf[:])
}

// Reader decrypts a file from an underlying io.Reader that yields its
// ciphertext, and returns exactly the declared plaintext size, without the
// padding. It holds one fixed buffer and allocates nothing per Read.
//
// The ciphertext must be exactly the declared size rounded up to a whole
// block. Read returns ErrTruncated (which also matches io.ErrUnexpectedEOF)
// if it ends earlier, after the plaintext of every whole block received; and
// ErrTrailingData instead of io.EOF if more follows. That last check reads
// past the padded size, so it runs only when the caller reads to the end
// (as io.Copy and io.ReadAll do). Errors of the underlying reader other than
// io.EOF are returned unchanged; every error is sticky. A Reader is not safe
// for concurrent use.
type Reader struct {
	src        io.Reader
	c          ige.Cipher
	st         [IVSize]byte
	remain     int64 // ciphertext bytes still to read from src
	plainLeft  int64 // plaintext bytes not yet decrypted, so padding can be cut
	off, plain int   // buf[off:plain] is decrypted plaintext for the caller
	ctEnd      int   // buf[plain:ctEnd] is ciphertext read but not decrypted
	empty      int   // consecutive (0, nil) reads of src
	err        error
	closed     bool
	buf        [bufSize]byte
}

// NewReader returns a Reader that decrypts a file of size plaintext bytes
// under k from src. A negative size is ErrSize.
func NewReader(src io.Reader, k *Key, size int64) (*Reader, error) {
	if size < 0 {
		return nil, ErrSize
	}
	r := &Reader{src: src, st: k.IV, remain: paddedSize(size), plainLeft: size}
	mustKey(&r.c, &k.Key)
	return r, nil
}

// Read decrypts into p. It returns io.EOF after exactly the declared size
// and a check that the ciphertext ends there.
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	for {
		if r.off < r.plain {
			n := copy(p, r.buf[r.off:r.plain])
			r.off += n
			return n, nil
		}
		if r.err != nil {
			return 0, r.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if r.plainLeft == 0 {
			r.err = r.checkEnd()
			continue
		}
		if r.ctEnd == r.plain && len(p) >= BlockSize && r.plainLeft >= BlockSize {
			if n := r.readDirect(p); n > 0 {
				return n, nil
			}
			continue
		}
		r.fill()
	}
}

// readDirect reads ciphertext straight into p and decrypts it there, for
// whole blocks that lie entirely before the declared size. A partial block
// at the end of what src returned moves to the buffer.
func (r *Reader) readDirect(p []byte) int {
	want := min(int64(len(p)), r.plainLeft) &^ (BlockSize - 1)
	k, err := r.src.Read(p[:want])
	checkCount(k, int(want))
	whole := k &^ (BlockSize - 1)
	decryptChain(&r.c, &r.st, p[:whole], p[:whole])
	r.remain -= int64(k)
	r.plainLeft -= int64(whole)
	r.off, r.plain = 0, 0
	r.ctEnd = copy(r.buf[:], p[whole:k])
	r.noteReadErr(err, k)
	return whole
}

// fill reads until at least one whole block is buffered (or the input ends)
// and decrypts every whole block in the buffer.
func (r *Reader) fill() {
	// Move the pending partial block to the front.
	r.ctEnd = copy(r.buf[:], r.buf[r.plain:r.ctEnd])
	r.off, r.plain = 0, 0
	for r.ctEnd < BlockSize && r.remain > 0 && r.err == nil {
		want := min(int64(bufSize-r.ctEnd), r.remain)
		k, err := r.src.Read(r.buf[r.ctEnd : r.ctEnd+int(want)])
		checkCount(k, int(want))
		r.ctEnd += k
		r.remain -= int64(k)
		r.noteReadErr(err, k)
	}
	whole := r.ctEnd &^ (BlockSize - 1)
	decryptChain(&r.c, &r.st, r.buf[:whole], r.buf[:whole])
	r.plain = int(min(int64(whole), r.plainLeft))
	r.plainLeft -= int64(r.plain)
	if r.plainLeft == 0 {
		r.ctEnd = r.plain // the rest of the last block is padding
	}
}

// checkCount rejects a count outside 0..n from a Read of n bytes, which
// would otherwise slice out of bounds (bufio panics likewise).
func checkCount(k, n int) {
	if k < 0 || k > n {
		panic("filecrypt: underlying reader returned an invalid count")
	}
}

// noteReadErr records an error of src. io.EOF before the padded size is
// ErrTruncated; a run of empty reads is io.ErrNoProgress.
func (r *Reader) noteReadErr(err error, k int) {
	switch {
	case err == io.EOF && r.remain > 0:
		r.err = ErrTruncated
		r.ctEnd &^= BlockSize - 1 // a partial block cannot be decrypted
	case err == io.EOF:
		// Ended exactly at the padded size; checkEnd sees EOF again.
	case err != nil:
		r.err = err
	case k == 0:
		r.empty++
		if r.empty >= maxEmptyReads {
			r.err = io.ErrNoProgress
		}
		return
	}
	r.empty = 0
}

// checkEnd confirms that src has nothing past the padded size.
func (r *Reader) checkEnd() error {
	for range maxEmptyReads {
		k, err := r.src.Read(r.buf[:BlockSize])
		if k > 0 {
			return ErrTrailingData
		}
		if err != nil {
			return err // io.EOF: the normal end
		}
	}
	return io.ErrNoProgress
}

// Close erases the key and the buffer; later Reads return ErrClosed. It does
// not close the underlying reader and always returns nil.
func (r *Reader) Close() error {
	r.closed = true
	r.c = ige.Cipher{}
	clear(r.st[:])
	clear(r.buf[:])
	r.off, r.plain, r.ctEnd = 0, 0, 0
	return nil
}
