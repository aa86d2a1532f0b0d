package secret

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gotd/td/tg/e2e"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/ige"
	"github.com/secretbench/secretbench/internal/raceflag"
	"github.com/secretbench/secretbench/kdf"
)

func chatRaceEnabled() bool { return raceflag.Enabled }

func chatPrime(testing.TB) []byte { return dhcheck.WellKnownPrime() }

// chatTestKey is a random 256-byte key from seed.
func chatTestKey(t testing.TB, seed uint64) *Key {
	raw := make([]byte, KeySize)
	_, _ = rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'k'}).Read(raw)
	k, err := NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chatPair is an originator a and a responder b under one key, with the
// NotifyLayer packets of their creation exchanged.
type chatPair struct {
	t     testing.TB
	clock *chatClock
	a, b  *Chat
	cfg   Config
}

func newChatPair(t testing.TB, edit func(*Config)) *chatPair {
	t.Helper()
	p := &chatPair{t: t, clock: &chatClock{t: time.Unix(1_700_000_000, 0)}}
	p.cfg = Config{Rand: rand.NewChaCha8([32]byte{'p'}), Now: p.clock.Now, DH: &DH{G: 3, P: chatPrime(t)}}
	if edit != nil {
		edit(&p.cfg)
	}
	key := chatTestKey(t, 1)
	var outA, outB [][]byte
	var err error
	if p.a, outA, err = NewChat(key, Originator, p.cfg); err != nil {
		t.Fatal(err)
	}
	if p.b, outB, err = NewChat(key, Responder, p.cfg); err != nil {
		t.Fatal(err)
	}
	outA, outB = chatCopy(outA), chatCopy(outB)
	p.deliverAll(p.b, outA)
	p.deliverAll(p.a, outB)
	return p
}

func chatCopy(wires [][]byte) [][]byte {
	out := make([][]byte, len(wires))
	for i, w := range wires {
		out[i] = bytes.Clone(w)
	}
	return out
}

// other returns the peer of c.
func (p *chatPair) other(c *Chat) *Chat {
	if c == p.a {
		return p.b
	}
	return p.a
}

// send sends a text message from c and returns copies of the packets.
func (p *chatPair) send(c *Chat, id int64) [][]byte {
	p.t.Helper()
	out, err := c.Send(chatBody(p.t, id, fmt.Sprint("text ", id)))
	if err != nil {
		p.t.Fatal(err)
	}
	return chatCopy(out)
}

// recv delivers one packet to c, expecting the outcome want.
func (p *chatPair) recv(c *Chat, wire []byte, want Outcome) Receipt {
	p.t.Helper()
	r, err := c.Receive(wire)
	if r.Outcome != want {
		p.t.Fatalf("outcome %v (%v), want %v", r.Outcome, err, want)
	}
	if (err != nil) != (want == OutcomeDropped || want == OutcomeAborted) || r.Err != err {
		p.t.Fatalf("outcome %v with error %v", r.Outcome, err)
	}
	r.Send = chatCopy(r.Send)
	return r
}

// deliverAll delivers packets to c and, recursively, every answer to the
// other side, in order and without loss, returning the user messages c
// and its peer got.
func (p *chatPair) deliverAll(c *Chat, wires [][]byte) {
	p.t.Helper()
	for _, w := range wires {
		r, err := c.Receive(w)
		if err != nil {
			p.t.Fatalf("deliverAll: %v", err)
		}
		p.deliverAll(p.other(c), chatCopy(r.Send))
	}
}

// userIDs are the RandomIDs of the user messages in r.
func userIDs(t testing.TB, r Receipt) []int64 {
	var ids []int64
	for _, m := range r.Messages {
		if m.Action != nil {
			continue
		}
		msg, err := DecodeMessage(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.(*e2e.DecryptedMessage).RandomID)
	}
	return ids
}

// peek decrypts a packet sent by c, as its peer would, without a Chat.
func peek(t testing.TB, c *Chat, wire []byte) (Header, e2e.DecryptedMessageClass) {
	t.Helper()
	fp, _ := PeekFingerprint(wire)
	var key *Key
	for _, k := range []*chatKey{c.cur, c.prev, c.next} {
		if k != nil && k.key.fp == fp {
			key = k.key
		}
	}
	if key == nil {
		t.Fatal("peek: no such key")
	}
	h, msg, err := NewCodec(key, 1-c.role).DecryptMessage(wire)
	if err != nil {
		t.Fatal(err)
	}
	return h, msg
}

// actionOf returns the action of a service message.
func actionOf(msg e2e.DecryptedMessageClass) e2e.DecryptedMessageActionClass {
	switch m := msg.(type) {
	case *e2e.DecryptedMessageService:
		return m.Action
	case *e2e.DecryptedMessageService8:
		return m.Action
	}
	return nil
}

