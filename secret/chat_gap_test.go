package secret

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg/e2e"
)

// resendsIn returns the ranges (out_seq_no) of the Resend requests among
// packets c sent.
func resendsIn(t *testing.T, c *Chat, wires [][]byte) [][2]int {
	t.Helper()
	var got [][2]int
	for _, w := range wires {
		if _, msg := peek(t, c, w); msg != nil {
			if r, ok := actionOf(msg).(*e2e.DecryptedMessageActionResend); ok {
				got = append(got, [2]int{r.StartSeqNo, r.EndSeqNo})
			}
		}
	}
	return got
}

// Every gap keeps its own deadline: gaps opening all the time do not hold
// back an older one, Receive re-asks as well as Tick, and due gaps close
// together share one Resend.
func TestChatGapDeadlines(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.RetryAfter = 10 * time.Second })
	var w [][]byte // a's messages; w[i] has index i+1, out_seq_no 2(i+1)+1
	for id := int64(1); id <= 12; id++ {
		w = append(w, p.send(p.a, id)[0])
	}
	seq := func(index int) int { return 2*index + 1 }
	expect := func(what string, got [][2]int, want ...[2]int) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Fatalf("%s: asked for %v, want %v", what, got, want)
		}
	}
	p.recv(p.b, w[0], OutcomeProcessed)
	r := p.recv(p.b, w[2], OutcomeQueued) // t0: index 2 missing
	expect("gap at t0", resendsIn(t, p.b, r.Send), [2]int{seq(2), seq(2)})
	p.clock.advance(4 * time.Second)
	r = p.recv(p.b, w[4], OutcomeQueued) // t0+4: index 4 missing
	expect("gap at t0+4", resendsIn(t, p.b, r.Send), [2]int{seq(4), seq(4)})
	p.clock.advance(4 * time.Second)
	r = p.recv(p.b, w[6], OutcomeQueued) // t0+8: index 6 missing
	expect("gap at t0+8", resendsIn(t, p.b, r.Send), [2]int{seq(6), seq(6)})
	p.clock.advance(time.Second)
	out, _ := p.b.Tick()
	expect("Tick at t0+9", resendsIn(t, p.b, out))
	p.clock.advance(time.Second)
	out, _ = p.b.Tick()
	expect("Tick at t0+10", resendsIn(t, p.b, chatCopy(out)), [2]int{seq(2), seq(2)})
	p.clock.advance(4 * time.Second)
	// A duplicate is dropped, and the Receive asks for what is due.
	r = p.recv(p.b, w[0], OutcomeDropped)
	expect("Receive at t0+14", resendsIn(t, p.b, r.Send), [2]int{seq(4), seq(4)})
	p.clock.advance(10 * time.Second)
	out, _ = p.b.Tick()
	expect("Tick at t0+24", resendsIn(t, p.b, chatCopy(out)), [2]int{seq(2), seq(6)})
	// The gaps fill; nothing is asked for any more.
	p.recv(p.b, w[3], OutcomeQueued)
	p.recv(p.b, w[5], OutcomeQueued)
	r = p.recv(p.b, w[1], OutcomeProcessed)
	if ids := userIDs(t, r); !slices.Equal(ids, []int64{2, 3, 4, 5, 6, 7}) {
		t.Fatalf("released %v", ids)
	}
	p.clock.advance(time.Hour)
	if out, _ := p.b.Tick(); len(out) != 0 || len(p.b.gaps) != 0 {
		t.Fatalf("%d packets, %d gaps after the gaps filled", len(out), len(p.b.gaps))
	}
}

