package tgsecret

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tg/e2e"
	"go.uber.org/zap"

	"github.com/secretbench/secretbench/secret"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// EventMessage: a message arrived (Event.Message), in the peer's order.
	EventMessage EventKind = iota + 1
	// EventRequest: a peer asks for a chat; Accept or Decline it.
	EventRequest
	// EventState: the chat changed state (Event.State); for
	// StatusDiscarded, Event.HistoryDeleted says whether history goes too.
	EventState
	// EventAbort: the chat ended because the protocol says so (Event.Err:
	// a failed key exchange, a sequence violation, a failed re-key).
	EventAbort
	// EventRekey: the chat switched to a new key (Chat.Fingerprint).
	EventRekey
	// EventTyping: updateEncryptedChatTyping (the server's typing notice).
	EventTyping
	// EventRead: updateEncryptedMessagesRead, up to Event.MaxDate.
	EventRead
)

func (k EventKind) String() string {
	return [...]string{"", "message", "request", "state", "abort", "rekey", "typing", "read"}[k]
}

// Event is what the Manager reports through Options.OnEvent.
type Event struct {
	Kind           EventKind
	Chat           *Chat
	Message        *Message
	State          ChatStatus
	HistoryDeleted bool
	MaxDate        int
	Err            error
}

// Message is one incoming message, decoded.
type Message struct {
	// OutSeqNo is the sender's out_seq_no: with the chat id, a unique and
	// increasing key of the message (for an app that stores messages).
	OutSeqNo int32
	Layer    int32
	// Msg is the DecryptedMessage (decryptedMessage, decryptedMessageService...).
	Msg e2e.DecryptedMessageClass
	// Action is the action of a service message (typing, read, TTL,
	// delete, flush, screenshot...), nil for a message.
	Action e2e.DecryptedMessageActionClass
	// File is the encrypted file attached to a media message whose key
	// matches it; nil without one.
	File *File
}

// Text returns the text of a decryptedMessage, "" otherwise.
func (m *Message) Text() string {
	if d, ok := m.Msg.(*e2e.DecryptedMessage); ok {
		return d.Message
	}
	return ""
}

// Chat is one secret chat of a Manager. Its methods are safe for
// concurrent use.
type Chat struct {
	m  *Manager
	id int

	recvMu sync.Mutex // one incoming packet at a time

	mu        sync.Mutex
	rec       ChatRecord // Outbox lives in outbox
	sc        *secret.Chat
	ex        *secret.Exchange
	fp        int64
	accepting bool
	outbox    []*outPacket
	flushing  bool          // a flusher runs (see kick)
	retire    bool          // the flusher leaves if it finds nothing to send
	wake      chan struct{} // wakes the parked flusher
	rpcs      flushRPCs     // the flusher's
	dirty     bool          // state changed since the last successful save
	// sentEnd is the end of the sent messages in the Store's sent log:
	// each save logs those from sentEnd on (all of them again after a
	// failed save).
	sentEnd uint32

	// Reused by every save (a Store keeps no slice of a record).
	saveRec   ChatRecord
	stateBuf  []byte
	outboxBuf []Packet
	sentBuf   []SentPacket
}

type outPacket struct {
	Packet
	done chan error // nil for packets the chat made itself
}

// sendPackets recycles the first packets of send calls with their done
// channel, which is answered once: a caller that got the answer puts the
// packet back.
var sendPackets = sync.Pool{New: func() any { return &outPacket{done: make(chan error, 1)} }}

// ID is the chat id.
func (c *Chat) ID() int { return c.id }

// PeerID is the other user's id.
func (c *Chat) PeerID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rec.PeerID
}

// Originator reports whether we requested the chat.
func (c *Chat) Originator() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rec.Originator
}

// Status is the chat's state.
func (c *Chat) Status() ChatStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rec.Status
}

// Fingerprint is the key_fingerprint of the key in use (it changes with
// each re-key); 0 before the chat is ready and after it ended.
func (c *Chat) Fingerprint() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sc == nil {
		return 0
	}
	return c.sc.Fingerprint()
}

// Visualization is the key visualization both users compare (36 bytes;
// ok is false until both sides are at layer 46, when only the first 16
// bytes are set, or when the chat is not ready).
func (c *Chat) Visualization() (v [36]byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sc == nil {
		return v, false
	}
	return c.sc.Visualization()
}

