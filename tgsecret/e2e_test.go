package tgsecret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tg/e2e"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"golang.org/x/sync/errgroup"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/internal/raceflag"
	"github.com/secretbench/secretbench/tgsecret/tgsecrettest"
)

// End-to-end tests: real gotd/td telegram.Clients, each with gotd's update
// manager, on one tgsecrettest server.

var long = os.Getenv("SECRETBENCH_LONG") == "1"

// tgClient is one running account: a telegram.Client, gotd's updates
// manager and a Manager.
type tgClient struct {
	u      *tg.User
	m      *Manager
	rec    *recorder
	cancel context.CancelFunc
	done   chan error
	once   sync.Once

	mcancel context.CancelFunc
	mdone   chan struct{}
}

func startTG(t testing.TB, srv *tgsecrettest.Server, u *tg.User, store Store, opts Options) *tgClient {
	t.Helper()
	m, rec := newTestManager(t, store, opts, 100*time.Millisecond)
	d := tg.NewUpdateDispatcher()
	m.Register(d)
	gaps := updates.New(updates.Config{Handler: d, Storage: m.StateStorage()})
	ctx, cancel := context.WithCancel(context.Background())
	// Run stops first, so that no call of the driver is in flight when
	// the client closes its connection (gotd/td v0.93.0 races there).
	mctx, mcancel := context.WithCancel(ctx)
	c := &tgClient{u: u, m: m, rec: rec, cancel: cancel, mcancel: mcancel, mdone: make(chan struct{}), done: make(chan error, 1)}
	started := make(chan struct{})
	go func() {
		c.done <- srv.Run(ctx, u, telegram.Options{UpdateHandler: gaps}, func(ctx context.Context, tc *telegram.Client) error {
			g, ctx := errgroup.WithContext(ctx)
			ready := make(chan struct{})
			g.Go(func() error {
				return gaps.Run(ctx, tc.API(), u.ID, updates.AuthOptions{OnStart: func(context.Context) { close(ready) }})
			})
			g.Go(func() error {
				select {
				case <-ready:
				case <-ctx.Done():
					return ctx.Err()
				}
				close(started)
				err := m.Run(mctx, tc.API())
				close(c.mdone)
				if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
					return err
				}
				<-ctx.Done()
				return ctx.Err()
			})
			return g.Wait()
		})
	}()
	select {
	case <-started:
	case err := <-c.done:
		t.Fatalf("client %s: %v", u.FirstName, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("client %s did not start", u.FirstName)
	}
	waitFor(t, 5*time.Second, "Run", func() bool { _, _, err := m.running(); return err == nil })
	t.Cleanup(c.stop)
	return c
}

func (c *tgClient) stop() {
	c.once.Do(func() {
		c.mcancel()
		select {
		case <-c.mdone:
		case <-time.After(10 * time.Second):
		}
		c.cancel()
		<-c.done
	})
}

// openTG makes a ready chat from a to b (b accepts on its request event).
func openTG(t testing.TB, a, b *tgClient) (ca, cb *Chat) {
	t.Helper()
	b.rec.mu.Lock()
	b.rec.onRequest = func(ctx context.Context, e Event) {
		if _, err := b.m.Accept(ctx, e.Chat.ID()); err != nil {
			t.Errorf("accept: %v", err)
		}
	}
	b.rec.mu.Unlock()
	ca, err := a.m.Request(context.Background(), &tg.InputUser{UserID: b.u.ID, AccessHash: b.u.AccessHash})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "both sides ready", func() bool {
		cb = b.m.Chat(ca.ID())
		return ca.Status() == StatusReady && cb != nil && cb.Status() == StatusReady
	})
	return ca, cb
}

