package tgsecret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotd/td/tg/e2e"
	"github.com/secretbench/secretbench/internal/raceflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// crashStore simulates a process that dies at one point: once trigger
// returns true for an operation that succeeded, every later write fails
// and the recorder attached to it stops seeing events (a dead process
// shows nothing).
type crashStore struct {
	Store
	trigger func(op string) bool
	crashed atomic.Bool
}

var errCrashed = errors.New("crashed")

func (s *crashStore) do(op string, f func() error) error {
	if s.crashed.Load() {
		return errCrashed
	}
	if err := f(); err != nil {
		return err
	}
	if s.trigger(op) {
		s.crashed.Store(true)
	}
	return nil
}

func (s *crashStore) SaveChat(ctx context.Context, c *ChatRecord) error {
	return s.do("SaveChat", func() error { return s.Store.SaveChat(ctx, c) })
}
func (s *crashStore) DeleteChat(ctx context.Context, id int) error {
	return s.do("DeleteChat", func() error { return s.Store.DeleteChat(ctx, id) })
}
func (s *crashStore) SetUpdateState(ctx context.Context, st UpdateState) error {
	return s.do("SetUpdateState", func() error { return s.Store.SetUpdateState(ctx, st) })
}
func (s *crashStore) PutRaw(ctx context.Context, m RawMessage) error {
	return s.do("PutRaw", func() error { return s.Store.PutRaw(ctx, m) })
}
func (s *crashStore) DeleteRaw(ctx context.Context, id uint64) error {
	return s.do("DeleteRaw", func() error { return s.Store.DeleteRaw(ctx, id) })
}

// crashSaver is a crashStore over a ProcessedSaver, so the Manager saves
// processed messages through it. At "SaveProcessed, record only" it dies
// with the record written and the raw message's deletion lost (FileStore
// makes the deletion durable only with the next write).
type crashSaver struct{ *crashStore }

func (s crashSaver) SaveProcessed(ctx context.Context, c *ChatRecord, id uint64) error {
	if s.crashed.Load() {
		return errCrashed
	}
	if s.trigger("SaveProcessed, record only") {
		err := s.Store.SaveChat(ctx, c)
		s.crashed.Store(true)
		return err
	}
	return s.do("SaveProcessed", func() error { return s.Store.(ProcessedSaver).SaveProcessed(ctx, c, id) })
}

// deadRecorder wraps a recorder so that nothing is recorded after the crash.
func deadAfterCrash(r *recorder, s *crashStore) func(context.Context, Event) {
	return func(ctx context.Context, e Event) {
		if !s.crashed.Load() {
			r.OnEvent(ctx, e)
		}
	}
}

func expectTexts(t *testing.T, got []string, prefix string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d messages, want %d: %q", len(got), n, got)
	}
	for i, s := range got {
		if s != fmt.Sprint(prefix, i) {
			t.Fatalf("message %d is %q, want %s%d", i, s, prefix, i)
		}
	}
}

// A crash between storing a message and acknowledging it, at each point:
// after the raw message is stored, and after the chat state is saved (by
// SaveChat before DeleteRaw, or by a ProcessedSaver, with or without the
// raw message's deletion). Restarted on the same store, nothing is lost
// and nothing delivered twice.
func TestCrashBetweenStoreAndAckFake(t *testing.T) {
	for _, point := range []string{"PutRaw", "SaveChat", "SaveProcessed", "SaveProcessed, record only"} {
		t.Run(point, func(t *testing.T) {
			s := newFakeServer()
			ctx := context.Background()
			a := startFake(t, s, 1, NewMemStore(), Options{})
			base := NewMemStore()
			b := startFake(t, s, 2, base, Options{PollInterval: 50 * time.Millisecond})
			ca, cb := openFake(t, a, b)
			b.stop()

			// b again, on a store that dies after the 5th message's point.
			var seen atomic.Int32
			cs := &crashStore{Store: base} // no ProcessedSaver: SaveChat, then DeleteRaw
			cs.trigger = func(op string) bool { return op == point && seen.Add(1) == 5 }
			var store Store = cs
			if strings.HasPrefix(point, "SaveProcessed") {
				store = crashSaver{cs}
			}
			rec1 := newRecorder()
			b1 := startFake(t, s, 2, store, Options{PollInterval: 50 * time.Millisecond, OnEvent: deadAfterCrash(rec1, cs)})
			for i := range 10 {
				if _, err := ca.SendText(ctx, fmt.Sprint("m", i)); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 5*time.Second, "the crash", cs.crashed.Load)
			time.Sleep(100 * time.Millisecond)
			b1.stop()
			s.mu.Lock()
			acked := s.users[2].acked
			s.mu.Unlock()

			b2 := startFake(t, s, 2, base, Options{PollInterval: 50 * time.Millisecond})
			waitFor(t, 10*time.Second, "the rest", func() bool {
				return len(rec1.Texts(cb.ID()))+len(b2.rec.Texts(cb.ID())) >= 10
			})
			time.Sleep(200 * time.Millisecond) // no late duplicates
			got := append(rec1.Texts(cb.ID()), b2.rec.Texts(cb.ID())...)
			expectTexts(t, got, "m", 10)
			if len(rec1.Texts(cb.ID())) >= 10 {
				t.Fatal("everything was delivered before the crash")
			}
			waitFor(t, 5*time.Second, "acks", func() bool {
				s.mu.Lock()
				defer s.mu.Unlock()
				return s.users[2].acked == s.users[2].qts
			})
			if acked >= s.users[2].qts {
				t.Fatalf("the crashed client acknowledged everything (%d)", acked)
			}
		})
	}
}

