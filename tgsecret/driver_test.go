package tgsecret

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tg/e2e"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/secret"
)

func wellKnownPrime() []byte { return dhcheck.WellKnownPrime() }

// sharedChecker keeps the safe-prime verdicts of one test binary.
var sharedChecker = dhcheck.NewChecker()

// recorder collects a Manager's events.
type recorder struct {
	mu     sync.Mutex
	events []Event
	texts  map[int][]string // chat id -> texts in order
	wake   chan struct{}
	// onRequest accepts requests when set.
	onRequest func(ctx context.Context, e Event)
}

func newRecorder() *recorder {
	return &recorder{texts: map[int][]string{}, wake: make(chan struct{}, 1)}
}

func (r *recorder) OnEvent(ctx context.Context, e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	if e.Kind == EventMessage && e.Message.Action == nil {
		r.texts[e.Chat.ID()] = append(r.texts[e.Chat.ID()], e.Message.Text())
	}
	f := r.onRequest
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	if e.Kind == EventRequest && f != nil {
		go f(ctx, e)
	}
}

func (r *recorder) Texts(chat int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts[chat]...)
}

// find returns the first event matching f.
func (r *recorder) find(f func(Event) bool) (Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if f(e) {
			return e, true
		}
	}
	return Event{}, false
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClient is one account on a fakeServer.
type fakeClient struct {
	id     int64
	m      *Manager
	rec    *recorder
	api    *tg.Client
	cancel context.CancelFunc
	done   chan error
	// pushDone closes when the push goroutine has stopped.
	pushDone chan struct{}
}

// newTestManager makes a Manager on store with the tests' defaults and a
// recorder of its events (unless opts has its own OnEvent).
func newTestManager(t testing.TB, store Store, opts Options, tick time.Duration) (*Manager, *recorder) {
	t.Helper()
	rec := newRecorder()
	opts.Store = store
	if opts.OnEvent == nil {
		opts.OnEvent = rec.OnEvent
	}
	if opts.Checker == nil {
		opts.Checker = sharedChecker
	}
	if opts.TickInterval == 0 {
		opts.TickInterval = tick
	}
	m, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, rec
}

