package secret

import (
	"errors"
	"fmt"
	"io"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg/e2e"
)

// EncryptMessage is Encrypt for a message given as a gotd/td value
// (e2e.DecryptedMessage, e2e.DecryptedMessageService with any action, the
// layer 8/23/46 forms...). It encodes msg into a buffer the Codec keeps, so
// a steady state allocates only what gotd's encoder does.
func (c *Codec) EncryptMessage(dst []byte, h Header, msg e2e.DecryptedMessageClass) ([]byte, error) {
	if msg == nil {
		return dst, fmt.Errorf("%w: nil message", ErrMalformedTL)
	}
	c.tl.Buf = c.tl.Buf[:0]
	if err := msg.Encode(&c.tl); err != nil {
		return dst, fmt.Errorf("%w: %v", ErrMalformedTL, err)
	}
	return c.Encrypt(dst, h, c.tl.Buf)
}

// DecryptMessage is Decrypt followed by DecodeMessage: it returns the
// message as a gotd/td value, parsed to its end. It allocates.
func (c *Codec) DecryptMessage(wire []byte) (Header, e2e.DecryptedMessageClass, error) {
	body, h, err := c.Decrypt(nil, wire)
	if err != nil {
		return Header{}, nil, err
	}
	msg, err := DecodeMessage(body)
	if err != nil {
		return Header{}, nil, err
	}
	return h, msg, nil
}

// DecodeMessage decodes the TL bytes of a DecryptedMessage (a body returned
// by Decrypt) with gotd/td's generated schema. The object must use all of
// body: ErrTrailingBytes otherwise. An unknown constructor anywhere in it
// gives ErrUnknownConstructor, any other decoding failure ErrMalformedTL.
// It never panics.
func DecodeMessage(body []byte) (msg e2e.DecryptedMessageClass, err error) {
	b := bin.Buffer{Buf: body}
	if err := decodeGuarded(func() (err error) {
		msg, err = e2e.DecodeDecryptedMessage(&b)
		return err
	}); err != nil {
		return nil, err
	}
	if b.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after %s", ErrTrailingBytes, b.Len(), msg.TypeName())
	}
	return msg, nil
}

// DecodeLayer decodes a whole decryptedMessageLayer (the TL after the length
// prefix) with gotd/td, with the same rules as DecodeMessage. The hot path
// does not use it; it is there for callers and tests that want gotd's view
// of an envelope.
func DecodeLayer(tl []byte) (*e2e.DecryptedMessageLayer, error) {
	b := bin.Buffer{Buf: tl}
	var l e2e.DecryptedMessageLayer
	if err := decodeGuarded(func() error { return l.Decode(&b) }); err != nil {
		return nil, err
	}
	if b.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after decryptedMessageLayer", ErrTrailingBytes, b.Len())
	}
	return &l, nil
}

// decodeGuarded runs a gotd decoder and maps its errors onto ours. gotd's
// decoders are bounds-checked; the recover is a second line of defence so
// that a bug in generated code cannot crash a client on hostile input.
func decodeGuarded(decode func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: decoder panic: %v", ErrMalformedTL, r)
		}
	}()
	if err := decode(); err != nil {
		var unexpected *bin.UnexpectedIDErr
		if errors.As(err, &unexpected) {
			return fmt.Errorf("%w: %v", ErrUnknownConstructor, err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: truncated: %v", ErrMalformedTL, err)
		}
		return fmt.Errorf("%w: %v", ErrMalformedTL, err)
	}
	return nil
}