// Restart of one side (new Manager, same store) in the middle of traffic
// both ways: every message arrives once, in order.
func TestRestartMidTrafficFake(t *testing.T) {
	s := newFakeServer()
	ctx := context.Background()
	opts := Options{PollInterval: 50 * time.Millisecond, Logger: zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))}
	a := startFake(t, s, 1, NewMemStore(), opts)
	dir := t.TempDir() + "/b"
	fs, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs.NoSync = true
	b := startFake(t, s, 2, fs, opts)
	ca, cb := openFake(t, a, b)
	const n = 60
	recB := []*recorder{b.rec}
	for i := range n {
		if _, err := ca.SendText(ctx, fmt.Sprint("a", i)); err != nil {
			t.Fatal(err)
		}
		if i == n/2 {
			b.stop()
			b = startFake(t, s, 2, fs, opts)
			recB = append(recB, b.rec)
			cb = b.m.Chat(ca.ID())
			if cb == nil || cb.Status() != StatusReady {
				t.Fatal("chat not restored")
			}
		}
		if i%3 == 0 {
			if _, err := cb.SendText(ctx, fmt.Sprint("b", i/3)); err != nil {
				for _, r := range append(recB, a.rec) {
					for _, e := range r.events {
						t.Logf("%p %v %v %v", r, e.Kind, e.State, e.Err)
					}
				}
				t.Fatal(i, err)
			}
		}
	}
	waitFor(t, 10*time.Second, "all", func() bool {
		return len(recB[0].Texts(ca.ID()))+len(recB[1].Texts(ca.ID())) == n && len(a.rec.Texts(ca.ID())) == n/3
	})
	time.Sleep(100 * time.Millisecond)
	expectTexts(t, append(recB[0].Texts(ca.ID()), recB[1].Texts(ca.ID())...), "a", n)
	expectTexts(t, a.rec.Texts(ca.ID()), "b", n/3)
	// Owner-only files.
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("store directory %v", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s is %v", e.Name(), fi.Mode().Perm())
		}
	}
}

// Service actions reach the other side; discard with delete_history ends
// the chat on both sides and wipes its keys from the stores.
func TestActionsAndDiscardFake(t *testing.T) {
	s := newFakeServer()
	ctx := context.Background()
	sa, sb := NewMemStore(), NewMemStore()
	a := startFake(t, s, 1, sa, Options{})
	b := startFake(t, s, 2, sb, Options{})
	ca, cb := openFake(t, a, b)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ca.Typing(ctx, &e2e.SendMessageTypingAction{}))
	must(ca.SetTTL(ctx, 30))
	must(ca.ReadMessages(ctx, 7, 8))
	must(ca.DeleteMessages(ctx, 9))
	must(ca.ScreenshotNotice(ctx, 10))
	must(ca.FlushHistory(ctx))
	must(ca.SetTyping(ctx, true))
	must(ca.ReadHistory(ctx, 1234))
	want := map[string]bool{}
	waitFor(t, 5*time.Second, "actions", func() bool {
		b.rec.mu.Lock()
		defer b.rec.mu.Unlock()
		for _, e := range b.rec.events {
			switch {
			case e.Kind == EventMessage && e.Message.Action != nil:
				want[e.Message.Action.TypeName()] = true
			case e.Kind == EventTyping:
				want["typing"] = true
			case e.Kind == EventRead && e.MaxDate == 1234:
				want["read"] = true
			}
		}
		return len(want) == 8
	})
	if a, ok := b.rec.find(func(e Event) bool {
		if e.Kind != EventMessage {
			return false
		}
		_, ok := e.Message.Action.(*e2e.DecryptedMessageActionSetMessageTTL)
		return ok
	}); !ok || a.Message.Action.(*e2e.DecryptedMessageActionSetMessageTTL).TTLSeconds != 30 {
		t.Fatal("TTL")
	}

	must(a.m.Discard(ctx, ca.ID(), true))
	waitFor(t, 5*time.Second, "discard on both sides", func() bool {
		return ca.Status() == StatusDiscarded && cb.Status() == StatusDiscarded
	})
	if e, ok := b.rec.find(func(e Event) bool { return e.Kind == EventState && e.State == StatusDiscarded }); !ok || !e.HistoryDeleted {
		t.Fatal("b did not see history deleted")
	}
	if ca.Fingerprint() != 0 || cb.Fingerprint() != 0 {
		t.Fatal("keys kept")
	}
	for _, st := range []*MemStore{sa, sb} {
		if recs, _ := st.LoadChats(ctx); len(recs) != 0 {
			t.Fatal("chat record kept after discard")
		}
	}
	if _, err := ca.SendText(ctx, "x"); !errors.Is(err, ErrChatState) {
		t.Fatalf("send after discard: %v", err)
	}
	if len(a.m.Chats()) != 0 {
		t.Fatal("Chats lists a discarded chat")
	}
}

