package tgsecret

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tg/e2e"
	"go.uber.org/zap"

	"github.com/secretbench/secretbench/filecrypt"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/secret"
)

// Receiving. Each encrypted message goes through
//
//	store raw -> secret.Chat.Receive -> events -> save chat state -> delete raw
//
// (the last two in one write when the Store is a ProcessedSaver),
// and only then may qts pass it: the Manager's qts (kept in the Store and
// given to gotd's update manager through StateStorage) advances only while
// no message is left unprocessed, and messages.receivedQueue acknowledges
// that qts. A crash before the raw message is stored leaves it unacked on
// the server; after, it is processed again from the Store on restart, and a
// second processing is a duplicate that secret.Chat drops.

var errNotReady = errors.New("tgsecret: message for a chat that is not ready yet")

type pendingRaw struct {
	RawMessage
	inflight bool
	arrived  time.Time  // in this process
	enc      bin.Buffer // Data's encoder
}

// qtsState is the account's update state as the driver sees it.
type qtsState struct {
	mu       sync.Mutex
	st       UpdateState
	found    bool
	saved    UpdateState
	acked    int
	seen     int  // the highest qts reported as handed to us; st.Qts follows once clean
	lost     bool // a message may have been lost (not stored): refetch
	losses   int  // counts the times lost was set, so a refetch clears only what it covered
	pending  map[uint64]*pendingRaw
	nextID   uint64
	channels map[int64]int
}

func (q *qtsState) load(ctx context.Context, s Store) error {
	st, found, err := s.UpdateState(ctx)
	if err != nil {
		return fmt.Errorf("tgsecret: load update state: %w", err)
	}
	raws, err := s.RawMessages(ctx)
	if err != nil {
		return fmt.Errorf("tgsecret: load raw messages: %w", err)
	}
	q.st, q.saved, q.found = st, st, found
	q.pending = map[uint64]*pendingRaw{}
	q.channels = map[int64]int{}
	for _, r := range raws {
		q.pending[r.ID] = &pendingRaw{RawMessage: r, arrived: time.Now()}
		q.nextID = max(q.nextID, r.ID)
	}
	return nil
}

func (q *qtsState) clean() bool { return !q.lost && len(q.pending) == 0 }

func (q *qtsState) setLostLocked() {
	q.lost = true
	q.losses++
}

func (q *qtsState) isLost() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lost
}

// advance records that every message up to qts v was handed to us, and
// moves qts there when nothing is left unprocessed. A qts held back by a
// message still pending catches up when the last one is processed
// (advance(0) from processRaw).
func (q *qtsState) advance(v int) {
	q.seen = max(q.seen, v)
	if q.clean() && q.seen > q.st.Qts {
		q.st.Qts = q.seen
	}
}

// kickRetry has Run process the raw messages kept for a chat that was not
// ready: one became ready (or known), and they need not wait for a tick.
func (m *Manager) kickRetry() {
	m.readyGen.Add(1)
	select {
	case m.retryNow <- struct{}{}:
	default:
	}
}

// kickAck has Run acknowledge within AckDelay. Only the first kick before
// that ack wakes Run: the others would find its timer armed.
func (m *Manager) kickAck() {
	if !m.ackAsked.CompareAndSwap(false, true) {
		return
	}
	select {
	case m.ackNow <- struct{}{}:
	default:
	}
}

// rawPool recycles the pendingRaw of messages processed on arrival, with
// their encoding buffer (a Store keeps no slice it is given).
var rawPool = sync.Pool{New: func() any { return new(pendingRaw) }}

