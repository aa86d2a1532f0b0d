package secret

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg/e2e"
)

// TestChatSimulation runs two Chats over a seeded lossy network for about
// half an hour of busy conversation (one step is one second; each side
// sends a message in 60% of them): packets are lost (up to 30%), reordered (each arrives 1 to 8 steps after it was sent), 5% are
// duplicated (a fifth of the copies arrive minutes late), sides restart
// through MarshalBinary and RestoreChat (half of the restarts are crashes
// that lose the packets the last call returned), keys are replaced every
// 100 messages and the clock jumps a week now and then. Each side Ticks
// every 10 to 18 s. At the end, with a network that no longer loses
// packets, every user message must have been delivered exactly once and in
// order on both sides, no packet may have aborted the chat, and every key
// that was replaced (and every secret exponent) must have been overwritten
// with zeros and be absent from the persisted states.
//
// The longest wait of a message (from Send to its delivery, in steps, the
// week-long jumps left out) is measured; at 10% loss it must stay within
// simMaxWait periods of Config.RetryAfter.
func TestChatSimulation(t *testing.T) {
	seeds := map[int]int{30: 3, 10: 3}
	switch simScale() {
	case simLong:
		seeds = map[int]int{30: 24, 10: 24, 20: 8}
	case simSmall:
		seeds = map[int]int{30: 1, 10: 1}
	}
	for _, loss := range []int{10, 20, 30} {
		if seeds[loss] == 0 {
			continue
		}
		t.Run(fmt.Sprintf("loss=%d%%", loss), func(t *testing.T) {
			var waits []int
			retired := 0
			for seed := range seeds[loss] {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					s := newChatSim(t, simParams{seed: uint64(seed), loss: loss, steps: 1750})
					s.run()
					s.drain()
					retired += s.check()
					waits = append(waits, s.waits...)
				})
			}
			if t.Failed() {
				return
			}
			slices.Sort(waits)
			n := len(waits)
			maxWait := waits[n-1]
			t.Logf("%d%% loss, %d seeds, %d user messages: waits (s) median %d, p99 %d, p99.9 %d, longest %d (%.1f × RetryAfter)",
				loss, seeds[loss], n, waits[n/2], waits[n*99/100], waits[n*999/1000], maxWait, float64(maxWait)/simRetryAfter.Seconds())
			if retired == 0 {
				t.Error("no re-key happened: the simulation does not exercise re-keying")
			}
			if loss <= 10 && time.Duration(maxWait)*time.Second > simMaxWait*simRetryAfter {
				t.Errorf("a message waited %d s at %d%% loss: more than %d × RetryAfter", maxWait, loss, simMaxWait)
			}
		})
	}
}

// TestChatSimulationUnfillable runs the simulation at 30% loss with
// Config.MaxStored 64, so that a sender forgets messages its peer still
// misses. Each run must either deliver everything, or end with the
// documented outcome, ErrResendUnavailable at the side asked for what it
// no longer holds, within simMaxEnd RetryAfter periods of the moment the
// gap became unfillable: never a stall.
func TestChatSimulationUnfillable(t *testing.T) {
	seeds := 4
	switch simScale() {
	case simLong:
		seeds = 32
	case simSmall:
		seeds = 1
	}
	ended, longest := 0, 0
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			s := newChatSim(t, simParams{seed: uint64(seed), loss: 30, steps: 1750, maxStored: 64})
			s.run()
			if s.ended == nil {
				s.drain()
			}
			if s.ended == nil {
				s.check()
				return
			}
			ended++
			if s.unfillable < 0 {
				t.Fatalf("ended with %v, but no gap was unfillable", s.ended)
			}
			wait := s.endedAt - s.unfillable
			longest = max(longest, wait)
			t.Logf("ended at step %d, %d s after a gap became unfillable: %v", s.endedAt, wait, s.ended)
			if time.Duration(wait)*time.Second > simMaxEnd*simRetryAfter {
				t.Errorf("the chat took %d s to report an unfillable gap", wait)
			}
		})
	}
	t.Logf("%d of %d runs ended with ErrResendUnavailable, at most %d s after the gap became unfillable", ended, seeds, longest)
	if ended == 0 {
		t.Error("no gap became unfillable: the test does not exercise the outcome")
	}
}

const (
	simDefault = iota
	simLong
	simSmall
)

// simScale says how many seeds to run: many with SECRETBENCH_LONG=1 on
// amd64 without -race, one in short mode, under -race or elsewhere (arm64
// under emulation), a few otherwise.
func simScale() int {
	switch {
	case testing.Short() || chatRaceEnabled() || runtime.GOARCH != "amd64":
		return simSmall
	case os.Getenv("SECRETBENCH_LONG") == "1":
		return simLong
	}
	return simDefault
}

const (
	// simMaxEnd bounds, in RetryAfter periods, how long an unfillable gap
	// goes unreported at 30% loss.
	simMaxEnd = 10
	// simSendRate is the chance (percent) that a side sends a user message
	// in a step: busy enough that gaps keep opening.
	simSendRate   = 60
	simRetryAfter = 10 * time.Second
	// simMaxWait bounds the longest wait at 10% loss, in RetryAfter periods.
	simMaxWait = 8
)

type simParams struct {
	seed      uint64
	loss      int // percent of packets lost
	steps     int // seconds of lossy conversation
	maxStored int // Config.MaxStored (default when zero)
}

type simPacket struct {
	wire []byte
	to   int
	due  int // the step it arrives at
	id   int // posting id, shared by a duplicate
	late bool
}

type chatSim struct {
	t     *testing.T
	p     simParams
	rng   *rand.Rand
	clock *chatClock // the chats' clock: the steps and the week-long jumps
	step  int        // seconds of conversation, jumps left out
	cfg   [2]Config
	chats [2]*Chat
	net   []simPacket
	ids   int
	last  [2][]int // ids of the packets the side's last call returned
	tick  [2]int   // step of the side's next Tick

	sentUser  [2]int64 // user messages sent by side i (their RandomIDs are 1..n)
	sentAt    [2][]int // step each was sent at
	delivered [2]int64 // user messages of side i delivered to the other side
	waits     []int    // of each user message delivered, in steps
	restarts  int
	crashes   int
	jumps     int
	drops     map[string]int

	// With a small MaxStored a gap can become one the sender no longer
	// holds; the chat must then end with ErrResendUnavailable.
	unfillable int   // step since which a gap cannot fill (-1: none)
	ended      error // the documented outcome that ended the run
	endedAt    int

	keys      map[*Key][]byte // every key object seen, with a copy of its bytes
	exchanges map[*Exchange]bool
}

func newChatSim(t *testing.T, p simParams) *chatSim {
	s := &chatSim{
		t:          t,
		p:          p,
		rng:        rand.New(rand.NewPCG(p.seed, uint64(p.loss)<<8|0x5e)),
		clock:      &chatClock{t: time.Unix(1_700_000_000, 0)},
		drops:      map[string]int{},
		unfillable: -1,
		keys:       map[*Key][]byte{},
		exchanges:  map[*Exchange]bool{},
	}
	key := chatTestKey(t, p.seed)
	for i, role := range []Role{Originator, Responder} {
		s.cfg[i] = Config{
			Rand:       rand.NewChaCha8([32]byte{byte(p.seed), byte(p.seed >> 8), byte(i), byte(p.loss), 's', 'i', 'm'}),
			Now:        s.clock.Now,
			DH:         &DH{G: 3, P: chatPrime(t)},
			Options:    []Option{WithMaxPadding(64)},
			RetryAfter: simRetryAfter,
			MaxStored:  p.maxStored,
		}
		c, out, err := NewChat(key, role, s.cfg[i])
		if err != nil {
			t.Fatal(err)
		}
		s.chats[i] = c
		s.post(i, out, true)
		s.tick[i] = 10 + s.rng.IntN(9)
	}
	s.observe()
	return s
}

// post puts the packets side from returned on the network (copied: they
// are the Chat's until its next call), through loss, delay and duplication
// when lossy.
func (s *chatSim) post(from int, wires [][]byte, lossy bool) {
	s.last[from] = s.last[from][:0]
	for _, w := range wires {
		s.ids++
		s.last[from] = append(s.last[from], s.ids)
		p := simPacket{wire: bytes.Clone(w), to: 1 - from, due: s.step + 1, id: s.ids}
		if !lossy {
			s.net = append(s.net, p)
			continue
		}
		if s.rng.IntN(100) < s.p.loss {
			s.drops["network"]++
			continue
		}
		p.due += s.rng.IntN(8)
		s.net = append(s.net, p)
		if s.rng.IntN(100) < 5 {
			p.due = s.step + 1 + s.rng.IntN(8)
			if s.rng.IntN(5) == 0 {
				p.due = s.step + 60 + s.rng.IntN(600) // very late
				p.late = true
			}
			s.net = append(s.net, p)
		}
	}
}

func (s *chatSim) run() {
	for s.step = 0; s.step < s.p.steps && s.ended == nil; s.step++ {
		s.clock.advance(time.Second)
		if s.deliverDue(true); s.ended != nil {
			break
		}
		for side := range 2 {
			if s.rng.IntN(100) < simSendRate {
				s.sendUser(side, true)
			}
			if s.step >= s.tick[side] {
				s.doTick(side, true)
				s.tick[side] = s.step + 10 + s.rng.IntN(9)
			}
		}
		switch r := s.rng.IntN(1000); {
		case r < 3:
			s.restart(s.rng.IntN(2), s.rng.IntN(2) == 0)
		case r < 4:
			s.clock.advance(RekeyAge + time.Hour) // a week passes
			s.jumps++
		}
		s.observe()
		s.watchUnfillable()
	}
}

// watchUnfillable records the step since which one side has waited for a
// message the other no longer holds (a copy still on its way ends the
// wait, and the record).
func (s *chatSim) watchUnfillable() {
	for side, c := range s.chats {
		if len(c.gaps) > 0 && c.gaps[0].first < s.chats[1-side].sentBase {
			if s.unfillable < 0 {
				s.unfillable = s.step
			}
			return
		}
	}
	s.unfillable = -1
}

