package tgsecret

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotd/td/tg"
	"go.uber.org/zap"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/secret"
)

// Errors of the Manager's calls.
var (
	// ErrNotRunning: a call that needs the network before Run started.
	ErrNotRunning = errors.New("tgsecret: Manager.Run has not started")
	// ErrUnknownChat: no chat with that id.
	ErrUnknownChat = errors.New("tgsecret: unknown secret chat")
	// ErrChatState: the chat is not in the state the call needs (Accept of
	// a chat that is not a request, Send on a chat that is not ready...).
	ErrChatState = errors.New("tgsecret: secret chat in the wrong state")
	// ErrDHConfig: messages.getDhConfig answered something unusable
	// (dhConfigNotModified with nothing cached).
	ErrDHConfig = errors.New("tgsecret: unusable DH config from the server")
)

// Options configures a Manager. The zero value works: an in-memory store,
// no events, crypto/rand, re-keying on.
type Options struct {
	// Store keeps chats, qts and raw messages (NewMemStore() when nil).
	Store Store
	// OnEvent receives what happens, synchronously; see Event. It must not
	// block for long: incoming updates wait for it. It may call the Chat's
	// methods.
	OnEvent func(ctx context.Context, e Event)
	// Logger gets the events that are not the caller's business (dropped
	// packets, retries, bad input from the network). zap.NewNop() when nil.
	Logger *zap.Logger
	// Rand is the source of every random value (crypto/rand when nil).
	Rand io.Reader
	// Checker checks (g, p) of every DH config (a new in-memory Checker,
	// which knows Telegram's prime, when nil).
	Checker *dhcheck.Checker
	// Layer is our secret chat layer (secret.CurrentLayer when zero).
	Layer int32
	// NoRekey turns off re-keying: the chats answer requests with AbortKey
	// and never request.
	NoRekey bool
	// Now is the wall clock (time.Now when nil).
	Now func() time.Time
	// TickInterval is how often Run ticks the chats and retries what
	// waits (1 s when zero).
	TickInterval time.Duration
	// AckDelay is how long Run gathers processed messages before one
	// messages.receivedQueue (and one update state write) (20 ms when zero).
	AckDelay time.Duration
	// PollInterval makes Run ask updates.getDifference for encrypted
	// messages this often even without a gap, for pushes lost with nothing
	// after them (off when zero; a gap or a failure always triggers it).
	PollInterval time.Duration
	// RetryAfter is secret.Config.RetryAfter: how long a gap in a chat's
	// sequence waits before its Resend is repeated (10 s when zero).
	RetryAfter time.Duration
	// MaxAsks is secret.Config.MaxAsks: after that many Resend requests
	// for one gap the chat is aborted (EventAbort, secret.ErrGapUnfilled).
	// Zero: no bound.
	MaxAsks int
}

// Manager holds every secret chat of one account on a gotd/td client: it
// turns Telegram's updates into secret.Chat calls and secret.Chat's
// packets into Telegram calls. Make one with New, register it on the
// update dispatcher (Register) and on gotd's update manager (StateStorage),
// then call Run with the client's API once the client is signed in.
type Manager struct {
	opts    Options
	store   Store
	log     *zap.Logger
	rand    io.Reader
	randMu  sync.Mutex
	randBuf [8]byte // randInt64's, so that it allocates nothing
	checker *dhcheck.Checker

	mu     sync.Mutex
	api    *tg.Client
	runCtx context.Context
	chats  map[int]*Chat
	early  map[int]*tg.EncryptedChat // acceptances that overtook our request's answer
	dh     *dhConfig

	q        qtsState
	ackNow   chan struct{}
	ackAsked atomic.Bool    // kickAck signalled ackNow, and the ack it asked for has not started
	retryNow chan struct{}  // a chat became ready or known: its early messages wait
	readyGen atomic.Uint64  // counts kickRetry calls
	wg       sync.WaitGroup // goroutines started by Run's work (flushers)
}