// handleEncryptedMessage takes one updateNewEncryptedMessage (qts 0 or
// negative when it came through getDifference).
func (m *Manager) handleEncryptedMessage(ctx context.Context, msg tg.EncryptedMessageClass, qts int) error {
	if msg == nil {
		return nil
	}
	p := rawPool.Get().(*pendingRaw)
	p.inflight, p.arrived = true, time.Now()
	p.enc.Buf = slices.Grow(p.enc.Buf[:0], rawSize(msg))
	if err := msg.Encode(&p.enc); err != nil {
		m.log.Warn("encrypted message does not encode", zap.Error(err))
		rawPool.Put(p)
		return nil
	}
	m.q.mu.Lock()
	m.q.nextID++
	p.RawMessage = RawMessage{ID: m.q.nextID, Qts: max(qts, 0), Data: p.enc.Buf}
	m.q.pending[p.ID] = p
	m.q.mu.Unlock()
	if err := m.store.PutRaw(ctx, p.RawMessage); err != nil {
		m.q.mu.Lock()
		delete(m.q.pending, p.ID)
		m.q.setLostLocked()
		m.q.mu.Unlock()
		return fmt.Errorf("tgsecret: store raw message: %w", err)
	}
	// msg is what p holds: no need to decode it again.
	switch err := m.processRaw(ctx, p, msg); {
	case err == nil:
		p.RawMessage = RawMessage{} // processed and out of pending: no one else has p
		rawPool.Put(p)
	case !errors.Is(err, errNotReady):
		return err
	}
	return nil // stored: processed, or retried by Run
}

// rawSize is about the size of msg's TL: its bytes, and room for the other
// fields, so that encoding it grows no buffer.
func rawSize(msg tg.EncryptedMessageClass) int {
	const fields = 96 // constructor, ids, date, the length prefix, an encryptedFile
	if v, ok := msg.(interface{ GetBytes() []byte }); ok {
		return len(v.GetBytes()) + fields
	}
	return fields
}

