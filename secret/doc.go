// Package secret implements the cryptography of Telegram secret chats
// (MTProto end-to-end encryption): the Diffie-Hellman key exchange and the
// message pipeline in both protocol versions, every receive check included.
//
// The pipeline is
//
//	TL message -> decryptedMessageLayer envelope -> int32 length prefix
//	  -> msg_key -> padding -> key derivation -> AES-256-IGE -> wire
//
// and back. On the wire a message is key_fingerprint (8 bytes) || msg_key
// (16) || ciphertext.
//
// # Specification
//
//   - Base text (MTProto 1.0, here "v1": SHA-1, x = 0):
//     https://core.telegram.org/api/end-to-end
//   - MTProto 2.0 ("v2", layer 73 and up: SHA-256, x by role, 12..1024
//     bytes of padding): https://core.telegram.org/api/end-to-end#sending-and-receiving-messages-in-a-secret-chat
//   - The project's summary with test vectors: docs/PROTOCOL.md, sections 2
//     (key derivation and receive checks), 3 (fingerprints), 4 (Diffie-Hellman).
//
// # Keys
//
// A [Key] is the 256-byte shared key with its key_fingerprint. Both sides
// build it with a [DH] (the parameters g and p from messages.getDhConfig):
//
//	originator: ex, _ := dh.Request(serverRandom)   // send ex.GA()
//	responder:  gB, key, _ := dh.Accept(gA, nil)    // send gB, key.Fingerprint()
//	originator: key, err := ex.Complete(gB, fp)     // ErrKeyFingerprint: discard the chat
//
// (g, p) go through [dhcheck.Checker.CheckParams] (cached; the well-known
// prime is known without testing), and every public value, our own
// included, through [dhcheck.CheckPublic]. Secret exponents are 2048 random
// bits, XORed with the server's random when it sent one; exponentiation with
// them is constant-time. The shared key is left-padded to 256 bytes. An
// [Exchange] in flight can be persisted with MarshalBinary.
//
// # Messages
//
// A [Codec] is one side ([Originator] or [Responder]) of a chat under one
// key. [Codec.Encrypt] takes the TL bytes of a DecryptedMessage and a
// [Header] (version, layer, in_seq_no, out_seq_no, length of random_bytes),
// builds the envelope and appends the wire message to a caller's buffer.
// [Codec.Decrypt] checks and decrypts a wire message, appends the body to a
// caller's buffer and returns the Header. Both allocate nothing once the
// buffers are large enough: the Codec re-keys one AES schedule per message.
// A Codec is not safe for concurrent use; create one per goroutine (they may
// share a Key).
//
// The Header is how a chat state machine sits on top: it sets the sequence
// numbers and layer on the way out and reads them on the way in; this
// package does not interpret them. The version is explicit in the Header
// (zero means v2 for layer >= 73, v1 below).
//
// Message bodies can also be given and taken as gotd/td values
// (github.com/gotd/td/tg/e2e) with [Codec.EncryptMessage],
// [Codec.DecryptMessage] and [DecodeMessage], so a gotd-based client passes
// its own values straight in. The envelope and the length prefix are this
// package's own code on the hot path, tested byte for byte against gotd's
// encoding.
//
// # Receive checks
//
// Decrypt tries v2 first (the sender's x is the other role's), then v1. It
// fails with one of these errors (match with errors.Is), in this order:
//
//   - [ErrUnknownKey]: key_fingerprint is not the codec's key (with two keys
//     during a re-key, pick the Codec with [PeekFingerprint]);
//   - [ErrMessageSize]: shorter than 40 bytes or not whole AES blocks (a
//     message too short to hold a fingerprint fails here first);
//   - [ErrMsgKey]: msg_key differs (constant-time compare) under v2 and v1;
//   - [ErrLength]: length prefix not in 1..size-4 or not a multiple of 4;
//   - [ErrPadding]: v2 padding outside 12..1024, v1 padding of 16 or more;
//   - [ErrEnvelope], [ErrUnknownConstructor]: the envelope is truncated, or
//     is not decryptedMessageLayer, or does not carry a DecryptedMessage;
//   - [ErrShortRandomBytes]: random_bytes shorter than 15 bytes (drop it);
//   - [ErrV1Layer]: layer >= 73 in a message that decrypts only with v1.
//
// For v1, msg_key covers only the unpadded data, so a v1 length prefix that
// points past the data cannot be authenticated and gives ErrMsgKey. A Codec
// made [WithoutV1] does not try v1: [ErrV1Refused] takes the place of
// ErrMsgKey and of the v1 verdicts.
//
// Until a msg_key verifies, nothing depends on the decrypted bytes: the time
// of a rejection would otherwise tell whoever forged the message something
// about its plaintext, the kind of leak behind the attacks of Albrecht,
// Mareková, Paterson and Stepanovs on Telegram clients (IEEE S&P 2022). v2
// decrypts and hashes the whole message before the compare and reads the
// length and padding only after it (so a v1 message pays for the v2 attempt
// first). v1 needs the length to know what msg_key covers: it hashes that
// prefix with [kdf.MsgKeyV1Prefix], in time that depends only on the message
// size, and folds the length's range check into the compare, so an unusable
// length costs what a wrong msg_key costs. The dudect checks in
// dudect_test.go measure this (SECRETBENCH_DUDECT=1). The hot
// path checks the body's constructor but does not parse it; DecodeMessage
// (or DecryptMessage) parses it with gotd/td to its end, rejecting trailing
// bytes ([ErrTrailingBytes]) and unknown constructors. A layer above our own
// is not an error: compare Header.Layer with [CurrentLayer].
//
// # Randomness
//
// random_bytes, padding and exponents come from an injectable io.Reader
// ([WithRand], DH.Rand), crypto/rand by default. The read order is fixed
// (see WithRand) and shared with the reference pipeline in internal/reference,
// so a deterministic reader reproduces a wire message byte for byte.
//
// # Batches
//
// [Codec.DecryptBatch] decrypts many messages (the backlog after a
// reconnect) with their IGE chains interleaved by [ige.DecryptBatch]. What
// is left is hashing; it runs two messages at a time (below).
//
// # Chats
//
// [Chat] is the state machine on top of the Codec for one side of a secret
// chat after the key exchange: sequence numbers with their parity checks,
// gap queueing and Resend requests, the peer's layer and NotifyLayer
// messages, the choice of v1 or v2 by layer, re-keying for perfect forward
// secrecy (RequestKey, AcceptKey, CommitKey, AbortKey, Noop, with the old
// and new key both decrypting until the switch), and persistence of the
// whole state with [Chat.MarshalBinary] and [RestoreChat] (or of a core
// with [Chat.AppendCore] and [RestoreChatCore], the sent messages kept
// for Resend in the caller's log). [Chat.Receive]
// returns one outcome per packet: processed, queued (a gap), dropped (with
// the reason) or an abort (with the reason). Clock and randomness are
// injectable through [Config].
//
// Outcomes and errors (match with errors.Is):
//
//   - dropped, the chat goes on: [ErrDuplicate], [ErrStaleKey],
//     [ErrQueueFull] (too far ahead of a gap to queue: asked for again once
//     it fits; a Resend in it is still served), and every Decrypt error;
//   - aborted, on the packet: [ErrSeqParity], [ErrInSeqNo],
//     [ErrRekeyFailed], and [ErrResendUnavailable] when the peer asks for
//     messages this side no longer holds (never sent by this state, or
//     forgotten past Config.MaxStored while the peer asks again after
//     Config.RetryAfter without having received them);
//   - aborted, by [Chat.Tick]: [ErrGapUnfilled] when Config.MaxAsks is set
//     and a gap was asked for that many times;
//   - after an abort every call fails with [ErrChatAborted], wrapping the
//     reason, which [Chat.Err] returns and the persisted state keeps.
//
// On an abort the client discards the chat (messages.discardEncryption);
// the server tells the peer, whose client discards its side.
//
// Gap recovery cannot starve: each run of missing messages keeps its own
// retry deadline and is asked for again Config.RetryAfter after it was
// last asked for (by Tick, or by the next Receive), however many gaps open
// meanwhile; due gaps close together share one Resend. A Resend from the
// peer is served when it arrives, even behind a gap or with the queue
// full. So a gap either fills, or ends the chat with a documented error: a
// peer that cannot serve it aborts (the seq_no rule: "unable to satisfy the
// request, it must abort"), and with MaxAsks the waiting side gives up.
// TestChatSimulation checks this over a lossy network (up to 30% loss,
// reordering, duplicates, crashes, re-keys, week-long clock jumps; more
// seeds with SECRETBENCH_LONG=1) and bounds how long a message waits.
//
// The persisted state is versioned and written from one field table that
// both MarshalBinary and RestoreChat walk; states of earlier versions
// restore. A caller that saves after every message uses [Chat.AppendBinary]
// into one buffer; its checksum hashes each stored sent message once (the
// digests are cached), not the whole resend log in every save. The state
// still holds that log (up to Config.MaxStored messages while the peer is
// silent), so such a caller may split it: [Chat.AppendCore] writes the
// state without the log, at a constant size and cost and without
// allocating, and the caller appends each new sent message to a log of
// its own ([Chat.SentRange], [Chat.SentWire]). [RestoreChatCore] takes the
// core and a function returning message i from the log; the core's hash
// chain over the messages (the values at the first and past the last kept
// one) makes a missing, altered or foreign message [ErrCorruptChat]. It
// restores full states too, and [RestoreChat] refuses a core.
//
// # Speed
//
// One message is bound by two serial chains: SHA-256 over the padded
// message (msg_key) and AES-256-IGE over it, plus the key derivation. The
// Codec adds little to them: no allocation, one AES key schedule per
// message, and the two hashes of the v2 key derivation run side by side
// through package kdf's two-lane SHA-NI kernel where the CPU has one.
// On the way in the two chains are independent (the hash is over the
// plaintext the decryption produces), so Decrypt interleaves them in groups
// of 64 bytes and runs below their serial sum; on the way out msg_key must
// be known before the AES key is, so Encrypt cannot. DecryptBatch also
// pairs the msg_key hashes of consecutive messages. BenchmarkPipeline
// compares the Codec with internal/reference and with the serial sum
// (impl=floor), in wall time and in thread CPU time (cpu-ns/op, the steadier
// figure on a shared machine).
package secret
