package tgsecret

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// logWire is the wire of sent log entry i in version v of a test.
func logWire(i uint32, v byte) []byte { return bytes.Repeat([]byte{byte(i), byte(i >> 8), v}, 20) }

// logEntries returns entries idx, version v.
func logEntries(v byte, idx ...uint32) []SentPacket {
	var out []SentPacket
	for _, i := range idx {
		out = append(out, SentPacket{Index: i, Wire: logWire(i, v)})
	}
	return out
}

// loadOne returns the only chat of s.
func loadOne(t *testing.T, s Store) *ChatRecord {
	t.Helper()
	recs, err := s.LoadChats(context.Background())
	if err != nil || len(recs) != 1 {
		t.Fatalf("LoadChats: %d records, %v", len(recs), err)
	}
	return recs[0]
}

// expectLog checks a loaded record's core state and sent log.
func expectLog(t *testing.T, rec *ChatRecord, state string, base uint32, want []SentPacket) {
	t.Helper()
	if string(rec.State) != state || rec.SentBase != base {
		t.Fatalf("state %q, base %d; want %q, %d", rec.State, rec.SentBase, state, base)
	}
	if len(rec.Sent) != len(want) || (len(want) > 0 && !reflect.DeepEqual(rec.Sent, want)) {
		t.Fatalf("sent log %v, want %v", indices(rec.Sent), indices(want))
	}
}

func indices(log []SentPacket) []uint32 {
	var out []uint32
	for _, p := range log {
		out = append(out, p.Index)
	}
	return out
}