// maxEarly bounds the acceptances kept for requests still in flight.
const maxEarly = 64

type dhConfig struct {
	g       int
	p       []byte
	version int
}

// New loads the store and returns a Manager with every saved chat.
func New(ctx context.Context, opts Options) (*Manager, error) {
	m := &Manager{
		opts:     opts,
		store:    opts.Store,
		log:      opts.Logger,
		rand:     opts.Rand,
		checker:  opts.Checker,
		chats:    map[int]*Chat{},
		early:    map[int]*tg.EncryptedChat{},
		ackNow:   make(chan struct{}, 1),
		retryNow: make(chan struct{}, 1),
	}
	if m.store == nil {
		m.store = NewMemStore()
	}
	if m.log == nil {
		m.log = zap.NewNop()
	}
	if m.rand == nil {
		m.rand = rand.Reader
	}
	if m.checker == nil {
		m.checker = dhcheck.NewChecker()
	}
	if m.opts.Now == nil {
		m.opts.Now = time.Now
	}
	if m.opts.TickInterval <= 0 {
		m.opts.TickInterval = time.Second
	}
	if m.opts.AckDelay <= 0 {
		m.opts.AckDelay = 20 * time.Millisecond
	}
	recs, err := m.store.LoadChats(ctx)
	if err != nil {
		if !onlyCorruptRecords(err) {
			return nil, fmt.Errorf("tgsecret: load chats: %w", err)
		}
		// One bad record must not take the account's other chats down.
		m.log.Error("secret chat records not restored", zap.Error(err))
	}
	for _, rec := range recs {
		c, err := m.restoreChat(rec)
		if err != nil {
			// One bad record must not take the account's other chats down.
			m.log.Error("secret chat not restored", zap.Int("chat_id", rec.ID), zap.Error(err))
			continue
		}
		m.chats[rec.ID] = c
	}
	if err := m.q.load(ctx, m.store); err != nil {
		return nil, err
	}
	return m, nil
}

// Register installs the Manager's handlers for updateEncryption,
// updateNewEncryptedMessage, updateEncryptedChatTyping and
// updateEncryptedMessagesRead on d.
func (m *Manager) Register(d tg.UpdateDispatcher) {
	d.OnEncryption(func(ctx context.Context, _ tg.Entities, u *tg.UpdateEncryption) error {
		return m.handleEncryption(ctx, u.Chat)
	})
	d.OnNewEncryptedMessage(func(ctx context.Context, _ tg.Entities, u *tg.UpdateNewEncryptedMessage) error {
		return m.handleEncryptedMessage(ctx, u.Message, u.Qts)
	})
	d.OnEncryptedChatTyping(func(ctx context.Context, _ tg.Entities, u *tg.UpdateEncryptedChatTyping) error {
		if c := m.Chat(u.ChatID); c != nil {
			m.emit(ctx, Event{Kind: EventTyping, Chat: c})
		}
		return nil
	})
	d.OnEncryptedMessagesRead(func(ctx context.Context, _ tg.Entities, u *tg.UpdateEncryptedMessagesRead) error {
		if c := m.Chat(u.ChatID); c != nil {
			m.emit(ctx, Event{Kind: EventRead, Chat: c, MaxDate: u.MaxDate})
		}
		return nil
	})
}

// Chat returns the chat with that id, or nil.
func (m *Manager) Chat(id int) *Chat {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.chats[id]
}

// Chats returns the chats that are not discarded, by id.
func (m *Manager) Chats() []*Chat {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Chat
	for _, c := range m.chats {
		if c.Status() != StatusDiscarded {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *Chat) int { return a.id - b.id })
	return out
}

func (m *Manager) emit(ctx context.Context, e Event) {
	if m.opts.OnEvent != nil {
		m.opts.OnEvent(ctx, e)
	}
}