// forge encrypts body from c with an arbitrary header, leaving c's
// counters alone.
func forge(t testing.TB, c *Chat, h Header, body []byte) []byte {
	t.Helper()
	if h.Layer == 0 {
		h.Layer = CurrentLayer
	}
	w, err := NewCodec(c.cur.key, c.role).Encrypt(nil, h, body)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// forgeShortRandom builds a v2 wire message from role whose random_bytes
// are 14 bytes long, which Encrypt refuses to make.
func forgeShortRandom(t testing.TB, k *Key, role Role, h Header, body []byte) []byte {
	h.RandomBytes = 14
	dataLen := 4 + envelopeSize(h.RandomBytes, len(body))
	data := make([]byte, dataLen+MinPadding+(16-(dataLen+MinPadding)%16)%16)
	putEnvelope(data[:dataLen], &h, body)
	x := role.sendX()
	msgKey := kdf.MsgKeyV2(&k.k, x, data)
	c := NewCodec(k, role)
	c.derive(kdf.V2, &msgKey, x)
	ige.EncryptBlocks(&c.cipher, c.aesIV[:], data, data)
	wire := binary.LittleEndian.AppendUint64(nil, uint64(k.fp))
	wire = append(wire, msgKey[:]...)
	return append(wire, data...)
}

func TestChatSequenceNumbers(t *testing.T) {
	p := newChatPair(t, nil)
	// After creation each side has sent one NotifyLayer and received one.
	for _, tc := range []struct {
		c       *Chat
		in, out int32
	}{{p.a, 2*1 + 0, 2*1 + 1}, {p.b, 2*1 + 1, 2*1 + 0}} {
		h, _ := peek(t, tc.c, p.send(tc.c, 1)[0])
		if h.InSeqNo != tc.in || h.OutSeqNo != tc.out {
			t.Errorf("%v: in_seq_no %d out_seq_no %d, want %d %d", tc.c.role, h.InSeqNo, h.OutSeqNo, tc.in, tc.out)
		}
	}
}

func TestChatInOrder(t *testing.T) {
	p := newChatPair(t, nil)
	for id := int64(1); id <= 5; id++ {
		w := p.send(p.a, id)
		r := p.recv(p.b, w[0], OutcomeProcessed)
		if ids := userIDs(t, r); !slices.Equal(ids, []int64{id}) {
			t.Fatalf("got %v, want [%d]", ids, id)
		}
		if len(r.Send) != 0 {
			t.Fatalf("in-order message answered with %d packets", len(r.Send))
		}
	}
}

func TestChatDrops(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.MaxQueued = 4 })
	w1 := p.send(p.a, 1)[0]
	p.recv(p.b, w1, OutcomeProcessed)

	t.Run("duplicate", func(t *testing.T) {
		r := p.recv(p.b, w1, OutcomeDropped)
		if !errors.Is(r.Err, ErrDuplicate) {
			t.Fatal(r.Err)
		}
	})
	t.Run("duplicate in queue", func(t *testing.T) {
		_ = p.send(p.a, 2)
		w3 := p.send(p.a, 3)[0]
		p.recv(p.b, w3, OutcomeQueued)
		if r := p.recv(p.b, w3, OutcomeDropped); !errors.Is(r.Err, ErrDuplicate) {
			t.Fatal(r.Err)
		}
	})
	t.Run("queue full", func(t *testing.T) {
		var far []byte
		for id := int64(4); id <= 9; id++ {
			far = p.send(p.a, id)[0]
		}
		if r := p.recv(p.b, far, OutcomeDropped); !errors.Is(r.Err, ErrQueueFull) {
			t.Fatal(r.Err)
		}
	})
	t.Run("short random_bytes", func(t *testing.T) {
		h := Header{Layer: CurrentLayer, InSeqNo: 2*int32(p.a.in) + 0, OutSeqNo: 2*int32(p.a.out) + 1}
		w := forgeShortRandom(t, p.a.cur.key, Originator, h, chatBody(t, 99, "x"))
		if r := p.recv(p.b, w, OutcomeDropped); !errors.Is(r.Err, ErrShortRandomBytes) {
			t.Fatal(r.Err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		w := bytes.Clone(w1)
		w[0] ^= 1
		if r := p.recv(p.b, w, OutcomeDropped); !errors.Is(r.Err, ErrUnknownKey) {
			t.Fatal(r.Err)
		}
	})
	t.Run("forged", func(t *testing.T) {
		w := bytes.Clone(w1)
		w[len(w)-1] ^= 1
		if r := p.recv(p.b, w, OutcomeDropped); !errors.Is(r.Err, ErrMsgKey) {
			t.Fatal(r.Err)
		}
	})
	if p.b.Err() != nil {
		t.Fatal("a dropped packet aborted the chat")
	}
}

func TestChatAborts(t *testing.T) {
	body := chatBody(t, 7, "x")
	for _, tc := range []struct {
		name string
		// header of a message from a (originator) to b after one message
		// each way and a's creation NotifyLayer
		in, out int32
		want    error
	}{
		{"out_seq_no parity", 2, 2*2 + 0, ErrSeqParity},
		{"in_seq_no parity", 2 + 1, 2*2 + 1, ErrSeqParity},
		{"negative", -2, 2*2 + 1, ErrSeqParity},
		{"in_seq_no beyond sent", 2 * 3, 2*2 + 1, ErrInSeqNo},
		{"in_seq_no decreased", 0, 2*2 + 1, ErrInSeqNo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newChatPair(t, nil)
			p.deliverAll(p.b, p.send(p.a, 1))
			p.deliverAll(p.a, p.send(p.b, 1))
			// b has sent 2 messages and a has acknowledged both (in = 2).
			w := forge(t, p.a, Header{InSeqNo: tc.in, OutSeqNo: tc.out}, body)
			if tc.name == "in_seq_no decreased" {
				w = forge(t, p.a, Header{InSeqNo: 0, OutSeqNo: 2*2 + 1}, body)
			}
			r := p.recv(p.b, w, OutcomeAborted)
			if !errors.Is(r.Err, tc.want) {
				t.Fatalf("got %v, want %v", r.Err, tc.want)
			}
			if _, err := p.b.Send(body); !errors.Is(err, ErrChatAborted) || !errors.Is(err, tc.want) {
				t.Fatalf("Send after abort: %v", err)
			}
			if r, err := p.b.Receive(w); r.Outcome != OutcomeAborted || !errors.Is(err, ErrChatAborted) {
				t.Fatalf("Receive after abort: %v %v", r.Outcome, err)
			}
			// The reason survives a restart.
			st, _ := p.b.MarshalBinary()
			c, err := RestoreChat(st, p.cfg)
			if err != nil || !errors.Is(c.Err(), tc.want) {
				t.Fatalf("restored: %v, reason %v", err, c.Err())
			}
		})
	}
}

func TestChatGap(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.RetryAfter = time.Minute })
	var w [][]byte
	for id := int64(1); id <= 5; id++ {
		w = append(w, p.send(p.a, id)[0])
	}
	// Message 1 arrives, 2 and 3 are late, 4 and 5 arrive.
	p.recv(p.b, w[0], OutcomeProcessed)
	r := p.recv(p.b, w[3], OutcomeQueued)
	if len(r.Messages) != 0 || len(r.Send) != 1 {
		t.Fatalf("queued: %d messages, %d packets", len(r.Messages), len(r.Send))
	}
	_, msg := peek(t, p.b, r.Send[0])
	// a's messages: NotifyLayer (index 0), 1..5 at indexes 1..5; missing 2, 3.
	want := &e2e.DecryptedMessageActionResend{StartSeqNo: 2*2 + 1, EndSeqNo: 2*3 + 1}
	if got := actionOf(msg); !reflect.DeepEqual(got, want) {
		t.Fatalf("asked %#v, want %#v", got, want)
	}
	// The range is asked for once.
	if r := p.recv(p.b, w[4], OutcomeQueued); len(r.Send) != 0 {
		t.Fatalf("asked again: %d packets", len(r.Send))
	}
	if out, _ := p.b.Tick(); len(out) != 0 {
		t.Fatal("Tick asked again before RetryAfter")
	}
	p.clock.advance(time.Minute)
	out, _ := p.b.Tick()
	if len(out) != 1 {
		t.Fatalf("Tick after RetryAfter: %d packets", len(out))
	}
	if _, msg := peek(t, p.b, out[0]); !reflect.DeepEqual(actionOf(msg), want) {
		t.Fatalf("Tick asked %#v", actionOf(msg))
	}
	// a serves the Resend (the first one) with the stored packets, once.
	resend := bytes.Clone(r.Send[0])
	ra := p.recv(p.a, resend, OutcomeProcessed)
	if len(ra.Send) != 2 || !bytes.Equal(ra.Send[0], w[1]) || !bytes.Equal(ra.Send[1], w[2]) {
		t.Fatalf("resent %d packets, not the stored ones", len(ra.Send))
	}
	if !ra.Messages[0].Handled {
		t.Fatal("Resend not marked handled")
	}
	if r := p.recv(p.a, resend, OutcomeDropped); len(r.Send) != 0 {
		t.Fatal("a duplicate Resend was served again")
	}
	p.recv(p.b, w[2], OutcomeQueued)
	r = p.recv(p.b, ra.Send[0], OutcomeProcessed)
	if ids := userIDs(t, r); !slices.Equal(ids, []int64{2, 3, 4, 5}) {
		t.Fatalf("released %v", ids)
	}
	if len(p.b.queue) != 0 {
		t.Fatal("queue not empty")
	}
}

