package secret

// Review: hostile chat states. The checksum stops accidental corruption,
// but a state written by a buggy store, an older build or an attacker with
// write access to it carries a valid checksum. Such states, mutated field
// by field and resealed, must either be refused with ErrCorruptChat (and
// not because the parser panicked: restore's recover only hides that) or
// restore to a chat that then survives Tick, Send, Receive and a
// MarshalBinary round trip without panicking.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func reviewReseal(body []byte) []byte { return sealChat(body) }

// reviewMutations returns resealed variants of st: bytes set to edge values
// and 32-bit words (at every offset) set to edge values.
func reviewMutations(r *rand.Rand, st []byte, n int) [][]byte {
	body := st[:len(st)-sha256.Size]
	var out [][]byte
	words := []uint32{0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 1 << 30, 1<<30 + 1}
	for range n {
		b := bytes.Clone(body)
		pos := len(chatMagic) + 1 + r.IntN(len(b)-len(chatMagic)-1)
		switch r.IntN(4) {
		case 0:
			b[pos] = []byte{0, 1, 2, 0x7f, 0x80, 0xff}[r.IntN(6)]
		case 1:
			b[pos] ^= byte(1 + r.IntN(255))
		default:
			if pos+4 <= len(b) {
				binary.LittleEndian.PutUint32(b[pos:], words[r.IntN(len(words))])
			}
		}
		out = append(out, reviewReseal(b))
	}
	// Truncated and extended bodies, resealed.
	for range n / 20 {
		k := r.IntN(len(body))
		out = append(out, reviewReseal(body[:k]))
		out = append(out, reviewReseal(append(bytes.Clone(body), make([]byte, 1+r.IntN(8))...)))
	}
	return out
}

func TestReviewHostileChatStates(t *testing.T) {
	if chatRaceEnabled() && os.Getenv("SECRETBENCH_LONG") != "1" {
		t.Skip("slow under -race; SECRETBENCH_LONG=1 runs it")
	}
	n := 150
	if os.Getenv("SECRETBENCH_LONG") == "1" {
		n = 600 // CI runs the long tests under qemu too; 5000 took 2 min natively
	}
	states := chatStates(t)
	// States written by version 1 of the format restore through their own
	// fields (one deadline for all gaps, rebuilt from the queue).
	for _, role := range []string{"originator", "responder"} {
		st, err := os.ReadFile("testdata/chat-v1-" + role + ".bin")
		if err != nil {
			t.Fatal(err)
		}
		states["v1 "+role] = st
	}
	r := rand.New(rand.NewPCG(18, 17))
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range states {
			if !yield(k) {
				return
			}
		}
	})
	restored, refused := 0, 0
	for _, name := range names {
		for i, st := range reviewMutations(r, states[name], n) {
			// A fresh pair under the same key gives the restored chat real
			// traffic to chew on.
			p := newChatPair(t, nil)
			var c *Chat
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("%s mutation %d: RestoreChat panicked: %v", name, i, v)
					}
				}()
				var err error
				c, err = RestoreChat(st, p.cfg)
				if err != nil {
					if !errors.Is(err, ErrCorruptChat) {
						t.Fatalf("%s mutation %d: error %v is not ErrCorruptChat", name, i, err)
					}
					if s := err.Error(); strings.Contains(s, "runtime error") || strings.Contains(s, "invalid memory") {
						t.Errorf("%s mutation %d: the parser panicked (caught by restore's recover): %v", name, i, err)
					}
				}
			}()
			if c == nil {
				refused++
				continue
			}
			restored++
			reviewDrive(t, fmt.Sprintf("%s mutation %d", name, i), p, c)
		}
	}
	t.Logf("%d hostile states refused, %d restored and driven", refused, restored)
}

