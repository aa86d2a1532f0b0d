package filecrypt

import (
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/secretbench/secretbench/ige"
)

// The upload part-size rule (docs/PROTOCOL.md section 7).
const (
	MinPartSize = 64 << 10  // the first part size tried
	MaxPartSize = 512 << 10 // the last
	MaxParts    = 4000      // most parts a file may have
	// MaxSize is the largest file the rule admits: 4000 parts of 512 KiB.
	MaxSize = MaxParts * MaxPartSize
)

// PartSize is the upload part size for a file of size plaintext bytes: the
// smallest of 64, 128, 256 and 512 KiB with which the file needs at most
// MaxParts parts, that is ceil(size/partSize) <= 4000. Part sizes are whole
// blocks, so it does not matter whether size is counted before or after
// padding. A negative size is ErrSize; a size above MaxSize is ErrTooLarge.
func PartSize(size int64) (int, error) {
	if size < 0 {
		return 0, ErrSize
	}
	for ps := int64(MinPartSize); ps <= MaxPartSize; ps *= 2 {
		if (size+ps-1)/ps <= MaxParts {
			return int(ps), nil
		}
	}
	return 0, ErrTooLarge
}

// Part is one encrypted part of an upload.
type Part struct {
	Index int    // 0-based part number
	Data  []byte // the ciphertext, a prefix of the caller's buffer
}

// layout is a file cut into parts: size plaintext bytes, padded to whole
// blocks, in parts of partSize ciphertext bytes (the last may be shorter).
type layout struct {
	size     int64
	partSize int
	parts    int
}

// newLayout returns the layout, or false if it has more than
// maxDownloadParts parts.
func newLayout(size int64, partSize int) (layout, bool) {
	ps := int64(partSize)
	parts := (paddedSize(size) + ps - 1) / ps
	if parts > maxDownloadParts {
		return layout{}, false
	}
	return layout{size: size, partSize: partSize, parts: int(parts)}, true
}

// partLen is the ciphertext length of part i (padding included).
func (l *layout) partLen(i int) int {
	return int(min(int64(l.partSize), paddedSize(l.size)-int64(i)*int64(l.partSize)))
}

// plainLen is the plaintext length of part i (padding excluded).
func (l *layout) plainLen(i int) int {
	return int(min(int64(l.partSize), l.size-int64(i)*int64(l.partSize)))
}

// Upload encrypts a file part by part, in order, for upload. It keeps the
// 32-byte chaining state at the start of every part produced (at most
// 4001 x 32 bytes) and the random padding of the last part, so any part
// already reached can be encrypted again on its own, byte for byte the same,
// when its upload must be retried. A file of size 0 has no parts. Make one
// with NewUpload; an Upload is not safe for concurrent use.
type Upload struct {
	c       ige.Cipher
	l       layout
	states  [][IVSize]byte // states[i]: the chaining state before part i
	pad     [BlockSize]byte
	pending [BlockSize]byte // last plaintext block of a part in a batch
	inBatch bool
}

// NewUpload prepares the upload of a file of size plaintext bytes under k,
// cut into parts by PartSize. The padding of the last part is drawn now from
// rand (crypto/rand if nil); an error of rand is returned unchanged.
func NewUpload(k *Key, size int64, rand io.Reader) (*Upload, error) {
	ps, err := PartSize(size)
	if err != nil {
		return nil, err
	}
	l, _ := newLayout(size, ps) // at most MaxParts
	u := &Upload{l: l}
	padLen := int(paddedSize(size) - size)
	if _, err := io.ReadFull(randOrDefault(rand), u.pad[:padLen]); err != nil {
		return nil, err
	}
	mustKey(&u.c, &k.Key)
	u.states = make([][IVSize]byte, 1, u.l.parts+1)
	u.states[0] = k.IV
	return u, nil
}

// Size is the declared plaintext size.
func (u *Upload) Size() int64 { return u.l.size }

// PartSize is the ciphertext length of every part but the last.
func (u *Upload) PartSize() int { return u.l.partSize }

// Parts is the number of parts.
func (u *Upload) Parts() int { return u.l.parts }

// NextPart is the index of the part the next Encrypt or Next produces; it
// equals Parts when all are done.
func (u *Upload) NextPart() int { return len(u.states) - 1 }

// PartLen is the ciphertext length of part i (0 <= i < Parts), padding
// included: the room the part needs in dst.
func (u *Upload) PartLen(i int) int {
	u.checkIndex(i)
	return u.l.partLen(i)
}

// PlainLen is the plaintext length of part i (0 <= i < Parts).
func (u *Upload) PlainLen(i int) int {
	u.checkIndex(i)
	return u.l.plainLen(i)
}