// goRunning runs f in a goroutine that Run waits for, if Run is running.
func (m *Manager) goRunning(f func(ctx context.Context, api *tg.Client)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.api == nil {
		return false
	}
	api, ctx := m.api, m.runCtx
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f(ctx, api)
	}()
	return true
}

func (m *Manager) running() (*tg.Client, context.Context, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.api == nil {
		return nil, nil, ErrNotRunning
	}
	return m.api, m.runCtx, nil
}

// Run serves the chats until ctx ends: it processes raw messages left
// from before (a restart), sends what waits in the outboxes, acknowledges
// processed messages, ticks the chats (re-keys by age, repeated Resends),
// and refetches encrypted messages after a failure. api is the signed-in
// client's API. It returns ctx's error.
func (m *Manager) Run(ctx context.Context, api *tg.Client) error {
	m.mu.Lock()
	if m.api != nil {
		m.mu.Unlock()
		return errors.New("tgsecret: Manager.Run called twice")
	}
	m.api, m.runCtx = api, ctx
	chats := m.chatList()
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.api, m.runCtx = nil, nil
		m.mu.Unlock()
		// No call of ours may outlive Run: the client closes its
		// connection once Run has returned.
		m.wg.Wait()
	}()
	m.ackAsked.Store(false) // a previous Run may have left it set; the ack below covers it
	for _, c := range chats {
		c.tick(ctx)
		c.kick()
	}
	m.retryRaw(ctx)
	// What arrived while we were away (gotd's update manager asks too;
	// duplicates are dropped by the chats).
	m.refetch(ctx)
	m.ack(ctx)

	tick := time.NewTicker(m.opts.TickInterval)
	defer tick.Stop()
	var poll <-chan time.Time
	if m.opts.PollInterval > 0 {
		t := time.NewTicker(m.opts.PollInterval)
		defer t.Stop()
		poll = t.C
	}
	ackTimer := time.NewTimer(0)
	<-ackTimer.C
	ackArmed := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.ackNow:
			if !ackArmed {
				ackArmed = true
				ackTimer.Reset(m.opts.AckDelay)
			}
		case <-ackTimer.C:
			ackArmed = false
			m.ackAsked.Store(false) // before the ack: what comes after asks again
			m.ack(ctx)
		case <-m.retryNow:
			m.retryRaw(ctx)
		case <-tick.C:
			m.mu.Lock()
			chats := m.chatList()
			m.mu.Unlock()
			for _, c := range chats {
				c.tick(ctx)
			}
			m.retryRaw(ctx)
			if m.q.isLost() {
				m.refetch(ctx)
			}
			m.ack(ctx)
		case <-poll:
			m.refetch(ctx)
			m.ack(ctx)
		}
	}
}

func (m *Manager) chatList() []*Chat {
	out := make([]*Chat, 0, len(m.chats))
	for _, c := range m.chats {
		out = append(out, c)
	}
	return out
}

// randInt64 reads a random int64 from the Manager's source.
func (m *Manager) randInt64() (int64, error) {
	m.randMu.Lock()
	defer m.randMu.Unlock()
	if _, err := io.ReadFull(m.rand, m.randBuf[:]); err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(m.randBuf[:])), nil
}