// A Resend that cannot be queued (Config.MaxQueued) is still served, and
// the messages dropped for lack of room are asked for once they fit.
func TestChatResendQueueFull(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.MaxQueued = 2 })
	wa := p.send(p.a, 1)[0] // a's index 1, lost
	var wb [][]byte         // b's indexes 1..3
	for id := int64(1); id <= 3; id++ {
		wb = append(wb, p.send(p.b, id)[0])
	}
	p.recv(p.a, wb[1], OutcomeQueued) // index 2; 1 missing
	out, err := p.b.SendAction(&e2e.DecryptedMessageActionResend{StartSeqNo: 2*1 + 1, EndSeqNo: 2*1 + 1})
	if err != nil {
		t.Fatal(err)
	}
	r := p.recv(p.a, chatCopy(out)[0], OutcomeDropped) // index 4: beyond the queue
	if !errors.Is(r.Err, ErrQueueFull) {
		t.Fatal(r.Err)
	}
	// The stored message, then a Resend for b's index 3, which fits the
	// queue; 4 (the dropped Resend) does not yet.
	if len(r.Send) != 2 || !bytes.Equal(r.Send[0], wa) {
		t.Fatalf("%d packets; want the stored message first", len(r.Send))
	}
	if got := resendsIn(t, p.a, r.Send[1:]); !slices.Equal(got, [][2]int{{2 * 3, 2 * 3}}) {
		t.Fatalf("asked for %v", got)
	}
	// b's index 1 arrives: 1 and 2 are delivered, and 4 now fits the queue
	// and is asked for.
	r = p.recv(p.a, wb[0], OutcomeProcessed)
	if ids := userIDs(t, r); !slices.Equal(ids, []int64{1, 2}) {
		t.Fatalf("delivered %v", ids)
	}
	if got := resendsIn(t, p.a, r.Send); !slices.Equal(got, [][2]int{{2 * 4, 2 * 4}}) {
		t.Fatalf("asked for %v", got)
	}
}

// When a gap can never fill, the chat ends with a documented error: the
// sender that no longer holds the messages aborts with
// ErrResendUnavailable, and with Config.MaxAsks the side that waits gives
// up with ErrGapUnfilled.
func TestChatGapCannotFill(t *testing.T) {
	t.Run("forgotten past MaxStored", func(t *testing.T) {
		p := newChatPair(t, func(c *Config) { c.MaxStored = 2; c.RetryAfter = 10 * time.Second })
		var w [][]byte
		for id := int64(1); id <= 5; id++ {
			w = append(w, p.send(p.a, id)[0])
		}
		r := p.recv(p.b, w[4], OutcomeQueued) // 1..4 missing; a holds 4 and 5
		r = p.recv(p.a, r.Send[0], OutcomeProcessed)
		if len(r.Send) != 1 || !bytes.Equal(r.Send[0], w[3]) {
			t.Fatalf("%d packets; want the one still stored", len(r.Send))
		}
		p.recv(p.b, r.Send[0], OutcomeQueued)
		p.clock.advance(10 * time.Second)
		out, err := p.b.Tick()
		if err != nil || len(out) != 1 {
			t.Fatalf("Tick: %v, %d packets", err, len(out))
		}
		r = p.recv(p.a, chatCopy(out)[0], OutcomeAborted)
		if !errors.Is(r.Err, ErrResendUnavailable) {
			t.Fatal(r.Err)
		}
		if _, err := p.a.Send(chatBody(t, 9, "x")); !errors.Is(err, ErrChatAborted) || !errors.Is(err, ErrResendUnavailable) {
			t.Fatalf("Send after the abort: %v", err)
		}
	})
	t.Run("restored without it", func(t *testing.T) {
		p := newChatPair(t, nil)
		old, err := p.a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		p.send(p.a, 1) // lost, and forgotten: a comes back from old
		r := p.recv(p.b, p.send(p.a, 2)[0], OutcomeQueued)
		if p.a, err = RestoreChat(old, p.cfg); err != nil {
			t.Fatal(err)
		}
		r = p.recv(p.a, r.Send[0], OutcomeAborted)
		if !errors.Is(r.Err, ErrResendUnavailable) {
			t.Fatal(r.Err)
		}
	})
	t.Run("MaxAsks", func(t *testing.T) {
		p := newChatPair(t, func(c *Config) { c.MaxAsks = 3; c.RetryAfter = 10 * time.Second })
		p.send(p.a, 1) // lost; a never answers
		w2 := p.send(p.a, 2)[0]
		p.recv(p.b, w2, OutcomeQueued) // asked once
		for range 2 {
			p.clock.advance(10 * time.Second)
			if out, err := p.b.Tick(); err != nil || len(out) != 1 {
				t.Fatalf("Tick: %v, %d packets", err, len(out))
			}
		}
		p.clock.advance(10 * time.Second)
		// Receive neither asks a fourth time nor gives up.
		if r := p.recv(p.b, w2, OutcomeDropped); len(r.Send) != 0 || p.b.Err() != nil {
			t.Fatalf("Receive: %d packets, %v", len(r.Send), p.b.Err())
		}
		out, err := p.b.Tick()
		if !errors.Is(err, ErrGapUnfilled) || len(out) != 0 || !errors.Is(p.b.Err(), ErrGapUnfilled) {
			t.Fatalf("Tick after MaxAsks: %v, %d packets", err, len(out))
		}
		if _, err := p.b.Tick(); !errors.Is(err, ErrChatAborted) || !errors.Is(err, ErrGapUnfilled) {
			t.Fatalf("Tick after the abort: %v", err)
		}
		st, _ := p.b.MarshalBinary()
		if c, err := RestoreChat(st, p.cfg); err != nil || !errors.Is(c.Err(), ErrGapUnfilled) {
			t.Fatalf("restored: %v, reason %v", err, c.Err())
		}
	})
}