// PeerLayer is the peer's layer (0 before the chat is ready).
func (c *Chat) PeerLayer() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sc == nil {
		return 0
	}
	return c.sc.PeerLayer()
}

func (c *Chat) inputPeer() tg.InputEncryptedChat {
	return tg.InputEncryptedChat{ChatID: c.id, AccessHash: c.rec.AccessHash}
}

// start makes the chat ready under key: a new secret.Chat, its first
// packets (NotifyLayer) queued, the state saved.
func (c *Chat) start(ctx context.Context, key *secret.Key, role secret.Role, dh *secret.DH) error {
	sc, pkts, err := secret.NewChat(key, role, c.m.chatConfig(dh.G, dh.P))
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.rec.Status == StatusDiscarded {
		// Discarded while the exchange was in flight (the peer gave up,
		// or the server's answer crossed a discard): stays discarded.
		c.mu.Unlock()
		sc.Wipe()
		return fmt.Errorf("%w: discarded during the key exchange", ErrChatState)
	}
	c.sc = sc
	c.fp = sc.Fingerprint()
	c.rec.Status = StatusReady
	c.rec.G, c.rec.P = dh.G, dh.P
	c.rec.GA, c.rec.Exchange = nil, nil
	if c.ex != nil {
		c.ex.Wipe()
		c.ex = nil
	}
	c.queueLocked(pkts, true, nil)
	err = c.saveLocked(ctx)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("tgsecret: save chat: %w", err)
	}
	c.m.emit(ctx, Event{Kind: EventState, Chat: c, State: StatusReady})
	c.kick()
	c.m.kickRetry() // the peer's first packets may have overtaken us
	return nil
}

// saveLocked writes the chat's record. A failure leaves the chat dirty, so
// the next save tries again.
func (c *Chat) saveLocked(ctx context.Context) error {
	_, err := c.saveRawLocked(ctx, 0)
	return err
}

// saveRawLocked writes the chat's record made by processing raw message
// raw (0: none). With a ProcessedSaver the raw message goes in the same
// write, and consumed is true; else the caller deletes it.
func (c *Chat) saveRawLocked(ctx context.Context, raw uint64) (consumed bool, err error) {
	if c.rec.Status == StatusDiscarded {
		// Its record is deleted (a discard from an event handler, between
		// the processing and this save): saving would bring it back. The
		// caller deletes the raw message.
		c.dirty = false
		return false, nil
	}
	c.saveRec = c.rec
	rec := &c.saveRec
	defer func() { *rec = ChatRecord{} }()
	var sentEnd uint32
	if c.sc != nil {
		st, err := c.sc.AppendCore(c.stateBuf[:0])
		if err != nil {
			return false, err
		}
		c.stateBuf, rec.State = st, st
		defer clear(st) // no copy of the keys outlives the save
		var base uint32
		base, sentEnd = c.sc.SentRange()
		c.sentBuf = c.sentBuf[:0]
		for i := max(base, c.sentEnd); i < sentEnd; i++ {
			c.sentBuf = append(c.sentBuf, SentPacket{Index: i, Wire: c.sc.SentWire(i)})
		}
		rec.Sent, rec.SentBase = c.sentBuf, base
		defer clear(c.sentBuf) // the wires are the chat's own
	}
	c.outboxBuf = c.outboxBuf[:0]
	for _, p := range c.outbox {
		c.outboxBuf = append(c.outboxBuf, p.Packet)
	}
	rec.Outbox = c.outboxBuf
	defer clear(c.outboxBuf) // drop the references to sent packets
	c.dirty = true
	ps, consumed := c.m.store.(ProcessedSaver)
	consumed = consumed && raw != 0
	if consumed {
		err = ps.SaveProcessed(ctx, rec, raw)
	} else {
		err = c.m.store.SaveChat(ctx, rec)
	}
	if err != nil {
		return false, err
	}
	c.dirty = false
	c.sentEnd = sentEnd
	return consumed, nil
}