// getDH runs messages.getDhConfig with the version/random protocol and
// checks (g, p) with the Checker before anything uses them: a config that
// fails is neither cached nor used.
func (m *Manager) getDH(ctx context.Context, api *tg.Client) (*secret.DH, []byte, error) {
	m.mu.Lock()
	cached := m.dh
	m.mu.Unlock()
	req := &tg.MessagesGetDhConfigRequest{RandomLength: 256}
	if cached != nil {
		req.Version = cached.version
	}
	res, err := api.MessagesGetDhConfig(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("tgsecret: messages.getDhConfig: %w", err)
	}
	var random []byte
	switch r := res.(type) {
	case *tg.MessagesDhConfig:
		if err := m.checker.CheckParams(r.G, r.P); err != nil {
			m.log.Warn("DH config refused", zap.Int("g", r.G), zap.Error(err))
			return nil, nil, fmt.Errorf("tgsecret: DH config refused: %w", err)
		}
		cached = &dhConfig{g: r.G, p: slices.Clone(r.P), version: r.Version}
		m.mu.Lock()
		m.dh = cached
		m.mu.Unlock()
		random = r.Random
	case *tg.MessagesDhConfigNotModified:
		if cached == nil {
			return nil, nil, ErrDHConfig
		}
		random = r.Random
	default:
		return nil, nil, fmt.Errorf("%w: %T", ErrDHConfig, res)
	}
	if len(random) != 256 {
		random = nil // secret XORs a server random only when it is whole
	}
	return &secret.DH{G: cached.g, P: cached.p, Rand: m.rand, Checker: m.checker}, random, nil
}

// Request asks user for a secret chat (messages.requestEncryption). The
// chat is StatusWaiting until the peer accepts (an EventState with
// StatusReady) or declines (StatusDiscarded).
func (m *Manager) Request(ctx context.Context, user tg.InputUserClass) (*Chat, error) {
	api, _, err := m.running()
	if err != nil {
		return nil, err
	}
	dh, random, err := m.getDH(ctx, api)
	if err != nil {
		return nil, err
	}
	ex, err := dh.Request(random)
	if err != nil {
		return nil, fmt.Errorf("tgsecret: key exchange: %w", err)
	}
	rid, err := m.randInt64()
	if err != nil {
		return nil, err
	}
	res, err := api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{
		UserID: user, RandomID: int(int32(rid)), GA: ex.GA()})
	if err != nil {
		ex.Wipe()
		return nil, fmt.Errorf("tgsecret: messages.requestEncryption: %w", err)
	}
	w, ok := res.(*tg.EncryptedChatWaiting)
	if !ok {
		ex.Wipe()
		return nil, fmt.Errorf("tgsecret: messages.requestEncryption answered %T", res)
	}
	blob, _ := ex.MarshalBinary()
	c := m.newChat(&ChatRecord{ID: w.ID, AccessHash: w.AccessHash, PeerID: w.ParticipantID, Originator: true,
		Status: StatusWaiting, Date: w.Date, G: dh.G, P: dh.P, Exchange: blob})
	c.ex = ex
	m.mu.Lock()
	if old := m.chats[w.ID]; old != nil {
		m.mu.Unlock()
		ex.Wipe()
		return nil, fmt.Errorf("tgsecret: the server reused chat id %d", w.ID)
	}
	m.chats[w.ID] = c
	early := m.early[w.ID]
	delete(m.early, w.ID)
	m.mu.Unlock()
	c.mu.Lock()
	err = c.saveLocked(ctx)
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("tgsecret: save chat: %w", err)
	}
	m.emit(ctx, Event{Kind: EventState, Chat: c, State: StatusWaiting})
	m.kickRetry() // messages that overtook the answer wait for the chat
	if early != nil {
		_ = m.handleEncryption(ctx, early)
	}
	return c, nil
}

