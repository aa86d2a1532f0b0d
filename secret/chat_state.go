package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"maps"
	"math"
	"slices"
	"sync"

	"github.com/secretbench/secretbench/kdf"
)

// Persistence of a Chat. The state is
//
//	"SBCHAT" version(1) fields... checksum
//
// with every integer little-endian. The checksum makes any corruption (a
// flipped bit in a key included) an error instead of a chat that silently
// fails later. Up to version 2 it is SHA-256 of everything before it; from
// version 3, SHA-256 of the same bytes with the stored sent messages (with
// their lengths) replaced by one digest per group of sentGroup of them, by
// index: SHA-256 of each message's length and SHA-256. A chat saved after
// every message then hashes each sent message once and each group rarely
// (both cached), not the whole resend log (up to Config.MaxStored
// messages) in every state. The state holds the keys, the secret exponent of
// an exchange in flight, queued plaintexts and sent messages: store it as
// carefully as a key.
//
// A core (chat_core.go) is a state without the sent messages: its version
// byte has coreFlag set, and the "sent" field holds their count and the
// chain values that authenticate them instead of the messages.

const (
	chatMagic = "SBCHAT"
	// chatVersion 2 keeps each gap with its own retry deadline; version 1
	// (one deadline for all) still restores. Version 3 has the same fields
	// as 2 and the checksum over the sent messages' group digests.
	chatVersion = 3
)

// Abort reasons as stored, by version; one past the end is "any other".
var abortKinds = [...][]error{
	1: {nil, ErrSeqParity, ErrInSeqNo, ErrRekeyFailed},
	2: {nil, ErrSeqParity, ErrInSeqNo, ErrRekeyFailed, ErrResendUnavailable, ErrGapUnfilled},
	3: {nil, ErrSeqParity, ErrInSeqNo, ErrRekeyFailed, ErrResendUnavailable, ErrGapUnfilled},
}

// digestsSince is the first version whose checksum hashes sent messages
// through their digests.
const digestsSince = 3

// coreFlag, in the version byte, marks a core (Chat.AppendCore); coreSince
// is the first version that has one.
const (
	coreFlag  = 0x80
	coreSince = 3
)

// chatField is one field of the state, in order. MarshalBinary and restore
// both walk chatFields through a stateIO, so the format is written down
// once. A field exists in versions since..until (until 0: to the current).
type chatField struct {
	name         string
	since, until byte
	walk         func(s *stateIO, c *Chat)
}

var chatFields = []chatField{
	{"role", 1, 0, func(s *stateIO, c *Chat) { s.role(&c.role) }},
	{"layers", 1, 0, func(s *stateIO, c *Chat) { s.i32(&c.layer); s.i32(&c.peerLayer) }},
	{"created", 1, 0, func(s *stateIO, c *Chat) { s.i64(&c.created) }},
	{"abort", 1, 0, walkAbort},
	{"visualization", 1, 0, func(s *stateIO, c *Chat) { s.fixed(c.vis[:]); s.boolean(&c.vis46) }},
	{"keys", 1, 0, func(s *stateIO, c *Chat) {
		for _, k := range []**chatKey{&c.cur, &c.prev, &c.next} {
			walkKey(s, c, k)
		}
	}},
	{"stale", 1, 0, func(s *stateIO, c *Chat) {
		for i := range c.stale {
			s.i64(&c.stale[i])
		}
	}},
	{"exchange", 1, 0, walkExchange},
	{"counters", 1, 0, func(s *stateIO, c *Chat) {
		for _, v := range []*uint32{&c.in, &c.out, &c.peerIn, &c.askedTo, &c.sentBase} {
			s.u32(v)
		}
	}},
	// Version 1 counted Resends it could not serve; they now abort.
	{"unserved", 1, 1, func(s *stateIO, c *Chat) { var n uint32; s.u32(&n); s.check(n <= math.MaxInt32, "unserved count") }},
	{"asked at", 1, 1, func(s *stateIO, c *Chat) { s.i64(&s.askedAt) }},
	{"re-key after", 1, 0, func(s *stateIO, c *Chat) { s.i64(&c.rekeyAfter) }},
	{"peer saw", 2, 0, func(s *stateIO, c *Chat) { s.u32(&c.peerSaw); s.i64(&c.doubtAt) }},
	{"peer saw, version 1", 1, 1, func(s *stateIO, c *Chat) { c.peerSaw = c.peerIn }},
	{"consistency", 1, 0, func(s *stateIO, c *Chat) {
		s.check(c.cur != nil && c.ex.phase <= exCommitted &&
			(c.ex.phase == exRequested) == (s.exBlob != nil) &&
			(c.ex.phase == exAccepted) == (c.next != nil) &&
			(c.ex.phase == exCommitted) == (c.prev != nil) &&
			c.peerIn <= c.out && c.peerIn <= c.peerSaw && c.peerSaw <= c.out && c.sentBase <= c.out &&
			c.in <= 1<<30 && c.out <= 1<<30,
			"inconsistent keys or counters")
	}},
	{"queue", 1, 0, walkQueue},
	{"gaps", 2, 0, walkGaps},
	{"gaps of version 1", 1, 1, func(s *stateIO, c *Chat) {
		if s.reading {
			c.gapsFromQueue(s.askedAt)
		}
	}},
	{"sent", 1, 0, walkSent},
}

