package tgsecret

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// fakeServer is a small in-process stand-in for Telegram's secret chat
// API: enough of it to unit-test the driver without MTProto. Updates are
// pushed straight into the user's dispatcher, and qts is reported to the
// Manager's StateStorage as gotd's update manager would.
type fakeServer struct {
	mu       sync.Mutex
	g        int
	p        []byte
	version  int
	nextChat int
	chats    map[int]*fakeChat
	users    map[int64]*fakeUser
	parts    map[int64]map[int][]byte
	files    map[int64][]byte
	nextFile int64
	rng      *rand.Rand
	drop     float64      // probability a message push is dropped
	dup      float64      // probability it is pushed twice
	failSend func() error // injected error of sendEncrypted*
	badFP    bool         // the acceptance reaches the requester with a wrong key fingerprint
	// slowAccept delays the answer to messages.acceptEncryption (after the
	// requester's update is pushed): the requester's first packets then
	// overtake it.
	slowAccept time.Duration
	// virtual keeps only the length of uploaded parts and serves zeros:
	// for measuring the client's memory alone.
	virtual bool
	sizes   map[int64]int64
	vlen    map[[2]int64]int
	calls   map[string]int
	buf     bin.Buffer // reply's, reused under mu
}

type fakeChat struct {
	id          int
	admin, peer int64
	accessHash  int64
	discarded   bool
}

type fakeUser struct {
	id      int64
	qts     int
	acked   int
	log     []fakeQueued
	others  []tg.UpdateClass // pending updateEncryption for getDifference
	push    chan tg.UpdateClass
	handler func(ctx context.Context, u tg.UpdateClass) error
	done    chan struct{}
}

type fakeQueued struct {
	qts int
	msg tg.EncryptedMessageClass
}

func newFakeServer() *fakeServer {
	return &fakeServer{g: 3, p: wellKnownPrime(), version: 1, nextChat: 100, chats: map[int]*fakeChat{},
		users: map[int64]*fakeUser{}, parts: map[int64]map[int][]byte{}, files: map[int64][]byte{},
		rng: rand.New(rand.NewPCG(1, 2)), nextFile: 1000, calls: map[string]int{}, vlen: map[[2]int64]int{}}
}

func (s *fakeServer) user(id int64) *fakeUser {
	u := s.users[id]
	if u == nil {
		u = &fakeUser{id: id, qts: 10}
		s.users[id] = u
	}
	return u
}

// client returns the API of user id; its pushes go to m (through a
// dispatcher registered on m), one at a time, until ctx ends.
func (s *fakeServer) connect(ctx context.Context, id int64, m *Manager, done chan struct{}) *tg.Client {
	d := tg.NewUpdateDispatcher()
	m.Register(d)
	st := m.StateStorage()
	s.mu.Lock()
	u := s.user(id)
	u.push = make(chan tg.UpdateClass, 1024)
	push := u.push
	qts := u.qts
	s.mu.Unlock()
	if _, found, _ := st.GetState(ctx, id); !found {
		_ = st.SetState(ctx, id, updates.State{Qts: qts})
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case up := <-push:
				_ = d.Handle(ctx, &tg.Updates{Updates: []tg.UpdateClass{up}})
				if q, ok := tg.IsQtsUpdate(up); ok && q > 0 {
					_ = st.SetQts(ctx, id, q)
				}
			}
		}
	}()
	return tg.NewClient(fakeInvoker{s: s, uid: id})
}

func (s *fakeServer) pushLocked(to int64, up tg.UpdateClass) {
	u := s.user(to)
	if u.push == nil {
		return
	}
	if _, ok := up.(*tg.UpdateNewEncryptedMessage); ok && s.drop > 0 && s.rng.Float64() < s.drop {
		return
	}
	n := 1
	if s.dup > 0 && s.rng.Float64() < s.dup {
		n = 2
	}
	for range n {
		select {
		case u.push <- up:
		default: // a full queue is a dropped push
		}
	}
}

type fakeInvoker struct {
	s   *fakeServer
	uid int64
}

// replyLocked answers with v through its TL encoding, as the network would.
func (s *fakeServer) replyLocked(out bin.Decoder, v bin.Encoder) error {
	s.buf.Reset()
	if err := v.Encode(&s.buf); err != nil {
		return err
	}
	whole := s.buf.Buf
	defer func() { s.buf.Buf = whole[:0] }() // decoding consumes the slice, not the array
	return out.Decode(&s.buf)
}

