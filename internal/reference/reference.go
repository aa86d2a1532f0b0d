// Package reference is the secret-chat message pipeline written the way a
// careful newcomer would write it straight from the specification: every
// step literal, nothing cached, nothing reused.
//
// It exists for two reasons. It is the baseline that the benchmarks of
// package secret are measured against, and it is an independent oracle in
// tests: messages encrypted by package secret must decrypt here and the
// other way round, in both protocol versions.
//
// # What it uses
//
//   - AES-256-IGE from github.com/gotd/ige over a crypto/aes block created
//     for every message;
//   - package kdfref (crypto/sha1 and crypto/sha256 over freshly
//     concatenated buffers) for msg_key and the key derivation;
//   - math/big for Diffie-Hellman (not constant time: this package is a
//     baseline and an oracle, never something to ship);
//   - github.com/gotd/td/bin for the TL of the decryptedMessageLayer envelope.
//
// # Specification
//
// The base text is https://core.telegram.org/api/end-to-end (MTProto 1.0,
// "v1": SHA-1, x = 0); the MTProto 2.0 ("v2", layer 73 and up) key derivation
// is https://core.telegram.org/api/end-to-end#serialization-and-encryption-of-outgoing-messages.
// The project's condensed form is docs/PROTOCOL.md sections 2 to 4.
//
// # Randomness
//
// Encrypt reads its randomness from Options.Rand in a fixed order, the same
// order package secret uses, so that both produce identical wire bytes from
// identical random streams: for v2 first two bytes that choose the padding
// length, then the random_bytes of the envelope, then the padding bytes.
package reference

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gotd/ige"
	"github.com/gotd/td/bin"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/kdf/kdfref"
)

// Constants of the protocol used here.
const (
	// LayerTypeID is the constructor id of decryptedMessageLayer.
	LayerTypeID = 0x1be31789
	// MinRandomBytes is the shortest random_bytes a receiver accepts.
	MinRandomBytes = 15
	// MTProto2Layer is the first layer that requires v2.
	MTProto2Layer = 73
	// MinPadding and MaxPadding bound the v2 padding.
	MinPadding = 12
	MaxPadding = 1024
)

// Errors returned by Decrypt.
var (
	ErrKeySize        = errors.New("reference: key must be 256 bytes")
	ErrFingerprint    = errors.New("reference: key fingerprint does not match")
	ErrCiphertextSize = errors.New("reference: ciphertext length is not a positive multiple of 16")
	ErrMsgKey         = errors.New("reference: msg_key does not match")
	ErrLength         = errors.New("reference: bad length prefix")
	ErrPadding        = errors.New("reference: padding out of range")
	ErrRandomBytes    = errors.New("reference: random_bytes shorter than 15 bytes")
	ErrV1Layer        = errors.New("reference: v1 encryption for layer >= 73")
	ErrEnvelope       = errors.New("reference: malformed decryptedMessageLayer")
)

// Message is a message before encryption or after decryption.
type Message struct {
	Version     int // 1 or 2
	Layer       int
	InSeqNo     int
	OutSeqNo    int
	RandomBytes []byte // nil on Encrypt: Options.RandomBytes fresh random bytes
	Body        []byte // TL of the DecryptedMessage
}

// Options tune Encrypt.
type Options struct {
	Rand        io.Reader // crypto/rand.Reader when nil
	RandomBytes int       // length of fresh random_bytes; 15 when 0
	MaxPadding  int       // upper bound of the v2 padding; 1024 when 0
}

// Fingerprint is the key_fingerprint of a 256-byte key: the last 64 bits of
// SHA1(key), little-endian.
func Fingerprint(key []byte) int64 {
	h := sha1.Sum(key)
	return int64(binary.LittleEndian.Uint64(h[12:20]))
}

// senderX is the v2 x of a message sent by the originator or the responder.
func senderX(fromOriginator bool) int {
	if fromOriginator {
		return 0
	}
	return 8
}

// Derive returns aes_key and aes_iv for version 1 or 2: the formulas of
// package kdfref, the one spec-literal copy of the key derivation. key is
// 256 bytes and msgKey 16.
func Derive(version int, key, msgKey []byte, x int) (aesKey, aesIV []byte) {
	k, iv := kdfref.Derive(kdf.Version(version), (*[256]byte)(key), (*[16]byte)(msgKey), x)
	return k[:], iv[:]
}

// MsgKey computes msg_key: v1 over the unpadded data, v2 over the padded
// plaintext with the x of the sender (package kdfref's formulas).
func MsgKey(version int, key, data []byte, x int) []byte {
	var m [16]byte
	if version == 1 {
		m = kdfref.MsgKeyV1(data)
	} else {
		m = kdfref.MsgKeyV2((*[256]byte)(key), x, data)
	}
	return m[:]
}

