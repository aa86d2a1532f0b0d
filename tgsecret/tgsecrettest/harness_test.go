package tgsecrettest

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// failAfter is how long a test waits for what must come: generous, because
// a key exchange on a loaded machine under -race can take many seconds. No
// test measures time.
const failAfter = 2 * time.Minute

// client is one running telegram.Client of a test, signed in, with the
// updates it received.
type client struct {
	t   testing.TB
	u   *tg.User
	api *tg.Client
	got chan tg.UpdateClass
}

// recorder is an update handler that hands every update on to a channel.
type recorder chan tg.UpdateClass

func (r recorder) Handle(ctx context.Context, u tg.UpdatesClass) error {
	var list []tg.UpdateClass
	switch u := u.(type) {
	case *tg.Updates:
		list = u.Updates
	case *tg.UpdatesCombined:
		list = u.Updates
	case *tg.UpdateShort:
		list = []tg.UpdateClass{u.Update}
	}
	for _, x := range list {
		select {
		case r <- x:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// start runs a client for u until the test ends. With manager set, updates
// go through gotd's updates.Manager (gap recovery with getDifference);
// otherwise the client sees the raw pushes.
func start(t testing.TB, s *Server, u *tg.User, manager bool) *client {
	t.Helper()
	c := &client{t: t, u: u, got: make(chan tg.UpdateClass, 10000)}
	var h telegram.UpdateHandler = recorder(c.got)
	var m *updates.Manager
	if manager {
		m = updates.New(updates.Config{Handler: h})
		h = m
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, u, telegram.Options{UpdateHandler: h}, func(ctx context.Context, tc *telegram.Client) error {
			c.api = tc.API()
			if m == nil {
				ready <- nil
				<-ctx.Done()
				return nil
			}
			// Run keeps the connection up until the manager has returned.
			err := m.Run(ctx, tc.API(), u.ID, updates.AuthOptions{OnStart: func(context.Context) { ready <- nil }})
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("client %s: %v", u.FirstName, err)
		}
	})
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-done:
		t.Fatalf("client %s ended: %v", u.FirstName, err)
	case <-time.After(failAfter):
		t.Fatalf("client %s: no sign-in after %v", u.FirstName, failAfter)
	}
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	t.Cleanup(cancel)
	return ctx
}

// next waits for the next update of type T, skipping others.
func next[T tg.UpdateClass](t testing.TB, c *client) T {
	t.Helper()
	timeout := time.After(failAfter)
	for {
		select {
		case u := <-c.got:
			if v, ok := u.(T); ok {
				return v
			}
		case <-timeout:
			var zero T
			t.Fatalf("%s: no %T within %v", c.u.FirstName, zero, failAfter)
			return zero
		}
	}
}

// none checks that no update arrives within d.
func none(t *testing.T, c *client, d time.Duration) {
	t.Helper()
	select {
	case u := <-c.got:
		t.Fatalf("%s: unexpected update %T", c.u.FirstName, u)
	case <-time.After(d):
	}
}

// wantErr checks that err is the RPC error msg.
func wantErr(t *testing.T, err error, msg string) {
	t.Helper()
	if e, ok := tgerr.As(err); !ok || (e.Message != msg && e.Type != msg) {
		t.Fatalf("got error %v, want %s", err, msg)
	}
}

// dhPublic returns g^x mod p for a fresh random x.
func dhPublic(t testing.TB) []byte {
	p := new(big.Int).SetBytes(DHPrime())
	x, err := rand.Int(rand.Reader, p)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 256)
	return new(big.Int).Exp(big.NewInt(3), x, p).FillBytes(b)
}

// chatPair opens an accepted secret chat from a to b and returns it as each
// side sees it.
func chatPair(t testing.TB, a, b *client) (ac, bc *tg.EncryptedChat) {
	t.Helper()
	ctx := testCtx(t)
	waiting, err := a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{
		UserID:   &tg.InputUser{UserID: b.u.ID, AccessHash: b.u.AccessHash},
		RandomID: int(randomID()),
		GA:       dhPublic(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	req := next[*tg.UpdateEncryption](t, b).Chat.(*tg.EncryptedChatRequested)
	if req.ID != waiting.GetID() {
		t.Fatalf("requested chat %d, waiting chat %d", req.ID, waiting.GetID())
	}
	acc, err := b.api.MessagesAcceptEncryption(ctx, &tg.MessagesAcceptEncryptionRequest{
		Peer:           tg.InputEncryptedChat{ChatID: req.ID, AccessHash: req.AccessHash},
		GB:             dhPublic(t),
		KeyFingerprint: randomID(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ac = next[*tg.UpdateEncryption](t, a).Chat.(*tg.EncryptedChat)
	return ac, acc.(*tg.EncryptedChat)
}

var (
	randMu  sync.Mutex
	randSeq int64
)

// randomID returns a fresh random_id.
func randomID() int64 {
	randMu.Lock()
	defer randMu.Unlock()
	randSeq++
	return randSeq<<20 | 0x5ec
}

func input(c *tg.EncryptedChat) tg.InputEncryptedChat {
	return tg.InputEncryptedChat{ChatID: c.ID, AccessHash: c.AccessHash}
}

// message returns well-formed encrypted bytes (fingerprint, msg_key, n
// blocks) whose first block carries tag.
func message(tag byte, blocks int) []byte {
	b := make([]byte, 24+16*blocks)
	b[24] = tag
	return b
}