// retryRaw processes the raw messages left unprocessed, oldest first.
func (m *Manager) retryRaw(ctx context.Context) {
	m.q.mu.Lock()
	var todo []*pendingRaw
	for _, p := range m.q.pending {
		if !p.inflight {
			p.inflight = true
			todo = append(todo, p)
		}
	}
	m.q.mu.Unlock()
	slices.SortFunc(todo, func(a, b *pendingRaw) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	for _, p := range todo {
		if err := m.processRaw(ctx, p, nil); err != nil && !errors.Is(err, errNotReady) {
			m.log.Warn("raw message still not processed", zap.Uint64("id", p.ID), zap.Error(err))
		}
	}
}

// processRaw processes a stored raw message (msg is its decoded form, or
// nil to decode it); p is marked inflight by the caller. On success the raw
// message is deleted and released from pending; on failure it stays for
// retryRaw.
func (m *Manager) processRaw(ctx context.Context, p *pendingRaw, msg tg.EncryptedMessageClass) (err error) {
	gen := m.readyGen.Load()
	defer func() {
		m.q.mu.Lock()
		if err == nil {
			delete(m.q.pending, p.ID)
			if m.q.found {
				m.q.advance(0)
			}
		} else {
			p.inflight = false
		}
		m.q.mu.Unlock()
		switch {
		case err == nil:
			m.kickAck()
		case errors.Is(err, errNotReady) && m.readyGen.Load() != gen:
			// A chat became ready while this one was in flight, so the
			// retry it asked for skipped it: ask again.
			m.kickRetry()
		}
	}()
	var derr error
	if msg == nil {
		msg, derr = tg.DecodeEncryptedMessage(&bin.Buffer{Buf: p.Data})
	}
	consumed := false
	if derr == nil {
		consumed, err = m.receive(ctx, msg, p.arrived, p.ID)
	} else {
		m.log.Warn("stored raw message does not decode", zap.Uint64("id", p.ID), zap.Error(derr))
	}
	if err != nil || consumed {
		return err
	}
	if derr := m.store.DeleteRaw(ctx, p.ID); derr != nil {
		// Processed: a second processing after a restart is a dropped duplicate.
		m.log.Warn("delete raw message", zap.Uint64("id", p.ID), zap.Error(derr))
	}
	return nil
}

// unknownGrace is how long a message for an unknown chat is kept.
const unknownGrace = 10 * time.Second

// receive hands one encrypted message, stored as raw message raw, to its
// chat; consumed reports that the chat's save deleted it (ProcessedSaver).
func (m *Manager) receive(ctx context.Context, msg tg.EncryptedMessageClass, arrived time.Time, raw uint64) (consumed bool, err error) {
	var (
		chatID int
		wire   []byte
		file   *tg.EncryptedFile
	)
	switch v := msg.(type) {
	case *tg.EncryptedMessage:
		chatID, wire = v.ChatID, v.Bytes
		file, _ = v.File.(*tg.EncryptedFile)
	case *tg.EncryptedMessageService:
		chatID, wire = v.ChatID, v.Bytes
	default:
		return false, nil
	}
	c := m.Chat(chatID)
	if c == nil {
		// The peer's first packets may overtake the answer to our
		// request; anything else for an unknown chat is dropped in time.
		if time.Since(arrived) < unknownGrace {
			return false, errNotReady
		}
		m.log.Info("encrypted message for an unknown chat, dropped", zap.Int("chat_id", chatID))
		return false, nil
	}
	c.mu.Lock()
	st, accepting := c.rec.Status, c.accepting
	c.mu.Unlock()
	switch {
	case st == StatusReady:
		return c.receive(ctx, wire, file, raw)
	case st == StatusWaiting, st == StatusRequested && accepting:
		// The peer's first packets may overtake its acceptance (or our
		// acceptance's answer): keep them until the chat is ready.
		return false, errNotReady
	default:
		m.log.Info("encrypted message for a chat not open, dropped", zap.Int("chat_id", chatID))
		return false, nil
	}
}

// maxFiles bounds the incoming file references kept for queued messages.
const maxFiles = 256

func (c *Chat) receive(ctx context.Context, wire []byte, file *tg.EncryptedFile, raw uint64) (consumed bool, err error) {
	c.recvMu.Lock()
	defer c.recvMu.Unlock()
	c.mu.Lock()
	if c.rec.Status != StatusReady {
		c.mu.Unlock()
		return false, nil
	}
	if file != nil && !slices.ContainsFunc(c.rec.Files, func(f FileRef) bool { return f.ID == file.ID }) {
		c.rec.Files = append(c.rec.Files, FileRef{ID: file.ID, AccessHash: file.AccessHash, Size: file.Size,
			DCID: file.DCID, Fingerprint: int32(file.KeyFingerprint)})
		if len(c.rec.Files) > maxFiles {
			c.rec.Files = slices.Delete(c.rec.Files, 0, len(c.rec.Files)-maxFiles)
		}
		c.dirty = true
	}
	r, err := c.sc.Receive(wire)
	var evsBuf [2]Event
	evs := evsBuf[:0]
	switch r.Outcome {
	case secret.OutcomeProcessed, secret.OutcomeQueued:
		for _, sm := range r.Messages {
			if sm.Handled {
				continue
			}
			dm, derr := secret.DecodeMessage(sm.Body)
			if derr != nil {
				c.m.log.Info("message body does not decode, skipped", zap.Int("chat_id", c.id), zap.Error(derr))
				continue
			}
			msg := &Message{OutSeqNo: sm.OutSeqNo, Layer: sm.Layer, Msg: dm, Action: sm.Action}
			msg.File = c.attachLocked(dm)
			evs = append(evs, Event{Kind: EventMessage, Chat: c, Message: msg})
		}
		c.queueLocked(r.Send, true, nil)
		c.dirty = true
	case secret.OutcomeAborted:
		c.mu.Unlock()
		c.m.log.Warn("secret chat aborted by the protocol", zap.Int("chat_id", c.id), zap.Error(err))
		c.m.discardAsync(c, err)
		return false, nil
	default:
		c.m.log.Debug("packet dropped", zap.Int("chat_id", c.id), zap.Error(err))
		if len(r.Send) > 0 {
			c.queueLocked(r.Send, true, nil)
			c.dirty = true
		}
	}
	evs = c.checkRekeyLocked(evs)
	c.mu.Unlock()
	for _, e := range evs {
		c.m.emit(ctx, e)
	}
	c.mu.Lock()
	var saveErr error
	if c.dirty {
		consumed, saveErr = c.saveRawLocked(ctx, raw)
	}
	c.mu.Unlock()
	if saveErr != nil {
		return false, fmt.Errorf("tgsecret: save chat: %w", saveErr)
	}
	c.kick()
	return consumed, nil
}

// attachLocked finds the file a media message names: the one whose key
// fingerprint is that of the key and iv in the message.
func (c *Chat) attachLocked(dm e2e.DecryptedMessageClass) *File {
	var media e2e.DecryptedMessageMediaClass
	switch v := dm.(type) {
	case *e2e.DecryptedMessage:
		media, _ = v.GetMedia()
	case *e2e.DecryptedMessage46:
		media, _ = v.GetMedia()
	}
	if media == nil {
		return nil
	}
	var key, iv []byte
	var size int64
	switch v := media.(type) {
	case *e2e.DecryptedMessageMediaDocument:
		key, iv, size = v.Key, v.Iv, v.Size
	case *e2e.DecryptedMessageMediaDocument46:
		key, iv, size = v.Key, v.Iv, int64(v.Size)
	case *e2e.DecryptedMessageMediaPhoto:
		key, iv, size = v.Key, v.Iv, int64(v.Size)
	case *e2e.DecryptedMessageMediaVideo:
		key, iv, size = v.Key, v.Iv, int64(v.Size)
	case *e2e.DecryptedMessageMediaAudio:
		key, iv, size = v.Key, v.Iv, int64(v.Size)
	default:
		return nil
	}
	if len(key) != filecrypt.KeySize || len(iv) != filecrypt.IVSize || size < 0 {
		c.m.log.Info("media with a malformed file key", zap.Int("chat_id", c.id))
		return nil
	}
	f := &File{Size: size}
	copy(f.Key.Key[:], key)
	copy(f.Key.IV[:], iv)
	fp := kdf.FileFingerprint(&f.Key.Key, &f.Key.IV)
	i := slices.IndexFunc(c.rec.Files, func(r FileRef) bool { return r.Fingerprint == fp })
	if i < 0 {
		c.m.log.Info("media without a file of its key fingerprint", zap.Int("chat_id", c.id))
		return nil
	}
	f.Ref = c.rec.Files[i]
	c.rec.Files = slices.Delete(c.rec.Files, i, i+1)
	return f
}

// ack saves the update state if it changed and acknowledges the processed
// qts with messages.receivedQueue.
func (m *Manager) ack(ctx context.Context) {
	m.q.mu.Lock()
	st, found, saved, acked := m.q.st, m.q.found, m.q.saved, m.q.acked
	m.q.mu.Unlock()
	if !found {
		return
	}
	if st != saved {
		if err := m.store.SetUpdateState(ctx, st); err != nil {
			m.log.Warn("save update state", zap.Error(err))
			return
		}
		m.q.mu.Lock()
		m.q.saved = st
		m.q.mu.Unlock()
	}
	if st.Qts <= acked {
		return
	}
	api, _, err := m.running()
	if err != nil {
		return
	}
	if _, err := api.MessagesReceivedQueue(ctx, st.Qts); err != nil {
		m.log.Info("messages.receivedQueue", zap.Error(err))
		return
	}
	m.q.mu.Lock()
	m.q.acked = max(m.q.acked, st.Qts)
	m.q.mu.Unlock()
}

// refetch asks updates.getDifference for what came after the processed
// qts and processes the encrypted messages and chat updates in it. It
// leaves pts, date and seq to gotd's update manager.
func (m *Manager) refetch(ctx context.Context) {
	api, _, err := m.running()
	if err != nil {
		return
	}
	m.q.mu.Lock()
	st, found, losses := m.q.st, m.q.found, m.q.losses
	m.q.mu.Unlock()
	if !found {
		return
	}
	// lost stays set until the difference is processed: until then no
	// other message's processing may move qts past the lost one.
	setLost := func() {
		m.q.mu.Lock()
		m.q.setLostLocked()
		m.q.mu.Unlock()
	}
	for range 100 {
		diff, err := api.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Qts: st.Qts, Date: st.Date})
		if err != nil {
			m.log.Info("updates.getDifference", zap.Error(err))
			setLost()
			return
		}
		var (
			msgs   []tg.EncryptedMessageClass
			others []tg.UpdateClass
			next   tg.UpdatesState
			more   bool
		)
		switch d := diff.(type) {
		case *tg.UpdatesDifference:
			msgs, others, next = d.NewEncryptedMessages, d.OtherUpdates, d.State
		case *tg.UpdatesDifferenceSlice:
			msgs, others, next, more = d.NewEncryptedMessages, d.OtherUpdates, d.IntermediateState, true
		default:
			return
		}
		failed := false
		for _, u := range others {
			switch u := u.(type) {
			case *tg.UpdateEncryption:
				if err := m.handleEncryption(ctx, u.Chat); err != nil {
					failed = true
				}
			case *tg.UpdateNewEncryptedMessage:
				msgs = append(msgs, u.Message)
			}
		}
		for _, msg := range msgs {
			if err := m.handleEncryptedMessage(ctx, msg, 0); err != nil && !errors.Is(err, errNotReady) {
				failed = true
			}
		}
		if failed {
			setLost()
			return
		}
		m.q.mu.Lock()
		if !more && m.q.losses == losses {
			m.q.lost = false // covered: no loss since we started
		}
		m.q.advance(next.Qts)
		m.q.mu.Unlock()
		m.kickAck()
		if !more {
			return
		}
		st.Pts, st.Qts, st.Date = next.Pts, next.Qts, next.Date
	}
}

