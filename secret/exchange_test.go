package secret_test

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/secretbench/secretbench/dhcheck"
	"github.com/secretbench/secretbench/internal/impl/impltest"
	"github.com/secretbench/secretbench/internal/reference"
	"github.com/secretbench/secretbench/secret"
)

var wellKnownPrime = dhcheck.WellKnownPrime()

// TestKeyExchangeMatchesReference: both sides agree, and with the same
// random streams g_a, g_b and the key equal the math/big reference's,
// with and without a server random (XORed in), under every implementation
// of modexp's constant-time exponentiation.
func TestKeyExchangeMatchesReference(t *testing.T) {
	serverRandom := bytes.Repeat([]byte{0x5a}, 256)
	impltest.Run(t, "modexp", func(t *testing.T) { exchangeMatchesReference(t, serverRandom) })
	// The server random is mixed in, not ignored: same client stream, other exponent.
	noSR, _ := (&secret.DH{G: 3, P: wellKnownPrime, Rand: stream(1)}).Request(nil)
	withSR, _ := (&secret.DH{G: 3, P: wellKnownPrime, Rand: stream(1)}).Request(serverRandom)
	if bytes.Equal(noSR.GA(), withSR.GA()) {
		t.Fatal("server random ignored")
	}
	// Nor used raw: an all-zero client random with the server random is not the server random alone.
	zero := &secret.DH{G: 3, P: wellKnownPrime, Rand: bytes.NewReader(make([]byte, 256))}
	raw, _ := (&secret.DH{G: 3, P: wellKnownPrime, Rand: bytes.NewReader(serverRandom)}).Request(nil)
	mixed, err := zero.Request(serverRandom)
	if err != nil || !bytes.Equal(mixed.GA(), raw.GA()) {
		t.Fatal("XOR with a zero client random must equal the server random")
	}
}

func exchangeMatchesReference(t *testing.T, serverRandom []byte) {
	for _, sr := range [][]byte{nil, serverRandom} {
		alice := secret.DH{G: 3, P: wellKnownPrime, Rand: stream(1)}
		bob := secret.DH{G: 3, P: wellKnownPrime, Rand: stream(2)}
		ex, err := alice.Request(sr)
		if err != nil {
			t.Fatal(err)
		}
		gB, bobKey, err := bob.Accept(ex.GA(), sr)
		if err != nil {
			t.Fatal(err)
		}
		aliceKey, err := ex.Complete(gB, bobKey.Fingerprint())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(aliceKey.Bytes(), bobKey.Bytes()) {
			t.Fatal("keys differ")
		}

		a, refGA, err := reference.Request(3, wellKnownPrime, sr, stream(1))
		if err != nil {
			t.Fatal(err)
		}
		refGB, refKey, refFP, err := reference.Accept(3, wellKnownPrime, refGA, sr, stream(2))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(refGA, ex.GA()) || !bytes.Equal(refGB, gB) || !bytes.Equal(refKey, bobKey.Bytes()) || refFP != bobKey.Fingerprint() {
			t.Fatal("differs from the reference")
		}
		if k, err := reference.Complete(wellKnownPrime, a, gB, bobKey.Fingerprint()); err != nil || !bytes.Equal(k, aliceKey.Bytes()) {
			t.Fatal("reference completion")
		}
	}
}

