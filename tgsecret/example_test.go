package tgsecret_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tg/e2e"
	"golang.org/x/sync/errgroup"

	"github.com/secretbench/secretbench/tgsecret"
	"github.com/secretbench/secretbench/tgsecret/tgsecrettest"
)

// startApp is what an app does once: a Manager on its store, registered
// on the update dispatcher and on gotd's update manager (whose qts it
// keeps), and Run beside the update manager once the client is signed in.
func startApp(ctx context.Context, srv *tgsecrettest.Server, u *tg.User, onEvent func(context.Context, tgsecret.Event)) *tgsecret.Manager {
	m, err := tgsecret.New(ctx, tgsecret.Options{Store: tgsecret.NewMemStore(), OnEvent: onEvent})
	if err != nil {
		panic(err)
	}
	d := tg.NewUpdateDispatcher()
	m.Register(d)
	gaps := updates.New(updates.Config{Handler: d, Storage: m.StateStorage()})
	running := make(chan struct{})
	go srv.Run(ctx, u, telegram.Options{UpdateHandler: gaps}, func(ctx context.Context, c *telegram.Client) error {
		g, ctx := errgroup.WithContext(ctx)
		started := make(chan struct{})
		g.Go(func() error {
			return gaps.Run(ctx, c.API(), u.ID, updates.AuthOptions{OnStart: func(context.Context) { close(started) }})
		})
		g.Go(func() error {
			<-started
			close(running)
			return m.Run(ctx, c.API())
		})
		return g.Wait()
	})
	<-running
	return m
}

// Two gotd/td clients on the test server: alice asks bob for a secret
// chat, bob accepts, they exchange messages and a file, and alice
// discards the chat with its history.
func Example() {
	srv, err := tgsecrettest.Start(tgsecrettest.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	alice, bob := srv.AddUser("alice"), srv.AddUser("bob")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	toBob := make(chan tgsecret.Event, 16)
	toAlice := make(chan tgsecret.Event, 16)
	var bobApp *tgsecret.Manager
	bobApp = startApp(ctx, srv, bob, func(ctx context.Context, e tgsecret.Event) {
		if e.Kind == tgsecret.EventRequest {
			go bobApp.Accept(ctx, e.Chat.ID()) // show the user, then accept
			return
		}
		toBob <- e
	})
	aliceApp := startApp(ctx, srv, alice, func(_ context.Context, e tgsecret.Event) { toAlice <- e })

	chat, err := aliceApp.Request(ctx, &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash})
	if err != nil {
		panic(err)
	}
	for _, events := range []chan tgsecret.Event{toAlice, toBob} {
		for e := range events {
			if e.Kind == tgsecret.EventState && e.State == tgsecret.StatusReady {
				break
			}
		}
	}
	bobsChat := bobApp.Chat(chat.ID())
	fmt.Println("same key on both sides:", chat.Fingerprint() == bobsChat.Fingerprint())

	nextMessage := func(events chan tgsecret.Event) *tgsecret.Message {
		for e := range events {
			if e.Kind == tgsecret.EventMessage {
				if _, notify := e.Message.Action.(*e2e.DecryptedMessageActionNotifyLayer); !notify {
					return e.Message
				}
			}
		}
		return nil
	}
	if _, err := chat.SendText(ctx, "hello bob"); err != nil {
		panic(err)
	}
	fmt.Println("bob got:", nextMessage(toBob).Text())
	if _, err := bobsChat.SendText(ctx, "hi alice"); err != nil {
		panic(err)
	}
	fmt.Println("alice got:", nextMessage(toAlice).Text())

	report := strings.Repeat("a secret report. ", 10000)
	if _, err := chat.SendFile(ctx, strings.NewReader(report), int64(len(report)), tgsecret.FileOptions{Name: "report.txt", Caption: "the report"}); err != nil {
		panic(err)
	}
	m := nextMessage(toBob)
	d, err := tgsecret.NewDownload(m.File)
	if err != nil {
		panic(err)
	}
	var file bytes.Buffer
	if err := bobApp.Download(ctx, d, &file); err != nil {
		panic(err)
	}
	fmt.Printf("bob got %q with a file of %d bytes, intact: %v\n", m.Text(), file.Len(), file.String() == report)

	if err := aliceApp.Discard(ctx, chat.ID(), true); err != nil {
		panic(err)
	}
	for e := range toBob {
		if e.Kind == tgsecret.EventState && e.State == tgsecret.StatusDiscarded {
			fmt.Println("bob: chat discarded, history deleted:", e.HistoryDeleted)
			break
		}
	}
	// Output:
	// same key on both sides: true
	// bob got: hello bob
	// alice got: hi alice
	// bob got "the report" with a file of 170000 bytes, intact: true
	// bob: chat discarded, history deleted: true
}
