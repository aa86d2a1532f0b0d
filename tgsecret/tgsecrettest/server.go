package tgsecrettest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/dcs"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
	"github.com/gotd/td/transport"
)

// DC is the id of the one data center the server runs (Telegram's default
// home DC of a fresh client).
const DC = 2

// The app credentials Run presents to auth.sendCode; the server accepts any.
const (
	AppID   = 17349
	AppHash = "tgsecrettest"
)

// defaultSeed is the seed of the zero Options.
const defaultSeed = 0x5ec7e7

// Options configures a Server. The zero value is valid.
type Options struct {
	// Seed drives every random choice of the faults (drop, duplicate,
	// reorder, delay) and of ids and access hashes; 0 is a fixed default seed.
	// The same seed and the same order of calls give the same choices.
	Seed int64
	// Logger receives the server's logs; nil: zap.NewNop().
	Logger *zap.Logger
}

// Server is an in-memory Telegram data center that serves secret chats.
// All its methods are safe for concurrent use.
type Server struct {
	log *zap.Logger
	srv *tgtest.Server
	ln  *listener

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup // the serve loop and the pushers
	serveErr  error
	closeOnce sync.Once

	dcList dcs.List

	mu       sync.Mutex
	idRand   *mathrand.Rand // ids and access hashes
	users    map[int64]*account
	byPhone  map[string]*account
	keys     map[[8]byte]*authKey // every auth key that made a request
	chats    map[int]*chat
	uploads  map[uploadKey]*upload
	files    map[int64]*storedFile
	dh       dhConfig
	nextUser int64
	closed   bool // no more pushers start
	// onPush, when set, sees every push a client took, in order (tests).
	onPush func(user int64, u tg.UpdatesClass)

	faultsMu  sync.Mutex
	faults    Faults
	faultRand *mathrand.Rand
}

// serverKey is one RSA key for every Server of the process: generating a
// 2048-bit key per test would cost more than the test.
var serverKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// New starts an in-memory Telegram data center (gotd/td's tgtest MTProto
// server on a loopback listener, no other socket) that serves secret chats.
// It is stopped by t.Cleanup or by Close.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("tgsecrettest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("tgsecrettest: close: %v", err)
		}
	})
	return s
}

// Start starts a server outside a test (examples, programs); the caller
// stops it with Close.
func Start(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	seed := opts.Seed
	if seed == 0 {
		seed = defaultSeed
	}
	key, err := serverKey()
	if err != nil {
		return nil, fmt.Errorf("rsa key: %w", err)
	}
	nl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	addr := nl.Addr().(*net.TCPAddr)

	s := &Server{
		log:       opts.Logger,
		ln:        newListener(nl),
		users:     map[int64]*account{},
		byPhone:   map[string]*account{},
		keys:      map[[8]byte]*authKey{},
		chats:     map[int]*chat{},
		uploads:   map[uploadKey]*upload{},
		files:     map[int64]*storedFile{},
		dh:        dhConfig{g: 3, p: DHPrime(), version: 1},
		nextUser:  100000,
		idRand:    mathrand.New(mathrand.NewPCG(uint64(seed), 0x1d)),
		faultRand: mathrand.New(mathrand.NewPCG(uint64(seed), 0xfa)),
	}
	s.dcList = dcs.List{Options: []tg.DCOption{{
		ID:        DC,
		IPAddress: addr.IP.String(),
		Port:      addr.Port,
		Static:    true,
	}}}
	s.srv = tgtest.NewServer(tgtest.NewPrivateKey(key), tgtest.UnpackInvoke(tgtest.HandlerFunc(s.onMessage)), tgtest.ServerOptions{
		DC:     DC,
		Logger: opts.Logger.Named("mtproto"),
		// gotd pings every minute; tgtest's default of 30 s would cut idle
		// clients, which real Telegram does not.
		ReadTimeout:  10 * time.Minute,
		WriteTimeout: 10 * time.Second,
	})

	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.srv.Serve(s.ctx, transport.ListenCodec(nil, s.ln))
		if err != nil && !errors.Is(err, context.Canceled) {
			s.serveErr = err
		}
	}()
	return s, nil
}

