package tgsecret

import (
	"context"
	"errors"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"go.uber.org/zap"
)

// Sending: each chat has an outbox, saved with its state, and at most one
// goroutine flushing it, so packets leave in order, the next once the
// server has accepted the previous one.

// kick starts the chat's flusher if there is something to send, Run is
// running and no flusher is.
func (c *Chat) kick() {
	c.mu.Lock()
	if c.flushing || len(c.outbox) == 0 || c.rec.Status != StatusReady {
		c.mu.Unlock()
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

func (c *Chat) flush(ctx context.Context, api *tg.Client) {
	for {
		c.mu.Lock()
		if len(c.outbox) == 0 || ctx.Err() != nil || c.rec.Status != StatusReady {
			c.flushing = false
			c.mu.Unlock()
			return
		}
		p := c.outbox[0]
		peer := c.inputPeer()
		c.mu.Unlock()

		err := c.m.sendPacket(ctx, api, peer, &p.Packet)
		if ctx.Err() != nil {
			c.mu.Lock()
			c.flushing = false
			c.mu.Unlock()
			return // the packet stays in the outbox, saved, for the next Run
		}
		if err != nil {
			c.m.log.Warn("secret chat packet refused by the server", zap.Int("chat_id", c.id), zap.Error(err))
		}
		c.mu.Lock()
		if len(c.outbox) > 0 && c.outbox[0] == p {
			c.outbox[0] = nil
			c.outbox = c.outbox[1:]
		}
		c.mu.Unlock()
		if p.done != nil {
			p.done <- err
		}
	}
}

// sendPacket sends one packet, retrying flood waits, server errors and
// network errors until ctx ends. A refusal (a 4xx RPC error) is returned.
func (m *Manager) sendPacket(ctx context.Context, api *tg.Client, peer tg.InputEncryptedChat, p *Packet) error {
	return m.retry(ctx, func() error {
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
			_, err = api.MessagesSendEncryptedService(ctx, &tg.MessagesSendEncryptedServiceRequest{Peer: peer, RandomID: p.RandomID, Data: p.Wire})
		default:
			_, err = api.MessagesSendEncrypted(ctx, &tg.MessagesSendEncryptedRequest{Peer: peer, RandomID: p.RandomID, Data: p.Wire})
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