// StateStorage returns the state storage to give gotd's update manager
// (updates.Config.Storage). It keeps pts, date and seq as the update
// manager says, saved in the Store with the next acknowledgement, but qts
// only as far as the Manager has processed encrypted messages: a handler
// that fails never lets qts pass an unprocessed message, and a restarted
// client asks updates.getDifference from there. Channel pts are kept in
// memory.
func (m *Manager) StateStorage() updates.StateStorage { return stateStorage{m} }

type stateStorage struct{ m *Manager }

var _ updates.StateStorage = stateStorage{}

func (s stateStorage) GetState(context.Context, int64) (updates.State, bool, error) {
	q := &s.m.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.found {
		return updates.State{}, false, nil
	}
	return updates.State{Pts: q.st.Pts, Qts: q.st.Qts, Date: q.st.Date, Seq: q.st.Seq}, true, nil
}

func (s stateStorage) SetState(ctx context.Context, _ int64, st updates.State) error {
	q := &s.m.q
	q.mu.Lock()
	q.st.Pts, q.st.Date, q.st.Seq = st.Pts, st.Date, st.Seq
	first := !q.found
	if first {
		// The account's first state: nothing before it is ours to process.
		q.st.Qts, q.found = st.Qts, true
	} else {
		q.advance(st.Qts)
	}
	now := q.st
	q.mu.Unlock()
	if first {
		if err := s.m.store.SetUpdateState(ctx, now); err != nil {
			return err
		}
		q.mu.Lock()
		q.saved = now
		q.mu.Unlock()
	}
	s.m.kickAck()
	return nil
}

