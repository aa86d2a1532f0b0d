package tgsecrettest_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"

	"github.com/secretbench/secretbench/tgsecret/tgsecrettest"
)

// Two real gotd/td clients on the test server: Alice requests a secret chat
// and Bob's client receives the request as an updateEncryption push.
func Example() {
	s, err := tgsecrettest.Start(tgsecrettest.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	alice, bob := s.AddUser("Alice"), s.AddUser("Bob")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	requests := make(chan *tg.EncryptedChatRequested, 1)
	onUpdates := telegram.UpdateHandlerFunc(func(ctx context.Context, u tg.UpdatesClass) error {
		if us, ok := u.(*tg.Updates); ok {
			for _, u := range us.Updates {
				if e, ok := u.(*tg.UpdateEncryption); ok {
					if r, ok := e.Chat.(*tg.EncryptedChatRequested); ok {
						requests <- r
					}
				}
			}
		}
		return nil
	})
	bobReady := make(chan struct{})
	bobDone := make(chan error, 1)
	var got *tg.EncryptedChatRequested
	go func() {
		bobDone <- s.Run(ctx, bob, telegram.Options{UpdateHandler: onUpdates}, func(ctx context.Context, c *telegram.Client) error {
			close(bobReady)
			got = <-requests
			return nil
		})
	}()
	<-bobReady

	err = s.Run(ctx, alice, telegram.Options{}, func(ctx context.Context, c *telegram.Client) error {
		cfg, err := c.API().MessagesGetDhConfig(ctx, &tg.MessagesGetDhConfigRequest{RandomLength: 256})
		if err != nil {
			return err
		}
		dh := cfg.(*tg.MessagesDhConfig)
		p := new(big.Int).SetBytes(dh.P)
		a, err := rand.Int(rand.Reader, p)
		if err != nil {
			return err
		}
		ga := new(big.Int).Exp(big.NewInt(int64(dh.G)), a, p).FillBytes(make([]byte, 256))
		chat, err := c.API().MessagesRequestEncryption(ctx, &tg.MessagesRequestEncryptionRequest{
			UserID:   &tg.InputUser{UserID: bob.ID, AccessHash: bob.AccessHash},
			RandomID: 1,
			GA:       ga,
		})
		if err != nil {
			return err
		}
		fmt.Printf("Alice: %T\n", chat)
		return nil
	})
	if err != nil {
		panic(err)
	}
	if err := <-bobDone; err != nil {
		panic(err)
	}
	fmt.Println("Bob: a secret chat request from Alice:", got.AdminID == alice.ID)
	fmt.Println("Bob's stats:", s.Stats(bob).Pushed, "push")
	// Output:
	// Alice: *tg.EncryptedChatWaiting
	// Bob: a secret chat request from Alice: true
	// Bob's stats: 1 push
}
