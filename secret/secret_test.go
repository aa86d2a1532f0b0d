package secret_test

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	gotdige "github.com/gotd/ige"
	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg/e2e"

	"github.com/secretbench/secretbench/internal/raceflag"
	"github.com/secretbench/secretbench/internal/reference"
	"github.com/secretbench/secretbench/internal/testutil"
	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/secret"
)

func seqKeyBytes() []byte { return testutil.SeqKey()[:] }

func randomKeyBytes(seed uint64) []byte {
	b := make([]byte, secret.KeySize)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 0xaa})
	_, _ = r.Read(b)
	return b
}

func mustKey(t testing.TB, b []byte) *secret.Key {
	t.Helper()
	k, err := secret.NewKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func stream(seed byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{seed, 's'}) }

// textBody is the TL of a decryptedMessage (layer 73 form) carrying n bytes of text.
func textBody(t testing.TB, n int) []byte {
	t.Helper()
	var b bin.Buffer
	msg := &e2e.DecryptedMessage{RandomID: 0x1122334455667788, TTL: 0, Message: strings.Repeat("a", n)}
	if err := msg.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Buf
}

func peer(r secret.Role) secret.Role { return 1 - r }

var roles = []secret.Role{secret.Originator, secret.Responder}

func headerFor(v kdf.Version) secret.Header {
	h := secret.Header{Version: v, Layer: 46, InSeqNo: 4, OutSeqNo: 7}
	if v == kdf.V2 {
		h.Layer = secret.CurrentLayer
	}
	return h
}

// TestMatchesReference: with the same random stream, Encrypt produces the
// reference pipeline's bytes exactly, and each decrypts the other's output,
// in both versions, both roles, both directions.
func TestMatchesReference(t *testing.T) {
	sizes := []int{0, 1, 3, 16, 100, 253, 1000, 5000}
	if !testing.Short() {
		sizes = append(sizes, 70000)
	}
	for seed, n := range sizes {
		for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
			for _, role := range roles {
				keyBytes := randomKeyBytes(uint64(seed))
				key := mustKey(t, keyBytes)
				body := textBody(t, n)
				h := headerFor(v)
				h.RandomBytes = 15 + seed*37%300

				ours := secret.NewCodec(key, role, secret.WithRand(stream(byte(seed))))
				wire, err := ours.Encrypt(nil, h, body)
				if err != nil {
					t.Fatal(err)
				}
				m := reference.Message{Version: int(v), Layer: int(h.Layer), InSeqNo: int(h.InSeqNo), OutSeqNo: int(h.OutSeqNo), Body: body}
				refWire, err := reference.Encrypt(keyBytes, role == secret.Originator, m, reference.Options{Rand: stream(byte(seed)), RandomBytes: h.RandomBytes})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(wire, refWire) {
					t.Fatalf("n=%d v%d %v: wire differs from the reference", n, v, role)
				}

				// Reference decrypts ours.
				got, err := reference.Decrypt(keyBytes, role != secret.Originator, wire)
				if err != nil {
					t.Fatalf("reference cannot decrypt ours: %v", err)
				}
				if got.Version != int(v) || !bytes.Equal(got.Body, body) || got.Layer != int(h.Layer) || got.InSeqNo != 4 || got.OutSeqNo != 7 || len(got.RandomBytes) != h.RandomBytes {
					t.Fatalf("reference decrypted %+v", got)
				}

				// Ours decrypts the reference's, with fresh randomness.
				m.RandomBytes = nil
				refWire, err = reference.Encrypt(keyBytes, role == secret.Originator, m, reference.Options{Rand: stream(byte(100 + seed))})
				if err != nil {
					t.Fatal(err)
				}
				other := secret.NewCodec(key, peer(role))
				prefix := []byte("prefix")
				out, gh, err := other.Decrypt(prefix, refWire)
				if err != nil {
					t.Fatalf("ours cannot decrypt the reference's: %v", err)
				}
				want := secret.Header{Version: v, Layer: h.Layer, InSeqNo: 4, OutSeqNo: 7, RandomBytes: 15}
				if gh != want || !bytes.Equal(out, append([]byte("prefix"), body...)) {
					t.Fatalf("decrypted %+v", gh)
				}
			}
		}
	}
}

