package tgsecrettest

import (
	"testing"

	"github.com/gotd/td/tg"
)

// BenchmarkRelay measures the server's round trip for one encrypted message:
// messages.sendEncrypted from one real gotd client, the qts log, the push and
// its arrival at the other client, one message at a time.
func BenchmarkRelay(b *testing.B) {
	s := New(b, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, c := start(b, s, alice, false), start(b, s, bob, false)
	ac, _ := chatPair(b, a, c)
	ctx := testCtx(b)
	data := message(0, 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := a.api.MessagesSendEncrypted(ctx, &tg.MessagesSendEncryptedRequest{Peer: input(ac), RandomID: randomID(), Data: data}); err != nil {
			b.Fatal(err)
		}
		next[*tg.UpdateNewEncryptedMessage](b, c)
	}
}
