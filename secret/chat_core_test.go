package secret

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gotd/td/tg/e2e"

	"github.com/secretbench/secretbench/internal/raceflag"
)

// sentLog is what a store keeps beside a core: copies of the kept sent
// messages by index.
type sentLog map[uint32][]byte

// logSent copies c's kept sent messages into a new log.
func logSent(c *Chat) sentLog {
	l := sentLog{}
	base, end := c.SentRange()
	for i := base; i < end; i++ {
		l[i] = bytes.Clone(c.SentWire(i))
	}
	return l
}

func (l sentLog) get(i uint32) ([]byte, bool) { w, ok := l[i]; return w, ok }

// restoreCore writes c's core, restores it with c's kept messages and checks
// the restored chat: the same full state as c, the same core, the messages
// asked for once each in order, none of them inside the core.
func restoreCore(t *testing.T, c *Chat, cfg Config) *Chat {
	t.Helper()
	core, err := c.AppendCore(nil)
	if err != nil {
		t.Fatal(err)
	}
	full, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	l := logSent(c)
	base, end := c.SentRange()
	var asked []uint32
	r, err := RestoreChatCore(core, func(i uint32) ([]byte, bool) { asked = append(asked, i); return l.get(i) }, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Collect(func(yield func(uint32) bool) {
		for i := base; i < end && yield(i); i++ {
		}
	}); !slices.Equal(asked, want) {
		t.Fatalf("asked for %v, want %v", asked, want)
	}
	if again, _ := r.MarshalBinary(); !bytes.Equal(again, full) {
		t.Fatal("the chat restored from the core has another state")
	}
	if again, _ := r.AppendCore(nil); !bytes.Equal(again, core) {
		t.Fatal("the chat restored from the core writes another core")
	}
	// The core is the state with the messages (each with its length)
	// replaced by the two chain values.
	kept := 0
	for _, w := range l {
		kept += 4 + len(w)
	}
	if len(full)-len(core) != kept-2*sha256.Size {
		t.Fatalf("core %d bytes, state %d, kept messages %d", len(core), len(full), kept)
	}
	return r
}

// resendOldest has the peer ask c for its oldest kept message onwards
// (the peer must not have received it) and returns what c sends back.
func resendOldest(t *testing.T, p *chatPair, c, peer *Chat) (ask []byte, r Receipt) {
	t.Helper()
	base, end := c.SentRange()
	if peer.in > base {
		t.Fatalf("the peer has %d messages, the oldest kept is %d", peer.in, base)
	}
	x := int(c.role.outParity())
	out, err := peer.SendAction(&e2e.DecryptedMessageActionResend{StartSeqNo: int(2*base) + x, EndSeqNo: int(2*(end-1)) + x})
	if err != nil {
		t.Fatal(err)
	}
	ask = bytes.Clone(out[0])
	return ask, p.recv(c, ask, OutcomeProcessed)
}

// A chat restored from its core and its kept messages is the same chat:
// the same state, the same core, and it serves a Resend of its oldest kept
// message as the original does, with the packets first sent; the
// conversation then goes on with it. Kept messages as the peer is silent,
// after it acknowledged some, across a re-key (the kept messages under
// both keys, and after it), and past MaxStored.
func TestChatCoreRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		setup func(t *testing.T, p *chatPair)
		// goesOn: the peer can receive everything the restored chat holds
		// (nothing forgotten past MaxStored).
		goesOn bool
	}{
		{"nothing kept", nil, func(t *testing.T, p *chatPair) {}, true},
		{"peer silent", nil, func(t *testing.T, p *chatPair) {
			for i := range 20 {
				p.send(p.a, int64(i+1))
			}
		}, true},
		{"acknowledged", nil, func(t *testing.T, p *chatPair) {
			var sent [][]byte
			for i := range 20 {
				sent = append(sent, p.send(p.a, int64(i+1))...)
			}
			for _, w := range sent[:12] {
				p.recv(p.b, w, OutcomeProcessed)
			}
			p.recv(p.a, p.send(p.b, 100)[0], OutcomeProcessed)
			if base, end := p.a.SentRange(); base != 13 || end != 21 {
				t.Fatalf("kept %d..%d after the acknowledgement", base, end)
			}
		}, true},
		{"within a re-key", nil, func(t *testing.T, p *chatPair) {
			r := p.recv(p.b, makeDue(t, p.a), OutcomeProcessed)
			r = p.recv(p.a, r.Send[0], OutcomeProcessed) // AcceptKey: a commits
			if p.a.prev == nil || len(r.Send) != 1 {
				t.Fatal("a did not commit")
			}
			for i := range 3 {
				p.send(p.a, int64(i+2)) // under the new key
			}
			base, end := p.a.SentRange()
			if k, _ := PeekFingerprint(p.a.SentWire(base)); end-base != 4 || k != p.a.prev.key.fp {
				t.Fatalf("kept %d..%d, the oldest not under the old key", base, end)
			}
		}, true},
		{"after re-keys", nil, func(t *testing.T, p *chatPair) {
			for i := range 3 {
				p.send(p.a, int64(i+1))
				rekey(t, p, p.a)
				p.send(p.a, int64(i+10))
			}
		}, true},
		{"past MaxStored", func(c *Config) { c.MaxStored = 5 }, func(t *testing.T, p *chatPair) {
			for i := range 12 {
				p.send(p.a, int64(i+1))
			}
			if base, end := p.a.SentRange(); base != 8 || end != 13 {
				t.Fatalf("kept %d..%d", base, end)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newChatPair(t, tc.edit)
			p.recv(p.a, p.send(p.b, 999)[0], OutcomeProcessed) // acknowledges a's NotifyLayer
			tc.setup(t, p)
			// Cores written along the way keep their chain cache warm.
			if _, err := p.a.AppendCore(nil); err != nil {
				t.Fatal(err)
			}
			base, end := p.a.SentRange()
			oldest := bytes.Clone(p.a.SentWire(base))
			r := restoreCore(t, p.a, p.cfg)
			if end == base {
				return
			}
			ask, want := resendOldest(t, p, p.a, p.b)
			got := p.recv(r, ask, OutcomeProcessed)
			if len(got.Send) != int(end-base) || !bytes.Equal(got.Send[0], oldest) {
				t.Fatalf("restored chat served %d packets, want %d from the oldest kept", len(got.Send), end-base)
			}
			for i := range want.Send {
				if !bytes.Equal(got.Send[i], want.Send[i]) {
					t.Fatalf("packet %d of the Resend differs", i)
				}
			}
			if s1, _ := p.a.MarshalBinary(); !bytes.Equal(s1, must(r.MarshalBinary())) {
				t.Fatal("the chats differ after the Resend")
			}
			if !tc.goesOn {
				return
			}
			// The peer gets what the restored chat resent and the two go on.
			p.a = restoreCore(t, r, p.cfg)
			p.deliverAll(p.b, got.Send)
			p.deliverAll(p.b, p.send(p.a, 1000))
			p.deliverAll(p.a, p.send(p.b, 1001))
			if p.b.in != p.a.out || p.a.in != p.b.out || len(p.b.queue) > 0 {
				t.Fatalf("a sent %d, b has %d in order (%d queued)", p.a.out, p.b.in, len(p.b.queue))
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The chain cache: cores written after every step (messages sent, some
// acknowledged, some dropped past MaxStored) and after several steps
// without one (the chain then starts anew), interleaved with full states
// (which share the messages' digests), always restore to the same chat.
func TestChatCoreChain(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.MaxStored = 40; c.DH = nil })
	var unread [][]byte
	id := int64(0)
	for step := range 60 {
		for range step % 7 {
			id++
			unread = append(unread, p.send(p.a, id)...)
		}
		if step%5 == 4 { // b reads some and answers
			n := len(unread) / 2
			p.deliverAll(p.b, unread[:n])
			unread = unread[n:]
			p.recv(p.a, p.send(p.b, id)[0], OutcomeProcessed)
		}
		if step%3 == 1 {
			continue // no save
		}
		if step%4 == 0 {
			if _, err := p.a.MarshalBinary(); err != nil {
				t.Fatal(err)
			}
		}
		restoreCore(t, p.a, p.cfg)
	}
	if base, _ := p.a.SentRange(); base == 0 {
		t.Fatal("nothing acknowledged or dropped")
	}
}

// A core's size does not grow with the kept messages.
func TestChatCoreSize(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.DH = nil }) // no exchange in the core
	small, err := p.a.AppendCore(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		p.send(p.a, int64(i+1))
	}
	big, err := p.a.AppendCore(nil)
	if err != nil {
		t.Fatal(err)
	}
	if base, end := p.a.SentRange(); len(big) != len(small) || end-base != 301 {
		t.Fatalf("core of %d bytes with %d kept, %d with one", len(big), end-base, len(small))
	}
}

// AppendCore into a reused buffer allocates nothing, nor does a Send and
// AppendCore after every message once the buffers have grown.
func TestChatAppendCoreAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocations differ under -race")
	}
	p := newChatPair(t, func(c *Config) { c.DH = nil }) // an exchange allocates
	for i := range 300 {
		p.send(p.a, int64(i+1))
	}
	buf, err := p.a.AppendCore(nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		buf, err = p.a.AppendCore(buf[:0])
	}); n != 0 || err != nil {
		t.Fatalf("%v allocations per AppendCore (%v)", n, err)
	}
	// A one-way chat saving after every message: each Send drops the
	// oldest kept message (MaxStored) and adds one to the chain.
	p = newChatPair(t, func(c *Config) { c.DH, c.MaxStored = nil, 64 })
	body := chatBody(t, 1, "one way")
	step := func() {
		if _, err := p.a.Send(body); err != nil {
			t.Fatal(err)
		}
		if buf, err = p.a.AppendCore(buf[:0]); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 * 64 {
		step()
	}
	if n := testing.AllocsPerRun(100, step); n != 0 {
		t.Fatalf("%v allocations per Send and AppendCore", n)
	}
	// An array reallocated now and then would vanish in that average:
	// the digests stay in the arrays they have.
	d := &p.a.sentSums
	sums, chain := &d.sums.d[:1][0], &d.chain.d[:1][0]
	for range 4096 {
		step()
	}
	if &d.sums.d[:1][0] != sums || &d.chain.d[:1][0] != chain {
		t.Fatal("the digest arrays were reallocated")
	}
}