// TestDefaultPaddingRange: v2 padding stays within 12..1024, takes many
// values, and WithMaxPadding bounds it.
func TestDefaultPaddingRange(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	body := textBody(t, 10)
	for _, maxPad := range []int{0, 27, 100} {
		opts := []secret.Option{secret.WithRand(stream(9))}
		limit := secret.MaxPadding
		if maxPad != 0 {
			opts = append(opts, secret.WithMaxPadding(maxPad))
			limit = maxPad
		}
		c := secret.NewCodec(key, secret.Originator, opts...)
		seen := map[int]bool{}
		for i := 0; i < 300; i++ {
			wire, err := c.Encrypt(nil, headerFor(kdf.V2), body)
			if err != nil {
				t.Fatal(err)
			}
			pad := len(wire) - secret.Overhead - 4 - (4 + 16 + 12 + len(body))
			if pad < secret.MinPadding || pad > limit || (len(wire)-secret.Overhead)%16 != 0 {
				t.Fatalf("padding %d", pad)
			}
			seen[pad] = true
		}
		if maxPad == 0 && len(seen) < 40 || maxPad == 27 && len(seen) != 1 {
			t.Fatalf("max %d: %d distinct paddings", maxPad, len(seen))
		}
	}
}

// plaintext builds length prefix || decryptedMessageLayer || padding with
// gotd's encoder; length overrides the prefix when not -1.
func plaintext(random []byte, layer int, body []byte, length int, padding int) []byte {
	var tl bin.Buffer
	tl.PutID(e2e.DecryptedMessageLayerTypeID)
	tl.PutBytes(random)
	tl.PutInt(layer)
	tl.PutInt(2)
	tl.PutInt(3)
	tl.Put(body)
	if length == -1 {
		length = tl.Len()
	}
	data := binary.LittleEndian.AppendUint32(nil, uint32(length))
	data = append(data, tl.Buf...)
	return append(data, make([]byte, padding)...)
}

// seal encrypts data (already padded) as the sender x would, with the
// reference's KDF and gotd/ige: an independent way to forge well-keyed
// messages that break one rule. For v1 msg_key covers data[:hashLen].
func seal(key []byte, v, x int, data []byte, hashLen int) []byte {
	var msgKey []byte
	if v == 1 {
		msgKey = reference.MsgKey(1, key, data[:hashLen], 0)
		x = 0
	} else {
		msgKey = reference.MsgKey(2, key, data, x)
	}
	aesKey, aesIV := reference.Derive(v, key, msgKey, x)
	block, _ := aes.NewCipher(aesKey)
	ct := make([]byte, len(data))
	gotdige.EncryptBlocks(block, aesIV, ct, data)
	out := binary.LittleEndian.AppendUint64(nil, uint64(reference.Fingerprint(key)))
	return append(append(out, msgKey...), ct...)
}

func pad16(n int) int { return (16 - n%16) % 16 }