// Encrypt encrypts m with the 256-byte key. fromOriginator tells whether the
// sender is the chat's originator (it selects x in v2).
func Encrypt(key []byte, fromOriginator bool, m Message, opt Options) ([]byte, error) {
	if len(key) != 256 {
		return nil, ErrKeySize
	}
	if m.Version != 1 && m.Version != 2 {
		return nil, fmt.Errorf("reference: unknown version %d", m.Version)
	}
	r := opt.Rand
	if r == nil {
		r = rand.Reader
	}
	maxPad := opt.MaxPadding
	if maxPad == 0 {
		maxPad = MaxPadding
	}
	var selector [2]byte
	if m.Version == 2 {
		if _, err := io.ReadFull(r, selector[:]); err != nil {
			return nil, err
		}
	}
	randomBytes := m.RandomBytes
	if randomBytes == nil {
		n := opt.RandomBytes
		if n == 0 {
			n = MinRandomBytes
		}
		randomBytes = make([]byte, n)
		if _, err := io.ReadFull(r, randomBytes); err != nil {
			return nil, err
		}
	}

	var tl bin.Buffer
	tl.PutID(LayerTypeID)
	tl.PutBytes(randomBytes)
	tl.PutInt(m.Layer)
	tl.PutInt(m.InSeqNo)
	tl.PutInt(m.OutSeqNo)
	tl.Put(m.Body)

	data := binary.LittleEndian.AppendUint32(nil, uint32(tl.Len()))
	data = append(data, tl.Buf...)

	var padding int
	if m.Version == 1 {
		padding = (16 - len(data)%16) % 16
	} else {
		minPad := MinPadding + (16-(len(data)+MinPadding)%16)%16
		choices := (maxPad-minPad)/16 + 1
		if choices < 1 {
			return nil, fmt.Errorf("reference: MaxPadding %d too small", maxPad)
		}
		padding = minPad + 16*(int(binary.LittleEndian.Uint16(selector[:]))%choices)
	}
	pad := make([]byte, padding)
	if _, err := io.ReadFull(r, pad); err != nil {
		return nil, err
	}

	x := senderX(fromOriginator)
	var msgKey []byte
	if m.Version == 1 {
		msgKey = MsgKey(1, key, data, 0)
		data = append(data, pad...)
		x = 0
	} else {
		data = append(data, pad...)
		msgKey = MsgKey(2, key, data, x)
	}
	aesKey, aesIV := Derive(m.Version, key, msgKey, x)
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, err
	}
	ct := make([]byte, len(data))
	ige.EncryptBlocks(block, aesIV, ct, data)

	out := binary.LittleEndian.AppendUint64(nil, uint64(Fingerprint(key)))
	out = append(out, msgKey...)
	out = append(out, ct...)
	return out, nil
}

// Decrypt decrypts a wire message with the 256-byte key; weAreOriginator
// tells which side we are (the sender is the other one). It tries v2 first,
// then v1, and performs every receive check of the specification.
func Decrypt(key []byte, weAreOriginator bool, wire []byte) (*Message, error) {
	if len(key) != 256 {
		return nil, ErrKeySize
	}
	if len(wire) < 24 || int64(binary.LittleEndian.Uint64(wire)) != Fingerprint(key) {
		return nil, ErrFingerprint
	}
	msgKey := wire[8:24]
	ct := wire[24:]
	if len(ct) == 0 || len(ct)%16 != 0 {
		return nil, ErrCiphertextSize
	}

	// v2: the sender is the other side.
	x := senderX(!weAreOriginator)
	aesKey, aesIV := Derive(2, key, msgKey, x)
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, err
	}
	data := make([]byte, len(ct))
	ige.DecryptBlocks(block, aesIV, data, ct)
	if subtle.ConstantTimeCompare(MsgKey(2, key, data, x), msgKey) == 1 {
		length := int(int32(binary.LittleEndian.Uint32(data)))
		if length <= 0 || length%4 != 0 || length > len(data)-4 {
			return nil, ErrLength
		}
		padding := len(data) - 4 - length
		if padding < MinPadding || padding > MaxPadding {
			return nil, ErrPadding
		}
		return parse(2, data[4:4+length])
	}

	// v1, x = 0.
	aesKey, aesIV = Derive(1, key, msgKey, 0)
	block, err = aes.NewCipher(aesKey)
	if err != nil {
		return nil, err
	}
	ige.DecryptBlocks(block, aesIV, data, ct)
	length := int(int32(binary.LittleEndian.Uint32(data)))
	if length < 0 || length > len(data)-4 {
		return nil, ErrMsgKey
	}
	if subtle.ConstantTimeCompare(MsgKey(1, key, data[:4+length], 0), msgKey) != 1 {
		return nil, ErrMsgKey
	}
	if length == 0 || length%4 != 0 {
		return nil, ErrLength
	}
	if len(data)-4-length > 15 {
		return nil, ErrPadding
	}
	return parse(1, data[4:4+length])
}

func parse(version int, tl []byte) (*Message, error) {
	b := bin.Buffer{Buf: tl}
	if err := b.ConsumeID(LayerTypeID); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEnvelope, err)
	}
	randomBytes, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: random_bytes: %v", ErrEnvelope, err)
	}
	if len(randomBytes) < MinRandomBytes {
		return nil, ErrRandomBytes
	}
	var ints [3]int
	for i := range ints {
		if ints[i], err = b.Int(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEnvelope, err)
		}
	}
	if version == 1 && ints[0] >= MTProto2Layer {
		return nil, ErrV1Layer
	}
	if b.Len() < 4 {
		return nil, fmt.Errorf("%w: no message", ErrEnvelope)
	}
	return &Message{
		Version:     version,
		Layer:       ints[0],
		InSeqNo:     ints[1],
		OutSeqNo:    ints[2],
		RandomBytes: randomBytes,
		Body:        bytes.Clone(b.Buf),
	}, nil
}
