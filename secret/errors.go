package secret

import "errors"

// Receive errors. Every failed check of a received message returns an error
// that matches exactly one of these with errors.Is (some are wrapped with
// detail). They are listed in the order the checks run.
var (
	// ErrUnknownKey: the key_fingerprint does not name the codec's key.
	ErrUnknownKey = errors.New("secret: key_fingerprint does not match the key")
	// ErrMessageSize: the wire message is shorter than 40 bytes, or its
	// ciphertext is not a multiple of 16 bytes. (Shorter than the 8-byte
	// fingerprint: this error, before ErrUnknownKey.)
	ErrMessageSize = errors.New("secret: wire message size: not key_fingerprint || msg_key || whole AES blocks")
	// ErrMsgKey: the msg_key recomputed from the decrypted message differs
	// from the received one under both v2 and v1 (wrong key, wrong role or a
	// modified message).
	ErrMsgKey = errors.New("secret: msg_key mismatch")
	// ErrLength: the int32 length prefix is not positive, not a multiple of 4,
	// or larger than the decrypted data.
	ErrLength = errors.New("secret: bad length prefix")
	// ErrPadding: v2 padding outside 12..1024 bytes, or v1 padding of 16
	// bytes or more.
	ErrPadding = errors.New("secret: padding out of range")
	// ErrEnvelope: the decryptedMessageLayer envelope is truncated or
	// malformed (a TL field runs past the end of the message).
	ErrEnvelope = errors.New("secret: malformed decryptedMessageLayer")
	// ErrUnknownConstructor: a constructor id that is not the one expected
	// (decryptedMessageLayer for the envelope, a DecryptedMessage for the
	// body, a known type inside a body).
	ErrUnknownConstructor = errors.New("secret: unknown TL constructor")
	// ErrShortRandomBytes: random_bytes shorter than 15 bytes; the message
	// must be dropped. Encrypt returns it too for Header.RandomBytes in 1..14.
	ErrShortRandomBytes = errors.New("secret: random_bytes shorter than 15 bytes")
	// ErrV1Layer: a message of layer >= 73 that decrypts only with v1.
	// Encrypt returns it too for Version V1 with Layer >= 73.
	ErrV1Layer = errors.New("secret: MTProto 1.0 (v1) message with layer >= 73")
)

// Errors of the TL side ([DecodeMessage], [Codec.EncryptMessage]) and of
// Encrypt's arguments.
var (
	// ErrTrailingBytes: the TL object ends before the data does.
	ErrTrailingBytes = errors.New("secret: trailing bytes after TL object")
	// ErrMalformedTL: the TL object cannot be decoded (truncated, bad length
	// or flag fields) or encoded (a required field is nil).
	ErrMalformedTL = errors.New("secret: malformed TL object")
	// ErrBody: a raw body given to Encrypt is not a TL object: its length
	// is not a positive multiple of 4.
	ErrBody = errors.New("secret: body length must be a positive multiple of 4")
	// ErrTooLong: the message does not fit a TL bytes or int32 length.
	ErrTooLong = errors.New("secret: message too long")
	// ErrVersion: a Version other than 0, V1 or V2.
	ErrVersion = errors.New("secret: unknown protocol version")
)

// Key exchange errors.
var (
	// ErrKeySize: a key that is not 256 bytes.
	ErrKeySize = errors.New("secret: key must be 256 bytes")
	// ErrKeyFingerprint: the key computed on completion does not have the
	// fingerprint the peer sent. The exchange has failed: the caller must
	// discard the chat (messages.discardEncryption) and tell the user.
	ErrKeyFingerprint = errors.New("secret: key fingerprint mismatch, discard the chat")
	// ErrServerRandom: a server random that is not 256 bytes.
	ErrServerRandom = errors.New("secret: server random must be 256 bytes")
)