// SentRange and SentWire: the range follows sends, acknowledgements and
// MaxStored; SentWire is each packet as sent, nil outside the range, and
// cannot be appended to in place.
func TestChatSentWire(t *testing.T) {
	p := newChatPair(t, func(c *Config) { c.MaxStored = 4 })
	if base, end := p.a.SentRange(); base != 0 || end != 1 { // NotifyLayer
		t.Fatalf("fresh: %d..%d", base, end)
	}
	var sent [][]byte
	for i := range 6 {
		sent = append(sent, p.send(p.a, int64(i+1))...)
		base, end := p.a.SentRange()
		if end != uint32(i+2) || end-base != uint32(min(i+2, 4)) {
			t.Fatalf("after %d sent: %d..%d", i+1, base, end)
		}
	}
	for i := uint32(0); i < 10; i++ {
		w := p.a.SentWire(i)
		if (i >= 3 && i < 7) != (w != nil) || w != nil && (!bytes.Equal(w, sent[i-1]) || cap(w) != len(w)) {
			t.Fatalf("SentWire(%d) = %d bytes", i, len(w))
		}
	}
	p.deliverAll(p.b, sent[:3])
	p.recv(p.b, sent[3], OutcomeProcessed)
	p.recv(p.a, p.send(p.b, 9)[0], OutcomeProcessed)
	if base, end := p.a.SentRange(); base != 5 || end != 7 || p.a.SentWire(4) != nil {
		t.Fatalf("acknowledged 0..4: %d..%d", base, end)
	}
}

