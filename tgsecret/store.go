package tgsecret

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Store keeps what a Manager must not lose across a restart: every chat's
// record (the secret.Chat state, keys included, and the packets not yet
// accepted by the server), the account's update state with the qts up to
// which every encrypted message has been processed, and each raw incoming
// encrypted message from its arrival until it is processed.
//
// A chat's record has two parts. Its fields (State, a small core without
// the sent messages, Outbox and the rest) are replaced by each save. Its
// sent log (ChatRecord.Sent) is append-only: the wires of the messages
// sent and kept until the peer acknowledges them, for its Resend requests,
// which can be up to a thousand. A save passes in Sent only the entries
// new since the chat's previous save, which the Store appends to the log,
// and in SentBase the index below which the Store may forget entries; so a
// save costs the core and the new entries, not the whole log. LoadChats
// returns in Sent every kept entry from SentBase on, in index order. An
// entry passed again (a save retried after a failure) replaces the first.
//
// The Manager calls a Store from several goroutines at once; an
// implementation must be safe for concurrent use. Each call must be durable
// when it returns: the Manager acknowledges a message to the server only
// after the calls that made it safe have returned. A Store keeps no slice
// it is given (a ChatRecord's State, Outbox and Sent, a RawMessage's Data)
// after the call returns: the Manager reuses and clears them.
type Store interface {
	// LoadChats returns every chat saved and not deleted, each with its
	// sent log. A record it cannot read (corrupt) does not hide the
	// others: it returns those with a CorruptRecordError for each such
	// record (joined by errors.Join), and leaves that record as it is.
	LoadChats(ctx context.Context) ([]*ChatRecord, error)
	// SaveChat replaces the fields of chat c.ID's record, appends c.Sent
	// to its sent log and forgets the entries below c.SentBase.
	SaveChat(ctx context.Context, c *ChatRecord) error
	// DeleteChat removes the record (and its keys) of a chat.
	DeleteChat(ctx context.Context, id int) error

	// UpdateState returns the account's saved update state (found is false
	// before the first SetUpdateState).
	UpdateState(ctx context.Context) (s UpdateState, found bool, err error)
	// SetUpdateState saves it.
	SetUpdateState(ctx context.Context, s UpdateState) error

	// PutRaw saves one incoming encrypted message under m.ID.
	PutRaw(ctx context.Context, m RawMessage) error
	// DeleteRaw removes it once processed.
	DeleteRaw(ctx context.Context, id uint64) error
	// RawMessages returns the messages saved and not deleted, in ID order.
	RawMessages(ctx context.Context) ([]RawMessage, error)
}

// A CorruptRecordError is a chat record a Store could not read (see
// Store.LoadChats). The Manager logs it and starts with the account's other
// chats; the chat it held is unknown until the record is repaired, and the
// record stays where it is.
type CorruptRecordError struct {
	Name string // the record's name in the Store (FileStore: its file)
	Err  error
}

func (e *CorruptRecordError) Error() string {
	return "tgsecret: chat record " + e.Name + " unreadable: " + e.Err.Error()
}

func (e *CorruptRecordError) Unwrap() error { return e.Err }

// onlyCorruptRecords reports that err is made of CorruptRecordErrors alone.
func onlyCorruptRecords(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyCorruptRecords(e) {
				return false
			}
		}
		return true
	}
	_, ok := err.(*CorruptRecordError)
	return ok
}

// ProcessedSaver is a Store that can save a chat's record and delete the
// raw message whose processing made it in one write. The Manager uses it,
// when its Store has it, for the save that ends the processing of a
// message (instead of SaveChat, then DeleteRaw), which halves the writes
// of a received message after PutRaw. MemStore and FileStore have it.
type ProcessedSaver interface {
	// SaveProcessed saves chat c.ID's record as SaveChat and deletes raw
	// message rawID. The record must be durable when it returns, and never
	// the deletion without the record (a crash in between would lose the
	// message); the deletion itself may become durable later: a raw message
	// processed again after a restart is a duplicate the chat drops.
	SaveProcessed(ctx context.Context, c *ChatRecord, rawID uint64) error
}

