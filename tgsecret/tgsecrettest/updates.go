package tgsecrettest

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
)

// accountPts is every account's pts: the server keeps no message boxes, so
// the common sequence never moves (Telegram's pts starts at 1).
const accountPts = 1

// differenceLimit is the most encrypted messages one updates.getDifference
// returns; more come as updates.differenceSlice.
const differenceLimit = 100

// reorderHold is how long a push picked for reordering is held back (at
// least) so that the pushes after it overtake it.
const reorderHold = 20 * time.Millisecond

// Faults apply to updates the server pushes (updateNewEncryptedMessage,
// updateEncryption, typing, read), never to RPC results or getDifference.
type Faults struct {
	Drop      float64       // probability a push is dropped (recovered through updates.getDifference)
	Duplicate float64       // probability a push is sent twice
	Reorder   bool          // pushes may overtake each other: a quarter of them are held back by max(MaxDelay, 20ms)
	MaxDelay  time.Duration // random delay of each push up to this
}

// SetFaults replaces the faults applied to pushes queued from now on.
func (s *Server) SetFaults(f Faults) {
	s.faultsMu.Lock()
	s.faults = f
	s.faultsMu.Unlock()
}

type qtsEntry struct {
	qts int
	msg tg.EncryptedMessageClass
}

type pendingUpdate struct {
	update tg.UpdateClass
	done   bool
}

// deliverEncrypted gives msg the next qts of a, logs it and pushes it.
// s.mu must be held.
func (s *Server) deliverEncrypted(a *account, msg tg.EncryptedMessageClass) {
	a.qts++
	a.log = append(a.log, qtsEntry{qts: a.qts, msg: msg})
	s.push(a, &tg.Updates{
		Updates: []tg.UpdateClass{&tg.UpdateNewEncryptedMessage{Message: msg, Qts: a.qts}},
		Date:    now(),
	}, nil)
}

// deliverEncryption pushes an updateEncryption to a and keeps it pending
// until a push or a difference delivers it. s.mu must be held.
func (s *Server) deliverEncryption(a *account, chat tg.EncryptedChatClass, users ...*tg.User) {
	u := &tg.UpdateEncryption{Chat: chat, Date: now()}
	p := &pendingUpdate{update: u}
	a.pending = append(a.pending, p)
	var ents []tg.UserClass
	for _, u := range users {
		ents = append(ents, u)
	}
	s.push(a, &tg.Updates{Updates: []tg.UpdateClass{u}, Users: ents, Date: now()}, func() {
		p.done = true
	})
}

// deliverShort pushes one update without a sequence (typing, read).
// s.mu must be held.
func (s *Server) deliverShort(a *account, u tg.UpdateClass) {
	s.push(a, &tg.UpdateShort{Update: u, Date: now()}, nil)
}

// push queues u for a's clients after the faults decide its fate. delivered
// runs, with s.mu held, once a client has taken it. s.mu must be held.
func (s *Server) push(a *account, u tg.UpdatesClass, delivered func()) {
	s.faultsMu.Lock()
	f := s.faults
	r := s.faultRand
	drop := f.Drop > 0 && r.Float64() < f.Drop
	copies := 1
	if !drop && f.Duplicate > 0 && r.Float64() < f.Duplicate {
		copies = 2
	}
	var delays [2]time.Duration
	var held [2]bool
	for i := range copies {
		if f.MaxDelay > 0 {
			delays[i] = time.Duration(r.Int64N(int64(f.MaxDelay) + 1))
		}
		held[i] = f.Reorder && r.IntN(4) == 0
	}
	s.faultsMu.Unlock()

	if drop {
		a.stats.Dropped++
		return
	}
	a.pusher.enqueue(u, delivered, delays[:copies], held[:copies], f)
}

// pusher sends one account's pushes in the order of their due times.
type pusher struct {
	s *Server
	a *account

	mu    sync.Mutex
	q     pushQueue
	order uint64
	last  time.Time // due time of the latest in-order push
	wake  chan struct{}
}

type pendingPush struct {
	u         tg.UpdatesClass
	at        time.Time
	order     uint64
	delivered func()
}

func newPusher(s *Server, a *account) *pusher {
	return &pusher{s: s, a: a, wake: make(chan struct{}, 1)}
}