func (u *Upload) checkIndex(i int) {
	if i < 0 || i >= u.l.parts {
		panic("filecrypt: part index out of range")
	}
}

// Next reads the plaintext of the next part from src into dst, encrypts it
// in place and returns it. dst must have room for PartLen(NextPart) bytes
// (io.ErrShortBuffer otherwise); PartSize bytes always suffice. After the
// last part Next returns io.EOF. If src ends early it returns ErrTruncated;
// other errors of src are returned unchanged. After an error the upload
// stays at the same part, so Next may be called again with src positioned
// at the part's start.
func (u *Upload) Next(dst []byte, src io.Reader) (Part, error) {
	i := u.NextPart()
	if i == u.l.parts {
		return Part{}, io.EOF
	}
	n := u.l.plainLen(i)
	if len(dst) < u.l.partLen(i) {
		return Part{}, io.ErrShortBuffer
	}
	if _, err := io.ReadFull(src, dst[:n]); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = ErrTruncated
		}
		return Part{}, err
	}
	return u.Encrypt(dst, dst[:n])
}

// Encrypt encrypts plain, the plaintext of part NextPart (exactly
// PlainLen(NextPart) bytes, else ErrPartSize), into dst, which must have
// room for PartLen(NextPart) bytes (io.ErrShortBuffer otherwise). dst and
// plain may be the same buffer; any other overlap panics. After the last
// part Encrypt returns io.EOF.
func (u *Upload) Encrypt(dst, plain []byte) (Part, error) {
	i := u.NextPart()
	if i == u.l.parts {
		return Part{}, io.EOF
	}
	src, err := u.prepare(i, dst, plain)
	if err != nil {
		return Part{}, err
	}
	st := u.states[i]
	encryptChain(&u.c, &st, dst[:len(src)], src)
	u.states = append(u.states, st)
	return Part{Index: i, Data: dst[:len(src)]}, nil
}

// Reencrypt encrypts part i again from its plaintext, for a retry; the
// result equals what Encrypt or Next returned for it. Any part up to
// NextPart may be given (part NextPart is encrypted without advancing the
// upload); a later one is ErrPartOrder. Lengths are checked as in Encrypt.
func (u *Upload) Reencrypt(i int, dst, plain []byte) (Part, error) {
	if i < 0 || i > u.NextPart() || i >= u.l.parts {
		return Part{}, ErrPartOrder
	}
	src, err := u.prepare(i, dst, plain)
	if err != nil {
		return Part{}, err
	}
	st := u.states[i]
	encryptChain(&u.c, &st, dst[:len(src)], src)
	return Part{Index: i, Data: dst[:len(src)]}, nil
}

// prepare checks the lengths for part i and returns the blocks to encrypt:
// plain itself, or for the last part plain and its padding copied into dst.
func (u *Upload) prepare(i int, dst, plain []byte) ([]byte, error) {
	n, m := u.l.plainLen(i), u.l.partLen(i)
	if len(plain) != n {
		return nil, ErrPartSize
	}
	if len(dst) < m {
		return nil, io.ErrShortBuffer
	}
	if n == m {
		return plain, nil
	}
	copy(dst, plain) // memmove: any overlap is fine here
	copy(dst[n:m], u.pad[:m-n])
	return dst[:m], nil
}

// Download decrypts a file part by part, in order. Its state (key, chaining
// state, part index) is small and serialisable with MarshalBinary, so a
// broken download resumes from the last part decrypted. The download's part
// size need not be the upload's: any whole number of blocks, such as the
// limit of the request that fetches the file. A Download is not safe for
// concurrent use.
//
// IGE has no integrity: a corrupt part decrypts to garbage without an error
// and the state moves on past it (see the package doc).
type Download struct {
	c       ige.Cipher
	key     [KeySize]byte
	st      [IVSize]byte
	l       layout
	next    int
	pending [BlockSize]byte
	inBatch bool
}

// NewDownload prepares the download of a file of size plaintext bytes under
// k, in parts of partSize ciphertext bytes (the last may be shorter).
// partSize 0 means PartSize(size); otherwise it must be a positive multiple
// of 16 (ErrSize). A negative size is ErrSize.
func NewDownload(k *Key, size int64, partSize int) (*Download, error) {
	if size < 0 {
		return nil, ErrSize
	}
	if partSize == 0 {
		ps, err := PartSize(size)
		if err != nil {
			return nil, err
		}
		partSize = ps
	}
	if size > maxDownloadSize || partSize <= 0 || partSize%BlockSize != 0 || partSize > maxDownloadPart {
		return nil, ErrSize
	}
	l, ok := newLayout(size, partSize)
	if !ok {
		return nil, ErrSize
	}
	d := &Download{key: k.Key, st: k.IV, l: l}
	mustKey(&d.c, &d.key)
	return d, nil
}

