package secret

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg/e2e"
)

// TestChatSimulation runs two Chats over an in-memory network that drops,
// duplicates, delays and reorders packets, with a clock that jumps (so
// that keys age past a week), re-keys triggered by message counts and by
// age, and restarts from persisted state at random points. At the end,
// with a network that no longer loses packets, every user message must
// have been delivered exactly once and in order on both sides, no packet
// may have aborted the chat, and every key that was replaced (and every
// secret exponent) must have been overwritten with zeros and be absent
// from the persisted states.
func TestChatSimulation(t *testing.T) {
	seeds := 4
	switch {
	case os.Getenv("SECRETBENCH_LONG") == "1":
		seeds = 300
	case testing.Short() || runtime.GOARCH != "amd64" || chatRaceEnabled():
		seeds = 2
	}
	retired := 0
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			s := newChatSim(t, uint64(seed))
			s.run(400)
			s.drain()
			retired += s.check()
		})
	}
	if retired == 0 {
		t.Error("no re-key happened: the simulation does not exercise re-keying")
	}
}

type simPacket struct {
	wire []byte
	to   int
}

type chatSim struct {
	t     *testing.T
	rng   *rand.Rand
	clock *chatClock
	cfg   [2]Config
	chats [2]*Chat
	net   []simPacket

	sentUser  [2]int64 // user messages sent by side i (their RandomIDs are 1..n)
	delivered [2]int64 // user messages of side i delivered to the other side
	restarts  int
	drops     map[string]int

	keys      map[*Key][]byte // every key object seen, with a copy of its bytes
	exchanges map[*Exchange]bool
}

func newChatSim(t *testing.T, seed uint64) *chatSim {
	s := &chatSim{
		t:         t,
		rng:       rand.New(rand.NewPCG(seed, 0x5eed)),
		clock:     &chatClock{t: time.Unix(1_700_000_000, 0)},
		drops:     map[string]int{},
		keys:      map[*Key][]byte{},
		exchanges: map[*Exchange]bool{},
	}
	key := chatTestKey(t, seed)
	for i, role := range []Role{Originator, Responder} {
		s.cfg[i] = Config{
			Rand:       rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(i), 's', 'i', 'm'}),
			Now:        s.clock.Now,
			DH:         &DH{G: 3, P: chatPrime(t)},
			Options:    []Option{WithMaxPadding(64)},
			RetryAfter: time.Minute,
		}
		c, out, err := NewChat(key, role, s.cfg[i])
		if err != nil {
			t.Fatal(err)
		}
		s.chats[i] = c
		s.post(i, out)
	}
	s.observe()
	return s
}

// post puts the packets side from sent on the network (copied: they are
// the Chat's until its next call).
func (s *chatSim) post(from int, wires [][]byte) {
	for _, w := range wires {
		s.net = append(s.net, simPacket{wire: bytes.Clone(w), to: 1 - from})
	}
}

func (s *chatSim) run(steps int) {
	for range steps {
		side := s.rng.IntN(2)
		switch p := s.rng.IntN(100); {
		case p < 30:
			s.sendUser(side)
		case p < 80:
			s.deliver(true)
		case p < 88:
			s.clock.advance(time.Duration(s.rng.IntN(120)) * time.Second)
		case p < 89:
			s.clock.advance(RekeyAge + time.Hour) // a week passes
		case p < 93:
			s.restart(side)
		default:
			out, err := s.chats[side].Tick()
			if err != nil {
				s.t.Fatalf("Tick: %v", err)
			}
			s.post(side, out)
		}
		s.observe()
	}
}

// drain delivers everything without loss; each round both sides tick
// after the retry delay and send one more message, which reveals any gap
// left by a loss at the end of the conversation.
func (s *chatSim) drain() {
	for round := 0; ; round++ {
		if round > 60 {
			s.t.Fatalf("no convergence: in flight %d, queues %d/%d, delivered %v of %v",
				len(s.net), len(s.chats[0].queue), len(s.chats[1].queue), s.delivered, s.sentUser)
		}
		for len(s.net) > 0 {
			s.deliver(false)
			s.observe()
		}
		if s.delivered == s.sentUser && len(s.chats[0].queue)+len(s.chats[1].queue) == 0 &&
			s.chats[0].ex.phase == exIdle && s.chats[1].ex.phase == exIdle && round > 0 {
			return
		}
		s.clock.advance(2 * time.Minute)
		for side := range 2 {
			out, err := s.chats[side].Tick()
			if err != nil {
				s.t.Fatal(err)
			}
			s.post(side, out)
			s.sendUser(side)
		}
	}
}

func (s *chatSim) sendUser(side int) {
	id := s.sentUser[side] + 1
	out, err := s.chats[side].SendMessage(&e2e.DecryptedMessage{RandomID: id, Message: fmt.Sprintf("message %d from %d", id, side)})
	if err != nil {
		s.t.Fatalf("side %d: SendMessage: %v", side, err)
	}
	s.sentUser[side] = id
	s.post(side, out)
}

