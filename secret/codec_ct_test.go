package secret_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/secretbench/secretbench/secret"
)

// TestV1LengthRange: the v1 length prefix is checked with masks, not
// branches (openV1); these wires pin where the range ends. A length of
// size-4 is authenticated; one past it, negative or huge is ErrMsgKey,
// even when msg_key is that of the 4-byte prefix that the masked length
// falls back to.
func TestV1LengthRange(t *testing.T) {
	keyBytes := seqKeyBytes()
	rx := secret.NewCodec(mustKey(t, keyBytes), secret.Responder)
	random := bytes.Repeat([]byte{7}, 15)
	body := textBody(t, 5)
	n := len(plaintext(random, 46, body, -1, 0))
	data := func(length uint32) []byte {
		d := plaintext(random, 46, body, -1, pad16(n))
		binary.LittleEndian.PutUint32(d, length)
		return d
	}
	size := n + pad16(n)

	// The longest usable length: msg_key over all of the data verifies.
	full := data(uint32(size - 4))
	if _, _, err := rx.Decrypt(nil, seal(keyBytes, 1, 0, full, size)); errors.Is(err, secret.ErrMsgKey) {
		t.Errorf("length size-4: %v, want it verified", err)
	}
	for _, length := range []uint32{uint32(size - 3), uint32(size), 1 << 31, 1<<31 - 1, 1<<32 - 1, 1<<32 - 4} {
		d := data(length)
		if _, _, err := rx.Decrypt(nil, seal(keyBytes, 1, 0, d, 4)); !errors.Is(err, secret.ErrMsgKey) {
			t.Errorf("length %#x, msg_key of the first 4 bytes: %v, want %v", length, err, secret.ErrMsgKey)
		}
		if _, _, err := rx.Decrypt(nil, seal(keyBytes, 1, 0, d, size)); !errors.Is(err, secret.ErrMsgKey) {
			t.Errorf("length %#x, msg_key of all the data: %v, want %v", length, err, secret.ErrMsgKey)
		}
	}
	// Every length in range, msg_key over exactly its prefix: verified,
	// then judged on the length and padding.
	for length := 0; length <= size-4; length++ {
		d := data(uint32(length))
		_, _, err := rx.Decrypt(nil, seal(keyBytes, 1, 0, d, 4+length))
		var want error
		switch {
		case length == 0 || length%4 != 0:
			want = secret.ErrLength
		case size-4-length > 15:
			want = secret.ErrPadding
		}
		if want != nil && !errors.Is(err, want) || want == nil && errors.Is(err, secret.ErrMsgKey) {
			t.Errorf("length %d of %d: %v, want %v", length, size-4, err, want)
		}
	}
}

// TestWithoutV1: a Codec made WithoutV1 decrypts v2 as before and refuses
// every v1 message, valid or not, with ErrV1Refused, in Decrypt and
// DecryptBatch alike.
func TestWithoutV1(t *testing.T) {
	keyBytes := seqKeyBytes()
	key := mustKey(t, keyBytes)
	rx := secret.NewCodec(key, secret.Responder, secret.WithoutV1())
	random := bytes.Repeat([]byte{7}, 15)
	body := textBody(t, 5)
	good := plaintext(random, 144, body, -1, 0)
	v2pad := 12 + pad16(len(good)+12)
	v1 := plaintext(random, 46, body, -1, pad16(len(good)))

	cases := []struct {
		name string
		wire []byte
		want error
	}{
		{"v2 ok", seal(keyBytes, 2, 0, plaintext(random, 144, body, -1, v2pad), 0), nil},
		{"v2 length 0", seal(keyBytes, 2, 0, plaintext(random, 144, body, 0, v2pad), 0), secret.ErrLength},
		{"v1 ok", seal(keyBytes, 1, 0, v1, len(good)), secret.ErrV1Refused},
		{"v1 length 0", seal(keyBytes, 1, 0, plaintext(random, 46, body, 0, pad16(len(good))), 4), secret.ErrV1Refused},
		{"wrong x", seal(keyBytes, 2, 8, plaintext(random, 144, body, -1, v2pad), 0), secret.ErrV1Refused},
	}
	wires := make([][]byte, len(cases))
	for i, c := range cases {
		wires[i] = c.wire
		_, _, err := rx.Decrypt(nil, c.wire)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if errors.Is(err, secret.ErrV1Refused) && errors.Is(err, secret.ErrMsgKey) {
			t.Errorf("%s: %v matches ErrMsgKey too", c.name, err)
		}
	}
	_, results := rx.DecryptBatch(nil, wires, nil)
	for i, c := range cases {
		if err := results[i].Err; !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("batch: %s: %v, want %v", c.name, err, c.want)
		}
	}
	// Without the option the same v1 message decrypts.
	if _, h, err := secret.NewCodec(key, secret.Responder).Decrypt(nil, cases[2].wire); err != nil || h.Version != 1 {
		t.Errorf("v1 ok without WithoutV1: %v, version %d", err, h.Version)
	}
}