// Accept accepts a requested chat (messages.acceptEncryption): it checks
// the DH config and g_a, makes the key and sends g_b with the key's
// fingerprint. The chat is ready when it returns.
func (m *Manager) Accept(ctx context.Context, id int) (*Chat, error) {
	api, _, err := m.running()
	if err != nil {
		return nil, err
	}
	c := m.Chat(id)
	if c == nil {
		return nil, ErrUnknownChat
	}
	c.mu.Lock()
	if c.rec.Status != StatusRequested || c.accepting {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrChatState, c.rec.Status)
	}
	c.accepting = true
	gA := c.rec.GA
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.accepting = false
		c.mu.Unlock()
	}()

	dh, random, err := m.getDH(ctx, api)
	if err != nil {
		return nil, err
	}
	gB, key, err := dh.Accept(gA, random)
	if err != nil {
		return nil, fmt.Errorf("tgsecret: key exchange: %w", err)
	}
	defer key.Wipe()
	res, err := api.MessagesAcceptEncryption(ctx, &tg.MessagesAcceptEncryptionRequest{
		Peer: c.inputPeer(), GB: gB, KeyFingerprint: key.Fingerprint()})
	if err != nil {
		return nil, fmt.Errorf("tgsecret: messages.acceptEncryption: %w", err)
	}
	if d, ok := res.(*tg.EncryptedChatDiscarded); ok {
		c.discarded(ctx, d.HistoryDeleted, nil)
		return nil, fmt.Errorf("%w: discarded by the peer", ErrChatState)
	}
	if err := c.start(ctx, key, secret.Responder, dh); err != nil {
		return nil, err
	}
	return c, nil
}

// Decline refuses a requested chat (messages.discardEncryption).
func (m *Manager) Decline(ctx context.Context, id int) error { return m.Discard(ctx, id, false) }

// Discard ends a chat (messages.discardEncryption, with delete_history if
// asked), wipes its keys and deletes its record.
func (m *Manager) Discard(ctx context.Context, id int, deleteHistory bool) error {
	api, _, err := m.running()
	if err != nil {
		return err
	}
	c := m.Chat(id)
	if c == nil {
		return ErrUnknownChat
	}
	if c.Status() == StatusDiscarded {
		return nil
	}
	if _, err := api.MessagesDiscardEncryption(ctx, &tg.MessagesDiscardEncryptionRequest{
		DeleteHistory: deleteHistory, ChatID: id}); err != nil {
		// Already discarded on the server is the outcome we wanted.
		m.log.Info("messages.discardEncryption", zap.Int("chat_id", id), zap.Error(err))
		if !isPermanent(err) {
			return fmt.Errorf("tgsecret: messages.discardEncryption: %w", err)
		}
	}
	c.discarded(ctx, deleteHistory, nil)
	return nil
}

func (m *Manager) newChat(rec *ChatRecord) *Chat {
	return &Chat{m: m, id: rec.ID, rec: *rec, wake: make(chan struct{}, 1)}
}

// chatConfig is the secret.Config of a chat made with (g, p).
func (m *Manager) chatConfig(g int, p []byte) secret.Config {
	cfg := secret.Config{Layer: m.opts.Layer, Rand: m.rand, Now: m.opts.Now, RetryAfter: m.opts.RetryAfter, MaxAsks: m.opts.MaxAsks}
	if !m.opts.NoRekey && len(p) > 0 {
		cfg.DH = &secret.DH{G: g, P: p, Checker: m.checker}
	}
	return cfg
}

func (m *Manager) restoreChat(rec *ChatRecord) (*Chat, error) {
	c := m.newChat(rec)
	switch rec.Status {
	case StatusReady:
		sc, err := secret.RestoreChatCore(rec.State, sentLookup(rec.Sent), m.chatConfig(rec.G, rec.P))
		if err != nil {
			return nil, err
		}
		c.sc = sc
		c.fp = sc.Fingerprint()
		c.sentEnd = loggedEnd(sc, rec.Sent)
	case StatusWaiting:
		c.ex = new(secret.Exchange)
		if err := c.ex.UnmarshalBinary(rec.Exchange); err != nil {
			return nil, err
		}
	case StatusRequested:
	default:
		return nil, fmt.Errorf("tgsecret: chat record in %v", rec.Status)
	}
	for _, p := range rec.Outbox {
		c.outbox = append(c.outbox, &outPacket{Packet: p})
	}
	c.rec.Outbox, c.rec.Sent = nil, nil
	return c, nil
}