func TestE2EHandshake(t *testing.T) {
	srv := tgsecrettest.New(t, tgsecrettest.Options{})
	alice, bob := srv.AddUser("alice"), srv.AddUser("bob")
	lg := zaptest.NewLogger(t, zaptest.Level(zap.DebugLevel))
	a := startTG(t, srv, alice, NewMemStore(), Options{Logger: lg.Named("alice")})
	b := startTG(t, srv, bob, NewMemStore(), Options{Logger: lg.Named("bob")})
	ca, cb := openTG(t, a, b)
	if ca.Fingerprint() != cb.Fingerprint() || ca.Fingerprint() == 0 {
		t.Fatalf("fingerprints %x %x", ca.Fingerprint(), cb.Fingerprint())
	}
	waitFor(t, 10*time.Second, "visualization", func() bool {
		va, oka := ca.Visualization()
		vb, okb := cb.Visualization()
		if !(oka && okb && va == vb) {
			t.Logf("layers %d %d", ca.PeerLayer(), cb.PeerLayer())
		}
		return oka && okb && va == vb
	})

	// A bad p, then a bad g: refused before any key is made or any request
	// leaves; the peer sees nothing.
	p := tgsecrettest.DHPrime()
	p[len(p)-1] -= 6
	srv.SetDHConfig(3, p)
	if _, err := a.m.Request(context.Background(), &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash}); !errors.Is(err, dhcheck.ErrNotSafePrime) {
		t.Fatalf("bad p: %v", err)
	}
	srv.SetDHConfig(2, tgsecrettest.DHPrime())
	if _, err := a.m.Request(context.Background(), &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash}); !errors.Is(err, dhcheck.ErrGenerator) {
		t.Fatalf("bad g: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	n := 0
	b.rec.mu.Lock()
	for _, e := range b.rec.events {
		if e.Kind == EventRequest {
			n++
		}
	}
	b.rec.mu.Unlock()
	if n != 1 || len(a.m.Chats()) != 1 {
		t.Fatalf("%d requests reached bob, alice has %d chats", n, len(a.m.Chats()))
	}
}

// sendAll sends n texts prefix0..prefix(n-1) in order.
func sendAll(ctx context.Context, c *Chat, prefix string, n int) error {
	for i := range n {
		if _, err := c.SendText(ctx, fmt.Sprint(prefix, i)); err != nil {
			return fmt.Errorf("%s%d: %w", prefix, i, err)
		}
	}
	return nil
}

// 1,000 messages each way (300 under -race without SECRETBENCH_LONG),
// sent at once from both sides, with 10% of pushes dropped, 5% duplicated,
// reordering and delays: each arrives once, in order; every qts is
// acknowledged.
func TestE2EInterleavedFaults(t *testing.T) {
	n := 1000
	if raceflag.Enabled && !long {
		n = 300
	}
	srv := tgsecrettest.New(t, tgsecrettest.Options{Seed: 7})
	alice, bob := srv.AddUser("alice"), srv.AddUser("bob")
	a := startTG(t, srv, alice, NewMemStore(), Options{PollInterval: time.Second})
	b := startTG(t, srv, bob, NewMemStore(), Options{PollInterval: time.Second})
	ca, cb := openTG(t, a, b)
	srv.SetFaults(tgsecrettest.Faults{Drop: 0.10, Duplicate: 0.05, Reorder: true, MaxDelay: 2 * time.Millisecond})
	ctx := context.Background()
	var g errgroup.Group
	g.Go(func() error { return sendAll(ctx, ca, "a", n) })
	g.Go(func() error { return sendAll(ctx, cb, "b", n) })
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "delivery", func() bool {
		return len(b.rec.Texts(ca.ID())) >= n && len(a.rec.Texts(ca.ID())) >= n
	})
	srv.SetFaults(tgsecrettest.Faults{})
	time.Sleep(300 * time.Millisecond)
	expectTexts(t, b.rec.Texts(ca.ID()), "a", n)
	expectTexts(t, a.rec.Texts(ca.ID()), "b", n)
	waitFor(t, 10*time.Second, "acknowledgements", func() bool {
		sa, sb := srv.Stats(alice), srv.Stats(bob)
		return sa.Acked == sa.QTS && sb.Acked == sb.QTS
	})
	sa, sb := srv.Stats(alice), srv.Stats(bob)
	t.Logf("alice: %+v; bob: %+v", sa, sb)
	if sa.Dropped == 0 || sb.Dropped == 0 {
		t.Fatal("no push was dropped: the faults did not apply")
	}
}

