package secret

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/gotd/td/tg/e2e"
)

// Sequence numbers (docs/PROTOCOL.md section 5). Counting messages as
// indexes from 0: our n-th message goes out with out_seq_no = 2n + x_out
// and in_seq_no = 2*(messages received in order so far) + x_in. Odd
// numbers belong to the originator's messages, even ones to the
// responder's, so a received out_seq_no must have our in parity and a
// received in_seq_no our out parity.

// Receive handles one wire packet from the peer and says what became of it
// (see Outcome). err is nil for OutcomeProcessed and OutcomeQueued and the
// reason otherwise; it is also in the Receipt. The Receipt's slices are
// valid until the next call on the Chat. After OutcomeAborted every call
// fails with ErrChatAborted.
func (c *Chat) Receive(wire []byte) (Receipt, error) {
	if err := c.usable(); err != nil {
		return Receipt{Outcome: OutcomeAborted, Err: err, PeerLayer: c.peerLayer}, err
	}
	out, err := c.receive(wire)
	if out == OutcomeAborted {
		c.abort(err)
	} else if len(c.gaps) > 0 {
		// New gaps, and old ones past their deadline. A failure (of the
		// random source) leaves them due for the next call.
		_ = c.askDue(false)
	}
	r := Receipt{Outcome: out, Err: err, Messages: c.msgs, Send: c.sends, PeerLayer: c.peerLayer}
	return r, err
}

// abort ends the chat with err. Nothing will be processed or asked for
// again, so the queued plaintexts are wiped and the gaps closed. That also
// keeps the state consistent wherever the abort struck: a queued message
// that aborts is already off the queue but not counted as received, and
// the ones behind it would wait at a place no live chat leaves them. The
// state then restores as aborted, with its reason.
func (c *Chat) abort(err error) {
	c.aborted = err
	for _, q := range c.queue {
		clear(q.body)
	}
	clear(c.queue)
	c.gaps = c.gaps[:0]
	c.askedTo = min(c.askedTo, c.in)
}

// abortError marks the errors that end the chat.
type abortError struct{ err error }

func (e *abortError) Error() string { return e.err.Error() }
func (e *abortError) Unwrap() error { return e.err }

func abortf(kind error, format string, args ...any) error {
	return &abortError{fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)}
}

func (c *Chat) receive(wire []byte) (Outcome, error) {
	fp, err := PeekFingerprint(wire)
	if err != nil {
		return OutcomeDropped, err
	}
	k := c.keyFor(fp)
	if k == nil {
		for _, s := range c.stale {
			if s == fp && s != 0 {
				return OutcomeDropped, ErrStaleKey
			}
		}
		return OutcomeDropped, ErrUnknownKey
	}
	body, h, err := k.codec.Decrypt(c.rbuf[:0], wire)
	if err != nil {
		return OutcomeDropped, err
	}
	if cap(body) > cap(c.rbuf) {
		c.rbuf = body[:0]
	}
	o, i, err := c.peerSeq(h)
	if err != nil {
		return outcomeOf(err), err
	}
	if i > c.peerSaw {
		c.peerSaw = i
		c.doubtAt = 0 // the peer is making progress
	}
	if o > c.in {
		return c.enqueue(o, h, fp, body)
	}
	// Only an abort stops the queue. Any other error of process (our
	// answer could not be made: the random source failed) comes after the
	// message was counted and delivered; the queued ones behind it must go
	// on, or they would wait at in, where nothing ever releases them.
	failed := c.process(h, fp, body, false)
	for !aborts(failed) {
		q, ok := c.queue[c.in]
		if !ok {
			break
		}
		delete(c.queue, c.in)
		// Its body stays readable until the next call (freeNext).
		c.freeNext = append(c.freeNext, q.body)
		if err := c.process(q.h, q.fp, q.body, q.served); err != nil && (failed == nil || aborts(err)) {
			failed = err
		}
	}
	if failed != nil {
		return outcomeOf(failed), failed
	}
	return OutcomeProcessed, nil
}

