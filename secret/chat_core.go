package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"slices"
)

// A core is the state without the wire bytes of the sent messages kept for
// Resend, which the caller keeps instead, as an append-only log by index
// (SentRange, SentWire): a chat whose peer is silent keeps up to
// Config.MaxStored of them, and a state that holds them grows with each,
// while a caller saving after every message appends only the new one to
// its log and rewrites a core of constant size.
//
// The core authenticates the messages it leaves out with a hash chain over
// them: the value at index base (the first kept message) is any 32 bytes,
// and the value at i+1 is
//
//	SHA-256(value at i || i (uint32) || length of message i (uint32) || SHA-256(message i))
//
// The core's "sent" field holds the count end-base and the values at base
// and at end; its checksum (SHA-256 of everything before it) covers them.
// RestoreChatCore recomputes the chain from the value at base over the
// messages it is given and must reach the value at end: one altered,
// missing, reordered or foreign message would need a SHA-256 collision to
// pass. The Chat keeps every value from base to end (sentDigests.chain),
// so an acknowledgement moves base without rehashing anything, and each
// message is hashed once, when the first core after it is written (its
// SHA-256 is the one the version 3 checksum uses too). When base has moved
// past every value computed (messages sent and acknowledged between two
// cores), the chain starts anew from zero at base: the core records the
// value there, whatever it is.

// AppendCore appends to dst the chat's core: its state (as AppendBinary)
// without the wire bytes of the sent messages it keeps for Resend, indices
// SentRange, and returns the extended buffer. RestoreChatCore, given the
// core and those messages (SentWire), restores the same Chat as
// RestoreChat of AppendBinary's state. The core's size does not depend on
// the number of kept messages, nor does its cost once each message has
// been hashed, in the first AppendCore after it was sent; into a buffer
// large enough it allocates nothing. On error dst is returned unchanged.
// The core holds keys: store it, and clear it, as AppendBinary's state.
func (c *Chat) AppendCore(dst []byte) ([]byte, error) { return c.appendState(dst, true) }

// SentRange returns the indices [base, end) of the sent messages the chat
// keeps for Resend. Index i is the i-th sequenced message this chat has
// sent, counting from 0 across re-keys, so end is the number sent; base
// rises as the peer acknowledges them, or as Config.MaxStored drops the
// oldest. A caller keeping them in a log appends SentWire(i) for every i it
// has not yet (end grows with every message sent) before it writes the
// core: RestoreChatCore asks only for the core's range, so a log ahead of
// the core is harmless, one behind it is not. It may drop the messages
// below base once that core is written. A chat restored from a core older
// than the log sends the indices past the core's end again, with other
// bytes: the log must give the last wire appended for an index.
func (c *Chat) SentRange() (base, end uint32) { return c.sentBase, c.sentBase + uint32(c.sent.n) }

// SentWire returns the wire bytes of kept sent message i (base <= i < end
// of SentRange), the packet that was sent and that a Resend serves; nil
// outside the range. The slice is the Chat's own and is valid until the
// next call that changes the chat (its buffer is then reused): copy it to
// keep it.
func (c *Chat) SentWire(i uint32) []byte {
	base, end := c.SentRange()
	if i < base || i >= end {
		return nil
	}
	w := c.sent.at(int(i - base))
	return w[:len(w):len(w)]
}

// RestoreChatCore returns the Chat persisted in core, a core written by
// AppendCore, with cfg as its configuration (see RestoreChat). sent(i)
// returns the wire bytes of sent message i, as SentWire returned them,
// for every i of the core's SentRange, in order (ok false if the caller
// has none); the Chat keeps copies. A message missing or different from the
// one the core was written with, and whatever RestoreChat refuses, is
// ErrCorruptChat: nothing is restored. Full states (MarshalBinary, of any
// version RestoreChat restores) restore as with RestoreChat, without
// calling sent, so a store written before cores still loads. Call Tick
// after it.
func RestoreChatCore(core []byte, sent func(i uint32) (wire []byte, ok bool), cfg Config) (*Chat, error) {
	if sent == nil {
		sent = func(uint32) ([]byte, bool) { return nil, false }
	}
	return restore(core, cfg, sent)
}

// walkSentChain is the "sent" field of a core: the number of kept sent
// messages and the chain values at both ends, which reading leaves in
// s.chain for restoreSent.
func walkSentChain(s *stateIO, c *Chat) {
	n := uint32(c.sent.n)
	s.u32(&n)
	s.check(c.sentBase+n == c.out, "sent messages")
	if !s.reading {
		first, last := c.sentSums.chainEnds(c)
		s.chain = [2][sha256.Size]byte{*first, *last}
	}
	s.fixed(s.chain[0][:])
	s.fixed(s.chain[1][:])
}

// restoreSent gets from sent the messages a core restored into c left out
// and checks them against the core's chain values.
func (c *Chat) restoreSent(s *stateIO, sent func(i uint32) ([]byte, bool)) error {
	for i := c.sentBase; i < c.out; i++ {
		w, ok := sent(i)
		if !ok {
			return fmt.Errorf("%w: sent message %d missing", ErrCorruptChat, i)
		}
		if len(w) < Overhead+16 {
			return fmt.Errorf("%w: sent message %d of %d bytes", ErrCorruptChat, i, len(w))
		}
		c.sent.push(slices.Clone(w))
	}
	d := &c.sentSums
	d.base = c.sentBase
	d.chain.clear()
	d.chain.push(s.chain[0])
	if _, end := d.chainEnds(c); subtle.ConstantTimeCompare(end[:], s.chain[1][:]) != 1 {
		return fmt.Errorf("%w: the sent messages are not those of the core", ErrCorruptChat)
	}
	return nil
}

// chainEnds returns the chain values at the first kept sent message and
// past the last, extending the chain over the messages sent since the last
// call.
func (d *sentDigests) chainEnds(c *Chat) (first, last *[sha256.Size]byte) {
	d.advance(c)
	if d.chain.len() == 0 {
		d.chain.push([sha256.Size]byte{})
	}
	for k := d.chain.len() - 1; k < c.sent.n; k++ {
		d.chain.push(chainLink(d.chain.at(k), d.base+uint32(k), len(c.sent.at(k)), d.sum(c, k)))
	}
	return d.chain.at(0), d.chain.at(c.sent.n)
}

// chainLink is the chain value after message i of n bytes and SHA-256 sum,
// from prev, the value before it.
func chainLink(prev *[sha256.Size]byte, i uint32, n int, sum *[sha256.Size]byte) [sha256.Size]byte {
	var b [2*sha256.Size + 8]byte
	copy(b[:], prev[:])
	binary.LittleEndian.PutUint32(b[sha256.Size:], i)
	binary.LittleEndian.PutUint32(b[sha256.Size+4:], uint32(n))
	copy(b[sha256.Size+8:], sum[:])
	return sha256.Sum256(b[:])
}