// States written by version 1 (one retry deadline for all gaps) still
// restore, and the chat goes on from them. testdata/chat-v1-*.bin were
// written by the version 1 code (commit 8defd1c): an originator that sent
// text messages 1..5 (indexes 1..5) and a responder that received 1, 3 and
// 5 and asked for 2 at t0 and 4 at t0+5s (t0 = 1_700_000_000), with
// RetryAfter one minute.
func TestChatRestoreVersion1(t *testing.T) {
	clock := &chatClock{t: time.Unix(1_700_000_005, 0)}
	cfg := Config{Now: clock.Now, RetryAfter: time.Minute}
	var chats [2]*Chat
	for i, name := range []string{"originator", "responder"} {
		st, err := os.ReadFile("testdata/chat-v1-" + name + ".bin")
		if err != nil {
			t.Fatal(err)
		}
		if st[len(chatMagic)] != 1 {
			t.Fatalf("%s: not a version 1 state", name)
		}
		if chats[i], err = RestoreChat(st, cfg); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// It is written back as the current version, which round-trips.
		again, err := chats[i].MarshalBinary()
		if err != nil || again[len(chatMagic)] != chatVersion {
			t.Fatalf("%s: re-marshalled: %v", name, err)
		}
		if c, err := RestoreChat(again, cfg); err != nil {
			t.Fatal(err)
		} else if st2, _ := c.MarshalBinary(); !bytes.Equal(st2, again) {
			t.Fatalf("%s: the re-marshalled state does not round-trip", name)
		}
	}
	a, b := chats[0], chats[1]
	t0 := int64(1_700_000_005) * int64(time.Second)
	if a.out != 6 || a.sent.n != 6 || b.in != 2 || len(b.queue) != 2 ||
		!slices.Equal(b.gaps, []gap{{first: 2, last: 2, at: t0, asks: 1}, {first: 4, last: 4, at: t0, asks: 1}}) {
		t.Fatalf("restored a.out %d, stored %d; b.in %d, queued %d, gaps %v", a.out, a.sent.n, b.in, len(b.queue), b.gaps)
	}
	if out, _ := b.Tick(); len(out) != 0 {
		t.Fatal("asked again before RetryAfter")
	}
	clock.advance(time.Minute)
	out, err := b.Tick()
	if err != nil || len(out) != 1 {
		t.Fatalf("Tick: %v, %d packets", err, len(out))
	}
	if got := resendsIn(t, b, out); !slices.Equal(got, [][2]int{{2*2 + 1, 2*4 + 1}}) {
		t.Fatalf("asked for %v", got)
	}
	r, err := a.Receive(bytes.Clone(out[0]))
	if err != nil {
		t.Fatalf("a: %v", err)
	}
	var ids []int64
	for _, w := range chatCopy(r.Send) {
		r, err := b.Receive(w)
		if err != nil && !errors.Is(err, ErrDuplicate) {
			t.Fatal(err)
		}
		ids = append(ids, userIDs(t, r)...)
	}
	if !slices.Equal(ids, []int64{2, 3, 4, 5}) {
		t.Fatalf("delivered %v", ids)
	}
}

