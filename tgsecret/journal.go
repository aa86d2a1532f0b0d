package tgsecret

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// A FileStore keeps each chat's record in a journal: a file of frames, one
// per save, appended with a single fsync. A frame is
//
//	length  uint32, little-endian: of the body
//	crc     uint32, little-endian: CRC-32C of the body
//	body    the saved ChatRecord, JSON, Sent holding the save's new entries
//
// after the file's magic. Replaying the frames in order gives the record:
// the last frame's fields, and the sent log of every frame's entries from
// the last SentBase on. A crash during an append leaves a torn last frame
// (short, or failing its checksum, or zeros where the file system had not
// written the data yet), which replay ignores and the next save cuts off;
// a frame failing its checksum with complete frames after it is corruption,
// an error. When the journal outgrows its live content (journalSlack) it is
// compacted: rewritten as one frame holding the whole record, to a
// temporary file that is synced and renamed over it.
const journalMagic = "tgsecret journal 1\n"

// frameHeader is the size of a frame's length and checksum.
const frameHeader = 8

// journalSlack bounds a journal: a save that would make it larger than
// journalGrowth times its live content plus journalSlack compacts it.
const (
	journalGrowth = 4
	journalSlack  = 64 << 10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// journal is what a FileStore knows of one chat's journal between saves,
// to append without reading it, and compact it without reading it either.
type journal struct {
	mu     sync.Mutex
	ready  bool  // the fields below are known (the file was read)
	exists bool  // the file is there (else the next save creates it)
	legacy bool  // it holds a record in the earlier format (one JSON record)
	size   int64 // the end of its last complete frame
	fields int   // the size of its last frame without the sent entries
	// kept is the sent log (copies: the wires are encrypted, keys stay in
	// the file only).
	kept []SentPacket
}

// reset forgets what j knew of its file.
func (j *journal) reset() {
	clear(j.kept)
	j.ready, j.exists, j.legacy, j.size, j.fields, j.kept = false, false, false, 0, 0, j.kept[:0]
}

// frameEntrySize estimates the bytes p takes in a frame's JSON.
func frameEntrySize(p SentPacket) int {
	return base64.StdEncoding.EncodedLen(len(p.Wire)) + len(`{"Index":4294967295,"Wire":""},`)
}

// live estimates the size of the journal once compacted: what a bound on
// its growth compares with.
func (j *journal) live() int64 {
	n := int64(len(journalMagic) + frameHeader + j.fields)
	for _, p := range j.kept {
		n += int64(frameEntrySize(p))
	}
	return n
}

// frameFields is the size of a frame of n bytes without its sent entries.
func frameFields(n int, sent []SentPacket) int {
	n -= frameHeader
	for _, p := range sent {
		n -= frameEntrySize(p)
	}
	return n
}

// appendFrame appends rec as a frame to dst.
func appendFrame(dst []byte, rec *ChatRecord) ([]byte, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return dst, err
	}
	defer clear(body) // it holds keys
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(body)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(body, castagnoli))
	return append(dst, body...), nil
}

// errCorruptJournal reports a journal frame that fails its checksum or
// does not decode, with complete frames after it.
var errCorruptJournal = errors.New("tgsecret: corrupt chat journal")

// replayJournal returns the record a journal holds (nil when not even its
// first frame is complete), the end of its last complete frame, and the
// size of that frame without its sent entries.
func replayJournal(data []byte) (rec *ChatRecord, end, fields int, err error) {
	if !bytes.HasPrefix(data, []byte(journalMagic)) {
		return nil, 0, 0, fmt.Errorf("%w: no journal magic", errCorruptJournal)
	}
	off := len(journalMagic)
	for off < len(data) {
		body, ok := frameAt(data, off)
		if !ok {
			// Only the last frame, the one being appended, can be torn; one
			// with a complete frame after it is corruption (the length field
			// has no checksum of its own: this also catches a corrupt one).
			if next := nextFrame(data, off+1); next >= 0 {
				return nil, 0, 0, fmt.Errorf("%w: bad frame at %d, complete frame at %d", errCorruptJournal, off, next)
			}
			break // torn: short, or zeros where the file system had not written the data yet
		}
		n := len(body)
		f := new(ChatRecord)
		if err := json.Unmarshal(body, f); err != nil {
			return nil, 0, 0, fmt.Errorf("%w: frame at %d: %v", errCorruptJournal, off, err)
		}
		if rec != nil && f.ID != rec.ID {
			return nil, 0, 0, fmt.Errorf("%w: frame at %d of chat %d in the journal of chat %d", errCorruptJournal, off, f.ID, rec.ID)
		}
		fields = frameFields(frameHeader+n, f.Sent)
		rec = applyFrame(rec, f)
		off += frameHeader + n
	}
	return rec, off, fields, nil
}

