package secret

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg/e2e"
	"github.com/secretbench/secretbench/kdf"
)

// This file holds the Chat: the state machine of one secret chat on top of
// the Codec (docs/PROTOCOL.md sections 5, 6 and 8). chat_seq.go has the
// sequence numbers, chat_rekey.go the re-keying, chat_state.go the
// persistence.

// Chat outcomes and errors. Receive returns exactly one Outcome per packet;
// a Dropped or Aborted packet comes with an error that matches one of the
// errors below (or a Decrypt error) with errors.Is.
var (
	// ErrDuplicate: the packet's out_seq_no was already received (or is
	// already waiting in the queue). Dropped.
	ErrDuplicate = errors.New("secret: duplicate message (out_seq_no already received)")
	// ErrStaleKey: the packet is under a key this chat has discarded after a
	// re-key (an old packet delayed or replayed). Dropped.
	ErrStaleKey = errors.New("secret: message under a discarded key")
	// ErrQueueFull: the packet is too far ahead of the next expected one to
	// be queued (Config.MaxQueued). Dropped; it will be asked for again.
	ErrQueueFull = errors.New("secret: gap too large to queue the message")
	// ErrSeqParity: in_seq_no or out_seq_no has the wrong parity for the
	// sender's role (or is negative). The chat is aborted.
	ErrSeqParity = errors.New("secret: sequence number of the wrong parity")
	// ErrInSeqNo: in_seq_no decreased, or acknowledges messages we never
	// sent. The chat is aborted.
	ErrInSeqNo = errors.New("secret: in_seq_no decreased or exceeds the messages sent")
	// ErrRekeyFailed: the peer aborted a re-key after we had switched to the
	// new key; the two sides no longer share a key. The chat is aborted.
	ErrRekeyFailed = errors.New("secret: re-key aborted after the switch")
	// ErrResendUnavailable: the peer asked (decryptedMessageActionResend)
	// for messages this chat no longer holds: never sent by this state (it
	// was restored from an older copy), or forgotten after Config.MaxStored
	// unacknowledged messages while the peer still lacks them (it asks
	// again Config.RetryAfter after first asking, and its in_seq_no has not
	// moved since). The peer's gap can never fill; as the seq_no spec
	// requires, the chat is aborted.
	ErrResendUnavailable = errors.New("secret: asked to resend messages no longer held")
	// ErrGapUnfilled: a gap was asked for Config.MaxAsks times, RetryAfter
	// apart, and is still open; Tick aborts the chat.
	ErrGapUnfilled = errors.New("secret: gap still open after Config.MaxAsks requests")
	// ErrChatAborted is returned by every call on a Chat that was aborted;
	// it wraps the reason.
	ErrChatAborted = errors.New("secret: chat aborted")
	// ErrCorruptChat: UnmarshalBinary was given a state it cannot trust
	// (truncated, corrupt, or of an unknown version).
	ErrCorruptChat = errors.New("secret: corrupt or truncated chat state")
)

// Outcome is what Receive did with one packet.
type Outcome int

const (
	// OutcomeProcessed: the packet was the next in sequence (or a protocol
	// message acted on) and was handled, with any queued messages it let
	// through.
	OutcomeProcessed Outcome = iota
	// OutcomeQueued: the packet is ahead of a gap; it is held until the gap
	// fills, and the missing range has been asked for (Receipt.Send).
	OutcomeQueued
	// OutcomeDropped: the packet was not used; the error says why
	// (ErrDuplicate, ErrStaleKey, ErrQueueFull, ErrShortRandomBytes or any
	// other Decrypt error). The chat goes on. (A Resend in a packet dropped
	// with ErrQueueFull is still served: Receipt.Send.) A message next in
	// sequence whose answer could not be made (the random source failed)
	// is OutcomeDropped too, with that error, although it and the queued
	// ones it let through are delivered (Receipt.Messages): only the
	// answer is missing from Receipt.Send.
	OutcomeDropped
	// OutcomeAborted: the packet violated the protocol (ErrSeqParity,
	// ErrInSeqNo, ErrRekeyFailed) or asked for what cannot be resent
	// (ErrResendUnavailable); the chat is closed.
	OutcomeAborted
)

