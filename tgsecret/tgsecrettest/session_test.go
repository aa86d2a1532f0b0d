package tgsecrettest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"

	"github.com/secretbench/secretbench/dhcheck"
)

// TestUnauthorized: before sign-in, methods that need an account get 401;
// a wrong code or phone is refused; an unknown method gets an RPC error; the
// DH config follows the version/random protocol.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice := s.AddUser("Alice")
	c := telegram.NewClient(AppID, AppHash, s.Options(telegram.Options{}))
	err := c.Run(testCtx(t), func(ctx context.Context) error {
		api := c.API()
		_, err := api.UpdatesGetState(ctx)
		wantErr(t, err, "AUTH_KEY_UNREGISTERED")
		_, err = api.MessagesGetDhConfig(ctx, &tg.MessagesGetDhConfigRequest{RandomLength: 256})
		wantErr(t, err, "AUTH_KEY_UNREGISTERED")

		_, err = api.AuthSendCode(ctx, &tg.AuthSendCodeRequest{PhoneNumber: "123", APIID: AppID, APIHash: AppHash})
		wantErr(t, err, tg.ErrPhoneNumberInvalid)
		sent, err := api.AuthSendCode(ctx, &tg.AuthSendCodeRequest{PhoneNumber: alice.Phone, APIID: AppID, APIHash: AppHash})
		if err != nil {
			return err
		}
		hash := sent.(*tg.AuthSentCode).PhoneCodeHash
		_, err = api.AuthSignIn(ctx, &tg.AuthSignInRequest{PhoneNumber: alice.Phone, PhoneCodeHash: hash, PhoneCode: "11111"})
		wantErr(t, err, tg.ErrPhoneCodeInvalid)
		_, err = api.AuthSignIn(ctx, &tg.AuthSignInRequest{PhoneNumber: alice.Phone, PhoneCodeHash: "x", PhoneCode: loginCode})
		wantErr(t, err, "PHONE_CODE_HASH_INVALID")

		if err := SignIn(ctx, api, alice); err != nil {
			return err
		}
		if _, err := api.UpdatesGetState(ctx); err != nil {
			return err
		}
		checkDHConfig(t, s, api)
		// A method the server does not serve answers at once.
		_, err = api.MessagesGetDialogs(ctx, &tg.MessagesGetDialogsRequest{OffsetPeer: &tg.InputPeerEmpty{}, Limit: 10})
		wantErr(t, err, "INPUT_METHOD_INVALID")

		if _, err := api.AuthLogOut(ctx); err != nil {
			return err
		}
		_, err = api.UpdatesGetState(ctx)
		wantErr(t, err, "AUTH_KEY_UNREGISTERED")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkDHConfig checks the version/random protocol of messages.getDhConfig
// and SetDHConfig.
func checkDHConfig(t *testing.T, s *Server, api *tg.Client) {
	ctx := testCtx(t)
	cfg, err := api.MessagesGetDhConfig(ctx, &tg.MessagesGetDhConfigRequest{RandomLength: 256})
	if err != nil {
		t.Fatal(err)
	}
	dh := cfg.(*tg.MessagesDhConfig)
	if dh.G != 3 || !bytes.Equal(dh.P, DHPrime()) || len(dh.Random) != 256 {
		t.Fatalf("config g=%d len(p)=%d len(random)=%d", dh.G, len(dh.P), len(dh.Random))
	}
	if err := dhcheck.NewChecker().CheckParams(dh.G, dh.P); err != nil {
		t.Fatalf("the default DH config fails dhcheck: %v", err)
	}
	same, err := api.MessagesGetDhConfig(ctx, &tg.MessagesGetDhConfigRequest{Version: dh.Version, RandomLength: 16})
	if err != nil {
		t.Fatal(err)
	}
	nm, ok := same.(*tg.MessagesDhConfigNotModified)
	if !ok || len(nm.Random) != 16 {
		t.Fatalf("same version: %#v", same)
	}
	if bytes.Equal(nm.Random, dh.Random[:16]) {
		t.Fatal("the random part repeats")
	}

	bad := DHPrime()
	bad[len(bad)-1] ^= 2
	s.SetDHConfig(2, bad)
	cfg, err = api.MessagesGetDhConfig(ctx, &tg.MessagesGetDhConfigRequest{Version: dh.Version, RandomLength: 0})
	if err != nil {
		t.Fatal(err)
	}
	nd := cfg.(*tg.MessagesDhConfig)
	if nd.G != 2 || !bytes.Equal(nd.P, bad) || nd.Version == dh.Version || len(nd.Random) != 0 {
		t.Fatalf("replaced config %+v", nd)
	}
	_, err = api.MessagesGetDhConfig(ctx, &tg.MessagesGetDhConfigRequest{RandomLength: -1})
	wantErr(t, err, tg.ErrRandomLengthInvalid)
	_, err = api.MessagesGetDhConfig(ctx, &tg.MessagesGetDhConfigRequest{RandomLength: maxRandomLength + 1})
	wantErr(t, err, tg.ErrRandomLengthInvalid)
}

// TestDisconnect: Disconnect cuts the client, which reconnects by itself on
// a new session; pushes reach it there, and its RPCs work.
func TestDisconnect(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, b := start(t, s, alice, false), start(t, s, bob, false)
	ac, _ := chatPair(t, a, b)
	ctx := testCtx(t)

	s.mu.Lock()
	before := sessionIDs(s, bob)
	s.mu.Unlock()
	s.Disconnect(bob)
	// The client notices the cut and comes back with a new session; its
	// RPCs go through again. A request in flight when the connection died
	// fails, as on Telegram: the caller retries.
	for {
		_, err := b.api.UpdatesGetState(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	after := sessionIDs(s, bob)
	s.mu.Unlock()
	if len(after) == 0 || slices.Contains(before, after[0]) {
		t.Fatalf("sessions before %v, after %v", before, after)
	}
	sendN(t, a, ac, 0, 1)
	if u := next[*tg.UpdateNewEncryptedMessage](t, b); u.Qts != 1 {
		t.Fatalf("after reconnect: qts %d", u.Qts)
	}
}

func sessionIDs(s *Server, u *tg.User) (ids []int64) {
	for _, k := range s.users[u.ID].keys {
		for _, sess := range k.sessions {
			ids = append(ids, sess.ID)
		}
	}
	return ids
}

// TestRestart: a second client of the same user gets the pushes as the
// first does, and once the first is gone, the unacknowledged messages from
// getDifference.
func TestRestart(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a := start(t, s, alice, false)
	ctx, cancel := context.WithCancel(testCtx(t))
	b1 := &client{t: t, u: bob, got: make(chan tg.UpdateClass, 100)}
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- s.Run(ctx, bob, telegram.Options{UpdateHandler: recorder(b1.got)}, func(ctx context.Context, c *telegram.Client) error {
			b1.api = c.API()
			close(ready)
			<-ctx.Done()
			return nil
		})
	}()
	<-ready
	ac, _ := chatPair(t, a, b1)
	sendN(t, a, ac, 0, 3)
	receiveN(t, b1, 3)
	if _, err := b1.api.MessagesReceivedQueue(ctx, 1); err != nil {
		t.Fatal(err)
	}

	// A second client of the same user (another device) gets pushes too.
	b2 := start(t, s, bob, false)
	sendN(t, a, ac, 3, 1)
	for _, c := range []*client{b1, b2} {
		if u := next[*tg.UpdateNewEncryptedMessage](t, c); u.Qts != 4 {
			t.Fatalf("%s: qts %d", c.u.FirstName, u.Qts)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// The app restarted on b2 fetches what is not acknowledged.
	diff, err := b2.api.UpdatesGetDifference(testCtx(t), &tg.UpdatesGetDifferenceRequest{Pts: 1, Date: 1, Qts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff.(*tg.UpdatesDifference); len(d.NewEncryptedMessages) != 3 || d.NewEncryptedMessages[0].GetRandomID() != 2 || d.State.Qts != 4 {
		t.Fatalf("difference after restart: %+v", d)
	}
	sendN(t, a, ac, 4, 1)
	if u := next[*tg.UpdateNewEncryptedMessage](t, b2); u.Qts != 5 {
		t.Fatalf("after restart: qts %d", u.Qts)
	}
	none(t, b2, 20*time.Millisecond)
}

// TestCloseCutsClients: Close does not wait for clients to leave; it cuts
// their connections, and their requests fail from then on.
func TestCloseCutsClients(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := start(t, s, s.AddUser("Alice"), false)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := a.api.UpdatesGetState(ctx); err == nil {
		t.Fatal("a request after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// rawRequest is a request of only a type id: malformed for every method that
// takes arguments.
type rawRequest uint32

func (r rawRequest) Encode(b *bin.Buffer) error { b.PutID(uint32(r)); return nil }

// anyResult decodes any answer.
type anyResult struct{}

func (anyResult) Decode(b *bin.Buffer) error { b.Skip(b.Len()); return nil }

// TestMalformed: every served method answers a request that does not decode
// with INPUT_FETCH_ERROR, and a method the server does not know with
// INPUT_METHOD_INVALID; none leaves the client waiting.
func TestMalformed(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	a := start(t, s, s.AddUser("Alice"), false)
	ctx := testCtx(t)
	noArgs := map[uint32]bool{
		tg.HelpGetConfigRequestTypeID:    true,
		tg.HelpGetNearestDCRequestTypeID: true,
		tg.AuthLogOutRequestTypeID:       true,
		tg.UpdatesGetStateRequestTypeID:  true,
	}
	ids := Methods()
	if !slices.Contains(ids, tg.MessagesSendEncryptedRequestTypeID) || slices.Contains(ids, tg.MessagesGetDialogsRequestTypeID) {
		t.Fatalf("Methods() = %x", ids)
	}
	for _, id := range ids {
		if id == tg.AuthLogOutRequestTypeID {
			continue // would sign the client out
		}
		err := a.api.Invoker().Invoke(ctx, rawRequest(id), anyResult{})
		if noArgs[id] {
			if err != nil {
				t.Fatalf("%#x: %v", id, err)
			}
			continue
		}
		wantErr(t, err, "INPUT_FETCH_ERROR")
	}
	err := a.api.Invoker().Invoke(ctx, rawRequest(0x12345678), anyResult{})
	wantErr(t, err, "INPUT_METHOD_INVALID")
}