// testSentLog checks the sent log semantics of the Store contract: saves
// append their entries, entries below SentBase go, a retried entry
// replaces the first, entries come back in index order.
func testSentLog(t *testing.T, s Store) {
	ctx := context.Background()
	save := func(rec *ChatRecord) {
		t.Helper()
		if err := s.SaveChat(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	rec := &ChatRecord{ID: 5, Status: StatusReady, State: []byte("core 1"), Sent: logEntries(0, 0, 1, 2)}
	save(rec)
	rec.Sent[1].Wire[0] ^= 0xff // the store keeps its own copy
	expectLog(t, loadOne(t, s), "core 1", 0, logEntries(0, 0, 1, 2))

	// 2 again (a retried save) with other content, 3 and 4 new, 0 forgotten.
	save(&ChatRecord{ID: 5, Status: StatusReady, State: []byte("core 2"), SentBase: 1,
		Sent: append(logEntries(1, 2), logEntries(0, 3, 4)...)})
	want := append(logEntries(0, 1), logEntries(1, 2)...)
	want = append(want, logEntries(0, 3, 4)...)
	expectLog(t, loadOne(t, s), "core 2", 1, want)

	// Out of order, and an entry below the base, which is not kept.
	save(&ChatRecord{ID: 5, Status: StatusReady, State: []byte("core 3"), SentBase: 3, Sent: logEntries(0, 6, 2, 5)})
	got := loadOne(t, s)
	expectLog(t, got, "core 3", 3, logEntries(0, 3, 4, 5, 6))
	got.Sent[0].Wire[0] ^= 0xff // LoadChats returns copies
	expectLog(t, loadOne(t, s), "core 3", 3, logEntries(0, 3, 4, 5, 6))

	// Everything acknowledged, then one more through SaveProcessed.
	save(&ChatRecord{ID: 5, Status: StatusReady, State: []byte("core 4"), SentBase: 7})
	expectLog(t, loadOne(t, s), "core 4", 7, nil)
	if err := s.(ProcessedSaver).SaveProcessed(ctx, &ChatRecord{ID: 5, Status: StatusReady, State: []byte("core 5"),
		SentBase: 7, Sent: logEntries(0, 7)}, 99); err != nil {
		t.Fatal(err)
	}
	expectLog(t, loadOne(t, s), "core 5", 7, logEntries(0, 7))

	// A deleted chat's log goes with it.
	if err := s.DeleteChat(ctx, 5); err != nil {
		t.Fatal(err)
	}
	save(&ChatRecord{ID: 5, Status: StatusReady, State: []byte("new"), SentBase: 0, Sent: logEntries(2, 1)})
	expectLog(t, loadOne(t, s), "new", 0, logEntries(2, 1))
}

func TestMemStoreSentLog(t *testing.T) {
	s := NewMemStore()
	testSentLog(t, s)
	// WrittenBytes counts what each save copied: the state and the new
	// entries, not the log.
	w0 := s.WrittenBytes()
	rec := &ChatRecord{ID: 5, Status: StatusReady, State: []byte("core"), SentBase: 1, Sent: logEntries(0, 2)}
	if err := s.SaveChat(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if got, want := s.WrittenBytes()-w0, len("core")+len(logWire(2, 0)); got != want {
		t.Fatalf("WrittenBytes grew by %d, want %d", got, want)
	}
}

// storeDir is a directory for a FileStore (t.TempDir is not owner-only).
func storeDir(t *testing.T) string { return filepath.Join(t.TempDir(), "store") }

func newTestFileStore(t *testing.T, dir string) *FileStore {
	t.Helper()
	s, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.NoSync = true
	return s
}

func TestFileStoreSentLog(t *testing.T) {
	testSentLog(t, newTestFileStore(t, storeDir(t)))
}

// A journal written by many saves, by several FileStores one after the
// other on the directory (a restart), holds what a MemStore given the same
// saves holds; compaction keeps its size within its bound and its files
// owner-only.
func TestFileStoreJournalCompaction(t *testing.T) {
	ctx := context.Background()
	dir := storeDir(t)
	fs, ms := newTestFileStore(t, dir), NewMemStore()
	name := filepath.Join(dir, chatPrefix+"9")
	rng := rand.New(rand.NewPCG(3, 4))
	var base, end uint32
	compactions := 0
	prev := int64(0)
	for step := range 400 {
		rec := &ChatRecord{ID: 9, Status: StatusReady, PeerID: int64(step), State: bytes.Repeat([]byte{byte(step)}, 900+rng.IntN(400)),
			Outbox: []Packet{{RandomID: int64(step), Wire: []byte("packet")}}}
		for range rng.IntN(3) {
			rec.Sent = append(rec.Sent, SentPacket{Index: end, Wire: bytes.Repeat([]byte{byte(end)}, 40+rng.IntN(200))})
			end++
		}
		if rng.IntN(10) == 0 {
			base += uint32(rng.IntN(int(end-base) + 1)) // the peer acknowledges
		}
		rec.SentBase = base
		for _, s := range []Store{fs, ms} {
			if err := s.SaveChat(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
		if step%97 == 0 {
			fs = newTestFileStore(t, dir) // a restart: the journal is read again
		}
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() < prev {
			compactions++
		}
		prev = fi.Size()
		got, want := loadOne(t, fs), loadOne(t, ms)
		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Fatalf("step %d: journal holds peer %d, base %d, log %v; want peer %d, base %d, log %v",
				step, got.PeerID, got.SentBase, indices(got.Sent), want.PeerID, want.SentBase, indices(want.Sent))
		}
		live, _ := json.Marshal(want)
		if limit := int64(journalGrowth*(len(journalMagic)+frameHeader+len(live)) + journalSlack + 2*len(live)); fi.Size() > limit {
			t.Fatalf("step %d: journal of %d bytes, live content %d", step, fi.Size(), len(live))
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("journal is %v", fi.Mode().Perm())
		}
	}
	if compactions < 2 {
		t.Fatalf("%d compactions in 400 saves", compactions)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("%d files left in the store", len(ents))
	}
}

// normalize makes the empty slices of a record nil (JSON and MemStore do
// not agree on them).
func normalize(c *ChatRecord) *ChatRecord {
	n := *c
	if len(n.P) == 0 {
		n.P = nil
	}
	if len(n.GA) == 0 {
		n.GA = nil
	}
	if len(n.Exchange) == 0 {
		n.Exchange = nil
	}
	if len(n.Outbox) == 0 {
		n.Outbox = nil
	}
	if len(n.Files) == 0 {
		n.Files = nil
	}
	if len(n.Sent) == 0 {
		n.Sent = nil
	}
	return &n
}

// saveSteps saves records state-1..state-n with one new entry each into a
// fresh FileStore on dir and returns the journal's size after each save.
func saveSteps(t *testing.T, dir string, n int) []int64 {
	t.Helper()
	s := newTestFileStore(t, dir)
	var sizes []int64
	for i := range n {
		rec := &ChatRecord{ID: 3, Status: StatusReady, State: []byte("state-" + strconv.Itoa(i+1)), Sent: logEntries(0, uint32(i))}
		if err := s.SaveChat(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, chatPrefix+"3"))
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fi.Size())
	}
	return sizes
}

// A crash in the middle of an append leaves a torn last frame: short, or
// extended with zeros, or failing its checksum. It is ignored, and the next
// save (after a restart) cuts it off.
func TestFileStoreTornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		tear func(data []byte, last int64) []byte
	}{
		{"short body", func(d []byte, _ int64) []byte { return d[:len(d)-5] }},
		{"short header", func(d []byte, last int64) []byte { return d[:last+3] }},
		{"zeros", func(d []byte, last int64) []byte { return append(d[:last], make([]byte, 300)...) }},
		{"bad checksum", func(d []byte, _ int64) []byte { d[len(d)-2] ^= 1; return d }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := storeDir(t)
			sizes := saveSteps(t, dir, 3)
			name := filepath.Join(dir, chatPrefix+"3")
			data, _ := os.ReadFile(name)
			if err := os.WriteFile(name, tc.tear(data, sizes[1]), 0o600); err != nil {
				t.Fatal(err)
			}
			s := newTestFileStore(t, dir)
			expectLog(t, loadOne(t, s), "state-2", 0, logEntries(0, 0, 1))
			// A frame shorter than the torn one: no torn byte may be left after it.
			rec := &ChatRecord{ID: 3, Status: StatusReady, State: []byte("state-4")}
			if err := s.SaveChat(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			expectLog(t, loadOne(t, newTestFileStore(t, dir)), "state-4", 0, logEntries(0, 0, 1))
			data, _ = os.ReadFile(name)
			if _, end, _, err := replayJournal(data); err != nil || end != len(data) {
				t.Fatalf("%d bytes after the last frame (%v)", len(data)-end, err)
			}
		})
	}
	// A journal whose first save was torn holds no chat.
	dir := storeDir(t)
	saveSteps(t, dir, 1)
	name := filepath.Join(dir, chatPrefix+"3")
	data, _ := os.ReadFile(name)
	if err := os.WriteFile(name, data[:len(data)-1], 0o600); err != nil {
		t.Fatal(err)
	}
	if recs, err := newTestFileStore(t, dir).LoadChats(context.Background()); err != nil || len(recs) != 0 {
		t.Fatalf("torn first save: %d records, %v", len(recs), err)
	}
}