func (o Outcome) String() string {
	switch o {
	case OutcomeProcessed:
		return "processed"
	case OutcomeQueued:
		return "queued"
	case OutcomeDropped:
		return "dropped"
	case OutcomeAborted:
		return "aborted"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Receipt is the result of Receive. Its slices belong to the Chat and are
// valid until the next call on it.
type Receipt struct {
	Outcome Outcome
	// Err is nil for OutcomeProcessed and OutcomeQueued, and the reason
	// for OutcomeDropped and OutcomeAborted (also returned by Receive).
	Err error
	// Messages are the messages now delivered, in the peer's order: the
	// packet's own when it was next, then the queued ones it released.
	Messages []Message
	// Send are wire packets the client must send now, in order: a Resend
	// request for a gap, messages the peer asked to have resent, NotifyLayer,
	// key exchange messages. They may come with any Outcome: a dropped
	// packet can carry a Resend that is served, and every Receive asks for
	// the gaps that are due.
	Send [][]byte
	// PeerLayer is the peer's layer after this packet. Above Chat.Layer
	// the user should be told to update the app.
	PeerLayer int32
}

// Message is one delivered DecryptedMessage.
type Message struct {
	// OutSeqNo is the message's out_seq_no (2*index + the sender's parity).
	OutSeqNo int32
	// Layer is the layer of its envelope.
	Layer int32
	// Body is the TL of the DecryptedMessage (decode it with DecodeMessage).
	Body []byte
	// Action is the decoded action of a service message, nil otherwise.
	Action e2e.DecryptedMessageActionClass
	// Handled is set for the protocol's own actions, which the Chat has
	// already acted on: Resend, NotifyLayer, RequestKey, AcceptKey,
	// CommitKey, AbortKey, Noop.
	Handled bool
}

// Config configures a Chat. The zero value works: our layer CurrentLayer,
// crypto/rand, time.Now, no re-keying.
type Config struct {
	// Layer is our layer (CurrentLayer when zero).
	Layer int32
	// DH holds g and p (messages.getDhConfig) for re-keying. Nil disables
	// re-keying: we never request one and answer the peer's with AbortKey.
	// Its Rand, when nil, is Config.Rand.
	DH *DH
	// Rand is the source of random_bytes, padding, random_id, exchange_id
	// and exponents (crypto/rand when nil).
	Rand io.Reader
	// Now is the wall clock (time.Now when nil). Key ages and the chat's age
	// are measured with it and persisted as wall-clock times.
	Now func() time.Time
	// Options are passed to every Codec the chat creates (WithMaxPadding);
	// WithRand(Rand) is applied first.
	Options []Option
	// MaxQueued bounds the messages held behind a gap (1000 when zero).
	MaxQueued int
	// MaxStored bounds the sent messages kept for Resend until the peer
	// acknowledges them (1000 when zero). Beyond it the oldest are
	// forgotten and a Resend for them cannot be served.
	MaxStored int
	// RetryAfter is how long a gap may stay open before it is asked for
	// again (10 s when zero). Each gap keeps its own deadline; Tick and
	// Receive ask for every gap past it. Without it a lost Resend would
	// stall the chat.
	RetryAfter time.Duration
	// MaxAsks bounds how many times one gap is asked for. Once a gap has
	// been asked for MaxAsks times and RetryAfter has passed again, Tick
	// aborts the chat with ErrGapUnfilled. Zero: no bound (a peer that
	// cannot fill a gap aborts with ErrResendUnavailable, which the server
	// reports as the chat being discarded).
	MaxAsks int
}

// Protocol constants of the state machine.
const (
	// RekeyMessages: a key that has encrypted or decrypted more than this
	// many messages is replaced.
	RekeyMessages = 100
	// RekeyAge: a key older than this that has encrypted at least one
	// message is replaced.
	RekeyAge = 7 * 24 * time.Hour
	// NotifyGrace: a chat younger than this does not send NotifyLayer when
	// the peer's layer rises (it has just sent one).
	NotifyGrace = 15 * time.Second

	firstLayer   = 8  // a peer's layer before we hear otherwise
	seqLayer     = 17 // layer notifications, sequence numbers, Service
	rekeyLayer   = 20 // RequestKey and friends
	visualLayer  = 46 // the key visualization grows to 36 bytes
	maxFreeBufs  = 64
	defaultBound = 1000
)

// chatKey is one key with its codec and usage counters.
type chatKey struct {
	key        *Key
	codec      *Codec
	created    int64 // unix nanoseconds, wall clock
	sent, recv uint32
}

func (k *chatKey) wipe() {
	k.codec.Wipe()
	k.key.Wipe()
}

// gap is a run first..last (indexes) of the peer's messages that are
// neither received nor queued. at is when it was last asked for (0: not
// yet), asks how many times.
type gap struct {
	first, last uint32
	at          int64
	asks        uint32
}

// queued is a message received ahead of a gap, already decrypted.
type queued struct {
	h      Header
	fp     int64 // the key it came under
	body   []byte
	served bool // a Resend acted on at arrival
}

// Chat is one side of a secret chat after the key exchange: it numbers
// what is sent, orders what is received, keeps the layers, re-keys, and
// can be persisted. It is not safe for concurrent use.
//
// Specification: the base text (https://core.telegram.org/api/end-to-end),
// sequence numbers (https://core.telegram.org/api/end-to-end/seq_no),
// perfect forward secrecy (https://core.telegram.org/api/end-to-end/pfs);
// docs/PROTOCOL.md sections 5, 6 and 8.
//
// Sending: [Chat.Send] (raw TL), [Chat.SendMessage] (gotd/td value) and
// [Chat.SendAction] give each message its sequence numbers when it is
// created and return the wire packets to send, in order. Messages are
// encrypted with v2 when both sides are at layer 73 or above, v1 below; the
// envelope carries the lower of the two layers.
//
// Receiving: [Chat.Receive] takes one wire packet and returns a [Receipt]:
// its [Outcome] (processed, queued behind a gap, dropped, or aborted, with
// the reason as an error matched with errors.Is), the messages now
// delivered in order, and packets to send (a Resend for a gap, messages
// the peer asked for, NotifyLayer, key exchange).
//
// Gaps: each run of missing messages is asked for (one Resend for nearby
// runs) when it opens, and again whenever Config.RetryAfter has passed
// since it was last asked for, by [Chat.Tick] or the next Receive,
// whatever other gaps open meanwhile. A Resend from the peer is served as
// soon as it arrives, even behind a gap or with the queue full, and only
// once. A gap that cannot fill ends the chat, never a silent stall: the
// side that cannot serve a Resend aborts with [ErrResendUnavailable] (the
// seq_no spec's rule: the client then discards the chat, which the server
// reports to the peer), and with Config.MaxAsks set, Tick aborts with
// [ErrGapUnfilled] once a gap has been asked for that many times.
//
// Resend needs the sent packets: they are kept as wire bytes until the
// peer's in_seq_no acknowledges them, at most Config.MaxStored of them.
//
// Layers: the peer's starts at 8 and only rises (from an envelope at layer
// 17 or above, or a NotifyLayer). NotifyLayer is sent when the chat is
// created ([NewChat] returns it), when the peer's layer rises to 17 or above
// (unless the chat is younger than [NotifyGrace]) and when ours rises
// ([Chat.SetLayer]); while the peer is below 17 it is wrapped in
// decryptedMessageService8.
//
// Re-keying: when the key has encrypted or decrypted more than
// [RekeyMessages] messages, or is older than [RekeyAge] and has encrypted
// one, the Chat requests a new one (if Config.DH is set and both sides are
// at layer 20). Concurrent requests: the smaller exchange_id gives way,
// equal ids abort both. Until the switch both keys decrypt; the old key is
// overwritten with zeros once it can no longer be needed.
//
// Persistence: [Chat.MarshalBinary] and [RestoreChat] (or
// [Chat.UnmarshalBinary]); persist after every call that returned packets,
// before sending them. States written by earlier versions restore. Clock
// and randomness come from [Config]. An aborted chat persists too, and
// restores as aborted with its reason ([Chat.Err]); the messages it had
// queued are wiped when it aborts. The state holds the sent messages kept
// for Resend (up to Config.MaxStored while the peer is silent), so it
// grows with them; a caller that persists after every message can split
// it instead: [Chat.AppendCore] writes the rest, of a size independent of
// them, and the caller keeps the messages in a log of its own, appending
// [Chat.SentWire](i) for each new index of [Chat.SentRange] (and dropping
// those below its base). [RestoreChatCore] restores from the core and the
// log, refusing a log that differs from the messages the core was written
// with (the core holds a hash chain over them); it restores full states
// too.
type Chat struct {
	role Role
	cfg  Config
	dh   *DH

	layer, peerLayer int32
	created          int64 // unix nanoseconds
	aborted          error

	cur, prev, next *chatKey // prev: old key after our commit; next: accepted, not committed
	stale           [4]int64 // fingerprints of discarded keys
	ex              exchange
	rekeyAfter      int64 // no request of ours before this (unix ns)

	in, out  uint32 // messages received in order, messages sent
	peerIn   uint32 // how many of ours the peer has acknowledged
	peerSaw  uint32 // the most of ours any packet of the peer's says it had (queued ones too)
	doubtAt  int64  // since when the peer, stuck at peerSaw, asks for what we forgot (0: not)
	askedTo  uint32 // the peer's messages below this index are here, queued or in gaps
	gaps     []gap  // the missing ones from in to askedTo, in order
	queue    map[uint32]*queued
	sent     wireRing    // sent messages peerIn.., oldest first
	sentBase uint32      // index of sent.at(0)
	sentSums sentDigests // their digests, for the state's checksum

	vis   [36]byte
	vis46 bool

	free, freeNext [][]byte
	rbuf           []byte
	msgs           []Message
	sends          [][]byte
	tl             bin.Buffer
}

// NewChat starts a chat under key (from the key exchange) as role. The Chat
// keeps its own copy of the key; the caller may wipe its Key. It returns the
// packets to send at once: NotifyLayer with our layer (base text,
// "Notifying the remote client about your local layer", case 1).
func NewChat(key *Key, role Role, cfg Config) (*Chat, [][]byte, error) {
	if key == nil {
		return nil, nil, errors.New("secret: NewChat with a nil Key")
	}
	if role != Originator && role != Responder {
		return nil, nil, fmt.Errorf("secret: NewChat with %v", role)
	}
	c := newChat(cfg)
	if c.cfg.Layer < firstLayer {
		return nil, nil, fmt.Errorf("secret: our layer %d is below %d", c.cfg.Layer, firstLayer)
	}
	c.role = role
	c.layer = c.cfg.Layer
	c.peerLayer = firstLayer
	c.created = c.now()
	own, err := NewKey(key.k[:])
	if err != nil {
		return nil, nil, err
	}
	c.cur = c.newKey(own, c.created)
	v := own.Visualization(own)
	copy(c.vis[:16], v[:16])
	c.sends = c.sends[:0]
	if err := c.sendNotifyLayer(); err != nil {
		return nil, nil, err
	}
	return c, c.sends, nil
}

// newChat applies the defaults of cfg.
func newChat(cfg Config) *Chat {
	if cfg.Layer == 0 {
		cfg.Layer = CurrentLayer
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = defaultBound
	}
	if cfg.MaxStored <= 0 {
		cfg.MaxStored = defaultBound
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 10 * time.Second
	}
	c := &Chat{cfg: cfg, queue: make(map[uint32]*queued)}
	if cfg.DH != nil {
		dh := *cfg.DH
		if dh.Rand == nil {
			dh.Rand = cfg.Rand
		}
		c.dh = &dh
	}
	return c
}

func (c *Chat) now() int64 { return c.cfg.Now().UnixNano() }

func (c *Chat) newKey(k *Key, created int64) *chatKey {
	opts := append([]Option{WithRand(c.cfg.Rand)}, c.cfg.Options...)
	return &chatKey{key: k, codec: NewCodec(k, c.role, opts...), created: created}
}

// Role returns our side of the chat.
func (c *Chat) Role() Role { return c.role }

// Layer returns our layer.
func (c *Chat) Layer() int32 { return c.layer }

// PeerLayer returns the highest layer the peer has shown.
func (c *Chat) PeerLayer() int32 { return c.peerLayer }

// Fingerprint returns the key_fingerprint of the key we send with.
func (c *Chat) Fingerprint() int64 { return c.cur.key.fp }

// Visualization returns the key visualization (docs/PROTOCOL.md section 3):
// SHA1(initial key)[0:16] || SHA256(key in use at the upgrade to layer
// 46)[0:20]. ok is false, and the last 20 bytes zero, until both sides are at
// layer 46.
func (c *Chat) Visualization() (v [36]byte, ok bool) { return c.vis, c.vis46 }

// Err returns the reason the chat was aborted, or nil.
func (c *Chat) Err() error { return c.aborted }

// usable starts a call: it fails on an aborted chat and recycles the
// buffers released by the previous call (never earlier: the caller may
// still be reading them).
func (c *Chat) usable() error {
	if c.aborted != nil {
		return fmt.Errorf("%w: %w", ErrChatAborted, c.aborted)
	}
	for _, b := range c.freeNext {
		if len(c.free) < maxFreeBufs {
			c.free = append(c.free, b[:0])
		}
	}
	clear(c.freeNext)
	c.freeNext = c.freeNext[:0]
	c.sends = c.sends[:0]
	c.msgs = c.msgs[:0]
	return nil
}

// Send encrypts body, the TL of a DecryptedMessage (decryptedMessage,
// decryptedMessageService...), as our next message and returns the packets
// to send, in order: the message, then a RequestKey when the key is due
// for replacement. The slices are valid until the next call on the Chat.
func (c *Chat) Send(body []byte) ([][]byte, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if err := c.sendBody(body); err != nil {
		return nil, err
	}
	c.maybeRekey()
	return c.sends, nil
}

// SendMessage is Send for a gotd/td value.
func (c *Chat) SendMessage(msg e2e.DecryptedMessageClass) ([][]byte, error) {
	if msg == nil {
		return nil, fmt.Errorf("%w: nil message", ErrMalformedTL)
	}
	c.tl.Reset()
	if err := msg.Encode(&c.tl); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedTL, err)
	}
	return c.Send(c.tl.Buf)
}

