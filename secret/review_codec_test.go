package secret_test

// Review: hostile input to Decrypt and DecryptBatch. Messages are forged
// with the reference KDF and gotd/ige (seal, plaintext in secret_test.go),
// correctly keyed but with random layers, random_bytes lengths, bodies,
// length prefixes and paddings, in both versions and with the wrong x, and
// the codec's verdict is checked against the protocol's rules computed here
// independently; then the same messages, garbled, truncated and extended,
// go through DecryptBatch, which must agree with Decrypt message by message.

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/secret"
)

type reviewCase struct {
	wire []byte
	want []error // acceptable errors; nil entry means success is acceptable
	body []byte  // the body expected on success (nil: any)
	v    kdf.Version
}

func reviewForge(t *testing.T, r *rand.Rand, keyBytes []byte) reviewCase {
	v := 1 + r.IntN(2)
	layers := []int{8, 17, 23, 46, 66, 72, 73, 101, 144, 0, -1, 1 << 30}
	layer := layers[r.IntN(len(layers))]
	rbLens := []int{0, 1, 14, 15, 16, 31, 200, 253, 254, 255, 300}
	random := make([]byte, rbLens[r.IntN(len(rbLens))])
	body := textBody(t, r.IntN(120))
	badBody := r.IntN(10) == 0
	if badBody {
		body = append([]byte{0xde, 0xad, 0xbe, 0xef}, body[4:]...)
	}
	env := plaintext(random, layer, body, -1, 0)
	trueLen := len(env) - 4

	// The declared length: usually right, sometimes off.
	length := trueLen
	switch r.IntN(8) {
	case 0:
		length = []int{0, -4, -8, 1, 2, trueLen - 4, trueLen + 4, trueLen + 1, trueLen + 16, 1 << 30, -1 << 31}[r.IntN(11)]
	case 1:
		length = trueLen + 4*r.IntN(300) - 400
	}
	if length == -1 { // plaintext reads -1 as "the true length"
		length = -5
	}
	// The padding: to a whole block, a random amount around the limits.
	var pad int
	if v == 2 {
		pad = []int{0, 4, 8, 12, 16, 28, 100, 1020, 1024, 1028, 1040, 1100}[r.IntN(12)]
	} else {
		pad = []int{0, 4, 8, 12, 15, 16, 20, 32}[r.IntN(8)]
	}
	pad += (16 - (len(env)+pad)%16) % 16
	data := plaintext(random, layer, body, length, pad)
	D := len(data) - 4

	wrongX := v == 2 && r.IntN(10) == 0
	x := 0
	if wrongX {
		x = 8
	}
	hashLen := len(data)
	if v == 1 {
		// The sender hashes what its prefix says (clamped to the data, as
		// a forger would).
		hashLen = 4 + min(max(length, 0), D)
	}
	wire := seal(keyBytes, v, x, data, hashLen)
	c := reviewCase{wire: wire, body: body, v: kdf.Version(v)}

	parse := func() []error {
		if length != trueLen {
			// The envelope is read up to the declared length: the codec
			// may accept a body with padding bytes after it, or refuse.
			return []error{nil, secret.ErrEnvelope, secret.ErrUnknownConstructor, secret.ErrShortRandomBytes, secret.ErrV1Layer}
		}
		var errs []error
		if len(random) < secret.MinRandomBytes {
			errs = append(errs, secret.ErrShortRandomBytes)
		}
		if badBody {
			errs = append(errs, secret.ErrUnknownConstructor)
		}
		if v == 1 && layer >= secret.MTProto2Layer && len(errs) == 0 {
			errs = append(errs, secret.ErrV1Layer)
		}
		if len(errs) == 0 {
			errs = append(errs, nil)
		}
		return errs
	}
	switch {
	case wrongX:
		c.want = []error{secret.ErrMsgKey}
	case v == 2:
		switch p := D - length; {
		case length <= 0 || length%4 != 0 || length > D:
			c.want = []error{secret.ErrLength}
		case p < secret.MinPadding || p > secret.MaxPadding:
			c.want = []error{secret.ErrPadding}
		default:
			c.want = parse()
		}
	default:
		switch {
		case length < 0 || length > D:
			c.want = []error{secret.ErrMsgKey}
		case length == 0 || length%4 != 0:
			c.want = []error{secret.ErrLength}
		case D-length > 15:
			c.want = []error{secret.ErrPadding}
		default:
			c.want = parse()
		}
	}
	if length != trueLen {
		c.body = nil
	}
	return c
}

