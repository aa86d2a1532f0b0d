package ige

import (
	"crypto/cipher"
	"errors"
	"strconv"
)

const (
	// BlockSize is the AES block size in bytes.
	BlockSize = 16
	// KeySize is the AES-256 key size in bytes.
	KeySize = 32
	// IVSize is the size of an IGE iv for AES: y_-1 || x_-1.
	IVSize = 2 * BlockSize

	scheduleSize = (rounds + 1) * BlockSize
)

// ErrInvalidIV is the panic message when an iv is not twice the block size
// long. It is the same text as gotd/ige's.
var ErrInvalidIV = errors.New("iv length must be: (block size * 2)")

// KeySizeError is returned by NewCipher and SetKey for a key that is not 32
// bytes long.
type KeySizeError int

func (k KeySizeError) Error() string {
	return "ige: invalid key size " + strconv.Itoa(int(k)) + ", want 32 (AES-256 only)"
}

// IGE is a cipher.BlockMode in infinite garble extension mode, as in gotd/ige.
type IGE interface {
	// BlockSize returns the mode's block size.
	BlockSize() int
	// CryptBlocks encrypts or decrypts whole blocks, carrying the chaining
	// state from one call to the next.
	CryptBlocks(dst, src []byte)
}

// Cipher is an expanded AES-256 key: the encryption and the decryption
// schedule. It implements cipher.Block. A zero Cipher is unusable until
// SetKey. Once keyed it is safe for concurrent use; SetKey is not safe
// concurrently with any use.
type Cipher struct {
	enc, dec [scheduleSize]byte
	keyed    bool
}

var _ cipher.Block = (*Cipher)(nil)

// NewCipher returns a Cipher for a 32-byte key.
func NewCipher(key []byte) (*Cipher, error) {
	c := new(Cipher)
	if err := c.SetKey(key); err != nil {
		return nil, err
	}
	return c, nil
}

// SetKey re-keys c without allocating. On error c is left unchanged.
func (c *Cipher) SetKey(key []byte) error {
	if len(key) != KeySize {
		return KeySizeError(len(key))
	}
	expandKey(c, (*[KeySize]byte)(key))
	c.keyed = true
	return nil
}

// BlockSize returns the AES block size, 16.
func (c *Cipher) BlockSize() int { return BlockSize }

// Encrypt encrypts one block, as crypto/aes does.
func (c *Cipher) Encrypt(dst, src []byte) {
	c.mustBeKeyed()
	checkBlock(dst, src)
	encryptBlock(c, dst, src)
}

// Decrypt decrypts one block, as crypto/aes does.
func (c *Cipher) Decrypt(dst, src []byte) {
	c.mustBeKeyed()
	checkBlock(dst, src)
	decryptBlock(c, dst, src)
}

func (c *Cipher) mustBeKeyed() {
	if c == nil {
		panic("ige: nil Cipher")
	}
	if !c.keyed {
		panic("ige: use of a Cipher without a key (use NewCipher or SetKey)")
	}
}

func checkBlock(dst, src []byte) {
	if len(src) < BlockSize {
		panic("ige: input not full block")
	}
	if len(dst) < BlockSize {
		panic("ige: output not full block")
	}
	if inexactOverlap(dst[:BlockSize], src[:BlockSize]) {
		panic("ige: invalid buffer overlap")
	}
}

// checkBlocks enforces the cipher.BlockMode contract on one call.
func checkBlocks(dst, src []byte, bs int) {
	if len(src)%bs != 0 {
		panic("ige: src not full blocks (length " + strconv.Itoa(len(src)) + ")")
	}
	if len(dst) < len(src) {
		panic("ige: dst shorter than src (" + strconv.Itoa(len(dst)) + " < " + strconv.Itoa(len(src)) + ")")
	}
	if inexactOverlap(dst[:len(src)], src) {
		panic("ige: invalid buffer overlap")
	}
}