// MarshalBinary encodes the whole state of the chat: keys (current, and
// the old or the new one during a re-key) with their creation times (wall
// clock) and counters, layers, sequence counters, the exchange in flight
// with its secret exponent, queued messages, open gaps with their retry
// deadlines, and stored sent messages. The Config is not part of it.
func (c *Chat) MarshalBinary() ([]byte, error) { return c.AppendBinary(nil) }

// AppendBinary appends the state MarshalBinary returns to b and returns the
// extended buffer (encoding.BinaryAppender): a caller that persists after
// every message reuses one buffer instead of allocating a state each time.
// On error b is returned unchanged. The appended bytes hold keys: clear
// them when done.
func (c *Chat) AppendBinary(b []byte) ([]byte, error) { return c.appendState(b, false) }

// appendState appends the state, or with core the core, to b.
func (c *Chat) appendState(b []byte, core bool) ([]byte, error) {
	start := len(b)
	s := writers.Get().(*stateIO) // the walk through func values would move a local one to the heap
	h := s.sum
	h.Reset()
	defer func() { *s = stateIO{sum: h}; writers.Put(s) }()
	s.w, s.version, s.core, s.start = slices.Grow(b, c.stateSize(core)), chatVersion, core, start
	s.w = append(s.w, chatMagic...)
	if core {
		s.w = append(s.w, chatVersion|coreFlag)
	} else {
		s.w = append(s.w, chatVersion)
	}
	for _, f := range chatFields {
		if f.has(chatVersion) {
			f.walk(s, c)
		}
	}
	if s.err != nil {
		clear(s.w[start:])
		return b, s.err
	}
	s.hashTo(len(s.w) - start)
	return h.Sum(s.w), nil
}

var writers = sync.Pool{New: func() any { return &stateIO{sum: sha256.New()} }}

// stateSize is an upper bound of the size of the state (or core), so that
// AppendBinary and AppendCore grow their buffer at most once.
func (c *Chat) stateSize(core bool) int {
	n := 1280 + 3*sha256.Size
	if e := c.ex.req; e != nil {
		n += 16 + len(e.p) + len(e.a) + len(e.gA)
	}
	for _, q := range c.queue {
		n += 32 + len(q.body)
	}
	n += 16 * len(c.gaps)
	if core {
		return n
	}
	for i := range c.sent.n {
		n += 4 + len(c.sent.at(i))
	}
	return n
}

func (f *chatField) has(v byte) bool { return v >= f.since && (f.until == 0 || v <= f.until) }