// A frame that fails its checksum, or says it is empty, with more of the
// journal after it is corruption: an error, for loading and for saving.
func TestFileStoreCorruptFrame(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(data []byte, first int64)
	}{
		{"checksum", func(d []byte, first int64) { d[first-3] ^= 1 }},
		{"empty", func(d []byte, _ int64) { clear(d[len(journalMagic) : len(journalMagic)+4]) }},
		{"bad JSON", func(d []byte, first int64) {
			body := d[len(journalMagic)+frameHeader : first]
			body[0] = '['
			binaryPutCRC(d[len(journalMagic)+4:], body)
		}},
		{"magic", func(d []byte, _ int64) { d[0] = 'T' }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := storeDir(t)
			sizes := saveSteps(t, dir, 3)
			name := filepath.Join(dir, chatPrefix+"3")
			data, _ := os.ReadFile(name)
			tc.corrupt(data, sizes[0])
			if err := os.WriteFile(name, data, 0o600); err != nil {
				t.Fatal(err)
			}
			s := newTestFileStore(t, dir)
			if _, err := s.LoadChats(context.Background()); err == nil {
				t.Fatal("corrupt journal loaded")
			} else if tc.name != "magic" && !errors.Is(err, errCorruptJournal) {
				t.Fatalf("error %v", err)
			}
			if tc.name == "magic" {
				return // read as a record of the earlier format: it is not JSON either
			}
			err := s.SaveChat(context.Background(), &ChatRecord{ID: 3, Status: StatusReady, State: []byte("x")})
			if !errors.Is(err, errCorruptJournal) {
				t.Fatalf("save onto a corrupt journal: %v", err)
			}
		})
	}
}