func reviewAcceptable(err error, want []error) bool {
	for _, w := range want {
		if w == nil && err == nil || w != nil && errors.Is(err, w) {
			return true
		}
	}
	return false
}

func TestReviewForgedMessagesAgainstRules(t *testing.T) {
	keyBytes := randomKeyBytes(77)
	key := mustKey(t, keyBytes)
	rx := secret.NewCodec(key, secret.Responder) // receives x = 0
	r := rand.New(rand.NewPCG(17, 4))
	n := 2000
	if os.Getenv("SECRETBENCH_LONG") == "1" {
		n = 20000
	}
	var cases []reviewCase
	for i := range n {
		c := reviewForge(t, r, keyBytes)
		dst := make([]byte, 3, 3+r.IntN(2*len(c.wire)))
		got, h, err := rx.Decrypt(dst, c.wire)
		if !reviewAcceptable(err, c.want) {
			t.Fatalf("case %d (v%d): Decrypt error %v, want one of %v", i, c.v, err, c.want)
		}
		if err != nil {
			if len(got) != 3 {
				t.Fatalf("case %d: dst length %d after an error, want 3", i, len(got))
			}
			if !documented(err) {
				t.Fatalf("case %d: undocumented error %v", i, err)
			}
		} else {
			if h.Version != c.v {
				t.Fatalf("case %d: accepted as v%d, sent as v%d", i, h.Version, c.v)
			}
			if !bytes.HasPrefix(got[3:], c.body) {
				t.Fatalf("case %d: body differs", i)
			}
		}
		cases = append(cases, c)
	}

	// The same messages and hostile variants, as batches of random sizes.
	var wires [][]byte
	for _, c := range cases {
		w := c.wire
		switch r.IntN(6) {
		case 0:
			w = w[:r.IntN(len(w)+1)] // truncated
		case 1:
			w = append(bytes.Clone(w), make([]byte, 16*(1+r.IntN(3)))...) // extended
		case 2:
			w = bytes.Clone(w)
			w[r.IntN(len(w))] ^= byte(1 + r.IntN(255))
		case 3:
			w = make([]byte, r.IntN(100))
			copy(w, c.wire[:8]) // right fingerprint, garbage after
			for k := 8; k < len(w); k++ {
				w[k] = byte(r.Uint32())
			}
		}
		wires = append(wires, w)
	}
	var out []byte
	var results []secret.Result
	for len(wires) > 0 {
		k := min(len(wires), 1+r.IntN(40))
		out, results = rx.DecryptBatch(out[:0], wires[:k], results[:0])
		if len(results) != k {
			t.Fatalf("%d results for %d wires", len(results), k)
		}
		for i, w := range wires[:k] {
			body, h, err := rx.Decrypt(nil, w)
			res := results[i]
			if (err == nil) != (res.Err == nil) || err != nil && res.Err.Error() != err.Error() {
				t.Fatalf("batch of %d, #%d: batch error %v, Decrypt %v", k, i, res.Err, err)
			}
			if err == nil && (res.Header != h || !bytes.Equal(res.Body, body)) {
				t.Fatalf("batch of %d, #%d: batch result differs from Decrypt", k, i)
			}
		}
		wires = wires[k:]
	}
}

// Every prefix and a few extensions of a valid message of each version are
// refused, never accepted as a shorter message, and never panic.
func TestReviewTruncatedAndExtended(t *testing.T) {
	key := mustKey(t, seqKeyBytes())
	tx := secret.NewCodec(key, secret.Originator, secret.WithRand(stream(9)), secret.WithMaxPadding(100))
	rx := secret.NewCodec(key, secret.Responder)
	for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
		wire, err := tx.Encrypt(nil, headerFor(v), textBody(t, 70))
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(wire) {
			if _, _, err := rx.Decrypt(nil, wire[:n]); err == nil || !documented(err) {
				t.Fatalf("v%d: %d-byte prefix of a %d-byte message: %v", v, n, len(wire), err)
			}
		}
		for _, extra := range []int{1, 15, 16, 32, 1024} {
			long := append(bytes.Clone(wire), make([]byte, extra)...)
			if _, _, err := rx.Decrypt(nil, long); err == nil || !documented(err) {
				t.Fatalf("v%d: message with %d bytes appended: %v", v, extra, err)
			}
		}
		// The sender's own codec (same role) must not accept its own v2
		// message (wrong x); v1 has x = 0 both ways, so it does.
		_, _, err = tx.Decrypt(nil, wire)
		if v == kdf.V2 && !errors.Is(err, secret.ErrMsgKey) {
			t.Fatalf("v2 message decrypted by the sender's role: %v, want ErrMsgKey", err)
		}
		if v == kdf.V1 && err != nil {
			t.Fatalf("v1 message decrypted by the sender's role: %v", err)
		}
	}
}