// UnmarshalBinary restores a state written by MarshalBinary into c, keeping
// c's Config (a zero Chat gets the defaults of a zero Config; use
// RestoreChat to give one). A truncated, corrupt or inconsistent state is
// ErrCorruptChat and leaves c unchanged; it never panics. A core
// (Chat.AppendCore) is refused: restore it with RestoreChatCore.
func (c *Chat) UnmarshalBinary(data []byte) error {
	cfg := c.cfg
	n, err := restore(data, cfg, nil)
	if err != nil {
		return err
	}
	*c = *n
	return nil
}

// RestoreChat returns the Chat persisted in data, with cfg as its
// configuration (clock, randomness, DH parameters: they are not part of the
// state). States written by earlier versions of this package restore too.
// Call Tick after it: a key may have become a week old meanwhile, and gaps
// due. A core (Chat.AppendCore) is refused with ErrCorruptChat: it lacks
// the sent messages that RestoreChatCore is given.
func RestoreChat(data []byte, cfg Config) (*Chat, error) { return restore(data, cfg, nil) }

// restore restores a state, or, when sent is not nil, a state or a core
// whose kept sent messages sent returns.
func restore(data []byte, cfg Config, sent func(i uint32) ([]byte, bool)) (c *Chat, err error) {
	defer func() {
		if r := recover(); r != nil { // a second line of defence
			c, err = nil, fmt.Errorf("%w: %v", ErrCorruptChat, r)
		}
		if err != nil && c != nil {
			c.Wipe()
			c = nil
		}
	}()
	if len(data) < len(chatMagic)+2+sha256.Size {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorruptChat, len(data))
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	// Up to version 2, and in a core, the checksum is checked before
	// anything is parsed; from version 3 a full state's needs the sent
	// messages found, so it is checked after the walk (which takes hostile
	// input anyway: the checksum is no MAC).
	head := body[len(chatMagic)]
	core := head&coreFlag != 0
	if core && sent == nil {
		return nil, fmt.Errorf("%w: a chat core (written by Chat.AppendCore) without its sent messages: restore it with RestoreChatCore", ErrCorruptChat)
	}
	if head < digestsSince || core {
		if want := sha256.Sum256(body); subtle.ConstantTimeCompare(sum, want[:]) != 1 {
			return nil, fmt.Errorf("%w: checksum", ErrCorruptChat)
		}
	}
	c, s, err := parseState(body, cfg)
	if err != nil {
		return c, err
	}
	if s.version >= digestsSince && !s.core {
		if subtle.ConstantTimeCompare(sum, s.sum.Sum(nil)) != 1 {
			return c, fmt.Errorf("%w: checksum", ErrCorruptChat)
		}
	}
	if s.core {
		if err := c.restoreSent(s, sent); err != nil {
			return c, err
		}
	}
	// The exchange costs an exponentiation to restore: that waits until
	// everything else has parsed.
	if s.exBlob != nil {
		c.ex.req = new(Exchange)
		if err := c.ex.req.UnmarshalBinary(s.exBlob); err != nil {
			c.ex.req = nil
			return c, fmt.Errorf("%w: exchange", ErrCorruptChat)
		}
	}
	return c, nil
}

// parseState walks the fields of body, a state or a core without its
// checksum, into a new Chat; s.sum is then the checksum of body (of
// version 3, or of a core), and a core's chain values are in s.chain.
func parseState(body []byte, cfg Config) (c *Chat, s *stateIO, err error) {
	s = &stateIO{reading: true, reader: reader{b: body}, all: body, sum: sha256.New()}
	if string(s.bytes(len(chatMagic))) != chatMagic {
		return nil, s, fmt.Errorf("%w: not a chat state", ErrCorruptChat)
	}
	head := s.u8()
	s.version, s.core = head&^coreFlag, head&coreFlag != 0
	if s.version < 1 || s.version > chatVersion || s.core && s.version < coreSince {
		return nil, s, fmt.Errorf("%w: version %d (core %v)", ErrCorruptChat, s.version, s.core)
	}
	c = newChat(cfg)
	for _, f := range chatFields {
		if f.has(s.version) {
			if f.walk(s, c); s.err != nil {
				return c, s, fmt.Errorf("%w (%s)", s.err, f.name)
			}
		}
	}
	if len(s.b) != 0 {
		return c, s, fmt.Errorf("%w: trailing bytes", ErrCorruptChat)
	}
	s.hashTo(len(body))
	return c, s, nil
}

