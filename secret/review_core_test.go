package secret

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// coreStore keeps a chat as a caller of AppendCore does: the last core,
// and an append-only log of sent messages by index (an index logged again
// replaces the first wire), pruned below the core's base.
type coreStore struct {
	core   []byte
	log    sentLog
	logged uint32 // the end of the messages logged
}

// save logs c's messages from logged on, then writes its core and prunes
// the log below its base.
func (s *coreStore) save(t *testing.T, c *Chat) {
	t.Helper()
	base, end := c.SentRange()
	for i := max(base, s.logged); i < end; i++ {
		s.log[i] = bytes.Clone(c.SentWire(i))
	}
	s.logged = end
	core, err := c.AppendCore(s.core[:0])
	if err != nil {
		t.Fatal(err)
	}
	s.core = core
	for i := range s.log {
		if i < base {
			delete(s.log, i)
		}
	}
}

// A chat saved as a store does (log, then core, then pruning), over many
// generations each restored from the last core and log and going on in
// its place: sends while the peer is silent, acknowledgements, messages
// dropped past MaxStored, and saves skipped, so that the chain goes on
// across restores and starts anew when the base passes it. Each restored
// chat is the saved one; the log's wires are copied (the caller may reuse
// them).
func TestReviewChatCoreGenerations(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.MaxStored = 24; c.DH = nil })
	rng := rand.New(rand.NewPCG(1, 2))
	s := &coreStore{log: sentLog{}}
	var unread [][]byte
	id := int64(0)
	restores := 0
	for step := range 200 {
		for range rng.IntN(5) {
			id++
			unread = append(unread, p.send(p.a, id)...)
		}
		if rng.IntN(4) == 0 && len(unread) > 0 { // b reads some and answers
			n := 1 + rng.IntN(len(unread))
			p.deliverAll(p.b, unread[:n])
			unread = unread[n:]
			id++
			p.recv(p.a, p.send(p.b, id)[0], OutcomeProcessed)
		}
		if rng.IntN(3) == 0 {
			continue // no save
		}
		s.save(t, p.a)
		if rng.IntN(2) == 0 {
			continue
		}
		full, err := p.a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		r, err := RestoreChatCore(s.core, s.log.get, p.cfg)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if again, _ := r.MarshalBinary(); !bytes.Equal(again, full) {
			t.Fatalf("step %d: the restored chat has another state", step)
		}
		base, end := r.SentRange()
		for i := base; i < end; i++ {
			s.log[i][len(s.log[i])-1] ^= 0xff // the caller's buffer, reused
			if bytes.Equal(r.SentWire(i), s.log[i]) {
				t.Fatalf("step %d: the restored chat shares the log's wire %d", step, i)
			}
			s.log[i][len(s.log[i])-1] ^= 0xff
		}
		p.a = r
		restores++
	}
	if base, _ := p.a.SentRange(); restores < 20 || base < 100 {
		t.Fatalf("%d restores, base %d", restores, base)
	}
}

// A core and a log that a crash left apart: the log ahead of the core
// (logged, core not written) restores; behind it (the core written, the
// log's last append lost) does not; and the log of a later core, pruned
// past this core's base, does not restore an older core (a rollback the
// caller must not be able to make by keeping an old core).
func TestReviewChatCoreLogApart(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.MaxStored = 8; c.DH = nil })
	s := &coreStore{log: sentLog{}}
	for i := range 4 {
		p.send(p.a, int64(i+1))
	}
	s.save(t, p.a)
	old := bytes.Clone(s.core)
	p.send(p.a, 5)
	ahead := &coreStore{log: sentLog{}}
	ahead.save(t, p.a) // the log of the chat with 5 messages
	if _, err := RestoreChatCore(old, ahead.log.get, p.cfg); err != nil {
		t.Fatalf("log ahead of the core: %v", err)
	}
	_, end := p.a.SentRange()
	behind := sentLog{}
	for i, w := range ahead.log {
		if i != end-1 {
			behind[i] = w
		}
	}
	if _, err := RestoreChatCore(ahead.core, behind.get, p.cfg); !errors.Is(err, ErrCorruptChat) {
		t.Fatalf("log behind the core: %v", err)
	}
	for i := range 10 { // past MaxStored: the base moves past the old core's
		p.send(p.a, int64(i+6))
	}
	ahead.save(t, p.a)
	if _, err := RestoreChatCore(old, ahead.log.get, p.cfg); !errors.Is(err, ErrCorruptChat) {
		t.Fatalf("an old core with a later, pruned log: %v", err)
	}
	if _, err := RestoreChatCore(ahead.core, ahead.log.get, p.cfg); err != nil {
		t.Fatal(err)
	}
}
