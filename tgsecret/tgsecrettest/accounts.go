package tgsecrettest

import (
	"fmt"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
)

// account is one registered user and everything the server keeps for it.
type account struct {
	user tg.User
	keys map[[8]byte]*authKey // auth keys signed in as this user

	qts   int        // the last qts assigned
	acked int        // the highest max_qts acknowledged
	log   []qtsEntry // messages with qts > acked, in qts order
	// pending holds updateEncryption updates not yet delivered, neither by a
	// push nor by updates.getDifference (and a few delivered ones).
	pending []*pendingUpdate

	stats  Stats
	pusher *pusher
}

// self is the user as its own client sees it.
func (a *account) self() *tg.User {
	u := a.user
	u.Self = true
	u.SetFlags()
	return &u
}

// peer is the user as other users see it.
func (a *account) peer() *tg.User {
	u := a.user
	u.Phone = ""
	u.SetFlags()
	return &u
}

// resolveUser finds the account an InputUser names for the caller, checking
// the access hash; nil if there is none.
func (s *Server) resolveUser(c *call, in tg.InputUserClass) *account {
	switch in := in.(type) {
	case *tg.InputUserSelf:
		return c.acct
	case *tg.InputUser:
		a := s.users[in.UserID]
		if a == nil || a.user.AccessHash != in.AccessHash {
			return nil
		}
		return a
	default:
		return nil
	}
}

func (s *Server) authSendCode(_ *call, r *tg.AuthSendCodeRequest) (bin.Encoder, error) {
	a := s.byPhone[r.PhoneNumber]
	if a == nil {
		// Sign-up is not served: accounts come from AddUser.
		return nil, rpcErr(tg.ErrPhoneNumberInvalid)
	}
	return &tg.AuthSentCode{
		Type:          &tg.AuthSentCodeTypeApp{Length: len(loginCode)},
		PhoneCodeHash: phoneCodeHash(a),
	}, nil
}

func phoneCodeHash(a *account) string { return fmt.Sprintf("%016x", uint64(a.user.AccessHash)) }

func (s *Server) authSignIn(c *call, r *tg.AuthSignInRequest) (bin.Encoder, error) {
	a := s.byPhone[r.PhoneNumber]
	switch {
	case r.PhoneNumber == "":
		return nil, rpcErr("PHONE_NUMBER_INVALID")
	case a == nil:
		return nil, rpcErr(tg.ErrPhoneNumberUnoccupied)
	case r.PhoneCodeHash == "":
		return nil, rpcErr(tg.ErrPhoneCodeHashEmpty)
	case r.PhoneCodeHash != phoneCodeHash(a):
		return nil, rpcErr("PHONE_CODE_HASH_INVALID")
	case r.PhoneCode == "":
		return nil, rpcErr(tg.ErrPhoneCodeEmpty)
	case r.PhoneCode != loginCode:
		return nil, rpcErr(tg.ErrPhoneCodeInvalid)
	}
	s.bind(c, a)
	return &tg.AuthAuthorization{User: a.self()}, nil
}

// bind makes c's auth key act as a; a key signed in as another user before
// leaves that user.
func (s *Server) bind(c *call, a *account) {
	id := c.req.Session.AuthKey.ID
	if old := c.key.acct; old != nil {
		delete(old.keys, id)
	}
	c.key.acct = a
	c.acct = a
	if a != nil {
		a.keys[id] = c.key
	}
}

func (s *Server) authLogOut(c *call, _ *tg.AuthLogOutRequest) (bin.Encoder, error) {
	s.bind(c, nil)
	return &tg.AuthLoggedOut{}, nil
}

func (s *Server) usersGetUsers(c *call, r *tg.UsersGetUsersRequest) (bin.Encoder, error) {
	var out vector
	for _, in := range r.ID {
		a := s.resolveUser(c, in)
		switch {
		case a == nil:
			continue // Telegram leaves unknown users out.
		case a == c.acct:
			out = append(out, a.self())
		default:
			out = append(out, a.peer())
		}
	}
	return out, nil
}

func (s *Server) usersGetFullUser(c *call, r *tg.UsersGetFullUserRequest) (bin.Encoder, error) {
	a := s.resolveUser(c, r.ID)
	if a == nil {
		return nil, rpcErr(tg.ErrUserIDInvalid)
	}
	u := a.peer()
	if a == c.acct {
		u = a.self()
	}
	return &tg.UsersUserFull{
		FullUser: tg.UserFull{ID: a.user.ID},
		Users:    []tg.UserClass{u},
	}, nil
}

func (s *Server) contactsResolveUsername(c *call, r *tg.ContactsResolveUsernameRequest) (bin.Encoder, error) {
	if r.Username == "" {
		return nil, rpcErr(tg.ErrUsernameInvalid)
	}
	for _, a := range s.users {
		if a.user.Username == r.Username {
			u := a.peer()
			if a == c.acct {
				u = a.self()
			}
			return &tg.ContactsResolvedPeer{
				Peer:  &tg.PeerUser{UserID: a.user.ID},
				Users: []tg.UserClass{u},
			}, nil
		}
	}
	return nil, rpcErr(tg.ErrUsernameNotOccupied)
}