// UpdateState is the account's common update state (as gotd/td's
// updates.State). Qts is the driver's own: every encrypted message up to
// it has been processed.
type UpdateState struct {
	Pts, Qts, Date, Seq int
}

// RawMessage is an incoming tg.EncryptedMessageClass as it arrived, TL
// encoded, until it is processed.
type RawMessage struct {
	ID   uint64 // the Manager's own sequence number
	Qts  int    // its qts when known (0 when it came through getDifference)
	Data []byte // TL of the tg.EncryptedMessageClass
}

// ChatStatus is where a chat is in its life.
type ChatStatus int

const (
	// StatusRequested: the peer asked for the chat; Accept or Decline it.
	StatusRequested ChatStatus = iota + 1
	// StatusWaiting: we asked; waiting for the peer to accept.
	StatusWaiting
	// StatusReady: the key is agreed; messages flow.
	StatusReady
	// StatusDiscarded: ended by either side (or declined, or aborted); its
	// keys are wiped.
	StatusDiscarded
)

func (s ChatStatus) String() string {
	switch s {
	case StatusRequested:
		return "requested"
	case StatusWaiting:
		return "waiting"
	case StatusReady:
		return "ready"
	case StatusDiscarded:
		return "discarded"
	}
	return fmt.Sprintf("ChatStatus(%d)", int(s))
}

// ChatRecord is what a Store keeps of one chat. It holds keys (State,
// Exchange, the file keys in Outbox's messages): store it as carefully as
// a key.
type ChatRecord struct {
	ID         int
	AccessHash int64
	PeerID     int64
	Originator bool
	Status     ChatStatus
	Date       int
	// G and P are the DH parameters the chat was made with (for re-keys).
	G int
	P []byte
	// GA is the peer's g_a of a chat in StatusRequested.
	GA []byte
	// Exchange is our secret.Exchange of a chat in StatusWaiting.
	Exchange []byte
	// State is the secret.Chat of a chat in StatusReady: its core
	// (secret.Chat.AppendCore), or, in records saved by earlier versions,
	// its whole state with the sent messages.
	State []byte
	// Outbox holds packets not yet accepted by the server, in order.
	Outbox []Packet
	// Files are encrypted files that arrived with a message still queued
	// behind a gap, by key fingerprint.
	Files []FileRef
	// Sent is the chat's sent log (see Store): on a save the entries new
	// since the previous one, from LoadChats every entry kept, in index
	// order.
	Sent []SentPacket `json:",omitempty"`
	// SentBase is the index of the oldest sent message the chat keeps: the
	// Store may forget the entries below it.
	SentBase uint32 `json:",omitempty"`
}

// SentPacket is one entry of a chat's sent log: the wire of the chat's
// sent message Index (secret.Chat.SentWire), kept for the peer's Resend.
type SentPacket struct {
	Index uint32
	Wire  []byte
}

// Packet is one outgoing encrypted packet.
type Packet struct {
	RandomID int64
	Wire     []byte
	Service  bool     // messages.sendEncryptedService
	File     *FileRef `json:",omitempty"` // messages.sendEncryptedFile with an uploaded file
}

// FileRef is an encrypted file on the server (incoming: ID and AccessHash)
// or uploaded by us and not yet sent (outgoing: ID, Parts, Big).
type FileRef struct {
	ID          int64
	AccessHash  int64 `json:",omitempty"`
	Size        int64
	DCID        int   `json:",omitempty"`
	Fingerprint int32 // kdf.FileFingerprint of the file's key and iv
	Parts       int   `json:",omitempty"`
	Big         bool  `json:",omitempty"`
}

func cloneRecord(c *ChatRecord) *ChatRecord {
	n := *c
	n.P = slices.Clone(c.P)
	n.GA = slices.Clone(c.GA)
	n.Exchange = slices.Clone(c.Exchange)
	n.State = slices.Clone(c.State)
	n.Outbox = slices.Clone(c.Outbox)
	n.Files = slices.Clone(c.Files)
	n.Sent = mergeLog(nil, c.Sent, 0)
	return &n
}