// Bounds of a download, so that part lengths and counts fit in 32 bits in
// the serialised state and offsets never overflow.
const (
	maxDownloadPart  = 1 << 30
	maxDownloadParts = 1<<31 - 1
	maxDownloadSize  = 1 << 62
)

// Size is the declared plaintext size.
func (d *Download) Size() int64 { return d.l.size }

// PartSize is the ciphertext length of every part but the last.
func (d *Download) PartSize() int { return d.l.partSize }

// Parts is the number of parts.
func (d *Download) Parts() int { return d.l.parts }

// NextPart is the index of the part to decrypt next; Parts when done.
func (d *Download) NextPart() int { return d.next }

// Offset is the ciphertext offset of part NextPart: where to resume fetching.
func (d *Download) Offset() int64 {
	return min(int64(d.next)*int64(d.l.partSize), paddedSize(d.l.size))
}

// Done reports whether every part has been decrypted.
func (d *Download) Done() bool { return d.next == d.l.parts }

// PartLen is the ciphertext length of part i (0 <= i < Parts).
func (d *Download) PartLen(i int) int {
	if i < 0 || i >= d.l.parts {
		panic("filecrypt: part index out of range")
	}
	return d.l.partLen(i)
}

// Decrypt decrypts part i, which must be NextPart (ErrPartOrder otherwise)
// and exactly PartLen(i) bytes long (ErrPartSize), into dst, which needs
// room for the whole part (io.ErrShortBuffer). dst and part may be the same
// buffer. It returns the plaintext, without the padding of the last part.
// On error the download does not move.
func (d *Download) Decrypt(i int, dst, part []byte) ([]byte, error) {
	if err := d.check(i, dst, part); err != nil {
		return nil, err
	}
	decryptChain(&d.c, &d.st, dst[:len(part)], part)
	d.next++
	return dst[:d.l.plainLen(i)], nil
}

func (d *Download) check(i int, dst, part []byte) error {
	if i != d.next || i >= d.l.parts {
		return ErrPartOrder
	}
	if len(part) != d.l.partLen(i) {
		return ErrPartSize
	}
	if len(dst) < len(part) {
		return io.ErrShortBuffer
	}
	return nil
}

// The serialised download state: magic and version, key, chaining state,
// declared size, part size, next part index, ciphertext bytes done, and a
// CRC-32 that catches accidental corruption of the stored copy (it is not a
// MAC: whoever can write the state can write any state).
const (
	stateMagic = "fcd\x01"
	stateLen   = 4 + KeySize + IVSize + 8 + 4 + 4 + 8 + 4
)

// AppendBinary appends the state of d to b. The state holds the file key:
// keep it as secret as the key itself.
func (d *Download) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, stateMagic...)
	b = append(b, d.key[:]...)
	b = append(b, d.st[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(d.l.size))
	b = binary.BigEndian.AppendUint32(b, uint32(d.l.partSize))
	b = binary.BigEndian.AppendUint32(b, uint32(d.next))
	b = binary.BigEndian.AppendUint64(b, uint64(d.Offset()))
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[len(b)-(stateLen-4):])), nil
}

// MarshalBinary returns the state of d (96 bytes); see AppendBinary.
func (d *Download) MarshalBinary() ([]byte, error) {
	return d.AppendBinary(make([]byte, 0, stateLen))
}

// UnmarshalBinary restores a state saved by MarshalBinary, into any
// Download, including a zero one. A state that is malformed, corrupt or
// inconsistent is ErrState, and d is left unchanged.
func (d *Download) UnmarshalBinary(b []byte) error {
	if len(b) != stateLen || string(b[:4]) != stateMagic {
		return ErrState
	}
	if crc32.ChecksumIEEE(b[:stateLen-4]) != binary.BigEndian.Uint32(b[stateLen-4:]) {
		return ErrState
	}
	rest := b[4:]
	var key [KeySize]byte
	var st [IVSize]byte
	rest = rest[copy(key[:], rest):]
	rest = rest[copy(st[:], rest):]
	size := int64(binary.BigEndian.Uint64(rest))
	partSize := int64(binary.BigEndian.Uint32(rest[8:]))
	next := int64(binary.BigEndian.Uint32(rest[12:]))
	done := int64(binary.BigEndian.Uint64(rest[16:]))
	if size < 0 || size > maxDownloadSize ||
		partSize <= 0 || partSize%BlockSize != 0 || partSize > maxDownloadPart {
		return ErrState
	}
	l, ok := newLayout(size, int(partSize))
	if !ok || next > int64(l.parts) || done != min(next*partSize, paddedSize(size)) {
		return ErrState
	}
	*d = Download{key: key, st: st, l: l, next: int(next)}
	mustKey(&d.c, &d.key)
	return nil
}