// queueLocked appends packets to the outbox (copies: secret.Chat reuses its
// buffers). The first packet carries file and done.
func (c *Chat) queueLocked(pkts [][]byte, service bool, first *outPacket) {
	for i, w := range pkts {
		p := first
		if i > 0 || first == nil {
			p = &outPacket{Packet: Packet{Service: service || i > 0}} // i > 0: RequestKey after a message
			p.RandomID, _ = c.m.randInt64()
		}
		p.Wire = bytes.Clone(w)
		c.outbox = append(c.outbox, p)
	}
}

// checkRekeyLocked reports a key switch.
func (c *Chat) checkRekeyLocked(evs []Event) []Event {
	if c.sc != nil && c.sc.Fingerprint() != c.fp {
		c.fp = c.sc.Fingerprint()
		evs = append(evs, Event{Kind: EventRekey, Chat: c})
	}
	return evs
}

// send runs one secret.Chat send call under the lock, saves, and waits
// until the server has accepted the first packet.
func (c *Chat) send(ctx context.Context, file *FileRef, service bool, call func(*secret.Chat) ([][]byte, error)) (int64, error) {
	c.mu.Lock()
	if c.rec.Status != StatusReady {
		st := c.rec.Status
		c.mu.Unlock()
		return 0, fmt.Errorf("%w: %v", ErrChatState, st)
	}
	pkts, err := call(c.sc)
	if err != nil {
		c.mu.Unlock()
		return 0, err
	}
	rid, err := c.m.randInt64()
	if err != nil {
		c.mu.Unlock()
		return 0, err
	}
	first := sendPackets.Get().(*outPacket)
	first.Packet = Packet{RandomID: rid, Service: service, File: file}
	c.queueLocked(pkts, service, first)
	evs := c.checkRekeyLocked(nil)
	saveErr := c.saveLocked(ctx)
	c.mu.Unlock()
	for _, e := range evs {
		c.m.emit(ctx, e)
	}
	c.kick()
	if saveErr != nil {
		// The packet goes out anyway; the caller learns the state is not durable.
		return rid, fmt.Errorf("tgsecret: save chat: %w", saveErr)
	}
	_, runCtx, _ := c.m.running()
	var runDone <-chan struct{}
	if runCtx != nil {
		runDone = runCtx.Done()
	}
	select {
	case err := <-first.done:
		first.Packet = Packet{}
		sendPackets.Put(first)
		return rid, err
	case <-ctx.Done():
		return rid, ctx.Err()
	case <-runDone:
		return rid, ErrNotRunning
	}
}

// SendMessage sends a DecryptedMessage (any e2e message: text, media,
// service...). It returns when the server has accepted it.
func (c *Chat) SendMessage(ctx context.Context, msg e2e.DecryptedMessageClass) error {
	_, service := msg.(*e2e.DecryptedMessageService)
	_, err := c.send(ctx, nil, service, func(sc *secret.Chat) ([][]byte, error) { return sc.SendMessage(msg) })
	return err
}

// SendText sends a text message and returns its random_id.
func (c *Chat) SendText(ctx context.Context, text string) (int64, error) {
	id, err := c.m.randInt64()
	if err != nil {
		return 0, err
	}
	return id, c.SendMessage(ctx, &e2e.DecryptedMessage{RandomID: id, Message: text})
}

// SendAction sends a service message with action, wrapped for the peer's
// layer.
func (c *Chat) SendAction(ctx context.Context, action e2e.DecryptedMessageActionClass) error {
	_, err := c.send(ctx, nil, true, func(sc *secret.Chat) ([][]byte, error) { return sc.SendAction(action) })
	return err
}

// SetTTL sets the self-destruct timer of the chat's messages (seconds; 0 off).
func (c *Chat) SetTTL(ctx context.Context, seconds int) error {
	return c.SendAction(ctx, &e2e.DecryptedMessageActionSetMessageTTL{TTLSeconds: seconds})
}

// Typing sends the end-to-end typing action (decryptedMessageActionTyping).
func (c *Chat) Typing(ctx context.Context, action e2e.SendMessageActionClass) error {
	return c.SendAction(ctx, &e2e.DecryptedMessageActionTyping{Action: action})
}

// ReadMessages tells the peer its messages were read (their random_ids).
func (c *Chat) ReadMessages(ctx context.Context, randomIDs ...int64) error {
	return c.SendAction(ctx, &e2e.DecryptedMessageActionReadMessages{RandomIDs: randomIDs})
}