// SendAction sends a service message (typing, read, delete, TTL...),
// wrapped for the peer's layer like the Chat's own actions.
func (c *Chat) SendAction(action e2e.DecryptedMessageActionClass) ([][]byte, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if err := c.sendAction(action); err != nil {
		return nil, err
	}
	c.maybeRekey()
	return c.sends, nil
}

// SetLayer raises our layer (an app update) and returns the NotifyLayer to
// send (base text, case 3). A layer that is not higher changes nothing.
func (c *Chat) SetLayer(layer int32) ([][]byte, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if layer <= c.layer {
		return c.sends, nil
	}
	c.layer = layer
	c.checkVisualization()
	if err := c.sendNotifyLayer(); err != nil {
		return nil, err
	}
	return c.sends, nil
}

// Tick runs what depends on time alone: a RequestKey for a key older than a
// week, a Resend for each gap last asked for Config.RetryAfter ago or more.
// With Config.MaxAsks set, a gap already asked for that many times aborts
// the chat instead ([ErrGapUnfilled], returned as the error). Call it after
// a restart and at least every RetryAfter while gaps are open.
func (c *Chat) Tick() ([][]byte, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if err := c.askDue(true); err != nil {
		if aborts(err) {
			c.abort(err)
		}
		return nil, err
	}
	c.maybeRekey()
	return c.sends, nil
}