func (f fakeInvoker) Invoke(ctx context.Context, in bin.Encoder, out bin.Decoder) error {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[reflect.TypeOf(in).String()]++ // "*tg.X", as %T, without formatting
	me := s.user(f.uid)
	switch r := in.(type) {
	case *tg.MessagesGetDhConfigRequest:
		random := make([]byte, r.RandomLength)
		for i := range random {
			random[i] = byte(s.rng.Uint32())
		}
		if r.Version == s.version {
			return s.replyLocked(out, &tg.MessagesDhConfigNotModified{Random: random})
		}
		return s.replyLocked(out, &tg.MessagesDhConfig{G: s.g, P: s.p, Version: s.version, Random: random})
	case *tg.MessagesRequestEncryptionRequest:
		peer := r.UserID.(*tg.InputUser).UserID
		s.nextChat++
		c := &fakeChat{id: s.nextChat, admin: f.uid, peer: peer, accessHash: int64(s.nextChat) * 7}
		s.chats[c.id] = c
		up := &tg.UpdateEncryption{Chat: &tg.EncryptedChatRequested{ID: c.id, AccessHash: c.accessHash,
			AdminID: f.uid, ParticipantID: peer, GA: r.GA, Date: 1}}
		s.user(peer).others = append(s.user(peer).others, up)
		s.pushLocked(peer, up)
		return s.replyLocked(out, &tg.EncryptedChatWaiting{ID: c.id, AccessHash: c.accessHash, AdminID: f.uid, ParticipantID: peer, Date: 1})
	case *tg.MessagesAcceptEncryptionRequest:
		c := s.chats[r.Peer.ChatID]
		if c == nil || c.peer != f.uid {
			return tgerr.New(400, "CHAT_ID_INVALID")
		}
		if c.discarded {
			return s.replyLocked(out, &tg.EncryptedChatDiscarded{ID: c.id})
		}
		fp := r.KeyFingerprint
		if s.badFP {
			fp ^= 1
		}
		up := &tg.UpdateEncryption{Chat: &tg.EncryptedChat{ID: c.id, AccessHash: c.accessHash, AdminID: c.admin,
			ParticipantID: c.peer, GAOrB: r.GB, KeyFingerprint: fp}}
		s.user(c.admin).others = append(s.user(c.admin).others, up)
		s.pushLocked(c.admin, up)
		if d := s.slowAccept; d > 0 {
			s.mu.Unlock()
			time.Sleep(d)
			s.mu.Lock()
		}
		return s.replyLocked(out, &tg.EncryptedChat{ID: c.id, AccessHash: c.accessHash, AdminID: c.admin, ParticipantID: c.peer, GAOrB: r.GB, KeyFingerprint: r.KeyFingerprint})
	case *tg.MessagesDiscardEncryptionRequest:
		c := s.chats[r.ChatID]
		if c == nil || c.discarded {
			return tgerr.New(400, "ENCRYPTION_ALREADY_DECLINED")
		}
		c.discarded = true
		if os.Getenv("FAKE_DEBUG") != "" {
			fmt.Println("DISCARD by", f.uid, string(debug.Stack()))
		}
		other := c.admin
		if other == f.uid {
			other = c.peer
		}
		up := &tg.UpdateEncryption{Chat: &tg.EncryptedChatDiscarded{ID: c.id, HistoryDeleted: r.DeleteHistory}}
		s.user(other).others = append(s.user(other).others, up)
		s.pushLocked(other, up)
		return s.replyLocked(out, &tg.BoolTrue{})
	case *tg.MessagesSendEncryptedRequest:
		return s.deliver(f.uid, r.Peer, out, func(date int) tg.EncryptedMessageClass {
			return &tg.EncryptedMessage{RandomID: r.RandomID, ChatID: r.Peer.ChatID, Date: date, Bytes: r.Data, File: &tg.EncryptedFileEmpty{}}
		}, &tg.MessagesSentEncryptedMessage{Date: 1})
	case *tg.MessagesSendEncryptedServiceRequest:
		return s.deliver(f.uid, r.Peer, out, func(date int) tg.EncryptedMessageClass {
			return &tg.EncryptedMessageService{RandomID: r.RandomID, ChatID: r.Peer.ChatID, Date: date, Bytes: r.Data}
		}, &tg.MessagesSentEncryptedMessage{Date: 1})
	case *tg.MessagesSendEncryptedFileRequest:
		var id int64
		var parts, fp int
		switch fl := r.File.(type) {
		case *tg.InputEncryptedFileUploaded:
			id, parts, fp = fl.ID, fl.Parts, fl.KeyFingerprint
		case *tg.InputEncryptedFileBigUploaded:
			id, parts, fp = fl.ID, fl.Parts, fl.KeyFingerprint
		default:
			return tgerr.New(400, "FILE_INVALID")
		}
		var data []byte
		var size int64
		for i := range parts {
			p, ok := s.parts[id][i]
			if !ok {
				return tgerr.New(400, "FILE_PARTS_INVALID")
			}
			if !s.virtual {
				data = append(data, p...)
			}
			size += int64(len(p) + s.vlen[[2]int64{id, int64(i)}])
		}
		s.nextFile++
		fid := s.nextFile
		s.files[fid] = data
		if s.sizes == nil {
			s.sizes = map[int64]int64{}
		}
		s.sizes[fid] = size
		ef := &tg.EncryptedFile{ID: fid, AccessHash: fid * 3, Size: size, DCID: 1, KeyFingerprint: fp}
		return s.deliver(f.uid, r.Peer, out, func(date int) tg.EncryptedMessageClass {
			return &tg.EncryptedMessage{RandomID: r.RandomID, ChatID: r.Peer.ChatID, Date: date, Bytes: r.Data, File: ef}
		}, &tg.MessagesSentEncryptedFile{Date: 1, File: ef})
	case *tg.UploadSaveFilePartRequest:
		s.savePartLocked(r.FileID, r.FilePart, r.Bytes)
		return s.replyLocked(out, &tg.BoolTrue{})
	case *tg.UploadSaveBigFilePartRequest:
		s.savePartLocked(r.FileID, r.FilePart, r.Bytes)
		return s.replyLocked(out, &tg.BoolTrue{})
	case *tg.UploadGetFileRequest:
		loc := r.Location.(*tg.InputEncryptedFileLocation)
		data, ok := s.files[loc.ID]
		if !ok || loc.AccessHash != loc.ID*3 {
			return tgerr.New(400, "FILE_ID_INVALID")
		}
		if r.Limit%4096 != 0 || r.Limit > 1<<20 || r.Offset%int64(r.Limit) != 0 {
			return tgerr.New(400, "LIMIT_INVALID")
		}
		if s.virtual {
			end := min(r.Offset+int64(r.Limit), s.sizes[loc.ID])
			return s.replyLocked(out, &tg.UploadFile{Type: &tg.StorageFilePartial{}, Bytes: make([]byte, max(end-r.Offset, 0))})
		}
		end := min(r.Offset+int64(r.Limit), int64(len(data)))
		return s.replyLocked(out, &tg.UploadFile{Type: &tg.StorageFilePartial{}, Bytes: slices.Clone(data[min(r.Offset, end):end])})
	case *tg.MessagesReceivedQueueRequest:
		me.acked = max(me.acked, r.MaxQts)
		// Acknowledged messages leave the server's queue.
		me.log = slices.DeleteFunc(me.log, func(q fakeQueued) bool { return q.qts <= me.acked })
		return s.replyLocked(out, &tg.LongVector{Elems: []int64{}})
	case *tg.MessagesSetEncryptedTypingRequest:
		if c := s.chats[r.Peer.ChatID]; c != nil {
			s.pushLocked(c.other(f.uid), &tg.UpdateEncryptedChatTyping{ChatID: c.id})
		}
		return s.replyLocked(out, &tg.BoolTrue{})
	case *tg.MessagesReadEncryptedHistoryRequest:
		if c := s.chats[r.Peer.ChatID]; c != nil {
			s.pushLocked(c.other(f.uid), &tg.UpdateEncryptedMessagesRead{ChatID: c.id, MaxDate: r.MaxDate, Date: 1})
		}
		return s.replyLocked(out, &tg.BoolTrue{})
	case *tg.UpdatesGetDifferenceRequest:
		var msgs []tg.EncryptedMessageClass
		for _, q := range me.log {
			if q.qts > r.Qts {
				msgs = append(msgs, q.msg)
			}
		}
		others := me.others
		me.others = nil
		return s.replyLocked(out, &tg.UpdatesDifference{NewMessages: []tg.MessageClass{}, NewEncryptedMessages: msgs,
			OtherUpdates: others, Chats: []tg.ChatClass{}, Users: []tg.UserClass{},
			State: tg.UpdatesState{Qts: me.qts, Date: 1}})
	}
	return tgerr.New(400, fmt.Sprintf("METHOD_NOT_FAKED_%T", in))
}