// Every way a core and its messages can disagree is ErrCorruptChat and
// restores nothing: a message missing, altered, too short, of another chat
// or shifted by one; a core truncated, with a byte flipped, or resealed
// around altered chain values or count.
func TestChatCoreErrors(t *testing.T) {
	p := newChatPair(t, nil)
	for i := range 8 {
		p.send(p.a, int64(i+1))
	}
	core, err := p.a.AppendCore(nil)
	if err != nil {
		t.Fatal(err)
	}
	l := logSent(p.a)
	base, end := p.a.SentRange()
	// Another chat, under another key, that keeps the same indices and more.
	other, _, err := NewChat(chatTestKey(t, 2), Originator, p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if _, err := other.Send(chatBody(t, int64(i+1), "other")); err != nil {
			t.Fatal(err)
		}
	}
	if b, e := other.SentRange(); b > base || e != end {
		t.Fatalf("the other chat keeps %d..%d", b, e)
	}
	edit := func(f func(sentLog)) func(uint32) ([]byte, bool) {
		m := maps.Clone(l)
		f(m)
		return m.get
	}
	flip := func(i uint32, at int) func(sentLog) {
		return func(m sentLog) { m[i] = bytes.Clone(m[i]); m[i][at] ^= 1 }
	}
	check := func(name string, core []byte, sent func(uint32) ([]byte, bool), want string) {
		t.Helper()
		c, err := RestoreChatCore(core, sent, p.cfg)
		if !errors.Is(err, ErrCorruptChat) || c != nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrCorruptChat (%s)", name, err, want)
		}
	}
	const mismatch = "not those of the core"
	for name, sent := range map[string]func(uint32) ([]byte, bool){
		"nil":               nil,
		"first missing":     edit(func(m sentLog) { delete(m, base) }),
		"last missing":      edit(func(m sentLog) { delete(m, end-1) }),
		"first altered":     edit(flip(base, 40)),
		"last altered":      edit(flip(end-1, len(l[end-1])-1)),
		"fingerprint":       edit(flip(base+3, 0)),
		"one byte longer":   edit(func(m sentLog) { m[base+1] = append(bytes.Clone(m[base+1]), 0) }),
		"too short":         edit(func(m sentLog) { m[base+2] = m[base+2][:Overhead] }),
		"two swapped":       edit(func(m sentLog) { m[base], m[base+1] = m[base+1], m[base] }),
		"shifted by one":    func(i uint32) ([]byte, bool) { return l.get(i + 1) },
		"another chat's":    logSent(other).get,
		"another's, one":    edit(func(m sentLog) { m[base+4] = other.SentWire(base + 4) }),
		"caller's error":    func(uint32) ([]byte, bool) { return l[base], false },
		"empty but present": func(uint32) ([]byte, bool) { return nil, true },
	} {
		want := mismatch
		switch name {
		case "nil", "first missing", "last missing", "shifted by one", "caller's error":
			want = "missing"
		case "too short", "empty but present":
			want = "bytes"
		}
		check(name, core, sent, want)
	}
	body := core[:len(core)-sha256.Size]
	for n := range len(core) {
		check(fmt.Sprint("cut at ", n), core[:n], l.get, "")
		if n < len(body) {
			check(fmt.Sprint("cut at ", n, ", resealed"), sealChat(body[:n]), l.get, "")
		}
	}
	for i := range core {
		bad := bytes.Clone(core)
		bad[i] ^= 0x10
		check(fmt.Sprint("byte ", i, " flipped"), bad, l.get, "")
	}
	check("trailing byte", append(bytes.Clone(core), 0), l.get, "")
	// Behind a valid checksum: the chain values (the last 64 bytes) and
	// the count before them.
	for _, at := range []int{len(body) - 1, len(body) - sha256.Size - 1} {
		bad := bytes.Clone(body)
		bad[at] ^= 1
		check(fmt.Sprint("chain byte ", at, ", resealed"), sealChat(bad), l.get, mismatch)
	}
	bad := bytes.Clone(body)
	bad[len(body)-2*sha256.Size-4]++
	check("count, resealed", sealChat(bad), l.get, "sent messages")
	// The core's flag on a version before cores.
	bad = bytes.Clone(body)
	bad[len(chatMagic)] = 2 | coreFlag
	check("core of version 2", sealChat(bad), l.get, "version")
	if _, err := RestoreChatCore(core, l.get, p.cfg); err != nil {
		t.Fatalf("the intact core: %v", err)
	}
}