// DeleteMessages asks the peer to delete messages (their random_ids).
func (c *Chat) DeleteMessages(ctx context.Context, randomIDs ...int64) error {
	return c.SendAction(ctx, &e2e.DecryptedMessageActionDeleteMessages{RandomIDs: randomIDs})
}

// FlushHistory asks the peer to clear the chat's history.
func (c *Chat) FlushHistory(ctx context.Context) error {
	return c.SendAction(ctx, &e2e.DecryptedMessageActionFlushHistory{})
}

// ScreenshotNotice tells the peer a screenshot showed these messages.
func (c *Chat) ScreenshotNotice(ctx context.Context, randomIDs ...int64) error {
	return c.SendAction(ctx, &e2e.DecryptedMessageActionScreenshotMessages{RandomIDs: randomIDs})
}

// SetTyping sends the server's typing notice (messages.setEncryptedTyping).
func (c *Chat) SetTyping(ctx context.Context, typing bool) error {
	api, _, err := c.m.running()
	if err != nil {
		return err
	}
	_, err = api.MessagesSetEncryptedTyping(ctx, &tg.MessagesSetEncryptedTypingRequest{Peer: c.inputPeer(), Typing: typing})
	return err
}

// ReadHistory marks the peer's messages up to maxDate read
// (messages.readEncryptedHistory).
func (c *Chat) ReadHistory(ctx context.Context, maxDate int) error {
	api, _, err := c.m.running()
	if err != nil {
		return err
	}
	_, err = api.MessagesReadEncryptedHistory(ctx, &tg.MessagesReadEncryptedHistoryRequest{Peer: c.inputPeer(), MaxDate: maxDate})
	return err
}

// tick runs secret.Chat.Tick (re-key by age, repeated Resend) and saves
// a chat left dirty by a failed save.
func (c *Chat) tick(ctx context.Context) {
	c.mu.Lock()
	if c.rec.Status != StatusReady {
		c.mu.Unlock()
		return
	}
	c.retireFlusherLocked()
	pkts, err := c.sc.Tick()
	if err != nil && c.sc.Err() != nil {
		// The protocol gave up on the chat (a gap that never fills).
		c.mu.Unlock()
		c.m.log.Warn("secret chat aborted by the protocol", zap.Int("chat_id", c.id), zap.Error(err))
		c.m.discardAsync(c, err)
		return
	}
	if err == nil && len(pkts) > 0 {
		c.queueLocked(pkts, true, nil)
		c.dirty = true
	}
	evs := c.checkRekeyLocked(nil)
	if c.dirty {
		if err := c.saveLocked(ctx); err != nil {
			c.m.log.Warn("save chat", zap.Int("chat_id", c.id), zap.Error(err))
		}
	}
	c.mu.Unlock()
	for _, e := range evs {
		c.m.emit(ctx, e)
	}
	c.kick()
}

// discarded ends the chat here: keys wiped, record deleted, outbox failed.
func (c *Chat) discarded(ctx context.Context, historyDeleted bool, reason error) {
	c.mu.Lock()
	if c.rec.Status == StatusDiscarded {
		c.mu.Unlock()
		return
	}
	c.rec.Status = StatusDiscarded
	if c.sc != nil {
		c.sc.Wipe()
		c.sc = nil
	}
	if c.ex != nil {
		c.ex.Wipe()
		c.ex = nil
	}
	clear(c.rec.GA)
	c.rec.State, c.rec.Exchange, c.rec.GA = nil, nil, nil
	out := c.outbox
	c.outbox = nil
	c.mu.Unlock()
	c.wakeFlusher() // to leave
	for _, p := range out {
		if p.done != nil {
			p.done <- fmt.Errorf("%w: discarded", ErrChatState)
		}
	}
	if err := c.m.store.DeleteChat(ctx, c.id); err != nil {
		c.m.log.Warn("delete chat", zap.Int("chat_id", c.id), zap.Error(err))
	}
	if reason != nil {
		c.m.emit(ctx, Event{Kind: EventAbort, Chat: c, Err: reason})
	}
	c.m.emit(ctx, Event{Kind: EventState, Chat: c, State: StatusDiscarded, HistoryDeleted: historyDeleted})
}