// mergeLog adds copies of the entries of a save to a sent log in index
// order and drops those below base. An entry already there is replaced (a
// retried save).
func mergeLog(log, add []SentPacket, base uint32) []SentPacket {
	return mergeLogSpare(log, add, base, nil)
}

// mergeLogSpare is mergeLog making its copies in the buffers of spare, and
// giving it those of the entries it drops (spare may be nil).
func mergeLogSpare(log, add []SentPacket, base uint32, spare *spareBufs) []SentPacket {
	for _, p := range add {
		if p.Index < base {
			continue
		}
		p.Wire = spare.clone(p.Wire) // a Store keeps no slice it is given
		if n := len(log); n == 0 || log[n-1].Index < p.Index {
			log = append(log, p) // the usual case
			continue
		}
		i, found := slices.BinarySearchFunc(log, p.Index, func(e SentPacket, idx uint32) int { return cmp.Compare(e.Index, idx) })
		if found {
			spare.keep(log[i].Wire)
			log[i] = p
		} else {
			log = slices.Insert(log, i, p)
		}
	}
	i := 0
	for i < len(log) && log[i].Index < base {
		spare.keep(log[i].Wire)
		i++
	}
	if i == 0 {
		return log
	}
	n := copy(log, log[i:])
	clear(log[n:])
	return log[:n]
}

// spareBufs keeps byte buffers a MemStore no longer needs (the wires of
// dropped sent log entries, the data of deleted raw messages: encrypted,
// without keys) for its next copies, so that a store in its steady state
// copies without allocating.
type spareBufs [][]byte

// maxSpare bounds the buffers a spareBufs keeps.
const maxSpare = 256

// clone returns a copy of b, in a kept buffer big enough for it if there
// is one (wires vary in size with their random padding).
func (s *spareBufs) clone(b []byte) []byte {
	if s == nil || b == nil {
		return slices.Clone(b)
	}
	for i := len(*s) - 1; i >= 0; i-- {
		if buf := (*s)[i]; cap(buf) >= len(b) {
			n := len(*s) - 1
			(*s)[i], (*s)[n] = (*s)[n], nil
			*s = (*s)[:n]
			return append(buf, b...)
		}
	}
	return slices.Clone(b)
}

// keep adds b to the buffers kept (none beyond maxSpare).
func (s *spareBufs) keep(b []byte) {
	if s != nil && cap(b) > 0 && len(*s) < maxSpare {
		*s = append(*s, b[:0])
	}
}

// MemStore is a Store in memory: for tests, and for apps that keep no
// secret chat across a restart. The zero value is not usable; use
// NewMemStore.
type MemStore struct {
	mu      sync.Mutex
	chats   map[int]*ChatRecord // with the sent log in Sent
	state   *UpdateState
	raw     map[uint64]RawMessage
	writes  int
	written int
	// Buffers for the next copies: sent log wires, raw message data.
	spareSent, spareRaw spareBufs
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{chats: map[int]*ChatRecord{}, raw: map[uint64]RawMessage{}}
}

// Writes counts the calls that changed the store, for tests and benchmarks.
func (s *MemStore) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// WrittenBytes counts the bytes of the byte slices the calls that changed
// the store copied into it (chat states, keys and DH parameters, packets,
// sent log entries, raw messages), for tests and benchmarks: what a
// durable store would have to write, framing aside.
func (s *MemStore) WrittenBytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// recordBytes is what WrittenBytes counts for saving c.
func recordBytes(c *ChatRecord) int {
	n := len(c.P) + len(c.GA) + len(c.Exchange) + len(c.State)
	for _, p := range c.Outbox {
		n += len(p.Wire)
	}
	for _, p := range c.Sent {
		n += len(p.Wire)
	}
	return n
}