// Close stops the server: it closes the listener and every connection and
// waits for all of the server's goroutines. Clients still running see their
// connections cut. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		_ = s.ln.Close()
		s.ln.closeAll()
		s.wg.Wait()
	})
	return s.serveErr
}

// DCList is the DC list a telegram.Client needs to reach this server.
func (s *Server) DCList() dcs.List { return s.dcList }

// PublicKeys are the server's RSA keys for telegram.Options.PublicKeys.
func (s *Server) PublicKeys() []telegram.PublicKey {
	return []telegram.PublicKey{s.srv.Key()}
}

// Options fills in what a telegram.Client needs to reach this server (DC,
// DC list, resolver, public keys, a fresh in-memory session storage) where
// opts leaves it unset, and returns the result.
func (s *Server) Options(opts telegram.Options) telegram.Options {
	if opts.DC == 0 {
		opts.DC = DC
	}
	if opts.DCList.Zero() {
		opts.DCList = s.dcList
	}
	if opts.Resolver == nil {
		opts.Resolver = dcs.Plain(dcs.PlainOptions{Protocol: transport.Intermediate})
	}
	if opts.PublicKeys == nil {
		opts.PublicKeys = s.PublicKeys()
	}
	if opts.SessionStorage == nil {
		opts.SessionStorage = &session.StorageMemory{}
	}
	return opts
}

// AddUser registers an account named name (its FirstName; the username is
// name in lower case). Its phone is Telegram's test-number form
// 99966 2 NNNN, and the login code is "22222".
func (s *Server) AddUser(name string) *tg.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUser++
	id := s.nextUser
	a := &account{
		user: tg.User{
			ID:         id,
			AccessHash: s.idRand.Int64(),
			FirstName:  name,
			Username:   strings.ToLower(name),
			Phone:      fmt.Sprintf("999662%04d", id%10000),
		},
		keys: map[[8]byte]*authKey{},
	}
	a.user.SetFlags()
	a.pusher = newPusher(s, a)
	s.users[id] = a
	s.byPhone[a.user.Phone] = a
	if !s.closed {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			a.pusher.run(s.ctx)
		}()
	}
	u := a.user
	return &u
}

// loginCode is the code auth.signIn accepts: Telegram's test DCs take the
// DC number five times.
var loginCode = strings.Repeat(fmt.Sprint(DC), 5)

// stopGrace is how long Run keeps the client's connection up after ctx ends,
// for f to return.
const stopGrace = 5 * time.Second

// Run builds a telegram.Client connected to this server (Options fills in
// what opts leaves unset; opts.UpdateHandler and everything else is kept),
// runs it, signs it in as u (auth.sendCode, auth.signIn: this binds the
// client's auth key to u), then calls f with the running client. It returns
// when f returns or ctx ends. Each call is a new client, as after the
// restart of an app: its qts and chat state come from the app's own store.
//
// When ctx ends, f's context ends at once but the client's connection stays
// up until f returns (at most 5 s more): an updates.Manager run by f makes
// its last RPCs on a live connection. (In gotd v0.93.0 an RPC started while
// the connection shuts down is a data race.)
func (s *Server) Run(ctx context.Context, u *tg.User, opts telegram.Options, f func(ctx context.Context, c *telegram.Client) error) error {
	if s.account(u.ID) == nil {
		return fmt.Errorf("tgsecrettest: unknown user %d", u.ID)
	}
	if opts.Logger == nil {
		opts.Logger = s.log.Named("client").With(zap.Int64("user_id", u.ID))
	}
	c := telegram.NewClient(AppID, AppHash, s.Options(opts))

	clientCtx, stopClient := context.WithCancel(context.WithoutCancel(ctx))
	defer stopClient()
	fDone := make(chan struct{}) // closed when f returns or the client ends
	var once sync.Once
	done := func() { once.Do(func() { close(fDone) }) }
	defer done()
	go func() {
		select {
		case <-fDone:
		case <-ctx.Done():
			select {
			case <-fDone:
			case <-time.After(stopGrace):
				stopClient()
			}
		}
	}()
	return c.Run(clientCtx, func(runCtx context.Context) error {
		defer done()
		fctx, cancel := context.WithCancel(runCtx)
		defer cancel()
		defer context.AfterFunc(ctx, cancel)()
		if err := SignIn(fctx, c.API(), u); err != nil {
			return err
		}
		return f(fctx, c)
	})
}