// blockSize is b.BlockSize() for the portable path, refusing a nil block or a
// block size the mode cannot work with.
func blockSize(b cipher.Block) int {
	if b == nil {
		panic("ige: nil cipher.Block")
	}
	bs := b.BlockSize()
	if bs <= 0 {
		panic("ige: cipher.Block with block size " + strconv.Itoa(bs))
	}
	return bs
}

func checkIV(bs int, iv []byte) {
	if len(iv) != 2*bs {
		panic(ErrInvalidIV.Error())
	}
}

func checkKey(key []byte) {
	if len(key) != KeySize {
		panic(KeySizeError(len(key)).Error())
	}
}

// EncryptBlocks encrypts src into dst with iv = y_-1 || x_-1. iv is not
// modified. A *Cipher takes the fast path; any other cipher.Block the
// portable per-block path.
func EncryptBlocks(b cipher.Block, iv, dst, src []byte) {
	if c, ok := b.(*Cipher); ok {
		c.mustBeKeyed()
		checkIV(BlockSize, iv)
		checkBlocks(dst, src, BlockSize)
		state := [IVSize]byte(iv)
		encryptIGE(c, &state, dst, src)
		return
	}
	bs := blockSize(b)
	checkIV(bs, iv)
	checkBlocks(dst, src, bs)
	newBlockMode(b, iv, true).crypt(dst, src)
}

// DecryptBlocks decrypts src into dst; see EncryptBlocks.
func DecryptBlocks(b cipher.Block, iv, dst, src []byte) {
	if c, ok := b.(*Cipher); ok {
		c.mustBeKeyed()
		checkIV(BlockSize, iv)
		checkBlocks(dst, src, BlockSize)
		state := [IVSize]byte(iv)
		decryptIGE(c, &state, dst, src)
		return
	}
	bs := blockSize(b)
	checkIV(bs, iv)
	checkBlocks(dst, src, bs)
	newBlockMode(b, iv, false).crypt(dst, src)
}

// EncryptAES256Blocks expands key and encrypts, with no heap allocation.
func EncryptAES256Blocks(key, iv, dst, src []byte) {
	checkKey(key)
	checkIV(BlockSize, iv)
	checkBlocks(dst, src, BlockSize)
	var c Cipher
	expandKey(&c, (*[KeySize]byte)(key))
	state := [IVSize]byte(iv)
	encryptIGE(&c, &state, dst, src)
}

// DecryptAES256Blocks expands key and decrypts, with no heap allocation.
func DecryptAES256Blocks(key, iv, dst, src []byte) {
	checkKey(key)
	checkIV(BlockSize, iv)
	checkBlocks(dst, src, BlockSize)
	var c Cipher
	expandKey(&c, (*[KeySize]byte)(key))
	state := [IVSize]byte(iv)
	decryptIGE(&c, &state, dst, src)
}

// NewIGEEncrypter returns a BlockMode that encrypts in IGE mode and carries
// its chaining state across CryptBlocks calls. It panics with ErrInvalidIV
// if iv is not twice the block size. iv is copied.
func NewIGEEncrypter(b cipher.Block, iv []byte) IGE {
	if c, ok := b.(*Cipher); ok {
		c.mustBeKeyed()
		checkIV(BlockSize, iv)
		return &cipherMode{c: c, iv: [IVSize]byte(iv), encrypt: true}
	}
	checkIV(blockSize(b), iv)
	return newBlockMode(b, iv, true)
}

// NewIGEDecrypter returns a BlockMode that decrypts in IGE mode; see
// NewIGEEncrypter.
func NewIGEDecrypter(b cipher.Block, iv []byte) IGE {
	if c, ok := b.(*Cipher); ok {
		c.mustBeKeyed()
		checkIV(BlockSize, iv)
		return &cipherMode{c: c, iv: [IVSize]byte(iv)}
	}
	checkIV(blockSize(b), iv)
	return newBlockMode(b, iv, false)
}