func startFake(t testing.TB, s *fakeServer, id int64, store Store, opts Options) *fakeClient {
	t.Helper()
	m, rec := newTestManager(t, store, opts, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	c := &fakeClient{id: id, m: m, rec: rec, cancel: cancel, done: make(chan error, 1)}
	c.pushDone = make(chan struct{})
	c.api = s.connect(ctx, id, m, c.pushDone)
	go func() { c.done <- m.Run(ctx, c.api) }()
	waitFor(t, 5*time.Second, "Run", func() bool { _, _, err := m.running(); return err == nil })
	t.Cleanup(c.stop)
	return c
}

func (c *fakeClient) stop() {
	c.cancel()
	<-c.done
	<-c.pushDone
	// A flusher may be between two packets; give it time to see ctx.
	time.Sleep(20 * time.Millisecond)
	c.done <- context.Canceled // later stops return at once
}

// openFake makes a ready chat from a to b.
func openFake(t testing.TB, a, b *fakeClient) (ca, cb *Chat) {
	t.Helper()
	ctx := context.Background()
	b.rec.mu.Lock()
	b.rec.onRequest = func(ctx context.Context, e Event) {
		if _, err := b.m.Accept(ctx, e.Chat.ID()); err != nil {
			t.Errorf("accept: %v", err)
		}
	}
	b.rec.mu.Unlock()
	ca, err := a.m.Request(ctx, &tg.InputUser{UserID: b.id})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cb = b.m.Chat(ca.ID())
		if ca.Status() == StatusReady && cb != nil && cb.Status() == StatusReady {
			break
		}
		if time.Now().After(deadline) {
			var st ChatStatus
			if cb != nil {
				st = cb.Status()
			}
			t.Fatalf("chat %d not ready on both sides: %v, %v", ca.ID(), ca.Status(), st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return ca, cb
}

func TestHandshakeFake(t *testing.T) {
	s := newFakeServer()
	a := startFake(t, s, 1, NewMemStore(), Options{})
	b := startFake(t, s, 2, NewMemStore(), Options{})
	ca, cb := openFake(t, a, b)
	if ca.Fingerprint() == 0 || ca.Fingerprint() != cb.Fingerprint() {
		t.Fatalf("fingerprints %x and %x", ca.Fingerprint(), cb.Fingerprint())
	}
	if !ca.Originator() || cb.Originator() {
		t.Fatal("roles")
	}
	// NotifyLayer both ways raises both to layer 144: the visualization is whole.
	waitFor(t, 5*time.Second, "visualization", func() bool {
		_, oka := ca.Visualization()
		_, okb := cb.Visualization()
		return oka && okb
	})
	va, _ := ca.Visualization()
	vb, _ := cb.Visualization()
	if va != vb {
		t.Fatalf("visualizations differ: %x %x", va, vb)
	}
	ctx := context.Background()
	for i := range 20 {
		if _, err := ca.SendText(ctx, fmt.Sprint("a", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := cb.SendText(ctx, fmt.Sprint("b", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "messages", func() bool {
		return len(b.rec.Texts(ca.ID())) == 20 && len(a.rec.Texts(ca.ID())) == 20
	})
	for i, s := range b.rec.Texts(ca.ID()) {
		if s != fmt.Sprint("a", i) {
			t.Fatalf("b got %q at %d", s, i)
		}
	}
	// Everything processed is acknowledged.
	waitFor(t, 5*time.Second, "acks", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.users[1].acked == s.users[1].qts && s.users[2].acked == s.users[2].qts
	})
}

func TestBadDHConfigFake(t *testing.T) {
	s := newFakeServer()
	p := wellKnownPrime()
	p[len(p)-1] -= 6 // same residue mod 3 (g = 3 passes its rule), odd, composite
	s.p = p
	a := startFake(t, s, 1, NewMemStore(), Options{})
	_ = startFake(t, s, 2, NewMemStore(), Options{})
	_, err := a.m.Request(context.Background(), &tg.InputUser{UserID: 2})
	if !errors.Is(err, dhcheck.ErrNotSafePrime) {
		t.Fatalf("bad p: %v", err)
	}
	s.mu.Lock()
	s.p, s.g, s.version = wellKnownPrime(), 2, 2 // g = 2 is not a generator of this prime's subgroup
	n := s.calls["*tg.MessagesRequestEncryptionRequest"]
	s.mu.Unlock()
	_, err = a.m.Request(context.Background(), &tg.InputUser{UserID: 2})
	if !errors.Is(err, dhcheck.ErrGenerator) {
		t.Fatalf("bad g: %v", err)
	}
	if n != 0 || s.calls["*tg.MessagesRequestEncryptionRequest"] != 0 {
		t.Fatal("a request went out with a refused config")
	}
}

var _ = e2e.DecryptedMessage{}

// A key fingerprint that does not match the key: the requester discards
// the chat, reports the abort with its reason, and both sides end it.
func TestFingerprintMismatchAbortsFake(t *testing.T) {
	s := newFakeServer()
	s.badFP = true
	a := startFake(t, s, 1, NewMemStore(), Options{})
	b := startFake(t, s, 2, NewMemStore(), Options{})
	b.rec.onRequest = func(ctx context.Context, e Event) { _, _ = b.m.Accept(ctx, e.Chat.ID()) }
	ca, err := a.m.Request(context.Background(), &tg.InputUser{UserID: 2})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, ok := a.rec.find(func(e Event) bool { return e.Kind == EventAbort && errors.Is(e.Err, secret.ErrKeyFingerprint) })
		cb := b.m.Chat(ca.ID())
		if ok && ca.Status() == StatusDiscarded && cb != nil && cb.Status() == StatusDiscarded {
			break
		}
		if time.Now().After(deadline) {
			var st ChatStatus
			if cb != nil {
				st = cb.Status()
			}
			t.Fatalf("abort seen %v; alice's chat %v, bob's %v", ok, ca.Status(), st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Bad input from the network is never fatal: garbage in a ready chat, a
// truncated message, an empty update, a discard of a chat nobody knows.
// Each is dropped; the chat goes on.
func TestBadNetworkInputFake(t *testing.T) {
	s := newFakeServer()
	a := startFake(t, s, 1, NewMemStore(), Options{})
	b := startFake(t, s, 2, NewMemStore(), Options{})
	ca, cb := openFake(t, a, b)
	ctx := context.Background()
	fp := cb.Fingerprint()
	garbage := make([]byte, 8+16+64)
	for i := range garbage {
		garbage[i] = byte(i * 13)
	}
	copy(garbage, []byte{byte(fp), byte(fp >> 8), byte(fp >> 16), byte(fp >> 24), byte(fp >> 32), byte(fp >> 40), byte(fp >> 48), byte(fp >> 56)})
	for _, msg := range []tg.EncryptedMessageClass{
		&tg.EncryptedMessage{ChatID: cb.ID(), Bytes: garbage, File: &tg.EncryptedFileEmpty{}},
		&tg.EncryptedMessageService{ChatID: cb.ID(), Bytes: garbage[:13]},
		&tg.EncryptedMessageService{ChatID: cb.ID()},
		nil,
	} {
		if err := b.m.handleEncryptedMessage(ctx, msg, 0); err != nil {
			t.Fatalf("%T: %v", msg, err)
		}
	}
	if err := b.m.handleEncryption(ctx, &tg.EncryptedChatDiscarded{ID: 999}); err != nil {
		t.Fatal(err)
	}
	if err := b.m.handleEncryption(ctx, &tg.EncryptedChat{ID: cb.ID(), GAOrB: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	if cb.Status() != StatusReady {
		t.Fatalf("chat %v after bad input", cb.Status())
	}
	if _, err := ca.SendText(ctx, "a0"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "a message after the garbage", func() bool { return len(b.rec.Texts(cb.ID())) == 1 })
	waitFor(t, 5*time.Second, "no raw message left pending", func() bool {
		b.m.q.mu.Lock()
		defer b.m.q.mu.Unlock()
		return len(b.m.q.pending) == 0
	})
}
