package secret

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/gotd/td/bin"
	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/kdf"
)

// Role says which side of a chat we are. It selects x in v2: messages sent
// by the originator use x = 0, messages sent by the responder x = 8.
type Role int

const (
	// Originator is the side that requested the chat (sent g_a).
	Originator Role = iota
	// Responder is the side that accepted it (sent g_b).
	Responder
)

// String returns "originator" or "responder".
func (r Role) String() string {
	switch r {
	case Originator:
		return "originator"
	case Responder:
		return "responder"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// sendX and recvX are the v2 x of what this role sends and receives.
func (r Role) sendX() int {
	if r == Originator {
		return 0
	}
	return 8
}

func (r Role) recvX() int { return 8 - r.sendX() }

// Codec encrypts and decrypts the messages of one chat under one key, as
// one side of the chat. It owns the scratch state that makes the
// steady state allocation-free (an expanded AES key re-keyed per message,
// batch buffers), so a Codec is not safe for concurrent use: give each
// goroutine its own (they may share the Key).
type Codec struct {
	key    *Key
	role   Role
	rand   io.Reader
	maxPad int
	noV1   bool

	cipher ige.Cipher
	aesKey [32]byte
	aesIV  [32]byte
	batch  batchState
	rnd    [2 + 64 + MinPadding + 15]byte // Encrypt's randomness scratch
	chain  [32]byte                       // IGE state between block groups
	msgKey kdf.MsgKeyHash                 // msg_key hashes of Decrypt
	tl     bin.Buffer                     // EncryptMessage's encoding buffer
}

// Option configures a Codec.
type Option func(*Codec)

// WithRand sets the source of random_bytes and padding (crypto/rand.Reader
// by default). Encrypt reads it in a fixed order, so a deterministic reader
// reproduces a wire message byte for byte: for v2 two bytes choosing the
// padding length, then random_bytes, then the padding; for v1 random_bytes,
// then the padding. The package internal/reference reads in the same order.
func WithRand(r io.Reader) Option { return func(c *Codec) { c.rand = r } }

// WithMaxPadding lowers the upper bound of the random v2 padding from 1024
// bytes (the protocol's maximum) to n. The padding is still at least 12
// bytes and aligns the message to 16 bytes, so n must be in 27..1024;
// WithMaxPadding panics otherwise.
func WithMaxPadding(n int) Option {
	if n < MinPadding+15 || n > MaxPadding {
		panic(fmt.Sprintf("secret: WithMaxPadding(%d) outside %d..%d", n, MinPadding+15, MaxPadding))
	}
	return func(c *Codec) { c.maxPad = n }
}

// WithoutV1 makes Decrypt refuse MTProto 1.0: a message whose msg_key does
// not verify under v2 fails with ErrV1Refused, without the v1 attempt (and
// its SHA-1 over the whole message). For a chat that both sides began at
// layer 73 or above. Encrypt is unchanged.
//
// [Chat] does not set it: every chat begins in v1 (its first NotifyLayer
// goes out before the peer's layer is known), and a late duplicate of such
// a packet must still be recognized as a duplicate.
func WithoutV1() Option { return func(c *Codec) { c.noV1 = true } }

// ErrV1Refused: msg_key does not verify under v2 and the Codec was made
// WithoutV1, so v1 was not tried. It takes the place of ErrMsgKey and of
// every v1 verdict.
var ErrV1Refused = errors.New("secret: not a v2 message, and v1 is refused (WithoutV1)")

// NewCodec returns a Codec for key as role. It panics if key is nil.
func NewCodec(key *Key, role Role, opts ...Option) *Codec {
	if key == nil {
		panic("secret: NewCodec with a nil Key")
	}
	if role != Originator && role != Responder {
		panic(fmt.Sprintf("secret: NewCodec with %v", role))
	}
	c := &Codec{key: key, role: role, rand: rand.Reader, maxPad: MaxPadding}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Key returns the codec's key.
func (c *Codec) Key() *Key { return c.key }

// Role returns the codec's role.
func (c *Codec) Role() Role { return c.role }

// Wipe clears what the codec keeps between calls from the last messages:
// AES key and schedule, hash states, scratch copies of plaintext and
// randomness. The Codec stays usable.
func (c *Codec) Wipe() {
	clear(c.aesKey[:])
	clear(c.aesIV[:])
	clear(c.rnd[:])
	clear(c.chain[:])
	c.msgKey.Wipe()
	clear(c.tl.Buf[:cap(c.tl.Buf)])
	_ = c.cipher.SetKey(c.aesKey[:])
	c.batch.wipe()
}

// PeekFingerprint returns the key_fingerprint of a wire message, for a
// caller that holds several keys (during a re-key) to pick the Codec.
func PeekFingerprint(wire []byte) (int64, error) {
	if len(wire) < 8 {
		return 0, ErrMessageSize
	}
	return int64(binary.LittleEndian.Uint64(wire)), nil
}

// grow returns dst extended by n bytes and the offset where they start.
func grow(dst []byte, n int) ([]byte, int) {
	off := len(dst)
	if cap(dst)-off < n {
		bigger := make([]byte, off, off+n+(off+n)/4)
		copy(bigger, dst)
		dst = bigger
	}
	return dst[:off+n], off
}

// Encrypt appends the wire message (key_fingerprint || msg_key || IGE
// ciphertext) carrying body, the TL bytes of a DecryptedMessage, wrapped in a
// decryptedMessageLayer built from h, to dst. With enough capacity in dst it
// does not allocate.
//
// It refuses what a receiver would reject: a body that is not a
// DecryptedMessage (ErrBody, ErrUnknownConstructor), random_bytes of 1..14
// bytes (ErrShortRandomBytes), v1 for layer >= 73 (ErrV1Layer). A failed
// read of the random source is returned as is. On error dst is returned
// unchanged in length. body must not overlap the spare capacity of dst
// (Encrypt panics if it does).
func (c *Codec) Encrypt(dst []byte, h Header, body []byte) ([]byte, error) {
	if err := checkSend(&h, body); err != nil {
		return dst, err
	}
	dataLen := 4 + envelopeSize(h.RandomBytes, len(body))
	minPad, maxPad := c.paddingRange(h.Version, dataLen)
	// Grow for the largest padding first so that no read lands in a buffer
	// that is then reallocated.
	out, off := grow(dst, Overhead+dataLen+maxPad)
	if overlaps(out[off:], body) {
		panic("secret: Encrypt: body overlaps the output buffer")
	}
	data, err := c.plaintext(out[off+Overhead:], &h, body, dataLen, minPad)
	if err != nil {
		return dst, err
	}
	c.seal(out[off:off+Overhead], data, h.Version, dataLen)
	return out[:off+Overhead+len(data)], nil
}

// checkSend fills in h's defaults (the version for the layer, the shortest
// random_bytes) and refuses what a receiver would reject.
func checkSend(h *Header, body []byte) error {
	switch h.Version {
	case 0:
		h.Version = kdf.V1
		if h.Layer >= MTProto2Layer {
			h.Version = kdf.V2
		}
	case kdf.V1, kdf.V2:
	default:
		return ErrVersion
	}
	if h.Version == kdf.V1 && h.Layer >= MTProto2Layer {
		return ErrV1Layer
	}
	switch n := h.RandomBytes; {
	case n == 0:
		h.RandomBytes = MinRandomBytes
	case n < 0 || n > MaxRandomBytes:
		return fmt.Errorf("%w: random_bytes of %d bytes", ErrTooLong, n)
	case n < MinRandomBytes:
		return ErrShortRandomBytes
	}
	if len(body) < 4 || len(body)%4 != 0 {
		return ErrBody
	}
	if id := binary.LittleEndian.Uint32(body); !knownMessage(id) {
		return fmt.Errorf("%w: body #%08x is not a DecryptedMessage", ErrUnknownConstructor, id)
	}
	if len(body) > maxTL-envelopeSize(h.RandomBytes, 0) {
		return ErrTooLong
	}
	return nil
}

// paddingRange returns the shortest padding of dataLen bytes of plaintext
// (to a whole block; v2 at least MinPadding) and the longest this codec
// chooses.
func (c *Codec) paddingRange(v kdf.Version, dataLen int) (minPad, maxPad int) {
	if v == kdf.V1 {
		minPad = (16 - dataLen%16) % 16
		return minPad, minPad
	}
	return MinPadding + (16-(dataLen+MinPadding)%16)%16, c.maxPad
}

// plaintext lays out the message to encrypt in data, which has room for
// the longest padding: length prefix and envelope with body and fresh
// random_bytes, then random padding. It returns data cut to the chosen
// padding.
//
// Randomness is read in one fixed order (see WithRand): the v2 padding
// selector, random_bytes, the padding. Usually the selector, random_bytes
// and the shortest possible padding come in one read into scratch and are
// copied into place; the rest of a longer v2 padding follows in a second
// read. Each read of crypto/rand costs about as much as hashing a block, so
// small messages notice.
func (c *Codec) plaintext(data []byte, h *Header, body []byte, dataLen, minPad int) ([]byte, error) {
	n := h.RandomBytes
	roff := randomOffset(n)
	sel := 0
	if h.Version == kdf.V2 {
		sel = 2
	}
	var selector []byte
	var padStart int // first padding byte still to read
	if first := sel + n + minPad; first <= len(c.rnd) {
		if _, err := io.ReadFull(c.rand, c.rnd[:first]); err != nil {
			return nil, err
		}
		selector = c.rnd[:sel]
		copy(data[roff:roff+n], c.rnd[sel:sel+n])
		copy(data[dataLen:dataLen+minPad], c.rnd[sel+n:first])
		padStart = dataLen + minPad
	} else {
		// Long random_bytes: read them in place, the selector just in
		// front of them (over the envelope header, written afterwards).
		if _, err := io.ReadFull(c.rand, data[roff-sel:roff+n]); err != nil {
			return nil, err
		}
		selector = data[roff-sel : roff]
		padStart = dataLen
	}
	padding := minPad
	if h.Version == kdf.V2 {
		choices := (c.maxPad-minPad)/16 + 1
		padding += 16 * (int(binary.LittleEndian.Uint16(selector)) % choices)
	}
	data = data[:dataLen+padding]
	putEnvelope(data[:dataLen], h, body)
	if padStart < len(data) {
		if _, err := io.ReadFull(c.rand, data[padStart:]); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// seal encrypts the plaintext data in place and writes the wire header in
// front of it, hdr (Overhead bytes): key_fingerprint and msg_key, which v1
// takes over the first dataLen bytes (no padding) and v2 over all of data.
// msg_key is computed straight into hdr: derive's hashing keeps references
// to its inputs, which would move a local to the heap.
func (c *Codec) seal(hdr, data []byte, v kdf.Version, dataLen int) {
	msgKey := (*[16]byte)(hdr[8:24])
	x := 0
	if v == kdf.V1 {
		*msgKey = kdf.MsgKeyV1(data[:dataLen])
	} else {
		x = c.role.sendX()
		*msgKey = kdf.MsgKeyV2(&c.key.k, x, data)
	}
	c.derive(v, msgKey, x)
	ige.EncryptBlocks(&c.cipher, c.aesIV[:], data, data)
	binary.LittleEndian.PutUint64(hdr, uint64(c.key.fp))
}

// Decrypt decrypts a wire message and appends the body (the TL bytes of
// the DecryptedMessage inside the envelope) to dst; it returns the grown
// slice and the envelope's header. It uses the capacity of dst beyond its
// length as scratch for the whole plaintext, so with cap(dst)-len(dst) >=
// len(wire) it does not allocate.
//
// It tries v2 first (the sender's x is the other role's), then v1, and runs
// every receive check of the protocol; each failure returns an error
// matching one of ErrMessageSize, ErrUnknownKey, ErrMsgKey, ErrLength,
// ErrPadding, ErrEnvelope, ErrUnknownConstructor, ErrShortRandomBytes or
// ErrV1Layer (ErrV1Refused instead of ErrMsgKey and the v1 verdicts with
// WithoutV1). Until msg_key verifies, its time does not depend on the
// decrypted bytes (see the package documentation). A layer above the
// caller's own is not an error: compare Header.Layer. On error dst is
// returned unchanged in length (its spare capacity may have been written).
// wire must not overlap the spare capacity of dst (Decrypt panics if it
// does).
func (c *Codec) Decrypt(dst, wire []byte) ([]byte, Header, error) {
	if err := c.checkWire(wire); err != nil {
		return dst, Header{}, err
	}
	out, off := grow(dst, len(wire)-Overhead)
	if overlaps(out[off:], wire) {
		panic("secret: Decrypt: wire overlaps the output buffer")
	}
	data := out[off:]
	h, start, end, err := c.open(data, wire, nil)
	if err != nil {
		return dst, Header{}, err
	}
	n := copy(data, data[start:end])
	return out[:off+n], h, nil
}

// derive sets aes_key and aes_iv for one message and keys the cipher.
func (c *Codec) derive(v kdf.Version, msgKey *[16]byte, x int) {
	c.aesKey, c.aesIV = kdf.Derive(v, &c.key.k, msgKey, x)
	if err := c.cipher.SetKey(c.aesKey[:]); err != nil {
		panic("secret: internal error: " + err.Error())
	}
}

// checkWire runs the checks that need no decryption.
func (c *Codec) checkWire(wire []byte) error {
	if len(wire) < 8 {
		return ErrMessageSize
	}
	if int64(binary.LittleEndian.Uint64(wire)) != c.key.fp {
		return ErrUnknownKey
	}
	if ct := len(wire) - Overhead; ct < 16 || ct%16 != 0 {
		return ErrMessageSize
	}
	return nil
}

// open decrypts wire (already through checkWire) into data (len(data) ==
// len(wire)-Overhead) and checks it. With v2Key set, data already holds the
// v2 decryption and v2Key its msg_key (the batch path). It returns the
// header and the body's bounds in data.
//
// Nothing before a msg_key verifies may depend on the decrypted bytes, or
// the time of a rejection tells an attacker about the plaintext of a forged
// message (Albrecht, Mareková, Paterson and Stepanovs, "Four Attacks and a
// Proof for Telegram", IEEE S&P 2022). So v2 always decrypts and hashes the
// whole message before the constant-time compare, and looks at the length
// prefix only after it; a v1 message pays for that v2 attempt first
// (choosing the order by the first block's prefix told whoever cuts or
// extends a ciphertext the plaintext length the padding hides). v1 (openV1)
// must hash a prefix whose length it reads from the decryption, and does so
// in time that depends only on the message size.
func (c *Codec) open(data, wire []byte, v2Key *[16]byte) (h Header, start, end int, err error) {
	msgKey := (*[16]byte)(wire[8:24])
	var got [16]byte
	if v2Key != nil {
		got = *v2Key
	} else {
		got = c.decryptHashV2(data, wire)
	}
	if subtle.ConstantTimeCompare(got[:], msgKey[:]) == 1 {
		length, err := v2Length(data)
		return c.envelope(data, Header{Version: kdf.V2}, length, err)
	}
	if c.noV1 {
		return Header{}, 0, 0, ErrV1Refused
	}
	h, length, err := c.openV1(data, wire)
	return c.envelope(data, h, length, err)
}

// decryptHashV2 decrypts wire's ciphertext into data as v2 (the sender's
// x is the other role's) and returns the msg_key of data.
func (c *Codec) decryptHashV2(data, wire []byte) [16]byte {
	x := c.role.recvX()
	ct := wire[Overhead:]
	c.derive(kdf.V2, (*[16]byte)(wire[8:24]), x)
	ige.DecryptBlocks(&c.cipher, c.aesIV[:], data[:16], ct[:16])
	c.msgKey.Reset(kdf.V2, &c.key.k, x)
	c.decryptHash(&c.msgKey, data, ct)
	return c.msgKey.Sum()
}

// decryptHash finishes the decryption of ct into data (the first block is
// done, with the cipher and aesIV of this message) and writes data to h.
// AES-IGE decryption and the hash are each a serial chain, but independent
// of each other: decrypting block group k+1 while hashing group k lets the
// core run both chains at once, which a decryption followed by a hash
// cannot (about a fifth less time for 1 KiB). Groups are 64 bytes (one hash
// block, four AES blocks) and aligned to the hash's blocks, so that both
// chains stay within the out-of-order window.
func (c *Codec) decryptHash(h io.Writer, data, ct []byte) {
	const group = 64
	// IGE state after a block: (y, x) of that block.
	copy(c.chain[:16], ct[:16])
	copy(c.chain[16:], data[:16])
	hashed := 0
	for off := 16; off < len(ct); {
		end := min((off+group)&^(group-1), len(ct))
		ige.DecryptBlocks(&c.cipher, c.chain[:], data[off:end], ct[off:end])
		copy(c.chain[:16], ct[end-16:end])
		copy(c.chain[16:], data[end-16:end])
		h.Write(data[hashed:off])
		hashed = off
		off = end
	}
	h.Write(data[hashed:])
}

// v2Length returns the length prefix of v2 data, checked. Only for data
// whose msg_key verified: it branches on the plaintext.
func v2Length(data []byte) (int, error) {
	length := int(int32(binary.LittleEndian.Uint32(data)))
	if length <= 0 || length%4 != 0 || length > len(data)-4 {
		return 0, ErrLength
	}
	if pad := len(data) - 4 - length; pad < MinPadding || pad > MaxPadding {
		return 0, ErrPadding
	}
	return length, nil
}

// openV1 decrypts and checks wire as v1 (x = 0 both ways); err is the v1
// verdict. msg_key covers the data before padding, so its length, read
// from the decryption, is needed before msg_key can be checked. Until
// msg_key verifies nothing branches on it: a length outside 0..len(data)-4
// is replaced by 0 with a mask, kdf.MsgKeyV1Prefix hashes the prefix in
// time that depends only on len(data), and the range check joins the
// msg_key compare, so that an unusable length is ErrMsgKey after the same
// work as a wrong msg_key.
func (c *Codec) openV1(data, wire []byte) (h Header, length int, err error) {
	msgKey := (*[16]byte)(wire[8:24])
	h.Version = kdf.V1
	c.derive(kdf.V1, msgKey, 0)
	ige.DecryptBlocks(&c.cipher, c.aesIV[:], data, wire[Overhead:])
	// As uint32, a negative int32 is above the int32 range; valid is all
	// ones iff prefix <= limit.
	limit := int64(min(len(data)-4, math.MaxInt32))
	prefix := int64(binary.LittleEndian.Uint32(data))
	valid := (prefix - limit - 1) >> 63
	masked := int(prefix & valid)
	sum := kdf.MsgKeyV1Prefix(data, 4+masked)
	if subtle.ConstantTimeCompare(sum[:], msgKey[:])&int(valid) != 1 {
		return h, 0, ErrMsgKey
	}
	// Verified: the length may be branched on now.
	length = masked
	if length == 0 || length%4 != 0 {
		return h, 0, ErrLength
	}
	if len(data)-4-length > 15 {
		return h, 0, ErrPadding
	}
	return h, length, nil
}

// envelope finishes a message whose msg_key verified: it parses the
// envelope of data[4:4+length] unless err is already set.
func (c *Codec) envelope(data []byte, h Header, length int, err error) (Header, int, int, error) {
	if err != nil {
		return h, 0, 0, err
	}
	body, err := parseEnvelope(data[4:4+length], &h)
	if err != nil {
		return h, 0, 0, err
	}
	if h.Version == kdf.V1 && h.Layer >= MTProto2Layer {
		return h, 0, 0, ErrV1Layer
	}
	return h, 4 + body, 4 + length, nil
}
