// Package tgsecrettest is an in-memory Telegram data center that serves
// secret chats, for testing secret-chat clients built on gotd/td.
//
// It runs gotd/td's own MTProto server (github.com/gotd/td/tgtest, pinned
// with gotd/td v0.93.0) on a loopback listener, wired like tgtest/cluster's
// data centers but with a listener of its own so that Close cuts every
// connection and idle clients are not dropped after 30 s. Real
// telegram.Clients connect to it, exchange auth keys, sign in and call the
// methods of the secret-chat layer; the server relays what one user sends to
// the other exactly as Telegram's servers do (it never sees plaintext), and
// it can drop, duplicate, reorder and delay its pushes and cut connections,
// so a client's recovery paths can be tested.
//
// # Use
//
//	s := tgsecrettest.New(t, tgsecrettest.Options{})
//	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")
//	err := s.Run(ctx, alice, telegram.Options{UpdateHandler: h},
//		func(ctx context.Context, c *telegram.Client) error {
//			// c is signed in as alice.
//			_, err := c.API().MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{
//				UserID: &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash}, ...})
//			return err
//		})
//
// Run fills in what a client needs to reach the server (Server.Options does
// only that, for clients built by hand) and signs in with auth.sendCode and
// auth.signIn (SignIn): the phone of an account is Telegram's test-number
// form 99966 2 NNNN and the code is "22222". Signing in binds the client's
// auth key to the account; a request that needs an account on an unbound key
// gets 401 AUTH_KEY_UNREGISTERED, as on Telegram.
//
// # Methods
//
// Served (Methods lists their type ids): help.getConfig, help.getNearestDc,
// auth.sendCode, auth.signIn, auth.logOut, users.getUsers,
// users.getFullUser, contacts.resolveUsername, updates.getState,
// updates.getDifference, messages.getDhConfig, messages.requestEncryption,
// messages.acceptEncryption, messages.discardEncryption,
// messages.sendEncrypted, messages.sendEncryptedService,
// messages.sendEncryptedFile, messages.receivedQueue,
// messages.setEncryptedTyping, messages.readEncryptedHistory,
// upload.saveFilePart, upload.saveBigFilePart and upload.getFile. Any other
// method is answered at once with 400 INPUT_METHOD_INVALID, a request that
// does not decode with 400 INPUT_FETCH_ERROR: no request goes unanswered.
// Bad arguments get the RPC errors Telegram documents for the method, for
// example CHAT_ID_INVALID (unknown chat, a chat of other users, the other
// side's access hash), ENCRYPTION_DECLINED (sending to a discarded chat),
// ENCRYPTION_ALREADY_ACCEPTED, ENCRYPTION_ALREADY_DECLINED,
// ENCRYPTION_ID_INVALID, USER_ID_INVALID, DH_G_A_INVALID (g_a outside
// [2^1984, p - 2^1984]), DATA_INVALID (data that is not fingerprint, msg_key
// and whole AES blocks), DATA_TOO_LONG (over 1 MiB), MAX_QTS_INVALID,
// PERSISTENT_TIMESTAMP_EMPTY / _INVALID, RANDOM_LENGTH_INVALID (over 1024
// bytes), and the file errors below.
//
// # Secret chats
//
// messages.getDhConfig serves Telegram's 2048-bit prime (DHPrime) with
// g = 3 and a fresh random of the requested length; a client that sends the
// current version gets messages.dhConfigNotModified. SetDHConfig replaces
// both and moves the version on.
//
// Each side of a chat has its own access hash. messages.requestEncryption
// returns encryptedChatWaiting and pushes updateEncryption with
// encryptedChatRequested (g_a) to the peer; a resent request (same
// random_id) returns the same chat. messages.acceptEncryption returns
// encryptedChat (g_a_or_b = g_a) to the acceptor and pushes encryptedChat
// (g_a_or_b = g_b, the acceptor's key_fingerprint) to the requester.
// messages.discardEncryption, by either side and in any state (declining a
// request too), pushes encryptedChatDiscarded with history_deleted to the
// peer.
//
// # Updates and qts
//
// Every message sent to a chat gets the recipient's next qts and is pushed
// as updateNewEncryptedMessage{message, qts}; a resend with the same
// random_id is answered with the first answer and not delivered again. The
// server keeps each user's messages until messages.receivedQueue
// acknowledges them: updates.getDifference returns those with a qts above
// both the client's and the acknowledged qts, at most 100 at a time
// (updates.differenceSlice, then updates.difference), so a client that
// acknowledges before it has stored a message loses it, as on Telegram.
// An updateEncryption not yet delivered by a push comes in other_updates of
// the next difference, and goes out once: a difference takes it only if no
// push has sent it or is sending it, and a queued push skips it once a
// difference took it (Duplicate faults aside). pts is always 1 and seq 0 (the server keeps no
// message boxes): every push is an updates (seq 0) or an updateShort, which
// gotd/td's telegram/updates Manager applies at once, and a lost qts push
// shows as a qts gap that the Manager fills with updates.getDifference.
// Pushes go to the most recently used session of every auth key signed in as
// the user. Note that gotd's client handles each incoming message in a
// goroutine of its own: a raw update handler may see pushes in any order even
// without faults, and only the Manager (or the client's own qts tracking)
// restores qts order. In gotd v0.93.0 a Manager cancelled with updates
// pending calls updates.getDifference on its way out, and an RPC started
// while the client's connection shuts down is a data race inside gotd: Run
// keeps the connection up until f (and a Manager it runs) has returned.
//
// # Faults
//
// SetFaults makes pushes (never RPC results or differences) fail: each is
// dropped with probability Drop, sent twice with probability Duplicate,
// delayed up to MaxDelay, and with Reorder a quarter of them wait until a
// later push to the same user has gone out (or max(MaxDelay, 500ms) passed),
// so the later one overtakes them. Every choice comes
// from a generator seeded with Options.Seed, in the order of the pushes.
// Disconnect cuts every connection of a user; gotd's client reconnects on a
// new session, and requests in flight fail (the caller retries). Stats
// counts what the server saw for each user.
//
// # Files
//
// Parts are kept per user and file id, as Telegram's rules require
// (https://core.telegram.org/api/files): file_part in [0, 3999]
// (FILE_PART_INVALID), no empty part (FILE_PART_EMPTY), at most 512 KiB
// (FILE_PART_TOO_BIG), every part but the last of one size that divides
// 512 KiB and is a multiple of 1 KiB (FILE_PART_SIZE_INVALID,
// FILE_PART_SIZE_CHANGED), all parts present (FILE_PART_n_MISSING), the
// count and kind matching inputEncryptedFileUploaded (at most 10 MiB) or
// inputEncryptedFileBigUploaded (FILE_PARTS_INVALID), md5_checksum checked
// when given. messages.sendEncryptedFile stores the file as encryptedFile
// {id, access_hash, size, dc_id, key_fingerprint}; inputEncryptedFile sends
// a stored file again. upload.getFile serves it on inputEncryptedFileLocation
// (LOCATION_INVALID for other locations, FILE_ID_INVALID for a wrong id or
// access hash): limit a multiple of 4 KiB dividing 1 MiB, offset a multiple
// of 4 KiB (1 KiB for both with the precise flag, limit at most 1 MiB), the
// request inside one 1 MiB chunk (LIMIT_INVALID, OFFSET_INVALID); past the
// end it returns no bytes.
package tgsecrettest
