package tgsecrettest

import (
	"errors"
	"maps"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Errors the server gives besides those tg names.
var (
	// errUnauthorized is Telegram's answer to a method that needs a signed-in
	// account on an auth key that has none.
	errUnauthorized = tgerr.New(401, "AUTH_KEY_UNREGISTERED")
	// errMethod answers a method this server does not serve (the error
	// gotd's tgtest services give).
	errMethod = tgerr.New(400, "INPUT_METHOD_INVALID")
	// errFetch answers a request whose TL does not decode.
	errFetch = tgerr.New(400, "INPUT_FETCH_ERROR")
	// errInternal answers a request the server failed on by its own fault.
	errInternal = tgerr.New(500, "INTERNAL_SERVER_ERROR")
)

func rpcErr(msg string) error { return tgerr.New(400, msg) }

// authKey is one client's MTProto auth key, bound to an account by
// auth.signIn.
type authKey struct {
	acct *account
	// sessions of this key, the most recently used first; pushes go to the
	// first one that takes them.
	sessions []tgtest.Session
}

// maxSessions bounds the sessions remembered per key: gotd opens a new one
// on every reconnect, and the old ones are dead.
const maxSessions = 4

// call is one RPC request in flight.
type call struct {
	req  *tgtest.Request
	key  *authKey
	acct *account // nil before sign-in
}

type method func(s *Server, c *call) (bin.Encoder, error)

// handle returns a method that decodes its request into a fresh T, checks
// that the key is signed in when auth is set, and calls f with s.mu held.
func handle[T any, P interface {
	*T
	bin.Decoder
}](auth bool, f func(s *Server, c *call, r P) (bin.Encoder, error)) method {
	return func(s *Server, c *call) (bin.Encoder, error) {
		r := P(new(T))
		if err := r.Decode(c.req.Buf); err != nil {
			return nil, errFetch
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c.acct = c.key.acct
		if auth && c.acct == nil {
			return nil, errUnauthorized
		}
		return f(s, c, r)
	}
}

var methods map[uint32]method

func init() {
	methods = map[uint32]method{
		tg.HelpGetConfigRequestTypeID:    handle(false, (*Server).helpGetConfig),
		tg.HelpGetNearestDCRequestTypeID: handle(false, (*Server).helpGetNearestDC),
		tg.AuthSendCodeRequestTypeID:     handle(false, (*Server).authSendCode),
		tg.AuthSignInRequestTypeID:       handle(false, (*Server).authSignIn),
		tg.AuthLogOutRequestTypeID:       handle(true, (*Server).authLogOut),

		tg.UsersGetUsersRequestTypeID:           handle(true, (*Server).usersGetUsers),
		tg.UsersGetFullUserRequestTypeID:        handle(true, (*Server).usersGetFullUser),
		tg.ContactsResolveUsernameRequestTypeID: handle(true, (*Server).contactsResolveUsername),

		tg.UpdatesGetStateRequestTypeID:      handle(true, (*Server).updatesGetState),
		tg.UpdatesGetDifferenceRequestTypeID: handle(true, (*Server).updatesGetDifference),

		tg.MessagesGetDhConfigRequestTypeID:          handle(true, (*Server).getDhConfig),
		tg.MessagesRequestEncryptionRequestTypeID:    handle(true, (*Server).requestEncryption),
		tg.MessagesAcceptEncryptionRequestTypeID:     handle(true, (*Server).acceptEncryption),
		tg.MessagesDiscardEncryptionRequestTypeID:    handle(true, (*Server).discardEncryption),
		tg.MessagesSendEncryptedRequestTypeID:        handle(true, (*Server).sendEncrypted),
		tg.MessagesSendEncryptedServiceRequestTypeID: handle(true, (*Server).sendEncryptedService),
		tg.MessagesSendEncryptedFileRequestTypeID:    handle(true, (*Server).sendEncryptedFile),
		tg.MessagesReceivedQueueRequestTypeID:        handle(true, (*Server).receivedQueue),
		tg.MessagesSetEncryptedTypingRequestTypeID:   handle(true, (*Server).setEncryptedTyping),
		tg.MessagesReadEncryptedHistoryRequestTypeID: handle(true, (*Server).readEncryptedHistory),

		tg.UploadSaveFilePartRequestTypeID:    handle(true, (*Server).saveFilePart),
		tg.UploadSaveBigFilePartRequestTypeID: handle(true, (*Server).saveBigFilePart),
		tg.UploadGetFileRequestTypeID:         handle(true, (*Server).getFile),
	}
}

// ignored are MTProto service messages tgtest hands on to the handler; they
// take no answer.
var ignored = map[uint32]bool{
	0x62d6b459: true, // msgs_ack
	0x7d861a08: true, // msg_resend_req
	0xda69fb52: true, // msgs_state_req
	0x8c718e87: true, // msgs_all_info
}

// Methods lists the TL type ids of the RPC methods the server serves; any
// other method is answered with 400 INPUT_METHOD_INVALID.
func Methods() []uint32 { return slices.Sorted(maps.Keys(methods)) }

// onMessage serves one request. Every request gets an answer: a result or
// an RPC error, never a dropped connection.
func (s *Server) onMessage(srv *tgtest.Server, req *tgtest.Request) error {
	id, err := req.Buf.PeekID()
	if err != nil {
		return srv.SendErr(req, errFetch)
	}
	if ignored[id] {
		return nil
	}
	c := &call{req: req, key: s.touch(req.Session)}
	m, ok := methods[id]
	if !ok {
		s.log.Debug("Method not served", zap.Uint32("type_id", id))
		return srv.SendErr(req, errMethod)
	}
	res, err := m(s, c)
	if err != nil {
		var e *tgerr.Error
		if !errors.As(err, &e) {
			s.log.Error("Internal error", zap.Uint32("type_id", id), zap.Error(err))
			e = errInternal
		}
		return srv.SendErr(req, e)
	}
	return srv.SendResult(req, res)
}

// touch records that sess made a request and returns its key.
func (s *Server) touch(sess tgtest.Session) *authKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[sess.AuthKey.ID]
	if k == nil {
		k = &authKey{}
		s.keys[sess.AuthKey.ID] = k
	}
	if len(k.sessions) > 0 && k.sessions[0].ID == sess.ID {
		return k
	}
	k.sessions = slices.DeleteFunc(k.sessions, func(o tgtest.Session) bool { return o.ID == sess.ID })
	k.sessions = slices.Insert(k.sessions, 0, sess)
	if len(k.sessions) > maxSessions {
		k.sessions = k.sessions[:maxSessions]
	}
	return k
}

func now() int { return int(time.Now().Unix()) }

// vector is a TL Vector of boxed values.
type vector []bin.Encoder

func (v vector) Encode(b *bin.Buffer) error {
	b.PutVectorHeader(len(v))
	for _, e := range v {
		if err := e.Encode(b); err != nil {
			return err
		}
	}
	return nil
}

// helpGetConfig gives the DC list clients reconnect with; the limits are the
// usual values of Telegram's config, for clients that read them.
func (s *Server) helpGetConfig(_ *call, _ *tg.HelpGetConfigRequest) (bin.Encoder, error) {
	return &tg.Config{
		Date:                    now(),
		Expires:                 now() + 3600,
		ThisDC:                  DC,
		DCOptions:               s.dcList.Options,
		ChatSizeMax:             200,
		MegagroupSizeMax:        200000,
		ForwardedCountMax:       100,
		OnlineUpdatePeriodMs:    210000,
		OfflineBlurTimeoutMs:    5000,
		OfflineIdleTimeoutMs:    30000,
		OnlineCloudTimeoutMs:    300000,
		NotifyCloudDelayMs:      30000,
		NotifyDefaultDelayMs:    1500,
		PushChatPeriodMs:        60000,
		PushChatLimit:           2,
		EditTimeLimit:           172800,
		RevokeTimeLimit:         2147483647,
		RevokePmTimeLimit:       2147483647,
		RatingEDecay:            2419200,
		StickersRecentLimit:     200,
		ChannelsReadMediaPeriod: 604800,
		CallReceiveTimeoutMs:    20000,
		CallRingTimeoutMs:       90000,
		CallConnectTimeoutMs:    30000,
		CallPacketTimeoutMs:     10000,
		MeURLPrefix:             "https://t.me/",
		CaptionLengthMax:        1024,
		MessageLengthMax:        4096,
		WebfileDCID:             4,
	}, nil
}

func (s *Server) helpGetNearestDC(_ *call, _ *tg.HelpGetNearestDCRequest) (bin.Encoder, error) {
	return &tg.NearestDC{Country: "ZZ", ThisDC: DC, NearestDC: DC}, nil
}
