package secret

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gotd/td/tg/e2e"
)

// Re-keying, perfect forward secrecy (docs/PROTOCOL.md section 6;
// https://core.telegram.org/api/end-to-end/pfs). The requester A and the
// acceptor B go
//
//	A: RequestKey(id, g_a)              (old key)   A requested
//	B: AcceptKey(id, g_b, fp)           (old key)   B accepted: decrypts old and new
//	A: CommitKey(id, fp), then switches (old key)   A committed: decrypts old and new
//	B: switches, wipes the old key, Noop (new key)
//	A: wipes the old key when the first message under the new one is
//	   processed in order (everything B sent under the old key came first).
//
// Old packets under the new key cannot exist and new packets under the old
// one are never needed again, so sent messages stay stored as wire bytes
// and are resent as they are.

type exPhase uint8

const (
	exIdle exPhase = iota
	exRequested
	exAccepted
	exCommitted
)

// exchange is the re-key in flight.
type exchange struct {
	phase exPhase
	id    int64
	req   *Exchange // exRequested: our secret a
}

func (e *exchange) wipe() {
	if e.req != nil {
		e.req.Wipe()
	}
	*e = exchange{}
}

// keyFor returns the key with fingerprint fp among those that decrypt now.
func (c *Chat) keyFor(fp int64) *chatKey {
	for _, k := range []*chatKey{c.cur, c.next, c.prev} {
		if k != nil && k.key.fp == fp {
			return k
		}
	}
	return nil
}

// due reports whether the current key should be replaced.
func (c *Chat) due() bool {
	k := c.cur
	return k.sent > RekeyMessages || k.recv > RekeyMessages ||
		(k.sent > 0 && c.now()-k.created >= int64(RekeyAge))
}

// maybeRekey requests a new key when the current one is due, re-keying is
// configured and both sides speak layer 20. A failure to start (a random
// source that fails) is not the message's failure: it is tried again on
// the next call.
func (c *Chat) maybeRekey() {
	if c.dh == nil || c.ex.phase != exIdle || min(c.layer, c.peerLayer) < rekeyLayer || !c.due() || c.now() < c.rekeyAfter {
		return
	}
	var b [8]byte
	if _, err := io.ReadFull(c.cfg.Rand, b[:]); err != nil {
		return
	}
	id := int64(binary.LittleEndian.Uint64(b[:]))
	req, err := c.dh.Request(nil)
	if err != nil {
		return
	}
	c.ex = exchange{phase: exRequested, id: id, req: req}
	if err := c.sendAction(&e2e.DecryptedMessageActionRequestKey{ExchangeID: id, GA: req.GA()}); err != nil {
		c.ex.wipe()
	}
}

// backOff holds our next request for Config.RetryAfter after an exchange
// of ours was aborted, so that a peer that refuses every request does not
// get one per message.
func (c *Chat) backOff() { c.rekeyAfter = c.now() + int64(c.cfg.RetryAfter) }

// onRequestKey answers the peer's request. Against a request of ours in
// flight the larger exchange_id (signed) wins; equal ids abort both.
func (c *Chat) onRequestKey(a *e2e.DecryptedMessageActionRequestKey) error {
	switch c.ex.phase {
	case exRequested:
		if c.ex.id > a.ExchangeID {
			return nil // the peer abandons its own when it sees ours
		}
		tie := c.ex.id == a.ExchangeID
		c.ex.wipe()
		if tie {
			c.backOff()
			return c.sendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: a.ExchangeID})
		}
	case exAccepted:
		// The peer gave up the exchange we accepted and started another.
		c.next.wipe()
		c.next = nil
		c.ex = exchange{}
	case exCommitted:
		// A correct peer processes our commit and sends under the new key
		// before it can request again; refuse.
		return c.sendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: a.ExchangeID})
	}
	if c.dh == nil {
		return c.sendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: a.ExchangeID})
	}
	gB, key, err := c.dh.Accept(a.GA, nil)
	if err != nil {
		return c.sendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: a.ExchangeID})
	}
	c.next = c.newKey(key, c.now())
	c.ex = exchange{phase: exAccepted, id: a.ExchangeID}
	return c.sendAction(&e2e.DecryptedMessageActionAcceptKey{ExchangeID: a.ExchangeID, GB: gB, KeyFingerprint: key.fp})
}

// onAcceptKey completes our request: commit under the old key, then switch.
func (c *Chat) onAcceptKey(a *e2e.DecryptedMessageActionAcceptKey) error {
	if c.ex.phase != exRequested || c.ex.id != a.ExchangeID {
		return nil // an exchange we abandoned or never made
	}
	key, err := c.ex.req.Complete(a.GB, a.KeyFingerprint)
	c.ex.wipe()
	if err != nil {
		c.backOff()
		return c.sendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: a.ExchangeID})
	}
	if err := c.sendAction(&e2e.DecryptedMessageActionCommitKey{ExchangeID: a.ExchangeID, KeyFingerprint: key.fp}); err != nil {
		key.Wipe()
		return err
	}
	c.prev, c.cur = c.cur, c.newKey(key, c.now())
	c.ex = exchange{phase: exCommitted, id: a.ExchangeID}
	return nil
}

// onCommitKey switches the acceptor to the new key and tells the peer with
// a Noop under it.
func (c *Chat) onCommitKey(a *e2e.DecryptedMessageActionCommitKey) error {
	if c.ex.phase != exAccepted || c.ex.id != a.ExchangeID {
		return nil
	}
	if a.KeyFingerprint != c.next.key.fp {
		c.next.wipe()
		c.next = nil
		c.ex = exchange{}
		return c.sendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: a.ExchangeID})
	}
	old := c.cur
	c.cur, c.next = c.next, nil
	c.ex = exchange{}
	c.retire(old)
	return c.sendAction(&e2e.DecryptedMessageActionNoop{})
}

// onAbortKey drops the exchange it names. After our commit it is too late:
// the peer does not have the key we now send with.
func (c *Chat) onAbortKey(a *e2e.DecryptedMessageActionAbortKey) error {
	if c.ex.id != a.ExchangeID {
		return nil
	}
	switch c.ex.phase {
	case exRequested:
		c.ex.wipe()
		c.backOff()
	case exAccepted:
		c.next.wipe()
		c.next = nil
		c.ex = exchange{}
	case exCommitted:
		return abortf(ErrRekeyFailed, "exchange %d", a.ExchangeID)
	}
	return nil
}

// retire wipes a replaced key and remembers its fingerprint, so that its
// late packets are told apart from garbage (ErrStaleKey).
func (c *Chat) retire(k *chatKey) {
	copy(c.stale[1:], c.stale[:len(c.stale)-1])
	c.stale[0] = k.key.fp
	k.wipe()
}

// String describes the exchange phase, for errors and tests.
func (p exPhase) String() string {
	switch p {
	case exIdle:
		return "idle"
	case exRequested:
		return "requested"
	case exAccepted:
		return "accepted"
	case exCommitted:
		return "committed"
	}
	return fmt.Sprintf("exPhase(%d)", uint8(p))
}
