package secret

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretbench/secretbench/internal/cputime"
	"github.com/secretbench/secretbench/internal/raceflag"
)

// AppendBinary appends exactly MarshalBinary's state, and stateSize sizes
// its buffer for every state.
func TestChatAppendBinary(t *testing.T) {
	for name, st := range chatStates(t) {
		c, err := RestoreChat(st, Config{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		prefix := []byte("prefix")
		got, err := c.AppendBinary(bytes.Clone(prefix))
		if err != nil || !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], st) {
			t.Fatalf("%s: AppendBinary differs from MarshalBinary (%v)", name, err)
		}
		if c.stateSize(false) < len(st) {
			t.Errorf("%s: stateSize %d < %d", name, c.stateSize(false), len(st))
		}
	}
}

// A caller that reuses its buffer allocates nothing per state.
func TestChatAppendBinaryAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocations differ under -race")
	}
	p := newChatPair(t, nil)
	for i := range 20 {
		p.send(p.a, int64(i+1))
	}
	buf, err := p.a.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		buf, err = p.a.AppendBinary(buf[:0])
	}); n != 0 || err != nil {
		t.Fatalf("%v allocations per AppendBinary (%v)", n, err)
	}
}

// sealChat appends to body (a state without its checksum) the checksum of
// its version, so that tests reach the parser behind it. A body the parser
// refuses gets SHA-256 (it is refused before any checksum is compared).
func sealChat(body []byte) []byte {
	out := bytes.Clone(body)
	if len(body) > len(chatMagic) && body[len(chatMagic)] >= digestsSince {
		if c, s, err := func() (c *Chat, s *stateIO, err error) {
			defer func() {
				if recover() != nil {
					err = ErrCorruptChat
				}
			}()
			return parseState(body, Config{})
		}(); err == nil {
			c.Wipe()
			return s.sum.Sum(out)
		}
	}
	sum := sha256.Sum256(body)
	return append(out, sum[:]...)
}

// A version 3 checksum covers the sent messages: a flipped bit in one, or
// a state resealed with the version 2 checksum, is refused; sealChat's is
// accepted.
func TestChatChecksumVersion3(t *testing.T) {
	p := newChatPair(t, nil)
	for i := range 3 {
		p.send(p.a, int64(i+1))
	}
	st, err := p.a.MarshalBinary()
	if err != nil || st[len(chatMagic)] != 3 {
		t.Fatalf("version %d: %v", st[len(chatMagic)], err)
	}
	body := st[:len(st)-sha256.Size]
	if !bytes.Equal(sealChat(body), st) {
		t.Fatal("sealChat differs from MarshalBinary")
	}
	last := p.a.sent.at(p.a.sent.n - 1)
	at := bytes.Index(body, last)
	if at < 0 {
		t.Fatal("sent message not found in the state")
	}
	bad := bytes.Clone(st)
	bad[at+len(last)/2] ^= 1
	if _, err := RestoreChat(bad, Config{}); !errors.Is(err, ErrCorruptChat) {
		t.Fatalf("flipped sent message: %v", err)
	}
	v2 := sha256.Sum256(body)
	if _, err := RestoreChat(append(bytes.Clone(body), v2[:]...), Config{}); !errors.Is(err, ErrCorruptChat) {
		t.Fatalf("version 2 checksum on a version 3 state: %v", err)
	}
}