// Gaps that contradict the queue or the counters make a state corrupt.
func TestChatUnmarshalBadGaps(t *testing.T) {
	p := newChatPair(t, nil)
	var w [][]byte
	for id := int64(1); id <= 4; id++ {
		w = append(w, p.send(p.a, id)[0])
	}
	p.recv(p.b, w[1], OutcomeQueued) // b: index 1 missing, 2 queued, 3..4 unseen
	if !slices.Equal(p.b.gaps, []gap{{first: 1, last: 1, at: p.clock.Now().UnixNano(), asks: 1}}) {
		t.Fatalf("gaps %v", p.b.gaps)
	}
	good := slices.Clone(p.b.gaps)
	for name, gaps := range map[string][]gap{
		"over a queued message": {{first: 1, last: 2}},
		"missing one":           {},
		"below in":              {{first: 0, last: 1}},
		"beyond askedTo":        {good[0], {first: 3, last: 3}},
		"reversed":              {{first: 1, last: 0}},
		"out of order":          {{first: 1, last: 1}, {first: 1, last: 1}},
	} {
		p.b.gaps = gaps
		st, err := p.b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := RestoreChat(st, p.cfg); !errors.Is(err, ErrCorruptChat) {
			t.Errorf("%s: %v", name, err)
		}
	}
	p.b.gaps = good
	st, _ := p.b.MarshalBinary()
	if c, err := RestoreChat(st, p.cfg); err != nil || !slices.Equal(c.gaps, good) {
		t.Fatalf("good gaps: %v", err)
	}
}

// A queued message that aborts the chat when its turn comes (its in_seq_no
// went down) leaves it off the queue, not counted as received, with more
// queued behind it. The abort wipes what was queued and closes the gaps:
// the state is consistent, restores with the reason, and round-trips.
func TestChatAbortWhileDraining(t *testing.T) {
	p := newChatPair(t, nil)
	p.deliverAll(p.a, p.send(p.b, 1)) // a acknowledges it from now on
	m1, m2, m3 := p.send(p.a, 1)[0], p.send(p.a, 2)[0], p.send(p.a, 3)[0]
	p.send(p.a, 4) // lost
	h2, _ := peek(t, p.a, m2)
	h2.InSeqNo -= 2
	p.recv(p.b, forge(t, p.a, h2, chatBody(t, 2, "in_seq_no lowered")), OutcomeQueued)
	p.recv(p.b, m3, OutcomeQueued)
	p.recv(p.b, p.send(p.a, 5)[0], OutcomeQueued) // behind a second gap
	in := p.b.in
	body3 := p.b.queue[in+2].body
	r := p.recv(p.b, m1, OutcomeAborted)
	if !errors.Is(r.Err, ErrInSeqNo) || !slices.Equal(userIDs(t, r), []int64{1}) {
		t.Fatalf("%v, delivered %v", r.Err, userIDs(t, r))
	}
	if p.b.in != in+1 || len(p.b.queue) != 0 || len(p.b.gaps) != 0 || p.b.askedTo > p.b.in {
		t.Fatalf("in %d (was %d), queued %d, gaps %v, asked to %d", p.b.in, in, len(p.b.queue), p.b.gaps, p.b.askedTo)
	}
	if !bytes.Equal(body3, make([]byte, len(body3))) {
		t.Fatal("a queued plaintext survived the abort")
	}
	st, err := p.b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c, err := RestoreChat(st, p.cfg)
	if err != nil {
		t.Fatalf("the aborted chat does not restore: %v", err)
	}
	if !errors.Is(c.Err(), ErrInSeqNo) {
		t.Fatalf("restored with reason %v", c.Err())
	}
	if again, _ := c.MarshalBinary(); !bytes.Equal(again, st) {
		t.Fatal("the restored aborted chat marshals differently")
	}
	if _, err := c.Receive(m3); !errors.Is(err, ErrChatAborted) || !errors.Is(err, ErrInSeqNo) {
		t.Fatalf("Receive on the restored chat: %v", err)
	}
}

