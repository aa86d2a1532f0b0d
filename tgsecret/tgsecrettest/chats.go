package tgsecrettest

import (
	"crypto/rand"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"

	"github.com/secretbench/secretbench/dhcheck"
)

// DHPrime returns a copy of the prime the server serves by default:
// Telegram's, dhcheck.WellKnownPrime, with generator 3.
func DHPrime() []byte { return dhcheck.WellKnownPrime() }

// maxRandomLength bounds random_length of messages.getDhConfig (clients ask
// for 256 bytes).
const maxRandomLength = 1024

// maxEncryptedData bounds the data of messages.sendEncrypted*: the server
// answers DATA_TOO_LONG above it.
const maxEncryptedData = 1 << 20

type dhConfig struct {
	g       int
	p       []byte
	version int
}

// SetDHConfig replaces what messages.getDhConfig serves (tests of a bad p or
// g) and moves its version on, so every client gets the new values. By
// default the server serves Telegram's 2048-bit prime (DHPrime) with g = 3.
func (s *Server) SetDHConfig(g int, p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dh = dhConfig{g: g, p: append([]byte(nil), p...), version: s.dh.version + 1}
}

func (s *Server) getDhConfig(_ *call, r *tg.MessagesGetDhConfigRequest) (bin.Encoder, error) {
	if r.RandomLength < 0 || r.RandomLength > maxRandomLength {
		return nil, rpcErr(tg.ErrRandomLengthInvalid)
	}
	random := make([]byte, r.RandomLength)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	if r.Version == s.dh.version {
		return &tg.MessagesDhConfigNotModified{Random: random}, nil
	}
	return &tg.MessagesDhConfig{G: s.dh.g, P: append([]byte(nil), s.dh.p...), Version: s.dh.version, Random: random}, nil
}

type chatState int

const (
	chatRequested chatState = iota
	chatAccepted
	chatDiscarded
)

// chat is one secret chat as the server sees it: two participants, each with
// its own access hash, and the public values it relays.
type chat struct {
	id          int
	admin, part *account
	adminHash   int64
	partHash    int64
	date        int
	state       chatState
	ga, gb      []byte
	fingerprint int64
	adminRandom int // random_id of messages.requestEncryption

	// sent remembers each random_id a participant sent, with its answer, so
	// a resent request is answered again without a second delivery.
	sent map[sentKey]tg.MessagesSentEncryptedMessageClass
}

type sentKey struct {
	from     int64
	randomID int64
}

func (ch *chat) peerOf(a *account) *account {
	switch a {
	case ch.admin:
		return ch.part
	case ch.part:
		return ch.admin
	}
	return nil
}

func (ch *chat) hashFor(a *account) int64 {
	if a == ch.admin {
		return ch.adminHash
	}
	return ch.partHash
}

// view is the chat as a sees it now.
func (ch *chat) view(a *account) tg.EncryptedChatClass {
	switch {
	case ch.state == chatDiscarded:
		return &tg.EncryptedChatDiscarded{ID: ch.id}
	case ch.state == chatRequested && a == ch.admin:
		return &tg.EncryptedChatWaiting{ID: ch.id, AccessHash: ch.adminHash, Date: ch.date, AdminID: ch.admin.user.ID, ParticipantID: ch.part.user.ID}
	case ch.state == chatRequested:
		return &tg.EncryptedChatRequested{ID: ch.id, AccessHash: ch.partHash, Date: ch.date, AdminID: ch.admin.user.ID, ParticipantID: ch.part.user.ID, GA: ch.ga}
	case a == ch.admin:
		return &tg.EncryptedChat{ID: ch.id, AccessHash: ch.adminHash, Date: ch.date, AdminID: ch.admin.user.ID, ParticipantID: ch.part.user.ID, GAOrB: ch.gb, KeyFingerprint: ch.fingerprint}
	default:
		return &tg.EncryptedChat{ID: ch.id, AccessHash: ch.partHash, Date: ch.date, AdminID: ch.admin.user.ID, ParticipantID: ch.part.user.ID, GAOrB: ch.ga, KeyFingerprint: ch.fingerprint}
	}
}