// RestoreChat and UnmarshalBinary refuse a core with an error naming
// RestoreChatCore, leaving the Chat unchanged.
func TestChatRestoreRefusesCore(t *testing.T) {
	p := newChatPair(t, nil)
	p.send(p.a, 1)
	core, err := p.a.AppendCore(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := RestoreChat(core, p.cfg)
	if !errors.Is(err, ErrCorruptChat) || c != nil || !strings.Contains(err.Error(), "RestoreChatCore") {
		t.Fatalf("RestoreChat of a core: %v", err)
	}
	z := *p.b
	if err := z.UnmarshalBinary(core); !errors.Is(err, ErrCorruptChat) || !strings.Contains(err.Error(), "RestoreChatCore") || z.role != p.b.role || z.out != p.b.out {
		t.Fatalf("UnmarshalBinary of a core: %v", err)
	}
}

// RestoreChatCore restores every full state as RestoreChat does, without
// asking for messages: the committed ones of versions 1, 2 and 3, and
// those of every phase of a re-key.
func TestChatRestoreCoreFullStates(t *testing.T) {
	states := chatStates(t)
	for _, name := range []string{"v1-originator", "v1-responder", "v2-originator", "v2-responder", "v3-originator", "v3-responder"} {
		st, err := os.ReadFile("testdata/chat-" + name + ".bin")
		if err != nil {
			t.Fatal(err)
		}
		states[name] = st
	}
	for name, st := range states {
		c, err := RestoreChat(st, Config{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := RestoreChatCore(st, func(i uint32) ([]byte, bool) {
			t.Fatalf("%s: asked for message %d", name, i)
			return nil, false
		}, Config{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want, got := must(c.MarshalBinary()), must(d.MarshalBinary()); !bytes.Equal(got, want) {
			t.Fatalf("%s: RestoreChatCore differs from RestoreChat", name)
		}
		// Its core, with its messages, restores it again.
		if name == "v3-originator" {
			if base, end := d.SentRange(); end-base != 6 {
				t.Fatalf("%s: %d kept", name, end-base)
			}
		}
		core, err := d.AppendCore(nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := RestoreChatCore(core, logSent(d).get, Config{})
		if err != nil || !bytes.Equal(must(e.MarshalBinary()), must(c.MarshalBinary())) {
			t.Fatalf("%s: its core does not restore it (%v)", name, err)
		}
	}
}

// FuzzRestoreChatCore: a core never panics the restore; one that restores
// writes itself back, and its full state. Inputs are tried as they are and
// with a correct checksum (sealChat), with the messages of the chat that
// wrote the seeds; full states go through as with RestoreChat.
func FuzzRestoreChatCore(f *testing.F) {
	p := newChatPair(f, nil)
	for i := range 5 {
		p.send(p.a, int64(i+1))
	}
	l := logSent(p.a)
	for _, c := range []*Chat{p.a, p.b} {
		core, err := c.AppendCore(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(core)
		f.Add(core[:len(core)-sha256.Size])
	}
	f.Add(must(p.a.MarshalBinary()))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, st := range [][]byte{data, sealChat(data)} {
			c, err := RestoreChatCore(st, l.get, Config{})
			if err != nil {
				if !errors.Is(err, ErrCorruptChat) {
					t.Fatalf("error %v is not ErrCorruptChat", err)
				}
				continue
			}
			full, err := c.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			core, err := c.AppendCore(nil)
			if err != nil {
				t.Fatal(err)
			}
			if st[len(chatMagic)]&coreFlag != 0 && !bytes.Equal(core, st) {
				t.Fatal("a restored core writes another")
			}
			d, err := RestoreChatCore(core, logSent(c).get, Config{})
			if err != nil || !bytes.Equal(must(d.MarshalBinary()), full) {
				t.Fatalf("a restored chat's core does not restore it (%v)", err)
			}
		}
	})
}

// A log ahead of the core restores (the core asks only for its range); the
// chat restored from the older core sends the indices past it again, with
// other bytes, which the log must then give instead of the first ones.
func TestChatCoreLogAhead(t *testing.T) {
	p := newChatPair(t, nil)
	p.send(p.a, 1)
	core, err := p.a.AppendCore(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, end := p.a.SentRange()
	p.send(p.a, 2) // logged, but its core lost
	l := logSent(p.a)
	c, err := RestoreChatCore(core, l.get, p.cfg)
	if err != nil {
		t.Fatalf("log ahead of the core: %v", err)
	}
	first := l[end]
	out, err := c.Send(chatBody(t, 2, "again"))
	if err != nil || bytes.Equal(out[0], first) || !bytes.Equal(out[0], c.SentWire(end)) {
		t.Fatalf("index %d sent again: %v", end, err)
	}
	core, err = c.AppendCore(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreChatCore(core, l.get, p.cfg); !errors.Is(err, ErrCorruptChat) {
		t.Fatalf("the first wire of a resent index: %v", err)
	}
	l[end] = bytes.Clone(c.SentWire(end))
	if _, err := RestoreChatCore(core, l.get, p.cfg); err != nil {
		t.Fatalf("the last wire of a resent index: %v", err)
	}
}
