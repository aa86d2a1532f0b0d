package tgsecrettest

import (
	"container/heap"
	"context"
	"slices"
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

// reorderHold is how long a push picked for reordering waits, at most, for a
// later push to overtake it.
const reorderHold = 500 * time.Millisecond

// Faults apply to updates the server pushes (updateNewEncryptedMessage,
// updateEncryption, typing, read), never to RPC results or getDifference.
type Faults struct {
	Drop      float64       // probability a push is dropped (recovered through updates.getDifference)
	Duplicate float64       // probability a push is sent twice
	Reorder   bool          // pushes overtake each other: a quarter of them wait for the next push to go first (at most max(MaxDelay, 500ms))
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

// pendingUpdate is an updateEncryption on its way to the user. It goes out
// once, by a push or in a difference: a difference takes only those no push
// is sending or has sent, and a push skips those a difference took.
type pendingUpdate struct {
	update tg.UpdateClass
	state  pendingState
}

type pendingState int

const (
	pendingWaiting pendingState = iota
	pendingSending              // a push is on the wire
	pendingPushed
	pendingInDifference
)

func (p *pendingUpdate) gone() bool {
	return p.state == pendingPushed || p.state == pendingInDifference
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
	a.pending = append(slices.DeleteFunc(a.pending, (*pendingUpdate).gone), p)
	var ents []tg.UserClass
	for _, u := range users {
		ents = append(ents, u)
	}
	s.push(a, &tg.Updates{Updates: []tg.UpdateClass{u}, Users: ents, Date: now()}, p)
}

// deliverShort pushes one update without a sequence (typing, read).
// s.mu must be held.
func (s *Server) deliverShort(a *account, u tg.UpdateClass) {
	s.push(a, &tg.UpdateShort{Update: u, Date: now()}, nil)
}

// push queues u for a's clients after the faults decide its fate; pending,
// if not nil, tracks its delivery. s.mu must be held.
func (s *Server) push(a *account, u tg.UpdatesClass, pending *pendingUpdate) {
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
	a.pusher.enqueue(u, pending, delays[:copies], held[:copies], f)
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
	u       tg.UpdatesClass
	at      time.Time
	order   uint64
	held    bool // waits for a later push to go first
	pending *pendingUpdate
}

func newPusher(s *Server, a *account) *pusher {
	return &pusher{s: s, a: a, wake: make(chan struct{}, 1)}
}

func (p *pusher) enqueue(u tg.UpdatesClass, pending *pendingUpdate, delays []time.Duration, held []bool, f Faults) {
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
		heap.Push(&p.q, &pendingPush{u: u, at: at, order: p.order, held: held[i], pending: pending})
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
			if !next.held {
				p.release(next.order)
			}
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

// release makes the held pushes queued before push number order due now:
// a later push has overtaken them.
func (p *pusher) release(order uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	changed := false
	for _, pp := range p.q {
		if pp.held && pp.order < order {
			pp.held = false
			pp.at = now
			changed = true
		}
	}
	if changed {
		heap.Init(&p.q)
	}
}

// deliver sends pp to the most recent live session of every auth key of the
// account.
func (p *pusher) deliver(ctx context.Context, pp *pendingPush) {
	s := p.s
	s.mu.Lock()
	claimed := false
	if pp.pending != nil {
		switch pp.pending.state {
		case pendingInDifference:
			s.mu.Unlock()
			return
		case pendingWaiting:
			pp.pending.state = pendingSending
			claimed = true
		}
	}
	var keys []*authKey
	var sessions [][]tgtest.Session
	for _, k := range p.a.keys {
		keys = append(keys, k)
		sessions = append(sessions, append([]tgtest.Session(nil), k.sessions...))
	}
	// Counted before it is sent, so that a client that has it finds it in
	// Stats; taken back if no session took it.
	p.a.stats.Pushed++
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		p.a.stats.Pushed--
		if claimed && pp.pending.state == pendingSending {
			pp.pending.state = pendingWaiting
		}
		return
	}
	if pp.pending != nil {
		pp.pending.state = pendingPushed
	}
	if s.onPush != nil {
		s.onPush(p.a.user.ID, pp.u)
	}
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
		if p.state == pendingWaiting {
			p.state = pendingInDifference
			others = append(others, p.update)
			if u, ok := p.update.(*tg.UpdateEncryption); ok {
				s.addChatUsers(c, users, u.Chat.GetID())
			}
		}
	}
	a.pending = slices.DeleteFunc(a.pending, (*pendingUpdate).gone)

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
