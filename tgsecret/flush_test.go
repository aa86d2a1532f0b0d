package tgsecret

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"go.uber.org/zap"
)

// gateInvoker answers messages.sendEncrypted once release is closed,
// saying on calling when a call has begun.
type gateInvoker struct {
	calling chan struct{}
	release chan struct{}
	answer  []byte
}

func (g *gateInvoker) Invoke(ctx context.Context, _ bin.Encoder, out bin.Decoder) error {
	g.calling <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return out.Decode(&bin.Buffer{Buf: g.answer})
}

// A chat discarded while its flusher has a packet in flight: the discard
// answers the packet's sender, and the flusher, when the call returns,
// answers it no second time (the packet and its channel may already serve
// another send) and leaves.
func TestFlushDiscardInFlight(t *testing.T) {
	m := &Manager{store: NewMemStore(), log: zap.NewNop()}
	c := m.newChat(&ChatRecord{ID: 5, AccessHash: 6, Status: StatusReady})
	p := &outPacket{Packet: Packet{RandomID: 7, Wire: []byte("wire")}, done: make(chan error, 1)}
	c.outbox = []*outPacket{p}
	c.flushing = true
	g := &gateInvoker{calling: make(chan struct{}, 1), release: make(chan struct{}),
		answer: encodeTL(t, &tg.MessagesSentEncryptedMessage{Date: 1})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	left := make(chan struct{})
	go func() {
		defer close(left)
		c.flush(ctx, tg.NewClient(g))
	}()
	<-g.calling
	c.discarded(ctx, false, nil)
	if err := <-p.done; !errors.Is(err, ErrChatState) {
		t.Fatalf("the sender got %v, want ErrChatState", err)
	}
	close(g.release)
	select {
	case <-left:
	case <-time.After(5 * time.Second):
		t.Fatal("the flusher of a discarded chat did not leave")
	}
	if n := len(p.done); n != 0 {
		t.Fatalf("the packet was answered %d more times", n)
	}
	if c.flushing {
		t.Fatal("the chat still counts a flusher")
	}
}

// A parked flusher leaves at a tick that finds nothing to send, and kick
// starts another for the next packet.
func TestFlusherRetires(t *testing.T) {
	m := &Manager{store: NewMemStore(), log: zap.NewNop()}
	c := m.newChat(&ChatRecord{ID: 5, AccessHash: 6, Status: StatusReady})
	g := &gateInvoker{calling: make(chan struct{}, 1), release: make(chan struct{}),
		answer: encodeTL(t, &tg.MessagesSentEncryptedMessage{Date: 1})}
	close(g.release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.api, m.runCtx = tg.NewClient(g), ctx
	send := func() {
		t.Helper()
		p := &outPacket{Packet: Packet{RandomID: 7, Wire: []byte("wire")}, done: make(chan error, 1)}
		c.mu.Lock()
		c.outbox = append(c.outbox, p)
		c.mu.Unlock()
		c.kick()
		<-g.calling
		if err := <-p.done; err != nil {
			t.Fatal(err)
		}
	}
	flushing := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.flushing
	}
	send()
	send() // to the parked flusher
	if !flushing() {
		t.Fatal("the flusher left with Run running and no tick")
	}
	c.mu.Lock()
	c.retireFlusherLocked() // what tick does
	c.mu.Unlock()
	waitFor(t, 5*time.Second, "the idle flusher to leave", func() bool { return !flushing() })
	send()
	cancel()
	waitFor(t, 5*time.Second, "the flusher to leave with Run", func() bool { return !flushing() })
	m.wg.Wait()
}
