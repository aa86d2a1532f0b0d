package tgsecret

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tg/e2e"

	"github.com/secretbench/secretbench/secret"
	"github.com/secretbench/secretbench/tgsecret/tgsecrettest"
)

// processCPU is the CPU time of the whole process (every goroutine: both
// clients, and the server where there is one), in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkDriver measures one message (a short text, sent by one side
// and delivered to the other, the two sides alternating) at five depths:
//
//   - impl=chat: secret.Chat.SendMessage and Receive alone (the codec and
//     the state machine), both sides in one goroutine;
//   - impl=budget: what the driver is allowed to add to impl=chat, in one
//     goroutine: the TL encoding and decoding of the wire (the
//     messages.sendEncrypted request, the updateNewEncryptedMessage in
//     Updates) and one MemStore save of the sender's record (its core
//     state and its new sent log entries);
//   - impl=ordered: impl=budget with the writes the receiving order
//     requires on top (store the raw message, process it, save the
//     receiver's record and delete the raw copy in one SaveProcessed):
//     three writes per message, as the driver makes;
//   - impl=driver: the whole driver, two Managers on the in-process fake
//     server (no MTProto, no network): TL encoding of the RPCs and updates,
//     the store writes, the outbox, events;
//   - impl=tgsecrettest: the driver with two gotd/td clients over MTProto on
//     the test server (transport encryption, loopback TCP, the server).
//
// cpu-ns/op is process CPU time per message; writes/op the MemStore calls
// that changed it (both sides), wbytes/op the bytes they wrote
// (MemStore.WrittenBytes). driver minus chat is the driver's own cost,
// driver minus budget what it costs above the target, driver minus ordered
// what it costs beyond its writes (the hand-offs between goroutines).
// Re-keying is off in all of them (impl=chat has no DH): its cost, two
// 2048-bit exponentiations per side every 100 messages, is secret's.
func BenchmarkDriver(b *testing.B) {
	b.Run("impl=chat", func(b *testing.B) { benchInline(b, depthChat) })
	b.Run("impl=budget", func(b *testing.B) { benchInline(b, depthBudget) })
	b.Run("impl=ordered", func(b *testing.B) { benchInline(b, depthOrdered) })
	b.Run("impl=driver", func(b *testing.B) {
		s := newFakeServer()
		sa, sb := NewMemStore(), NewMemStore()
		oa, ob := Options{NoRekey: true}, Options{NoRekey: true}
		ea, eb := newBenchEvents(&oa), newBenchEvents(&ob)
		a := startFake(b, s, 1, sa, oa)
		c := startFake(b, s, 2, sb, ob)
		a.rec, c.rec = ea.rec, eb.rec
		ca, cb := openFake(b, a, c)
		runBench(b, ca, cb, ea, eb, sa, sb)
	})
	b.Run("impl=tgsecrettest", func(b *testing.B) {
		srv := tgsecrettest.New(b, tgsecrettest.Options{})
		alice, bob := srv.AddUser("alice"), srv.AddUser("bob")
		sa, sb := NewMemStore(), NewMemStore()
		oa, ob := Options{NoRekey: true}, Options{NoRekey: true}
		ea, eb := newBenchEvents(&oa), newBenchEvents(&ob)
		a := startTG(b, srv, alice, sa, oa)
		bc := startTG(b, srv, bob, sb, ob)
		a.rec, bc.rec = ea.rec, eb.rec
		ca, cb := openTG(b, a, bc)
		runBench(b, ca, cb, ea, eb, sa, sb)
	})
}

// benchPair returns two secret.Chats that completed their first exchange.
func benchPair(b *testing.B) (a, c *secret.Chat) {
	raw := make([]byte, secret.KeySize)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	key, _ := secret.NewKey(raw)
	a, pa, _ := secret.NewChat(key, secret.Originator, secret.Config{})
	pa = clonePackets(pa)
	c, pb, _ := secret.NewChat(key, secret.Responder, secret.Config{})
	if _, err := c.Receive(pa[0]); err != nil {
		b.Fatal(err)
	}
	if _, err := a.Receive(pb[0]); err != nil {
		b.Fatal(err)
	}
	return a, c
}

// inlineDepth is how much of the driver's work an in-goroutine benchmark
// adds to secret.Chat.
type inlineDepth int

const (
	depthChat    inlineDepth = iota // secret.Chat alone
	depthBudget                     // + the TL encoding of the wire and the sender's save
	depthOrdered                    // + the receiver's PutRaw and SaveProcessed
)

