package tgsecret

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"go.uber.org/zap"

	"github.com/secretbench/secretbench/internal/raceflag"
)

// wireOf is the made-up wire of sent message i (its length varies a
// little), appended to dst.
func wireOf(dst []byte, i uint32) []byte {
	for j := range 120 + int(i%5)*2 {
		dst = append(dst, byte(i)+byte(j), byte(i>>8))
	}
	return dst
}

// TestMemStoreSteadyAllocs: a MemStore that receives one message after
// another (PutRaw, then SaveProcessed with one new sent log entry and an
// old one dropped) copies them into the buffers it dropped, allocating
// nothing, and its log still holds the right wires.
func TestMemStoreSteadyAllocs(t *testing.T) {
	ctx := context.Background()
	s := NewMemStore()
	state := bytes.Repeat([]byte{7}, 500)
	rec := &ChatRecord{ID: 1, Status: StatusReady, State: state, Outbox: []Packet{{RandomID: 1, Wire: wireOf(nil, 0)}}}
	sent := make([]SentPacket, 1)
	raw := bytes.Repeat([]byte{9}, 200)
	var wire []byte
	const kept = 4
	i := uint32(0)
	round := func() {
		i++
		if err := s.PutRaw(ctx, RawMessage{ID: uint64(i), Data: raw}); err != nil {
			t.Fatal(err)
		}
		wire = wireOf(wire[:0], i)
		sent[0] = SentPacket{Index: i, Wire: wire}
		rec.Sent, rec.SentBase = sent, max(i, kept)-kept
		if err := s.SaveProcessed(ctx, rec, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 * kept {
		round()
	}
	if !raceflag.Enabled {
		if n := testing.AllocsPerRun(100, round); n != 0 {
			t.Errorf("%v allocations per message, want 0", n)
		}
	} else {
		for range 100 {
			round()
		}
	}
	recs, _ := s.LoadChats(ctx)
	if len(recs) != 1 || len(recs[0].Sent) != kept+1 {
		t.Fatalf("log of %d entries, want %d", len(recs[0].Sent), kept+1)
	}
	for _, p := range recs[0].Sent {
		if !bytes.Equal(p.Wire, wireOf(nil, p.Index)) {
			t.Fatalf("entry %d holds the wire of another message", p.Index)
		}
	}
	if raws, _ := s.RawMessages(ctx); len(raws) != 0 {
		t.Fatalf("%d raw messages left", len(raws))
	}
}

// answerInvoker answers every call with the TL of answer, and records the
// messages.sendEncrypted request.
type answerInvoker struct {
	answer []byte
	buf    bin.Buffer
	got    tg.MessagesSendEncryptedRequest
}

func (a *answerInvoker) Invoke(_ context.Context, in bin.Encoder, out bin.Decoder) error {
	if r, ok := in.(*tg.MessagesSendEncryptedRequest); ok {
		a.got = *r
	}
	a.buf.Buf = a.answer
	return out.Decode(&a.buf)
}

func encodeTL(t *testing.T, v bin.Encoder) []byte {
	t.Helper()
	var b bin.Buffer
	if err := v.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Buf
}

// TestSendPacketAllocs: the flusher sends a packet without allocating.
func TestSendPacketAllocs(t *testing.T) {
	inv := &answerInvoker{answer: encodeTL(t, &tg.MessagesSentEncryptedMessage{Date: 5})}
	api := tg.NewClient(inv)
	c := &Chat{m: &Manager{log: zap.NewNop()}, id: 3}
	ctx := context.Background()
	peer := tg.InputEncryptedChat{ChatID: 3, AccessHash: 4}
	p := Packet{RandomID: 42, Wire: wireOf(nil, 1)}
	send := func() {
		if err := c.sendPacket(ctx, api, peer, p); err != nil {
			t.Fatal(err)
		}
	}
	send()
	if inv.got.RandomID != 42 || inv.got.Peer != peer || !bytes.Equal(inv.got.Data, p.Wire) {
		t.Fatalf("sent %+v", inv.got)
	}
	if c.rpcs.msg.Data != nil {
		t.Fatal("the flusher keeps the wire after the call")
	}
	if raceflag.Enabled {
		return
	}
	if n := testing.AllocsPerRun(100, send); n != 0 {
		t.Errorf("%v allocations per packet, want 0", n)
	}
}

// TestSentAnswer: both answers to a sent message decode; anything else is
// an error.
func TestSentAnswer(t *testing.T) {
	var a sentAnswer
	if err := a.Decode(&bin.Buffer{Buf: encodeTL(t, &tg.MessagesSentEncryptedMessage{Date: 5})}); err != nil || a.msg.Date != 5 {
		t.Fatalf("sentEncryptedMessage: %v, date %d", err, a.msg.Date)
	}
	file := &tg.MessagesSentEncryptedFile{Date: 6, File: &tg.EncryptedFile{ID: 8}}
	if err := a.Decode(&bin.Buffer{Buf: encodeTL(t, file)}); err != nil || a.file.Date != 6 {
		t.Fatalf("sentEncryptedFile: %v, date %d", err, a.file.Date)
	}
	err := a.Decode(&bin.Buffer{Buf: encodeTL(t, &tg.BoolTrue{})})
	if err == nil || !strings.Contains(err.Error(), "unexpected answer") {
		t.Fatalf("boolTrue: %v", err)
	}
	if err := a.Decode(&bin.Buffer{}); err == nil {
		t.Fatal("empty answer decoded")
	}
}