// Wipe clears every key the chat holds, and the plaintexts it keeps. The
// Chat is unusable afterwards.
func (c *Chat) Wipe() {
	for _, k := range []*chatKey{c.cur, c.prev, c.next} {
		if k != nil {
			k.wipe()
		}
	}
	c.ex.wipe()
	for _, q := range c.queue {
		clear(q.body)
	}
	clear(c.rbuf[:cap(c.rbuf)])
	if c.aborted == nil {
		c.aborted = errors.New("secret: chat wiped")
	}
}

// envelope returns the header of our next message: the layer we can both
// read, v2 when that is at least 73.
func (c *Chat) envelope() Header {
	layer := min(c.layer, c.peerLayer)
	h := Header{Version: kdf.V1, Layer: layer,
		InSeqNo: int32(2*c.in) + int32(c.role.inParity()), OutSeqNo: int32(2*c.out) + int32(c.role.outParity())}
	if layer >= MTProto2Layer {
		h.Version = kdf.V2
	}
	return h
}

// sendBody encrypts body as the next message under the current key,
// stores it for Resend and queues it for the caller.
func (c *Chat) sendBody(body []byte) error {
	var buf []byte
	if n := len(c.free); n > 0 {
		buf, c.free = c.free[n-1], c.free[:n-1]
	}
	wire, err := c.cur.codec.Encrypt(buf, c.envelope(), body)
	if err != nil {
		return err
	}
	c.out++
	c.cur.sent++
	c.store(wire)
	c.sends = append(c.sends, wire)
	return nil
}

