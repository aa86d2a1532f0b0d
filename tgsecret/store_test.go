package tgsecret

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func testStore(t *testing.T, s Store) {
	ctx := context.Background()
	if _, found, err := s.UpdateState(ctx); err != nil || found {
		t.Fatalf("empty store has a state: %v", err)
	}
	st := UpdateState{Pts: 1, Qts: 2, Date: 3, Seq: 4}
	if err := s.SetUpdateState(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, found, _ := s.UpdateState(ctx); !found || got != st {
		t.Fatalf("state %+v", got)
	}
	rec := &ChatRecord{ID: 7, AccessHash: 8, PeerID: 9, Status: StatusReady, G: 3, P: []byte{1, 2}, State: []byte("state"),
		Outbox: []Packet{{RandomID: 1, Wire: []byte("w"), File: &FileRef{ID: 5, Parts: 2}}}, Files: []FileRef{{ID: 6, Fingerprint: -1}}}
	if err := s.SaveChat(ctx, rec); err != nil {
		t.Fatal(err)
	}
	rec.State[0] = 'X' // the store keeps its own copy
	got, err := s.LoadChats(ctx)
	if err != nil || len(got) != 1 || string(got[0].State) != "state" || got[0].Outbox[0].File.Parts != 2 || got[0].Files[0].Fingerprint != -1 {
		t.Fatalf("chats %+v, %v", got, err)
	}
	for i := uint64(3); i > 0; i-- {
		if err := s.PutRaw(ctx, RawMessage{ID: i, Qts: int(i) * 10, Data: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteRaw(ctx, 2); err != nil {
		t.Fatal(err)
	}
	raws, _ := s.RawMessages(ctx)
	want := []RawMessage{{ID: 1, Qts: 10, Data: []byte{1}}, {ID: 3, Qts: 30, Data: []byte{3}}}
	if !reflect.DeepEqual(raws, want) {
		t.Fatalf("raw %+v", raws)
	}
	if ps, ok := s.(ProcessedSaver); ok {
		rec.State = []byte("state 2")
		if err := ps.SaveProcessed(ctx, rec, 3); err != nil {
			t.Fatal(err)
		}
		got, _ := s.LoadChats(ctx)
		raws, _ := s.RawMessages(ctx)
		if len(got) != 1 || string(got[0].State) != "state 2" || !reflect.DeepEqual(raws, want[:1]) {
			t.Fatalf("after SaveProcessed: chats %+v, raw %+v", got, raws)
		}
	} else {
		t.Fatalf("%T is no ProcessedSaver", s)
	}
	if err := s.DeleteChat(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoadChats(ctx); len(got) != 0 {
		t.Fatal("deleted chat still there")
	}
}

func TestMemStore(t *testing.T) { testStore(t, NewMemStore()) }

func TestFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A temporary file left by a crash mid-write is not a record.
	if err := os.WriteFile(filepath.Join(dir, tmpPrefix+"chat-1-x"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	testStore(t, s)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v", e.Name(), fi.Mode().Perm())
		}
	}
	// A corrupt record is an error, not an empty chat.
	if err := os.WriteFile(filepath.Join(dir, chatPrefix+"1"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadChats(context.Background()); err == nil {
		t.Fatal("corrupt record loaded")
	}
	// A directory others can read is refused.
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileStore(open); err == nil {
		t.Fatal("store in a world-readable directory")
	}
}

// failStore fails PutRaw while fail is set.
type failStore struct {
	Store
	fail atomic.Bool
}

func (s *failStore) PutRaw(ctx context.Context, m RawMessage) error {
	if s.fail.Load() {
		return errCrashed
	}
	return s.Store.PutRaw(ctx, m)
}

// A message the handler could not store holds qts below it, whatever
// gotd's update manager reports afterwards; a refetch recovers it and
// only then does qts move on and get acknowledged.
func TestQtsHeldOnFailureFake(t *testing.T) {
	s := newFakeServer()
	ctx := context.Background()
	a := startFake(t, s, 1, NewMemStore(), Options{})
	fs := &failStore{Store: NewMemStore()}
	b := startFake(t, s, 2, fs, Options{TickInterval: time.Hour})
	ca, cb := openFake(t, a, b)
	waitFor(t, 5*time.Second, "handshake acknowledged", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.users[2].acked == s.users[2].qts
	})
	s.mu.Lock()
	held := s.users[2].qts
	s.mu.Unlock()

	fs.fail.Store(true)
	if _, err := ca.SendText(ctx, "a0"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the failed push", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.users[2].qts > held && len(s.users[2].push) == 0
	})
	time.Sleep(50 * time.Millisecond)
	fs.fail.Store(false)
	for i := 1; i < 5; i++ {
		if _, err := ca.SendText(ctx, "a"+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	st, _, _ := b.m.StateStorage().GetState(ctx, 2)
	s.mu.Lock()
	acked := s.users[2].acked
	s.mu.Unlock()
	if st.Qts > held || acked > held {
		t.Fatalf("qts %d, acked %d: moved past the unstored message at %d", st.Qts, acked, held+1)
	}
	b.m.refetch(ctx)
	b.m.ack(ctx)
	waitFor(t, 5*time.Second, "recovery", func() bool { return len(b.rec.Texts(cb.ID())) == 5 })
	expectTexts(t, b.rec.Texts(cb.ID()), "a", 5)
	waitFor(t, 5*time.Second, "qts past it", func() bool {
		b.m.ack(ctx)
		st, _, _ := b.m.StateStorage().GetState(ctx, 2)
		s.mu.Lock()
		defer s.mu.Unlock()
		return st.Qts == s.users[2].qts && s.users[2].acked == s.users[2].qts
	})
}

// The requester's first packets (NotifyLayer) overtake the answer to our
// acceptEncryption: they are stored, kept until the chat is ready, and
// then processed and acknowledged at once, not at the next tick.
func TestEarlyPacketsProcessedWhenReadyFake(t *testing.T) {
	s := newFakeServer()
	s.slowAccept = 300 * time.Millisecond
	a := startFake(t, s, 1, NewMemStore(), Options{TickInterval: time.Hour})
	b := startFake(t, s, 2, NewMemStore(), Options{TickInterval: time.Hour})
	ca, cb := openFake(t, a, b)
	waitFor(t, 5*time.Second, "the early packet pushed", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.users[2].qts > 10
	})
	waitFor(t, 5*time.Second, "the early packet processed and acknowledged", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.users[2].acked == s.users[2].qts
	})
	if _, err := ca.SendText(context.Background(), "hello"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "a message after it", func() bool { return len(b.rec.Texts(cb.ID())) == 1 })
}

// failLoadStore fails LoadChats with err after returning the records.
type failLoadStore struct {
	Store
	err error
}

func (s failLoadStore) LoadChats(ctx context.Context) ([]*ChatRecord, error) {
	recs, _ := s.Store.LoadChats(ctx)
	return recs, s.err
}

// A chat file that cannot be read hides none of the others: LoadChats
// returns them with a CorruptRecordError naming it, the file stays as it
// was, and a Manager starts with the readable chats. Any other error of
// LoadChats still stops New.
func TestCorruptRecordSkipped(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store") // made owner-only
	s, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 3; id++ {
		if err := s.SaveChat(ctx, &ChatRecord{ID: id, PeerID: int64(10 + id), Status: StatusRequested, GA: []byte{byte(id)}}); err != nil {
			t.Fatal(err)
		}
	}
	bad := filepath.Join(dir, chatPrefix+"2")
	garbage := []byte("not a journal, not JSON")
	if err := os.WriteFile(bad, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := s.LoadChats(ctx)
	var cre *CorruptRecordError
	if !errors.As(err, &cre) || cre.Name != chatPrefix+"2" {
		t.Fatalf("LoadChats error %v, want a CorruptRecordError for %s", err, chatPrefix+"2")
	}
	if len(recs) != 2 || recs[0].ID != 1 || recs[1].ID != 3 {
		t.Fatalf("LoadChats returned %d records, want chats 1 and 3", len(recs))
	}
	if data, _ := os.ReadFile(bad); !bytes.Equal(data, garbage) {
		t.Fatal("the unreadable record was changed")
	}

	m, _ := newTestManager(t, s, Options{}, time.Hour)
	if ids := chatIDs(m); !slices.Equal(ids, []int{1, 3}) {
		t.Fatalf("Manager started with chats %v, want [1 3]", ids)
	}

	fs := failLoadStore{Store: s, err: errors.Join(cre, errCrashed)}
	if _, err := New(ctx, Options{Store: fs}); !errors.Is(err, errCrashed) {
		t.Fatalf("New with a store that failed to load: %v", err)
	}
}

func chatIDs(m *Manager) []int {
	var ids []int
	for _, c := range m.Chats() {
		ids = append(ids, c.ID())
	}
	slices.Sort(ids)
	return ids
}