func (s *MemStore) LoadChats(context.Context) ([]*ChatRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*ChatRecord, 0, len(s.chats))
	for _, c := range s.chats {
		out = append(out, cloneRecord(c))
	}
	slices.SortFunc(out, func(a, b *ChatRecord) int { return a.ID - b.ID })
	return out, nil
}

func (s *MemStore) SaveChat(_ context.Context, c *ChatRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saveLocked(c)
	return nil
}

// saveLocked copies c into the store, into the buffers of the record it
// replaces (they are the store's own: LoadChats returns copies).
func (s *MemStore) saveLocked(c *ChatRecord) {
	s.writes++
	s.written += recordBytes(c)
	old := s.chats[c.ID]
	if old == nil {
		fields := *c
		fields.Sent = nil
		old = cloneRecord(&fields)
		old.Sent = mergeLogSpare(nil, c.Sent, c.SentBase, &s.spareSent)
		s.chats[c.ID] = old
		return
	}
	prev := *old
	*old = *c
	old.Sent = mergeLogSpare(prev.Sent, c.Sent, c.SentBase, &s.spareSent)
	old.P = reuse(prev.P, c.P)
	old.GA = reuse(prev.GA, c.GA)
	old.Exchange = reuse(prev.Exchange, c.Exchange)
	old.State = reuse(prev.State, c.State)
	old.Files = slices.Clone(c.Files)
	old.Outbox = append(prev.Outbox[:0], c.Outbox...)
	if n := len(prev.Outbox); n > len(c.Outbox) {
		clear(prev.Outbox[len(c.Outbox):n])
	}
}

// reuse returns a copy of src in old's buffer when it fits (wiping what is
// left of old: it may hold keys), else a new one.
func reuse(old, src []byte) []byte {
	if src == nil {
		clear(old)
		return nil
	}
	if cap(old) < len(src) {
		clear(old)
		return slices.Clone(src)
	}
	n := copy(old[:len(src)], src)
	if len(old) > n {
		clear(old[n:])
	}
	return old[:n]
}

// SaveProcessed saves c and deletes raw message rawID as one write.
func (s *MemStore) SaveProcessed(_ context.Context, c *ChatRecord, rawID uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saveLocked(c)
	s.deleteRawLocked(rawID)
	return nil
}

// deleteRawLocked deletes raw message id, keeping its buffer.
func (s *MemStore) deleteRawLocked(id uint64) {
	if m, ok := s.raw[id]; ok {
		s.spareRaw.keep(m.Data)
		delete(s.raw, id)
	}
}

func (s *MemStore) DeleteChat(_ context.Context, id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[id]; c != nil {
		clear(c.State)
		clear(c.Exchange)
	}
	delete(s.chats, id)
	s.writes++
	return nil
}

func (s *MemStore) UpdateState(context.Context) (UpdateState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return UpdateState{}, false, nil
	}
	return *s.state, true, nil
}

func (s *MemStore) SetUpdateState(_ context.Context, st UpdateState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = &st
	s.writes++
	return nil
}

func (s *MemStore) PutRaw(_ context.Context, m RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.raw[m.ID]; ok {
		s.spareRaw.keep(old.Data)
	}
	m.Data = s.spareRaw.clone(m.Data)
	s.raw[m.ID] = m
	s.writes++
	s.written += len(m.Data)
	return nil
}

func (s *MemStore) DeleteRaw(_ context.Context, id uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteRawLocked(id)
	s.writes++
	return nil
}

func (s *MemStore) RawMessages(context.Context) ([]RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RawMessage, 0, len(s.raw))
	for _, m := range s.raw {
		m.Data = slices.Clone(m.Data)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b RawMessage) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out, nil
}