func (c *fakeChat) other(uid int64) int64 {
	if c.admin == uid {
		return c.peer
	}
	return c.admin
}

func (s *fakeServer) deliver(from int64, peer tg.InputEncryptedChat, out bin.Decoder, msg func(date int) tg.EncryptedMessageClass, res bin.Encoder) error {
	c := s.chats[peer.ChatID]
	if c == nil || c.accessHash != peer.AccessHash {
		return tgerr.New(400, "CHAT_ID_INVALID")
	}
	if c.discarded {
		return tgerr.New(400, "ENCRYPTION_DECLINED")
	}
	if s.failSend != nil {
		if err := s.failSend(); err != nil {
			return err
		}
	}
	to := s.user(c.other(from))
	to.qts++
	m := msg(1)
	to.log = append(to.log, fakeQueued{qts: to.qts, msg: m})
	s.pushLocked(to.id, &tg.UpdateNewEncryptedMessage{Message: m, Qts: to.qts})
	return s.replyLocked(out, res)
}

func (s *fakeServer) savePartLocked(id int64, part int, data []byte) {
	if s.parts[id] == nil {
		s.parts[id] = map[int][]byte{}
	}
	if s.virtual {
		s.parts[id][part] = nil
		s.vlen[[2]int64{id, int64(part)}] = len(data)
		return
	}
	s.parts[id][part] = slices.Clone(data)
}