// Re-key after 100 messages on both sides, with a restart of one side
// (new telegram.Client, same store) while the re-key is in flight, and
// typing, read history and TTL reaching the other side; then a discard
// with delete_history ends the chat on both sides and wipes its keys.
func TestE2ERekeyRestartActionsDiscard(t *testing.T) {
	srv := tgsecrettest.New(t, tgsecrettest.Options{Seed: 3})
	alice, bob := srv.AddUser("alice"), srv.AddUser("bob")
	sa := NewMemStore()
	fs, err := NewFileStore(t.TempDir() + "/bob")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{PollInterval: 500 * time.Millisecond}
	a := startTG(t, srv, alice, sa, opts)
	b := startTG(t, srv, bob, fs, opts)
	ca, cb := openTG(t, a, b)
	fp0 := ca.Fingerprint()
	ctx := context.Background()
	const n = 140
	recs := []*recorder{b.rec}
	for i := range n {
		if _, err := ca.SendText(ctx, fmt.Sprint("a", i)); err != nil {
			t.Fatal(err)
		}
		if i == 101 {
			// The 101st message carried alice's RequestKey: bob restarts
			// with the exchange in flight.
			b.stop()
			b = startTG(t, srv, bob, fs, opts)
			recs = append(recs, b.rec)
			cb = b.m.Chat(ca.ID())
		}
	}
	if err := sendAll(ctx, cb, "b", 5); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "messages", func() bool {
		return len(recs[0].Texts(ca.ID()))+len(recs[1].Texts(ca.ID())) >= n && len(a.rec.Texts(ca.ID())) >= 5
	})
	expectTexts(t, append(recs[0].Texts(ca.ID()), recs[1].Texts(ca.ID())...), "a", n)
	waitFor(t, 10*time.Second, "re-key seen on both sides", func() bool {
		_, ra := a.rec.find(func(e Event) bool { return e.Kind == EventRekey })
		return ra && ca.Fingerprint() == cb.Fingerprint() && ca.Fingerprint() != fp0
	})

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ca.Typing(ctx, &e2e.SendMessageTypingAction{}))
	must(ca.SetTTL(ctx, 15))
	must(ca.ReadMessages(ctx, 42))
	must(ca.SetTyping(ctx, true))
	must(ca.ReadHistory(ctx, int(time.Now().Unix())))
	got := map[string]bool{}
	waitFor(t, 10*time.Second, "typing, read and TTL on bob's side", func() bool {
		b.rec.mu.Lock()
		defer b.rec.mu.Unlock()
		for _, e := range b.rec.events {
			switch {
			case e.Kind == EventTyping, e.Kind == EventRead:
				got[e.Kind.String()] = true
			case e.Kind == EventMessage && e.Message.Action != nil:
				switch a := e.Message.Action.(type) {
				case *e2e.DecryptedMessageActionSetMessageTTL:
					got["ttl"] = a.TTLSeconds == 15
				case *e2e.DecryptedMessageActionTyping:
					got["e2e typing"] = true
				case *e2e.DecryptedMessageActionReadMessages:
					got["e2e read"] = len(a.RandomIDs) == 1 && a.RandomIDs[0] == 42
				}
			}
		}
		return got["typing"] && got["read"] && got["ttl"] && got["e2e typing"] && got["e2e read"]
	})

	must(b.m.Discard(ctx, cb.ID(), true))
	waitFor(t, 10*time.Second, "discard on both sides", func() bool {
		return ca.Status() == StatusDiscarded && cb.Status() == StatusDiscarded
	})
	if e, ok := a.rec.find(func(e Event) bool { return e.Kind == EventState && e.State == StatusDiscarded }); !ok || !e.HistoryDeleted {
		t.Fatal("alice did not see delete_history")
	}
	if ca.Fingerprint() != 0 || cb.Fingerprint() != 0 {
		t.Fatal("keys kept")
	}
	for _, st := range []Store{sa, fs} {
		if recs, _ := st.LoadChats(ctx); len(recs) != 0 {
			t.Fatal("a record outlived the discard")
		}
	}
	waitFor(t, 10*time.Second, "acknowledgements", func() bool {
		s1, s2 := srv.Stats(alice), srv.Stats(bob)
		return s1.Acked == s1.QTS && s2.Acked == s2.QTS
	})
}