// binaryPutCRC writes body's checksum into a frame header's crc field.
func binaryPutCRC(dst, body []byte) {
	binary.LittleEndian.PutUint32(dst, crc32.Checksum(body, castagnoli))
}

// A chat record saved by the earlier FileStore (one JSON record, the whole
// state in it) loads, and its next save turns the file into a journal.
func TestFileStoreLegacyRecord(t *testing.T) {
	dir := storeDir(t)
	name := filepath.Join(dir, chatPrefix+"7")
	// As the earlier version wrote it (json.Marshal of its ChatRecord).
	old := `{"ID":7,"AccessHash":8,"PeerID":9,"Originator":true,"Status":3,"Date":10,"G":3,"P":"AQI=","GA":null,` +
		`"Exchange":null,"State":"d2hvbGUgc3RhdGU=","Outbox":[{"RandomID":1,"Wire":"dw==","Service":false}],"Files":null}`
	s := newTestFileStore(t, dir)
	if err := os.WriteFile(name, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	got := loadOne(t, s)
	want := &ChatRecord{ID: 7, AccessHash: 8, PeerID: 9, Originator: true, Status: StatusReady, Date: 10, G: 3, P: []byte{1, 2},
		State: []byte("whole state"), Outbox: []Packet{{RandomID: 1, Wire: []byte("w")}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("legacy record\n%+v\nwant\n%+v", got, want)
	}
	got.State, got.Sent, got.SentBase = []byte("core"), logEntries(0, 4, 5), 4
	if err := s.SaveChat(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(name)
	if !bytes.HasPrefix(data, []byte(journalMagic)) {
		t.Fatalf("not a journal after a save: %.40q", data)
	}
	rec := loadOne(t, newTestFileStore(t, dir))
	expectLog(t, rec, "core", 4, logEntries(0, 4, 5))
	if rec.PeerID != 9 || len(rec.Outbox) != 1 {
		t.Fatalf("fields lost: %+v", rec)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal is %v", fi.Mode().Perm())
	}
}

// wchar is the bytes this process has passed to write calls so far
// (/proc/self/io), -1 where unknown.
func wchar() int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// BenchmarkFileStoreSave measures a save of a chat with a silent peer
// (kept sent messages, one more per save): a 1.3 KB core and one 150-byte
// message, the oldest beyond kept forgotten. NoSync: the sync is one per
// save whatever the size. wbytes/op is what the process wrote, compactions
// included.
func BenchmarkFileStoreSave(b *testing.B) {
	for _, kept := range []uint32{10, 1000} {
		b.Run(fmt.Sprintf("kept=%d", kept), func(b *testing.B) {
			s, err := NewFileStore(filepath.Join(b.TempDir(), "store"))
			if err != nil {
				b.Fatal(err)
			}
			s.NoSync = true
			ctx := context.Background()
			rec := &ChatRecord{ID: 1, Status: StatusReady, State: make([]byte, 1300), Outbox: []Packet{{Wire: make([]byte, 150)}}}
			wire := make([]byte, 150)
			var end uint32
			save := func() {
				rec.Sent = []SentPacket{{Index: end, Wire: wire}}
				end++
				rec.SentBase = max(end, kept) - kept
				if err := s.SaveChat(ctx, rec); err != nil {
					b.Fatal(err)
				}
			}
			for end < kept {
				save()
			}
			w0 := wchar()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				save()
			}
			b.StopTimer()
			if w0 >= 0 {
				b.ReportMetric(float64(wchar()-w0)/float64(b.N), "wbytes/op")
			}
		})
	}
}
