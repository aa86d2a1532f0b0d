package tgsecrettest

import (
	"testing"
	"time"

	"github.com/gotd/td/tg"
)

func TestSendEncrypted(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, b := start(t, s, alice, false), start(t, s, bob, false)
	ac, _ := chatPair(t, a, b)
	ctx := testCtx(t)

	const n = 5
	for i := range n {
		var err error
		if i%2 == 0 {
			_, err = a.api.MessagesSendEncrypted(ctx, &tg.MessagesSendEncryptedRequest{Peer: input(ac), RandomID: int64(100 + i), Data: message(byte(i), 1)})
		} else {
			_, err = a.api.MessagesSendEncryptedService(ctx, &tg.MessagesSendEncryptedServiceRequest{Peer: input(ac), RandomID: int64(100 + i), Data: message(byte(i), 1)})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// A resend of a random_id is answered but not delivered again.
	if _, err := a.api.MessagesSendEncrypted(ctx, &tg.MessagesSendEncryptedRequest{Peer: input(ac), RandomID: 100, Data: message(0, 1)}); err != nil {
		t.Fatal(err)
	}
	// gotd's client handles each incoming message in a goroutine of its
	// own, so raw pushes may reach the handler in any order: sort by qts.
	got := make([]*tg.UpdateNewEncryptedMessage, n)
	for range n {
		u := next[*tg.UpdateNewEncryptedMessage](t, b)
		if u.Qts < 1 || u.Qts > n || got[u.Qts-1] != nil {
			t.Fatalf("qts %d out of range or repeated", u.Qts)
		}
		got[u.Qts-1] = u
	}
	for i, u := range got {
		var data []byte
		switch m := u.Message.(type) {
		case *tg.EncryptedMessage:
			data = m.Bytes
			if i%2 != 0 {
				t.Fatalf("message %d: %T", i, m)
			}
		case *tg.EncryptedMessageService:
			data = m.Bytes
			if i%2 == 0 {
				t.Fatalf("message %d: %T", i, m)
			}
		}
		if data[24] != byte(i) || u.Message.GetRandomID() != int64(100+i) || u.Message.GetChatID() != ac.ID {
			t.Fatalf("message %d: %+v", i, u.Message)
		}
	}
	none(t, b, 50*time.Millisecond)

	if st := s.Stats(alice); st.Sent != n || st.QTS != 0 {
		t.Fatalf("alice stats %+v", st)
	}
	if st := s.Stats(bob); st.QTS != n || st.Pushed != n+1 || st.Acked != 0 {
		// n messages and the updateEncryption of the request.
		t.Fatalf("bob stats %+v", st)
	}

	// receivedQueue moves Acked, never back, and never past the last qts.
	if _, err := b.api.MessagesReceivedQueue(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := b.api.MessagesReceivedQueue(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(bob); st.Acked != 3 {
		t.Fatalf("acked %d, want 3", st.Acked)
	}
	_, err := b.api.MessagesReceivedQueue(ctx, n+1)
	wantErr(t, err, tg.ErrMaxQtsInvalid)

	// getDifference returns only what was not acknowledged.
	diff, err := b.api.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: 1, Date: 1, Qts: 0})
	if err != nil {
		t.Fatal(err)
	}
	d := diff.(*tg.UpdatesDifference)
	if len(d.NewEncryptedMessages) != 2 || d.NewEncryptedMessages[0].GetRandomID() != 103 || d.State.Qts != n {
		t.Fatalf("difference %+v", d)
	}
	diff, err = b.api.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: 1, Date: 1, Qts: n})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := diff.(*tg.UpdatesDifferenceEmpty); !ok {
		t.Fatalf("difference at the last qts: %T", diff)
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob, carol := s.AddUser("Alice"), s.AddUser("Bob"), s.AddUser("Carol")
	a, b, c := start(t, s, alice, false), start(t, s, bob, false), start(t, s, carol, false)
	ac, bc := chatPair(t, a, b)
	ctx := testCtx(t)

	send := func(cl *client, peer tg.InputEncryptedChat, data []byte) error {
		_, err := cl.api.MessagesSendEncrypted(ctx, &tg.MessagesSendEncryptedRequest{Peer: peer, RandomID: randomID(), Data: data})
		return err
	}
	wantErr(t, send(a, tg.InputEncryptedChat{ChatID: ac.ID + 1, AccessHash: ac.AccessHash}, message(0, 1)), tg.ErrChatIDInvalid)
	wantErr(t, send(a, tg.InputEncryptedChat{ChatID: ac.ID, AccessHash: ac.AccessHash + 1}, message(0, 1)), tg.ErrChatIDInvalid)
	// Each side has its own access hash.
	wantErr(t, send(a, input(bc), message(0, 1)), tg.ErrChatIDInvalid)
	wantErr(t, send(c, input(ac), message(0, 1)), tg.ErrChatIDInvalid)
	wantErr(t, send(a, input(ac), nil), tg.ErrDataInvalid)
	wantErr(t, send(a, input(ac), message(0, 1)[:39]), tg.ErrDataInvalid)
	wantErr(t, send(a, input(ac), make([]byte, 24+16*(1<<16+1))), tg.ErrDataTooLong)

	// Accepting twice, by the wrong side, or a request to oneself.
	_, err := b.api.MessagesAcceptEncryption(ctx, &tg.MessagesAcceptEncryptionRequest{Peer: input(bc), GB: dhPublic(t)})
	wantErr(t, err, tg.ErrEncryptionAlreadyAccepted)
	_, err = a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{UserID: &tg.InputUserSelf{}, GA: dhPublic(t)})
	wantErr(t, err, tg.ErrUserIDInvalid)
	_, err = a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{UserID: &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash + 1}, GA: dhPublic(t)})
	wantErr(t, err, tg.ErrUserIDInvalid)
	_, err = a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{UserID: &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash}, GA: []byte{1}})
	wantErr(t, err, tg.ErrDhGAInvalid)
	_, err = a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{UserID: &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash}, GA: DHPrime()})
	wantErr(t, err, tg.ErrDhGAInvalid)

	// The requester cannot accept its own request.
	w, err := a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{UserID: &tg.InputUser{UserID: carol.ID, AccessHash: carol.AccessHash}, RandomID: 9, GA: dhPublic(t)})
	if err != nil {
		t.Fatal(err)
	}
	wc := w.(*tg.EncryptedChatWaiting)
	_, err = a.api.MessagesAcceptEncryption(ctx, &tg.MessagesAcceptEncryptionRequest{Peer: tg.InputEncryptedChat{ChatID: wc.ID, AccessHash: wc.AccessHash}, GB: dhPublic(t)})
	wantErr(t, err, tg.ErrChatIDInvalid)
	// Nothing is sent before the chat is accepted.
	wantErr(t, send(a, tg.InputEncryptedChat{ChatID: wc.ID, AccessHash: wc.AccessHash}, message(0, 1)), tg.ErrChatIDInvalid)
	// The same random_id is the same request.
	w2, err := a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{UserID: &tg.InputUser{UserID: carol.ID, AccessHash: carol.AccessHash}, RandomID: 9, GA: dhPublic(t)})
	if err != nil || w2.GetID() != wc.ID {
		t.Fatalf("second request: %v, %v", w2, err)
	}
	// Carol declines.
	cr := next[*tg.UpdateEncryption](t, c).Chat.(*tg.EncryptedChatRequested)
	if _, err := c.api.MessagesDiscardEncryption(ctx, &tg.MessagesDiscardEncryptionRequest{ChatID: cr.ID}); err != nil {
		t.Fatal(err)
	}
	if d := next[*tg.UpdateEncryption](t, a).Chat.(*tg.EncryptedChatDiscarded); d.ID != wc.ID || d.HistoryDeleted {
		t.Fatalf("declined: %+v", d)
	}
	_, err = c.api.MessagesAcceptEncryption(ctx, &tg.MessagesAcceptEncryptionRequest{Peer: tg.InputEncryptedChat{ChatID: cr.ID, AccessHash: cr.AccessHash}, GB: dhPublic(t)})
	wantErr(t, err, tg.ErrEncryptionAlreadyDeclined)

	// Discards: unknown, foreign, twice; sending after.
	_, err = a.api.MessagesDiscardEncryption(ctx, &tg.MessagesDiscardEncryptionRequest{ChatID: 0})
	wantErr(t, err, tg.ErrChatIDEmpty)
	_, err = c.api.MessagesDiscardEncryption(ctx, &tg.MessagesDiscardEncryptionRequest{ChatID: ac.ID})
	wantErr(t, err, tg.ErrEncryptionIDInvalid)
	if _, err := b.api.MessagesDiscardEncryption(ctx, &tg.MessagesDiscardEncryptionRequest{ChatID: ac.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = a.api.MessagesDiscardEncryption(ctx, &tg.MessagesDiscardEncryptionRequest{ChatID: ac.ID})
	wantErr(t, err, tg.ErrEncryptionAlreadyDeclined)
	wantErr(t, send(a, input(ac), message(0, 1)), tg.ErrEncryptionDeclined)
	_, err = a.api.MessagesSetEncryptedTyping(ctx, &tg.MessagesSetEncryptedTypingRequest{Peer: input(ac), Typing: true})
	wantErr(t, err, tg.ErrEncryptionDeclined)

	// Bad getDifference and receivedQueue arguments.
	_, err = a.api.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: 0, Date: 1})
	wantErr(t, err, tg.ErrPersistentTimestampEmpty)
	_, err = a.api.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: 2, Date: 1})
	wantErr(t, err, tg.ErrPersistentTimestampInvalid)
	_, err = a.api.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: 1, Date: 1, Qts: 1})
	wantErr(t, err, tg.ErrPersistentTimestampInvalid)
	_, err = a.api.MessagesReceivedQueue(ctx, -1)
	wantErr(t, err, tg.ErrMaxQtsInvalid)

	if st := s.Stats(alice); st.Sent != 0 {
		t.Fatalf("refused sends counted: %+v", st)
	}
}
