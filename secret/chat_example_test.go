package secret_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/gotd/td/tg/e2e"

	"github.com/secretbench/secretbench/secret"
)

// Two sides of a chat over a network that reorders and duplicates: the
// message that arrives early waits for the one before it, the duplicate
// is dropped, and a side restarts from its persisted state.
func ExampleChat() {
	raw := make([]byte, secret.KeySize) // from the key exchange (ExampleDH)
	for i := range raw {
		raw[i] = byte(i)
	}
	key, _ := secret.NewKey(raw)
	cfg := secret.Config{} // crypto/rand, time.Now, no re-keying without DH
	alice, toBob, _ := secret.NewChat(key, secret.Originator, cfg)
	toBob = chatClonePackets(toBob) // packets belong to the Chat until its next call
	bob, toAlice, _ := secret.NewChat(key, secret.Responder, cfg)
	toAlice = chatClonePackets(toAlice)

	// Each side's first packet is a NotifyLayer with its layer.
	r, _ := bob.Receive(toBob[0])
	fmt.Println("bob:", r.Outcome, "peer layer", r.PeerLayer)
	_, _ = alice.Receive(toAlice[0])

	first, _ := alice.SendMessage(&e2e.DecryptedMessage{RandomID: 1, Message: "first"})
	first = chatClonePackets(first)
	second, _ := alice.SendMessage(&e2e.DecryptedMessage{RandomID: 2, Message: "second"})
	second = chatClonePackets(second)

	r, _ = bob.Receive(second[0])
	fmt.Println("bob:", r.Outcome, "packets to send:", len(r.Send)) // a Resend request for "first"
	r, _ = bob.Receive(first[0])
	fmt.Print("bob: ", r.Outcome, ":")
	for _, m := range r.Messages {
		msg, _ := secret.DecodeMessage(m.Body)
		fmt.Print(" ", msg.(*e2e.DecryptedMessage).Message)
	}
	fmt.Println()
	r, err := bob.Receive(first[0])
	fmt.Println("bob:", r.Outcome, errors.Is(err, secret.ErrDuplicate))

	state, _ := bob.MarshalBinary()
	bob, err = secret.RestoreChat(state, cfg)
	fmt.Println("restored:", err == nil, "peer layer", bob.PeerLayer())
	// Output:
	// bob: processed peer layer 144
	// bob: queued packets to send: 1
	// bob: processed: first second
	// bob: dropped true
	// restored: true peer layer 144
}

func chatClonePackets(wires [][]byte) [][]byte {
	out := make([][]byte, len(wires))
	for i, w := range wires {
		out[i] = bytes.Clone(w)
	}
	return out
}