// A queued message in a state is held to the checks Receive applies to a
// packet (peerSeq) and to what Receive recorded when it queued it (peerSaw
// covers its in_seq_no): a state that breaks them is corrupt, rather than
// a chat that turns inconsistent when the message is processed.
func TestChatRestoreQueuedSeqNo(t *testing.T) {
	p := newChatPair(t, nil)
	p.send(p.b, 1) // never delivered: b's out is past what a acknowledges
	p.send(p.b, 2)
	p.send(p.a, 1) // lost
	p.recv(p.b, p.send(p.a, 2)[0], OutcomeQueued)
	if len(p.b.queue) != 1 || p.b.peerSaw+2 > p.b.out {
		t.Fatalf("queued %d, peer saw %d of %d", len(p.b.queue), p.b.peerSaw, p.b.out)
	}
	var q *queued
	for _, q = range p.b.queue {
	}
	h := q.h
	out := int32(p.b.out)
	for _, tc := range []struct {
		name    string
		in, out int32
		ok      bool
	}{
		{"as received", h.InSeqNo, h.OutSeqNo, true},
		{"in_seq_no past what the peer was seen to have", h.InSeqNo + 2, h.OutSeqNo, false},
		{"in_seq_no past the messages sent", 2*(out+1) + h.InSeqNo&1, h.OutSeqNo, false},
		{"in_seq_no parity", h.InSeqNo ^ 1, h.OutSeqNo, false},
		{"out_seq_no parity", h.InSeqNo, h.OutSeqNo ^ 1, false},
		{"negative in_seq_no", -2 + h.InSeqNo&1, h.OutSeqNo, false},
	} {
		q.h.InSeqNo, q.h.OutSeqNo = tc.in, tc.out
		st, err := p.b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		_, err = RestoreChat(st, p.cfg)
		if tc.ok && err != nil || !tc.ok && (!errors.Is(err, ErrCorruptChat) || !strings.Contains(err.Error(), "queue")) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// Version 1 did not keep peerSaw; restore takes it from the queued
// messages too, so that a queued message acknowledging more than the
// processed ones restores (and is no inconsistency once processed).
func TestChatRestoreVersion1PeerSaw(t *testing.T) {
	st, err := os.ReadFile("testdata/chat-v1-responder.bin")
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Clone(st[:len(st)-sha256.Size])
	// The queued message 3 (out_seq_no 7) acknowledges 1 message (in_seq_no
	// 2), as the processed ones do; raise it to 2 of the 3 sent.
	at := -1
	for i := 0; i+17 <= len(body); i++ {
		le := binary.LittleEndian.Uint32
		if le(body[i:]) == 3 && le(body[i+9:]) == 2 && le(body[i+13:]) == 7 {
			at = i + 9
		}
	}
	if at < 0 {
		t.Fatal("queued message 3 not found in the version 1 state")
	}
	binary.LittleEndian.PutUint32(body[at:], 4)
	sum := sha256.Sum256(body)
	c, err := RestoreChat(append(body, sum[:]...), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.peerIn != 1 || c.peerSaw != 2 || c.out != 3 {
		t.Fatalf("peer in %d, saw %d, out %d", c.peerIn, c.peerSaw, c.out)
	}
	again, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreChat(again, Config{}); err != nil {
		t.Fatal(err)
	}
}

// switchRand is a random source that can be made to fail.
type switchRand struct {
	r    io.Reader
	fail bool
}

func (s *switchRand) Read(b []byte) (int, error) {
	if s.fail {
		return 0, errors.New("random source down")
	}
	return s.r.Read(b)
}

// A message that fills a gap but whose answer cannot be made (the random
// source fails while b answers a's new layer) is still processed, and the
// queue behind it goes on: nothing is left waiting at in, where no later
// packet would release it and the state would not restore.
func TestChatRandFailureWhileDraining(t *testing.T) {
	rnd := &switchRand{r: rand.NewChaCha8([32]byte{'s'})}
	p := newChatPair(t, func(c *Config) { c.Rand = rnd })
	p.clock.advance(time.Minute) // past NotifyGrace: a new layer is answered
	out, err := p.a.SetLayer(p.a.Layer() + 1)
	if err != nil {
		t.Fatal(err)
	}
	notify := chatCopy(out)[0]
	p.recv(p.b, p.send(p.a, 2)[0], OutcomeQueued)
	rnd.fail = true
	r, err := p.b.Receive(notify)
	rnd.fail = false
	if r.Outcome != OutcomeDropped || err == nil || len(r.Messages) != 2 || len(r.Send) != 0 ||
		len(p.b.queue) != 0 || p.b.PeerLayer() != p.a.Layer() || p.b.Err() != nil {
		t.Fatalf("%v (%v): delivered %d, sent %d, queued %d, peer layer %d", r.Outcome, err, len(r.Messages), len(r.Send), len(p.b.queue), p.b.PeerLayer())
	}
	if ids := userIDs(t, r); !slices.Equal(ids, []int64{2}) {
		t.Fatalf("delivered %v", ids)
	}
	st, err := p.b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if p.b, err = RestoreChat(st, p.cfg); err != nil {
		t.Fatalf("the state does not restore: %v", err)
	}
	p.deliverAll(p.b, p.send(p.a, 3))
}
