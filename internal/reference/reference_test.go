package reference

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/internal/testutil"
)

// TestVectors checks the KDF, msg_key and fingerprint vectors of
// docs/PROTOCOL.md section 10.
func TestVectors(t *testing.T) {
	k := testutil.SeqKey()[:]
	msgKey := testutil.Unhex(t, "000102030405060708090a0b0c0d0e0f")
	for _, v := range []struct {
		version, x   int
		aesKey, aeIV string
	}{
		{2, 0, "704ed09c8b41668ae8f99d244738f71dbddc44469b6bbd4aa8573dd042bd059e", "4d266000a550edabbf4c7ce40fd0043cc92230184cd317a5cc9c2482fd3b9318"},
		{2, 8, "217725799b245806458174a1fcfbc883906807b15033fdd0ea2b4d69cf9c364e", "669a6538917a4fa56ca32360a431c9160be4ad887140980dab91ce7bdc47ffbc"},
		{1, 0, "17d7295ca9213d1ab656acdb1ad48b2ea7f3a8f7095098d5508b900bbd5fccfc", "2d7d16a65a84108e9805656caa474501cc580aa2edc33abfd0bfad785464d1c6"},
	} {
		key, iv := Derive(v.version, k, msgKey, v.x)
		if hex.EncodeToString(key) != v.aesKey || hex.EncodeToString(iv) != v.aeIV {
			t.Errorf("v%d x=%d: got %x %x", v.version, v.x, key, iv)
		}
	}
	pt := k[:64]
	if got := hex.EncodeToString(MsgKey(2, k, pt, 0)); got != "e49f11289d422637af5d2db54562ad19" {
		t.Errorf("msg_key x=0: %s", got)
	}
	if got := hex.EncodeToString(MsgKey(2, k, pt, 8)); got != "aea64dd261353032696868c799753ba6" {
		t.Errorf("msg_key x=8: %s", got)
	}
	if got := Fingerprint(k); got != -3972359982579920590 {
		t.Errorf("fingerprint %d", got)
	}
}

func TestRoundTrip(t *testing.T) {
	k := testutil.SeqKey()[:]
	rng := rand.NewChaCha8([32]byte{1})
	body := []byte{0x60, 0x41, 0x16, 0x73, 1, 2, 3, 4} // decryptedMessageService id + junk
	for _, version := range []int{1, 2} {
		for _, fromOriginator := range []bool{true, false} {
			m := Message{Version: version, Layer: 8, InSeqNo: 1, OutSeqNo: 2, Body: body}
			if version == 2 {
				m.Layer = 144
			}
			wire, err := Encrypt(k, fromOriginator, m, Options{Rand: rng})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decrypt(k, !fromOriginator, wire)
			if err != nil {
				t.Fatalf("v%d: %v", version, err)
			}
			if got.Version != version || got.Layer != m.Layer || !bytes.Equal(got.Body, body) || len(got.RandomBytes) != 15 {
				t.Fatalf("v%d: %+v", version, got)
			}
			if version == 2 {
				if _, err := Decrypt(k, fromOriginator, wire); !errors.Is(err, ErrMsgKey) {
					t.Fatalf("wrong role: %v", err)
				}
			}
			wire[30] ^= 1
			if _, err := Decrypt(k, !fromOriginator, wire); err == nil {
				t.Fatal("bit flip accepted")
			}
		}
	}
}

func TestKeyExchange(t *testing.T) {
	p := dhcheck.WellKnownPrime()
	if testing.Short() {
		t.Log("CheckParams skipped in short mode")
	} else if err := CheckParams(3, p); err != nil {
		t.Fatal(err)
	}
	if err := CheckParams(2, p); !errors.Is(err, ErrParams) {
		t.Fatalf("g=2: %v", err)
	}
	rng := rand.NewChaCha8([32]byte{2})
	a, gA, err := Request(3, p, nil, rng)
	if err != nil {
		t.Fatal(err)
	}
	gB, keyB, fp, err := Accept(3, p, gA, nil, rng)
	if err != nil {
		t.Fatal(err)
	}
	keyA, err := Complete(p, a, gB, fp)
	if err != nil || !bytes.Equal(keyA, keyB) || len(keyA) != 256 {
		t.Fatalf("keys differ: %v", err)
	}
	if _, err := Complete(p, a, gB, fp+1); !errors.Is(err, ErrKeyFingerprint) {
		t.Fatalf("fingerprint: %v", err)
	}
	if _, _, _, err := Accept(3, p, []byte{2}, nil, rng); !errors.Is(err, ErrPublicRange) {
		t.Fatalf("range: %v", err)
	}
}