// cipherMode is the BlockMode over a *Cipher.
type cipherMode struct {
	c       *Cipher
	iv      [IVSize]byte
	encrypt bool
}

func (m *cipherMode) BlockSize() int { return BlockSize }

func (m *cipherMode) CryptBlocks(dst, src []byte) {
	checkBlocks(dst, src, BlockSize)
	if m.encrypt {
		encryptIGE(m.c, &m.iv, dst, src)
	} else {
		decryptIGE(m.c, &m.iv, dst, src)
	}
}

// blockMode is the portable path over any cipher.Block. buf holds the
// previous ciphertext block, the previous plaintext block and a scratch block.
type blockMode struct {
	b       cipher.Block
	bs      int
	buf     []byte
	encrypt bool
}

func newBlockMode(b cipher.Block, iv []byte, encrypt bool) *blockMode {
	bs := b.BlockSize()
	m := &blockMode{b: b, bs: bs, buf: make([]byte, 3*bs), encrypt: encrypt}
	copy(m.buf, iv)
	return m
}

func (m *blockMode) BlockSize() int { return m.bs }

func (m *blockMode) CryptBlocks(dst, src []byte) {
	checkBlocks(dst, src, m.bs)
	m.crypt(dst, src)
}

func (m *blockMode) crypt(dst, src []byte) {
	bs := m.bs
	y, x, in := m.buf[:bs], m.buf[bs:2*bs], m.buf[2*bs:]
	for len(src) > 0 {
		copy(in, src[:bs]) // src and dst may be the same block
		out := dst[:bs]
		if m.encrypt {
			// y_i = E(x_i ^ y_{i-1}) ^ x_{i-1}
			xorBytes(out, in, y)
			m.b.Encrypt(out, out)
			xorBytes(out, out, x)
			copy(y, out)
			copy(x, in)
		} else {
			// x_i = D(y_i ^ x_{i-1}) ^ y_{i-1}
			xorBytes(out, in, x)
			m.b.Decrypt(out, out)
			xorBytes(out, out, y)
			copy(x, out)
			copy(y, in)
		}
		src, dst = src[bs:], dst[bs:]
	}
}

func xorBytes(dst, a, b []byte) {
	for i := range dst {
		dst[i] = a[i] ^ b[i]
	}
}

// Job is one independent IGE stream of a batch. Its semantics are exactly
// those of EncryptBlocks/DecryptBlocks: IV is not modified, and Dst may be
// Src. The jobs of a batch run interleaved, so no job's Dst may overlap
// another job's Src, Dst or IV (the result would depend on the
// interleaving, which differs between implementations: an IV is read when
// its job starts, after earlier jobs have written).
type Job struct {
	Cipher   *Cipher
	IV       []byte // IVSize bytes
	Dst, Src []byte // len(Src) a multiple of 16, len(Dst) >= len(Src)
}

func checkJobs(jobs []Job) {
	for i := range jobs {
		j := &jobs[i]
		if j.Cipher == nil {
			panic("ige: Job " + strconv.Itoa(i) + " has a nil Cipher")
		}
		j.Cipher.mustBeKeyed()
		if len(j.IV) != IVSize {
			panic("ige: Job " + strconv.Itoa(i) + ": " + ErrInvalidIV.Error())
		}
		checkBlocks(j.Dst, j.Src, BlockSize)
	}
}

// EncryptBatch encrypts independent jobs, interleaved so that throughput is
// bounded by AES throughput rather than latency. Jobs may share a *Cipher;
// concurrent calls are safe. Every job is validated before any is processed.
func EncryptBatch(jobs []Job) {
	checkJobs(jobs)
	encryptBatch(jobs)
}

// DecryptBatch decrypts independent jobs; see EncryptBatch.
func DecryptBatch(jobs []Job) {
	checkJobs(jobs)
	decryptBatch(jobs)
}
