package secret

import (
	"encoding/binary"
	"fmt"

	"github.com/gotd/td/tg/e2e"
	"github.com/secretbench/secretbench/kdf"
)

// Layers worth knowing (docs/PROTOCOL.md section 9).
const (
	// CurrentLayer is the newest secret chat layer this package knows.
	CurrentLayer = 144
	// MTProto2Layer is the first layer that must be encrypted with v2.
	MTProto2Layer = 73
)

// Sizes of the envelope and of the padding.
const (
	// MinRandomBytes is the shortest random_bytes a receiver accepts and
	// the default length Encrypt sends.
	MinRandomBytes = 15
	// MaxRandomBytes is the longest random_bytes Encrypt sends (TL bytes
	// hold up to 2^24-1 bytes; more than this is pointless).
	MaxRandomBytes = 1 << 16
	// MinPadding and MaxPadding bound the v2 padding.
	MinPadding = 12
	MaxPadding = 1024
	// Overhead is the part of a wire message before the ciphertext:
	// key_fingerprint (8 bytes) and msg_key (16 bytes).
	Overhead = 24

	maxTL = 1<<31 - 1 - 16 - MaxPadding // the length prefix is an int32
)

// layerTypeID is decryptedMessageLayer#1be31789.
const layerTypeID = e2e.DecryptedMessageLayerTypeID

// Header holds the fields of the decryptedMessageLayer envelope and the
// protocol version of one message. Encrypt reads it; Decrypt fills it.
type Header struct {
	// Version is kdf.V1 or kdf.V2. On Encrypt, zero means V2 for Layer >= 73
	// and V1 below.
	Version kdf.Version
	// Layer is the layer the envelope announces.
	Layer int32
	// InSeqNo and OutSeqNo are the sequence numbers, already in wire form
	// (2*count + parity); this package does not interpret them.
	InSeqNo, OutSeqNo int32
	// RandomBytes is the length of random_bytes. On Encrypt, zero means
	// MinRandomBytes; 1..14 is refused with ErrShortRandomBytes.
	RandomBytes int
}

// knownMessage reports whether id is a DecryptedMessage constructor.
func knownMessage(id uint32) bool {
	switch id {
	case e2e.DecryptedMessageTypeID, e2e.DecryptedMessage46TypeID,
		e2e.DecryptedMessage23TypeID, e2e.DecryptedMessage8TypeID,
		e2e.DecryptedMessageServiceTypeID, e2e.DecryptedMessageService8TypeID:
		return true
	}
	return false
}

// tlBytesHeader is the length of the TL header of a bytes field of n bytes;
// tlBytesSize the whole field with its alignment.
func tlBytesHeader(n int) int {
	if n <= 253 {
		return 1
	}
	return 4
}

func tlBytesSize(n int) int { return (tlBytesHeader(n) + n + 3) &^ 3 }

// envelopeSize is the TL size of decryptedMessageLayer around a body.
func envelopeSize(randomBytes, body int) int {
	return 4 + tlBytesSize(randomBytes) + 12 + body
}

// randomOffset is where random_bytes start, from the start of the data
// (after the 4-byte length prefix and the constructor id).
func randomOffset(randomBytes int) int { return 8 + tlBytesHeader(randomBytes) }

// putEnvelope writes the length prefix and the envelope around random_bytes
// that are already in place: data[randomOffset(n):][:n] is left alone, the
// body is copied after the header. data must hold exactly 4 + envelopeSize.
func putEnvelope(data []byte, h *Header, body []byte) {
	n := h.RandomBytes
	binary.LittleEndian.PutUint32(data[0:], uint32(len(data)-4))
	binary.LittleEndian.PutUint32(data[4:], layerTypeID)
	p := 8
	if n <= 253 {
		data[p] = byte(n)
		p++
	} else {
		data[p] = 254
		data[p+1] = byte(n)
		data[p+2] = byte(n >> 8)
		data[p+3] = byte(n >> 16)
		p += 4
	}
	p += n
	for ; p%4 != 0; p++ {
		data[p] = 0
	}
	binary.LittleEndian.PutUint32(data[p:], uint32(h.Layer))
	binary.LittleEndian.PutUint32(data[p+4:], uint32(h.InSeqNo))
	binary.LittleEndian.PutUint32(data[p+8:], uint32(h.OutSeqNo))
	copy(data[p+12:], body)
}

// parseEnvelope parses tl, the bytes covered by the length prefix, as
// decryptedMessageLayer. It fills h (except Version) and returns the offset
// of the body in tl. The body is checked to start with a DecryptedMessage
// constructor; its inside is not parsed (see DecodeMessage).
func parseEnvelope(tl []byte, h *Header) (int, error) {
	if len(tl) < 4 {
		return 0, fmt.Errorf("%w: %d bytes", ErrEnvelope, len(tl))
	}
	if id := binary.LittleEndian.Uint32(tl); id != layerTypeID {
		return 0, fmt.Errorf("%w: envelope #%08x, want decryptedMessageLayer#%08x", ErrUnknownConstructor, id, layerTypeID)
	}
	p := 4
	if p >= len(tl) {
		return 0, fmt.Errorf("%w: no random_bytes", ErrEnvelope)
	}
	n, hdr := int(tl[p]), 1
	switch n {
	case 254:
		if len(tl)-p < 4 {
			return 0, fmt.Errorf("%w: random_bytes length truncated", ErrEnvelope)
		}
		n, hdr = int(tl[p+1])|int(tl[p+2])<<8|int(tl[p+3])<<16, 4
	case 255:
		return 0, fmt.Errorf("%w: random_bytes length byte 255", ErrEnvelope)
	}
	size := (hdr + n + 3) &^ 3
	if size > len(tl)-p {
		return 0, fmt.Errorf("%w: random_bytes of %d bytes past the end", ErrEnvelope, n)
	}
	if n < MinRandomBytes {
		return 0, ErrShortRandomBytes
	}
	p += size
	if len(tl)-p < 12 {
		return 0, fmt.Errorf("%w: layer and seq_no truncated", ErrEnvelope)
	}
	h.RandomBytes = n
	h.Layer = int32(binary.LittleEndian.Uint32(tl[p:]))
	h.InSeqNo = int32(binary.LittleEndian.Uint32(tl[p+4:]))
	h.OutSeqNo = int32(binary.LittleEndian.Uint32(tl[p+8:]))
	p += 12
	if len(tl)-p < 4 {
		return 0, fmt.Errorf("%w: no message", ErrEnvelope)
	}
	if id := binary.LittleEndian.Uint32(tl[p:]); !knownMessage(id) {
		return 0, fmt.Errorf("%w: message #%08x", ErrUnknownConstructor, id)
	}
	return p, nil
}
