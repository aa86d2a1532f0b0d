package filecrypt

import (
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/kdf"
)

const (
	// KeySize is the size of a file's AES-256 key.
	KeySize = ige.KeySize
	// IVSize is the size of a file's IGE iv (y_-1 || x_-1).
	IVSize = ige.IVSize
	// BlockSize is the AES block size; the encrypted file is padded to it.
	BlockSize = ige.BlockSize
)

// Errors returned by the package. Each is a distinct value matched with
// errors.Is; errors of the underlying reader, writer or random source are
// returned as they are, not wrapped.
var (
	// ErrClosed is returned by any use of a Writer or Reader after Close.
	ErrClosed = errors.New("filecrypt: use of a closed stream")

	// ErrTruncated means the input ended before the declared size: the
	// ciphertext is shorter than the padded size, or an upload's plaintext
	// source ended early. It matches io.ErrUnexpectedEOF as well.
	ErrTruncated = fmt.Errorf("filecrypt: input shorter than the declared size: %w", io.ErrUnexpectedEOF)

	// ErrTrailingData means the ciphertext goes on past the padded size
	// that the declared plaintext size implies.
	ErrTrailingData = errors.New("filecrypt: ciphertext longer than the declared size")

	// ErrSize is returned for a negative declared size or an invalid part
	// size.
	ErrSize = errors.New("filecrypt: invalid size")

	// ErrTooLarge is returned by the part-size rule for a file that does
	// not fit in MaxParts parts of MaxPartSize bytes.
	ErrTooLarge = errors.New("filecrypt: file too large for 4000 parts of 512 KiB")

	// ErrPartOrder is returned for a part other than the one expected next
	// (downloads decrypt in order; an upload re-encrypts only parts whose
	// starting state it has), or the same upload or download twice in one
	// batch.
	ErrPartOrder = errors.New("filecrypt: part out of order")

	// ErrPartSize is returned for a part or plaintext of the wrong length.
	ErrPartSize = errors.New("filecrypt: wrong part length")

	// ErrState is returned by Download.UnmarshalBinary for a state that is
	// malformed, corrupt or inconsistent.
	ErrState = errors.New("filecrypt: invalid download state")
)

// Key is a file's key and iv. They travel inside the secret-chat message
// (decryptedMessageMedia*), the fingerprint beside the file.
type Key struct {
	Key [KeySize]byte
	IV  [IVSize]byte
}

// NewKey returns a new random key and iv read from rand, or from
// crypto/rand if rand is nil. An error of rand is returned unchanged.
func NewKey(rand io.Reader) (Key, error) {
	var k Key
	if _, err := io.ReadFull(randOrDefault(rand), k.Key[:]); err != nil {
		return Key{}, err
	}
	if _, err := io.ReadFull(randOrDefault(rand), k.IV[:]); err != nil {
		return Key{}, err
	}
	return k, nil
}

// Fingerprint is the key fingerprint sent beside the file:
// MD5(key || iv) folded to 32 bits (kdf.FileFingerprint).
func (k *Key) Fingerprint() int32 { return kdf.FileFingerprint(&k.Key, &k.IV) }

func randOrDefault(r io.Reader) io.Reader {
	if r == nil {
		return cryptorand.Reader
	}
	return r
}

// paddedSize is size rounded up to whole blocks.
func paddedSize(size int64) int64 { return (size + BlockSize - 1) &^ (BlockSize - 1) }

// encryptChain encrypts whole blocks of src into dst (dst == src allowed)
// and advances the chaining state st = y_last || x_last.
func encryptChain(c *ige.Cipher, st *[IVSize]byte, dst, src []byte) {
	n := len(src)
	if n == 0 {
		return
	}
	var lastX [BlockSize]byte
	copy(lastX[:], src[n-BlockSize:]) // in place, src is overwritten
	ige.EncryptBlocks(c, st[:], dst, src)
	copy(st[:BlockSize], dst[n-BlockSize:n])
	copy(st[BlockSize:], lastX[:])
}

// decryptChain decrypts whole blocks of src into dst (dst == src allowed)
// and advances the chaining state.
func decryptChain(c *ige.Cipher, st *[IVSize]byte, dst, src []byte) {
	n := len(src)
	if n == 0 {
		return
	}
	var lastY [BlockSize]byte
	copy(lastY[:], src[n-BlockSize:])
	ige.DecryptBlocks(c, st[:], dst, src)
	copy(st[:BlockSize], lastY[:])
	copy(st[BlockSize:], dst[n-BlockSize:n])
}

// mustKey expands k into c; SetKey fails only for a key that is not 32
// bytes, which the array type rules out.
func mustKey(c *ige.Cipher, k *[KeySize]byte) {
	if err := c.SetKey(k[:]); err != nil {
		panic(err)
	}
}
