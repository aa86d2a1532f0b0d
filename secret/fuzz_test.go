package secret_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/secretbench/secretbench/kdf"
	"github.com/secretbench/secretbench/secret"
)

// FuzzDecrypt: Decrypt and DecryptBatch on arbitrary bytes never panic and
// return only documented errors. Inputs are tried as they are and behind the
// key's fingerprint, so the fuzzer gets past the first check.
func FuzzDecrypt(f *testing.F) {
	key, _ := secret.NewKey(seqKeyBytes())
	tx := secret.NewCodec(key, secret.Originator, secret.WithRand(stream(8)), secret.WithMaxPadding(40))
	for _, v := range []kdf.Version{kdf.V1, kdf.V2} {
		for _, n := range []int{0, 30, 300} {
			w, err := tx.Encrypt(nil, headerFor(v), textBody(f, n))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(w)
			f.Add(w[8:])
		}
	}
	f.Add([]byte{})
	rx := secret.NewCodec(key, secret.Responder)
	fp := binary.LittleEndian.AppendUint64(nil, uint64(key.Fingerprint()))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, w := range [][]byte{in, append(fp[:8:8], in...)} {
			body, h, err := rx.Decrypt(nil, w)
			if err != nil {
				if !documented(err) {
					t.Fatalf("undocumented error %v", err)
				}
				continue
			}
			if h.Version != kdf.V1 && h.Version != kdf.V2 || h.RandomBytes < secret.MinRandomBytes || len(body) < 4 {
				t.Fatalf("accepted with header %+v", h)
			}
		}
		_, res := rx.DecryptBatch(nil, [][]byte{in, append(fp[:8:8], in...)}, nil)
		for _, r := range res {
			if r.Err != nil && !documented(r.Err) {
				t.Fatalf("batch: undocumented error %v", r.Err)
			}
		}
	})
}

// FuzzDecodeMessage: the gotd-backed decoder never panics and returns only
// its documented errors.
func FuzzDecodeMessage(f *testing.F) {
	f.Add(textBody(f, 3))
	f.Add([]byte{0x60, 0x41, 0x16, 0x73, 0, 0, 0, 0, 0, 0, 0, 0, 0x63, 0xdd, 0x2f, 0xa8})
	f.Fuzz(func(t *testing.T, in []byte) {
		msg, err := secret.DecodeMessage(in)
		if err != nil {
			if !errors.Is(err, secret.ErrMalformedTL) && !errors.Is(err, secret.ErrUnknownConstructor) && !errors.Is(err, secret.ErrTrailingBytes) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if msg == nil {
			t.Fatal("nil message without error")
		}
		if _, err := secret.DecodeLayer(in); err == nil {
			t.Fatal("a message decoded as a layer")
		}
	})
}