// States written by version 2 (testdata/chat-v2-*.bin, written by the
// version 2 code: an originator that sent text messages 1..5 and a
// responder that received 1, 3 and 5, the gaps asked for at t0 and t0+5s,
// t0 = 1_700_000_000) restore, and are written back as version 3 states
// that restore to the same chat: testdata/chat-v3-*.bin, written by the
// version 3 code from the same chats, byte for byte.
func TestChatRestoreVersion2(t *testing.T) {
	for _, name := range []string{"originator", "responder"} {
		st, err := os.ReadFile("testdata/chat-v2-" + name + ".bin")
		if err != nil {
			t.Fatal(err)
		}
		if st[len(chatMagic)] != 2 {
			t.Fatalf("%s: not a version 2 state", name)
		}
		c, err := RestoreChat(st, Config{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := c.MarshalBinary()
		if err != nil || again[len(chatMagic)] != chatVersion {
			t.Fatalf("%s: re-marshalled: %v", name, err)
		}
		if v3, err := os.ReadFile("testdata/chat-v3-" + name + ".bin"); err != nil || !bytes.Equal(again, v3) {
			t.Fatalf("%s: differs from the version 3 state (%v)", name, err)
		}
		// The fields are those of version 2: only the version and the
		// checksum differ.
		if !bytes.Equal(again[len(chatMagic)+1:len(again)-sha256.Size], st[len(chatMagic)+1:len(st)-sha256.Size]) {
			t.Fatalf("%s: the fields changed", name)
		}
		d, err := RestoreChat(again, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if st2, _ := d.MarshalBinary(); !bytes.Equal(st2, again) {
			t.Fatalf("%s: the version 3 state does not round-trip", name)
		}
		switch name {
		case "originator":
			if d.out != 6 || d.sent.n != 6 {
				t.Fatalf("out %d, stored %d", d.out, d.sent.n)
			}
		case "responder":
			t0 := int64(1_700_000_000) * int64(time.Second)
			if d.in != 2 || len(d.queue) != 2 ||
				!slices.Equal(d.gaps, []gap{{first: 2, last: 2, at: t0, asks: 1}, {first: 4, last: 4, at: t0 + 5e9, asks: 1}}) {
				t.Fatalf("in %d, queued %d, gaps %v", d.in, len(d.queue), d.gaps)
			}
		}
	}
}

// The digests AppendBinary caches across saves give the checksum a chat
// without them computes, as messages are added (groups filling) and after
// the peer acknowledges some (the first group partial, groups dropped).
func TestChatChecksumCache(t *testing.T) {
	p := newChatPair(t, nil)
	check := func(what string) {
		t.Helper()
		st, err := p.a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		c, err := RestoreChat(st, Config{}) // checks the checksum
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if again, _ := c.MarshalBinary(); !bytes.Equal(again, st) {
			t.Fatalf("%s: a restored chat writes another state", what)
		}
	}
	var sent [][]byte
	for i := range 40 {
		sent = append(sent, p.send(p.a, int64(i+1))...)
		check(fmt.Sprint(i+1, " sent"))
	}
	for _, w := range sent[:21] {
		p.recv(p.b, w, OutcomeProcessed)
	}
	p.recv(p.a, p.send(p.b, 100)[0], OutcomeProcessed)
	if p.a.sent.n >= 40 {
		t.Fatalf("%d stored: nothing acknowledged", p.a.sent.n)
	}
	check("acknowledged")
	for i := range 20 {
		p.send(p.a, int64(200+i))
		check(fmt.Sprint(i+1, " more"))
	}
	for _, w := range sent[21:] {
		p.recv(p.b, w, OutcomeProcessed)
	}
	p.recv(p.a, p.send(p.b, 101)[0], OutcomeProcessed)
	check("acknowledged again")
}

// BenchmarkChatState: one save of a chat keeping kept sent messages for
// Resend (its peer silent), as a driver saves after every message, into a
// reused buffer. op=append-binary is the whole state (AppendBinary),
// op=append-core the core (AppendCore), whose kept messages the caller
// logs once each (SentWire) instead. op=send+... sends one message (a text
// of 100 bytes) first, which also drops the oldest kept one (Config.MaxStored
// is kept): the per-message cost of a one-way chat, encryption included.
// state-B is the size of what is saved.
func BenchmarkChatState(b *testing.B) {
	for _, op := range []string{"append-binary", "append-core", "send+append-binary", "send+append-core"} {
		for _, kept := range []int{10, 100, 1000} {
			b.Run(fmt.Sprintf("op=%s/kept=%d", op, kept), func(b *testing.B) {
				benchChatState(b, op, kept)
			})
		}
	}
}

func benchChatState(b *testing.B, op string, kept int) {
	// Config.MaxStored holds the kept messages at kept; the padding is at
	// its minimum, as in BenchmarkChat.
	p := newChatPair(b, func(c *Config) {
		c.DH, c.MaxStored, c.Options = nil, kept, []Option{WithMaxPadding(MinPadding + 15)}
	})
	p.recv(p.a, p.send(p.b, 1)[0], OutcomeProcessed) // acknowledges a's NotifyLayer
	body := chatBody(b, 1, string(make([]byte, 100)))
	for range kept {
		if _, err := p.a.Send(body); err != nil {
			b.Fatal(err)
		}
	}
	save := p.a.AppendBinary
	if strings.HasSuffix(op, "core") {
		save = p.a.AppendCore
	}
	buf, err := save(nil)
	if err != nil {
		b.Fatal(err)
	}
	send := strings.HasPrefix(op, "send+")
	if base, end := p.a.SentRange(); int(end-base) != kept {
		b.Fatalf("%d kept", end-base)
	}
	b.ReportAllocs()
	defer cputime.StartThread().Report(b)
	for b.Loop() {
		if send {
			if _, err := p.a.Send(body); err != nil {
				b.Fatal(err)
			}
		}
		if buf, err = save(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "state-B")
}