func (p *pusher) enqueue(u tg.UpdatesClass, delivered func(), delays []time.Duration, held []bool, f Faults) {
	p.mu.Lock()
	now := time.Now()
	for i, d := range delays {
		at := now.Add(d)
		switch {
		case held[i]:
			at = now.Add(max(f.MaxDelay, reorderHold))
		case !f.Reorder:
			// Without reordering, a short delay must not let a push
			// overtake an earlier, longer-delayed one.
			if at.Before(p.last) {
				at = p.last
			}
			p.last = at
		}
		p.order++
		heap.Push(&p.q, &pendingPush{u: u, at: at, order: p.order, delivered: delivered})
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pusher) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		var next *pendingPush
		wait := time.Hour
		if len(p.q) > 0 {
			if d := time.Until(p.q[0].at); d <= 0 {
				next = heap.Pop(&p.q).(*pendingPush)
			} else {
				wait = d
			}
		}
		p.mu.Unlock()
		if next != nil {
			p.deliver(ctx, next)
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// deliver sends pp to the most recent live session of every auth key of the
// account.
func (p *pusher) deliver(ctx context.Context, pp *pendingPush) {
	s := p.s
	s.mu.Lock()
	var keys []*authKey
	var sessions [][]tgtest.Session
	for _, k := range p.a.keys {
		keys = append(keys, k)
		sessions = append(sessions, append([]tgtest.Session(nil), k.sessions...))
	}
	s.mu.Unlock()

	ok := false
	for i, k := range keys {
		for _, sess := range sessions[i] {
			err := s.srv.Send(ctx, sess, tgtest.MessageFromServer, pp.u)
			if err == nil {
				ok = true
				break
			}
			s.log.Debug("Push failed, session dropped", zap.Int64("session_id", sess.ID), zap.Error(err))
			s.mu.Lock()
			k.sessions = deleteSession(k.sessions, sess.ID)
			s.mu.Unlock()
		}
	}
	if !ok {
		return
	}
	s.mu.Lock()
	p.a.stats.Pushed++
	if pp.delivered != nil {
		pp.delivered()
	}
	s.mu.Unlock()
}

func deleteSession(ss []tgtest.Session, id int64) []tgtest.Session {
	out := ss[:0]
	for _, s := range ss {
		if s.ID != id {
			out = append(out, s)
		}
	}
	return out
}

type pushQueue []*pendingPush

func (q pushQueue) Len() int { return len(q) }
func (q pushQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].order < q[j].order
}
func (q pushQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pushQueue) Push(x any)   { *q = append(*q, x.(*pendingPush)) }
func (q *pushQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return x
}

func (s *Server) state(a *account) tg.UpdatesState {
	return tg.UpdatesState{Pts: accountPts, Qts: a.qts, Date: now()}
}

func (s *Server) updatesGetState(c *call, _ *tg.UpdatesGetStateRequest) (bin.Encoder, error) {
	st := s.state(c.acct)
	return &st, nil
}

func (s *Server) updatesGetDifference(c *call, r *tg.UpdatesGetDifferenceRequest) (bin.Encoder, error) {
	a := c.acct
	switch {
	case r.Pts <= 0:
		return nil, rpcErr(tg.ErrPersistentTimestampEmpty)
	case r.Pts > accountPts:
		return nil, rpcErr(tg.ErrPersistentTimestampInvalid)
	case r.Qts < 0 || r.Qts > a.qts:
		// A qts the server never gave: the client's state is not ours.
		return nil, rpcErr(tg.ErrPersistentTimestampInvalid)
	}

	// Messages acknowledged with messages.receivedQueue are gone, as on
	// Telegram: a client that acknowledged too early cannot get them back.
	from := max(r.Qts, a.acked)
	var msgs []tg.EncryptedMessageClass
	users := map[int64]*tg.User{}
	last := from
	for _, e := range a.log {
		if e.qts <= from {
			continue
		}
		if len(msgs) == differenceLimit {
			break
		}
		msgs = append(msgs, e.msg)
		last = e.qts
		s.addChatUsers(c, users, chatIDOf(e.msg))
	}
	var others []tg.UpdateClass
	for _, p := range a.pending {
		if !p.done {
			p.done = true
			others = append(others, p.update)
			if u, ok := p.update.(*tg.UpdateEncryption); ok {
				s.addChatUsers(c, users, u.Chat.GetID())
			}
		}
	}
	a.pending = nil

	if len(msgs) == 0 && len(others) == 0 {
		return &tg.UpdatesDifferenceEmpty{Date: now(), Seq: 0}, nil
	}
	var us []tg.UserClass
	for _, u := range users {
		us = append(us, u)
	}
	if last < a.qts {
		st := s.state(a)
		st.Qts = last
		return &tg.UpdatesDifferenceSlice{
			NewEncryptedMessages: msgs,
			OtherUpdates:         others,
			Users:                us,
			IntermediateState:    st,
		}, nil
	}
	return &tg.UpdatesDifference{
		NewEncryptedMessages: msgs,
		OtherUpdates:         others,
		Users:                us,
		State:                s.state(a),
	}, nil
}

func chatIDOf(m tg.EncryptedMessageClass) int {
	switch m := m.(type) {
	case *tg.EncryptedMessage:
		return m.ChatID
	case *tg.EncryptedMessageService:
		return m.ChatID
	}
	return 0
}

// addChatUsers adds the other participant of chat id to users.
func (s *Server) addChatUsers(c *call, users map[int64]*tg.User, id int) {
	ch := s.chats[id]
	if ch == nil {
		return
	}
	if p := ch.peerOf(c.acct); p != nil {
		users[p.user.ID] = p.peer()
	}
}

func (s *Server) receivedQueue(c *call, r *tg.MessagesReceivedQueueRequest) (bin.Encoder, error) {
	a := c.acct
	if r.MaxQts < 0 || r.MaxQts > a.qts {
		return nil, rpcErr(tg.ErrMaxQtsInvalid)
	}
	if r.MaxQts > a.acked {
		a.acked = r.MaxQts
		i := 0
		for i < len(a.log) && a.log[i].qts <= a.acked {
			a.log[i] = qtsEntry{}
			i++
		}
		a.log = a.log[i:]
	}
	// The ids of messages whose notifications were cancelled: there are no
	// notifications here.
	return &tg.LongVector{}, nil
}