// stateIO reads or writes a state. Each method takes a pointer to the
// value: writing appends it, reading sets it. Reading, the first failure
// sets err (ErrCorruptChat) and every later read returns zeros.
type stateIO struct {
	reader
	w       []byte
	reading bool
	version byte
	core    bool // a core: the sent messages are held by the caller

	// A core's hash chain values (chat_core.go) at the first kept sent
	// message and past the last.
	chain [2][sha256.Size]byte

	exBlob  []byte // the exchange in flight, restored last
	askedAt int64  // version 1: one deadline for every gap

	// The version 3 checksum: sum has hashed the state up to offset hashed
	// (from start, where the state begins in w).
	sum           hash.Hash
	all           []byte // reading: the whole state
	start, hashed int
}

// at is the offset in the state reached so far.
func (s *stateIO) at() int {
	if s.reading {
		return len(s.all) - len(s.b)
	}
	return len(s.w) - s.start
}

// state returns the state's bytes from..to.
func (s *stateIO) state(from, to int) []byte {
	if s.reading {
		return s.all[from:to]
	}
	return s.w[s.start+from : s.start+to]
}

// hashTo feeds the checksum the state up to offset to.
func (s *stateIO) hashTo(to int) {
	s.sum.Write(s.state(s.hashed, to))
	s.hashed = to
}

func (s *stateIO) u32(v *uint32) {
	if s.reading {
		*v = s.reader.u32()
	} else {
		s.w = binary.LittleEndian.AppendUint32(s.w, *v)
	}
}

func (s *stateIO) u64(v *uint64) {
	if s.reading {
		*v = s.reader.u64()
	} else {
		s.w = binary.LittleEndian.AppendUint64(s.w, *v)
	}
}

func (s *stateIO) i32(v *int32) { u := uint32(*v); s.u32(&u); *v = int32(u) }
func (s *stateIO) i64(v *int64) { u := uint64(*v); s.u64(&u); *v = int64(u) }

func (s *stateIO) byte(v *byte) {
	if s.reading {
		*v = s.reader.u8()
	} else {
		s.w = append(s.w, *v)
	}
}

func (s *stateIO) boolean(v *bool) {
	if s.reading {
		*v = s.reader.bool()
	} else if *v {
		s.w = append(s.w, 1)
	} else {
		s.w = append(s.w, 0)
	}
}

func (s *stateIO) role(r *Role) {
	b := byte(*r)
	s.byte(&b)
	*r = Role(b)
	s.check(*r == Originator || *r == Responder, "role")
}

// fixed reads or writes len(b) bytes.
func (s *stateIO) fixed(b []byte) {
	if s.reading {
		copy(b, s.bytes(len(b)))
	} else {
		s.w = append(s.w, b...)
	}
}

// blob reads or writes a length-prefixed byte string of at most max bytes;
// reading, *b aliases the state (clone it to keep it).
func (s *stateIO) blob(b *[]byte, max int) {
	n := uint32(len(*b))
	s.u32(&n)
	if !s.reading {
		s.w = append(s.w, *b...)
		return
	}
	if s.err == nil && n > uint32(max) {
		s.fail("length")
	}
	*b = s.bytes(int(n))
}

// count reads or writes the number of items that follow; reading, more
// items than bytes left is corrupt.
func (s *stateIO) count(n *uint32, what string) {
	s.u32(n)
	s.check(!s.reading || *n <= uint32(len(s.b)), what)
}

// check fails the read when ok is false (writing, the state is ours).
func (s *stateIO) check(ok bool, what string) {
	if s.reading && !ok {
		s.fail(what)
	}
}

func (s *stateIO) fail(what string) {
	if s.err == nil {
		s.err = fmt.Errorf("%w: %s", ErrCorruptChat, what)
	}
}