// TestReceiveErrors provokes every receive error with an otherwise valid,
// correctly keyed message.
func TestReceiveErrors(t *testing.T) {
	keyBytes := seqKeyBytes()
	key := mustKey(t, keyBytes)
	rx := secret.NewCodec(key, secret.Responder) // receives x = 0
	random := bytes.Repeat([]byte{7}, 15)
	body := textBody(t, 5)
	good := plaintext(random, 144, body, -1, 0)
	goodLen := len(good) - 4
	v2pad := func(n int) int { p := 12 + pad16(n+12); return p }

	type tc struct {
		name string
		wire []byte
		want error
	}
	var cases []tc
	add := func(name string, wire []byte, want error) { cases = append(cases, tc{name, wire, want}) }

	// Sanity: the forged messages are accepted when nothing is broken.
	add("v2 ok", seal(keyBytes, 2, 0, plaintext(random, 144, body, -1, v2pad(len(good))), 0), nil)
	add("v1 ok", seal(keyBytes, 1, 0, plaintext(random, 46, body, -1, pad16(len(good))), len(good)), nil)

	valid := seal(keyBytes, 2, 0, plaintext(random, 144, body, -1, v2pad(len(good))), 0)
	add("empty", nil, secret.ErrMessageSize)
	add("7 bytes", valid[:7], secret.ErrMessageSize)
	add("header only", valid[:24], secret.ErrMessageSize)
	add("not whole blocks", valid[:len(valid)-1], secret.ErrMessageSize)
	other := append([]byte(nil), valid...)
	other[0] ^= 1
	add("wrong fingerprint", other, secret.ErrUnknownKey)
	add("other key", seal(randomKeyBytes(5), 2, 0, plaintext(random, 144, body, -1, v2pad(len(good))), 0), secret.ErrUnknownKey)
	add("wrong x (our own direction)", seal(keyBytes, 2, 8, plaintext(random, 144, body, -1, v2pad(len(good))), 0), secret.ErrMsgKey)
	mk := append([]byte(nil), valid...)
	mk[10] ^= 0x80
	add("msg_key flipped", mk, secret.ErrMsgKey)

	p := v2pad(len(good))
	add("v2 length 0", seal(keyBytes, 2, 0, plaintext(random, 144, body, 0, p), 0), secret.ErrLength)
	add("v2 length negative", seal(keyBytes, 2, 0, plaintext(random, 144, body, -16, p), 0), secret.ErrLength)
	add("v2 length not /4", seal(keyBytes, 2, 0, plaintext(random, 144, body, goodLen-2, p), 0), secret.ErrLength)
	add("v2 length past end", seal(keyBytes, 2, 0, plaintext(random, 144, body, goodLen+p+4, p), 0), secret.ErrLength)
	add("v1 length 0", seal(keyBytes, 1, 0, plaintext(random, 46, body, 0, pad16(len(good))), 4), secret.ErrLength)
	add("v1 length not /4", seal(keyBytes, 1, 0, plaintext(random, 46, body, goodLen-1, pad16(len(good))), len(good)-1), secret.ErrLength)
	add("v1 length past end (unauthenticated)", seal(keyBytes, 1, 0, plaintext(random, 46, body, goodLen+64, pad16(len(good))), len(good)), secret.ErrMsgKey)

	for r := 15; r < 31; r++ {
		// A random_bytes length that leaves less than 12 bytes to align.
		rb := bytes.Repeat([]byte{7}, r)
		if n := len(plaintext(rb, 144, body, -1, 0)); pad16(n) < 12 {
			add("v2 padding under 12", seal(keyBytes, 2, 0, plaintext(rb, 144, body, -1, pad16(n)), 0), secret.ErrPadding)
			break
		}
	}
	add("v2 padding 1040", seal(keyBytes, 2, 0, plaintext(random, 144, body, -1, v2pad(len(good))+1024), 0), secret.ErrPadding)
	add("v1 padding 16", seal(keyBytes, 1, 0, plaintext(random, 46, body, -1, pad16(len(good))+16), len(good)), secret.ErrPadding)

	short := bytes.Repeat([]byte{7}, 14)
	sg := plaintext(short, 144, body, -1, 0)
	add("random_bytes 14", seal(keyBytes, 2, 0, plaintext(short, 144, body, -1, v2pad(len(sg))), 0), secret.ErrShortRandomBytes)
	add("random_bytes 0", seal(keyBytes, 2, 0, plaintext(nil, 144, body, -1, v2pad(len(plaintext(nil, 144, body, -1, 0)))), 0), secret.ErrShortRandomBytes)
	v1l := plaintext(random, 73, body, -1, 0)
	add("v1 layer 73", seal(keyBytes, 1, 0, plaintext(random, 73, body, -1, pad16(len(v1l))), len(v1l)), secret.ErrV1Layer)

	badBody := append([]byte{1, 2, 3, 4}, body[4:]...)
	add("unknown body constructor", seal(keyBytes, 2, 0, plaintext(random, 144, badBody, -1, v2pad(len(good))), 0), secret.ErrUnknownConstructor)
	env := plaintext(random, 144, body, -1, v2pad(len(good)))
	env[4] ^= 1
	add("unknown envelope constructor", seal(keyBytes, 2, 0, env, 0), secret.ErrUnknownConstructor)
	// A length prefix that cuts the envelope inside random_bytes.
	cut := plaintext(random, 144, body, 8, 0)
	cut = cut[:12]
	add("envelope truncated", seal(keyBytes, 2, 0, append(cut, make([]byte, 12+pad16(12+12))...), 0), secret.ErrEnvelope)
	nobody := plaintext(random, 144, nil, -1, 0)
	add("envelope without message", seal(keyBytes, 2, 0, plaintext(random, 144, nil, -1, v2pad(len(nobody))), 0), secret.ErrEnvelope)
	long := plaintext(random, 144, body, -1, 0)
	long[8] = 255
	add("random_bytes length byte 255", seal(keyBytes, 2, 0, append(long, make([]byte, v2pad(len(long)))...), 0), secret.ErrEnvelope)

	all := []error{secret.ErrMessageSize, secret.ErrUnknownKey, secret.ErrMsgKey, secret.ErrLength, secret.ErrPadding,
		secret.ErrEnvelope, secret.ErrUnknownConstructor, secret.ErrShortRandomBytes, secret.ErrV1Layer}
	for _, c := range cases {
		_, _, err := rx.Decrypt(nil, c.wire)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			continue
		}
		if err != nil {
			matches := 0
			for _, e := range all {
				if errors.Is(err, e) {
					matches++
				}
			}
			if matches != 1 {
				t.Errorf("%s: %v matches %d errors", c.name, err, matches)
			}
		}
	}
}