// SignIn signs the client behind api in as u with auth.sendCode and
// auth.signIn, as Run does.
func SignIn(ctx context.Context, api *tg.Client, u *tg.User) error {
	sent, err := api.AuthSendCode(ctx, &tg.AuthSendCodeRequest{
		PhoneNumber: u.Phone,
		APIID:       AppID,
		APIHash:     AppHash,
	})
	if err != nil {
		return fmt.Errorf("tgsecrettest: auth.sendCode: %w", err)
	}
	code, ok := sent.(*tg.AuthSentCode)
	if !ok {
		return fmt.Errorf("tgsecrettest: auth.sendCode: unexpected %T", sent)
	}
	if _, err := api.AuthSignIn(ctx, &tg.AuthSignInRequest{
		PhoneNumber:   u.Phone,
		PhoneCodeHash: code.PhoneCodeHash,
		PhoneCode:     loginCode,
	}); err != nil {
		return fmt.Errorf("tgsecrettest: auth.signIn: %w", err)
	}
	return nil
}

// Stats reports what the server saw for one user.
type Stats struct {
	QTS     int // the last qts assigned to u (one per encrypted message or service message delivered to u)
	Acked   int // the highest max_qts u acknowledged with messages.receivedQueue
	Pushed  int // updates pushed to u (after faults; a duplicate counts twice; counted from just before the send)
	Dropped int // pushes dropped by faults
	Sent    int // messages.sendEncrypted* calls made by u that the server accepted (a resent random_id counts once)
}

// Stats reports what the server saw for u.
func (s *Server) Stats(u *tg.User) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.users[u.ID]
	if a == nil {
		return Stats{}
	}
	st := a.stats
	st.QTS = a.qts
	st.Acked = a.acked
	return st
}

// Disconnect cuts every connection of u's clients now. gotd's client
// reconnects by itself, with a new MTProto session.
func (s *Server) Disconnect(u *tg.User) {
	s.mu.Lock()
	var cut []tgtest.Session
	if a := s.users[u.ID]; a != nil {
		for _, k := range a.keys {
			cut = append(cut, k.sessions...)
			k.sessions = nil
		}
	}
	s.mu.Unlock()
	for _, sess := range cut {
		s.srv.ForceDisconnect(sess)
	}
}

func (s *Server) account(id int64) *account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[id]
}

// listener tracks its connections so that Close can cut them all: tgtest's
// server only stops reading a connection when the connection fails.
type listener struct {
	net.Listener
	closeOnce sync.Once
	mu        sync.Mutex
	conns     map[*trackedConn]struct{}
	closed    bool
}

func newListener(l net.Listener) *listener {
	return &listener{Listener: l, conns: map[*trackedConn]struct{}{}}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.conns[tc] = struct{}{}
	return tc, nil
}

// Close closes the listener once: both Server.Close and tgtest's serve loop
// close it.
func (l *listener) Close() error {
	l.closeOnce.Do(func() { _ = l.Listener.Close() })
	return nil
}

func (l *listener) closeAll() {
	l.mu.Lock()
	l.closed = true
	conns := l.conns
	l.conns = map[*trackedConn]struct{}{}
	l.mu.Unlock()
	for c := range conns {
		_ = c.Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	l *listener
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}