// reviewDrive runs a restored chat through every entry point and fails the
// test if any panics.
func reviewDrive(t *testing.T, what string, p *chatPair, c *Chat) {
	t.Helper()
	step := "start"
	defer func() {
		if v := recover(); v != nil {
			t.Fatalf("%s: restored, then %s panicked: %v", what, step, v)
		}
	}()
	step = "Tick"
	_, _ = c.Tick()
	step = "Send"
	_, _ = c.Send(chatBody(t, 99, "after restore"))
	step = "Receive garbage"
	_, _ = c.Receive(make([]byte, 64))
	// Real packets from a peer under the same key, then a week later.
	for k := range 3 {
		step = fmt.Sprintf("Receive of peer packet %d", k)
		peer := p.b
		if c.Role() == Responder {
			peer = p.a
		}
		out, err := peer.Send(chatBody(t, int64(k), "hello"))
		if err != nil {
			continue
		}
		for _, w := range chatCopy(out) {
			if r, err := c.Receive(w); err == nil {
				for _, back := range chatCopy(r.Send) {
					_, _ = peer.Receive(back)
				}
			}
		}
	}
	p.clock.advance(8 * 24 * time.Hour)
	step = "Tick a week later"
	_, _ = c.Tick()
	step = "MarshalBinary"
	st, err := c.MarshalBinary()
	if err != nil {
		return
	}
	step = "RestoreChat of the re-marshalled state"
	again, err := RestoreChat(st, p.cfg)
	if err != nil {
		t.Fatalf("%s: a state marshalled after restore and use does not restore: %v (chat error: %v)", what, err, c.Err())
	}
	if st2, _ := again.MarshalBinary(); !bytes.Equal(st2, st) {
		t.Fatalf("%s: re-marshalled state differs", what)
	}
}

// A peer that sends message 2 (with an in_seq_no lower than message 1's)
// before message 1 aborts the chat when message 1 fills the gap and the
// queued message 2 is processed. The aborted chat must still persist: its
// state has to restore (as an aborted chat that says why), since a driver
// saves the state after every Receive and must be able to load it again.
func TestReviewAbortInQueuedMessagePersists(t *testing.T) {
	p := newChatPair(t, nil)
	m1 := p.send(p.a, 1)[0]
	m2 := p.send(p.a, 2)[0]
	h2, _ := peek(t, p.a, m2)
	if h2.InSeqNo < 2 {
		t.Fatalf("message 2's in_seq_no is %d; the test needs one it can lower", h2.InSeqNo)
	}
	h2.InSeqNo -= 2
	bad2 := forge(t, p.a, h2, chatBody(t, 2, "message 2, in_seq_no lowered"))
	p.recv(p.b, bad2, OutcomeQueued)
	r, err := p.b.Receive(m1)
	if r.Outcome != OutcomeAborted || !errors.Is(err, ErrInSeqNo) {
		t.Fatalf("message 1 filling the gap: %v, %v; want an ErrInSeqNo abort", r.Outcome, err)
	}
	st, err := p.b.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary of the aborted chat: %v", err)
	}
	c, err := RestoreChat(st, p.cfg)
	if err != nil {
		t.Fatalf("the aborted chat's state does not restore: %v", err)
	}
	if !errors.Is(c.Err(), ErrInSeqNo) {
		t.Fatalf("restored chat's Err() = %v, want ErrInSeqNo", c.Err())
	}
}

// Receive refuses a packet whose in_seq_no acknowledges more messages than
// were sent (an ErrInSeqNo abort), but a queued message restored from a
// state is not checked the same way: restore takes it, and processing it
// later sets peerIn past out, a state RestoreChat then refuses as
// inconsistent. restore must hold queued messages to Receive's rules.
func TestReviewRestoreChecksQueuedInSeqNo(t *testing.T) {
	c, err := RestoreChat(chatStates(t)["queued"], Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.queue) == 0 {
		t.Fatal("the queued state holds no queued message")
	}
	for _, q := range c.queue {
		q.h.InSeqNo = int32(2*(c.out+100)) | q.h.InSeqNo&1
	}
	st, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreChat(st, Config{}); !errors.Is(err, ErrCorruptChat) {
		t.Fatalf("a queued message acknowledging %d messages of %d sent restored: %v", c.out+100, c.out, err)
	}
}