func (s stateStorage) set(f func(st *UpdateState)) error {
	q := &s.m.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.found {
		return errors.New("tgsecret: update state not initialised")
	}
	f(&q.st)
	return nil
}

func (s stateStorage) SetPts(_ context.Context, _ int64, v int) error {
	return s.set(func(st *UpdateState) { st.Pts = v })
}

func (s stateStorage) SetQts(_ context.Context, _ int64, v int) error {
	err := s.set(func(*UpdateState) { s.m.q.advance(v) })
	s.m.kickAck()
	return err
}

func (s stateStorage) SetDate(_ context.Context, _ int64, v int) error {
	return s.set(func(st *UpdateState) { st.Date = v })
}

func (s stateStorage) SetSeq(_ context.Context, _ int64, v int) error {
	return s.set(func(st *UpdateState) { st.Seq = v })
}

func (s stateStorage) SetDateSeq(_ context.Context, _ int64, date, seq int) error {
	return s.set(func(st *UpdateState) { st.Date, st.Seq = date, seq })
}

func (s stateStorage) GetChannelPts(_ context.Context, _, channelID int64) (int, bool, error) {
	q := &s.m.q
	q.mu.Lock()
	defer q.mu.Unlock()
	v, ok := q.channels[channelID]
	return v, ok, nil
}

func (s stateStorage) SetChannelPts(_ context.Context, _, channelID int64, pts int) error {
	q := &s.m.q
	q.mu.Lock()
	defer q.mu.Unlock()
	q.channels[channelID] = pts
	return nil
}

func (s stateStorage) ForEachChannels(ctx context.Context, userID int64, f func(context.Context, int64, int) error) error {
	q := &s.m.q
	q.mu.Lock()
	chans := make(map[int64]int, len(q.channels))
	for k, v := range q.channels {
		chans[k] = v
	}
	q.mu.Unlock()
	for id, pts := range chans {
		if err := f(ctx, id, pts); err != nil {
			return err
		}
	}
	return nil
}