// frameAt returns the body of the frame at off in data when it is complete
// and passes its checksum.
func frameAt(data []byte, off int) (body []byte, ok bool) {
	rest := data[off:]
	if len(rest) < frameHeader {
		return nil, false
	}
	// Compared as uint64: a length of 2 GiB or more is no negative int on
	// 32-bit platforms.
	n := binary.LittleEndian.Uint32(rest)
	if n == 0 || uint64(n) > uint64(len(rest)-frameHeader) {
		return nil, false
	}
	body = rest[frameHeader : frameHeader+int(n)]
	return body, crc32.Checksum(body, castagnoli) == binary.LittleEndian.Uint32(rest[4:])
}

// nextFrame returns the offset of the first complete frame at or after
// from, -1 if there is none. A frame's body is JSON, which has no NUL byte,
// and is far smaller than 16 MiB, so few offsets have a length in range:
// mostly those of real frames. Should a hostile file have many, the bytes
// checksummed are bounded and then it is taken for corrupt.
func nextFrame(data []byte, from int) int {
	budget := 2 * len(data)
	for p := from; p+frameHeader < len(data); p++ {
		n := binary.LittleEndian.Uint32(data[p:])
		if n == 0 || uint64(n) > uint64(len(data)-p-frameHeader) {
			continue
		}
		if budget -= int(n); budget < 0 {
			return p
		}
		if _, ok := frameAt(data, p); ok {
			return p
		}
	}
	return -1
}

// applyFrame returns rec updated by frame f (a new record when rec is nil).
func applyFrame(rec, f *ChatRecord) *ChatRecord {
	var log []SentPacket
	if rec != nil {
		clear(rec.State) // the keys it replaces
		clear(rec.Exchange)
		log = rec.Sent
	} else {
		rec = new(ChatRecord)
	}
	sent := f.Sent
	*rec = *f
	rec.Sent = mergeLog(log, sent, f.SentBase)
	return rec
}

// journal returns the FileStore's journal of chat id.
func (s *FileStore) journal(id int) *journal {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journals == nil {
		s.journals = map[int]*journal{}
	}
	j := s.journals[id]
	if j == nil {
		j = new(journal)
		s.journals[id] = j
	}
	return j
}

// readJournal fills j from its file, cutting off a torn last frame so that
// the next one follows the complete ones.
func (s *FileStore) readJournal(j *journal, name string) error {
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	defer clear(data)
	j.reset()
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case !bytes.HasPrefix(data, []byte(journalMagic)):
		j.exists, j.legacy = true, true
	default:
		rec, end, fields, err := replayJournal(data)
		if err != nil {
			return fmt.Errorf("%w (%s)", err, name)
		}
		if rec == nil {
			break // no complete frame: as if never saved
		}
		defer wipeRecord(rec)
		if err := checkChatName(name, rec); err != nil {
			return err
		}
		if end < len(data) {
			if err := os.Truncate(filepath.Join(s.dir, name), int64(end)); err != nil {
				return err
			}
		}
		j.exists, j.size, j.fields = true, int64(end), fields
		j.kept = append(j.kept, rec.Sent...)
	}
	j.ready = true
	return nil
}

// checkChatName checks that the record in chat file name is that chat's:
// a file copied or renamed must not pass for another chat.
func checkChatName(name string, rec *ChatRecord) error {
	if name != chatPrefix+strconv.Itoa(rec.ID) {
		return fmt.Errorf("%w: %s holds chat %d", errCorruptJournal, name, rec.ID)
	}
	return nil
}

// wipeRecord clears the keys in a record read from a file.
func wipeRecord(rec *ChatRecord) {
	clear(rec.State)
	clear(rec.Exchange)
}