func walkAbort(s *stateIO, c *Chat) {
	kinds := abortKinds[s.version]
	var code byte
	if c.aborted != nil {
		code = byte(len(kinds)) // any other reason
		for i, k := range kinds[1:] {
			if errors.Is(c.aborted, k) {
				code = byte(i + 1)
				break
			}
		}
	}
	s.byte(&code)
	if !s.reading {
		return
	}
	s.check(c.layer >= firstLayer && c.peerLayer >= firstLayer && int(code) <= len(kinds), "header")
	switch {
	case s.err != nil:
	case int(code) == len(kinds):
		c.aborted = &abortError{errors.New("secret: aborted before the state was saved")}
	case code > 0:
		c.aborted = &abortError{fmt.Errorf("%w (restored)", kinds[code])}
	}
}

func walkKey(s *stateIO, c *Chat, kp **chatKey) {
	k := *kp
	present := k != nil
	if s.boolean(&present); !present {
		return
	}
	if !s.reading {
		s.fixed(k.key.k[:])
		s.i64(&k.created)
		s.u32(&k.sent)
		s.u32(&k.recv)
		return
	}
	raw := s.bytes(KeySize)
	var n chatKey
	s.i64(&n.created)
	s.u32(&n.sent)
	s.u32(&n.recv)
	if s.err != nil {
		return
	}
	key, _ := NewKey(raw)
	*kp = c.newKey(key, n.created)
	(*kp).sent, (*kp).recv = n.sent, n.recv
}

func walkExchange(s *stateIO, c *Chat) {
	phase := byte(c.ex.phase)
	s.byte(&phase)
	c.ex.phase = exPhase(phase)
	s.i64(&c.ex.id)
	if s.reading {
		s.blob(&s.exBlob, 1<<16)
		if len(s.exBlob) == 0 {
			s.exBlob = nil
		}
		return
	}
	var req []byte
	if c.ex.req != nil {
		var err error
		if req, err = c.ex.req.MarshalBinary(); err != nil {
			s.err = err
			return
		}
	}
	s.blob(&req, 1<<16)
	clear(req)
}

func walkQueue(s *stateIO, c *Chat) {
	var keys []uint32
	if !s.reading && len(c.queue) > 0 {
		keys = slices.Sorted(maps.Keys(c.queue))
	}
	n := uint32(len(keys))
	s.count(&n, "queue length")
	for i := range n {
		if s.err != nil {
			return
		}
		var o uint32
		q := new(queued)
		if !s.reading {
			o = keys[i]
			q = c.queue[o]
		}
		s.u32(&o)
		v := byte(q.h.Version)
		s.byte(&v)
		q.h.Version = kdf.Version(v)
		s.i32(&q.h.Layer)
		s.i32(&q.h.InSeqNo)
		s.i32(&q.h.OutSeqNo)
		rb := uint32(q.h.RandomBytes)
		s.u32(&rb)
		q.h.RandomBytes = int(rb)
		s.i64(&q.fp)
		s.boolean(&q.served)
		s.blob(&q.body, math.MaxInt32)
		if !s.reading || s.err != nil {
			continue
		}
		q.body = slices.Clone(q.body)
		qo, qi, err := c.peerSeq(q.h)
		if s.version == 1 {
			c.peerSaw = max(c.peerSaw, qi) // not kept by version 1
		}
		// Receive's checks, and what it records of the message: past in
		// (else it was processed), behind a gap, acknowledging no more than
		// peerSaw.
		s.check(err == nil && qo == o && o > c.in && o < c.askedTo && qi <= c.peerSaw && c.queue[o] == nil &&
			(q.h.Version == kdf.V1 || q.h.Version == kdf.V2) && len(q.body) >= 4 && len(q.body)%4 == 0,
			"queued message")
		c.queue[o] = q
	}
}

