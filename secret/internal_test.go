package secret

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"testing"

	gotdige "github.com/gotd/ige"
	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg/e2e"
	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/reference"
	"github.com/secretbench/secretbench/internal/testutil"
	"github.com/secretbench/secretbench/kdf"
)

type vectorFile struct {
	Source string `json:"source"`
	MsgKey string `json:"msg_key"`
	Derive []struct {
		Version int    `json:"version"`
		X       int    `json:"x"`
		AESKey  string `json:"aes_key"`
		AESIV   string `json:"aes_iv"`
	} `json:"derive"`
	MsgKeyV2 []struct {
		X      int    `json:"x"`
		MsgKey string `json:"msg_key"`
	} `json:"msg_key_v2"`
	KeyFingerprint int64  `json:"key_fingerprint"`
	Visualization  string `json:"visualization_k_k"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	var v vectorFile
	testutil.LoadJSON(t, "testdata/vectors.json", &v)
	return &v
}

func sequentialKey(t testing.TB) *Key {
	k, err := NewKey(testutil.SeqKey()[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDeriveThroughCodec checks that the codec derives the vector keys of
// docs/PROTOCOL.md for the x its role implies: the originator sends with
// x = 0 and receives with x = 8, the responder the other way round, v1
// always x = 0.
func TestDeriveThroughCodec(t *testing.T) {
	v := loadVectors(t)
	key := sequentialKey(t)
	msgKey := (*[16]byte)(testutil.Unhex(t, v.MsgKey))
	for _, d := range v.Derive {
		for _, role := range []Role{Originator, Responder} {
			c := NewCodec(key, role)
			var x int
			switch {
			case d.Version == 1:
				x = 0
			case d.X == role.sendX():
				x = role.sendX()
			default:
				x = role.recvX()
			}
			if x != d.X {
				continue
			}
			c.derive(kdf.Version(d.Version), msgKey, x)
			if hex.EncodeToString(c.aesKey[:]) != d.AESKey || hex.EncodeToString(c.aesIV[:]) != d.AESIV {
				t.Errorf("v%d %v x=%d: aes_key %x aes_iv %x", d.Version, role, x, c.aesKey, c.aesIV)
			}
		}
	}
	if Originator.sendX() != 0 || Originator.recvX() != 8 || Responder.sendX() != 8 || Responder.recvX() != 0 {
		t.Fatal("role to x mapping")
	}
}

// TestSharedKeyPadded checks the left padding of a shared key whose value
// is shorter than 256 bytes: with exponent 1 the key is the peer value.
func TestSharedKeyPadded(t *testing.T) {
	p := wellKnownPrime(t)
	peer := make([]byte, 200)
	peer[0] = 0x42
	var e [exponentSize]byte
	e[exponentSize-1] = 1
	k, err := shared(p, peer, &e)
	if err != nil {
		t.Fatal(err)
	}
	want := append(make([]byte, 56), peer...)
	if !bytes.Equal(k.Bytes(), want) {
		t.Fatalf("key not left-padded: %x", k.Bytes()[:64])
	}
	if k.Fingerprint() != kdf.KeyFingerprint((*[256]byte)(want)) {
		t.Fatal("fingerprint of the padded key")
	}
}

func wellKnownPrime(testing.TB) []byte { return dhcheck.WellKnownPrime() }

// TestEnvelopeMatchesGotd checks putEnvelope and parseEnvelope byte for byte
// against gotd/td's encoding of decryptedMessageLayer, across the one- and
// four-byte forms of the random_bytes length.
func TestEnvelopeMatchesGotd(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bodies := []e2e.DecryptedMessageClass{
		&e2e.DecryptedMessage{RandomID: 7, Message: "hello"},
		&e2e.DecryptedMessageService{RandomID: -1, Action: &e2e.DecryptedMessageActionNotifyLayer{Layer: 144}},
		&e2e.DecryptedMessage8{RandomID: 1, RandomBytes: []byte{1, 2, 3}, Message: "x", Media: &e2e.DecryptedMessageMediaEmpty{}},
	}
	for _, n := range []int{15, 16, 17, 100, 252, 253, 254, 255, 256, 1000, 70000} {
		for i, msg := range bodies {
			var body bin.Buffer
			if err := msg.Encode(&body); err != nil {
				t.Fatal(err)
			}
			random := make([]byte, n)
			for j := range random {
				random[j] = byte(rng.Uint32())
			}
			h := Header{Layer: int32(rng.Uint32()), InSeqNo: int32(rng.Uint32()), OutSeqNo: -5, RandomBytes: n}
			layer := e2e.DecryptedMessageLayer{RandomBytes: random, Layer: int(h.Layer), InSeqNo: int(h.InSeqNo), OutSeqNo: int(h.OutSeqNo), Message: msg}
			var want bin.Buffer
			want.PutInt32(0) // length prefix, set below
			if err := layer.Encode(&want); err != nil {
				t.Fatal(err)
			}
			want.Buf[0], want.Buf[1], want.Buf[2], want.Buf[3] = byte(want.Len()-4), byte((want.Len()-4)>>8), byte((want.Len()-4)>>16), 0

			got := make([]byte, 4+envelopeSize(n, body.Len()))
			for j := range got {
				got[j] = 0xee // putEnvelope must write every byte but the random ones
			}
			copy(got[randomOffset(n):], random)
			putEnvelope(got, &h, body.Buf)
			if !bytes.Equal(got, want.Buf) {
				t.Fatalf("n=%d body %d: envelope differs from gotd\n got %x\nwant %x", n, i, got[:40], want.Buf[:40])
			}

			var parsed Header
			off, err := parseEnvelope(got[4:], &parsed)
			if err != nil {
				t.Fatal(err)
			}
			if parsed != h || !bytes.Equal(got[4+off:], body.Buf) {
				t.Fatalf("n=%d: parsed %+v, want %+v", n, parsed, h)
			}
			decoded, err := DecodeLayer(got[4:])
			if err != nil || !bytes.Equal(decoded.RandomBytes, random) || decoded.Layer != int(h.Layer) {
				t.Fatalf("gotd cannot decode ours: %v", err)
			}
		}
	}
}

// TestVectorsThroughPipeline puts the fingerprint, visualization and v2
// msg_key vectors of docs/PROTOCOL.md through the exported pipeline:
//   - the first 8 bytes of every wire message are the key_fingerprint;
//   - a wire message whose plaintext is the vector's 00..3f, carrying the
//     vector msg_key for x, passes the msg_key check of the receiver whose
//     peer sends with that x (and then fails on the length prefix
//     0x03020100, the first check after msg_key), while the other role
//     rejects it at msg_key.
func TestVectorsThroughPipeline(t *testing.T) {
	v := loadVectors(t)
	key := sequentialKey(t)
	if key.Fingerprint() != v.KeyFingerprint {
		t.Fatalf("fingerprint %d", key.Fingerprint())
	}
	wire, err := NewCodec(key, Originator).Encrypt(nil, Header{Layer: 144}, testutil.Unhex(t, "6041167301000000000000006"+"3dd2fa8"))
	if err != nil {
		t.Fatal(err)
	}
	if fp, _ := PeekFingerprint(wire); fp != v.KeyFingerprint {
		t.Fatalf("wire fingerprint %d", fp)
	}
	if vis := key.Visualization(key); hex.EncodeToString(vis[:]) != v.Visualization {
		t.Fatalf("visualization %x", vis)
	}

	kb := key.Bytes()
	plain := kb[:64] // 00..3f
	for _, m := range v.MsgKeyV2 {
		msgKey := testutil.Unhex(t, m.MsgKey)
		aesKey, aesIV := reference.Derive(2, kb, msgKey, m.X)
		block, _ := aes.NewCipher(aesKey)
		ct := make([]byte, len(plain))
		gotdige.EncryptBlocks(block, aesIV, ct, plain)
		wire := binary.LittleEndian.AppendUint64(nil, uint64(v.KeyFingerprint))
		wire = append(append(wire, msgKey...), ct...)

		// x = 0 is what the originator sends: the responder accepts it.
		receiver, other := Responder, Originator
		if m.X == 8 {
			receiver, other = Originator, Responder
		}
		if _, _, err := NewCodec(key, receiver).Decrypt(nil, wire); !errors.Is(err, ErrLength) {
			t.Errorf("x=%d: %v receiver: %v, want ErrLength (msg_key accepted)", m.X, receiver, err)
		}
		if _, _, err := NewCodec(key, other).Decrypt(nil, wire); !errors.Is(err, ErrMsgKey) {
			t.Errorf("x=%d: %v receiver: %v, want ErrMsgKey", m.X, other, err)
		}
	}
}

// TestParseEnvelopeErrors reaches every rejection of parseEnvelope.
func TestParseEnvelopeErrors(t *testing.T) {
	id := binary.LittleEndian.AppendUint32(nil, layerTypeID)
	msg := binary.LittleEndian.AppendUint32(nil, 0x73164160) // decryptedMessageService
	random15 := append([]byte{15}, make([]byte, 15)...)
	ints := make([]byte, 12)
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		tl   []byte
		want error
	}{
		{"empty", nil, ErrEnvelope},
		{"wrong id", cat([]byte{1, 2, 3, 4}, random15, ints, msg), ErrUnknownConstructor},
		{"no random_bytes", id, ErrEnvelope},
		{"long length truncated", cat(id, []byte{254, 1}), ErrEnvelope},
		{"length byte 255", cat(id, []byte{255, 0, 0, 0}), ErrEnvelope},
		{"random_bytes past end", cat(id, []byte{100}, make([]byte, 20)), ErrEnvelope},
		{"long random_bytes past end", cat(id, []byte{254, 0, 1, 0}, make([]byte, 20)), ErrEnvelope},
		{"short random_bytes", cat(id, []byte{14}, make([]byte, 15), ints, msg), ErrShortRandomBytes},
		{"ints truncated", cat(id, random15, ints[:8]), ErrEnvelope},
		{"no message", cat(id, random15, ints), ErrEnvelope},
		{"unknown message", cat(id, random15, ints, []byte{9, 9, 9, 9}), ErrUnknownConstructor},
	} {
		var h Header
		if _, err := parseEnvelope(tc.tl, &h); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	var h Header
	if off, err := parseEnvelope(cat(id, random15, ints, msg), &h); err != nil || off != 4+16+12 || h.RandomBytes != 15 {
		t.Fatalf("valid envelope: %d %v", off, err)
	}
}

// TestDecryptMessageErrors: DecryptMessage passes on both Decrypt's and
// DecodeMessage's errors.
// TestPipelineEveryKDF runs a batch and single messages through every kdf
// implementation (the two-lane SHA-256 kernel pairs the batch's msg_key
// hashes and each v2 derivation) and checks the results agree.
func TestPipelineEveryKDF(t *testing.T) {
	key := sequentialKey(t)
	body := bytes.Repeat([]byte{0x60, 0x41, 0x16, 0x73}, 50)
	var wires [][]byte
	tx := NewCodec(key, Originator)
	for i := 0; i < 9; i++ {
		w, err := tx.Encrypt(nil, Header{Layer: 144}, body[:4*(i*5+1)])
		if err != nil {
			t.Fatal(err)
		}
		wires = append(wires, w)
	}
	impltest.Run(t, "kdf", func(t *testing.T) {
		rx := NewCodec(key, Responder)
		_, res := rx.DecryptBatch(nil, wires, nil)
		for i, r := range res {
			if r.Err != nil || !bytes.Equal(r.Body, body[:4*(i*5+1)]) {
				t.Fatalf("message %d: %v", i, r.Err)
			}
			if _, _, err := rx.Decrypt(nil, wires[i]); err != nil {
				t.Fatal(err)
			}
		}
	})
}