// TestEncryptErrors provokes every error Encrypt promises.
func TestEncryptErrors(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	c := secret.NewCodec(key, secret.Originator)
	body := textBody(t, 3)
	dst := []byte("keep")
	for _, tc := range []struct {
		name string
		h    secret.Header
		body []byte
		want error
	}{
		{"short random", secret.Header{Layer: 144, RandomBytes: 14}, body, secret.ErrShortRandomBytes},
		{"negative random", secret.Header{Layer: 144, RandomBytes: -1}, body, secret.ErrTooLong},
		{"huge random", secret.Header{Layer: 144, RandomBytes: secret.MaxRandomBytes + 1}, body, secret.ErrTooLong},
		{"v1 layer 73", secret.Header{Version: kdf.V1, Layer: 73}, body, secret.ErrV1Layer},
		{"version 3", secret.Header{Version: 3, Layer: 144}, body, secret.ErrVersion},
		{"empty body", secret.Header{Layer: 144}, nil, secret.ErrBody},
		{"odd body", secret.Header{Layer: 144}, body[:len(body)-1], secret.ErrBody},
		{"not a message", secret.Header{Layer: 144}, []byte{1, 2, 3, 4}, secret.ErrUnknownConstructor},
	} {
		out, err := c.Encrypt(dst, tc.h, tc.body)
		if !errors.Is(err, tc.want) || string(out) != "keep" {
			t.Errorf("%s: %v (out %q)", tc.name, err, out)
		}
	}
	broken := secret.NewCodec(key, secret.Originator, secret.WithRand(strings.NewReader("short")))
	if _, err := broken.Encrypt(nil, secret.Header{Layer: 144}, body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("failing reader: %v", err)
	}
	// A reader that runs dry in the second read (the padding beyond the
	// minimum, selected by the first two bytes).
	dry := secret.NewCodec(key, secret.Originator, secret.WithRand(bytes.NewReader(append([]byte{1, 0}, make([]byte, 15+27)...))))
	if _, err := dry.Encrypt(nil, secret.Header{Layer: 144}, body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reader dry in the padding: %v", err)
	}
	// Version zero picks by layer.
	rx := secret.NewCodec(key, secret.Responder)
	for _, layer := range []int32{8, 72, 73, 144} {
		wire, err := c.Encrypt(nil, secret.Header{Layer: layer}, body)
		if err != nil {
			t.Fatal(err)
		}
		_, h, err := rx.Decrypt(nil, wire)
		want := kdf.V1
		if layer >= 73 {
			want = kdf.V2
		}
		if err != nil || h.Version != want {
			t.Fatalf("layer %d: %v %v", layer, h.Version, err)
		}
	}
	for _, n := range []int{0, 26, 1025} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithMaxPadding(%d) did not panic", n)
				}
			}()
			secret.WithMaxPadding(n)
		}()
	}
}

