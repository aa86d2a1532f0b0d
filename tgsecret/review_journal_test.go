package tgsecret

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// writeJournal replaces chat 3's journal in dir with data.
func writeJournal(t *testing.T, dir string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, chatPrefix+"3"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// expectTornLast checks that chat 3's journal in dir, saved by saveSteps
// and then torn in its last (third) frame, loads the second save, and that
// a save after it is appended to the complete frames.
func expectTornLast(t *testing.T, dir, what string) {
	t.Helper()
	s := newTestFileStore(t, dir)
	recs, err := s.LoadChats(context.Background())
	if err != nil || len(recs) != 1 {
		t.Fatalf("%s: LoadChats: %d records, %v", what, len(recs), err)
	}
	expectLog(t, recs[0], "state-2", 0, logEntries(0, 0, 1))
	if err := s.SaveChat(context.Background(), &ChatRecord{ID: 3, Status: StatusReady, State: []byte("state-4")}); err != nil {
		t.Fatalf("%s: save after the torn frame: %v", what, err)
	}
	expectLog(t, loadOne(t, newTestFileStore(t, dir)), "state-4", 0, logEntries(0, 0, 1))
}

// A crash at any point of an append: the file cut at every byte of the
// last frame, or extended to its full length with zeros from every byte
// on (the file system had not written the data yet), or with the frame's
// first bytes lost and the rest written (its first block, the journal's
// last one before the append, rewritten in place, written after the new
// blocks), loads the record of the complete frames, and the next save
// follows them.
func TestReviewJournalTornEveryOffset(t *testing.T) {
	dir := storeDir(t)
	sizes := saveSteps(t, dir, 3)
	data, err := os.ReadFile(filepath.Join(dir, chatPrefix+"3"))
	if err != nil {
		t.Fatal(err)
	}
	last := int(sizes[1])
	for cut := last; cut < len(data); cut++ {
		writeJournal(t, dir, data[:cut])
		expectTornLast(t, dir, fmt.Sprint("cut at ", cut))

		zeros := bytes.Clone(data)
		clear(zeros[cut:])
		writeJournal(t, dir, zeros)
		expectTornLast(t, dir, fmt.Sprint("zeros from ", cut))

		if cut > last {
			lost := bytes.Clone(data)
			clear(lost[last:cut])
			writeJournal(t, dir, lost)
			expectTornLast(t, dir, fmt.Sprint("zeros up to ", cut))
		}
	}
}

// A frame's length is not covered by its checksum: a corrupt one in the
// middle of a journal, pointing past its end, must be an error, not a
// torn frame that silently drops it and every frame after it (the first
// frame: the whole chat).
func TestReviewJournalCorruptLength(t *testing.T) {
	dir := storeDir(t)
	sizes := saveSteps(t, dir, 3)
	data, err := os.ReadFile(filepath.Join(dir, chatPrefix+"3"))
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{len(journalMagic), int(sizes[0])} { // the first frame, the second
		for bit := range 32 {
			bad := bytes.Clone(data)
			binary.LittleEndian.PutUint32(bad[at:], binary.LittleEndian.Uint32(bad[at:])^1<<bit)
			writeJournal(t, dir, bad)
			s := newTestFileStore(t, dir)
			if recs, err := s.LoadChats(context.Background()); !errors.Is(err, errCorruptJournal) {
				t.Fatalf("frame at %d, length bit %d flipped: %d records, %v", at, bit, len(recs), err)
			}
			if err := s.SaveChat(context.Background(), &ChatRecord{ID: 3, State: []byte("x")}); !errors.Is(err, errCorruptJournal) {
				t.Fatalf("frame at %d, length bit %d flipped: save %v", at, bit, err)
			}
		}
	}
}

// A last frame whose length is huge (2 GiB and more: negative as an int
// on 32-bit platforms) is a torn frame: no panic, nothing allocated for it.
func TestReviewJournalHugeLength(t *testing.T) {
	dir := storeDir(t)
	sizes := saveSteps(t, dir, 3)
	data, err := os.ReadFile(filepath.Join(dir, chatPrefix+"3"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint32{1<<31 - 1, 1 << 31, 1<<32 - 1, uint32(len(data))} {
		bad := bytes.Clone(data)
		binary.LittleEndian.PutUint32(bad[sizes[1]:], n)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rec, end, _, err := replayJournal(bad)
		runtime.ReadMemStats(&after)
		if err != nil || rec == nil || end != int(sizes[1]) || string(rec.State) != "state-2" {
			t.Fatalf("length %#x: end %d (want %d), %v", n, end, sizes[1], err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Fatalf("length %#x: %d bytes allocated", n, grew)
		}
		writeJournal(t, dir, bad)
		expectTornLast(t, dir, fmt.Sprintf("length %#x", n))
	}
}

// A crash during DeleteChat, or during a compaction or another write,
// leaves temporary files: LoadChats skips them (the chat is deleted, or
// the journal as before the compaction) and the next FileStore on the
// directory removes them (they may hold keys).
func TestReviewDeleteAndCompactionCrash(t *testing.T) {
	ctx := context.Background()
	dir := storeDir(t)
	saveSteps(t, dir, 3)
	data, err := os.ReadFile(filepath.Join(dir, chatPrefix+"3"))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestFileStore(t, dir)
	if err := s.SaveChat(ctx, &ChatRecord{ID: 4, Status: StatusReady, State: []byte("four")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteChat(ctx, 4); err != nil {
		t.Fatal(err)
	}
	// Chat 4's deletion cut short after its record was renamed (whole,
	// half zeroed), and a compaction of chat 3 before its rename (its
	// temporary file whole, torn).
	half := bytes.Clone(data)
	clear(half[:len(half)/2])
	for name, content := range map[string][]byte{
		tmpPrefix + "deleted-" + chatPrefix + "4": data,
		tmpPrefix + "deleted-" + chatPrefix + "5": half,
		tmpPrefix + chatPrefix + "3" + "-123456":  append([]byte(journalMagic), data[len(journalMagic):]...),
		tmpPrefix + chatPrefix + "3" + "-654321":  data[:len(data)-7],
		tmpPrefix + stateFile + "-42":             []byte(`{"Pts":1`),
		tmpPrefix + rawName(1) + "-7":             nil,
		tmpPrefix + "deleted-" + chatPrefix + "6": make([]byte, 100),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	expectLog(t, loadOne(t, newTestFileStore(t, dir)), "state-3", 0, logEntries(0, 0, 1, 2))
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != chatPrefix+"3" {
		t.Fatalf("files left after a restart: %q", names)
	}
	// A chat deleted twice, or never saved, is no error.
	for _, id := range []int{4, 99} {
		if err := newTestFileStore(t, dir).DeleteChat(ctx, id); err != nil {
			t.Fatalf("DeleteChat(%d): %v", id, err)
		}
	}
}

// A chat deleted and saved again (the same ID) starts a new journal: no
// entry of the deleted chat's log comes back, and the FileStore no longer
// holds the deleted log.
func TestReviewJournalOfDeletedChat(t *testing.T) {
	ctx := context.Background()
	dir := storeDir(t)
	s := newTestFileStore(t, dir)
	for i := range uint32(5) {
		if err := s.SaveChat(ctx, &ChatRecord{ID: 3, Status: StatusReady, State: []byte("old"), Sent: logEntries(1, i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteChat(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if j := s.journal(3); j.kept != nil || j.ready {
		t.Fatalf("deleted chat's journal: ready %v, %d entries (capacity %d) kept", j.ready, len(j.kept), cap(j.kept))
	}
	if recs, err := s.LoadChats(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("after DeleteChat: %d records, %v", len(recs), err)
	}
	if err := s.SaveChat(ctx, &ChatRecord{ID: 3, Status: StatusReady, State: []byte("new"), Sent: logEntries(2, 1)}); err != nil {
		t.Fatal(err)
	}
	expectLog(t, loadOne(t, s), "new", 0, logEntries(2, 1))
	expectLog(t, loadOne(t, newTestFileStore(t, dir)), "new", 0, logEntries(2, 1))
}

// Saves of different chats at once, appends and compactions mixed, with
// restarts between rounds, hold what a MemStore given the same saves
// holds (run with -race).
func TestReviewConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	dir := storeDir(t)
	ms := NewMemStore()
	const chats, saves = 6, 60
	for round := range 2 {
		fs := newTestFileStore(t, dir)
		var wg sync.WaitGroup
		errs := make(chan error, chats)
		for id := 1; id <= chats; id++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range saves {
					idx := uint32(round*saves + i)
					rec := &ChatRecord{ID: id, Status: StatusReady, State: bytes.Repeat([]byte{byte(id), byte(i)}, 300+id*50),
						Sent: []SentPacket{{Index: idx, Wire: bytes.Repeat([]byte{byte(id), byte(idx)}, 20+i)}}, SentBase: idx / 2}
					for _, s := range []Store{fs, ms} {
						if err := s.SaveChat(ctx, rec); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	got, err := newTestFileStore(t, dir).LoadChats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ms.LoadChats(ctx)
	if len(got) != chats || len(want) != chats {
		t.Fatalf("%d chats, want %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(normalize(got[i]), normalize(want[i])) {
			t.Fatalf("chat %d: base %d, log %v; want base %d, log %v", got[i].ID, got[i].SentBase, indices(got[i].Sent), want[i].SentBase, indices(want[i].Sent))
		}
	}
}

// A directory with chat records of the earlier format and journals: both
// load, each save turns a record into a journal, and every file stays
// owner-only.
func TestReviewMixedLegacyAndJournals(t *testing.T) {
	ctx := context.Background()
	dir := storeDir(t)
	saveSteps(t, dir, 2) // chat 3: a journal
	legacy := `{"ID":7,"AccessHash":8,"PeerID":9,"Status":3,"State":"b2xk","Outbox":null,"Files":null}`
	if err := os.WriteFile(filepath.Join(dir, chatPrefix+"7"), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newTestFileStore(t, dir)
	recs, err := s.LoadChats(ctx)
	if err != nil || len(recs) != 2 || recs[0].ID != 3 || recs[1].ID != 7 || string(recs[1].State) != "old" {
		t.Fatalf("LoadChats: %d records, %v", len(recs), err)
	}
	for _, rec := range recs {
		rec.State, rec.Sent, rec.SentBase = []byte("saved-"+strconv.Itoa(rec.ID)), logEntries(3, 1, 2), 1
		if err := s.SaveChat(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	recs, err = newTestFileStore(t, dir).LoadChats(ctx)
	if err != nil || len(recs) != 2 {
		t.Fatalf("LoadChats: %d records, %v", len(recs), err)
	}
	for _, rec := range recs {
		expectLog(t, rec, "saved-"+strconv.Itoa(rec.ID), 1, logEntries(3, 1, 2))
		name := filepath.Join(dir, chatPrefix+strconv.Itoa(rec.ID))
		data, _ := os.ReadFile(name)
		fi, _ := os.Stat(name)
		if !strings.HasPrefix(string(data), journalMagic) || fi.Mode().Perm() != 0o600 {
			t.Fatalf("chat %d: %.20q, %v", rec.ID, data, fi.Mode().Perm())
		}
	}
}

// A frame of another chat's journal appended to one, or a whole journal
// (or a record of the earlier format) under another chat's name, is an
// error for loading and for saving: it must not pass for the chat the
// file names, nor make two records of one chat.
func TestReviewJournalForeignFrames(t *testing.T) {
	ctx := context.Background()
	dir := storeDir(t)
	saveSteps(t, dir, 3) // chat 3
	s := newTestFileStore(t, dir)
	for i := range uint32(2) {
		if err := s.SaveChat(ctx, &ChatRecord{ID: 8, Status: StatusReady, State: []byte("eight"), Sent: logEntries(8, i)}); err != nil {
			t.Fatal(err)
		}
	}
	three, _ := os.ReadFile(filepath.Join(dir, chatPrefix+"3"))
	eight, _ := os.ReadFile(filepath.Join(dir, chatPrefix+"8"))
	cases := map[string][]byte{
		"another chat's last frame appended": append(bytes.Clone(three), eight[sizesOf(t, eight)[0]:]...),
		"another chat's journal":             eight,
		"another chat's legacy record":       []byte(`{"ID":8,"Status":3,"State":"eA=="}`),
	}
	for name, data := range cases {
		writeJournal(t, dir, data)
		s := newTestFileStore(t, dir)
		if recs, err := s.LoadChats(ctx); err == nil {
			t.Errorf("%s: LoadChats: %d records, no error", name, len(recs))
		}
		if name == "another chat's legacy record" {
			continue // a save replaces it (as any record of the earlier format)
		}
		if err := s.SaveChat(ctx, &ChatRecord{ID: 3, Status: StatusReady, State: []byte("x")}); !errors.Is(err, errCorruptJournal) {
			t.Errorf("%s: save: %v", name, err)
		}
	}
}

// sizesOf returns the ends of the complete frames of a journal.
func sizesOf(t *testing.T, data []byte) []int {
	t.Helper()
	var ends []int
	for off := len(journalMagic); off < len(data); {
		body, ok := frameAt(data, off)
		if !ok {
			t.Fatalf("no frame at %d", off)
		}
		off += frameHeader + len(body)
		ends = append(ends, off)
	}
	return ends
}

// A chat discarded by the app from its OnEvent, on a message received
// (which the Options allow), must stay deleted: receive emits the events
// with the chat unlocked and then saves the chat, which discarded() has
// meanwhile deleted from the Store. Saving it brought the record back, in
// StatusDiscarded, which restoreChat refused at every start and no
// DeleteChat ever removed.
func TestReviewDiscardFromEventResurrectsRecordFake(t *testing.T) {
	s := newFakeServer()
	ctx := context.Background()
	store := NewMemStore()
	var b atomic.Pointer[fakeClient]
	onEvent := func(ctx context.Context, e Event) {
		bc := b.Load()
		bc.rec.OnEvent(ctx, e)
		if e.Kind == EventMessage && e.Message.Action == nil && e.Message.Text() == "bye" {
			if err := bc.m.Discard(ctx, e.Chat.ID(), false); err != nil {
				t.Errorf("Discard: %v", err)
			}
		}
	}
	a := startFake(t, s, 1, NewMemStore(), Options{})
	b.Store(startFake(t, s, 2, store, Options{OnEvent: onEvent}))
	ca, cb := openFake(t, a, b.Load())
	if _, err := ca.SendText(ctx, "bye"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "discarded", func() bool { return cb.Status() == StatusDiscarded })
	b.Load().stop() // any save in flight is done
	recs, err := store.LoadChats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		t.Errorf("chat %d still in the store after its discard, %v", r.ID, r.Status)
	}
}

// A hostile torn tail, a megabyte of frame headers each claiming half of
// what follows it, costs a bounded scan (not a checksum of half a megabyte
// per offset) and is an error.
func TestReviewJournalHostileTail(t *testing.T) {
	dir := storeDir(t)
	saveSteps(t, dir, 2)
	data, err := os.ReadFile(filepath.Join(dir, chatPrefix+"3"))
	if err != nil {
		t.Fatal(err)
	}
	start := len(data)
	data = append(data, make([]byte, 1<<20)...)
	for p := start; p+frameHeader <= len(data); p += 4 {
		binary.LittleEndian.PutUint32(data[p:], uint32(len(data)-p-frameHeader)/2)
	}
	if _, _, _, err := replayJournal(data); !errors.Is(err, errCorruptJournal) {
		t.Fatalf("hostile tail: %v", err)
	}
}