// benchInline runs impl=chat, impl=budget or impl=ordered: both sides in
// one goroutine, messages alternating.
func benchInline(b *testing.B, depth inlineDepth) {
	a, c := benchPair(b)
	store := NewMemStore()
	peer := tg.InputEncryptedChat{ChatID: 1, AccessHash: 2}
	var (
		state   []byte
		sent    []SentPacket
		logged  = map[*secret.Chat]uint32{}
		buf     bin.Buffer
		raw     bin.Buffer
		chatIDs = map[*secret.Chat]int{a: 1, c: 2}
		req     tg.MessagesSendEncryptedRequest
		ctx     = context.Background()
		w0, wb0 = store.Writes(), store.WrittenBytes()
	)
	// save writes c's record as the driver does: its core and the new
	// entries of its sent log, with the raw message it processed (0: none).
	save := func(c *secret.Chat, rawID uint64) {
		var err error
		state, err = c.AppendCore(state[:0])
		if err != nil {
			b.Fatal(err)
		}
		base, end := c.SentRange()
		sent = sent[:0]
		for j := max(base, logged[c]); j < end; j++ {
			sent = append(sent, SentPacket{Index: j, Wire: c.SentWire(j)})
		}
		rec := ChatRecord{ID: chatIDs[c], Status: StatusReady, State: state, Sent: sent, SentBase: base}
		if rawID == 0 {
			err = store.SaveChat(ctx, &rec)
		} else {
			err = store.SaveProcessed(ctx, &rec, rawID)
		}
		if err != nil {
			b.Fatal(err)
		}
		logged[c] = end
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from, to := a, c
		if i%2 == 1 {
			from, to = c, a
		}
		p, err := from.SendMessage(&e2e.DecryptedMessage{RandomID: int64(i), Message: "a short message"})
		if err != nil {
			b.Fatal(err)
		}
		wire := p[0]
		if depth >= depthBudget {
			save(from, 0)
			// messages.sendEncrypted, to the server and decoded there.
			buf.Reset()
			if err := (&tg.MessagesSendEncryptedRequest{Peer: peer, RandomID: int64(i), Data: wire}).Encode(&buf); err != nil {
				b.Fatal(err)
			}
			if err := req.Decode(&buf); err != nil {
				b.Fatal(err)
			}
			// updateNewEncryptedMessage, from the server and decoded here.
			buf.Reset()
			up := &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateNewEncryptedMessage{Qts: i + 1,
				Message: &tg.EncryptedMessage{RandomID: req.RandomID, ChatID: req.Peer.ChatID, Date: 1, Bytes: req.Data, File: &tg.EncryptedFileEmpty{}}}},
				Users: []tg.UserClass{}, Chats: []tg.ChatClass{}, Date: 1}
			if err := up.Encode(&buf); err != nil {
				b.Fatal(err)
			}
			got, err := tg.DecodeUpdates(&buf)
			if err != nil {
				b.Fatal(err)
			}
			msg := got.(*tg.Updates).Updates[0].(*tg.UpdateNewEncryptedMessage).Message.(*tg.EncryptedMessage)
			if depth >= depthOrdered {
				// The raw message, TL encoded, stored before it is processed.
				raw.Reset()
				if err := msg.Encode(&raw); err != nil {
					b.Fatal(err)
				}
				if err := store.PutRaw(ctx, RawMessage{ID: uint64(i + 1), Qts: i + 1, Data: raw.Buf}); err != nil {
					b.Fatal(err)
				}
			}
			wire = msg.Bytes
		}
		if r, err := to.Receive(wire); err != nil || len(r.Messages) != 1 {
			b.Fatal(err)
		}
		if depth >= depthOrdered {
			save(to, uint64(i+1))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	if depth >= depthBudget {
		b.ReportMetric(float64(store.Writes()-w0)/float64(b.N), "writes/op")
		b.ReportMetric(float64(store.WrittenBytes()-wb0)/float64(b.N), "wbytes/op")
		b.ReportMetric(float64(len(state)), "state-bytes")
	}
}

func clonePackets(p [][]byte) [][]byte {
	out := make([][]byte, len(p))
	for i, w := range p {
		out[i] = append([]byte(nil), w...)
	}
	return out
}

// benchEvents counts a Manager's text messages instead of keeping them (a
// recorder would grow with b.N, and its cost with it) and hands the other
// events to rec, which accepts chat requests (openFake, openTG).
type benchEvents struct {
	rec   *recorder
	texts atomic.Int64
}

// newBenchEvents makes opts report to a new benchEvents.
func newBenchEvents(opts *Options) *benchEvents {
	e := &benchEvents{rec: newRecorder()}
	opts.OnEvent = e.onEvent
	return e
}

func (e *benchEvents) onEvent(ctx context.Context, ev Event) {
	if ev.Kind == EventMessage && ev.Message.Action == nil {
		e.texts.Add(1)
		return
	}
	e.rec.OnEvent(ctx, ev)
}

func runBench(b *testing.B, ca, cb *Chat, ea, eb *benchEvents, sa, sb *MemStore) {
	ctx := context.Background()
	var na, nb int64
	ta, tb := ea.texts.Load(), eb.texts.Load()
	w0 := sa.Writes() + sb.Writes()
	wb0 := sa.WrittenBytes() + sb.WrittenBytes()
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := ca
		if i%2 == 1 {
			from = cb
			na++
		} else {
			nb++
		}
		if _, err := from.SendText(ctx, "a short message"); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for eb.texts.Load()-tb < nb || ea.texts.Load()-ta < na {
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d/%d and %d/%d", eb.texts.Load()-tb, nb, ea.texts.Load()-ta, na)
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(sa.Writes()+sb.Writes()-w0)/float64(b.N), "writes/op")
	b.ReportMetric(float64(sa.WrittenBytes()+sb.WrittenBytes()-wb0)/float64(b.N), "wbytes/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if recs, _ := sa.LoadChats(ctx); len(recs) == 1 {
		b.ReportMetric(float64(len(recs[0].State)), "state-bytes")
	}
}