// TestBitFlips: every single-bit flip of a valid wire message is rejected,
// for both versions, with only the documented errors.
func TestBitFlips(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	tx := secret.NewCodec(key, secret.Originator, secret.WithRand(stream(3)), secret.WithMaxPadding(60))
	rx := secret.NewCodec(key, secret.Responder)
	for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
		wire, err := tx.Encrypt(nil, headerFor(v), textBody(t, 40))
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 0, len(wire))
		for i := 0; i < len(wire)*8; i++ {
			wire[i/8] ^= 1 << (i % 8)
			_, _, err := rx.Decrypt(buf, wire)
			wire[i/8] ^= 1 << (i % 8)
			if err == nil {
				t.Fatalf("v%d: flip of bit %d accepted", v, i)
			}
			if !documented(err) {
				t.Fatalf("v%d bit %d: undocumented error %v", v, i, err)
			}
		}
		if _, _, err := rx.Decrypt(buf, wire); err != nil {
			t.Fatal(err)
		}
	}
}

func documented(err error) bool {
	for _, e := range []error{secret.ErrMessageSize, secret.ErrUnknownKey, secret.ErrMsgKey, secret.ErrLength, secret.ErrPadding,
		secret.ErrEnvelope, secret.ErrUnknownConstructor, secret.ErrShortRandomBytes, secret.ErrV1Layer} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// TestGotdMessages: gotd/td values go in with EncryptMessage and come out
// of DecryptMessage equal, for several constructors and layers.
func TestGotdMessages(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	tx := secret.NewCodec(key, secret.Responder)
	rx := secret.NewCodec(key, secret.Originator)
	msgs := []e2e.DecryptedMessageClass{
		&e2e.DecryptedMessage{RandomID: 1, Message: "hi", Entities: []e2e.MessageEntityClass{&e2e.MessageEntityBold{Offset: 0, Length: 2}}},
		&e2e.DecryptedMessageService{RandomID: 2, Action: &e2e.DecryptedMessageActionResend{StartSeqNo: 1, EndSeqNo: 9}},
		&e2e.DecryptedMessageService8{RandomID: 3, RandomBytes: []byte("0123456789abcdef"), Action: &e2e.DecryptedMessageActionNotifyLayer{Layer: 144}},
		&e2e.DecryptedMessage46{RandomID: 4, Message: "m", Media: &e2e.DecryptedMessageMediaGeoPoint{Lat: 1, Long: 2}},
		&e2e.DecryptedMessage23{RandomID: 5, TTL: 3, Message: "old", Media: &e2e.DecryptedMessageMediaEmpty{}},
	}
	for _, m := range msgs {
		for _, layer := range []int32{17, 144} {
			wire, err := tx.EncryptMessage(nil, secret.Header{Layer: layer}, m)
			if err != nil {
				t.Fatal(err)
			}
			h, got, err := rx.DecryptMessage(wire)
			if err != nil {
				t.Fatal(err)
			}
			var a, b bin.Buffer
			_ = m.Encode(&a)
			_ = got.Encode(&b)
			if h.Layer != layer || got.TypeID() != m.TypeID() || !bytes.Equal(a.Buf, b.Buf) {
				t.Fatalf("%s: got %v", m.TypeName(), got)
			}
		}
	}
	if _, err := tx.EncryptMessage(nil, secret.Header{Layer: 144}, nil); !errors.Is(err, secret.ErrMalformedTL) {
		t.Fatalf("nil message: %v", err)
	}
	if _, err := tx.EncryptMessage(nil, secret.Header{Layer: 144}, &e2e.DecryptedMessageService{RandomID: 1}); !errors.Is(err, secret.ErrMalformedTL) {
		t.Fatalf("service without action: %v", err)
	}
}

// TestDecodeMessageErrors: trailing bytes, unknown constructors (outside
// and inside) and truncation each give their error.
func TestDecodeMessageErrors(t *testing.T) {
	var b bin.Buffer
	_ = (&e2e.DecryptedMessageService{RandomID: 9, Action: &e2e.DecryptedMessageActionTyping{Action: &e2e.SendMessageTypingAction{}}}).Encode(&b)
	good := b.Buf
	if _, err := secret.DecodeMessage(good); err != nil {
		t.Fatal(err)
	}
	inner := append([]byte(nil), good...)
	inner[12] ^= 0x55 // the action's constructor id
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"trailing", append(append([]byte(nil), good...), 0, 0, 0, 0), secret.ErrTrailingBytes},
		{"unknown", []byte{1, 2, 3, 4, 5, 6, 7, 8}, secret.ErrUnknownConstructor},
		{"unknown inside", inner, secret.ErrUnknownConstructor},
		{"truncated", good[:len(good)-2], secret.ErrMalformedTL},
		{"empty", nil, secret.ErrMalformedTL},
	} {
		if _, err := secret.DecodeMessage(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := secret.DecodeLayer(append(bytes.Repeat([]byte{0}, 4), good...)); !errors.Is(err, secret.ErrUnknownConstructor) {
		t.Errorf("DecodeLayer: %v", err)
	}
}

func TestDecryptMessageErrors(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	tx, rx := secret.NewCodec(key, secret.Originator), secret.NewCodec(key, secret.Responder)
	if _, _, err := rx.DecryptMessage([]byte{1}); !errors.Is(err, secret.ErrMessageSize) {
		t.Errorf("short wire: %v", err)
	}
	// A body whose constructor is known but whose fields are cut short.
	wire, err := tx.Encrypt(nil, secret.Header{Layer: 144}, []byte{0x60, 0x41, 0x16, 0x73, 1, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rx.DecryptMessage(wire); !errors.Is(err, secret.ErrMalformedTL) {
		t.Errorf("truncated body: %v", err)
	}
}

// TestBatch: DecryptBatch gives, message by message, what Decrypt gives,
// for a mix of v2, v1, broken and foreign messages.
func TestBatch(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	tx := secret.NewCodec(key, secret.Originator, secret.WithRand(stream(4)))
	rx := secret.NewCodec(key, secret.Responder)
	var wires [][]byte
	for i := 0; i < 40; i++ {
		v := kdf.V2
		if i%5 == 1 {
			v = kdf.V1
		}
		w, err := tx.Encrypt(nil, headerFor(v), textBody(t, i*37))
		if err != nil {
			t.Fatal(err)
		}
		switch i % 7 {
		case 3:
			w[len(w)-1] ^= 1
		case 5:
			w = w[:len(w)-3]
		case 6:
			w[2] ^= 1
		}
		wires = append(wires, w)
	}
	var dst []byte
	var results []secret.Result
	for round := 0; round < 2; round++ {
		dst, results = rx.DecryptBatch(dst[:0], wires, results[:0])
		if len(results) != len(wires) {
			t.Fatalf("%d results", len(results))
		}
		for i, w := range wires {
			body, h, err := rx.Decrypt(nil, w)
			r := results[i]
			if !errors.Is(r.Err, err) || (err == nil) != (r.Err == nil) || r.Header != h || !bytes.Equal(r.Body, body) {
				t.Fatalf("message %d: batch %+v %v, single %+v %v", i, r.Header, r.Err, h, err)
			}
		}
	}
	// Empty batch.
	if out, res := rx.DecryptBatch(nil, nil, nil); len(out) != 0 || len(res) != 0 {
		t.Fatal("empty batch")
	}
}

// TestAllocs: steady-state Encrypt, Decrypt and DecryptBatch allocate nothing.
func TestAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	key := mustKey(t, seqKeyBytes())
	for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
		tx := secret.NewCodec(key, secret.Originator)
		rx := secret.NewCodec(key, secret.Responder)
		body := textBody(t, 1024)
		wbuf := make([]byte, 0, 4096)
		pbuf := make([]byte, 0, 4096)
		wire, _ := tx.Encrypt(nil, headerFor(v), body)
		if n := testing.AllocsPerRun(50, func() {
			if _, err := tx.Encrypt(wbuf, headerFor(v), body); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("v%d Encrypt: %v allocs", v, n)
		}
		if n := testing.AllocsPerRun(50, func() {
			if _, _, err := rx.Decrypt(pbuf, wire); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("v%d Decrypt: %v allocs", v, n)
		}
		wires := [][]byte{wire, wire, wire, wire}
		dst := make([]byte, 0, 4*len(wire))
		results := make([]secret.Result, 0, 4)
		rx.DecryptBatch(dst, wires, results)
		if n := testing.AllocsPerRun(50, func() {
			_, r := rx.DecryptBatch(dst, wires, results)
			if r[3].Err != nil {
				t.Fatal(r[3].Err)
			}
		}); n != 0 {
			t.Errorf("v%d DecryptBatch: %v allocs", v, n)
		}
	}
}

func TestKeyAPI(t *testing.T) {
	if _, err := secret.NewKey(make([]byte, 255)); !errors.Is(err, secret.ErrKeySize) {
		t.Fatal(err)
	}
	b := seqKeyBytes()
	k := mustKey(t, b)
	if k.Fingerprint() != reference.Fingerprint(b) || !bytes.Equal(k.Bytes(), b) || !bytes.Equal(k.Array()[:], b) {
		t.Fatal("key accessors")
	}
	fp, err := secret.PeekFingerprint(binary.LittleEndian.AppendUint64(nil, uint64(k.Fingerprint())))
	if err != nil || fp != k.Fingerprint() {
		t.Fatal("PeekFingerprint")
	}
	if _, err := secret.PeekFingerprint([]byte{1}); !errors.Is(err, secret.ErrMessageSize) {
		t.Fatal(err)
	}
	if secret.Originator.String() != "originator" || secret.Responder.String() != "responder" || secret.Role(5).String() != "Role(5)" {
		t.Fatal("Role.String")
	}
	c := secret.NewCodec(k, secret.Responder)
	if c.Key() != k || c.Role() != secret.Responder {
		t.Fatal("codec accessors")
	}
	wire, _ := secret.NewCodec(k, secret.Originator).Encrypt(nil, headerFor(kdf.V2), textBody(t, 1))
	c.Wipe()
	if _, _, err := c.Decrypt(nil, wire); err != nil {
		t.Fatalf("codec unusable after Wipe: %v", err)
	}
	k.Wipe()
	if !bytes.Equal(k.Bytes(), make([]byte, 256)) || k.Fingerprint() != 0 {
		t.Fatal("Wipe")
	}
	for _, f := range []func(){
		func() { secret.NewCodec(nil, secret.Originator) },
		func() { secret.NewCodec(mustKey(t, b), 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

// TestRandomCrossCheck: random bodies, headers, random_bytes lengths and
// paddings; ours and the reference agree byte for byte and decrypt each
// other. SECRETBENCH_LONG=1 runs many more.
func TestRandomCrossCheck(t *testing.T) {
	iterations := 150
	if os.Getenv("SECRETBENCH_LONG") == "1" {
		iterations = 5000
	} else if testing.Short() {
		iterations = 30
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < iterations; i++ {
		keyBytes := randomKeyBytes(rng.Uint64())
		key := mustKey(t, keyBytes)
		v := kdf.Version(1 + rng.IntN(2))
		role := roles[rng.IntN(2)]
		h := secret.Header{Version: v, Layer: int32(rng.IntN(73)), InSeqNo: int32(rng.Uint32()), OutSeqNo: int32(rng.Uint32()), RandomBytes: 15 + rng.IntN(300)}
		if v == kdf.V2 {
			h.Layer = int32(rng.Uint32())
		}
		body := textBody(t, rng.IntN(3000))
		maxPad := 27 + rng.IntN(998)
		seed := byte(i)
		wire, err := secret.NewCodec(key, role, secret.WithRand(stream(seed)), secret.WithMaxPadding(maxPad)).Encrypt(nil, h, body)
		if err != nil {
			t.Fatal(err)
		}
		m := reference.Message{Version: int(v), Layer: int(h.Layer), InSeqNo: int(h.InSeqNo), OutSeqNo: int(h.OutSeqNo), Body: body}
		refWire, err := reference.Encrypt(keyBytes, role == secret.Originator, m, reference.Options{Rand: stream(seed), RandomBytes: h.RandomBytes, MaxPadding: maxPad})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(wire, refWire) {
			t.Fatalf("iteration %d: wire differs from the reference", i)
		}
		if got, err := reference.Decrypt(keyBytes, role != secret.Originator, wire); err != nil || !bytes.Equal(got.Body, body) {
			t.Fatalf("iteration %d: reference decrypt: %v", i, err)
		}
		got, gh, err := secret.NewCodec(key, peer(role)).Decrypt(nil, refWire)
		if err != nil || gh != h || !bytes.Equal(got, body) {
			t.Fatalf("iteration %d: decrypt: %v %+v", i, err, gh)
		}
	}
}

// TestOverlapPanics: buffers that alias the output are refused loudly
// instead of producing garbage.
func TestOverlapPanics(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	c := secret.NewCodec(key, secret.Originator)
	body := textBody(t, 20)
	buf := make([]byte, 0, 4096)
	wire, _ := c.Encrypt(nil, headerFor(kdf.V2), body)
	rx := secret.NewCodec(key, secret.Responder)
	for name, f := range map[string]func(){
		"encrypt": func() { inside := append(buf[100:100], body...); c.Encrypt(buf, headerFor(kdf.V2), inside) },
		"decrypt": func() { inside := append(buf[10:10], wire...); rx.Decrypt(buf, inside) },
		"batch":   func() { inside := append(buf[10:10], wire...); rx.DecryptBatch(buf, [][]byte{inside}, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	// Disjoint buffers, including a body right after dst's capacity, are fine.
	backing := make([]byte, 4096)
	dst := backing[:0:2048]
	after := append(backing[2048:2048], body...)
	if _, err := c.Encrypt(dst, headerFor(kdf.V2), after); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentCodecsShareKey: Codecs on several goroutines may share one
// Key (run with -race), and key exchanges may run concurrently.
func TestConcurrentCodecsShareKey(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx := secret.NewCodec(key, secret.Originator)
			rx := secret.NewCodec(key, secret.Responder)
			for i := 0; i < 30; i++ {
				w, err := tx.Encrypt(nil, headerFor(kdf.V2), textBody(t, i*10))
				if err == nil {
					_, _, err = rx.Decrypt(nil, w)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dh := secret.DH{G: 3, P: wellKnownPrime}
			ex, err := dh.Request(nil)
			if err == nil {
				_, _, err = dh.Accept(ex.GA(), nil)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