// deliverDue delivers the packets due by now, in a random order.
func (s *chatSim) deliverDue(lossy bool) {
	var due []simPacket
	rest := s.net[:0]
	for _, p := range s.net {
		if p.due <= s.step || !lossy {
			due = append(due, p)
		} else {
			rest = append(rest, p)
		}
	}
	s.net = rest
	s.rng.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
	for _, p := range due {
		if s.ended != nil {
			return
		}
		s.deliver(p, lossy)
	}
}

// drain delivers everything without loss; each round both sides tick
// after the retry delay and send one more message, which reveals any gap
// left by a loss at the end of the conversation.
func (s *chatSim) drain() {
	for round := 0; ; round++ {
		if round > 100 {
			s.t.Fatalf("no convergence: in flight %d, queues %d/%d, delivered %v of %v",
				len(s.net), len(s.chats[0].queue), len(s.chats[1].queue), s.delivered, s.sentUser)
		}
		for len(s.net) > 0 && s.ended == nil {
			s.deliverDue(false)
			s.observe()
			s.watchUnfillable()
		}
		if s.ended != nil {
			return
		}
		if s.delivered == s.sentUser && len(s.chats[0].queue)+len(s.chats[1].queue) == 0 &&
			s.chats[0].ex.phase == exIdle && s.chats[1].ex.phase == exIdle && round > 0 {
			return
		}
		s.clock.advance(simRetryAfter)
		s.step += int(simRetryAfter / time.Second)
		for side := range 2 {
			s.doTick(side, false)
			s.sendUser(side, false)
		}
	}
}

func (s *chatSim) doTick(side int, lossy bool) {
	out, err := s.chats[side].Tick()
	if err != nil {
		s.t.Fatalf("side %d: Tick: %v", side, err)
	}
	s.post(side, out, lossy)
}

func (s *chatSim) sendUser(side int, lossy bool) {
	id := s.sentUser[side] + 1
	out, err := s.chats[side].SendMessage(&e2e.DecryptedMessage{RandomID: id, Message: fmt.Sprintf("message %d from %d", id, side)})
	if err != nil {
		s.t.Fatalf("side %d: SendMessage: %v", side, err)
	}
	s.sentUser[side] = id
	s.sentAt[side] = append(s.sentAt[side], s.step)
	s.post(side, out, lossy)
}

func (s *chatSim) deliver(p simPacket, lossy bool) {
	c := s.chats[p.to]
	before := c.ex
	r, err := c.Receive(p.wire)
	if before.phase == exRequested && c.ex.phase == exAccepted && c.ex.id != before.id {
		s.drops["own request abandoned (smaller id)"]++
	}
	switch r.Outcome {
	case OutcomeAborted:
		if s.p.maxStored > 0 && errors.Is(err, ErrResendUnavailable) {
			s.ended, s.endedAt = err, s.step
			return
		}
		s.t.Fatalf("side %d aborted: %v", p.to, err)
	case OutcomeDropped:
		switch {
		case errors.Is(err, ErrDuplicate):
			s.drops["duplicate"]++
		case errors.Is(err, ErrStaleKey):
			s.drops["stale key"]++
		case errors.Is(err, ErrQueueFull):
			s.drops["queue full"]++
		case errors.Is(err, ErrUnknownKey) && p.late:
			// Under a key retired so long ago that the chat no longer
			// remembers its fingerprint.
			s.drops["very late, unknown key"]++
		default:
			s.t.Fatalf("side %d dropped a packet of a correct peer: %v", p.to, err)
		}
	}
	from := 1 - p.to
	for _, m := range r.Messages {
		if m.Action != nil {
			continue
		}
		msg, err := DecodeMessage(m.Body)
		if err != nil {
			s.t.Fatal(err)
		}
		got := msg.(*e2e.DecryptedMessage).RandomID
		if want := s.delivered[from] + 1; got != want {
			s.t.Fatalf("side %d got message %d of side %d, want %d", p.to, got, from, want)
		}
		s.delivered[from] = got
		s.waits = append(s.waits, s.step-s.sentAt[from][got-1])
	}
	s.post(p.to, r.Send, lossy)
}

// restart persists a side and brings it back from the state, as after a
// process restart; the old instance is wiped as a dying process would be
// (its memory gone). A crash also loses the packets of the side's last
// call: the state was persisted (as the Chat's doc asks) but they were
// never sent.
func (s *chatSim) restart(side int, crash bool) {
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
	if crash {
		s.crashes++
		s.net = slices.DeleteFunc(s.net, func(p simPacket) bool {
			return p.to != side && slices.Contains(s.last[side], p.id)
		})
	}
	s.doTick(side, true)
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
	t.Logf("user messages %v, longest wait %d s, keys retired %d, restarts %d (%d crashes), week jumps %d, drops %v",
		s.sentUser, slices.Max(s.waits), retired, s.restarts, s.crashes, s.jumps, s.drops)
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