// FileStore is a Store in a directory: one file per chat, one per raw
// message, one for the update state. A chat's file is a journal: each save
// appends a checksummed frame with the record's fields and the new entries
// of its sent log, synced once, so a save writes the new data, not the
// whole log; a torn last frame left by a crash is ignored, and a journal
// grown to several times its content is compacted. Every other write, and
// a compaction, goes to a temporary file that is synced and renamed over
// the old one, so a crash leaves either the old or the new content (and a
// temporary file, which the next NewFileStore on the directory wipes). Chat
// records in the format of earlier versions (one JSON record) load, and
// become journals at their next save. The directory is created 0700 and
// every file 0600: they hold keys. A FileStore keeps in memory the sent
// log of each chat it has saved (encrypted messages, no key), for
// compactions.
type FileStore struct {
	dir string
	// NoSync skips fsync (tests on a throwaway directory); renames stay
	// atomic and appends in order.
	NoSync bool

	mu       sync.Mutex
	journals map[int]*journal
}

// NewFileStore opens (creating if needed) a FileStore in dir, wiping the
// temporary files a crash left there. A directory that others can read or
// write is refused: it would hold keys. One FileStore at a time may use a
// directory.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("tgsecret: store directory %s is accessible to others (%v)", dir, fi.Mode().Perm())
	}
	s := &FileStore{dir: dir}
	// Temporary files left by a crash (a write not renamed yet, a chat
	// being deleted) may hold keys.
	tmps, err := s.list(tmpPrefix)
	if err != nil {
		return nil, err
	}
	for _, n := range tmps {
		if err := s.wipe(n); err != nil {
			return nil, err
		}
	}
	return s, nil
}

const (
	chatPrefix = "chat-"
	rawPrefix  = "raw-"
	stateFile  = "state"
	tmpPrefix  = ".tmp-"
)

func (s *FileStore) write(name string, data []byte) error {
	f, err := os.CreateTemp(s.dir, tmpPrefix+name+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := s.syncClose(f); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		return err
	}
	ok = true
	return s.syncDir()
}

// syncClose syncs (unless NoSync) and closes f.
func (s *FileStore) syncClose(f *os.File) error {
	if !s.NoSync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func (s *FileStore) syncDir() error {
	if s.NoSync {
		return nil
	}
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *FileStore) remove(name string) error {
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return s.syncDir()
}

// list returns the names in the directory with prefix, temporary files left
// by a crash excluded.
func (s *FileStore) list(prefix string) ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func (s *FileStore) LoadChats(context.Context) ([]*ChatRecord, error) {
	names, err := s.list(chatPrefix)
	if err != nil {
		return nil, err
	}
	var (
		out     []*ChatRecord
		corrupt []error
	)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(s.dir, n))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, err
		}
		c, err := decodeChatFile(data)
		clear(data)
		if err == nil && c != nil {
			if err = checkChatName(n, c); err != nil {
				wipeRecord(c)
			}
		}
		if err != nil {
			corrupt = append(corrupt, &CorruptRecordError{Name: n, Err: err})
			continue
		}
		if c != nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *ChatRecord) int { return a.ID - b.ID })
	return out, errors.Join(corrupt...)
}

// decodeChatFile returns the record in a chat's file: a journal, or one
// JSON record (the earlier format). It is nil for a journal whose first
// save was torn.
func decodeChatFile(data []byte) (*ChatRecord, error) {
	if !strings.HasPrefix(string(data), journalMagic) {
		c := new(ChatRecord)
		if err := json.Unmarshal(data, c); err != nil {
			return nil, err
		}
		return c, nil
	}
	c, _, _, err := replayJournal(data)
	return c, err
}

// SaveChat appends a frame to the chat's journal, with one sync; the first
// save, and one that would grow the journal past its bound, compacts it.
func (s *FileStore) SaveChat(_ context.Context, c *ChatRecord) error {
	name := chatPrefix + strconv.Itoa(c.ID)
	j := s.journal(c.ID)
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.ready {
		if err := s.readJournal(j, name); err != nil {
			return err
		}
	}
	frame, err := appendFrame(nil, c)
	defer clear(frame)
	if err != nil {
		return err
	}
	if !j.exists || j.legacy || j.size+int64(len(frame)) > journalGrowth*j.live()+journalSlack {
		return s.compact(j, name, c)
	}
	// After a failure the frame may or may not be there, torn or whole:
	// the file is read again before the next save.
	j.ready = false
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(frame, j.size); err != nil {
		f.Close()
		return err
	}
	if err := s.syncClose(f); err != nil {
		return err
	}
	j.size += int64(len(frame))
	j.fields = frameFields(len(frame), c.Sent)
	j.kept = mergeLog(j.kept, c.Sent, c.SentBase)
	j.ready = true
	return nil
}

