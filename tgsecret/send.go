package tgsecret

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"go.uber.org/zap"
)

// Sending: each chat has an outbox, saved with its state, and at most one
// goroutine flushing it, so packets leave in order, the next once the
// server has accepted the previous one. The flusher stays, parked, while
// Run runs and the chat sends (a goroutine started for each message would
// cost more than the rest of the send), and leaves at a tick that finds it
// with nothing to send, when the chat ends, or when Run stops.

// kick has the chat's flusher send what is in the outbox: it wakes the
// flusher, or starts one if Run is running.
func (c *Chat) kick() {
	c.mu.Lock()
	if len(c.outbox) == 0 || c.rec.Status != StatusReady {
		c.mu.Unlock()
		return
	}
	if c.flushing {
		c.mu.Unlock()
		c.wakeFlusher()
		return
	}
	c.flushing = true
	c.mu.Unlock()
	if !c.m.goRunning(c.flush) {
		c.mu.Lock()
		c.flushing = false
		c.mu.Unlock()
	}
}

// wakeFlusher wakes the chat's flusher if it is parked (a token left in
// the channel makes it look once more).
func (c *Chat) wakeFlusher() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// retireFlusherLocked has an idle flusher leave (a tick): one that finds
// the outbox empty when it wakes returns.
func (c *Chat) retireFlusherLocked() {
	if c.flushing {
		c.retire = true
		c.wakeFlusher()
	}
}

func (c *Chat) flush(ctx context.Context, api *tg.Client) {
	for {
		c.mu.Lock()
		if ctx.Err() != nil || c.rec.Status != StatusReady || len(c.outbox) == 0 && c.retire {
			c.flushing, c.retire = false, false
			c.mu.Unlock()
			return // what is left stays in the outbox, saved, for the next kick
		}
		if len(c.outbox) == 0 {
			c.mu.Unlock()
			select {
			case <-c.wake:
			case <-ctx.Done():
			}
			continue
		}
		c.retire = false
		p := c.outbox[0]
		pkt, peer := p.Packet, c.inputPeer() // p may be recycled once a discard has answered it
		c.mu.Unlock()

		err := c.sendPacket(ctx, api, peer, pkt)
		if ctx.Err() != nil {
			continue // the packet stays in the outbox
		}
		if err != nil {
			c.m.log.Warn("secret chat packet refused by the server", zap.Int("chat_id", c.id), zap.Error(err))
		}
		c.mu.Lock()
		// A discard during the call took the outbox, and answered p.done.
		popped := len(c.outbox) > 0 && c.outbox[0] == p
		if popped {
			c.outbox[0] = nil
			if len(c.outbox) == 1 {
				c.outbox = c.outbox[:0] // keeps the array for the next packet
			} else {
				c.outbox = c.outbox[1:]
			}
		}
		c.mu.Unlock()
		if popped && p.done != nil {
			p.done <- err
		}
	}
}

// flushRPCs are a flusher's requests and answer, reused from packet to
// packet: gotd encodes a request before the call returns.
type flushRPCs struct {
	msg     tg.MessagesSendEncryptedRequest
	service tg.MessagesSendEncryptedServiceRequest
	// sent is dropped after a failed call, whose answer gotd could still
	// be decoding.
	sent *sentAnswer
}

// sentAnswer decodes the answer to messages.sendEncrypted and
// messages.sendEncryptedService in place (the driver reads nothing of it),
// where tg.MessagesSentEncryptedMessageBox would allocate each one.
type sentAnswer struct {
	msg  tg.MessagesSentEncryptedMessage
	file tg.MessagesSentEncryptedFile
}

func (a *sentAnswer) Decode(b *bin.Buffer) error {
	id, err := b.PeekID()
	if err != nil {
		return err
	}
	switch id {
	case tg.MessagesSentEncryptedMessageTypeID:
		return a.msg.Decode(b)
	case tg.MessagesSentEncryptedFileTypeID:
		return a.file.Decode(b)
	}
	return fmt.Errorf("tgsecret: unexpected answer %#x to a sent message", id)
}

func (r *flushRPCs) answer() *sentAnswer {
	if r.sent == nil {
		r.sent = new(sentAnswer)
	}
	return r.sent
}

// sendPacket sends one packet, retrying flood waits, server errors and
// network errors until ctx ends. A refusal (a 4xx RPC error) is returned.
// Only the chat's flusher calls it.
func (c *Chat) sendPacket(ctx context.Context, api *tg.Client, peer tg.InputEncryptedChat, p Packet) error {
	r := &c.rpcs
	defer func() { r.msg.Data, r.service.Data = nil, nil }() // the wire is not ours to keep
	return c.m.retry(ctx, func() error {
		var err error
		switch {
		case p.File != nil:
			var f tg.InputEncryptedFileClass
			if p.File.Big {
				f = &tg.InputEncryptedFileBigUploaded{ID: p.File.ID, Parts: p.File.Parts, KeyFingerprint: int(p.File.Fingerprint)}
			} else {
				f = &tg.InputEncryptedFileUploaded{ID: p.File.ID, Parts: p.File.Parts, KeyFingerprint: int(p.File.Fingerprint)}
			}
			_, err = api.MessagesSendEncryptedFile(ctx, &tg.MessagesSendEncryptedFileRequest{Peer: peer, RandomID: p.RandomID, Data: p.Wire, File: f})
		case p.Service:
			r.service = tg.MessagesSendEncryptedServiceRequest{Peer: peer, RandomID: p.RandomID, Data: p.Wire}
			err = api.Invoker().Invoke(ctx, &r.service, r.answer())
		default:
			r.msg = tg.MessagesSendEncryptedRequest{Peer: peer, RandomID: p.RandomID, Data: p.Wire}
			err = api.Invoker().Invoke(ctx, &r.msg, r.answer())
		}
		if err != nil {
			r.sent = nil
		}
		if err != nil && tgerr.Is(err, "RANDOM_ID_DUPLICATE") {
			return nil // an earlier try got through
		}
		return err
	})
}

// retry runs f until it succeeds, fails permanently or ctx ends: FLOOD_WAIT
// waits as long as the server says, other errors back off from 50 ms to 5 s.
func (m *Manager) retry(ctx context.Context, f func() error) error {
	backoff := 50 * time.Millisecond
	for {
		err := f()
		if err == nil || isPermanent(err) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := backoff
		if d, ok := tgerr.AsFloodWait(err); ok {
			wait = max(d, time.Second)
		} else {
			backoff = min(2*backoff, 5*time.Second)
		}
		m.log.Debug("retrying", zap.Duration("wait", wait), zap.Error(err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// isPermanent reports an RPC error that another try would not change: a
// 4xx other than FLOOD_WAIT.
func isPermanent(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if _, ok := tgerr.AsFloodWait(err); ok {
		return false
	}
	rpc, ok := tgerr.As(err)
	return ok && rpc.Code >= 400 && rpc.Code < 500
}
