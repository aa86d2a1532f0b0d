package secret_test

import (
	"bytes"
	"fmt"

	"github.com/gotd/td/tg/e2e"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/secret"
)

// A full key exchange: the originator requests, the responder accepts, the
// originator completes and compares fingerprints. Both end with the same
// 256-byte key. (g, p) would come from messages.getDhConfig; here the
// well-known prime with g = 3.
func ExampleDH() {
	p := dhcheck.WellKnownPrime()
	dh := secret.DH{G: 3, P: p}

	// Originator: messages.requestEncryption(g_a).
	request, err := dh.Request(nil)
	if err != nil {
		panic(err)
	}
	// Responder: messages.acceptEncryption(g_b, key_fingerprint).
	gB, responderKey, err := dh.Accept(request.GA(), nil)
	if err != nil {
		panic(err)
	}
	// Originator: the fingerprint must match, else discard the chat.
	originatorKey, err := request.Complete(gB, responderKey.Fingerprint())
	if err != nil {
		panic(err)
	}
	request.Wipe()

	fmt.Println("same key:", bytes.Equal(originatorKey.Bytes(), responderKey.Bytes()))
	fmt.Println("key length:", len(originatorKey.Bytes()))
	// Output:
	// same key: true
	// key length: 256
}

// A message round trip: the originator encrypts a gotd/td message, the
// responder decrypts it and reads the envelope's sequence numbers.
func ExampleCodec() {
	raw := make([]byte, secret.KeySize) // from the key exchange
	for i := range raw {
		raw[i] = byte(i)
	}
	key, _ := secret.NewKey(raw)
	alice := secret.NewCodec(key, secret.Originator)
	bob := secret.NewCodec(key, secret.Responder)

	wire, err := alice.EncryptMessage(nil, secret.Header{Layer: secret.CurrentLayer, InSeqNo: 0, OutSeqNo: 1},
		&e2e.DecryptedMessage{RandomID: 42, Message: "hello, secret world"})
	if err != nil {
		panic(err)
	}

	h, msg, err := bob.DecryptMessage(wire)
	if err != nil {
		panic(err)
	}
	fmt.Println("version:", h.Version, "layer:", h.Layer, "out_seq_no:", h.OutSeqNo)
	fmt.Println(msg.(*e2e.DecryptedMessage).Message)
	// Output:
	// version: 2 layer: 144 out_seq_no: 1
	// hello, secret world
}

// The allocation-free form: raw TL bodies in, wire bytes appended to a
// reused buffer, bodies appended to another.
func ExampleCodec_Decrypt() {
	raw := make([]byte, secret.KeySize)
	key, _ := secret.NewKey(raw)
	alice := secret.NewCodec(key, secret.Originator)
	bob := secret.NewCodec(key, secret.Responder)

	// decryptedMessageService#73164160 random_id:long action:decryptedMessageActionNoop#a82fdd63
	body := []byte{0x60, 0x41, 0x16, 0x73, 1, 0, 0, 0, 0, 0, 0, 0, 0x63, 0xdd, 0x2f, 0xa8}
	wireBuf := make([]byte, 0, 2048)
	plainBuf := make([]byte, 0, 2048)

	wire, err := alice.Encrypt(wireBuf[:0], secret.Header{Layer: 144, OutSeqNo: 1}, body)
	if err != nil {
		panic(err)
	}
	got, h, err := bob.Decrypt(plainBuf[:0], wire)
	if err != nil {
		panic(err)
	}
	fmt.Println(bytes.Equal(got, body), h.RandomBytes, h.OutSeqNo)
	// Output: true 15 1
}
