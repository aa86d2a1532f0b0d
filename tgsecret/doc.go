// Package tgsecret gives a gotd/td client secret chats: it turns
// Telegram's updates into [secret.Chat] calls and secret.Chat's packets
// into Telegram calls, durably.
//
// # Wiring
//
// A [Manager] holds every secret chat of one account. Create it on a
// [Store], register it on the client's update dispatcher and give its
// [Manager.StateStorage] to gotd's update manager, then run it beside the
// update manager once the client is signed in:
//
//	m, _ := tgsecret.New(ctx, tgsecret.Options{Store: store, OnEvent: onEvent})
//	d := tg.NewUpdateDispatcher()
//	m.Register(d)
//	gaps := updates.New(updates.Config{Handler: d, Storage: m.StateStorage()})
//	client := telegram.NewClient(appID, appHash, telegram.Options{UpdateHandler: gaps})
//	client.Run(ctx, func(ctx context.Context) error {
//		// sign in, then:
//		go gaps.Run(ctx, client.API(), self.ID, updates.AuthOptions{})
//		return m.Run(ctx, client.API())
//	})
//
// [Manager.Request] asks a user for a chat, [Manager.Accept] and
// [Manager.Decline] answer a request (an [EventRequest]),
// [Manager.Discard] ends a chat (with delete_history if asked) and wipes
// its keys. A [Chat] sends text, any e2e message, service actions (typing,
// read, TTL, delete, flush, screenshot) and files; the server's typing and
// read notices have their own calls. Everything that happens arrives
// through Options.OnEvent as an [Event]: messages in the peer's order,
// requests, state changes, aborts with their reason, re-keys.
//
// # Keys
//
// Each key exchange starts with messages.getDhConfig (version and random:
// the server's random is XORed into ours, never used alone). Every (g, p)
// goes through a [dhcheck.Checker] (cached) before anything is computed
// with it, and g_a and g_b through dhcheck's range checks; a config that
// fails is refused and nothing is sent. The key, its fingerprint and the
// re-keying after 100 messages or a week come from package secret;
// [Chat.Fingerprint] and [Chat.Visualization] are there for users to
// compare. A g_b whose key does not have the fingerprint the peer sent
// discards the chat, as the protocol says.
//
// # Receiving, durably
//
// Each incoming encrypted message goes through
//
//	store the raw message -> secret.Chat.Receive -> events
//	  -> save the chat state -> delete the raw message -> messages.receivedQueue
//
// (saving and deleting in one write with a [ProcessedSaver] Store: two
// writes per received message, one per sent one).
//
// The account's qts, which gotd's update manager reads and writes through
// [Manager.StateStorage], advances only while no message is left
// unprocessed: a handler that fails (a store that fails) never lets qts,
// or the acknowledgement, pass a message, and [Manager.Run] fetches it
// again with updates.getDifference. A restarted app (new client, same
// Store) processes the raw messages left in the Store first; a second
// processing of a message is a duplicate that secret.Chat drops, so
// nothing is delivered twice. The one window left is the app's own: a
// crash after OnEvent returned and before the chat state is saved shows
// the message again after the restart, with the same [Message.OutSeqNo].
//
// Messages that overtake their chat (the peer's first packets before our
// request's answer or our acceptance completes) are kept and processed
// when the chat is ready. Bad input from the network (an unknown chat, a
// message that does not decrypt, a malformed update) is logged and
// dropped; only what the protocol says aborts a chat does ([EventAbort]).
//
// # Sending
//
// Each chat has an outbox saved with its state: a packet is saved before
// it is sent and leaves the outbox when the server has accepted it, so
// packets go out in order, one after the other, and a restart sends what
// was left. Flood waits are waited out; network and server errors are
// retried with backoff; a refusal (4xx) is reported. Resend requests are
// served from secret.Chat.
//
// # Files
//
// [Chat.SendFile] streams a file of known size through filecrypt in parts
// (upload.saveFilePart, or saveBigFilePart above 10 MiB) and sends the key
// in a decryptedMessageMediaDocument with messages.sendEncryptedFile. An
// incoming media message carries its [File] once the file's key
// fingerprint matches the key in the message. [Manager.Download] streams
// upload.getFile into an io.Writer; a [Download] can be saved
// (MarshalBinary) and resumed ([ResumeDownload]) at the last part written.
// Memory is one part buffer each way, whatever the size.
//
// # Stores
//
// A chat's record is its core state (secret.Chat.AppendCore: keys,
// counters, queued messages) with its outbox, replaced by each save, and
// its sent log ([ChatRecord.Sent]): the messages sent and kept for the
// peer's Resend until it acknowledges them, to which each save appends
// the new ones only. A save costs the core and the new messages, however
// many are kept.
//
// [NewMemStore] keeps everything in memory; [NewFileStore] keeps one file
// per chat and per raw message in an owner-only directory (0700, files
// 0600). A chat's file is a journal: each save appends a checksummed frame
// and syncs once; a torn last frame (a crash) is ignored; a journal grown
// to several times its content is compacted. Other files are written to a
// temporary file, synced and renamed. A chat file that cannot be read
// (corrupt) is reported as a [CorruptRecordError] and left as it is; the
// Manager logs it and starts with the other chats. Records hold keys:
// store them as carefully as keys. Both are [ProcessedSaver]s; a Store of
// your own works without it, at one more write per message.
//
// # Testing
//
// Package tgsecrettest is an in-memory Telegram server that serves secret
// chats to real gotd/td clients, with dropped, duplicated, reordered and
// delayed pushes; this package's tests and Example run on it.
package tgsecret