func walkGaps(s *stateIO, c *Chat) {
	n := uint32(len(c.gaps))
	s.count(&n, "gaps")
	if s.reading && s.err == nil {
		c.gaps = make([]gap, n)
	}
	missing := uint64(0)
	for i := range n {
		if s.err != nil {
			return
		}
		g := &c.gaps[i]
		s.u32(&g.first)
		s.u32(&g.last)
		s.i64(&g.at)
		s.u32(&g.asks)
		s.check(g.first <= g.last && g.first >= c.in && g.last < c.askedTo && (i == 0 || g.first > c.gaps[i-1].last), "gap")
		for o := range c.queue {
			s.check(o < g.first || o > g.last, "gap over a queued message")
		}
		missing += uint64(g.last - g.first + 1)
	}
	// Every message from in to askedTo is queued or in a gap.
	s.check(c.askedTo <= c.in && missing+uint64(len(c.queue)) == 0 ||
		missing+uint64(len(c.queue)) == uint64(c.askedTo-c.in), "gaps do not cover the missing messages")
}

// gapsFromQueue rebuilds the gaps of a version 1 state, which kept one
// deadline (askedAt) for all of them: the runs between queued messages
// from in to askedTo.
func (c *Chat) gapsFromQueue(askedAt int64) {
	next := c.in
	add := func(end uint32) { // the run next..end-1
		if next < end {
			c.gaps = append(c.gaps, gap{first: next, last: end - 1, at: askedAt, asks: 1})
		}
	}
	for _, o := range slices.Sorted(maps.Keys(c.queue)) {
		add(o)
		next = o + 1
	}
	add(c.askedTo)
}

func walkSent(s *stateIO, c *Chat) {
	if s.core {
		walkSentChain(s, c)
		return
	}
	n := uint32(c.sent.n)
	s.count(&n, "sent messages")
	s.check(c.sentBase+n == c.out, "sent messages")
	digests := s.version >= digestsSince
	if digests && s.err == nil {
		s.hashTo(s.at()) // the state up to the messages
	}
	var g *groupHasher
	if s.reading && digests {
		g = new(groupHasher)
	}
	for i := range n {
		if s.err != nil {
			return
		}
		var m []byte
		if !s.reading {
			m = c.sent.at(int(i))
		}
		s.blob(&m, math.MaxInt32)
		if s.reading && s.err == nil {
			s.check(len(m) >= Overhead+16, "sent message")
			if g != nil {
				g.add(s.sum, c.sentBase+i, m)
			}
			c.sent.push(slices.Clone(m))
		}
	}
	if !digests || s.err != nil {
		return
	}
	if s.reading {
		g.flush(s.sum)
	} else {
		c.sentSums.write(s.sum, c)
	}
	s.hashed = s.at()
}