// peerSeq checks the sequence numbers of a message from the peer that do
// not depend on the messages before it, and returns them as indexes: o of
// the peer's messages, i of ours it acknowledges. Receive applies it to
// every packet and restore to every queued message, so that a state
// holds no message Receive would have refused.
func (c *Chat) peerSeq(h Header) (o, i uint32, err error) {
	// The peer's in_seq_no counts our messages (our out parity), its
	// out_seq_no its own (our in parity).
	if h.OutSeqNo < 0 || h.InSeqNo < 0 || uint32(h.OutSeqNo)&1 != c.role.inParity() || uint32(h.InSeqNo)&1 != c.role.outParity() {
		return 0, 0, abortf(ErrSeqParity, "in_seq_no %d, out_seq_no %d from the %v", h.InSeqNo, h.OutSeqNo, 1-c.role)
	}
	o, i = uint32(h.OutSeqNo)>>1, uint32(h.InSeqNo)>>1
	if o < c.in {
		return o, i, ErrDuplicate
	}
	if i > c.out {
		return o, i, abortf(ErrInSeqNo, "acknowledges %d messages, %d sent", i, c.out)
	}
	return o, i, nil
}

func outcomeOf(err error) Outcome {
	if aborts(err) {
		return OutcomeAborted
	}
	return OutcomeDropped
}

// aborts reports whether err ends the chat.
func aborts(err error) bool {
	_, ok := err.(*abortError)
	return ok
}

// enqueue holds message o behind the gap c.in..o-1. A Resend in it is
// acted on now, not when the gap fills (the two sides may each be waiting
// for the other's missing message), even when there is no room to queue
// it. The gaps it reveals are asked for by Receive.
func (c *Chat) enqueue(o uint32, h Header, fp int64, body []byte) (Outcome, error) {
	if _, ok := c.queue[o]; ok {
		return OutcomeDropped, ErrDuplicate
	}
	// Everything up to o is known to exist, even if o cannot be queued.
	if start := max(c.in, c.askedTo); o >= start {
		c.gaps = append(c.gaps, gap{first: start, last: o})
		c.askedTo = o + 1
	}
	served := false
	if a := serviceAction(body); a != nil {
		if r, ok := a.(*e2e.DecryptedMessageActionResend); ok {
			if err := c.serveResend(r); err != nil {
				return OutcomeAborted, err
			}
			served = true
		}
	}
	if uint64(o-c.in) > uint64(c.cfg.MaxQueued) || len(c.queue) >= c.cfg.MaxQueued {
		return OutcomeDropped, ErrQueueFull
	}
	var buf []byte
	if n := len(c.free); n > 0 {
		buf, c.free = c.free[n-1], c.free[:n-1]
	}
	c.queue[o] = &queued{h: h, fp: fp, body: append(buf, body...), served: served}
	c.fill(o)
	return OutcomeQueued, nil
}

// fill takes index o, now queued, out of the gap that holds it.
func (c *Chat) fill(o uint32) {
	for i := len(c.gaps) - 1; i >= 0; i-- {
		g := &c.gaps[i]
		switch {
		case o < g.first:
			continue
		case o > g.last:
		case g.first == g.last:
			c.gaps = slices.Delete(c.gaps, i, i+1)
		case o == g.first:
			g.first++
		case o == g.last:
			g.last--
		default:
			tail := *g
			tail.first, g.last = o+1, o-1
			c.gaps = slices.Insert(c.gaps, i+1, tail)
		}
		return
	}
}

// coalesceSlack: gaps this close (in queued messages between them) are
// asked for in one Resend, which costs the peer that many resent packets
// but saves a message in each direction.
const coalesceSlack = 8