func TestKeyExchangeErrors(t *testing.T) {
	dh := secret.DH{G: 3, P: wellKnownPrime, Rand: stream(5)}
	ex, err := dh.Request(nil)
	if err != nil {
		t.Fatal(err)
	}
	gB, key, err := dh.Accept(ex.GA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Complete(gB, key.Fingerprint()^1); !errors.Is(err, secret.ErrKeyFingerprint) {
		t.Fatalf("wrong fingerprint: %v", err)
	}
	p := new(big.Int).SetBytes(wellKnownPrime)
	pm1 := new(big.Int).Sub(p, big.NewInt(1)).FillBytes(make([]byte, 256))
	low := new(big.Int).Lsh(big.NewInt(1), 1983).FillBytes(make([]byte, 256)) // 2^1983 < 2^1984
	for name, gx := range map[string][]byte{"one": {1}, "p-1": pm1, "p": wellKnownPrime, "2^1983": low, "zero": {}} {
		if _, err := ex.Complete(gx, 0); !errors.Is(err, dhcheck.ErrRange) {
			t.Errorf("Complete(g_b=%s): %v", name, err)
		}
		if _, _, err := dh.Accept(gx, nil); !errors.Is(err, dhcheck.ErrRange) {
			t.Errorf("Accept(g_a=%s): %v", name, err)
		}
	}
	if _, err := dh.Request(make([]byte, 255)); !errors.Is(err, secret.ErrServerRandom) {
		t.Errorf("short server random: %v", err)
	}
	if _, _, err := dh.Accept(ex.GA(), make([]byte, 10)); !errors.Is(err, secret.ErrServerRandom) {
		t.Errorf("short server random: %v", err)
	}
	for _, tc := range []struct {
		g    int
		p    []byte
		want error
	}{
		{2, wellKnownPrime, dhcheck.ErrGenerator}, // p mod 8 != 7
		{8, wellKnownPrime, dhcheck.ErrGenerator},
		{3, wellKnownPrime[1:], dhcheck.ErrPrimeSize},
	} {
		bad := secret.DH{G: tc.g, P: tc.p}
		if _, err := bad.Request(nil); !errors.Is(err, tc.want) {
			t.Errorf("Request g=%d: %v", tc.g, err)
		}
		if _, _, err := bad.Accept(ex.GA(), nil); !errors.Is(err, tc.want) {
			t.Errorf("Accept g=%d: %v", tc.g, err)
		}
	}
	// Our own public value is checked too: an exponent of 1 gives g_a = 3.
	one := make([]byte, 256)
	one[255] = 1
	if _, err := (&secret.DH{G: 3, P: wellKnownPrime, Rand: bytes.NewReader(one)}).Request(nil); !errors.Is(err, dhcheck.ErrRange) {
		t.Errorf("own g_a out of range: %v", err)
	}
	if _, _, err := (&secret.DH{G: 3, P: wellKnownPrime, Rand: bytes.NewReader(one)}).Accept(ex.GA(), nil); !errors.Is(err, dhcheck.ErrRange) {
		t.Errorf("own g_b out of range: %v", err)
	}
}

func TestExchangePersistence(t *testing.T) {
	dh := secret.DH{G: 7, P: wellKnownPrime, Rand: stream(6), Checker: dhcheck.NewChecker()}
	ex, err := dh.Request(nil)
	if err != nil {
		t.Fatal(err)
	}
	state, err := ex.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var restored secret.Exchange
	if err := restored.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	gB, key, err := dh.Accept(restored.GA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := restored.Complete(gB, key.Fingerprint())
	if err != nil || !bytes.Equal(k.Bytes(), key.Bytes()) {
		t.Fatalf("restored exchange: %v", err)
	}
	for i := 0; i < len(state); i++ {
		var e secret.Exchange
		if err := e.UnmarshalBinary(state[:i]); !errors.Is(err, secret.ErrCorruptState) {
			t.Fatalf("truncated to %d accepted", i)
		}
	}
	for _, i := range []int{0, 4, 8, 12} {
		bad := append([]byte(nil), state...)
		bad[i] ^= 0xff
		var e secret.Exchange
		if err := e.UnmarshalBinary(bad); !errors.Is(err, secret.ErrCorruptState) {
			t.Fatalf("corrupt byte %d accepted", i)
		}
	}
	var e secret.Exchange
	if err := e.UnmarshalBinary(append(state, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	ex.Wipe()
	if _, err := ex.Complete(gB, key.Fingerprint()); !errors.Is(err, secret.ErrKeyFingerprint) {
		t.Fatalf("wiped exchange still completes: %v", err)
	}
}