// deliver takes a random packet off the network: with loss, it may drop
// it or deliver it and keep a duplicate in flight.
func (s *chatSim) deliver(lossy bool) {
	if len(s.net) == 0 {
		return
	}
	i := s.rng.IntN(len(s.net))
	p := s.net[i]
	keep := false
	if lossy {
		switch r := s.rng.IntN(100); {
		case r < 5:
			s.net = append(s.net[:i], s.net[i+1:]...)
			s.drops["network"]++
			return
		case r < 10:
			keep = true
		}
	}
	if !keep {
		s.net = append(s.net[:i], s.net[i+1:]...)
	}
	c := s.chats[p.to]
	before := c.ex
	r, err := c.Receive(p.wire)
	if before.phase == exRequested && c.ex.phase == exAccepted && c.ex.id != before.id {
		s.drops["own request abandoned (smaller id)"]++
	}
	switch r.Outcome {
	case OutcomeAborted:
		s.t.Fatalf("side %d aborted: %v", p.to, err)
	case OutcomeDropped:
		switch {
		case errors.Is(err, ErrDuplicate):
			s.drops["duplicate"]++
		case errors.Is(err, ErrStaleKey):
			s.drops["stale key"]++
		case errors.Is(err, ErrQueueFull):
			s.drops["queue full"]++
		default:
			s.t.Fatalf("side %d dropped a packet of a correct peer: %v", p.to, err)
		}
	}
	for _, m := range r.Messages {
		if m.Action != nil {
			continue
		}
		msg, err := DecodeMessage(m.Body)
		if err != nil {
			s.t.Fatal(err)
		}
		from := 1 - p.to
		got := msg.(*e2e.DecryptedMessage).RandomID
		if want := s.delivered[from] + 1; got != want {
			s.t.Fatalf("side %d got message %d of side %d, want %d", p.to, got, from, want)
		}
		s.delivered[from] = got
	}
	s.post(p.to, r.Send)
}

// restart persists a side and brings it back from the state, as after a
// process restart; the old instance is wiped as a dying process would be
// (its memory gone).
func (s *chatSim) restart(side int) {
	old := s.chats[side]
	state, err := old.MarshalBinary()
	if err != nil {
		s.t.Fatal(err)
	}
	c, err := RestoreChat(state, s.cfg[side])
	if err != nil {
		s.t.Fatalf("restore: %v", err)
	}
	again, _ := c.MarshalBinary()
	if !bytes.Equal(again, state) {
		s.t.Fatal("restored state marshals differently")
	}
	old.Wipe()
	s.chats[side] = c
	s.restarts++
	out, err := c.Tick()
	if err != nil {
		s.t.Fatal(err)
	}
	s.post(side, out)
}

// observe records every key and exchange the chats hold, to check later
// that the replaced ones were wiped.
func (s *chatSim) observe() {
	for _, c := range s.chats {
		for _, k := range []*chatKey{c.cur, c.prev, c.next} {
			if k != nil {
				if _, ok := s.keys[k.key]; !ok {
					s.keys[k.key] = k.key.Bytes()
				}
			}
		}
		if c.ex.req != nil {
			s.exchanges[c.ex.req] = true
		}
	}
}

// check verifies the end state and returns the number of keys retired.
func (s *chatSim) check() int {
	t := s.t
	if s.delivered != s.sentUser {
		t.Fatalf("delivered %v, sent %v", s.delivered, s.sentUser)
	}
	live := map[*Key]bool{}
	var states [][]byte
	for _, c := range s.chats {
		for _, k := range []*chatKey{c.cur, c.prev, c.next} {
			if k != nil {
				live[k.key] = true
			}
		}
		st, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	if s.chats[0].cur.key.fp != s.chats[1].cur.key.fp {
		t.Fatal("the two sides ended with different keys")
	}
	liveBytes := map[string]bool{}
	for k := range live {
		liveBytes[string(k.k[:])] = true
	}
	retired := 0
	for k, raw := range s.keys {
		if live[k] {
			continue
		}
		if k.k != [KeySize]byte{} || k.fp != 0 {
			t.Fatal("a replaced key was not wiped")
		}
		if liveBytes[string(raw)] {
			continue // the same key restored into a new object
		}
		retired++
		for _, st := range states {
			if bytes.Contains(st, raw) {
				t.Fatal("a replaced key is still in the persisted state")
			}
		}
	}
	for e := range s.exchanges {
		if s.chats[0].ex.req == e || s.chats[1].ex.req == e {
			continue
		}
		if e.a != [exponentSize]byte{} {
			t.Fatal("a finished exchange kept its secret exponent")
		}
	}
	t.Logf("user messages %v, keys retired %d, restarts %d, drops %v", s.sentUser, retired, s.restarts, s.drops)
	return retired
}

// chatClock is a settable wall clock.
type chatClock struct{ t time.Time }

func (c *chatClock) Now() time.Time          { return c.t }
func (c *chatClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// chatBody is the TL of a decryptedMessage with text.
func chatBody(t testing.TB, id int64, text string) []byte {
	var b bin.Buffer
	if err := (&e2e.DecryptedMessage{RandomID: id, Message: text}).Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Buf
}