// askDue asks for the gaps that are due: not asked for yet, or last asked
// for Config.RetryAfter ago or more, each on its own deadline. Nearby due
// gaps share one Resend; messages that could not be queued are not asked
// for until they could. With giveUp (Tick), a due gap already asked for
// Config.MaxAsks times is an ErrGapUnfilled abort; otherwise it waits for
// Tick.
func (c *Chat) askDue(giveUp bool) error {
	if len(c.gaps) == 0 {
		return nil
	}
	now := c.now()
	limit := uint32(min(uint64(c.in)+uint64(c.cfg.MaxQueued), math.MaxUint32-1))
	var first, last uint32
	open := false
	flush := func() error {
		if !open {
			return nil
		}
		open = false
		return c.askResend(first, last)
	}
	for i := 0; i < len(c.gaps) && c.gaps[i].first <= limit; i++ {
		g := c.gaps[i]
		due := g.at == 0 || now-g.at >= int64(c.cfg.RetryAfter)
		if due && c.cfg.MaxAsks > 0 && g.asks >= uint32(c.cfg.MaxAsks) {
			if giveUp {
				return abortf(ErrGapUnfilled, "the peer's messages %d..%d, asked for %d times", g.first, g.last, g.asks)
			}
			due = false
		}
		if !due {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if g.last > limit {
			tail := g
			tail.first = limit + 1
			c.gaps = slices.Insert(c.gaps, i+1, tail)
			c.gaps[i].last = limit
		}
		g = c.gaps[i]
		if open && g.first-last-1 <= coalesceSlack {
			last = g.last
		} else {
			if err := flush(); err != nil {
				return err
			}
			first, last, open = g.first, g.last, true
		}
		c.gaps[i].at, c.gaps[i].asks = now, g.asks+1
	}
	return flush()
}

// askResend sends decryptedMessageActionResend for the peer's messages
// first..last (indexes).
func (c *Chat) askResend(first, last uint32) error {
	x := c.role.inParity() // the peer's out parity
	return c.sendAction(&e2e.DecryptedMessageActionResend{
		StartSeqNo: int(2*first + x), EndSeqNo: int(2*last + x)})
}

// serveResend re-sends the stored wire messages the peer asked for. A
// range of the wrong parity is ignored. A range that reaches messages
// never sent by this state, or forgotten (Config.MaxStored) while the peer
// still lacks them, cannot be served: the peer's gap can never fill, and
// the seq_no spec says to abort ("If a local client receives
// decryptedMessageActionResend but is unable to satisfy the request, it
// must abort the secret chat"). A correct peer asks only from its
// in_seq_no on, which we have not pruned, so only MaxStored forgets what
// may be asked for. But a request may be stale (a copy of what it asks for
// was still on its way): a forgotten message is given up on only when the
// peer asks again Config.RetryAfter after the first such request, its
// in_seq_no still below what we forgot and unchanged meanwhile.
func (c *Chat) serveResend(r *e2e.DecryptedMessageActionResend) error {
	x := int(c.role.outParity())
	if r.StartSeqNo < 0 || r.EndSeqNo < r.StartSeqNo || r.StartSeqNo&1 != x || r.EndSeqNo&1 != x {
		return nil
	}
	first, last := uint64(r.StartSeqNo>>1), uint64(r.EndSeqNo>>1)
	if last >= uint64(c.out) {
		return abortf(ErrResendUnavailable, "messages %d..%d asked for, %d sent", first, last, c.out)
	}
	if first < uint64(c.sentBase) && c.peerSaw < c.sentBase {
		now := c.now()
		if c.doubtAt != 0 && now-c.doubtAt >= int64(c.cfg.RetryAfter) {
			return abortf(ErrResendUnavailable, "messages %d..%d asked for, %d..%d held", first, last, c.sentBase, c.out-1)
		}
		if c.doubtAt == 0 {
			c.doubtAt = now
		}
	}
	for n := max(first, uint64(c.sentBase)); n <= last; n++ {
		c.sends = append(c.sends, c.sent.at(int(n-uint64(c.sentBase))))
	}
	return nil
}

// process handles the next message in sequence: the in_seq_no checks and
// acknowledgement, counters, key retirement, layers, and the body.
func (c *Chat) process(h Header, fp int64, body []byte, served bool) error {
	i := uint32(h.InSeqNo) >> 1
	if i < c.peerIn {
		return abortf(ErrInSeqNo, "in_seq_no %d after %d", h.InSeqNo, 2*c.peerIn)
	}
	c.peerIn = i
	for c.sentBase < i && c.sent.n > 0 {
		c.freeNext = append(c.freeNext, c.sent.pop())
		c.sentBase++
	}
	c.in++
	if len(c.gaps) > 0 && c.gaps[0].first < c.in {
		if c.gaps[0].first++; c.gaps[0].first > c.gaps[0].last {
			c.gaps = slices.Delete(c.gaps, 0, 1)
		}
	}
	if fp == c.cur.key.fp {
		c.cur.recv++
		if c.prev != nil {
			// The peer's first message under the new key, in order:
			// everything it sent under the old one has been processed.
			c.retire(c.prev)
			c.prev = nil
			c.ex = exchange{}
		}
	} else if c.prev != nil && fp == c.prev.key.fp {
		c.prev.recv++
	}
	if h.Layer >= seqLayer {
		if err := c.raisePeerLayer(h.Layer); err != nil {
			return err
		}
	}
	m := Message{OutSeqNo: h.OutSeqNo, Layer: h.Layer, Body: body}
	m.Action = serviceAction(body)
	var err error
	switch a := m.Action.(type) {
	case *e2e.DecryptedMessageActionResend:
		m.Handled = true
		if !served {
			err = c.serveResend(a)
		}
	case *e2e.DecryptedMessageActionNotifyLayer:
		m.Handled = true
		if a.Layer > 0 && int64(a.Layer) <= 1<<31-1 {
			err = c.raisePeerLayer(int32(a.Layer))
		}
	case *e2e.DecryptedMessageActionRequestKey:
		m.Handled = true
		err = c.onRequestKey(a)
	case *e2e.DecryptedMessageActionAcceptKey:
		m.Handled = true
		err = c.onAcceptKey(a)
	case *e2e.DecryptedMessageActionCommitKey:
		m.Handled = true
		err = c.onCommitKey(a)
	case *e2e.DecryptedMessageActionAbortKey:
		m.Handled = true
		err = c.onAbortKey(a)
	case *e2e.DecryptedMessageActionNoop:
		m.Handled = true
	}
	c.msgs = append(c.msgs, m)
	if err == nil {
		c.maybeRekey()
	}
	return err
}

// serviceAction decodes the action of a service message; nil for any other
// message and for a service message that does not decode (it is delivered
// as it is: the client's decoder will report it).
func serviceAction(body []byte) e2e.DecryptedMessageActionClass {
	if len(body) < 4 {
		return nil
	}
	switch binary.LittleEndian.Uint32(body) {
	case e2e.DecryptedMessageServiceTypeID, e2e.DecryptedMessageService8TypeID:
	default:
		return nil
	}
	msg, err := DecodeMessage(body)
	if err != nil {
		return nil
	}
	switch m := msg.(type) {
	case *e2e.DecryptedMessageService:
		return m.Action
	case *e2e.DecryptedMessageService8:
		return m.Action
	}
	return nil
}

// store keeps a sent wire message until the peer acknowledges it, at most
// Config.MaxStored of them.
func (c *Chat) store(wire []byte) {
	c.sent.push(wire)
	for c.sent.n > c.cfg.MaxStored {
		c.freeNext = append(c.freeNext, c.sent.pop())
		c.sentBase++
	}
}

// wireRing is a FIFO of wire messages.
type wireRing struct {
	buf     [][]byte
	head, n int
}

func (r *wireRing) at(i int) []byte { return r.buf[(r.head+i)%len(r.buf)] }

func (r *wireRing) push(w []byte) {
	if r.n == len(r.buf) {
		bigger := make([][]byte, max(16, 2*len(r.buf)))
		for i := range r.n {
			bigger[i] = r.at(i)
		}
		r.buf, r.head = bigger, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = w
	r.n++
}

func (r *wireRing) pop() []byte {
	w := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return w
}