// Encrypt then Decrypt, over random headers (both versions, layers,
// random_bytes up to the maximum), bodies, padding bounds and dst with a
// prefix and spare capacity: the header and body come back, the padding is
// within the protocol's and the codec's bounds, and the prefix of dst stays.
func TestReviewEncryptRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 5))
	key := mustKey(t, randomKeyBytes(5))
	n := 300
	if os.Getenv("SECRETBENCH_LONG") == "1" {
		n = 5000
	}
	for i := range n {
		maxPad := 27 + r.IntN(1024-27+1)
		role := roles[r.IntN(2)]
		tx := secret.NewCodec(key, role, secret.WithRand(stream(byte(i))), secret.WithMaxPadding(maxPad))
		rx := secret.NewCodec(key, peer(role))
		h := secret.Header{Layer: []int32{8, 17, 46, 72, 73, 101, 144, 1 << 20}[r.IntN(8)],
			InSeqNo: int32(r.IntN(1 << 20)), OutSeqNo: int32(r.IntN(1 << 20))}
		if h.Layer < secret.MTProto2Layer && r.IntN(2) == 0 {
			h.Version = kdf.V1
		} else if r.IntN(2) == 0 {
			h.Version = kdf.V2
		}
		switch r.IntN(6) {
		case 0:
			h.RandomBytes = secret.MaxRandomBytes
		case 1, 2:
			h.RandomBytes = 15 + r.IntN(300)
		}
		body := textBody(t, r.IntN(2000))
		prefix := []byte("prefix")
		dst := append(make([]byte, 0, len(prefix)+r.IntN(4000)), prefix...)
		wire, err := tx.Encrypt(dst, h, body)
		if err != nil {
			t.Fatalf("case %d: Encrypt: %v", i, err)
		}
		if !bytes.HasPrefix(wire, prefix) {
			t.Fatalf("case %d: dst's prefix overwritten", i)
		}
		wire = wire[len(prefix):]
		if (len(wire)-secret.Overhead)%16 != 0 {
			t.Fatalf("case %d: %d-byte wire is not whole blocks", i, len(wire))
		}
		got, gh, err := rx.Decrypt(nil, wire)
		if err != nil {
			t.Fatalf("case %d (%+v, maxPad %d): Decrypt: %v", i, h, maxPad, err)
		}
		wantV := h.Version
		if wantV == 0 {
			wantV = kdf.V1
			if h.Layer >= secret.MTProto2Layer {
				wantV = kdf.V2
			}
		}
		wantRB := h.RandomBytes
		if wantRB == 0 {
			wantRB = secret.MinRandomBytes
		}
		if gh.Version != wantV || gh.Layer != h.Layer || gh.InSeqNo != h.InSeqNo || gh.OutSeqNo != h.OutSeqNo || gh.RandomBytes != wantRB {
			t.Fatalf("case %d: header %+v, sent %+v", i, gh, h)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("case %d: body differs", i)
		}
		// The padding: everything after the length-prefixed envelope.
		envLen := 4 + 4 + tlBytesLen(wantRB) + 4 + 4 + 4 + len(body)
		pad := len(wire) - secret.Overhead - envLen
		if wantV == kdf.V2 && (pad < secret.MinPadding || pad > maxPad) {
			t.Fatalf("case %d: v2 padding %d outside %d..%d", i, pad, secret.MinPadding, maxPad)
		}
		if wantV == kdf.V1 && (pad < 0 || pad > 15) {
			t.Fatalf("case %d: v1 padding %d", i, pad)
		}
	}
}

// tlBytesLen is the TL encoding length of an n-byte string.
func tlBytesLen(n int) int {
	if n < 254 {
		return (1 + n + 3) &^ 3
	}
	return (4 + n + 3) &^ 3
}
