// Package filecrypt encrypts and decrypts the files of Telegram secret chats:
// one AES-256-IGE stream over the whole file under a random key and iv, the
// end padded to a whole block with random bytes, uploaded and downloaded in
// parts, in constant memory whatever the file size.
//
// See https://core.telegram.org/api/end-to-end#sending-encrypted-files and
// https://core.telegram.org/api/files for the protocol, and section 7 of the
// project's docs/PROTOCOL.md for the rules implemented here.
//
// # Keys
//
// NewKey draws a Key (32-byte key, 32-byte iv) from crypto/rand or a given
// reader. Key and iv travel inside the secret-chat message
// (decryptedMessageMedia*); Key.Fingerprint, kdf.FileFingerprint of the two,
// travels beside the file.
//
// # Streams
//
// A Writer encrypts whatever is written to it into an io.Writer; Close pads
// the last block with random bytes and writes it. A Reader decrypts the
// ciphertext from an io.Reader and returns exactly the declared plaintext
// size. Any chunking of writes and reads gives the same bytes. Each holds
// one 32 KiB buffer and allocates nothing per call; errors of the
// underlying stream come back unchanged (errors.Is finds them) and stay;
// Close is idempotent and any use after it is ErrClosed. Streams have no
// size limit of their own; the 4000-part rule below limits uploads.
//
// # Parts
//
// PartSize is the upload part-size rule: the smallest of 64, 128, 256 and
// 512 KiB with which the file needs at most 4000 parts; larger files are
// ErrTooLarge. An Upload produces the encrypted parts in order (Next reads
// the plaintext from an io.Reader; Encrypt takes it from memory) and keeps
// the 32-byte chaining state at every part boundary, so Reencrypt can
// produce any earlier part again on its own, byte for byte, for a retry.
//
// A Download decrypts parts in order, in a part size of its own choosing,
// checking each part's index and length. Its state (key, chaining state,
// part index, bytes done; 96 bytes) round-trips through MarshalBinary and
// UnmarshalBinary, so an interrupted download resumes at Offset, the first
// part not yet decrypted. A damaged state is ErrState, never a panic. The
// state holds the file key: store it as carefully as the key.
//
// # Several files
//
// One IGE stream is serial: its speed is bounded by AES latency. A client
// that moves several files at once can advance all of them by one part in
// a single EncryptParts or DecryptParts call, which hands the streams to
// ige.EncryptBatch or ige.DecryptBatch to be interleaved, where the bound is
// AES throughput instead.
//
// # No integrity
//
// IGE is not authenticated, and nothing else in the file protocol is: a
// wrong key, a wrong iv or a damaged file decrypts without any error, to
// garbage. Precisely, decryption computes x_i = D(y_i xor x_{i-1}) xor
// y_{i-1}, so:
//
//   - a wrong key or wrong iv garbles the whole file (a wrong y_-1 alone
//     shifts block 0 by exactly the xor difference, then garbles the rest);
//   - a damaged ciphertext block y_j garbles plaintext block j and, through
//     x_j, every block after it to the end of the file ("infinite garble");
//     blocks before j are intact, so damage near the end garbles little;
//   - removed or added whole blocks at the end go unnoticed by the mode;
//     only the declared size catches them;
//   - resuming a download from a wrong or stale state garbles from there.
//
// So the caller must check what can be checked: that the fingerprint beside
// the file equals Key.Fingerprint of the key and iv in the message (this
// catches a key that does not belong to the file, not a damaged file); that
// the ciphertext is exactly the declared size rounded up to a block (Reader
// and Download enforce it: ErrTruncated, ErrTrailingData, ErrPartSize); and
// that the content agrees with the message's own fields (size, mime type,
// dimensions, thumbnail), treating it as untrusted input everywhere. The
// padding bytes are random and not checked.
package filecrypt