// Re-keying after 100 messages, seen on both sides, with messages
// flowing through it; then a file both ways, a download interrupted and
// resumed from its saved state.
func TestRekeyAndFileFake(t *testing.T) {
	s := newFakeServer()
	ctx := context.Background()
	a := startFake(t, s, 1, NewMemStore(), Options{})
	b := startFake(t, s, 2, NewMemStore(), Options{})
	ca, cb := openFake(t, a, b)
	fp0 := ca.Fingerprint()
	for i := range 130 {
		if _, err := ca.SendText(ctx, fmt.Sprint("a", i)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := cb.SendText(ctx, fmt.Sprint("b", i/2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, 10*time.Second, "messages", func() bool {
		return len(b.rec.Texts(ca.ID())) == 130 && len(a.rec.Texts(ca.ID())) == 65
	})
	expectTexts(t, b.rec.Texts(ca.ID()), "a", 130)
	waitFor(t, 5*time.Second, "re-key on both sides", func() bool {
		_, ra := a.rec.find(func(e Event) bool { return e.Kind == EventRekey })
		_, rb := b.rec.find(func(e Event) bool { return e.Kind == EventRekey })
		return ra && rb && ca.Fingerprint() == cb.Fingerprint()
	})
	if ca.Fingerprint() == fp0 {
		t.Fatal("same key after re-key")
	}

	size := 300<<10 + 5
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	if _, err := ca.SendFile(ctx, bytes.NewReader(data), int64(size), FileOptions{Name: "x.bin"}); err != nil {
		t.Fatal(err)
	}
	var file *File
	waitFor(t, 5*time.Second, "file message", func() bool {
		e, ok := b.rec.find(func(e Event) bool { return e.Kind == EventMessage && e.Message.File != nil })
		if !ok {
			return false
		}
		file = e.Message.File
		return ok
	})
	d, err := NewDownload(file)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = b.m.Download(ctx, d, &limitWriter{w: &out, n: DownloadPartSize + 100})
	if !errors.Is(err, errLimit) {
		t.Fatalf("interrupted download: %v", err)
	}
	if out.Len() != DownloadPartSize || d.Written() != DownloadPartSize {
		t.Fatalf("after the interruption %d bytes written, state at %d", out.Len(), d.Written())
	}
	state, _ := d.MarshalBinary()
	d2, err := ResumeDownload(state)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.m.Download(ctx, d2, &out); err != nil {
		t.Fatal(err)
	}
	if !d2.Done() || !bytes.Equal(out.Bytes(), data) {
		t.Fatal("file differs")
	}
	if _, err := ResumeDownload(state[:50]); !errors.Is(err, ErrDownloadState) {
		t.Fatalf("truncated state: %v", err)
	}
}

var errLimit = errors.New("writer full")

// limitWriter accepts n bytes, then fails writes that would pass n.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, errLimit
	}
	l.n -= len(p)
	return l.w.Write(p)
}

// zeroReader is an endless source of zeros.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A file far larger than the memory the transfer may use goes up and
// comes down: the heap's peak stays at a few part buffers (the fake
// server holds only part lengths and serves zeros).
func TestFileConstantMemoryFake(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("the race detector's shadow memory blurs the heap")
	}
	size := int64(64 << 20)
	if long {
		size = 512 << 20
	}
	s := newFakeServer()
	s.virtual = true
	ctx := context.Background()
	a := startFake(t, s, 1, NewMemStore(), Options{})
	b := startFake(t, s, 2, NewMemStore(), Options{})
	ca, _ := openFake(t, a, b)

	// A tight GC target, so that the peak is what is live, not garbage.
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	}()
	if _, err := ca.SendFile(ctx, io.LimitReader(zeroReader{}, size), size, FileOptions{Name: "big"}); err != nil {
		t.Fatal(err)
	}
	var file *File
	waitFor(t, 10*time.Second, "file message", func() bool {
		e, ok := b.rec.find(func(e Event) bool { return e.Kind == EventMessage && e.Message.File != nil })
		if ok {
			file = e.Message.File
		}
		return ok
	})
	d, err := NewDownload(file)
	if err != nil {
		t.Fatal(err)
	}
	n := &countWriter{}
	if err := b.m.Download(ctx, d, n); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-sampled
	if n.n != size {
		t.Fatalf("downloaded %d of %d bytes", n.n, size)
	}
	grew := int64(peak.Load()) - int64(base)
	t.Logf("%d MiB up and down: heap peak %d KiB above the start", size>>20, grew>>10)
	// The pipeline holds a few parts (512 KiB each) in flight on each side,
	// plus the GC's slack: a bound of 16 MiB, whatever the file size (5.6 to
	// 8.2 MiB seen for 512 MiB, on a loaded machine), where a leak of the
	// file would show hundreds.
	if grew > 16<<20 {
		t.Fatalf("heap grew by %d MiB for a %d MiB file", grew>>20, size>>20)
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }
