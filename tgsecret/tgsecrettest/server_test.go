package tgsecrettest

import (
	"bytes"
	"testing"
	"time"

	"github.com/gotd/td/tg"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice := s.AddUser("Alice")
	a := start(t, s, alice, false)
	ctx := testCtx(t)

	users, err := a.api.UsersGetUsers(ctx, []tg.InputUserClass{&tg.InputUserSelf{}})
	if err != nil {
		t.Fatal(err)
	}
	self := users[0].(*tg.User)
	if self.ID != alice.ID || !self.Self || self.FirstName != "Alice" {
		t.Fatalf("self = %+v", self)
	}
	st, err := a.api.UpdatesGetState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pts != 1 || st.Qts != 0 {
		t.Fatalf("state = %+v", st)
	}
}

func TestRelay(t *testing.T) {
	t.Parallel()
	s := New(t, Options{})
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
	a, b := start(t, s, alice, false), start(t, s, bob, false)
	ctx := testCtx(t)

	ga := dhPublic(t)
	waiting, err := a.api.MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{
		UserID:   &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash},
		RandomID: 7,
		GA:       ga,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := waiting.(*tg.EncryptedChatWaiting)
	if w.AdminID != alice.ID || w.ParticipantID != bob.ID {
		t.Fatalf("waiting = %+v", w)
	}
	req := next[*tg.UpdateEncryption](t, b).Chat.(*tg.EncryptedChatRequested)
	if req.ID != w.ID || !bytes.Equal(req.GA, ga) || req.AdminID != alice.ID {
		t.Fatalf("requested = %+v", req)
	}

	gb := dhPublic(t)
	accepted, err := b.api.MessagesAcceptEncryption(ctx, &tg.MessagesAcceptEncryptionRequest{
		Peer: tg.InputEncryptedChat{ChatID: req.ID, AccessHash: req.AccessHash}, GB: gb, KeyFingerprint: 42,
	})
	if err != nil {
		t.Fatal(err)
	}
	bc := accepted.(*tg.EncryptedChat)
	if !bytes.Equal(bc.GAOrB, ga) || bc.KeyFingerprint != 42 {
		t.Fatalf("acceptor's chat = %+v", bc)
	}
	ac := next[*tg.UpdateEncryption](t, a).Chat.(*tg.EncryptedChat)
	if !bytes.Equal(ac.GAOrB, gb) || ac.KeyFingerprint != 42 || ac.ID != w.ID || ac.AccessHash != w.AccessHash {
		t.Fatalf("requester's chat = %+v", ac)
	}

	// Typing and read notices reach the other side and take no qts.
	if _, err := a.api.MessagesSetEncryptedTyping(ctx, &tg.MessagesSetEncryptedTypingRequest{Peer: input(ac), Typing: true}); err != nil {
		t.Fatal(err)
	}
	if u := next[*tg.UpdateEncryptedChatTyping](t, b); u.ChatID != ac.ID {
		t.Fatalf("typing %+v", u)
	}
	if _, err := b.api.MessagesReadEncryptedHistory(ctx, &tg.MessagesReadEncryptedHistoryRequest{Peer: input(bc), MaxDate: 12345}); err != nil {
		t.Fatal(err)
	}
	if u := next[*tg.UpdateEncryptedMessagesRead](t, a); u.ChatID != ac.ID || u.MaxDate != 12345 {
		t.Fatalf("read %+v", u)
	}
	if st := s.Stats(bob); st.QTS != 0 {
		t.Fatalf("bob stats %+v", st)
	}

	ok, err := a.api.MessagesDiscardEncryption(ctx, &tg.MessagesDiscardEncryptionRequest{ChatID: ac.ID, DeleteHistory: true})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	d := next[*tg.UpdateEncryption](t, b).Chat.(*tg.EncryptedChatDiscarded)
	if d.ID != ac.ID || !d.HistoryDeleted {
		t.Fatalf("discarded = %+v", d)
	}
	none(t, a, 50*time.Millisecond)
}