// compact rewrites chat c.ID's journal as one frame: c with the whole sent
// log.
func (s *FileStore) compact(j *journal, name string, c *ChatRecord) error {
	j.ready = false // until written: j.kept changes below
	whole := *c
	whole.Sent = mergeLog(j.kept, c.Sent, c.SentBase)
	data, err := appendFrame([]byte(journalMagic), &whole)
	defer clear(data)
	if err != nil {
		return err
	}
	if err := s.write(name, data); err != nil {
		return err
	}
	j.exists, j.legacy, j.size = true, false, int64(len(data))
	j.fields = frameFields(len(data)-len(journalMagic), whole.Sent)
	j.kept, j.ready = whole.Sent, true
	return nil
}

// SaveProcessed writes c's record (synced, renamed, the directory synced)
// and then unlinks the raw message without another directory sync: the
// next write's sync makes the deletion durable, and until then a crash
// leaves a raw message the chat drops as a duplicate.
func (s *FileStore) SaveProcessed(ctx context.Context, c *ChatRecord, rawID uint64) error {
	if err := s.SaveChat(ctx, c); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(s.dir, rawName(rawID)))
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	return err
}

// DeleteChat renames the record to a temporary name, then overwrites it
// with zeros before removing it, so the keys do not linger in the file's
// old blocks on simple file systems. A crash midway leaves a temporary
// file (which LoadChats skips and NewFileStore removes), never a chat file
// half overwritten.
func (s *FileStore) DeleteChat(_ context.Context, id int) error {
	j := s.journal(id)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.reset()
	j.kept = nil // the sent log of a chat that is gone
	name := chatPrefix + strconv.Itoa(id)
	tmp := tmpPrefix + "deleted-" + name
	err := os.Rename(filepath.Join(s.dir, name), filepath.Join(s.dir, tmp))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = s.syncDir()
	}
	if err != nil {
		return err
	}
	return s.wipe(tmp)
}

// wipe overwrites file name with zeros and removes it.
func (s *FileStore) wipe(name string) error {
	path := filepath.Join(s.dir, name)
	if fi, err := os.Stat(path); err == nil {
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Write(make([]byte, fi.Size()))
			f.Sync()
			f.Close()
		}
	}
	return s.remove(name)
}

func (s *FileStore) UpdateState(context.Context) (UpdateState, bool, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return UpdateState{}, false, nil
	}
	if err != nil {
		return UpdateState{}, false, err
	}
	var st UpdateState
	if err := json.Unmarshal(data, &st); err != nil {
		return UpdateState{}, false, fmt.Errorf("tgsecret: update state: %w", err)
	}
	return st, true, nil
}

func (s *FileStore) SetUpdateState(_ context.Context, st UpdateState) error {
	data, _ := json.Marshal(st)
	return s.write(stateFile, data)
}

func (s *FileStore) PutRaw(_ context.Context, m RawMessage) error {
	data, _ := json.Marshal(m)
	return s.write(rawName(m.ID), data)
}

func rawName(id uint64) string { return fmt.Sprintf("%s%020d", rawPrefix, id) }

func (s *FileStore) DeleteRaw(_ context.Context, id uint64) error {
	return s.remove(rawName(id))
}

func (s *FileStore) RawMessages(context.Context) ([]RawMessage, error) {
	names, err := s.list(rawPrefix)
	if err != nil {
		return nil, err
	}
	slices.Sort(names) // zero-padded IDs sort in order
	var out []RawMessage
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(s.dir, n))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, err
		}
		var m RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("tgsecret: raw message %s: %w", n, err)
		}
		out = append(out, m)
	}
	return out, nil
}