// A Resend that arrives behind a gap is served at once (the peer may be
// waiting for it to fill our gap) and not again when the gap fills.
func TestChatResendAtOnce(t *testing.T) {
	p := newChatPair(t, nil)
	lost := p.send(p.b, 1) // b's message at index 1, delayed
	wa := p.send(p.a, 1)   // a's message at index 1
	// b asks for a's index 1 (as if it were lost): behind b's delayed one.
	out, err := p.b.SendAction(&e2e.DecryptedMessageActionResend{StartSeqNo: 2*1 + 1, EndSeqNo: 2*1 + 1})
	if err != nil {
		t.Fatal(err)
	}
	r := p.recv(p.a, bytes.Clone(out[0]), OutcomeQueued)
	if len(r.Send) != 2 || !bytes.Equal(r.Send[0], wa[0]) {
		t.Fatalf("%d packets; want the stored message, then a Resend request", len(r.Send))
	}
	if _, msg := peek(t, p.a, r.Send[1]); !reflect.DeepEqual(actionOf(msg), &e2e.DecryptedMessageActionResend{StartSeqNo: 2, EndSeqNo: 2}) {
		t.Fatalf("asked %#v", actionOf(msg))
	}
	r = p.recv(p.a, lost[0], OutcomeProcessed)
	if len(r.Messages) != 2 || !r.Messages[1].Handled {
		t.Fatalf("released %d messages", len(r.Messages))
	}
	if len(r.Send) != 0 {
		t.Fatal("the Resend was served a second time")
	}
}