// A 5 MiB file each way, byte for byte; one download interrupted and
// resumed from its saved state.
func TestE2EFiles(t *testing.T) {
	srv := tgsecrettest.New(t, tgsecrettest.Options{})
	alice, bob := srv.AddUser("alice"), srv.AddUser("bob")
	a := startTG(t, srv, alice, NewMemStore(), Options{})
	b := startTG(t, srv, bob, NewMemStore(), Options{})
	ca, cb := openTG(t, a, b)
	ctx := context.Background()
	size := 5 << 20
	if testing.Short() {
		size = 1 << 20
	}
	for _, dir := range []struct {
		from *Chat
		to   *tgClient
		seed byte
	}{{ca, b, 1}, {cb, a, 2}} {
		data := pattern(size, dir.seed)
		if _, err := dir.from.SendFile(ctx, bytes.NewReader(data), int64(size), FileOptions{Name: "f.bin", Caption: "file"}); err != nil {
			t.Fatal(err)
		}
		var f *File
		waitFor(t, 20*time.Second, "the file message", func() bool {
			e, ok := dir.to.rec.find(func(e Event) bool { return e.Kind == EventMessage && e.Message.File != nil })
			if ok {
				f = e.Message.File
			}
			return ok
		})
		if f.Size != int64(size) {
			t.Fatalf("size %d", f.Size)
		}
		d, err := NewDownload(f)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if dir.seed == 1 {
			lw := &limitWriter{w: &out, n: 3*DownloadPartSize + 1}
			if err := dir.to.m.Download(ctx, d, lw); !errors.Is(err, errLimit) {
				t.Fatalf("interrupted: %v", err)
			}
			state, _ := d.MarshalBinary()
			if d, err = ResumeDownload(state); err != nil {
				t.Fatal(err)
			}
		}
		if err := dir.to.m.Download(ctx, d, &out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("file %d differs", dir.seed)
		}
		dir.to.rec.mu.Lock()
		dir.to.rec.events = nil
		dir.to.rec.mu.Unlock()
	}
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) * 2654435761
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// Two chats between the same two users at once, and a third user with a
// chat to each: every message reaches the right chat, in order.
func TestE2EConcurrentChatsThreeUsers(t *testing.T) {
	srv := tgsecrettest.New(t, tgsecrettest.Options{Seed: 5})
	alice, bob, carol := srv.AddUser("alice"), srv.AddUser("bob"), srv.AddUser("carol")
	a := startTG(t, srv, alice, NewMemStore(), Options{})
	b := startTG(t, srv, bob, NewMemStore(), Options{})
	c := startTG(t, srv, carol, NewMemStore(), Options{})
	ab1, ba1 := openTG(t, a, b)
	ab2, ba2 := openTG(t, a, b)
	ca, ac := openTG(t, c, a)
	cb, bc := openTG(t, c, b)
	ctx := context.Background()
	const n = 30
	var g errgroup.Group
	for i, ch := range []*Chat{ab1, ba1, ab2, ba2, ca, ac, cb, bc} {
		g.Go(func() error { return sendAll(ctx, ch, fmt.Sprint("c", i, "-"), n) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	check := func(r *recorder, chat *Chat, from int) {
		t.Helper()
		waitFor(t, 20*time.Second, "messages", func() bool { return len(r.Texts(chat.ID())) >= n })
		expectTexts(t, r.Texts(chat.ID()), fmt.Sprint("c", from, "-"), n)
	}
	check(b.rec, ab1, 0)
	check(a.rec, ab1, 1)
	check(b.rec, ab2, 2)
	check(a.rec, ab2, 3)
	check(a.rec, ca, 4)
	check(c.rec, ca, 5)
	check(b.rec, cb, 6)
	check(c.rec, cb, 7)
	if ab1.ID() == ab2.ID() || len(a.m.Chats()) != 3 || len(b.m.Chats()) != 3 || len(c.m.Chats()) != 2 {
		t.Fatal("chats")
	}
}

// A crash of bob between storing a message and acknowledging it (after
// the raw message is stored; after the chat state is saved), with two
// real clients: restarted on the same store, bob gets every message once,
// in order, and acknowledges every qts.
func TestE2ECrashBetweenStoreAndAck(t *testing.T) {
	for _, point := range []string{"PutRaw", "SaveChat"} {
		t.Run(point, func(t *testing.T) {
			srv := tgsecrettest.New(t, tgsecrettest.Options{})
			alice, bob := srv.AddUser("alice"), srv.AddUser("bob")
			ctx := context.Background()
			a := startTG(t, srv, alice, NewMemStore(), Options{})
			base := NewMemStore()
			b := startTG(t, srv, bob, base, Options{})
			ca, _ := openTG(t, a, b)
			b.stop()

			var seen atomic.Int32
			cs := &crashStore{Store: base, trigger: func(op string) bool { return op == point && seen.Add(1) == 5 }}
			rec1 := newRecorder()
			b1 := startTG(t, srv, bob, cs, Options{OnEvent: deadAfterCrash(rec1, cs)})
			const n = 10
			if err := sendAll(ctx, ca, "m", n); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the crash", cs.crashed.Load)
			time.Sleep(100 * time.Millisecond)
			b1.stop()
			if st := srv.Stats(bob); st.Acked >= st.QTS {
				t.Fatalf("the crashed client acknowledged everything: %+v", st)
			}

			b2 := startTG(t, srv, bob, base, Options{})
			waitFor(t, 20*time.Second, "the rest", func() bool {
				return len(rec1.Texts(ca.ID()))+len(b2.rec.Texts(ca.ID())) >= n
			})
			time.Sleep(300 * time.Millisecond)
			expectTexts(t, append(rec1.Texts(ca.ID()), b2.rec.Texts(ca.ID())...), "m", n)
			waitFor(t, 10*time.Second, "acknowledgements", func() bool {
				st := srv.Stats(bob)
				return st.Acked == st.QTS
			})
		})
	}
}