// reader reads the state; the first short read sets err and every later
// read returns zeros.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		if r.err == nil {
			r.err = fmt.Errorf("%w: truncated", ErrCorruptChat)
		}
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) bool() bool {
	v := r.u8()
	if v > 1 && r.err == nil {
		r.err = fmt.Errorf("%w: boolean %d", ErrCorruptChat, v)
	}
	return v == 1
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// sentGroup is how many sent messages, by index, share one digest in the
// version 3 checksum.
const sentGroup = 16

// groupHasher feeds a checksum the group digests of sent messages given in
// order: for each group (index / sentGroup), SHA-256 of each message's
// length (uint32) and SHA-256.
type groupHasher struct {
	h    hash.Hash
	j    uint32
	open bool
	buf  [4 + sha256.Size]byte
}

func (g *groupHasher) add(out hash.Hash, idx uint32, m []byte) {
	if g.open && idx/sentGroup != g.j {
		g.flush(out)
	}
	if !g.open {
		if g.h == nil {
			g.h = sha256.New()
		}
		g.h.Reset()
		g.j, g.open = idx/sentGroup, true
	}
	binary.LittleEndian.PutUint32(g.buf[:4], uint32(len(m)))
	d := sha256.Sum256(m)
	copy(g.buf[4:], d[:])
	g.h.Write(g.buf[:])
}

func (g *groupHasher) flush(out hash.Hash) {
	if g.open {
		out.Write(g.h.Sum(g.buf[:0]))
		g.open = false
	}
}

// sentDigests caches, for the version 3 checksum, the SHA-256 of each
// stored sent message (sums[i] is that of message base+i) and the digests
// of their groups, and for a core the hash chain values (chat_core.go)
// from the first stored message on (chain[i] is the value at index
// base+i). A stored message never changes, so each is hashed once however
// many states and cores include it, a state hashes 32 bytes per group of
// sentGroup messages (all but the first and last group cached), and a
// core one link per message sent since the last core.
type sentDigests struct {
	base   uint32
	sums   digestQueue
	chain  digestQueue
	groups map[uint32]groupDigest // by index / sentGroup
	h      hash.Hash
	buf    [4 + sha256.Size]byte
}

// advance forgets the digests of the messages acknowledged (or dropped
// past Config.MaxStored) since the last call. The chain is cut at the
// first stored message, or dropped when that one's value was never
// computed (chainEnds then starts it anew).
func (d *sentDigests) advance(c *Chat) {
	if c.sentBase < d.base {
		d.sums.clear()
		d.chain.clear()
	} else {
		k := int(c.sentBase - d.base)
		d.sums.drop(k)
		if k < d.chain.len() {
			d.chain.drop(k)
		} else {
			d.chain.clear()
		}
	}
	d.base = c.sentBase
}

// sum returns the SHA-256 of stored message base+i, hashing the messages
// up to it that were not yet.
func (d *sentDigests) sum(c *Chat, i int) *[sha256.Size]byte {
	for d.sums.len() <= i {
		d.sums.push(sha256.Sum256(c.sent.at(d.sums.len())))
	}
	return d.sums.at(i)
}

// digestQueue is a FIFO of digests. Dropping from the front leaves its
// array in place; a push into a full array first moves the digests left
// to its front if at least half of it was dropped, so a queue whose
// length stays bounded (by Config.MaxStored) stops allocating, at an
// amortized constant cost per digest.
type digestQueue struct {
	d   [][sha256.Size]byte
	off int // d[off:] are the digests
}

func (q *digestQueue) len() int                    { return len(q.d) - q.off }
func (q *digestQueue) at(i int) *[sha256.Size]byte { return &q.d[q.off+i] }
func (q *digestQueue) drop(n int)                  { q.off += min(n, q.len()) }
func (q *digestQueue) clear()                      { q.d, q.off = q.d[:0], 0 }

func (q *digestQueue) push(v [sha256.Size]byte) {
	if len(q.d) == cap(q.d) && 2*q.off >= len(q.d) {
		q.d, q.off = q.d[:copy(q.d, q.d[q.off:])], 0
	}
	q.d = append(q.d, v)
}

// groupDigest is the digest of a group's messages first..first+n-1.
type groupDigest struct {
	first, n uint32
	sum      [sha256.Size]byte
}

// write feeds h the group digests of c's sent messages.
func (d *sentDigests) write(h hash.Hash, c *Chat) {
	d.advance(c)
	if d.h == nil {
		d.h, d.groups = sha256.New(), map[uint32]groupDigest{}
	}
	end := c.sentBase + uint32(c.sent.n)
	for idx := c.sentBase; idx < end; {
		j := idx / sentGroup
		n := min((j+1)*sentGroup, end) - idx
		gd, ok := d.groups[j]
		if !ok || gd.first != idx || gd.n != n {
			gd = groupDigest{first: idx, n: n}
			d.h.Reset()
			for k := idx; k < idx+n; k++ {
				i := int(k - d.base)
				binary.LittleEndian.PutUint32(d.buf[:4], uint32(len(c.sent.at(i))))
				copy(d.buf[4:], d.sum(c, i)[:])
				d.h.Write(d.buf[:])
			}
			copy(gd.sum[:], d.h.Sum(d.buf[:0]))
			d.groups[j] = gd
		}
		copy(d.buf[:sha256.Size], gd.sum[:])
		h.Write(d.buf[:sha256.Size])
		idx += n
	}
	if len(d.groups) > c.sent.n/sentGroup+2 {
		for j := range d.groups {
			if j < c.sentBase/sentGroup || j > end/sentGroup {
				delete(d.groups, j)
			}
		}
	}
}