// sentLookup serves secret.RestoreChatCore the wires of a sent log (in
// index order).
func sentLookup(log []SentPacket) func(uint32) ([]byte, bool) {
	return func(i uint32) ([]byte, bool) {
		j, found := slices.BinarySearchFunc(log, i, func(p SentPacket, i uint32) int { return cmp.Compare(p.Index, i) })
		if !found {
			return nil, false
		}
		return log[j].Wire, true
	}
}

// loggedEnd is the end of the sent messages of a restored chat that its
// sent log holds: all of them for a core state, none for a whole state
// saved by an earlier version (the next save logs them).
func loggedEnd(sc *secret.Chat, log []SentPacket) uint32 {
	base, end := sc.SentRange()
	for _, p := range log {
		if base < end && p.Index == base {
			base++
		}
	}
	return base
}

// handleEncryption handles updateEncryption: a request, the peer's
// acceptance of ours, or a discard.
func (m *Manager) handleEncryption(ctx context.Context, chat tg.EncryptedChatClass) error {
	switch u := chat.(type) {
	case *tg.EncryptedChatRequested:
		m.mu.Lock()
		if m.chats[u.ID] != nil {
			m.mu.Unlock()
			return nil // a repeated push
		}
		c := m.newChat(&ChatRecord{ID: u.ID, AccessHash: u.AccessHash, PeerID: u.AdminID,
			Status: StatusRequested, Date: u.Date, GA: slices.Clone(u.GA)})
		m.chats[u.ID] = c
		m.mu.Unlock()
		c.mu.Lock()
		err := c.saveLocked(ctx)
		c.mu.Unlock()
		if err != nil {
			return err
		}
		m.emit(ctx, Event{Kind: EventRequest, Chat: c, State: StatusRequested})
	case *tg.EncryptedChat:
		m.mu.Lock()
		c := m.chats[u.ID]
		if c == nil {
			// The acceptance may overtake the answer to our own request.
			if len(m.early) >= maxEarly {
				clear(m.early) // a flood of acceptances of chats nobody asked for
			}
			m.early[u.ID] = u
			m.mu.Unlock()
			return nil
		}
		m.mu.Unlock()
		c.mu.Lock()
		if c.rec.Status != StatusWaiting || c.ex == nil {
			c.mu.Unlock()
			return nil // ours as the acceptor, or repeated
		}
		// Taken out under the lock: a repeated push (or the same update
		// through getDifference) finds none and is ignored.
		ex := c.ex
		c.ex = nil
		dh := &secret.DH{G: c.rec.G, P: c.rec.P}
		c.mu.Unlock()
		defer ex.Wipe()
		key, err := ex.Complete(u.GAOrB, u.KeyFingerprint)
		if err != nil {
			// The protocol's answer to a bad g_b or fingerprint: discard.
			m.log.Warn("key exchange failed, discarding", zap.Int("chat_id", u.ID), zap.Error(err))
			m.discardAsync(c, fmt.Errorf("tgsecret: key exchange: %w", err))
			return nil
		}
		defer key.Wipe()
		return c.start(ctx, key, secret.Originator, dh)
	case *tg.EncryptedChatDiscarded:
		if c := m.Chat(u.ID); c != nil {
			c.discarded(ctx, u.HistoryDeleted, nil)
		}
	case *tg.EncryptedChatWaiting, *tg.EncryptedChatEmpty:
	default:
		m.log.Debug("unknown encrypted chat", zap.String("type", fmt.Sprintf("%T", chat)))
	}
	return nil
}

// discardAsync discards a chat that failed (key exchange, protocol
// abort): it ends here at once, and the server is told when it can be.
func (m *Manager) discardAsync(c *Chat, reason error) {
	c.discarded(context.Background(), false, reason)
	m.goRunning(func(ctx context.Context, api *tg.Client) {
		if _, err := api.MessagesDiscardEncryption(ctx, &tg.MessagesDiscardEncryptionRequest{ChatID: c.id}); err != nil {
			m.log.Info("messages.discardEncryption after abort", zap.Int("chat_id", c.id), zap.Error(err))
		}
	})
}