func (s *Server) requestEncryption(c *call, r *tg.MessagesRequestEncryptionRequest) (bin.Encoder, error) {
	peer := s.resolveUser(c, r.UserID)
	if peer == nil || peer == c.acct {
		return nil, rpcErr(tg.ErrUserIDInvalid)
	}
	if err := dhcheck.CheckPublic(s.dh.p, r.GA); err != nil {
		return nil, rpcErr(tg.ErrDhGAInvalid)
	}
	// random_id makes the request idempotent: a resent request gets the
	// same chat.
	for _, ch := range s.chats {
		if ch.admin == c.acct && ch.part == peer && ch.adminRandom == r.RandomID {
			return ch.view(c.acct), nil
		}
	}
	ch := &chat{
		admin:       c.acct,
		part:        peer,
		adminHash:   s.idRand.Int64(),
		partHash:    s.idRand.Int64(),
		date:        now(),
		ga:          append([]byte(nil), r.GA...),
		adminRandom: r.RandomID,
		sent:        map[sentKey]tg.MessagesSentEncryptedMessageClass{},
	}
	for ch.id == 0 || s.chats[ch.id] != nil {
		ch.id = int(s.idRand.Int32())
	}
	s.chats[ch.id] = ch
	s.deliverEncryption(peer, ch.view(peer), c.acct.peer())
	return ch.view(c.acct), nil
}

// chatFor resolves an InputEncryptedChat for the caller: CHAT_ID_INVALID for
// an unknown id, a wrong access hash or a chat the caller is not in.
func (s *Server) chatFor(c *call, in tg.InputEncryptedChat) (*chat, error) {
	ch := s.chats[in.ChatID]
	if ch == nil || ch.peerOf(c.acct) == nil || ch.hashFor(c.acct) != in.AccessHash {
		return nil, rpcErr(tg.ErrChatIDInvalid)
	}
	return ch, nil
}

func (s *Server) acceptEncryption(c *call, r *tg.MessagesAcceptEncryptionRequest) (bin.Encoder, error) {
	ch, err := s.chatFor(c, r.Peer)
	if err != nil {
		return nil, err
	}
	switch {
	case ch.state == chatDiscarded:
		return nil, rpcErr(tg.ErrEncryptionAlreadyDeclined)
	case ch.state == chatAccepted:
		return nil, rpcErr(tg.ErrEncryptionAlreadyAccepted)
	case c.acct != ch.part:
		// The requester cannot accept its own request.
		return nil, rpcErr(tg.ErrChatIDInvalid)
	}
	ch.state = chatAccepted
	ch.gb = append([]byte(nil), r.GB...)
	ch.fingerprint = r.KeyFingerprint
	s.deliverEncryption(ch.admin, ch.view(ch.admin), ch.part.peer())
	return ch.view(c.acct), nil
}

func (s *Server) discardEncryption(c *call, r *tg.MessagesDiscardEncryptionRequest) (bin.Encoder, error) {
	if r.ChatID == 0 {
		return nil, rpcErr(tg.ErrChatIDEmpty)
	}
	ch := s.chats[r.ChatID]
	if ch == nil || ch.peerOf(c.acct) == nil {
		return nil, rpcErr(tg.ErrEncryptionIDInvalid)
	}
	if ch.state == chatDiscarded {
		return nil, rpcErr(tg.ErrEncryptionAlreadyDeclined)
	}
	ch.state = chatDiscarded
	peer := ch.peerOf(c.acct)
	s.deliverEncryption(peer, &tg.EncryptedChatDiscarded{HistoryDeleted: r.DeleteHistory, ID: ch.id}, c.acct.peer())
	return &tg.BoolTrue{}, nil
}

// sendable resolves the chat of a send and checks its state and data.
func (s *Server) sendable(c *call, in tg.InputEncryptedChat, data []byte) (*chat, error) {
	ch, err := s.activeChat(c, in)
	if err != nil {
		return nil, err
	}
	// An MTProto 2.0 secret message: key fingerprint (8), msg_key (16) and
	// AES-IGE blocks of at least one block.
	switch {
	case len(data) > maxEncryptedData:
		return nil, rpcErr(tg.ErrDataTooLong)
	case len(data) < 8+16+16 || (len(data)-24)%16 != 0:
		return nil, rpcErr(tg.ErrDataInvalid)
	}
	return ch, nil
}