// sendAction encodes a service message around action: decryptedMessageService8
// while the peer is below layer 17 (base text, "Notifying the remote client
// about your local layer"), decryptedMessageService above.
func (c *Chat) sendAction(action e2e.DecryptedMessageActionClass) error {
	var r [8 + MinRandomBytes]byte
	if _, err := io.ReadFull(c.cfg.Rand, r[:]); err != nil {
		return err
	}
	id := int64(binary.LittleEndian.Uint64(r[:]))
	var msg e2e.DecryptedMessageClass
	if c.peerLayer < seqLayer {
		msg = &e2e.DecryptedMessageService8{RandomID: id, RandomBytes: r[8:], Action: action}
	} else {
		msg = &e2e.DecryptedMessageService{RandomID: id, Action: action}
	}
	c.tl.Reset()
	if err := msg.Encode(&c.tl); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedTL, err)
	}
	return c.sendBody(c.tl.Buf)
}

func (c *Chat) sendNotifyLayer() error {
	return c.sendAction(&e2e.DecryptedMessageActionNotifyLayer{Layer: int(c.layer)})
}

// raisePeerLayer stores a higher peer layer and answers it with our own
// (base text, case 2) unless the chat is younger than 15 s.
func (c *Chat) raisePeerLayer(layer int32) error {
	if layer <= c.peerLayer {
		return nil
	}
	c.peerLayer = layer
	c.checkVisualization()
	if layer >= seqLayer && c.now()-c.created >= int64(NotifyGrace) {
		return c.sendNotifyLayer()
	}
	return nil
}

// checkVisualization completes the key visualization with the key in use
// when both sides first reach layer 46.
func (c *Chat) checkVisualization() {
	if c.vis46 || min(c.layer, c.peerLayer) < visualLayer {
		return
	}
	v := c.cur.key.Visualization(c.cur.key)
	copy(c.vis[16:], v[16:])
	c.vis46 = true
}

// inParity and outParity are the x of in_seq_no and out_seq_no in the
// messages this role sends (docs/PROTOCOL.md section 5).
func (r Role) inParity() uint32 {
	if r == Originator {
		return 0
	}
	return 1
}

func (r Role) outParity() uint32 { return 1 - r.inParity() }