func TestChatLayers(t *testing.T) {
	clock := &chatClock{t: time.Unix(1_700_000_000, 0)}
	cfg := Config{Rand: rand.NewChaCha8([32]byte{'l'}), Now: clock.Now}
	key := chatTestKey(t, 2)
	a, outA, err := NewChat(key, Originator, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Case 1: NotifyLayer at creation, as Service8 under v1 while the peer
	// is at layer 8.
	if len(outA) != 1 {
		t.Fatalf("creation: %d packets", len(outA))
	}
	h, msg := peek(t, a, outA[0])
	if _, ok := msg.(*e2e.DecryptedMessageService8); !ok || h.Version != kdf.V1 || h.Layer != 8 {
		t.Fatalf("creation: %T, v%d, layer %d", msg, h.Version, h.Layer)
	}
	if got := actionOf(msg); !reflect.DeepEqual(got, &e2e.DecryptedMessageActionNotifyLayer{Layer: CurrentLayer}) {
		t.Fatalf("creation: %#v", got)
	}
	outA = chatCopy(outA)

	b, outB, err := NewChat(key, Responder, cfg)
	if err != nil {
		t.Fatal(err)
	}
	outB = chatCopy(outB)
	// Case 2 within 15 s: the peer's layer rises, no second notification.
	r, err := b.Receive(outA[0])
	if err != nil || len(r.Send) != 0 || r.PeerLayer != CurrentLayer || b.PeerLayer() != CurrentLayer {
		t.Fatalf("young chat: %v, %d packets, peer layer %d", err, len(r.Send), r.PeerLayer)
	}
	// Case 2 after 15 s: a learns b's layer and answers, now with
	// decryptedMessageService under v2.
	clock.advance(NotifyGrace)
	r, err = a.Receive(outB[0])
	if err != nil || len(r.Send) != 1 {
		t.Fatalf("grown chat: %v, %d packets", err, len(r.Send))
	}
	answer := bytes.Clone(r.Send[0])
	if _, err := b.Receive(answer); err != nil {
		t.Fatal(err)
	}
	h, msg = peek(t, a, answer)
	if _, ok := msg.(*e2e.DecryptedMessageService); !ok || h.Version != kdf.V2 || h.Layer != CurrentLayer {
		t.Fatalf("answer: %T, v%d, layer %d", msg, h.Version, h.Layer)
	}
	// Only upward.
	out, _ := b.SendAction(&e2e.DecryptedMessageActionNotifyLayer{Layer: 20})
	if r, _ := a.Receive(chatCopy(out)[0]); len(r.Send) != 0 || a.PeerLayer() != CurrentLayer {
		t.Fatalf("lower layer: peer layer %d", a.PeerLayer())
	}
	// Case 3: our own layer rises.
	out, err = a.SetLayer(CurrentLayer + 1)
	if err != nil || len(out) != 1 || a.Layer() != CurrentLayer+1 {
		t.Fatalf("SetLayer: %v, %d packets", err, len(out))
	}
	if _, msg := peek(t, a, out[0]); !reflect.DeepEqual(actionOf(msg), &e2e.DecryptedMessageActionNotifyLayer{Layer: CurrentLayer + 1}) {
		t.Fatalf("SetLayer sent %#v", actionOf(msg))
	}
	if out, _ := a.SetLayer(CurrentLayer); len(out) != 0 {
		t.Fatal("SetLayer to a lower layer notified")
	}
	// The envelope's layer raises the peer's layer as well (>= 17).
	if r, _ := b.Receive(chatCopy(out)[0]); r.PeerLayer != CurrentLayer+1 {
		t.Fatalf("peer layer %d after a higher envelope", r.PeerLayer)
	}
}

// v1 below layer 73 on either side, v2 when both are at 73 or above.
func TestChatVersionByLayer(t *testing.T) {
	for _, tc := range []struct {
		ours, peers int32
		v           kdf.Version
		layer       int32
	}{{CurrentLayer, CurrentLayer, kdf.V2, CurrentLayer}, {CurrentLayer, 46, kdf.V1, 46}, {46, CurrentLayer, kdf.V1, 46}, {73, 100, kdf.V2, 73}} {
		cfg := Config{Rand: rand.NewChaCha8([32]byte{'v'})}
		key := chatTestKey(t, 3)
		a, outA, _ := NewChat(key, Originator, Config{Layer: tc.ours, Rand: cfg.Rand})
		outA = chatCopy(outA)
		b, out, _ := NewChat(key, Responder, Config{Layer: tc.peers, Rand: cfg.Rand})
		if _, err := a.Receive(out[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Receive(outA[0]); err != nil {
			t.Fatal(err)
		}
		out, _ = a.Send(chatBody(t, 1, "x"))
		h, _ := peek(t, a, out[0])
		if h.Version != tc.v || h.Layer != tc.layer {
			t.Errorf("layers %d/%d: v%d layer %d, want v%d layer %d", tc.ours, tc.peers, h.Version, h.Layer, tc.v, tc.layer)
		}
		if r, err := b.Receive(out[0]); err != nil || len(userIDs(t, r)) != 1 {
			t.Errorf("layers %d/%d: peer: %v", tc.ours, tc.peers, err)
		}
	}
}

// The key visualization of docs/PROTOCOL.md section 3, with K = 00..ff
// as initial and layer-46 key (the vector there), kept across a re-key.
func TestChatVisualization(t *testing.T) {
	raw := make([]byte, KeySize)
	for i := range raw {
		raw[i] = byte(i)
	}
	key, _ := NewKey(raw)
	clock := &chatClock{t: time.Unix(1_700_000_000, 0)}
	cfg := Config{Rand: rand.NewChaCha8([32]byte{'z'}), Now: clock.Now, DH: &DH{G: 3, P: chatPrime(t)}}
	a, outA, _ := NewChat(key, Originator, cfg)
	b, outB, _ := NewChat(key, Responder, cfg)
	if _, ok := a.Visualization(); ok {
		t.Fatal("visualization complete before layer 46")
	}
	p := &chatPair{t: t, clock: clock, a: a, b: b, cfg: cfg}
	p.deliverAll(b, chatCopy(outA))
	p.deliverAll(a, chatCopy(outB))
	want := mustHexChat(t, "4916d6bdb7f78e6803698cab32d1586e40aff2e9d2d8922e47afd4648e6967497158785f")
	for _, c := range []*Chat{a, b} {
		v, ok := c.Visualization()
		if !ok || !bytes.Equal(v[:], want) {
			t.Fatalf("%v: visualization %x (%v), want %x", c.role, v, ok, want)
		}
	}
	rekey(t, p, p.a)
	if v, _ := a.Visualization(); !bytes.Equal(v[:], want) {
		t.Fatal("visualization changed with the key")
	}
}

func mustHexChat(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// makeDue makes c's key due for replacement and returns its RequestKey.
func makeDue(t testing.TB, c *Chat) []byte {
	t.Helper()
	c.cur.sent = RekeyMessages + 1
	out, err := c.Tick()
	if err != nil || len(out) != 1 {
		t.Fatalf("Tick on a due key: %v, %d packets", err, len(out))
	}
	if _, msg := peek(t, c, out[0]); reflect.TypeOf(actionOf(msg)) != reflect.TypeOf(&e2e.DecryptedMessageActionRequestKey{}) {
		t.Fatalf("Tick sent %#v", actionOf(msg))
	}
	return bytes.Clone(out[0])
}

// rekey runs a whole re-key started by c without loss and checks that both
// sides switched to the same new key.
func rekey(t testing.TB, p *chatPair, c *Chat) {
	t.Helper()
	old := c.cur.key.fp
	p.deliverAll(p.other(c), [][]byte{makeDue(t, c)})
	if p.a.cur.key.fp == old || p.a.cur.key.fp != p.b.cur.key.fp {
		t.Fatal("no common new key")
	}
	if p.a.prev != nil || p.b.prev != nil || p.a.next != nil || p.b.next != nil || p.a.ex.phase != exIdle || p.b.ex.phase != exIdle {
		t.Fatal("exchange state left behind")
	}
}

// actionType is the type name of the action in a packet from c.
func actionType(t testing.TB, c *Chat, wire []byte) string {
	t.Helper()
	_, msg := peek(t, c, wire)
	return fmt.Sprintf("%T", actionOf(msg))
}

func TestChatRekeyTriggers(t *testing.T) {
	t.Run("sent", func(t *testing.T) {
		p := newChatPair(t, nil)
		for id := int64(1); ; id++ {
			out := p.send(p.a, id)
			if len(out) == 2 {
				if p.a.cur.sent != RekeyMessages+2 || actionType(t, p.a, out[1]) != "*e2e.DecryptedMessageActionRequestKey" {
					t.Fatalf("request after %d messages: %s", p.a.cur.sent, actionType(t, p.a, out[1]))
				}
				break
			}
			if p.a.cur.sent > RekeyMessages {
				t.Fatal("no request after 101 messages")
			}
		}
	})
	t.Run("received", func(t *testing.T) {
		p := newChatPair(t, nil)
		for id := int64(1); ; id++ {
			out := p.send(p.a, id)
			r := p.recv(p.b, out[0], OutcomeProcessed)
			if p.b.cur.recv > RekeyMessages {
				if len(r.Send) != 1 || actionType(t, p.b, r.Send[0]) != "*e2e.DecryptedMessageActionRequestKey" {
					t.Fatal("no request after 101 messages received")
				}
				break
			}
			if len(r.Send) != 0 {
				t.Fatalf("early request at %d", p.b.cur.recv)
			}
		}
	})
	t.Run("week", func(t *testing.T) {
		p := newChatPair(t, nil)
		p.clock.advance(RekeyAge - time.Second)
		if out, _ := p.a.Tick(); len(out) != 0 {
			t.Fatal("request before a week")
		}
		p.clock.advance(time.Second)
		if out, _ := p.a.Tick(); len(out) != 1 {
			t.Fatal("no request after a week")
		}
	})
	t.Run("week unused", func(t *testing.T) {
		// After a re-key started by a, a has encrypted nothing under the
		// new key (b has: its Noop).
		p := newChatPair(t, nil)
		rekey(t, p, p.a)
		if p.a.cur.sent != 0 || p.b.cur.sent == 0 {
			t.Fatalf("sent under the new key: a %d, b %d", p.a.cur.sent, p.b.cur.sent)
		}
		p.clock.advance(RekeyAge + time.Hour)
		if out, _ := p.a.Tick(); len(out) != 0 {
			t.Fatal("request for a key that encrypted nothing")
		}
		if out, _ := p.b.Tick(); len(out) != 1 {
			t.Fatal("no request for a used week-old key")
		}
	})
	t.Run("week across restart", func(t *testing.T) {
		p := newChatPair(t, nil)
		p.send(p.a, 1)
		st, err := p.a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		p.clock.advance(6 * 24 * time.Hour)
		c, err := RestoreChat(st, p.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if out, _ := c.Tick(); len(out) != 0 {
			t.Fatal("request after 6 days")
		}
		st, _ = c.MarshalBinary()
		p.clock.advance(24 * time.Hour)
		c, err = RestoreChat(st, p.cfg)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := c.Tick()
		if len(out) != 1 || actionType(t, c, out[0]) != "*e2e.DecryptedMessageActionRequestKey" {
			t.Fatal("the week trigger did not survive a restart")
		}
	})
}

func TestChatRekeyFlow(t *testing.T) {
	p := newChatPair(t, nil)
	a, b := p.a, p.b
	oldA, oldB := a.cur.key, b.cur.key
	req := makeDue(t, a)
	ex := a.ex.req
	if a.ex.phase != exRequested || ex == nil {
		t.Fatal("not requested")
	}
	r := p.recv(b, req, OutcomeProcessed)
	if b.ex.phase != exAccepted || b.next == nil || len(r.Send) != 1 || actionType(t, b, r.Send[0]) != "*e2e.DecryptedMessageActionAcceptKey" {
		t.Fatal("not accepted")
	}
	accept := r.Send[0]
	// Until it is committed, b sends under the old key.
	fromB := p.send(b, 1)[0]
	if fp, _ := PeekFingerprint(fromB); fp != oldB.fp {
		t.Fatal("acceptor switched before the commit")
	}
	r = p.recv(a, accept, OutcomeProcessed)
	if a.ex.phase != exCommitted || a.prev == nil || a.cur.key.fp != b.next.key.fp || len(r.Send) != 1 {
		t.Fatal("not committed")
	}
	if fp, _ := PeekFingerprint(r.Send[0]); fp != oldA.fp || actionType(t, a, r.Send[0]) != "*e2e.DecryptedMessageActionCommitKey" {
		t.Fatal("CommitKey not under the old key")
	}
	if ex.a != [exponentSize]byte{} {
		t.Fatal("secret exponent kept after completion")
	}
	commit := r.Send[0]
	// a now sends under the new key; b decrypts it (with the key it
	// accepted) before it has seen the commit: queued behind it.
	fromA := p.send(a, 2)[0]
	if fp, _ := PeekFingerprint(fromA); fp != a.cur.key.fp {
		t.Fatal("requester did not switch after the commit")
	}
	askCommit := p.recv(b, fromA, OutcomeQueued).Send[0]
	// a still decrypts b's old-key message.
	if ids := userIDs(t, p.recv(a, fromB, OutcomeProcessed)); !slices.Equal(ids, []int64{1}) {
		t.Fatal("old key message lost")
	}
	if oldA.k == [KeySize]byte{} {
		t.Fatal("old key wiped too early")
	}
	r = p.recv(b, commit, OutcomeProcessed)
	if b.ex.phase != exIdle || b.next != nil || b.cur.key.fp != a.cur.key.fp || !slices.Equal(userIDs(t, r), []int64{2}) {
		t.Fatal("acceptor did not switch")
	}
	if oldB.k != [KeySize]byte{} || b.prev != nil {
		t.Fatal("acceptor kept the old key")
	}
	if len(r.Send) != 1 || actionType(t, b, r.Send[0]) != "*e2e.DecryptedMessageActionNoop" {
		t.Fatal("no Noop after the commit")
	}
	if fp, _ := PeekFingerprint(r.Send[0]); fp != b.cur.key.fp {
		t.Fatal("Noop not under the new key")
	}
	noop := r.Send[0]
	p.recv(a, askCommit, OutcomeProcessed)
	if a.prev == nil {
		t.Fatal("old key dropped on an old-key message")
	}
	p.recv(a, noop, OutcomeProcessed)
	if a.prev != nil || a.ex.phase != exIdle || oldA.k != [KeySize]byte{} {
		t.Fatal("requester kept the old key after the peer's first new-key message")
	}
	// A late packet under the old key is told apart.
	if r := p.recv(a, fromB, OutcomeDropped); !errors.Is(r.Err, ErrStaleKey) {
		t.Fatalf("old-key packet: %v", r.Err)
	}
	if a.cur.sent != 1 || a.cur.recv != 1 || b.cur.sent != 1 || b.cur.recv != 1 {
		t.Fatalf("new key counters: a %d/%d, b %d/%d", a.cur.sent, a.cur.recv, b.cur.sent, b.cur.recv)
	}
}

func TestChatRekeyConcurrent(t *testing.T) {
	t.Run("larger id wins", func(t *testing.T) {
		p := newChatPair(t, nil)
		reqA, reqB := makeDue(t, p.a), makeDue(t, p.b)
		winner, loser := p.a, p.b
		if p.b.ex.id > p.a.ex.id {
			winner, loser = p.b, p.a
		}
		id := winner.ex.id
		loserEx := loser.ex.req
		ra := p.recv(p.a, reqB, OutcomeProcessed)
		rb := p.recv(p.b, reqA, OutcomeProcessed)
		if loser.ex.phase != exAccepted || loser.ex.id != id || winner.ex.phase != exRequested || winner.ex.id != id {
			t.Fatalf("phases: winner %v, loser %v", winner.ex.phase, loser.ex.phase)
		}
		if loserEx.a != [exponentSize]byte{} {
			t.Fatal("the abandoned exchange kept its exponent")
		}
		p.deliverAll(p.b, ra.Send)
		p.deliverAll(p.a, rb.Send)
		if p.a.cur.key.fp != p.b.cur.key.fp || p.a.ex.phase != exIdle || p.b.ex.phase != exIdle {
			t.Fatal("no common key after concurrent requests")
		}
	})
	t.Run("equal ids", func(t *testing.T) {
		p := newChatPair(t, nil)
		old := p.a.cur.key.fp
		reqA := makeDue(t, p.a)
		// b requests with the same exchange_id.
		dh := DH{G: 3, P: chatPrime(t), Rand: p.cfg.Rand}
		exB, err := dh.Request(nil)
		if err != nil {
			t.Fatal(err)
		}
		p.b.ex = exchange{phase: exRequested, id: p.a.ex.id, req: exB}
		out, err := p.b.SendAction(&e2e.DecryptedMessageActionRequestKey{ExchangeID: p.a.ex.id, GA: exB.GA()})
		if err != nil {
			t.Fatal(err)
		}
		reqB := bytes.Clone(out[0])
		exA := p.a.ex.req
		ra := p.recv(p.a, reqB, OutcomeProcessed)
		rb := p.recv(p.b, reqA, OutcomeProcessed)
		for _, r := range []struct {
			c  *Chat
			rc Receipt
			ex *Exchange
		}{{p.a, ra, exA}, {p.b, rb, exB}} {
			if r.c.ex.phase != exIdle || r.ex.a != [exponentSize]byte{} || len(r.rc.Send) != 1 ||
				actionType(t, r.c, r.rc.Send[0]) != "*e2e.DecryptedMessageActionAbortKey" {
				t.Fatalf("%v did not abort on equal ids", r.c.role)
			}
		}
		p.deliverAll(p.b, ra.Send)
		p.deliverAll(p.a, rb.Send)
		if p.a.cur.key.fp != old || p.b.cur.key.fp != old {
			t.Fatal("key changed")
		}
		// The key is still due: after a pause the next attempt succeeds.
		if out, _ := p.a.Tick(); len(out) != 0 {
			t.Fatal("re-requested at once after an abort")
		}
		p.clock.advance(p.a.cfg.RetryAfter)
		rekey(t, p, p.a)
	})
}

func TestChatRekeyAborts(t *testing.T) {
	t.Run("AbortKey while requested", func(t *testing.T) {
		p := newChatPair(t, nil)
		req := makeDue(t, p.a)
		_ = req
		ex := p.a.ex.req
		out, _ := p.b.SendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: p.a.ex.id})
		p.recv(p.a, chatCopy(out)[0], OutcomeProcessed)
		if p.a.ex.phase != exIdle || ex.a != [exponentSize]byte{} {
			t.Fatal("exchange not dropped")
		}
	})
	t.Run("AbortKey while accepted", func(t *testing.T) {
		p := newChatPair(t, nil)
		p.recv(p.b, makeDue(t, p.a), OutcomeProcessed)
		next := p.b.next.key
		out, _ := p.a.SendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: p.b.ex.id})
		p.recv(p.b, chatCopy(out)[0], OutcomeProcessed)
		if p.b.ex.phase != exIdle || p.b.next != nil || next.k != [KeySize]byte{} {
			t.Fatal("accepted key not dropped")
		}
	})
	t.Run("AbortKey after commit", func(t *testing.T) {
		p := newChatPair(t, nil)
		r := p.recv(p.b, makeDue(t, p.a), OutcomeProcessed)
		p.recv(p.a, r.Send[0], OutcomeProcessed) // a commits
		out, _ := p.b.SendAction(&e2e.DecryptedMessageActionAbortKey{ExchangeID: p.a.ex.id})
		if r := p.recv(p.a, chatCopy(out)[0], OutcomeAborted); !errors.Is(r.Err, ErrRekeyFailed) {
			t.Fatal(r.Err)
		}
	})
	t.Run("AcceptKey with a wrong fingerprint", func(t *testing.T) {
		p := newChatPair(t, nil)
		_ = makeDue(t, p.a)
		gB, key, err := p.b.dh.Accept(p.a.ex.req.GA(), nil)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := p.b.SendAction(&e2e.DecryptedMessageActionAcceptKey{ExchangeID: p.a.ex.id, GB: gB, KeyFingerprint: key.fp + 1})
		r := p.recv(p.a, chatCopy(out)[0], OutcomeProcessed)
		if p.a.ex.phase != exIdle || len(r.Send) != 1 || actionType(t, p.a, r.Send[0]) != "*e2e.DecryptedMessageActionAbortKey" {
			t.Fatal("mismatching fingerprint accepted")
		}
	})
	t.Run("CommitKey with a wrong fingerprint", func(t *testing.T) {
		p := newChatPair(t, nil)
		p.recv(p.b, makeDue(t, p.a), OutcomeProcessed)
		next := p.b.next.key
		out, _ := p.a.SendAction(&e2e.DecryptedMessageActionCommitKey{ExchangeID: p.b.ex.id, KeyFingerprint: next.fp + 1})
		r := p.recv(p.b, chatCopy(out)[0], OutcomeProcessed)
		if p.b.ex.phase != exIdle || p.b.next != nil || next.k != [KeySize]byte{} || len(r.Send) != 1 ||
			actionType(t, p.b, r.Send[0]) != "*e2e.DecryptedMessageActionAbortKey" {
			t.Fatal("mismatching commit accepted")
		}
	})
	t.Run("no DH configured", func(t *testing.T) {
		p := newChatPair(t, nil)
		req := makeDue(t, p.a)
		p.b.dh = nil
		r := p.recv(p.b, req, OutcomeProcessed)
		if len(r.Send) != 1 || actionType(t, p.b, r.Send[0]) != "*e2e.DecryptedMessageActionAbortKey" {
			t.Fatal("request not refused")
		}
		p.recv(p.a, r.Send[0], OutcomeProcessed)
		if p.a.ex.phase != exIdle {
			t.Fatal("requester still waiting")
		}
	})
}

// chatStates returns persisted states of a chat pair in interesting
// phases: idle, a re-key requested (secret exponent), accepted (next key),
// committed (previous key), each with queued and stored messages.
func chatStates(t testing.TB) map[string][]byte {
	p := newChatPair(t, nil)
	states := map[string][]byte{}
	save := func(name string, c *Chat) {
		st, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		states[name] = st
	}
	save("fresh", p.a)
	lost := p.send(p.a, 1)
	askB := p.recv(p.b, p.send(p.a, 2)[0], OutcomeQueued).Send[0] // a gap at b
	save("queued", p.b)
	req := makeDue(t, p.a)
	save("requested", p.a)
	p.recv(p.b, req, OutcomeQueued)
	r := p.recv(p.b, lost[0], OutcomeProcessed)
	save("accepted", p.b)
	p.recv(p.a, askB, OutcomeProcessed)
	p.recv(p.a, r.Send[len(r.Send)-1], OutcomeProcessed)
	save("committed", p.a)
	// Aborted by a queued message whose in_seq_no went down, with another
	// queued behind it.
	p = newChatPair(t, nil)
	m1, m2, m3 := p.send(p.b, 1)[0], p.send(p.b, 2)[0], p.send(p.b, 3)[0]
	h2, _ := peek(t, p.b, m2)
	h2.InSeqNo -= 2
	p.recv(p.a, forge(t, p.b, h2, chatBody(t, 2, "in_seq_no lowered")), OutcomeQueued)
	p.recv(p.a, m3, OutcomeQueued)
	p.recv(p.a, m1, OutcomeAborted)
	save("aborted", p.a)
	return states
}

func TestChatPersistence(t *testing.T) {
	// Restart both sides at every step of a re-key with messages in
	// flight; the conversation goes on.
	for step := range 6 {
		t.Run(fmt.Sprintf("restart at %d", step), func(t *testing.T) {
			p := newChatPair(t, nil)
			restart := func(i int) {
				if i != step {
					return
				}
				for _, c := range []**Chat{&p.a, &p.b} {
					st, err := (*c).MarshalBinary()
					if err != nil {
						t.Fatal(err)
					}
					n, err := RestoreChat(st, p.cfg)
					if err != nil {
						t.Fatal(err)
					}
					if again, _ := n.MarshalBinary(); !bytes.Equal(again, st) {
						t.Fatal("restored state differs")
					}
					var z Chat
					if err := z.UnmarshalBinary(st); err != nil || z.in != n.in || z.cur.key.fp != n.cur.key.fp {
						t.Fatal("UnmarshalBinary differs from RestoreChat")
					}
					(*c).Wipe()
					*c = n
				}
			}
			lost := p.send(p.a, 1)
			askB := p.recv(p.b, p.send(p.a, 2)[0], OutcomeQueued).Send[0]
			restart(0)
			req := makeDue(t, p.a)
			restart(1)
			p.recv(p.b, req, OutcomeQueued)
			r := p.recv(p.b, lost[0], OutcomeProcessed)
			if ids := userIDs(t, r); !slices.Equal(ids, []int64{1, 2}) {
				t.Fatalf("delivered %v", ids)
			}
			accept := r.Send[len(r.Send)-1]
			p.recv(p.a, askB, OutcomeProcessed)
			restart(2)
			r = p.recv(p.a, accept, OutcomeProcessed)
			restart(3)
			commit := r.Send[0]
			fromA := p.send(p.a, 3)
			r = p.recv(p.b, commit, OutcomeProcessed)
			noop := r.Send[0]
			restart(4)
			p.recv(p.b, fromA[0], OutcomeProcessed)
			p.recv(p.a, noop, OutcomeProcessed)
			restart(5)
			if p.a.cur.key.fp != p.b.cur.key.fp || p.a.prev != nil || p.b.next != nil {
				t.Fatal("re-key did not complete across the restart")
			}
			p.deliverAll(p.b, p.send(p.a, 4))
			p.deliverAll(p.a, p.send(p.b, 1))
		})
	}
}

func TestChatUnmarshalErrors(t *testing.T) {
	states := chatStates(t)
	st := states["requested"]
	var c Chat
	for n := range len(st) {
		if err := c.UnmarshalBinary(st[:n]); !errors.Is(err, ErrCorruptChat) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	for i := range st {
		bad := bytes.Clone(st)
		bad[i] ^= 0x10
		if err := c.UnmarshalBinary(bad); !errors.Is(err, ErrCorruptChat) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	if err := c.UnmarshalBinary(append(bytes.Clone(st), 0)); !errors.Is(err, ErrCorruptChat) {
		t.Fatal("trailing byte accepted")
	}
	// Well-formed checksums around bad contents.
	body := st[:len(st)-sha256.Size]
	reseal := func(edit func([]byte)) []byte {
		b := bytes.Clone(body)
		edit(b)
		return sealChat(b)
	}
	for name, edit := range map[string]func([]byte){
		"version":   func(b []byte) { b[len(chatMagic)] = chatVersion + 1 },
		"version 0": func(b []byte) { b[len(chatMagic)] = 0 },
		"magic":     func(b []byte) { b[0] = 'X' },
		"role":      func(b []byte) { b[len(chatMagic)+1] = 2 },
		"layer":     func(b []byte) { b[len(chatMagic)+2] = 1 },
		"abort":     func(b []byte) { b[len(chatMagic)+2+16] = 9 },
		"exponent":  func(b []byte) { b[bytes.Index(b, []byte(exchangeMagic))+4+8+KeySize+10] ^= 1 },
	} {
		if err := c.UnmarshalBinary(reseal(edit)); !errors.Is(err, ErrCorruptChat) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if c.cur != nil {
		t.Fatal("a failed UnmarshalBinary changed the chat")
	}
	for name, st := range states {
		if _, err := RestoreChat(st, Config{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzChatUnmarshal: a state never panics the restore; one that restores
// marshals back to itself (an older version: to a current one that does).
// The fuzzer cannot forge the SHA-256 trailer, so the input is also tried
// with a correct one appended (sealChat), which reaches the parser behind it.
func FuzzChatUnmarshal(f *testing.F) {
	states := slices.Collect(maps.Values(chatStates(f)))
	for _, name := range []string{"originator", "responder"} {
		st, err := os.ReadFile("testdata/chat-v1-" + name + ".bin")
		if err != nil {
			f.Fatal(err)
		}
		states = append(states, st)
	}
	for _, st := range states {
		f.Add(st)
		f.Add(st[:len(st)-sha256.Size])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, st := range [][]byte{data, sealChat(data)} {
			c, err := RestoreChat(st, Config{})
			if err != nil {
				if !errors.Is(err, ErrCorruptChat) {
					t.Fatalf("error %v is not ErrCorruptChat", err)
				}
				continue
			}
			again, err := c.MarshalBinary()
			if err == nil && st[len(chatMagic)] != chatVersion {
				st = again // an older version: the current one round-trips
				if c, err = RestoreChat(st, Config{}); err != nil {
					t.Fatalf("a re-marshalled state does not restore: %v", err)
				}
				again, err = c.MarshalBinary()
			}
			if err != nil || !bytes.Equal(again, st) {
				t.Fatal("a restored state marshals differently")
			}
		}
	})
}

// Sending and receiving raw bodies in order allocate nothing once the
// buffers have grown.
func TestChatAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	p := newChatPair(t, func(c *Config) { c.DH = nil; c.MaxStored = 16 })
	body := chatBody(t, 1, string(make([]byte, 1000)))
	var wire []byte
	step := func() {
		out, err := p.a.Send(body)
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire[:0], out[0]...)
		if _, err := p.b.Receive(wire); err != nil {
			t.Fatal(err)
		}
		out, err = p.b.Send(body)
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire[:0], out[0]...)
		if _, err := p.a.Receive(wire); err != nil {
			t.Fatal(err)
		}
	}
	for range 64 {
		step()
	}
	if n := testing.AllocsPerRun(100, step); n != 0 {
		t.Fatalf("%v allocations per round trip", n)
	}
}

func TestChatAPIErrors(t *testing.T) {
	key := chatTestKey(t, 5)
	if _, _, err := NewChat(nil, Originator, Config{}); err == nil {
		t.Error("nil key accepted")
	}
	if _, _, err := NewChat(key, Role(2), Config{}); err == nil {
		t.Error("bad role accepted")
	}
	if _, _, err := NewChat(key, Originator, Config{Layer: 7}); err == nil {
		t.Error("layer 7 accepted")
	}
	c, _, err := NewChat(key, Responder, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Role() != Responder || c.Fingerprint() != key.Fingerprint() || c.Layer() != CurrentLayer || c.PeerLayer() != 8 {
		t.Error("accessors")
	}
	if _, err := c.SendMessage(nil); !errors.Is(err, ErrMalformedTL) {
		t.Errorf("SendMessage(nil): %v", err)
	}
	if _, err := c.Send([]byte{1, 2, 3, 4}); !errors.Is(err, ErrUnknownConstructor) {
		t.Errorf("Send of a non-message: %v", err)
	}
	if r, err := c.Receive([]byte{1, 2}); r.Outcome != OutcomeDropped || !errors.Is(err, ErrMessageSize) {
		t.Errorf("Receive of 2 bytes: %v %v", r.Outcome, err)
	}
	for o, s := range map[Outcome]string{OutcomeProcessed: "processed", OutcomeQueued: "queued", OutcomeDropped: "dropped", OutcomeAborted: "aborted", 9: "Outcome(9)"} {
		if o.String() != s {
			t.Errorf("%d: %s", int(o), o)
		}
	}
	c.Wipe()
	if c.cur.key.k != [KeySize]byte{} {
		t.Error("Wipe left the key")
	}
	if _, err := c.Send(chatBody(t, 1, "x")); !errors.Is(err, ErrChatAborted) {
		t.Errorf("Send after Wipe: %v", err)
	}
	if _, err := c.Tick(); !errors.Is(err, ErrChatAborted) {
		t.Errorf("Tick after Wipe: %v", err)
	}
}

// A Resend is served from the stored packets. One that reaches packets
// never sent by this state aborts the chat (ErrResendUnavailable) at
// once; one that reaches packets no longer stored (Config.MaxStored)
// aborts when the peer asks again RetryAfter later and has shown no sign
// of having them, whether it arrives in order or behind a gap.
func TestChatResendRanges(t *testing.T) {
	for _, tc := range []struct {
		name       string
		start, end int
		peerHas    bool  // b received a's messages before asking
		want       []int // indexes into sent, served at the first request
		err        error // of the first request, or else of the second
	}{
		{"wrong parity", 2*3 + 0, 2*4 + 0, false, nil, nil},
		{"reversed", 2*4 + 1, 2*3 + 1, false, nil, nil},
		{"stored", 2*3 + 1, 2*4 + 1, false, []int{2, 3}, nil},
		{"beyond sent", 2*5 + 1, 2*9 + 1, false, nil, ErrResendUnavailable},
		{"forgotten", 2*1 + 1, 2*3 + 1, false, []int{2}, ErrResendUnavailable},
		{"forgotten, stale request", 2*1 + 1, 2*2 + 1, true, nil, nil},
	} {
		for _, behind := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/behind a gap=%v", tc.name, behind), func(t *testing.T) {
				p := newChatPair(t, func(c *Config) { c.MaxStored = 3 })
				var sent [][]byte
				for id := int64(1); id <= 5; id++ {
					sent = append(sent, p.send(p.a, id)[0])
				}
				// a has sent indexes 0..5 (0 is its NotifyLayer); 3..5 are stored.
				if tc.peerHas {
					for _, w := range sent {
						p.recv(p.b, w, OutcomeProcessed)
					}
				}
				if behind {
					p.send(p.b, 1) // lost: the Resends after it are queued
				}
				ask := func() Receipt {
					out, err := p.b.SendAction(&e2e.DecryptedMessageActionResend{StartSeqNo: tc.start, EndSeqNo: tc.end})
					if err != nil {
						t.Fatal(err)
					}
					r, _ := p.a.Receive(bytes.Clone(out[0]))
					r.Send = chatCopy(r.Send)
					return r
				}
				r := ask()
				if tc.err != nil && tc.want == nil {
					if r.Outcome != OutcomeAborted || !errors.Is(r.Err, tc.err) || !errors.Is(p.a.Err(), tc.err) {
						t.Fatalf("%v, error %v", r.Outcome, r.Err)
					}
					st, _ := p.a.MarshalBinary()
					if c, err := RestoreChat(st, p.cfg); err != nil || !errors.Is(c.Err(), tc.err) {
						t.Fatalf("restored: %v, reason %v", err, c.Err())
					}
					return
				}
				if want := map[bool]Outcome{false: OutcomeProcessed, true: OutcomeQueued}[behind]; r.Outcome != want || r.Err != nil {
					t.Fatalf("%v (%v), want %v", r.Outcome, r.Err, want)
				}
				var resent [][]byte
				for _, w := range r.Send {
					if actionType(t, p.a, w) != "*e2e.DecryptedMessageActionResend" {
						resent = append(resent, w)
					}
				}
				if len(resent) != len(tc.want) {
					t.Fatalf("%d packets, want %d", len(resent), len(tc.want))
				}
				for i, j := range tc.want {
					if !bytes.Equal(resent[i], sent[j]) {
						t.Fatalf("packet %d is not the stored one", i)
					}
				}
				// The peer asks again: before RetryAfter, then after it.
				p.clock.advance(p.a.cfg.RetryAfter / 2)
				if r := ask(); r.Outcome == OutcomeAborted {
					t.Fatalf("aborted on a request before RetryAfter: %v", r.Err)
				}
				p.clock.advance(p.a.cfg.RetryAfter / 2)
				r = ask()
				if tc.err == nil {
					if r.Outcome == OutcomeAborted {
						t.Fatalf("aborted: %v", r.Err)
					}
					return
				}
				if r.Outcome != OutcomeAborted || !errors.Is(r.Err, tc.err) {
					t.Fatalf("second request after RetryAfter: %v (%v)", r.Outcome, r.Err)
				}
			})
		}
	}
}

func TestChatRekeyRequestWhileBusy(t *testing.T) {
	t.Run("accepted, a new request replaces it", func(t *testing.T) {
		p := newChatPair(t, nil)
		p.recv(p.b, makeDue(t, p.a), OutcomeProcessed)
		first := p.b.next.key
		// a gives up (as after a restart from an older state) and asks again.
		p.a.ex.wipe()
		p.clock.advance(time.Second)
		r := p.recv(p.b, makeDue(t, p.a), OutcomeProcessed)
		if first.k != [KeySize]byte{} || p.b.next == nil || p.b.ex.id != p.a.ex.id || len(r.Send) != 1 {
			t.Fatal("the new request did not replace the accepted one")
		}
		p.deliverAll(p.a, r.Send)
		if p.a.cur.key.fp != p.b.cur.key.fp || p.b.next != nil {
			t.Fatal("no common key")
		}
	})
	t.Run("committed, a request is refused", func(t *testing.T) {
		p := newChatPair(t, nil)
		r := p.recv(p.b, makeDue(t, p.a), OutcomeProcessed)
		p.recv(p.a, r.Send[0], OutcomeProcessed) // a commits
		out, _ := p.b.SendAction(&e2e.DecryptedMessageActionRequestKey{ExchangeID: 5, GA: p.b.next.key.Bytes()[:8]})
		r = p.recv(p.a, chatCopy(out)[0], OutcomeProcessed)
		if p.a.ex.phase != exCommitted || len(r.Send) != 1 || actionType(t, p.a, r.Send[0]) != "*e2e.DecryptedMessageActionAbortKey" {
			t.Fatal("request during a commit not refused")
		}
	})
	t.Run("bad g_a", func(t *testing.T) {
		p := newChatPair(t, nil)
		out, _ := p.a.SendAction(&e2e.DecryptedMessageActionRequestKey{ExchangeID: 5, GA: []byte{1}})
		r := p.recv(p.b, chatCopy(out)[0], OutcomeProcessed)
		if p.b.ex.phase != exIdle || len(r.Send) != 1 || actionType(t, p.b, r.Send[0]) != "*e2e.DecryptedMessageActionAbortKey" {
			t.Fatal("bad g_a not refused")
		}
	})
}

// Truncations of the contents behind a valid checksum reach every read of
// the parser.
func TestChatUnmarshalTruncatedContents(t *testing.T) {
	for name, st := range chatStates(t) {
		body := st[:len(st)-sha256.Size]
		for n := range len(body) {
			if _, err := RestoreChat(sealChat(body[:n]), Config{}); !errors.Is(err, ErrCorruptChat) {
				t.Fatalf("%s cut at %d: %v", name, n, err)
			}
		}
	}
}
