package tgsecrettest

import (
	"testing"
	"time"

	"github.com/gotd/td/tg"
)

// sendN sends n messages from a in chat ac, tagged with their index.
func sendN(t *testing.T, a *client, ac *tg.EncryptedChat, from, n int) {
	t.Helper()
	ctx := testCtx(t)
	for i := from; i < from+n; i++ {
		if _, err := a.api.MessagesSendEncrypted(ctx, &tg.MessagesSendEncryptedRequest{
			Peer: input(ac), RandomID: int64(i + 1), Data: message(byte(i), 1),
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// receiveN collects n encrypted messages and checks that each of the random
// ids 1..n arrived exactly once.
func receiveN(t *testing.T, b *client, n int) []*tg.UpdateNewEncryptedMessage {
	t.Helper()
	var got []*tg.UpdateNewEncryptedMessage
	seen := map[int64]bool{}
	for len(got) < n {
		u := next[*tg.UpdateNewEncryptedMessage](t, b)
		id := u.Message.GetRandomID()
		if seen[id] {
			t.Fatalf("random_id %d delivered twice", id)
		}
		seen[id] = true
		got = append(got, u)
	}
	for i := 1; i <= n; i++ {
		if !seen[int64(i)] {
			t.Fatalf("random_id %d missing", i)
		}
	}
	return got
}

// TestDropRecovered: with every push dropped, gotd's updates.Manager gets
// the messages through updates.getDifference, once the next push shows it a
// qts gap, in several slices.
func TestDropRecovered(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, b := start(t, s, alice, false), start(t, s, bob, true)
	ac, _ := chatPair(t, a, b)
	base := s.Stats(bob)

	const n = differenceLimit + 30 // more than one difference
	s.SetFaults(Faults{Drop: 1})
	sendN(t, a, ac, 0, n)
	none(t, b, 100*time.Millisecond)
	st := s.Stats(bob)
	if st.Pushed != base.Pushed || st.Dropped != n || st.QTS != n {
		t.Fatalf("stats with every push dropped: %+v", st)
	}

	s.SetFaults(Faults{})
	sendN(t, a, ac, n, 1)
	got := receiveN(t, b, n+1)
	// The manager hands on the pushed message once the gap is filled:
	// every message arrives, in qts order.
	for i, u := range got[:n] {
		if u.Message.GetRandomID() != int64(i+1) {
			t.Fatalf("message %d has random_id %d", i, u.Message.GetRandomID())
		}
	}
	none(t, b, 100*time.Millisecond)
}

// TestDropRecoveredOnStart: a client that starts later with the state it
// saved gets what it missed from updates.getDifference, including a dropped
// updateEncryption.
func TestDropRecoveredOnStart(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a := start(t, s, alice, false)
	s.SetFaults(Faults{Drop: 1})

	ctx := testCtx(t)
	// Bob is offline: the request waits for him.
	w, err := a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{
		UserID: &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash}, RandomID: 1, GA: dhPublic(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	b := start(t, s, bob, true)
	if r := next[*tg.UpdateEncryption](t, b).Chat.(*tg.EncryptedChatRequested); r.ID != w.GetID() {
		t.Fatalf("requested %+v", r)
	}
	if st := s.Stats(bob); st.Pushed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDuplicate(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, b := start(t, s, alice, false), start(t, s, bob, false)
	ac, _ := chatPair(t, a, b)
	base := s.Stats(bob)

	const n = 10
	s.SetFaults(Faults{Duplicate: 1})
	sendN(t, a, ac, 0, n)
	count := map[int]int{}
	for range 2 * n {
		count[next[*tg.UpdateNewEncryptedMessage](t, b).Qts]++
	}
	for q := 1; q <= n; q++ {
		if count[q] != 2 {
			t.Fatalf("qts %d pushed %d times", q, count[q])
		}
	}
	if st := s.Stats(bob); st.Pushed-base.Pushed != 2*n {
		t.Fatalf("stats %+v", st)
	}
}

// TestReorder: pushes overtake each other, and gotd's updates.Manager puts
// them back in qts order.
func TestReorder(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Seed: 3})
	alice, bob, carol := s.AddUser("Alice"), s.AddUser("Bob"), s.AddUser("Carol")
	a, b, c := start(t, s, alice, false), start(t, s, bob, false), start(t, s, carol, true)
	ab, _ := chatPair(t, a, b)
	acChat, _ := chatPair(t, a, c)

	const n = 40
	wire := onWire(s, bob)
	s.SetFaults(Faults{Reorder: true, MaxDelay: 5 * time.Millisecond})
	ctx := testCtx(t)
	for i := range n {
		for _, ch := range []*tg.EncryptedChat{ab, acChat} {
			if _, err := a.api.MessagesSendEncrypted(ctx, &tg.MessagesSendEncryptedRequest{
				Peer: input(ch), RandomID: int64(i + 1), Data: message(byte(i), 1),
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	receiveN(t, b, n)
	got := wire()
	overtaken := false
	for i := 1; i < len(got); i++ {
		overtaken = overtaken || got[i] < got[i-1]
	}
	if !overtaken {
		t.Fatalf("no push overtook another: %v", got)
	}
	for i, u := range receiveN(t, c, n) {
		if u.Message.GetRandomID() != int64(i+1) {
			t.Fatalf("through the manager, message %d has random_id %d", i, u.Message.GetRandomID())
		}
	}
}

// onWire records the qts of every encrypted-message push a client of u took,
// in the order they went out (a client handles its updates concurrently, so
// the order it sees is not the order on the wire).
func onWire(s *Server, u *tg.User) func() []int {
	var qts []int
	s.mu.Lock()
	s.onPush = func(user int64, us tg.UpdatesClass) {
		if x, ok := us.(*tg.Updates); ok && user == u.ID {
			for _, x := range x.Updates {
				if m, ok := x.(*tg.UpdateNewEncryptedMessage); ok {
					qts = append(qts, m.Qts)
				}
			}
		}
	}
	s.mu.Unlock()
	return func() []int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return append([]int(nil), qts...)
	}
}

// TestFaultsDeterministic: the same seed makes the same choices.
func TestFaultsDeterministic(t *testing.T) {
	t.Parallel()
	run := func(seed int64) Stats {
		s, err := Start(Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		bob := s.AddUser("Bob")
		s.SetFaults(Faults{Drop: 0.5, Duplicate: 0.5})
		s.mu.Lock()
		a := s.users[bob.ID]
		for range 200 {
			s.push(a, &tg.UpdateShort{Update: &tg.UpdateEncryptedChatTyping{ChatID: 1}}, nil)
		}
		s.mu.Unlock()
		return s.Stats(bob)
	}
	x, y, z := run(1), run(1), run(2)
	if x != y {
		t.Fatalf("seed 1 gave %+v then %+v", x, y)
	}
	if x == z {
		t.Fatalf("seeds 1 and 2 gave the same %+v", x)
	}
	if x.Dropped < 60 || x.Dropped > 140 {
		t.Fatalf("dropped %d of 200 at p = 0.5", x.Dropped)
	}
}

// TestDelayKeepsOrder: delays without Reorder never let a push overtake an
// earlier one.
func TestDelayKeepsOrder(t *testing.T) {
	t.Parallel()
	s := New(t, Options{Seed: 11})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, b := start(t, s, alice, false), start(t, s, bob, false)
	ac, _ := chatPair(t, a, b)

	const n = 30
	wire := onWire(s, bob)
	s.SetFaults(Faults{MaxDelay: 20 * time.Millisecond})
	sendN(t, a, ac, 0, n)
	receiveN(t, b, n)
	for i, q := range wire() {
		if q != i+1 {
			t.Fatalf("push %d has qts %d: %v", i, q, wire())
		}
	}
}

// TestPendingOnce: an updateEncryption goes out once, either by its push or
// in a difference; a difference that took it stops the push that was still
// queued.
func TestPendingOnce(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, b := start(t, s, alice, false), start(t, s, bob, false)
	ctx := testCtx(t)

	s.SetFaults(Faults{MaxDelay: time.Hour}) // the push waits in the queue
	if _, err := a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{
		UserID: &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash}, RandomID: 1, GA: dhPublic(t),
	}); err != nil {
		t.Fatal(err)
	}
	diff, err := b.api.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: 1, Date: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := diff.(*tg.UpdatesDifference); !ok || len(d.OtherUpdates) != 1 {
		t.Fatalf("difference %#v", diff)
	}
	// A second difference has nothing more.
	diff, err = b.api.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: 1, Date: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := diff.(*tg.UpdatesDifferenceEmpty); !ok {
		t.Fatalf("second difference %#v", diff)
	}

	// Make the queued push due now and let the pusher run it.
	s.mu.Lock()
	p := s.users[bob.ID].pusher
	s.mu.Unlock()
	p.mu.Lock()
	if len(p.q) != 1 {
		t.Fatalf("%d pushes queued, want 1", len(p.q))
	}
	p.q[0].at = time.Now()
	p.mu.Unlock()
	p.wake <- struct{}{}
	for {
		p.mu.Lock()
		n := len(p.q)
		p.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	none(t, b, 100*time.Millisecond)
	if st := s.Stats(bob); st.Pushed != 0 {
		t.Fatalf("the push went out too: %+v", st)
	}
}