// sent answers a send: the first time it delivers msg to the peer; a resend
// of the same random_id gets the first answer and delivers nothing.
func (s *Server) sent(c *call, ch *chat, randomID int64, msg tg.EncryptedMessageClass, res tg.MessagesSentEncryptedMessageClass) (bin.Encoder, error) {
	k := sentKey{from: c.acct.user.ID, randomID: randomID}
	if prev, ok := ch.sent[k]; ok {
		return prev, nil
	}
	ch.sent[k] = res
	c.acct.stats.Sent++
	s.deliverEncrypted(ch.peerOf(c.acct), msg)
	return res, nil
}

func (s *Server) sendEncrypted(c *call, r *tg.MessagesSendEncryptedRequest) (bin.Encoder, error) {
	ch, err := s.sendable(c, r.Peer, r.Data)
	if err != nil {
		return nil, err
	}
	date := now()
	return s.sent(c, ch, r.RandomID,
		&tg.EncryptedMessage{RandomID: r.RandomID, ChatID: ch.id, Date: date, Bytes: r.Data, File: &tg.EncryptedFileEmpty{}},
		&tg.MessagesSentEncryptedMessage{Date: date})
}

func (s *Server) sendEncryptedService(c *call, r *tg.MessagesSendEncryptedServiceRequest) (bin.Encoder, error) {
	ch, err := s.sendable(c, r.Peer, r.Data)
	if err != nil {
		return nil, err
	}
	date := now()
	return s.sent(c, ch, r.RandomID,
		&tg.EncryptedMessageService{RandomID: r.RandomID, ChatID: ch.id, Date: date, Bytes: r.Data},
		&tg.MessagesSentEncryptedMessage{Date: date})
}

func (s *Server) sendEncryptedFile(c *call, r *tg.MessagesSendEncryptedFileRequest) (bin.Encoder, error) {
	ch, err := s.sendable(c, r.Peer, r.Data)
	if err != nil {
		return nil, err
	}
	if prev, ok := ch.sent[sentKey{from: c.acct.user.ID, randomID: r.RandomID}]; ok {
		return prev, nil
	}
	f, err := s.attach(c, r.File)
	if err != nil {
		return nil, err
	}
	date := now()
	return s.sent(c, ch, r.RandomID,
		&tg.EncryptedMessage{RandomID: r.RandomID, ChatID: ch.id, Date: date, Bytes: r.Data, File: f},
		&tg.MessagesSentEncryptedFile{Date: date, File: f})
}

// activeChat resolves the chat of a message or notice: it must be accepted
// and not discarded.
func (s *Server) activeChat(c *call, in tg.InputEncryptedChat) (*chat, error) {
	ch, err := s.chatFor(c, in)
	if err != nil {
		return nil, err
	}
	switch ch.state {
	case chatDiscarded:
		return nil, rpcErr(tg.ErrEncryptionDeclined)
	case chatRequested:
		return nil, rpcErr(tg.ErrChatIDInvalid)
	}
	return ch, nil
}

func (s *Server) setEncryptedTyping(c *call, r *tg.MessagesSetEncryptedTypingRequest) (bin.Encoder, error) {
	ch, err := s.activeChat(c, r.Peer)
	if err != nil {
		return nil, err
	}
	if r.Typing {
		s.deliverShort(ch.peerOf(c.acct), &tg.UpdateEncryptedChatTyping{ChatID: ch.id})
	}
	return &tg.BoolTrue{}, nil
}

func (s *Server) readEncryptedHistory(c *call, r *tg.MessagesReadEncryptedHistoryRequest) (bin.Encoder, error) {
	ch, err := s.activeChat(c, r.Peer)
	if err != nil {
		return nil, err
	}
	s.deliverShort(ch.peerOf(c.acct), &tg.UpdateEncryptedMessagesRead{ChatID: ch.id, MaxDate: r.MaxDate, Date: now()})
	return &tg.BoolTrue{}, nil
}
