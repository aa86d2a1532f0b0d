package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/secretbench/secretbench/kdf"
)

// Persistence of a Chat. The state is
//
//	"SBCHAT" version(1) fields... SHA-256(everything before)
//
// with every integer little-endian. The trailing hash makes any corruption
// (a flipped bit in a key included) an error instead of a chat that
// silently fails later. The state holds the keys, the secret exponent of
// an exchange in flight, queued plaintexts and sent messages: store it as
// carefully as a key.

const (
	chatMagic   = "SBCHAT"
	chatVersion = 1
)

// Abort reasons as stored.
var abortKinds = []error{nil, ErrSeqParity, ErrInSeqNo, ErrRekeyFailed}

// MarshalBinary encodes the whole state of the chat: keys (current, and
// the old or the new one during a re-key) with their creation times (wall
// clock) and counters, layers, sequence counters, the exchange in flight
// with its secret exponent, queued messages and stored sent messages. The
// Config is not part of it.
func (c *Chat) MarshalBinary() ([]byte, error) {
	w := make([]byte, 0, 1024+c.sent.n*64)
	w = append(w, chatMagic...)
	w = append(w, chatVersion, byte(c.role))
	w = le32(w, uint32(c.layer))
	w = le32(w, uint32(c.peerLayer))
	w = le64(w, uint64(c.created))
	code := 0
	if c.aborted != nil {
		code = len(abortKinds) // any other reason
		for i, k := range abortKinds[1:] {
			if errors.Is(c.aborted, k) {
				code = i + 1
				break
			}
		}
	}
	w = append(w, byte(code))
	w = append(w, c.vis[:]...)
	w = appendBool(w, c.vis46)
	for _, k := range []*chatKey{c.cur, c.prev, c.next} {
		w = appendBool(w, k != nil)
		if k != nil {
			w = append(w, k.key.k[:]...)
			w = le64(w, uint64(k.created))
			w = le32(w, k.sent)
			w = le32(w, k.recv)
		}
	}
	for _, fp := range c.stale {
		w = le64(w, uint64(fp))
	}
	w = append(w, byte(c.ex.phase))
	w = le64(w, uint64(c.ex.id))
	var req []byte
	if c.ex.req != nil {
		var err error
		if req, err = c.ex.req.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	w = le32(w, uint32(len(req)))
	w = append(w, req...)
	clear(req)
	for _, v := range []uint32{c.in, c.out, c.peerIn, c.askedTo, c.sentBase, uint32(min(c.unserved, math.MaxInt32))} {
		w = le32(w, v)
	}
	w = le64(w, uint64(c.askedAt))
	w = le64(w, uint64(c.rekeyAfter))
	keys := make([]uint32, 0, len(c.queue))
	for o := range c.queue {
		keys = append(keys, o)
	}
	slices.Sort(keys)
	w = le32(w, uint32(len(keys)))
	for _, o := range keys {
		q := c.queue[o]
		w = le32(w, o)
		w = append(w, byte(q.h.Version))
		w = le32(w, uint32(q.h.Layer))
		w = le32(w, uint32(q.h.InSeqNo))
		w = le32(w, uint32(q.h.OutSeqNo))
		w = le32(w, uint32(q.h.RandomBytes))
		w = le64(w, uint64(q.fp))
		w = appendBool(w, q.served)
		w = le32(w, uint32(len(q.body)))
		w = append(w, q.body...)
	}
	w = le32(w, uint32(c.sent.n))
	for i := range c.sent.n {
		m := c.sent.at(i)
		w = le32(w, uint32(len(m)))
		w = append(w, m...)
	}
	sum := sha256.Sum256(w)
	return append(w, sum[:]...), nil
}

// UnmarshalBinary restores a state written by MarshalBinary into c, keeping
// c's Config (a zero Chat gets the defaults of a zero Config; use
// RestoreChat to give one). A truncated, corrupt or inconsistent state is
// ErrCorruptChat and leaves c unchanged; it never panics.
func (c *Chat) UnmarshalBinary(data []byte) error {
	cfg := c.cfg
	n, err := restore(data, cfg)
	if err != nil {
		return err
	}
	*c = *n
	return nil
}

// RestoreChat returns the Chat persisted in data, with cfg as its
// configuration (clock, randomness, DH parameters: they are not part of the
// state). Call Tick after it: a key may have become a week old meanwhile.
func RestoreChat(data []byte, cfg Config) (*Chat, error) { return restore(data, cfg) }

func restore(data []byte, cfg Config) (c *Chat, err error) {
	defer func() {
		if r := recover(); r != nil { // a second line of defence
			c, err = nil, fmt.Errorf("%w: %v", ErrCorruptChat, r)
		}
		if err != nil && c != nil {
			c.Wipe()
			c = nil
		}
	}()
	if len(data) < len(chatMagic)+2+sha256.Size {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorruptChat, len(data))
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	want := sha256.Sum256(body)
	if subtle.ConstantTimeCompare(sum, want[:]) != 1 {
		return nil, fmt.Errorf("%w: checksum", ErrCorruptChat)
	}
	r := reader{b: body}
	if string(r.bytes(len(chatMagic))) != chatMagic {
		return nil, fmt.Errorf("%w: not a chat state", ErrCorruptChat)
	}
	if v := r.u8(); v != chatVersion {
		return nil, fmt.Errorf("%w: version %d", ErrCorruptChat, v)
	}
	c = newChat(cfg)
	bad := func(what string) error {
		return fmt.Errorf("%w: %s", ErrCorruptChat, what)
	}
	c.role = Role(r.u8())
	c.layer = int32(r.u32())
	c.peerLayer = int32(r.u32())
	c.created = int64(r.u64())
	code := int(r.u8())
	if r.err == nil && (c.role != Originator && c.role != Responder || c.layer < firstLayer || c.peerLayer < firstLayer || code > len(abortKinds)) {
		return c, bad("header")
	}
	switch {
	case code == len(abortKinds):
		c.aborted = &abortError{errors.New("secret: aborted before the state was saved")}
	case code > 0:
		c.aborted = &abortError{fmt.Errorf("%w (restored)", abortKinds[code])}
	}
	copy(c.vis[:], r.bytes(36))
	c.vis46 = r.bool()
	keys := []**chatKey{&c.cur, &c.prev, &c.next}
	for _, kp := range keys {
		if !r.bool() {
			continue
		}
		raw := r.bytes(KeySize)
		created := int64(r.u64())
		sent, recv := r.u32(), r.u32()
		if r.err != nil {
			return c, r.err
		}
		key, _ := NewKey(raw)
		*kp = c.newKey(key, created)
		(*kp).sent, (*kp).recv = sent, recv
	}
	for i := range c.stale {
		c.stale[i] = int64(r.u64())
	}
	c.ex.phase = exPhase(r.u8())
	c.ex.id = int64(r.u64())
	// The exchange costs an exponentiation to restore: that waits until
	// everything else has parsed.
	var blob []byte
	if n := r.u32(); n > 0 {
		blob = r.bytes(int(min(n, 1<<16)))
	}
	c.in, c.out, c.peerIn, c.askedTo, c.sentBase = r.u32(), r.u32(), r.u32(), r.u32(), r.u32()
	c.unserved = int(r.u32())
	c.askedAt = int64(r.u64())
	c.rekeyAfter = int64(r.u64())
	if r.err != nil {
		return c, r.err
	}
	switch {
	case c.cur == nil,
		c.ex.phase > exCommitted,
		(c.ex.phase == exRequested) != (blob != nil),
		(c.ex.phase == exAccepted) != (c.next != nil),
		(c.ex.phase == exCommitted) != (c.prev != nil),
		c.peerIn > c.out, c.sentBase > c.out,
		c.in > 1<<30, c.out > 1<<30, c.unserved > math.MaxInt32:
		return c, bad("inconsistent keys or counters")
	}
	nq := r.u32()
	if r.err == nil && nq > uint32(len(r.b)) {
		return c, bad("queue length")
	}
	for range nq {
		o := r.u32()
		var q queued
		q.h.Version = kdf.Version(r.u8())
		q.h.Layer = int32(r.u32())
		q.h.InSeqNo = int32(r.u32())
		q.h.OutSeqNo = int32(r.u32())
		q.h.RandomBytes = int(r.u32())
		q.fp = int64(r.u64())
		q.served = r.bool()
		q.body = slices.Clone(r.bytes(int(r.u32())))
		if r.err != nil {
			return c, r.err
		}
		if o <= c.in || o >= c.askedTo || uint32(q.h.OutSeqNo)>>1 != o || c.queue[o] != nil ||
			(q.h.Version != kdf.V1 && q.h.Version != kdf.V2) || len(q.body) < 4 || len(q.body)%4 != 0 {
			return c, bad("queued message")
		}
		c.queue[o] = &q
	}
	ns := r.u32()
	if r.err == nil && (ns > uint32(len(r.b)) || c.sentBase+ns != c.out) {
		return c, bad("sent messages")
	}
	for range ns {
		m := r.bytes(int(r.u32()))
		if r.err != nil {
			return c, r.err
		}
		if len(m) < Overhead+16 {
			return c, bad("sent message")
		}
		c.sent.push(slices.Clone(m))
	}
	if r.err != nil {
		return c, r.err
	}
	if len(r.b) != 0 {
		return c, bad("trailing bytes")
	}
	if blob != nil {
		c.ex.req = new(Exchange)
		if err := c.ex.req.UnmarshalBinary(blob); err != nil {
			c.ex.req = nil
			return c, bad("exchange")
		}
	}
	return c, nil
}

func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// reader reads the state; the first short read sets err and every later
// read returns zeros.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		if r.err == nil {
			r.err = fmt.Errorf("%w: truncated", ErrCorruptChat)
		}
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) bool() bool {
	v := r.u8()
	if v > 1 && r.err == nil {
		r.err = fmt.Errorf("%w: boolean %d", ErrCorruptChat, v)
	}
	return v == 1
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}
