package secret

import (
	cryptorand "crypto/rand"
	"fmt"
	"runtime"
	"testing"

	"github.com/secretbench/secretbench/internal/cputime"
)

// BenchmarkChat measures what the state machine adds to the pipeline per
// message, side by side: impl=pipeline is Codec.Encrypt / Codec.Decrypt
// with a fixed Header into a reused buffer; impl=chat is Chat.Send /
// Chat.Receive, which number, store (for Resend) and order the same
// message. Both use v2 at the current layer with the padding held at its
// minimum (as BenchmarkPipeline), randomness from crypto/rand for both, and
// no re-keying. size is the length of the
// text in a decryptedMessage. Besides wall time it reports cpu-ns/op, the
// thread CPU time per message, which the other processes of a shared
// machine disturb less.
func BenchmarkChat(b *testing.B) {
	for _, op := range []string{"send", "receive"} {
		for _, impl := range []string{"pipeline", "chat"} {
			b.Run(fmt.Sprintf("op=%s/impl=%s/size=1KiB", op, impl), func(b *testing.B) {
				benchChat(b, op, impl, 1024)
			})
		}
	}
}

func benchChat(b *testing.B, op, impl string, n int) {
	opts := []Option{WithMaxPadding(MinPadding + 15)}
	// Both draw random_bytes and padding from crypto/rand, the default.
	p := newChatPair(b, func(c *Config) { c.DH = nil; c.Options = opts; c.Rand = cryptorand.Reader })
	body := chatBody(b, 1, string(make([]byte, n)))
	tx := NewCodec(p.a.cur.key, Originator, opts...)
	rx := NewCodec(p.a.cur.key, Responder, opts...)
	h := p.a.envelope()
	wire, err := tx.Encrypt(nil, h, body)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, len(wire)+64)
	// The receiving chat gets a stream of distinct messages; it is wound
	// back (its in counter only) when the stream runs out.
	var stream [][]byte
	if op == "receive" && impl == "chat" {
		for range 1024 {
			out, err := p.a.Send(body)
			if err != nil {
				b.Fatal(err)
			}
			stream = append(stream, append([]byte(nil), out[0]...))
		}
	}
	if op == "send" && impl == "chat" {
		// Steady state: the store of sent messages is full and recycles.
		for range p.a.cfg.MaxStored + maxFreeBufs {
			if _, err := p.a.Send(body); err != nil {
				b.Fatal(err)
			}
		}
	}
	in0 := p.b.in
	runtime.GC()

	b.SetBytes(int64(n))
	b.ReportAllocs()
	// cpu-ns/op: thread CPU time per message, steadier than wall time on a
	// shared machine.
	defer cputime.StartThread().Report(b)
	i := 0
	switch impl + "/" + op {
	case "pipeline/send":
		for b.Loop() {
			if _, err := tx.Encrypt(buf[:0], h, body); err != nil {
				b.Fatal(err)
			}
		}
	case "chat/send":
		for b.Loop() {
			if _, err := p.a.Send(body); err != nil {
				b.Fatal(err)
			}
		}
	case "pipeline/receive":
		for b.Loop() {
			if _, _, err := rx.Decrypt(buf[:0], wire); err != nil {
				b.Fatal(err)
			}
		}
	case "chat/receive":
		for b.Loop() {
			if i == len(stream) {
				i = 0
				p.b.in = in0
			}
			if _, err := p.b.Receive(stream[i]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
}
